package backplane_test

import (
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/listhub/listhub/backplane"
	"github.com/listhub/listhub/backplane/backplanetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// memoryNodes returns n nodes of a new bus, closed when the test ends.
func memoryNodes(t testing.TB, n int) []*backplane.Memory {
	bus := backplane.NewMemoryBus()
	nodes := make([]*backplane.Memory, n)
	for i := range nodes {
		nodes[i] = bus.Node()
		t.Cleanup(func() { assert.NoError(t, nodes[i].Close()) })
	}
	return nodes
}

func TestMemory(t *testing.T) {
	backplanetest.Run(t, func(t *testing.T, n int) []backplane.Backplane {
		nodes := make([]backplane.Backplane, n)
		for i, node := range memoryNodes(t, n) {
			nodes[i] = node
		}
		return nodes
	})
}

func TestNewMemoryDeliversToItself(t *testing.T) {
	ctx := t.Context()
	node := backplane.NewMemory()
	defer node.Close()
	var got []string
	require.NoError(t, node.Subscribe(ctx, "a", func(_ string, p []byte) { got = append(got, string(p)) }))
	require.NoError(t, node.Publish(ctx, "a", []byte("m")))
	// Delivery is synchronous: no waiting.
	require.Equal(t, []string{"m"}, got)
}

func TestMemoryBusesAreIsolated(t *testing.T) {
	ctx := t.Context()
	a, b := backplane.NewMemory(), backplane.NewMemory()
	defer a.Close()
	defer b.Close()
	var calls atomic.Int64
	require.NoError(t, b.Subscribe(ctx, "a", func(string, []byte) { calls.Add(1) }))
	require.NoError(t, a.Publish(ctx, "a", []byte("m")))
	require.Zero(t, calls.Load(), "nodes of different buses must not reach each other")
}

func TestMemoryPublishSharesPayload(t *testing.T) {
	ctx := t.Context()
	nodes := memoryNodes(t, 2)
	var got [][]byte
	for _, node := range nodes {
		require.NoError(t, node.Subscribe(ctx, "a", func(_ string, p []byte) { got = append(got, p) }))
	}
	payload := []byte("shared")
	require.NoError(t, nodes[0].Publish(ctx, "a", payload))
	require.Len(t, got, 2)
	for _, p := range got {
		require.Same(t, &payload[0], &p[0], "Memory hands every receiver the publisher's slice")
	}
}

// TestMemoryOneOrderPerChannel checks the promise Memory makes beyond the
// Backplane contract: with several publishers on one channel, every node sees
// the same sequence.
func TestMemoryOneOrderPerChannel(t *testing.T) {
	const perPub = 2000
	ctx := t.Context()
	nodes := memoryNodes(t, 3)
	seen := make([][]string, len(nodes))
	for i, node := range nodes {
		// Deliveries on one channel are serialised, so no lock is needed.
		require.NoError(t, node.Subscribe(ctx, "a", func(_ string, p []byte) { seen[i] = append(seen[i], string(p)) }))
	}
	var wg sync.WaitGroup
	for p, node := range nodes {
		wg.Go(func() {
			for i := range perPub {
				if !assert.NoError(t, node.Publish(ctx, "a", []byte(strconv.Itoa(p)+"-"+strconv.Itoa(i)))) {
					return
				}
			}
		})
	}
	wg.Wait()
	require.Len(t, seen[0], len(nodes)*perPub)
	for i := 1; i < len(nodes); i++ {
		require.Equal(t, seen[0], seen[i], "node %d saw another order than node 0", i)
	}
}

// TestMemorySubscribeWhileChannelEmpties races Subscribe against the
// Unsubscribe that removes a channel's last subscriber: the new subscription
// must land on the channel publishers use, and receive every message whose
// Publish started after Subscribe returned.
func TestMemorySubscribeWhileChannelEmpties(t *testing.T) {
	ctx := t.Context()
	for range 30 {
		nodes := memoryNodes(t, 3)
		churner, publisher, late := nodes[0], nodes[1], nodes[2]

		stop := make(chan struct{})
		var started atomic.Int64
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if !assert.NoError(t, churner.Subscribe(ctx, "a", func(string, []byte) {})) ||
					!assert.NoError(t, churner.Unsubscribe(ctx, "a")) {
					return
				}
			}
		})
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				seq := started.Add(1)
				if !assert.NoError(t, publisher.Publish(ctx, "a", []byte(strconv.FormatInt(seq, 10)))) {
					return
				}
			}
		})

		var got []int64
		require.NoError(t, late.Subscribe(ctx, "a", func(_ string, p []byte) {
			n, err := strconv.ParseInt(string(p), 10, 64)
			if assert.NoError(t, err) {
				got = append(got, n)
			}
		}))
		after := started.Load()
		for started.Load() < after+50 {
			runtime.Gosched() // let the publisher run past the subscription
		}
		require.NoError(t, late.Unsubscribe(ctx, "a"))
		close(stop)
		wg.Wait()

		require.NotEmpty(t, got, "the subscription was lost")
		require.LessOrEqual(t, got[0], after+1, "messages published after Subscribe returned were lost")
		for i := 1; i < len(got); i++ {
			require.Equal(t, got[i-1]+1, got[i], "gap or reordering in the sequence")
		}
	}
}

func TestMemoryReceiverPanicReleasesChannel(t *testing.T) {
	ctx := t.Context()
	node := backplane.NewMemory()
	defer node.Close()
	require.NoError(t, node.Subscribe(ctx, "a", func(string, []byte) { panic("receiver failed") }))
	require.PanicsWithValue(t, "receiver failed", func() { _ = node.Publish(ctx, "a", nil) })
	// The channel is not left locked.
	require.NoError(t, node.Unsubscribe(ctx, "a"))
	require.NoError(t, node.Publish(ctx, "a", nil))
}

func TestMemorySubscribeNilReceiverPanics(t *testing.T) {
	node := backplane.NewMemory()
	defer node.Close()
	require.Panics(t, func() { _ = node.Subscribe(t.Context(), "a", nil) })
}

func BenchmarkMemoryPublish(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run("nodes="+strconv.Itoa(n), func(b *testing.B) {
			ctx := b.Context()
			nodes := memoryNodes(b, n)
			var delivered int
			for _, node := range nodes {
				require.NoError(b, node.Subscribe(ctx, "group:bench", func(string, []byte) { delivered++ }))
			}
			payload := []byte(`{"type":1,"target":"send","arguments":["hello"]}` + "\x1e")
			b.ReportAllocs()
			for b.Loop() {
				if err := nodes[0].Publish(ctx, "group:bench", payload); err != nil {
					b.Fatal(err)
				}
			}
			if delivered < n {
				b.Fatalf("delivered %d messages, want at least %d", delivered, n)
			}
		})
	}
}

// BenchmarkMemoryPublishParallel publishes on a different channel from each
// goroutine: the channels must not contend on a shared lock.
func BenchmarkMemoryPublishParallel(b *testing.B) {
	ctx := b.Context()
	nodes := memoryNodes(b, 2)
	var next atomic.Int64
	payload := []byte("m")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ch := "ch" + strconv.FormatInt(next.Add(1), 10)
		var delivered int
		for _, node := range nodes {
			if err := node.Subscribe(ctx, ch, func(string, []byte) { delivered++ }); err != nil {
				b.Error(err)
				return
			}
		}
		for pb.Next() {
			if err := nodes[0].Publish(ctx, ch, payload); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func TestMemoryBusKill(t *testing.T) {
	bus := backplane.NewMemoryBus()
	a, b := bus.Node(), bus.Node()
	defer a.Close()
	defer b.Close()
	gone := make(chan backplane.NodeID, 2)
	defer a.WatchNodes(func(id backplane.NodeID) { gone <- id })()

	// The bus knows its nodes at once.
	live, err := a.LiveNodes(t.Context())
	require.NoError(t, err)
	require.ElementsMatch(t, []backplane.NodeID{a.NodeID(), b.NodeID()}, live)

	require.True(t, bus.Kill(b.NodeID()))
	require.False(t, bus.Kill(b.NodeID()), "a dead node cannot be killed again")
	require.Equal(t, b.NodeID(), <-gone)
	live, err = a.LiveNodes(t.Context())
	require.NoError(t, err)
	require.Equal(t, []backplane.NodeID{a.NodeID()}, live)
	require.ErrorIs(t, b.Publish(t.Context(), "a", nil), backplane.ErrClosed, "a killed node is closed")
	require.NoError(t, b.Close(), "Close after Kill")
	require.Empty(t, gone, "a node is reported gone once")
}

func TestMemoryNodeIDsNameTheirBus(t *testing.T) {
	a, b := backplane.NewMemory(), backplane.NewMemory()
	defer a.Close()
	defer b.Close()
	require.NotEqual(t, a.NodeID(), b.NodeID(), "nodes of different buses have different ids")
	require.True(t, backplane.ValidNodeID(a.NodeID()))
	for _, bad := range []backplane.NodeID{"", "a b", "a{b}", "a\n", backplane.NodeID(strings.Repeat("x", 201))} {
		require.False(t, backplane.ValidNodeID(bad), "%q", bad)
	}
}
