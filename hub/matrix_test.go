package hub

// Behaviour tests of the hub's targets, groups, users, except lists,
// client results and ordering, run in every mode of the matrix: each codec,
// on one hub and on two or three hubs sharing a MemoryBus. Clients are
// spread over the hubs and messages are sent from another hub than the
// recipients' where the topology allows, so every path between nodes is
// taken. The tests use only the hub's public API.

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/protocol"
)

// on returns the hub that client i connects to: the hubs in turn.
func on(nodes []*testNode, i int) *testNode { return nodes[i%len(nodes)] }

// last is the hub messages are sent from: the one with the fewest clients
// in these tests.
func last(nodes []*testNode) *testNode { return nodes[len(nodes)-1] }

func TestMatrixTargets(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		nodes := m.start(t, Config{Authenticator: userFromQuery}, nil)
		ctx := context.Background()
		a := m.dial(t, on(nodes, 0).url+"?user=ann")
		b := m.dial(t, on(nodes, 1).url+"?user=ann")
		c := m.dial(t, on(nodes, 2).url+"?user=bob")
		clients := []*testClient{a, b, c}
		sender := last(nodes)
		for _, cl := range []*testClient{a, b} {
			require.NoError(t, sender.srv.Groups().Add(ctx, cl.id, "g"))
		}
		require.NoError(t, sender.srv.Groups().Add(ctx, c.id, "h"))

		cs := sender.srv.Clients()
		steps := []struct {
			name string
			send Proxy
			want []*testClient
		}{
			{"group", cs.Group("g"), []*testClient{a, b}},
			{"group-except", cs.GroupExcept("g", a.id), []*testClient{b}},
			{"groups", cs.Groups("g", "h"), []*testClient{a, b, c}},
			{"all", cs.All(), []*testClient{a, b, c}},
			{"all-except", cs.AllExcept(b.id, c.id), []*testClient{a}},
			{"clients", cs.Clients(c.id, b.id), []*testClient{b, c}},
			{"user", cs.User("ann"), []*testClient{a, b}},
			{"users", cs.Users("bob", "nobody"), []*testClient{c}},
		}
		for _, step := range steps {
			require.NoError(t, step.send.Send(ctx, "Msg", step.name), step.name)
		}
		require.NoError(t, cs.Client(a.id).Send(ctx, "Msg", "client"))
		require.NoError(t, cs.All().Send(ctx, "Msg", "end"))
		for _, cl := range clients {
			var want []string
			for _, step := range steps {
				for _, w := range step.want {
					if w == cl {
						want = append(want, step.name)
					}
				}
			}
			if cl == a {
				want = append(want, "client")
			}
			want = append(want, "end")
			var got []string
			for range want {
				_, arg := cl.recvString()
				got = append(got, arg)
			}
			assert.Equal(t, want, got, "client %s", cl.id)
		}
	})
}

func TestMatrixGroupChangesAreAcknowledged(t *testing.T) {
	const rounds = 100
	run(t, func(t *testing.T, m mode) {
		nodes := m.start(t, Config{}, nil)
		ctx := context.Background()
		c := m.dial(t, nodes[0].url)
		g := last(nodes).srv
		for i := range rounds {
			group := "g" + strconv.Itoa(i)
			require.NoError(t, g.Groups().Add(ctx, c.id, group))
			// A send right after Add returns reaches the connection.
			require.NoError(t, g.Clients().Group(group).Send(ctx, "Msg", "in-"+group))
			c.expectString("in-" + group)
			require.NoError(t, g.Groups().Remove(ctx, c.id, group))
			require.NoError(t, g.Clients().Group(group).Send(ctx, "Msg", "out-"+group))
		}
		require.NoError(t, g.Clients().Client(c.id).Send(ctx, "Msg", "marker"))
		c.expectString("marker", "a message sent after Remove returned arrived")
	})
}

func TestMatrixUnknownConnection(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		nodes := m.start(t, Config{}, nil)
		m.dial(t, nodes[0].url) // a connection that is not the one asked for
		s := last(nodes).srv
		// Well under a second, whatever the topology.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		require.ErrorIs(t, s.Groups().Add(ctx, "nobody", "g"), ErrConnectionNotFound)
		require.ErrorIs(t, s.Groups().Remove(ctx, "nobody", "g"), ErrConnectionNotFound)
		_, err := Invoke[int](ctx, s.Clients().Client("nobody"), "Result")
		require.EqualError(t, err, "Connection 'nobody' does not exist.")
		require.NoError(t, s.Groups().RemoveUser(ctx, "nobody", "g"))
	})
}

func TestMatrixClientResults(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		nodes := m.start(t, Config{}, nil)
		c := m.dial(t, nodes[0].url)
		type answer struct {
			n   int
			err error
		}
		got := make(chan answer, 1)
		invoke := func(s *Server) {
			go func() {
				n, err := Invoke[int](context.Background(), s.Clients().Client(c.id), "Result", "q")
				got <- answer{n, err}
			}()
		}
		for i, node := range nodes {
			invoke(node.srv)
			inv := c.recv().(*protocol.Invocation)
			assert.Equal(t, "Result", inv.Target)
			require.NotEmpty(t, inv.InvocationID)
			c.send(&protocol.Completion{InvocationID: inv.InvocationID, HasResult: true, Result: 10 + i})
			a := <-got
			require.NoError(t, a.err, "from node %d", i)
			assert.Equal(t, 10+i, a.n, "from node %d", i)

			invoke(node.srv)
			inv = c.recv().(*protocol.Invocation)
			c.send(&protocol.Completion{InvocationID: inv.InvocationID, Error: "Error: from callback"})
			assert.EqualError(t, (<-got).err, "Error: from callback", "from node %d", i)
		}

		// The connection goes away while a result is pending.
		invoke(last(nodes).srv)
		c.recv()
		c.closeNow()
		assert.EqualError(t, (<-got).err, fmt.Sprintf("Connection '%s' disconnected.", c.id))
	})
}

// Messages sent to one connection from one goroutine arrive in the order
// they were sent, whatever target carries them (on Memory, which keeps one
// publisher's order across channels).
func TestMatrixOrderAcrossTargets(t *testing.T) {
	const n = 2000
	run(t, func(t *testing.T, m mode) {
		nodes := m.start(t, Config{Authenticator: userFromQuery}, nil)
		ctx := context.Background()
		c := m.dial(t, nodes[0].url+"?user=ann")
		s := last(nodes).srv
		require.NoError(t, s.Groups().Add(ctx, c.id, "g"))
		cs := s.Clients()
		proxies := []interface {
			Send(ctx context.Context, method string, args ...any) error
		}{cs.Client(c.id), cs.Group("g"), cs.User("ann"), cs.All(), cs.Clients(c.id), cs.AllExcept("other")}
		done := make(chan error, 1)
		go func() { done <- c.expectSequence(n) }()
		for i := range n {
			require.NoError(t, proxies[i%len(proxies)].Send(ctx, "Seq", i))
		}
		require.NoError(t, <-done)
	}, withTransports...)
}

func TestMatrixOrderToGroup(t *testing.T) {
	const perNode, n = 2, 10_000
	run(t, func(t *testing.T, m mode) {
		nodes := m.start(t, Config{}, nil)
		ctx := context.Background()
		var members []*testClient
		for i := range perNode * len(nodes) {
			c := m.dial(t, on(nodes, i).url)
			require.NoError(t, last(nodes).srv.Groups().Add(ctx, c.id, "g"))
			members = append(members, c)
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(members))
		for _, c := range members {
			wg.Go(func() {
				if err := c.expectSequence(n); err != nil {
					errs <- fmt.Errorf("%s: %w", c.id, err)
				}
			})
		}
		g := last(nodes).srv.Clients().Group("g")
		for i := range n {
			require.NoError(t, g.Send(ctx, "Seq", i))
		}
		// Nothing more than the sequence: the next message is the marker.
		require.NoError(t, last(nodes).srv.Clients().All().Send(ctx, "Seq", -1))
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		for _, c := range members {
			var got int
			inv := c.recv().(*protocol.Invocation)
			c.bind(inv.Arguments[0], &got)
			assert.Equal(t, -1, got, "a duplicate or extra message")
		}
	}, withTransports...)
}

func TestMatrixRemoveUser(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		nodes := m.start(t, Config{Authenticator: userFromQuery}, nil)
		ctx := context.Background()
		ann1 := m.dial(t, on(nodes, 0).url+"?user=ann")
		ann2 := m.dial(t, on(nodes, 1).url+"?user=ann")
		bob := m.dial(t, on(nodes, 2).url+"?user=bob")
		s := last(nodes).srv
		for _, c := range []*testClient{ann1, ann2, bob} {
			require.NoError(t, s.Groups().Add(ctx, c.id, "g"))
		}
		// RemoveUser returns when every node applied it.
		require.NoError(t, s.Groups().RemoveUser(ctx, "ann", "g"))
		require.NoError(t, s.Clients().Group("g").Send(ctx, "Msg", "group"))
		require.NoError(t, s.Clients().All().Send(ctx, "Msg", "all"))
		ann1.expectString("all")
		ann2.expectString("all")
		bob.expectString("group")
		bob.expectString("all")
	})
}
