package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type withChan struct {
	Name    string
	Updates chan int
}

type onlyUnexported struct{ n int }

type recursive struct {
	Name     string
	Children []*recursive
}

type skippedField struct {
	Name string
	Done chan struct{} `json:"-"`
}

// ownJSON carries a func, but encodes itself.
type ownJSON struct{ f func() }

func (ownJSON) MarshalJSON() ([]byte, error)  { return []byte("{}"), nil }
func (*ownJSON) UnmarshalJSON([]byte) error   { return nil }
func (ownJSON) MarshalText() ([]byte, error)  { return nil, nil }
func (*ownJSON) UnmarshalText(b []byte) error { return nil }

func TestRegisterRejectsTypesTheProtocolsCannotCarry(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   any
		want string
	}{
		{"bidirectional chan parameter", func(chan int) {}, `hub: method "M": parameter 1 (chan int): channels cannot be sent; an upload stream parameter is <-chan T`},
		{"func parameter", func(string, func()) {}, `hub: method "M": parameter 2 (func()): functions cannot be sent`},
		{"*http.Request", func(*http.Request) {}, `parameter 1 (*http.Request): clients cannot send an HTTP request: take *hub.Context`},
		{"hub.Context by value", func(Context) {}, `parameter 1 (hub.Context): a hub.Context is passed by pointer`},
		{"hub.Context by value after the context", func(*Context, Context) {}, `parameter 2 (hub.Context)`},
		{"http.ResponseWriter", func(http.ResponseWriter) {}, `parameter 1 (http.ResponseWriter)`},
		{"complex", func(complex128) {}, `complex numbers cannot be sent`},
		{"unsafe.Pointer", func(unsafe.Pointer) {}, `parameter 1 (unsafe.Pointer)`},
		{"non-empty interface parameter", func(fmt.Stringer) {}, `cannot be decoded (which concrete type?)`},
		{"struct with a chan field", func(withChan) {}, `parameter 1 (hub.withChan): field Updates: channels cannot be sent`},
		{"slice of structs with a chan field", func([]*withChan) {}, `field Updates: channels cannot be sent`},
		{"map with struct keys", func(map[struct{ A int }]int) {}, `map keys of type struct { A int } cannot be sent`},
		{"struct without exported fields", func(onlyUnexported) {}, `hub.onlyUnexported has no exported fields`},
		{"upload stream of funcs", func(iter.Seq[func()]) {}, `upload stream item 1 (iter.Seq[func()]): functions cannot be sent`},
		{"func result", func() func() { return nil }, `hub: method "M": result (func()): functions cannot be sent`},
		{"send-only chan result", func() chan<- int { return nil }, `result (chan<- int): channels cannot be sent; a streaming result is <-chan T`},
		{"stream of channels", func() <-chan chan int { return nil }, `stream item (<-chan chan int): channels cannot be sent`},
		{"result with a chan field", func() (*withChan, error) { return nil, nil }, `result (*hub.withChan): field Updates`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Config{Logger: quietLogger()})
			require.NoError(t, err)
			defer s.Close()
			err = s.Register("M", tc.fn)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Nil(t, s.lookup("M"), "nothing registered")
		})
	}
}

func TestRegisterAcceptsWhatTheProtocolsCarry(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   any
	}{
		{"scalars and context", func(context.Context, string, int, float64, bool, []byte) (string, error) { return "", nil }},
		{"hub context and any", func(*Context, any, map[string]any, []any) any { return nil }},
		{"time and integer keys", func(time.Time, map[int]string, *int) time.Duration { return 0 }},
		{"recursive struct", func(recursive) recursive { return recursive{} }},
		{"json:\"-\" field skipped", func(skippedField) skippedField { return skippedField{} }},
		{"own encoding", func(ownJSON) ownJSON { return ownJSON{} }},
		{"json.RawMessage", func(json.RawMessage) json.RawMessage { return nil }},
		{"upload and server streams", func(<-chan int, iter.Seq2[string, error]) iter.Seq[recursive] { return nil }},
		{"empty struct", func(struct{}) struct{} { return struct{}{} }},
		{"error-typed interface result", func() fmt.Stringer { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Config{Logger: quietLogger()})
			require.NoError(t, err)
			defer s.Close()
			require.NoError(t, s.Register("M", tc.fn))
		})
	}
}

type shelfHub struct{ name string }

func (l shelfHub) Rename(name string) string    { return name }
func (l shelfHub) String() string               { return "shelfHub(" + l.name + ")" }
func (l shelfHub) MarshalJSON() ([]byte, error) { return json.Marshal(l.name) }
func (l *shelfHub) Close() error                { return nil }
func (l *shelfHub) Clear() error                { return nil }
func (l shelfHub) helper() int                  { return 1 }

type badHub struct{}

func (badHub) Ok() string                { return "" }
func (badHub) Handler() http.HandlerFunc { return nil }

func TestRegisterMethodsRule(t *testing.T) {
	newServer := func(t *testing.T) *Server {
		s, err := New(Config{Logger: quietLogger()})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	t.Run("pointer receiver: exported methods without the well-known ones", func(t *testing.T) {
		s := newServer(t)
		require.NoError(t, s.RegisterMethods(&shelfHub{name: "a"}))
		for _, name := range []string{"Rename", "Clear"} {
			assert.NotNil(t, s.lookup(name), name)
		}
		for _, name := range []string{"String", "MarshalJSON", "Close", "helper"} {
			assert.Nil(t, s.lookup(name), "%s must not be callable", name)
		}
	})
	t.Run("value receiver: value methods only", func(t *testing.T) {
		s := newServer(t)
		require.NoError(t, s.RegisterMethods(shelfHub{}))
		assert.NotNil(t, s.lookup("Rename"))
		assert.Nil(t, s.lookup("Clear"))
	})
	t.Run("nil receivers are errors, not panics", func(t *testing.T) {
		s := newServer(t)
		require.EqualError(t, s.RegisterMethods(nil), "hub: RegisterMethods: the receiver is nil (<nil>)")
		require.EqualError(t, s.RegisterMethods((*shelfHub)(nil)), "hub: RegisterMethods: the receiver is nil (*hub.shelfHub)")
	})
	t.Run("a method that cannot be a hub method is named and nothing is registered", func(t *testing.T) {
		s := newServer(t)
		err := s.RegisterMethods(badHub{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), `hub: method "Handler": result (http.HandlerFunc): functions cannot be sent`)
		assert.Contains(t, err.Error(), "unexport a helper")
		assert.Nil(t, s.lookup("Ok"))
	})
}
