// Package backplanetest is the behaviour suite that every implementation of
// backplane.Backplane passes, the in-memory one and those that cross a
// network alike.
//
// The suite assumes nothing about where receivers run: deliveries are
// collected in a thread-safe recorder and awaited with a deadline of a few
// seconds. It never asserts speed. To show that something did not arrive, it
// waits until a later message did (a marker, or the same message at a node
// that should get it) and then a short moment more.
package backplanetest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/backplane"
)

const (
	// waitTimeout bounds the wait for a message that should arrive. It is a
	// deadline against hangs, not a speed requirement.
	waitTimeout = 5 * time.Second
	// bulkWaitTimeout bounds the wait for the bulk tests' many messages.
	bulkWaitTimeout = 20 * time.Second
	tick            = 2 * time.Millisecond
	// settleDelay is how long the suite waits, after a later message has
	// arrived, before asserting that an earlier one never will.
	settleDelay = 20 * time.Millisecond
)

// NewNodesFunc returns n nodes that reach each other: for Memory, n nodes of
// one bus; for Redis, n clients of one server. It registers the nodes'
// cleanup with t.
type NewNodesFunc = func(t *testing.T, n int) []backplane.Backplane

// Run runs the shared behaviour suite against an implementation. newNodes
// returns n nodes that reach each other (for Memory: n nodes of one bus; for
// Redis: n clients of one redis-server); it registers its own cleanup.
//
// Every subtest calls newNodes afresh and names its channels after itself, so
// nodes may share a server across subtests.
func Run(t *testing.T, newNodes func(t *testing.T, n int) []backplane.Backplane) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, newNodes NewNodesFunc)
	}{
		{"DeliversToSelf", testDeliversToSelf},
		{"DeliversToOtherNodes", testDeliversToOtherNodes},
		{"OnlySubscribedNodesReceive", testOnlySubscribedNodesReceive},
		{"NothingAfterUnsubscribe", testNothingAfterUnsubscribe},
		{"NoCallAfterUnsubscribeReturns", testNoCallAfterUnsubscribeReturns},
		{"OrderOnOneChannel", testOrderOnOneChannel},
		{"ManyChannelsConcurrently", testManyChannelsConcurrently},
		{"AlreadySubscribed", testAlreadySubscribed},
		{"UnsubscribeUnknownIsNoop", testUnsubscribeUnknownIsNoop},
		{"Close", testClose},
		{"CancelledContext", testCancelledContext},
		{"NodeIDsUnique", testNodeIDsUnique},
		{"LiveNodes", testLiveNodes},
		{"WatchNodesClosed", testWatchNodesClosed},
		{"WatchNodesKilled", testWatchNodesKilled},
		{"WatchNodesStop", testWatchNodesStop},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, func(t *testing.T, n int) []backplane.Backplane {
				t.Helper()
				nodes := newNodes(t, n)
				require.Len(t, nodes, n, "newNodes returned the wrong number of nodes")
				return nodes
			})
		})
	}
}

// channel returns a channel name private to the running subtest.
func channel(t *testing.T, name string) string {
	return t.Name() + "/" + name
}

func waitFor(t *testing.T, cond func() bool, msgAndArgs ...any) {
	t.Helper()
	require.Eventually(t, cond, waitTimeout, tick, msgAndArgs...)
}

// settle waits briefly so that a message that should not arrive, and was
// published before one that did, has had its chance to.
func settle() {
	time.Sleep(settleDelay)
}

func testDeliversToSelf(t *testing.T, newNodes NewNodesFunc) {
	ctx := t.Context()
	node := newNodes(t, 1)[0]
	rec := newRecorder()
	ch := channel(t, "a")
	require.NoError(t, node.Subscribe(ctx, ch, rec.receive))

	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	payloads := [][]byte{[]byte("hello"), nil, binary}
	for _, p := range payloads {
		require.NoError(t, node.Publish(ctx, ch, p))
	}

	want := []string{"hello", "", string(binary)}
	waitFor(t, func() bool { return rec.count(ch) >= len(want) })
	settle()
	require.Equal(t, want, rec.get(ch), "payloads must arrive unchanged, once, in order")
}

func testDeliversToOtherNodes(t *testing.T, newNodes NewNodesFunc) {
	ctx := t.Context()
	nodes := newNodes(t, 3)
	recs := []*recorder{newRecorder(), newRecorder(), newRecorder()}
	ch := channel(t, "a")
	require.NoError(t, nodes[1].Subscribe(ctx, ch, recs[1].receive))
	require.NoError(t, nodes[2].Subscribe(ctx, ch, recs[2].receive))

	// A publisher need not subscribe to the channel it publishes on.
	require.NoError(t, nodes[0].Publish(ctx, ch, []byte("from-0")))
	waitFor(t, func() bool { return recs[1].has(ch, "from-0") && recs[2].has(ch, "from-0") })

	require.NoError(t, nodes[0].Subscribe(ctx, ch, recs[0].receive))
	require.NoError(t, nodes[2].Publish(ctx, ch, []byte("from-2")))
	waitFor(t, func() bool {
		return recs[0].has(ch, "from-2") && recs[1].has(ch, "from-2") && recs[2].has(ch, "from-2")
	})
	settle()
	assert.Equal(t, []string{"from-2"}, recs[0].get(ch))
	assert.Equal(t, []string{"from-0", "from-2"}, recs[1].get(ch))
	assert.Equal(t, []string{"from-0", "from-2"}, recs[2].get(ch))
}

func testOnlySubscribedNodesReceive(t *testing.T, newNodes NewNodesFunc) {
	ctx := t.Context()
	nodes := newNodes(t, 3)
	recs := []*recorder{newRecorder(), newRecorder(), newRecorder()}
	ch, marker := channel(t, "a"), channel(t, "marker")
	require.NoError(t, nodes[0].Subscribe(ctx, ch, recs[0].receive))
	require.NoError(t, nodes[1].Subscribe(ctx, ch, recs[1].receive))
	require.NoError(t, nodes[2].Subscribe(ctx, marker, recs[2].receive))

	require.NoError(t, nodes[0].Publish(ctx, ch, []byte("msg")))
	require.NoError(t, nodes[0].Publish(ctx, marker, []byte("marker")))
	waitFor(t, func() bool {
		return recs[0].has(ch, "msg") && recs[1].has(ch, "msg") && recs[2].has(marker, "marker")
	})
	settle()
	assert.Equal(t, []string{"msg"}, recs[0].get(ch))
	assert.Empty(t, recs[0].get(marker), "node 0 did not subscribe the marker channel")
	assert.Equal(t, []string{"msg"}, recs[1].get(ch))
	assert.Empty(t, recs[1].get(marker), "node 1 did not subscribe the marker channel")
	assert.Empty(t, recs[2].get(ch), "node 2 did not subscribe the channel")
	assert.Equal(t, []string{"marker"}, recs[2].get(marker))
}

func testNothingAfterUnsubscribe(t *testing.T, newNodes NewNodesFunc) {
	ctx := t.Context()
	nodes := newNodes(t, 2)
	recs := []*recorder{newRecorder(), newRecorder()}
	ch, marker := channel(t, "a"), channel(t, "marker")
	require.NoError(t, nodes[0].Subscribe(ctx, ch, recs[0].receive))
	require.NoError(t, nodes[0].Subscribe(ctx, marker, recs[0].receive))
	require.NoError(t, nodes[1].Subscribe(ctx, ch, recs[1].receive))

	require.NoError(t, nodes[1].Publish(ctx, ch, []byte("m1")))
	waitFor(t, func() bool { return recs[0].has(ch, "m1") && recs[1].has(ch, "m1") })

	require.NoError(t, nodes[0].Unsubscribe(ctx, ch))
	require.NoError(t, nodes[1].Publish(ctx, ch, []byte("m2")))
	require.NoError(t, nodes[1].Publish(ctx, marker, []byte("marker")))
	waitFor(t, func() bool { return recs[1].has(ch, "m2") && recs[0].has(marker, "marker") })
	settle()
	require.Equal(t, []string{"m1"}, recs[0].get(ch), "a message arrived after Unsubscribe")

	// Unsubscribing leaves the channel free to subscribe again.
	require.NoError(t, nodes[0].Subscribe(ctx, ch, recs[0].receive))
	require.NoError(t, nodes[1].Publish(ctx, ch, []byte("m3")))
	waitFor(t, func() bool { return recs[0].has(ch, "m3") })
	settle()
	assert.Equal(t, []string{"m1", "m3"}, recs[0].get(ch))
	assert.Equal(t, []string{"m1", "m2", "m3"}, recs[1].get(ch))
}

// testNoCallAfterUnsubscribeReturns unsubscribes while messages are in
// flight: a Receiver call that is running when Unsubscribe is called must be
// over when Unsubscribe returns, and none may start later.
func testNoCallAfterUnsubscribeReturns(t *testing.T, newNodes NewNodesFunc) {
	ctx := t.Context()
	nodes := newNodes(t, 2)
	pub, sub := nodes[0], nodes[1]
	ch := channel(t, "a")

	var unsubscribed atomic.Bool
	var received, late, witnessed atomic.Int64
	require.NoError(t, sub.Subscribe(ctx, ch, func(string, []byte) {
		received.Add(1)
		if unsubscribed.Load() {
			late.Add(1)
		}
	}))
	require.NoError(t, pub.Subscribe(ctx, ch, func(string, []byte) { witnessed.Add(1) }))

	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		payload := []byte("x")
		for published := int64(0); ; published++ {
			select {
			case <-stop:
				return
			default:
			}
			// Keep an asynchronous backplane from piling up a backlog.
			for published-witnessed.Load() > 1000 {
				select {
				case <-stop:
					return
				case <-time.After(time.Millisecond):
				}
			}
			if err := pub.Publish(ctx, ch, payload); err != nil {
				assert.NoError(t, err)
				return
			}
		}
	}()
	defer func() {
		close(stop)
		<-done
	}()

	waitFor(t, func() bool { return received.Load() >= 10 }, "no message arrived")
	require.NoError(t, sub.Unsubscribe(ctx, ch))
	unsubscribed.Store(true)
	after := witnessed.Load()
	waitFor(t, func() bool { return witnessed.Load() >= after+100 }, "publishing stalled")
	settle()
	require.Zero(t, late.Load(), "Receiver called after Unsubscribe returned")
}

func testOrderOnOneChannel(t *testing.T, newNodes NewNodesFunc) {
	const n = 10_000
	ctx := t.Context()
	nodes := newNodes(t, 3)
	recs := []*recorder{newRecorder(), newRecorder()}
	ch := channel(t, "a")
	require.NoError(t, nodes[0].Subscribe(ctx, ch, recs[0].receive))
	require.NoError(t, nodes[1].Subscribe(ctx, ch, recs[1].receive))

	want := make([]string, n)
	for i := range want {
		want[i] = strconv.Itoa(i)
		require.NoError(t, nodes[2].Publish(ctx, ch, []byte(want[i])))
	}
	require.Eventually(t, func() bool {
		return recs[0].count(ch) >= n && recs[1].count(ch) >= n
	}, bulkWaitTimeout, tick)
	settle()
	for i, rec := range recs {
		requireSameSequence(t, want, rec.get(ch), "node %d", i)
	}
}

// testManyChannelsConcurrently publishes on many channels at once, two
// publishers per channel, while other goroutines subscribe and unsubscribe
// unrelated channels. Each publisher's messages must arrive complete and in
// order on every channel at every node.
func testManyChannelsConcurrently(t *testing.T, newNodes NewNodesFunc) {
	const (
		numNodes    = 3
		numChannels = 8
		perPub      = 150
	)
	ctx := t.Context()
	nodes := newNodes(t, numNodes)
	recs := make([]*recorder, numNodes)
	channels := make([]string, numChannels)
	for i := range channels {
		channels[i] = channel(t, "ch"+strconv.Itoa(i))
	}

	// Subscribe concurrently: two goroutines per node, half the channels each.
	var wg sync.WaitGroup
	for i, node := range nodes {
		recs[i] = newRecorder()
		for half := range 2 {
			wg.Go(func() {
				for c := half; c < numChannels; c += 2 {
					assert.NoError(t, node.Subscribe(ctx, channels[c], recs[i].receive))
				}
			})
		}
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	stopChurn := make(chan struct{})
	var churn sync.WaitGroup
	for i, node := range nodes {
		churn.Go(func() {
			ch := channel(t, "churn"+strconv.Itoa(i))
			for {
				select {
				case <-stopChurn:
					return
				default:
				}
				if !assert.NoError(t, node.Subscribe(ctx, ch, func(string, []byte) {})) ||
					!assert.NoError(t, node.Publish(ctx, ch, []byte("churn"))) ||
					!assert.NoError(t, node.Unsubscribe(ctx, ch)) {
					return
				}
			}
		})
	}

	for c, ch := range channels {
		for p := range 2 {
			node := nodes[(c+p)%numNodes]
			wg.Go(func() {
				for i := range perPub {
					msg := fmt.Appendf(nil, "p%d-%d", p, i)
					if !assert.NoError(t, node.Publish(ctx, ch, msg)) {
						return
					}
				}
			})
		}
	}
	wg.Wait()
	require.Eventually(t, func() bool {
		for _, rec := range recs {
			for _, ch := range channels {
				if rec.count(ch) < 2*perPub {
					return false
				}
			}
		}
		return true
	}, bulkWaitTimeout, tick)
	close(stopChurn)
	churn.Wait()
	settle()

	for i, rec := range recs {
		for _, ch := range channels {
			got := rec.get(ch)
			require.Len(t, got, 2*perPub, "node %d, %s", i, ch)
			for p := range 2 {
				prefix := fmt.Sprintf("p%d-", p)
				var mine, want []string
				for _, m := range got {
					if strings.HasPrefix(m, prefix) {
						mine = append(mine, m)
					}
				}
				for j := range perPub {
					want = append(want, prefix+strconv.Itoa(j))
				}
				requireSameSequence(t, want, mine, "node %d, %s, publisher %d", i, ch, p)
			}
		}
	}
}

func testAlreadySubscribed(t *testing.T, newNodes NewNodesFunc) {
	ctx := t.Context()
	nodes := newNodes(t, 2)
	first, second, other := newRecorder(), newRecorder(), newRecorder()
	ch := channel(t, "a")
	require.NoError(t, nodes[0].Subscribe(ctx, ch, first.receive))
	require.ErrorIs(t, nodes[0].Subscribe(ctx, ch, second.receive), backplane.ErrAlreadySubscribed)
	// The limit is per node: another node subscribes the same channel freely.
	require.NoError(t, nodes[1].Subscribe(ctx, ch, other.receive))

	require.NoError(t, nodes[1].Publish(ctx, ch, []byte("m1")))
	waitFor(t, func() bool { return first.has(ch, "m1") && other.has(ch, "m1") })
	settle()
	assert.Equal(t, []string{"m1"}, first.get(ch), "the first Receiver keeps the subscription, once")
	assert.Empty(t, second.get(ch), "the rejected Receiver must not be called")

	require.NoError(t, nodes[0].Unsubscribe(ctx, ch))
	require.NoError(t, nodes[0].Subscribe(ctx, ch, second.receive))
	require.NoError(t, nodes[1].Publish(ctx, ch, []byte("m2")))
	waitFor(t, func() bool { return second.has(ch, "m2") && other.has(ch, "m2") })
	settle()
	assert.Equal(t, []string{"m1"}, first.get(ch))
	assert.Equal(t, []string{"m2"}, second.get(ch))
}

func testUnsubscribeUnknownIsNoop(t *testing.T, newNodes NewNodesFunc) {
	ctx := t.Context()
	node := newNodes(t, 1)[0]
	rec := newRecorder()
	ch := channel(t, "a")
	require.NoError(t, node.Unsubscribe(ctx, channel(t, "never-subscribed")))
	require.NoError(t, node.Subscribe(ctx, ch, rec.receive))
	require.NoError(t, node.Unsubscribe(ctx, ch))
	require.NoError(t, node.Unsubscribe(ctx, ch), "second Unsubscribe")

	require.NoError(t, node.Subscribe(ctx, ch, rec.receive))
	require.NoError(t, node.Publish(ctx, ch, []byte("m")))
	waitFor(t, func() bool { return rec.has(ch, "m") })
}

func testClose(t *testing.T, newNodes NewNodesFunc) {
	ctx := t.Context()
	nodes := newNodes(t, 2)
	closed, open := newRecorder(), newRecorder()
	ch := channel(t, "a")
	require.NoError(t, nodes[0].Subscribe(ctx, ch, closed.receive))
	require.NoError(t, nodes[1].Subscribe(ctx, ch, open.receive))

	require.NoError(t, nodes[0].Close())
	require.NoError(t, nodes[0].Close(), "second Close")
	require.ErrorIs(t, nodes[0].Publish(ctx, ch, []byte("x")), backplane.ErrClosed)
	require.ErrorIs(t, nodes[0].Subscribe(ctx, channel(t, "b"), closed.receive), backplane.ErrClosed)
	require.ErrorIs(t, nodes[0].Unsubscribe(ctx, ch), backplane.ErrClosed)
	require.ErrorIs(t, nodes[0].Unsubscribe(ctx, channel(t, "b")), backplane.ErrClosed)

	// The other nodes carry on; the closed node's subscriptions are gone.
	require.NoError(t, nodes[1].Publish(ctx, ch, []byte("m")))
	waitFor(t, func() bool { return open.has(ch, "m") })
	settle()
	assert.Empty(t, closed.get(ch), "a closed node received a message")
	assert.Equal(t, []string{"m"}, open.get(ch))
}

func testCancelledContext(t *testing.T, newNodes NewNodesFunc) {
	ctx := t.Context()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	nodes := newNodes(t, 2)
	recs := []*recorder{newRecorder(), newRecorder()}
	ch := channel(t, "a")

	require.ErrorIs(t, nodes[0].Subscribe(cancelled, ch, recs[0].receive), context.Canceled)
	// A failed Subscribe leaves the channel unsubscribed.
	require.NoError(t, nodes[0].Subscribe(ctx, ch, recs[0].receive))
	require.NoError(t, nodes[1].Subscribe(ctx, ch, recs[1].receive))

	require.ErrorIs(t, nodes[1].Publish(cancelled, ch, []byte("cancelled")), context.Canceled)
	require.NoError(t, nodes[1].Publish(ctx, ch, []byte("ok")))
	waitFor(t, func() bool { return recs[0].has(ch, "ok") && recs[1].has(ch, "ok") })
	settle()
	assert.Equal(t, []string{"ok"}, recs[0].get(ch), "a Publish with a cancelled context delivered")
	assert.Equal(t, []string{"ok"}, recs[1].get(ch), "a Publish with a cancelled context delivered")

	require.ErrorIs(t, nodes[0].Unsubscribe(cancelled, ch), context.Canceled)
	require.NoError(t, nodes[0].Unsubscribe(ctx, ch))
}

// requireSameSequence compares long message sequences and reports the first
// difference rather than a diff of thousands of lines.
func requireSameSequence(t *testing.T, want, got []string, format string, args ...any) {
	t.Helper()
	where := fmt.Sprintf(format, args...)
	for i := range min(len(want), len(got)) {
		if want[i] != got[i] {
			require.Failf(t, "messages out of order",
				"%s: at index %d: want %q, got %q", where, i, want[i], got[i])
		}
	}
	require.Len(t, got, len(want), where)
}
