package hub

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/protocol"
)

// logRecorder is a slog.Handler that keeps every record, for asserting on
// what the hub logged.
type logRecorder struct {
	mu      sync.Mutex
	records []logRecord
}

type logRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	attrs := map[string]string{}
	rec.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.String()
		return true
	})
	r.mu.Lock()
	r.records = append(r.records, logRecord{rec.Level, rec.Message, attrs})
	r.mu.Unlock()
	return nil
}

// find returns the records whose message contains msg.
func (r *logRecorder) find(msg string) []logRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []logRecord
	for _, rec := range r.records {
		if strings.Contains(rec.msg, msg) {
			out = append(out, rec)
		}
	}
	return out
}

// one returns the only record whose message contains msg.
func (r *logRecorder) one(t *testing.T, msg string) logRecord {
	t.Helper()
	found := r.find(msg)
	require.Len(t, found, 1, "records with %q", msg)
	return found[0]
}

type item struct {
	Name string `json:"name"`
	Qty  int    `json:"qty"`
}

func failingHub(t *testing.T, cfg Config) (*logRecorder, string) {
	rec := &logRecorder{}
	cfg.Logger = slog.New(rec)
	cfg.Authenticator = userFromQuery
	_, url := testServer(t, cfg, func(s *Server) {
		require.NoError(t, s.Register("Fail", func() error { return errors.New("database is down") }))
		require.NoError(t, s.Register("Refuse", func() error { return Errorf("list is full") }))
		require.NoError(t, s.Register("Panic", func() { panicInHubMethod() }))
		require.NoError(t, s.Register("Add", func(it item) int { return it.Qty }))
		require.NoError(t, s.Register("Stream", func() iterSeqErr { return failingStream }))
	})
	return rec, url
}

type iterSeqErr = func(yield func(int, error) bool)

func failingStream(yield func(int, error) bool) {
	if yield(1, nil) {
		yield(0, errors.New("stream source lost"))
	}
}

//go:noinline
func panicInHubMethod() { panic("index out of range in the hub method") }

func TestFailuresAreLoggedOnTheServer(t *testing.T) {
	rec, url := failingHub(t, Config{})
	c := dial(t, url+"?user=ann", protocol.MessagePack{})

	t.Run("method error: Error level, method, connection, user, and the EnableDetailedErrors hint", func(t *testing.T) {
		assert.Equal(t, "An unexpected error occurred invoking 'Fail' on the server.", c.invoke("1", "Fail").Error)
		r := rec.one(t, "hub: method failed")
		assert.Equal(t, slog.LevelError, r.level)
		assert.Equal(t, "Fail", r.attrs["method"])
		assert.Equal(t, c.id, r.attrs["connection"])
		assert.Equal(t, "ann", r.attrs["user"])
		assert.Equal(t, "database is down", r.attrs["err"])
		assert.Contains(t, r.msg, "hub.Config.EnableDetailedErrors")
	})
	t.Run("an *Error the client sees: Info", func(t *testing.T) {
		assert.Contains(t, c.invoke("2", "Refuse").Error, "HubException: list is full")
		assert.Equal(t, slog.LevelInfo, rec.one(t, "returned an *Error").level)
	})
	t.Run("panic: Error level with the stack", func(t *testing.T) {
		assert.Equal(t, "An unexpected error occurred invoking 'Panic' on the server.", c.invoke("3", "Panic").Error)
		r := rec.one(t, "hub: method panicked")
		assert.Equal(t, slog.LevelError, r.level)
		assert.Equal(t, "index out of range in the hub method", r.attrs["panic"])
		assert.Contains(t, r.attrs["stack"], "panicInHubMethod")
	})
	t.Run("binding failure: Warn with the argument and Go type", func(t *testing.T) {
		assert.Equal(t, "Failed to invoke 'Add' due to an error on the server.", c.invoke("4", "Add", "not an item").Error)
		r := rec.one(t, "does not bind")
		assert.Equal(t, slog.LevelWarn, r.level)
		assert.Equal(t, "0", r.attrs["argument"])
		assert.Equal(t, "hub.item", r.attrs["type"])
		assert.Equal(t, "Add", r.attrs["method"])
	})
	t.Run("unknown method and wrong argument count: Warn", func(t *testing.T) {
		c.invoke("5", "Nope")
		assert.Equal(t, "Nope", rec.one(t, "not registered").attrs["method"])
		c.invoke("6", "Add")
		r := rec.one(t, "wrong number of arguments")
		assert.Equal(t, "0", r.attrs["got"])
		assert.Equal(t, "1", r.attrs["want"])
	})
	t.Run("stream error", func(t *testing.T) {
		c.send(&protocol.StreamInvocation{InvocationID: "7", Target: "Stream", Arguments: []any{}})
		for {
			if comp, ok := c.recv().(*protocol.Completion); ok {
				assert.Equal(t, "An error occurred on the server while streaming results.", comp.Error)
				break
			}
		}
		failed := rec.find("hub: method failed;")
		require.Len(t, failed, 2)
		assert.Equal(t, "Stream", failed[1].attrs["method"])
		assert.Equal(t, "stream source lost", failed[1].attrs["err"])
	})
	t.Run("rejected token: Info with the reason", func(t *testing.T) {
		res, err := http.Post(url+"/negotiate?negotiateVersion=1", "text/plain", nil)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
		r := rec.one(t, "not authenticated (401)")
		assert.Equal(t, slog.LevelInfo, r.level)
		assert.Contains(t, r.attrs["reason"], "auth:")
	})
	t.Run("refused origin: Warn naming the setting", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, url+"/negotiate?negotiateVersion=1&user=ann", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", "http://localhost:5173")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.Empty(t, res.Header.Get("Access-Control-Allow-Origin"))
		r := rec.one(t, "not in AllowedOrigins")
		assert.Equal(t, slog.LevelWarn, r.level)
		assert.Contains(t, r.msg, "hub.Config.Connection.AllowedOrigins")
		assert.Equal(t, "http://localhost:5173", r.attrs["origin"])
	})
}

func TestTooLargeMessageLogNamesTheGoSetting(t *testing.T) {
	rec, url := failingHub(t, Config{MaxMessageSize: 1024})
	c := dial(t, url+"?user=ann", protocol.JSON{})
	c.send(&protocol.Invocation{InvocationID: "1", Target: "Add", Arguments: []any{strings.Repeat("x", 2000)}})
	cl, ok := c.recv().(*protocol.Close)
	require.True(t, ok)
	assert.Equal(t, "Connection closed with an error.", cl.Error, "the wire text stays ASP.NET's")
	r := rec.one(t, "hub.Config.MaxMessageSize")
	assert.Equal(t, "1024", r.attrs["limit"])
}

func TestDetailedBindErrorNamesArgumentAndType(t *testing.T) {
	_, url := failingHub(t, Config{EnableDetailedErrors: true})
	c := dial(t, url+"?user=ann", protocol.JSON{})
	text := c.invoke("1", "Add", 42).Error
	assert.True(t, strings.HasPrefix(text, "Failed to invoke 'Add' due to an error on the server. InvalidDataException: Error binding arguments. "+
		"Make sure that the types of the provided values match the types of the hub method being invoked."), "ASP.NET's text first: %s", text)
	assert.Contains(t, text, "Argument 0 does not bind to Go type hub.item")
}

func TestFailureLogsCannotBeFlooded(t *testing.T) {
	rec, url := failingHub(t, Config{})
	c := dial(t, url+"?user=ann", protocol.JSON{})
	const calls = 300
	for i := range calls {
		c.send(&protocol.Invocation{Target: "Nope", Arguments: []any{i}}) // no answer: nothing to wait for
	}
	c.invoke("last", "Nope") // answered after every earlier call was handled
	logged := rec.find("not registered")
	assert.Less(t, len(logged), calls/2, "a client calling an unknown method %d times", calls+1)
	assert.GreaterOrEqual(t, len(logged), failureLogBurst)
}
