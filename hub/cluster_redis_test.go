package hub

// The hub's cross-node behaviour with the Redis backplane in place of
// MemoryBus: hubs on their own Redis clients, as separate processes would
// be, on a redis-server started by the test (skipped without one unless
// LISTHUB_REQUIRE_REDIS=1).

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bpredis "github.com/listhub/listhub/backplane/redis"
	"github.com/listhub/listhub/internal/redistest"
	"github.com/listhub/listhub/protocol"
)

// redisCluster starts n hubs, each with its own Redis client and backplane
// node on the server at addr, set up by setup (nil for none). Hubs close
// before their nodes, nodes before their clients.
func redisCluster(t testing.TB, n int, cfg Config, setup func(s *Server), addr string) []*testNode {
	t.Helper()
	nodes := make([]*testNode, n)
	for i := range nodes {
		client := goredis.NewClient(&goredis.Options{Addr: addr})
		t.Cleanup(func() { _ = client.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		bp, err := bpredis.New(ctx, client, &bpredis.Options{Logger: quietLogger(), NodeName: "hub" + strconv.Itoa(i)})
		cancel()
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, bp.Close()) })
		c := cfg
		c.Backplane = bp
		s, url := testServer(t, c, setup)
		nodes[i] = &testNode{srv: s, url: url}
	}
	return nodes
}

// TestRedisCrossNode: group, user, all, all-except and single-connection
// messages, remote group commands and client results cross two hubs on
// Redis, in both hub protocols.
func TestRedisCrossNode(t *testing.T) {
	srv := redistest.Start(t)
	forEachCodec(t, func(t *testing.T, codec protocol.Codec) {
		nodes := redisCluster(t, 2, Config{Authenticator: userFromQuery}, nil, srv.Addr())
		ctx := context.Background()
		n0, n1 := nodes[0].srv, nodes[1].srv
		ann := dial(t, nodes[0].url+"?user=ann", codec)
		bob := dial(t, nodes[1].url+"?user=bob", codec)

		// A group add for a connection of the other node returns once the
		// owner applied it.
		require.NoError(t, n0.Groups().Add(ctx, bob.id, "g"))
		require.NoError(t, n0.Clients().Group("g").Send(ctx, "Msg", "to-group"))
		bob.expectString("to-group")

		require.NoError(t, n0.Clients().User("bob").Send(ctx, "Msg", "to-bob"))
		bob.expectString("to-bob")

		require.NoError(t, n1.Clients().All().Send(ctx, "Msg", "to-all"))
		ann.expectString("to-all")
		bob.expectString("to-all")

		require.NoError(t, n0.Clients().AllExcept(bob.id).Send(ctx, "Msg", "not-bob"))
		require.NoError(t, n0.Clients().Client(bob.id).Send(ctx, "Msg", "marker"))
		ann.expectString("not-bob")
		bob.expectString("marker", "an excepted connection got the message")

		require.NoError(t, n1.Clients().Client(ann.id).Send(ctx, "Msg", "to-ann"))
		ann.expectString("to-ann")

		got := make(chan int, 1)
		errs := make(chan error, 1)
		go func() {
			n, err := Invoke[int](ctx, n0.Clients().Client(bob.id), "Result", "q")
			got <- n
			errs <- err
		}()
		inv := bob.recv().(*protocol.Invocation)
		assert.Equal(t, "Result", inv.Target)
		bob.send(&protocol.Completion{InvocationID: inv.InvocationID, HasResult: true, Result: 42})
		assert.Equal(t, 42, <-got)
		require.NoError(t, <-errs, "a client result crosses nodes")

		require.NoError(t, n0.Groups().Remove(ctx, bob.id, "g"))
		require.NoError(t, n0.Clients().Group("g").Send(ctx, "Msg", "after-remove"))
		require.NoError(t, n0.Clients().Client(bob.id).Send(ctx, "Msg", "marker-2"))
		bob.expectString("marker-2", "a removed member got the group's message")

		require.ErrorIs(t, n0.Groups().Add(ctx, "nobody", "g"), ErrConnectionNotFound)
	})
}

// TestRedisRemoteCommandLatency measures remote group adds and removes
// acknowledged by the owning node, and adds for a connection no node owns,
// over Redis; the figures go to the log (speed is never asserted in tests;
// see also the benchmarks in backplane/redis).
func TestRedisRemoteCommandLatency(t *testing.T) {
	const rounds = 500
	srv := redistest.Start(t)
	nodes := redisCluster(t, 2, Config{}, nil, srv.Addr())
	c := dial(t, nodes[1].url, protocol.JSON{})
	ctx := context.Background()
	groups := nodes[0].srv.Groups()

	acks := make([]time.Duration, 0, 2*rounds)
	for i := range rounds {
		g := "g" + strconv.Itoa(i)
		start := time.Now()
		require.NoError(t, groups.Add(ctx, c.id, g))
		acks = append(acks, time.Since(start))
		start = time.Now()
		require.NoError(t, groups.Remove(ctx, c.id, g))
		acks = append(acks, time.Since(start))
	}
	unknown := make([]time.Duration, 0, rounds)
	for range rounds {
		start := time.Now()
		require.ErrorIs(t, groups.Add(ctx, "nobody", "g"), ErrConnectionNotFound)
		unknown = append(unknown, time.Since(start))
	}
	p := func(ds []time.Duration, q float64) time.Duration {
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[int(q*float64(len(s)-1))]
	}
	t.Logf("remote group add/remove ack over Redis: p50 %v, p99 %v, max %v (%d commands)",
		p(acks, 0.5), p(acks, 0.99), p(acks, 1), len(acks))
	t.Logf("group add for a connection no node owns: p50 %v, p99 %v, max %v (%d commands)",
		p(unknown, 0.5), p(unknown, 0.99), p(unknown, 1), len(unknown))
}

// TestRedisOutageUnderTraffic kills redis-server while node 0 keeps
// sending to a group with members on both nodes, keeps it down 3 s and
// restarts it on the same port: the members on node 0 keep receiving every
// message throughout, and the member on node 1 receives every message, the
// ones sent during the outage included, in order, once Redis is back.
func TestRedisOutageUnderTraffic(t *testing.T) {
	const before, during, after = 50, 50, 50
	srv := redistest.Start(t)
	nodes := redisCluster(t, 2, Config{}, nil, srv.Addr())
	ctx := context.Background()
	n0 := nodes[0].srv
	a, b := dial(t, nodes[0].url, protocol.JSON{}), dial(t, nodes[0].url, protocol.JSON{})
	c := dial(t, nodes[1].url, protocol.JSON{})
	for _, cl := range []*testClient{a, b, c} {
		require.NoError(t, n0.Groups().Add(ctx, cl.id, "g"))
	}
	send := func(from, n int) {
		for i := from; i < from+n; i++ {
			require.NoError(t, n0.Clients().Group("g").Send(ctx, "Msg", strconv.Itoa(i)))
		}
	}
	expect := func(cl *testClient, from, n int, who string) {
		for i := from; i < from+n; i++ {
			cl.expectString(strconv.Itoa(i), who)
		}
	}

	send(0, before)
	for _, cl := range []*testClient{a, b, c} {
		expect(cl, 0, before, "before the outage")
	}

	srv.Kill()
	send(before, during)
	// Local delivery does not wait for Redis.
	expect(a, before, during, "a member on the sending node, Redis down")
	expect(b, before, during, "a member on the sending node, Redis down")
	time.Sleep(3 * time.Second) // the outage itself
	srv.Restart()
	send(before+during, after)
	expect(a, before+during, after, "after the outage")
	expect(b, before+during, after, "after the outage")
	expect(c, before, during+after, "the other node: nothing sent during the outage is lost")
}
