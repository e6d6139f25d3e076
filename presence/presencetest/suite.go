// Package presencetest is the behaviour suite that every presence.Store
// passes, the in-memory one and those shared over a network alike, and the
// property test that runs trackers over a store against a simple model.
//
// Every test runs on a fake clock with manual ticks (presence.Options.Now and
// ManualTick), so timeouts of 45 s take no time and every outcome is exact.
// Each subtest names its topics after itself, so stores may share a server
// across subtests.
package presencetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/presence"
)

// NewStoresFunc returns n stores that share one state: for MemoryStore the
// same store n times, for Redis n clients of one server. It registers their
// cleanup with t.
type NewStoresFunc = func(t *testing.T, n int) []presence.Store

// Run runs the shared behaviour suite against a Store implementation: the
// store's contract step by step, trackers over it on a fake clock, and the
// property test.
func Run(t *testing.T, newStores NewStoresFunc) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, newStores NewStoresFunc)
	}{
		{"FirstJoinLastLeave", testFirstJoinLastLeave},
		{"SnapshotOnePerUser", testSnapshotOnePerUser},
		{"Versions", testVersions},
		{"LeaveOnlyOwnConnections", testLeaveOnlyOwnConnections},
		{"UserChangeOnConnection", testUserChangeOnConnection},
		{"RefreshAndLease", testRefreshAndLease},
		{"ReapDeadNode", testReapDeadNode},
		{"ReapClosedNode", testReapClosedNode},
		{"BeatAfterReap", testBeatAfterReap},
		{"ConcurrentFirstLast", testConcurrentFirstLast},
		{"ConcurrentReapers", testConcurrentReapers},
		{"TopicNames", testTopicNames},
		{"BigSnapshot", testBigSnapshot},
		{"InvalidAndCancelled", testInvalidAndCancelled},
		{"TrackerTimeout", testTrackerTimeout},
		{"TrackerGrace", testTrackerGrace},
		{"TrackerTabsAndNodes", testTrackerTabsAndNodes},
		{"TrackerNodeDeath", testTrackerNodeDeath},
		{"TrackerClose", testTrackerClose},
		{"TrackerDiff", testTrackerDiff},
		{"Property", testProperty},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, func(t *testing.T, n int) []presence.Store {
				t.Helper()
				stores := newStores(t, n)
				require.Len(t, stores, n, "newStores returned the wrong number of stores")
				return stores
			})
		})
	}
}

// topic returns a topic name private to the running subtest.
func topic(t *testing.T, name string) string { return t.Name() + "/" + name }

// t0 is the fake clock's start: a round second, so that ticks fall on whole
// multiples of the tick interval.
var t0 = time.Unix(1_800_000_000, 0)

func entry(topic, conn, user, node string, at time.Time) presence.Entry {
	return presence.Entry{
		Topic: topic, ConnID: conn, UserID: user, Node: node,
		Meta:   map[string]string{"displayName": "User " + user},
		SeenAt: at, ExpiresAt: at.Add(time.Hour),
	}
}

func userIDs(ms []presence.Member) []string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.UserID
	}
	return ids
}

func register(t *testing.T, s presence.Store, nodes ...string) {
	for _, n := range nodes {
		require.NoError(t, s.Beat(t.Context(), n, t0, true))
	}
}

func testFirstJoinLastLeave(t *testing.T, newStores NewStoresFunc) {
	ctx := t.Context()
	s := newStores(t, 1)[0]
	tp := topic(t, "list")
	register(t, s, "n1")

	ch, err := s.Join(ctx, entry(tp, "c1", "alice", "n1", t0))
	require.NoError(t, err)
	require.Len(t, ch.Joined, 1, "the first connection is a join")
	assert.Equal(t, presence.Member{UserID: "alice", Meta: map[string]string{"displayName": "User alice"}, JoinedAt: t0, LastSeenAt: t0}, normalize(ch.Joined[0]))
	assert.Equal(t, 1, ch.Members)

	ch, err = s.Join(ctx, entry(tp, "c2", "alice", "n1", t0.Add(time.Second)))
	require.NoError(t, err)
	assert.Empty(t, ch.Joined, "a second tab is no join")
	ch, err = s.Join(ctx, entry(tp, "c2", "alice", "n1", t0.Add(2*time.Second)))
	require.NoError(t, err)
	assert.Empty(t, ch.Joined, "joining again is no join")

	ch, err = s.Leave(ctx, tp, "n1", []string{"c1"}, presence.Explicit)
	require.NoError(t, err)
	assert.Empty(t, ch.Left, "a user with another tab has not left")
	assert.Equal(t, 1, ch.Members)

	ch, err = s.Leave(ctx, tp, "n1", []string{"c2", "unknown"}, presence.Explicit)
	require.NoError(t, err)
	require.Len(t, ch.Left, 1, "the last tab's leave is the user's")
	assert.Equal(t, "alice", ch.Left[0].UserID)
	assert.Equal(t, "User alice", ch.Left[0].Meta["displayName"])
	assert.Equal(t, t0, normalize(ch.Left[0]).JoinedAt)
	assert.Equal(t, presence.Explicit, ch.Reason)
	assert.Equal(t, 0, ch.Members)

	ch, err = s.Leave(ctx, tp, "n1", []string{"c2"}, presence.Explicit)
	require.NoError(t, err)
	assert.Empty(t, ch.Left, "leaving twice is no second leave")
}

// normalize drops the monotonic and location parts of a member's times, so
// members from any store compare equal.
func normalize(m presence.Member) presence.Member {
	m.JoinedAt = time.Unix(0, m.JoinedAt.UnixNano())
	m.LastSeenAt = time.Unix(0, m.LastSeenAt.UnixNano())
	return m
}

func testSnapshotOnePerUser(t *testing.T, newStores NewStoresFunc) {
	ctx := t.Context()
	stores := newStores(t, 2)
	tp := topic(t, "list")
	register(t, stores[0], "n1", "n2")

	joins := []presence.Entry{
		entry(tp, "c1", "bob", "n1", t0),
		entry(tp, "c2", "alice", "n2", t0), // same JoinedAt as bob: ordered by id
		entry(tp, "c3", "carol", "n1", t0.Add(time.Second)),
		entry(tp, "c4", "alice", "n1", t0.Add(3*time.Second)), // alice's second tab, on the other node
	}
	joins[3].Meta = map[string]string{"displayName": "Alice B."}
	for i, e := range joins {
		_, err := stores[i%2].Join(ctx, e)
		require.NoError(t, err)
	}
	_, err := stores[0].Refresh(ctx, tp, "n1", []presence.Refresh{{ConnID: "c1", SeenAt: t0.Add(5 * time.Second), ExpiresAt: t0.Add(time.Hour)}}, t0.Add(5*time.Second))
	require.NoError(t, err)

	snap, err := stores[1].Snapshot(ctx, tp)
	require.NoError(t, err)
	assert.Equal(t, tp, snap.Topic)
	require.Equal(t, []string{"alice", "bob", "carol"}, userIDs(snap.Members), "one entry per user, by JoinedAt then id")
	alice, bob := normalize(snap.Members[0]), normalize(snap.Members[1])
	assert.Equal(t, map[string]string{"displayName": "Alice B."}, alice.Meta, "metadata of the latest join")
	assert.Equal(t, t0, alice.JoinedAt, "joined with the first connection")
	assert.Equal(t, t0.Add(3*time.Second), alice.LastSeenAt, "the latest of the user's connections")
	assert.Equal(t, t0.Add(5*time.Second), bob.LastSeenAt, "a refresh moves LastSeenAt")

	empty, err := stores[0].Snapshot(ctx, topic(t, "nobody"))
	require.NoError(t, err)
	assert.Empty(t, empty.Members)
}

func testVersions(t *testing.T, newStores NewStoresFunc) {
	ctx := t.Context()
	s := newStores(t, 1)[0]
	tp := topic(t, "list")
	register(t, s, "n1")
	version := func() uint64 {
		snap, err := s.Snapshot(ctx, tp)
		require.NoError(t, err)
		return snap.Version
	}
	steps := []struct {
		name string
		do   func() (presence.Change, error)
		bump bool
	}{
		{"first join", func() (presence.Change, error) { return s.Join(ctx, entry(tp, "c1", "alice", "n1", t0)) }, true},
		{"second tab", func() (presence.Change, error) { return s.Join(ctx, entry(tp, "c2", "alice", "n1", t0)) }, false},
		{"metadata change", func() (presence.Change, error) {
			e := entry(tp, "c2", "alice", "n1", t0)
			e.Meta = map[string]string{"displayName": "Al"}
			return s.Join(ctx, e)
		}, true},
		{"refresh", func() (presence.Change, error) {
			return s.Refresh(ctx, tp, "n1", []presence.Refresh{{ConnID: "c1", SeenAt: t0.Add(time.Second), ExpiresAt: t0.Add(time.Hour)}}, t0.Add(time.Second))
		}, false},
		{"other user", func() (presence.Change, error) { return s.Join(ctx, entry(tp, "c3", "bob", "n1", t0)) }, true},
		{"tab leaves", func() (presence.Change, error) { return s.Leave(ctx, tp, "n1", []string{"c1"}, presence.Explicit) }, false},
		{"last tab leaves", func() (presence.Change, error) { return s.Leave(ctx, tp, "n1", []string{"c2"}, presence.Explicit) }, true},
		{"last user leaves", func() (presence.Change, error) { return s.Leave(ctx, tp, "n1", []string{"c3"}, presence.Explicit) }, true},
		{"join after empty", func() (presence.Change, error) { return s.Join(ctx, entry(tp, "c4", "carol", "n1", t0)) }, true},
	}
	prev := version()
	for _, st := range steps {
		ch, err := st.do()
		require.NoError(t, err, st.name)
		v := version()
		if st.bump {
			assert.Greater(t, v, prev, "%s bumps the version", st.name)
		} else {
			assert.Equal(t, prev, v, "%s keeps the version", st.name)
		}
		assert.Equal(t, v, ch.Version, "%s: the change carries the version", st.name)
		prev = v
	}
}

func testLeaveOnlyOwnConnections(t *testing.T, newStores NewStoresFunc) {
	ctx := t.Context()
	s := newStores(t, 1)[0]
	tp := topic(t, "list")
	register(t, s, "n1", "n2")
	_, err := s.Join(ctx, entry(tp, "c1", "alice", "n1", t0))
	require.NoError(t, err)

	ch, err := s.Leave(ctx, tp, "n2", []string{"c1"}, presence.Explicit)
	require.NoError(t, err)
	assert.Empty(t, ch.Left, "a node removes only its own connections")

	// n2 takes the connection over (a reconnect landing elsewhere with the
	// same id): now n1's leave is stale and ignored.
	_, err = s.Join(ctx, entry(tp, "c1", "alice", "n2", t0.Add(time.Second)))
	require.NoError(t, err)
	ch, err = s.Leave(ctx, tp, "n1", []string{"c1"}, presence.Explicit)
	require.NoError(t, err)
	assert.Empty(t, ch.Left)
	ch, err = s.Leave(ctx, tp, "n2", []string{"c1"}, presence.Explicit)
	require.NoError(t, err)
	assert.Equal(t, []string{"alice"}, userIDs(ch.Left))
}

func testUserChangeOnConnection(t *testing.T, newStores NewStoresFunc) {
	ctx := t.Context()
	s := newStores(t, 1)[0]
	tp := topic(t, "list")
	register(t, s, "n1")
	_, err := s.Join(ctx, entry(tp, "c1", "alice", "n1", t0))
	require.NoError(t, err)
	ch, err := s.Join(ctx, entry(tp, "c1", "bob", "n1", t0))
	require.NoError(t, err)
	assert.Equal(t, []string{"alice"}, userIDs(ch.Left), "the connection's old user leaves")
	assert.Equal(t, []string{"bob"}, userIDs(ch.Joined))
	snap, err := s.Snapshot(ctx, tp)
	require.NoError(t, err)
	assert.Equal(t, []string{"bob"}, userIDs(snap.Members))
}

func testRefreshAndLease(t *testing.T, newStores NewStoresFunc) {
	ctx := t.Context()
	s := newStores(t, 1)[0]
	tp := topic(t, "list")
	register(t, s, "n1", "n2")
	for i, user := range []string{"alice", "bob", "carol"} {
		e := entry(tp, "c"+strconv.Itoa(i), user, "n1", t0)
		e.ExpiresAt = t0.Add(time.Minute)
		_, err := s.Join(ctx, e)
		require.NoError(t, err)
	}
	e := entry(tp, "c9", "bob", "n2", t0) // bob's other tab, on n2, with a short lease
	e.ExpiresAt = t0.Add(10 * time.Second)
	_, err := s.Join(ctx, e)
	require.NoError(t, err)

	// n1 renews alice's lease; n2 tries to renew n1's carol: ignored.
	_, err = s.Refresh(ctx, tp, "n1", []presence.Refresh{{ConnID: "c0", SeenAt: t0.Add(30 * time.Second), ExpiresAt: t0.Add(2 * time.Minute)}}, t0.Add(30*time.Second))
	require.NoError(t, err)
	ch, err := s.Refresh(ctx, tp, "n2", []presence.Refresh{{ConnID: "c2", SeenAt: t0.Add(30 * time.Second), ExpiresAt: t0.Add(2 * time.Minute)}}, t0.Add(30*time.Second))
	require.NoError(t, err)
	assert.Empty(t, ch.Left, "bob's n2 lease ran out but his n1 tab holds him")

	ch, err = s.Refresh(ctx, tp, "n1", nil, t0.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, []string{"bob", "carol"}, userIDs(ch.Left), "leases not after now are swept")
	assert.Equal(t, presence.TimedOut, ch.Reason)
	snap, err := s.Snapshot(ctx, tp)
	require.NoError(t, err)
	require.Equal(t, []string{"alice"}, userIDs(snap.Members))
	assert.Equal(t, t0.Add(30*time.Second), normalize(snap.Members[0]).LastSeenAt)
}

func testReapDeadNode(t *testing.T, newStores NewStoresFunc) {
	ctx := t.Context()
	s := newStores(t, 1)[0]
	register(t, s, "dead", "live")
	a, b := topic(t, "a"), topic(t, "b")
	joins := []presence.Entry{
		entry(a, "d1", "alice", "dead", t0),
		entry(a, "d2", "alice", "dead", t0), // two tabs on the dead node
		entry(a, "d3", "bob", "dead", t0),
		entry(a, "l1", "bob", "live", t0), // bob is on the live node too
		entry(b, "d4", "carol", "dead", t0),
		entry(b, "l2", "dave", "live", t0),
	}
	for _, e := range joins {
		_, err := s.Join(ctx, e)
		require.NoError(t, err)
	}
	require.NoError(t, s.Beat(ctx, "live", t0.Add(5*time.Second), false))

	changes, err := s.Reap(ctx, t0.Add(-time.Second))
	require.NoError(t, err)
	assert.Empty(t, changes, "nobody is dead yet")

	changes, err = s.Reap(ctx, t0.Add(2*time.Second))
	require.NoError(t, err)
	left := map[string][]string{}
	for _, ch := range changes {
		assert.Equal(t, presence.NodeDied, ch.Reason)
		left[ch.Topic] = append(left[ch.Topic], userIDs(ch.Left)...)
	}
	assert.Equal(t, map[string][]string{a: {"alice"}, b: {"carol"}}, left, "the dead node's users left, bob stays through the live node")

	changes, err = s.Reap(ctx, t0.Add(2*time.Second))
	require.NoError(t, err)
	assert.Empty(t, changes, "reaping is idempotent")
	snap, err := s.Snapshot(ctx, a)
	require.NoError(t, err)
	assert.Equal(t, []string{"bob"}, userIDs(snap.Members))
}

func testReapClosedNode(t *testing.T, newStores NewStoresFunc) {
	ctx := t.Context()
	s := newStores(t, 1)[0]
	tp := topic(t, "list")
	register(t, s, "closing")
	_, err := s.Join(ctx, entry(tp, "c1", "alice", "closing", t0))
	require.NoError(t, err)
	require.NoError(t, s.CloseNode(ctx, "closing", t0.Add(5*time.Second)))

	changes, err := s.Reap(ctx, t0.Add(4*time.Second))
	require.NoError(t, err)
	assert.Empty(t, changes, "a closing node is reaped only after its last beat")
	changes, err = s.Reap(ctx, t0.Add(5*time.Second))
	require.NoError(t, err)
	require.Len(t, changes, 1)
	assert.Equal(t, presence.Disconnected, changes[0].Reason, "a graceful shutdown is a disconnect, not a death")
	assert.Equal(t, []string{"alice"}, userIDs(changes[0].Left))
}

func testBeatAfterReap(t *testing.T, newStores NewStoresFunc) {
	ctx := t.Context()
	s := newStores(t, 1)[0]
	register(t, s, "n1")
	require.NoError(t, s.Beat(ctx, "n1", t0.Add(time.Second), false))
	_, err := s.Reap(ctx, t0.Add(time.Second))
	require.NoError(t, err)
	err = s.Beat(ctx, "n1", t0.Add(2*time.Second), false)
	require.ErrorIs(t, err, presence.ErrNodeGone, "a reaped node learns it is gone")
	require.ErrorIs(t, s.Beat(ctx, "never-registered", t0, false), presence.ErrNodeGone)
}

// testConcurrentFirstLast has many connections of one user, on several
// stores (nodes), join and leave at once: joins and leaves must pair up,
// whatever the interleaving.
func testConcurrentFirstLast(t *testing.T, newStores NewStoresFunc) {
	ctx := t.Context()
	stores := newStores(t, 3)
	tp := topic(t, "list")
	register(t, stores[0], "n0", "n1", "n2")
	const workers, rounds = 6, 30
	var mu sync.Mutex
	joined, left := 0, 0
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			s, node, conn := stores[w%3], "n"+strconv.Itoa(w%3), "c"+strconv.Itoa(w)
			for range rounds {
				ch, err := s.Join(ctx, entry(tp, conn, "alice", node, t0))
				if !assert.NoError(t, err) {
					return
				}
				ch2, err := s.Leave(ctx, tp, node, []string{conn}, presence.Explicit)
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				joined += len(ch.Joined)
				left += len(ch2.Left)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, joined, left, "every join transition has exactly one leave")
	assert.GreaterOrEqual(t, joined, 1)
	snap, err := stores[0].Snapshot(ctx, tp)
	require.NoError(t, err)
	assert.Empty(t, snap.Members)
}

func testConcurrentReapers(t *testing.T, newStores NewStoresFunc) {
	ctx := t.Context()
	stores := newStores(t, 3)
	register(t, stores[0], "dead")
	const topics, users = 10, 20
	for i := range topics {
		for u := range users {
			_, err := stores[0].Join(ctx, entry(topic(t, strconv.Itoa(i)), fmt.Sprintf("c%d-%d", i, u), "u"+strconv.Itoa(u), "dead", t0))
			require.NoError(t, err)
		}
	}
	var mu sync.Mutex
	count := map[string]int{}
	var wg sync.WaitGroup
	for _, s := range stores {
		wg.Go(func() {
			changes, err := s.Reap(ctx, t0.Add(time.Second))
			assert.NoError(t, err)
			mu.Lock()
			defer mu.Unlock()
			for _, ch := range changes {
				for _, m := range ch.Left {
					count[ch.Topic+"|"+m.UserID]++
				}
			}
		})
	}
	wg.Wait()
	require.Len(t, count, topics*users, "every user of the dead node left")
	for k, n := range count {
		assert.Equal(t, 1, n, "%s left exactly once across the reapers", k)
	}
}

func testTopicNames(t *testing.T, newStores NewStoresFunc) {
	ctx := t.Context()
	s := newStores(t, 1)[0]
	register(t, s, "n1")
	for i, name := range []string{"{", "}", "{}", "}{", "a{b}c", "list:42", "ünïcode ✓", "with space", "\x00bin\xff"} {
		tp := topic(t, name)
		_, err := s.Join(ctx, entry(tp, "c"+strconv.Itoa(i), "alice", "n1", t0))
		require.NoError(t, err, "topic %q", name)
		snap, err := s.Snapshot(ctx, tp)
		require.NoError(t, err)
		assert.Equal(t, []string{"alice"}, userIDs(snap.Members), "topic %q", name)
		assert.Equal(t, tp, snap.Topic)
	}
	changes, err := s.Reap(ctx, t0)
	require.NoError(t, err)
	assert.Len(t, changes, 9, "a reap reaches every topic, whatever its name")
}

func testBigSnapshot(t *testing.T, newStores NewStoresFunc) {
	ctx := t.Context()
	s := newStores(t, 1)[0]
	tp := topic(t, "list")
	register(t, s, "n1")
	const users = 1000
	for u := range users {
		_, err := s.Join(ctx, entry(tp, "c"+strconv.Itoa(u), fmt.Sprintf("u%04d", u), "n1", t0))
		require.NoError(t, err)
	}
	snap, err := s.Snapshot(ctx, tp)
	require.NoError(t, err)
	require.Len(t, snap.Members, users)
	assert.Equal(t, "u0000", snap.Members[0].UserID)
	assert.Equal(t, "u0999", snap.Members[users-1].UserID)
}

func testInvalidAndCancelled(t *testing.T, newStores NewStoresFunc) {
	s := newStores(t, 1)[0]
	tp := topic(t, "list")
	for _, e := range []presence.Entry{
		entry("", "c1", "alice", "n1", t0),
		entry(tp, "", "alice", "n1", t0),
		entry(tp, "c1", "", "n1", t0),
		entry(tp, "c1", "alice", "", t0),
	} {
		_, err := s.Join(t.Context(), e)
		assert.ErrorIs(t, err, presence.ErrInvalid, "%+v", e)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.Join(ctx, entry(tp, "c1", "alice", "n1", t0))
	assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
	_, err = s.Snapshot(ctx, tp)
	assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
}
