package hub

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/protocol"
)

// callLog records what a filter saw of each call.
type callLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *callLog) add(s string) {
	l.mu.Lock()
	l.calls = append(l.calls, s)
	l.mu.Unlock()
}

func (l *callLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.calls...)
}

func TestFiltersWrapEveryCall(t *testing.T) {
	seen := &callLog{}
	outer := FilterFuncs{Invoke: func(c *Context, inv *Invocation, next InvokeFunc) (any, error) {
		start := time.Now()
		res, err := next(c, inv)
		outcome := "ok"
		if err != nil {
			outcome = "error: " + err.Error()
		}
		assert.GreaterOrEqual(t, time.Since(start), time.Duration(0))
		seen.add(inv.Method + " by " + c.UserID() + " " + outcome)
		return res, err
	}}
	upper := FilterFuncs{Invoke: func(c *Context, inv *Invocation, next InvokeFunc) (any, error) {
		if inv.Method == "Echo" {
			inv.Args[0] = inv.Args[0].(string) + "!" // filters may change arguments
		}
		if inv.Method == "Blocked" {
			return nil, Errorf("blocked by a filter")
		}
		seen.add("inner " + inv.Method)
		return next(c, inv)
	}}
	_, url := testServer(t, Config{Authenticator: userFromQuery, Filters: []Filter{outer, upper}}, func(s *Server) {
		require.NoError(t, s.Register("Echo", func(c *Context, msg string) string { return msg }))
		require.NoError(t, s.Register("Add", func(it item) (int, error) { return it.Qty * 2, nil }))
		require.NoError(t, s.Register("Fail", func() error { return errors.New("boom") }))
		require.NoError(t, s.Register("Blocked", func() string { return "never" }))
		require.NoError(t, s.Register("Count", func(n int) <-chan int {
			ch := make(chan int, n)
			for i := range n {
				ch <- i
			}
			close(ch)
			return ch
		}))
	})
	forEachCodec(t, func(t *testing.T, codec protocol.Codec) {
		seen.mu.Lock()
		seen.calls = nil
		seen.mu.Unlock()
		c := dial(t, url+"?user=ann", codec)

		comp := c.invoke("1", "Echo", "hi")
		var got string
		c.bind(comp.Result, &got)
		assert.Equal(t, "hi!", got)

		var n int
		c.bind(c.invoke("2", "Add", map[string]any{"name": "milk", "qty": 2}).Result, &n)
		assert.Equal(t, 4, n)

		assert.Equal(t, "An unexpected error occurred invoking 'Fail' on the server.", c.invoke("3", "Fail").Error)
		assert.Equal(t, "An unexpected error occurred invoking 'Blocked' on the server. HubException: blocked by a filter", c.invoke("4", "Blocked").Error)

		c.send(&protocol.StreamInvocation{InvocationID: "5", Target: "Count", Arguments: []any{3}})
		items := 0
		for {
			m := c.recv()
			if _, ok := m.(*protocol.StreamItem); ok {
				items++
				continue
			}
			require.IsType(t, &protocol.Completion{}, m)
			break
		}
		assert.Equal(t, 3, items)

		assert.Equal(t, []string{
			"inner Echo", "Echo by ann ok",
			"inner Add", "Add by ann ok",
			"inner Fail", "Fail by ann error: boom",
			"Blocked by ann error: blocked by a filter",
			"inner Count", "Count by ann ok",
		}, seen.list())
	})
}

func TestBuiltInChecksRunAsFiltersBeforeTheApplications(t *testing.T) {
	perms := &revocable{}
	perms.deny("method:Secret")
	seen := &callLog{}
	record := FilterFuncs{Invoke: func(c *Context, inv *Invocation, next InvokeFunc) (any, error) {
		seen.add(inv.Method)
		return next(c, inv)
	}}
	_, url := testServer(t, Config{
		Authenticator: userFromQuery, Authorizer: perms,
		CallsPerSecond: 0.001, CallBurst: 2,
		Filters: []Filter{record},
	}, func(s *Server) {
		require.NoError(t, s.Register("Echo", func(msg string) string { return msg }))
		require.NoError(t, s.Register("Secret", func() string { return "s" }))
	})
	c := dial(t, url+"?user=ann", protocol.JSON{})
	assert.Equal(t, "An unexpected error occurred invoking 'Secret' on the server. HubException: Access denied", c.invoke("1", "Secret").Error)
	assert.Empty(t, c.invoke("2", "Echo", "x").Error)
	assert.Equal(t, "Failed to invoke 'Echo' due to an error on the server. HubException: Rate limit exceeded.", c.invoke("3", "Echo", "x").Error)
	assert.Equal(t, []string{"Echo"}, seen.list(), "the application's filter sees only calls the built-in filters let through")
}

func TestFiltersWrapConnectAndDisconnect(t *testing.T) {
	events := &callLog{}
	disconnected := make(chan struct{})
	wrap := func(name string) Filter {
		return FilterFuncs{
			Connected: func(c *Context, next func(*Context) error) error {
				events.add(name + " connected " + c.UserID())
				return next(c)
			},
			Disconnected: func(c *Context, err error, next func(*Context, error)) {
				events.add(name + " disconnected " + c.UserID())
				next(c, err)
			},
		}
	}
	s, url := testServer(t, Config{
		Authenticator: userFromQuery,
		Filters:       []Filter{wrap("outer"), wrap("inner"), FilterFuncs{}},
		OnConnected:   func(c *Context) error { events.add("OnConnected"); return nil },
		OnDisconnected: func(c *Context, err error) {
			events.add("OnDisconnected")
			close(disconnected)
		},
	}, nil)
	c := dial(t, url+"?user=bob", protocol.JSON{})
	require.NoError(t, s.Clients().Client(c.id).Send(t.Context(), "Ping")) // after OnConnected
	require.Equal(t, "Ping", c.recv().(*protocol.Invocation).Target)
	require.NoError(t, c.ws.CloseNow())
	<-disconnected
	assert.Equal(t, []string{
		"outer connected bob", "inner connected bob", "OnConnected",
		"outer disconnected bob", "inner disconnected bob", "OnDisconnected",
	}, events.list())
}

func TestFilterRefusingAConnectionClosesIt(t *testing.T) {
	refuse := FilterFuncs{Connected: func(c *Context, next func(*Context) error) error {
		return Errorf("no entry")
	}}
	_, url := testServer(t, Config{Filters: []Filter{refuse}}, nil)
	c := dial(t, url, protocol.JSON{})
	cl, ok := c.recv().(*protocol.Close)
	require.True(t, ok)
	assert.Equal(t, "Connection closed with an error. HubException: no entry", cl.Error)
}
