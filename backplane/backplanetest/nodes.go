package backplanetest

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/backplane"
)

// Killer is implemented by nodes that a test can make die without a graceful
// close, as a crashed process would (backplane.Memory does). The suite's
// WatchNodesKilled case runs only for nodes that implement it; a network
// implementation can wrap its test nodes to stop their heartbeats without
// saying goodbye.
type Killer interface {
	Kill()
}

// goneRecorder collects what one WatchNodes reports.
type goneRecorder struct {
	mu   sync.Mutex
	gone []backplane.NodeID
}

func (r *goneRecorder) watch(id backplane.NodeID) {
	r.mu.Lock()
	r.gone = append(r.gone, id)
	r.mu.Unlock()
}

// count reports how often id was reported gone. Other subtests' nodes may
// be reported too (a network backplane's nodes share a server), so the
// suite only ever counts its own.
func (r *goneRecorder) count(id backplane.NodeID) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, g := range r.gone {
		if g == id {
			n++
		}
	}
	return n
}

func liveNodes(t *testing.T, node backplane.Backplane) []backplane.NodeID {
	t.Helper()
	ids, err := node.LiveNodes(t.Context())
	require.NoError(t, err)
	return ids
}

// isLive reports whether node currently lists id as alive.
func isLive(t *testing.T, node backplane.Backplane, id backplane.NodeID) bool {
	return slices.Contains(liveNodes(t, node), id)
}

func testNodeIDsUnique(t *testing.T, newNodes NewNodesFunc) {
	nodes := append(newNodes(t, 3), newNodes(t, 2)...)
	seen := map[backplane.NodeID]bool{}
	for i, node := range nodes {
		id := node.NodeID()
		assert.True(t, backplane.ValidNodeID(id), "node %d: %q is not a valid node id", i, id)
		assert.False(t, strings.ContainsAny(string(id), " {}"), "node %d: %q", i, id)
		assert.False(t, seen[id], "node %d: id %q is not unique", i, id)
		seen[id] = true
		assert.Equal(t, id, node.NodeID(), "a node's id never changes")
	}
	// A closed node is gone for good: nodes made after it are new nodes.
	closedID := nodes[0].NodeID()
	require.NoError(t, nodes[0].Close())
	for _, node := range newNodes(t, 2) {
		assert.NotEqual(t, closedID, node.NodeID(), "a new node reused a closed node's id")
	}
}

func testLiveNodes(t *testing.T, newNodes NewNodesFunc) {
	nodes := newNodes(t, 3)
	for i, node := range nodes {
		waitFor(t, func() bool {
			live := liveNodes(t, node)
			for _, other := range nodes {
				if !slices.Contains(live, other.NodeID()) {
					return false
				}
			}
			return true
		}, "node %d does not list every live node", i)
	}

	gone := nodes[1].NodeID()
	require.NoError(t, nodes[1].Close())
	_, err := nodes[1].LiveNodes(t.Context())
	require.ErrorIs(t, err, backplane.ErrClosed)
	for _, i := range []int{0, 2} {
		waitFor(t, func() bool { return !isLive(t, nodes[i], gone) }, "node %d still lists the closed node", i)
		assert.True(t, isLive(t, nodes[i], nodes[i].NodeID()), "node %d does not list itself", i)
		assert.True(t, isLive(t, nodes[i], nodes[2-i].NodeID()), "node %d lost a live node", i)
	}
}

func testWatchNodesClosed(t *testing.T, newNodes NewNodesFunc) {
	nodes := newNodes(t, 4)
	watchers := []*goneRecorder{{}, {}}
	for i, w := range watchers {
		stop := nodes[i].WatchNodes(w.watch)
		t.Cleanup(stop)
	}

	closed := nodes[2].NodeID()
	require.NoError(t, nodes[2].Close())
	require.NoError(t, nodes[2].Close(), "second Close")
	for i, w := range watchers {
		waitFor(t, func() bool { return w.count(closed) > 0 }, "watcher %d did not learn of the closed node", i)
	}
	// The watching node itself closes: the other watcher learns of it; its
	// own watch ends without reporting itself.
	self := nodes[0].NodeID()
	require.NoError(t, nodes[0].Close())
	waitFor(t, func() bool { return watchers[1].count(self) > 0 }, "watcher 1 did not learn of node 0")
	settle()
	for i, w := range watchers {
		assert.Equal(t, 1, w.count(closed), "watcher %d: a closed node is reported exactly once", i)
		assert.Zero(t, w.count(nodes[3].NodeID()), "watcher %d: a live node was reported gone", i)
		assert.Zero(t, w.count(nodes[1].NodeID()), "watcher %d: a live node was reported gone", i)
	}
	assert.Zero(t, watchers[0].count(self), "a node is never reported to its own watchers")
	assert.Equal(t, 1, watchers[1].count(self))
}

func testWatchNodesKilled(t *testing.T, newNodes NewNodesFunc) {
	nodes := newNodes(t, 3)
	victim, ok := nodes[2].(Killer)
	if !ok {
		t.Skipf("%T does not implement backplanetest.Killer", nodes[2])
	}
	w := &goneRecorder{}
	t.Cleanup(nodes[0].WatchNodes(w.watch))
	killed := nodes[2].NodeID()
	waitFor(t, func() bool { return isLive(t, nodes[0], killed) }, "the node to kill never showed up alive")

	victim.Kill()
	// A network backplane notices a killed node by its liveness rule, which
	// may take a few seconds.
	require.Eventually(t, func() bool { return w.count(killed) > 0 }, bulkWaitTimeout, tick, "the killed node was not reported gone")
	assert.False(t, isLive(t, nodes[0], killed), "a node reported gone is still listed alive")
	settle()
	assert.Equal(t, 1, w.count(killed), "a killed node is reported exactly once")
	assert.Zero(t, w.count(nodes[1].NodeID()), "a live node was reported gone")

	// The survivors carry on.
	rec := newRecorder()
	ch := channel(t, "a")
	require.NoError(t, nodes[1].Subscribe(t.Context(), ch, rec.receive))
	require.NoError(t, nodes[0].Publish(t.Context(), ch, []byte("after")))
	waitFor(t, func() bool { return rec.has(ch, "after") })
}

func testWatchNodesStop(t *testing.T, newNodes NewNodesFunc) {
	nodes := newNodes(t, 4)
	stopped, kept := &goneRecorder{}, &goneRecorder{}
	stop := nodes[0].WatchNodes(stopped.watch)
	t.Cleanup(nodes[0].WatchNodes(kept.watch))

	first := nodes[2].NodeID()
	require.NoError(t, nodes[2].Close())
	waitFor(t, func() bool { return stopped.count(first) > 0 && kept.count(first) > 0 })
	stop()
	stop() // idempotent

	second := nodes[3].NodeID()
	require.NoError(t, nodes[3].Close())
	waitFor(t, func() bool { return kept.count(second) > 0 })
	settle()
	assert.Zero(t, stopped.count(second), "a stopped watch was called")
	assert.Equal(t, 1, stopped.count(first))

	// A watch on a closed node is a no-op.
	require.NoError(t, nodes[1].Close())
	nodes[1].WatchNodes(func(backplane.NodeID) { t.Error("watch on a closed node called") })()
}
