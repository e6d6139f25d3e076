package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/protocol"
)

func TestEchoAndErrors(t *testing.T) {
	forEachCodec(t, func(t *testing.T, codec protocol.Codec) {
		_, url := testServer(t, Config{}, func(s *Server) {
			require.NoError(t, s.Register("Echo", func(msg string) string { return msg }))
			require.NoError(t, s.Register("Fail", func() error { return errors.New("secret detail") }))
			require.NoError(t, s.Register("HubFail", func() error { return Errorf("shown %d", 1) }))
			require.NoError(t, s.Register("Void", func(c *Context) {}))
		})
		c := dial(t, url, codec)

		comp := c.invoke("1", "echo", "hi") // names match case-insensitively
		require.Empty(t, comp.Error)
		var got string
		c.bind(comp.Result, &got)
		assert.Equal(t, "hi", got)

		comp = c.invoke("2", "Void")
		assert.True(t, comp.HasResult, "void methods answer with a null result, as ASP.NET Core does")

		assert.Equal(t, "An unexpected error occurred invoking 'Fail' on the server.", c.invoke("3", "Fail").Error)
		assert.Equal(t, "An unexpected error occurred invoking 'HubFail' on the server. HubException: shown 1", c.invoke("4", "HubFail").Error)
		assert.Equal(t, "Failed to invoke 'Nope' due to an error on the server. HubException: Method does not exist.", c.invoke("5", "Nope").Error)
		assert.Equal(t, "Failed to invoke 'Echo' due to an error on the server.", c.invoke("6", "Echo", "a", "b").Error)
		assert.Equal(t, "Failed to invoke 'Echo' due to an error on the server.", c.invoke("7", "Echo", 42).Error)
	})
}

func TestDetailedErrors(t *testing.T) {
	_, url := testServer(t, Config{EnableDetailedErrors: true}, func(s *Server) {
		require.NoError(t, s.Register("Echo", func(msg string) string { return msg }))
		require.NoError(t, s.Register("Throw", func(msg string) error {
			return WithTypeName("InvalidOperationException", errors.New(msg))
		}))
		require.NoError(t, s.Register("Stream", func() <-chan int { return nil }))
	})
	c := dial(t, url, protocol.JSON{})
	assert.Equal(t, "An unexpected error occurred invoking 'Throw' on the server. InvalidOperationException: An error occurred.", c.invoke("1", "Throw", "An error occurred.").Error)
	assert.Equal(t, "Failed to invoke 'Echo' due to an error on the server. InvalidDataException: Invocation provides 2 argument(s) but target expects 1.", c.invoke("2", "Echo", "a", "b").Error)
	// ASP.NET Core's text, then which argument failed to bind to which Go type.
	assert.Equal(t, "Failed to invoke 'Echo' due to an error on the server. InvalidDataException: Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked. "+
		"Argument 0 does not bind to Go type string: protocol: bind: json: cannot unmarshal number into Go value of type string", c.invoke("3", "Echo", 1).Error)
	assert.Equal(t, "The client attempted to invoke the streaming 'Stream' method with a non-streaming invocation.", c.invoke("4", "stream").Error)
}

func TestStreamingBothWays(t *testing.T) {
	forEachCodec(t, func(t *testing.T, codec protocol.Codec) {
		cancelled := make(chan struct{})
		_, url := testServer(t, Config{}, func(s *Server) {
			require.NoError(t, s.Register("Count", func(n int) iter.Seq[int] {
				return func(yield func(int) bool) {
					for i := range n {
						if !yield(i) {
							return
						}
					}
				}
			}))
			require.NoError(t, s.Register("Forever", func(ctx context.Context) <-chan string {
				ch := make(chan string)
				go func() {
					<-ctx.Done()
					close(cancelled)
				}()
				return ch
			}))
			require.NoError(t, s.Register("Concat", func(items iter.Seq2[string, error]) (string, error) {
				out := ""
				for s, err := range items {
					if err != nil {
						return "", err
					}
					out += s
				}
				return out, nil
			}))
		})
		c := dial(t, url, codec)

		c.send(&protocol.StreamInvocation{InvocationID: "1", Target: "Count", Arguments: []any{3}})
		for want := range 3 {
			item, ok := c.recv().(*protocol.StreamItem)
			require.True(t, ok)
			var got int
			c.bind(item.Item, &got)
			assert.Equal(t, want, got)
		}
		done := c.recv().(*protocol.Completion)
		assert.Equal(t, "1", done.InvocationID)
		assert.False(t, done.HasResult)
		assert.Empty(t, done.Error)

		// Cancel right behind the StreamInvocation: it must find the stream.
		c.send(&protocol.StreamInvocation{InvocationID: "2", Target: "Forever"})
		c.send(&protocol.CancelInvocation{InvocationID: "2"})
		select {
		case <-cancelled:
		case <-time.After(5 * time.Second):
			t.Fatal("the stream's context was not cancelled")
		}
		done = c.recv().(*protocol.Completion)
		assert.Equal(t, "2", done.InvocationID)
		assert.Empty(t, done.Error, "cancelling is not an error")

		// An upload stream; its items follow the invocation.
		c.send(&protocol.Invocation{InvocationID: "3", Target: "Concat", StreamIDs: []string{"4"}})
		c.send(&protocol.StreamItem{InvocationID: "4", Item: "a"})
		c.send(&protocol.StreamItem{InvocationID: "4", Item: "b"})
		c.send(&protocol.Completion{InvocationID: "4"})
		comp := c.recv().(*protocol.Completion)
		var got string
		c.bind(comp.Result, &got)
		assert.Equal(t, "ab", got)

		c.send(&protocol.Invocation{InvocationID: "5", Target: "Concat", StreamIDs: []string{"6"}})
		c.send(&protocol.Completion{InvocationID: "6", Error: "Something bad"})
		assert.Equal(t, "An unexpected error occurred invoking 'Concat' on the server. HubException: Something bad", c.recv().(*protocol.Completion).Error)
	})
}

func TestClientResults(t *testing.T) {
	forEachCodec(t, func(t *testing.T, codec protocol.Codec) {
		s, url := testServer(t, Config{}, nil)
		c := dial(t, url, codec)
		type answer struct {
			n   int
			err error
		}
		got := make(chan answer, 1)
		go func() {
			n, err := Invoke[int](context.Background(), s.Clients().Client(c.id), "Result", "q")
			got <- answer{n, err}
		}()
		inv := c.recv().(*protocol.Invocation)
		assert.Equal(t, "Result", inv.Target)
		assert.Equal(t, "s1", inv.InvocationID)
		c.send(&protocol.Completion{InvocationID: inv.InvocationID, HasResult: true, Result: 10})
		a := <-got
		require.NoError(t, a.err)
		assert.Equal(t, 10, a.n)

		go func() {
			_, err := Invoke[int](context.Background(), s.Clients().Client(c.id), "Result")
			got <- answer{err: err}
		}()
		inv = c.recv().(*protocol.Invocation)
		c.send(&protocol.Completion{InvocationID: inv.InvocationID, Error: "Error: from callback"})
		assert.EqualError(t, (<-got).err, "Error: from callback")

		_, err := Invoke[int](context.Background(), s.Clients().Client("nobody"), "Result")
		assert.EqualError(t, err, "Connection 'nobody' does not exist.")

		go func() {
			_, err := Invoke[int](context.Background(), s.Clients().Client(c.id), "Result")
			got <- answer{err: err}
		}()
		c.recv()
		_ = c.ws.CloseNow()
		assert.EqualError(t, (<-got).err, fmt.Sprintf("Connection '%s' disconnected.", c.id))
	})
}

func TestTargetsAndGroups(t *testing.T) {
	s, url := testServer(t, Config{}, func(s *Server) {
		require.NoError(t, s.Register("Join", func(c *Context, g string) error { return c.Groups().Add(c, c.ConnectionID(), g) }))
		require.NoError(t, s.Register("Leave", func(c *Context, g string) error { return c.Groups().Remove(c, c.ConnectionID(), g) }))
		require.NoError(t, s.Register("Others", func(c *Context, g string) error {
			return c.Clients().OthersInGroup(g).Send(c, "Msg", "others-in-"+g)
		}))
	})
	a, b, c := dial(t, url, protocol.JSON{}), dial(t, url, protocol.MessagePack{}), dial(t, url, protocol.JSON{})
	for _, cl := range []*testClient{a, b} {
		require.Empty(t, cl.invoke("j", "Join", "g").Error)
	}
	ctx := context.Background()
	expect := func(cl *testClient, want string) {
		t.Helper()
		inv := cl.recv().(*protocol.Invocation)
		assert.Empty(t, inv.InvocationID, "a non-blocking invocation carries no id")
		var got string
		cl.bind(inv.Arguments[0], &got)
		assert.Equal(t, want, got)
	}
	require.NoError(t, s.Clients().Group("g").Send(ctx, "Msg", "group"))
	expect(a, "group")
	expect(b, "group")
	require.NoError(t, s.Clients().GroupExcept("g", a.id).Send(ctx, "Msg", "group-except"))
	expect(b, "group-except")
	require.Empty(t, a.invoke("o", "Others", "g").Error)
	expect(b, "others-in-g")
	require.NoError(t, s.Clients().AllExcept(b.id).Send(ctx, "Msg", "all-except"))
	expect(a, "all-except")
	expect(c, "all-except")
	require.NoError(t, s.Clients().Clients(c.id, b.id).Send(ctx, "Msg", "clients"))
	expect(b, "clients")
	expect(c, "clients")
	require.Empty(t, b.invoke("l", "Leave", "g").Error)
	require.NoError(t, s.Clients().Group("g").Send(ctx, "Msg", "after-leave"))
	require.NoError(t, s.Clients().All().Send(ctx, "Msg", "all"))
	expect(a, "after-leave")
	expect(b, "all") // b left the group: the next thing it sees is the broadcast
	expect(c, "all")
}

func TestUsers(t *testing.T) {
	s, url := testServer(t, Config{Authenticator: userFromQuery}, nil)
	res, err := http.Post(url+"/negotiate?negotiateVersion=1", "text/plain", nil)
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	assert.Empty(t, body)

	ann1 := dial(t, url+"?user=ann", protocol.JSON{})
	ann2 := dial(t, url+"?user=ann", protocol.MessagePack{})
	bob := dial(t, url+"?user=bob", protocol.JSON{})
	require.NoError(t, s.Clients().User("ann").Send(context.Background(), "Hi", 1))
	require.NoError(t, s.Clients().Users("bob").Send(context.Background(), "Hi", 2))
	for _, c := range []*testClient{ann1, ann2} {
		inv := c.recv().(*protocol.Invocation)
		var n int
		c.bind(inv.Arguments[0], &n)
		assert.Equal(t, 1, n)
	}
	inv := bob.recv().(*protocol.Invocation)
	var n int
	bob.bind(inv.Arguments[0], &n)
	assert.Equal(t, 2, n)
}

func TestShutdownSendsReconnectableClose(t *testing.T) {
	var disconnected sync.WaitGroup
	disconnected.Add(2)
	s, url := testServer(t, Config{OnDisconnected: func(*Context, error) { disconnected.Done() }}, nil)
	clients := []*testClient{dial(t, url, protocol.JSON{}), dial(t, url, protocol.MessagePack{})}
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shut <- s.Shutdown(ctx)
	}()
	for _, c := range clients {
		cl, ok := c.recv().(*protocol.Close)
		require.True(t, ok)
		assert.True(t, cl.AllowReconnect)
		assert.Empty(t, cl.Error)
		// Answer the server's close frame as a client library would.
		go func() { _, _, _ = c.ws.Read(context.Background()) }()
	}
	require.NoError(t, <-shut)
	disconnected.Wait()
}
