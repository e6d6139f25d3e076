package presence_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/presence"
	"github.com/listhub/listhub/presence/presencetest"
)

var errDown = errors.New("store down")

// flakyStore is a MemoryStore whose Join and Leave fail while down; with
// applied, a failing Join is applied first (a reply lost on the way back).
type flakyStore struct {
	*presence.MemoryStore
	down, applied atomic.Bool
}

func (s *flakyStore) Join(ctx context.Context, e presence.Entry) (presence.Change, error) {
	if s.down.Load() {
		if s.applied.Load() {
			_, _ = s.MemoryStore.Join(ctx, e)
		}
		return presence.Change{}, errDown
	}
	return s.MemoryStore.Join(ctx, e)
}

func (s *flakyStore) Leave(ctx context.Context, topic, node string, ids []string, r presence.LeaveReason) (presence.Change, error) {
	if s.down.Load() {
		return presence.Change{}, errDown
	}
	return s.MemoryStore.Leave(ctx, topic, node, ids, r)
}

func (s *flakyStore) Beat(ctx context.Context, node string, now time.Time, register bool) error {
	if s.down.Load() {
		return errDown
	}
	return s.MemoryStore.Beat(ctx, node, now, register)
}

func (s *flakyStore) Reap(ctx context.Context, cutoff time.Time) ([]presence.Change, error) {
	if s.down.Load() {
		return nil, errDown
	}
	return s.MemoryStore.Reap(ctx, cutoff)
}

func (s *flakyStore) Refresh(ctx context.Context, topic, node string, refs []presence.Refresh, now time.Time) (presence.Change, error) {
	if s.down.Load() {
		return presence.Change{}, errDown
	}
	return s.MemoryStore.Refresh(ctx, topic, node, refs, now)
}

type events struct {
	mu  sync.Mutex
	evs []presence.Event
}

func (e *events) add(ev presence.Event) { e.mu.Lock(); e.evs = append(e.evs, ev); e.mu.Unlock() }
func (e *events) take() []presence.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	evs := e.evs
	e.evs = nil
	return evs
}

func newFlaky(t *testing.T) (*flakyStore, *presence.Tracker, *presencetest.Clock, *events) {
	store := &flakyStore{MemoryStore: presence.NewMemoryStore()}
	clock := presencetest.NewClock(time.Unix(1_800_000_000, 0))
	evs := &events{}
	tr, err := presence.NewTracker(store, presence.Options{
		Now: clock.Now, ManualTick: true, OnEvent: evs.add,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tr.Close(context.Background()) })
	return store, tr, clock, evs
}

func TestStoreFailures(t *testing.T) {
	ctx := t.Context()
	t.Run("LeaveRetried", func(t *testing.T) {
		store, tr, clock, evs := newFlaky(t)
		require.NoError(t, tr.Join(ctx, "list", "alice", "c1", nil))
		evs.take()
		store.down.Store(true)
		require.ErrorIs(t, tr.Leave(ctx, "list", "c1"), errDown, "the failure is reported")
		clock.Advance(time.Second)
		require.Error(t, tr.Tick(ctx), "the retry fails while the store is down")
		assert.Empty(t, evs.take())

		store.down.Store(false)
		clock.Advance(time.Second)
		require.NoError(t, tr.Tick(ctx))
		evs2 := evs.take()
		require.Len(t, evs2, 1, "the leave is retried once the store is back")
		assert.Equal(t, presence.Left, evs2[0].Kind)
		assert.Equal(t, presence.Explicit, evs2[0].Reason)
	})
	t.Run("JoinAppliedThenFailed", func(t *testing.T) {
		store, tr, clock, evs := newFlaky(t)
		store.down.Store(true)
		store.applied.Store(true)
		require.ErrorIs(t, tr.Join(ctx, "list", "alice", "c1", nil), errDown)
		store.down.Store(false)
		clock.Advance(time.Second)
		require.NoError(t, tr.Tick(ctx))
		snap, err := tr.Snapshot(ctx, "list")
		require.NoError(t, err)
		assert.Empty(t, snap.Members, "no ghost of the failed join")
		evs.take()
	})
	t.Run("RejoinCancelsRetry", func(t *testing.T) {
		store, tr, clock, evs := newFlaky(t)
		require.NoError(t, tr.Join(ctx, "list", "alice", "c1", nil))
		store.down.Store(true)
		require.Error(t, tr.Leave(ctx, "list", "c1"))
		store.down.Store(false)
		require.NoError(t, tr.Join(ctx, "list", "alice", "c1", nil))
		clock.Advance(time.Second)
		require.NoError(t, tr.Tick(ctx))
		snap, err := tr.Snapshot(ctx, "list")
		require.NoError(t, err)
		assert.Len(t, snap.Members, 1, "the retried leave must not remove the connection that joined again")
		assert.Len(t, evs.take(), 1, "only the first Joined")
	})
}

func TestOnEventPanic(t *testing.T) {
	ctx := t.Context()
	calls := 0
	tr, err := presence.NewTracker(presence.NewMemoryStore(), presence.Options{
		ManualTick: true,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnEvent:    func(presence.Event) { calls++; panic("boom") },
	})
	require.NoError(t, err)
	defer tr.Close(context.Background())
	require.NoError(t, tr.Join(ctx, "list", "alice", "c1", nil))
	require.NoError(t, tr.Join(ctx, "list", "bob", "c2", nil))
	assert.Equal(t, 2, calls, "a panicking OnEvent is contained and called again for the next event")
}

func TestInvalidArguments(t *testing.T) {
	ctx := t.Context()
	_, err := presence.NewTracker(nil, presence.Options{})
	require.ErrorIs(t, err, presence.ErrInvalid)
	for _, o := range []presence.Options{
		{NodeID: "a\nb"},
		{Timeout: -time.Second},
		{TickInterval: -time.Second},
		{DeadAfter: time.Second, BeatInterval: time.Second},
	} {
		_, err = presence.NewTracker(presence.NewMemoryStore(), o)
		require.ErrorIs(t, err, presence.ErrInvalid, "%+v", o)
	}
	tr, err := presence.NewTracker(presence.NewMemoryStore(), presence.Options{ManualTick: true})
	require.NoError(t, err)
	for _, args := range [][3]string{{"", "u", "c"}, {"t", "", "c"}, {"t", "u", ""}} {
		assert.ErrorIs(t, tr.Join(ctx, args[0], args[1], args[2], nil), presence.ErrInvalid)
	}
	tr.Heartbeat("unknown", "c")                      // ignored
	require.NoError(t, tr.Leave(ctx, "unknown", "c")) // ignored
	require.NoError(t, tr.Disconnect(ctx, "unknown")) // ignored
	require.NoError(t, tr.Close(ctx))
	require.NoError(t, tr.Close(ctx), "Close is idempotent")
	assert.ErrorIs(t, tr.Join(ctx, "t", "u", "c", nil), presence.ErrClosed)
	_, err = tr.Snapshot(ctx, "t")
	assert.ErrorIs(t, err, presence.ErrClosed)
	assert.ErrorIs(t, tr.Tick(ctx), presence.ErrClosed)
}

// TestStoreOutage: after the store was unreachable for longer than
// DeadAfter, every node's last beat is old; the nodes that are alive must
// not reap each other, while a node that really died meanwhile is reaped.
func TestStoreOutage(t *testing.T) {
	ctx := t.Context()
	store := &flakyStore{MemoryStore: presence.NewMemoryStore()}
	clock := presencetest.NewClock(time.Unix(1_800_000_000, 0))
	evs := &events{}
	trackers := make([]*presence.Tracker, 3)
	for i := range trackers {
		tr, err := presence.NewTracker(store, presence.Options{
			Now: clock.Now, ManualTick: true, OnEvent: evs.add,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		require.NoError(t, err)
		t.Cleanup(func() { _ = tr.Close(context.Background()) })
		trackers[i] = tr
	}
	for i, user := range []string{"alice", "bob", "carol"} {
		require.NoError(t, trackers[i].Join(ctx, "list", user, user+"-conn", nil))
	}
	run := func(d time.Duration, live int, wantErr bool) {
		for end := clock.Now().Add(d); clock.Now().Before(end); {
			clock.Advance(500 * time.Millisecond)
			for _, tr := range trackers[:live] {
				if err := tr.Tick(ctx); !wantErr {
					require.NoError(t, err)
				}
			}
		}
	}
	run(5*time.Second, 3, false)
	require.Len(t, evs.take(), 3)

	store.down.Store(true)
	run(10*time.Second, 2, true) // carol's node dies during the outage
	store.down.Store(false)
	run(2500*time.Millisecond, 2, false)
	assert.Empty(t, evs.take(), "no node reaps before every live node could beat again")
	run(3*time.Second, 2, false)
	got := evs.take()
	require.Len(t, got, 1, "the dead node is reaped, the live ones are not")
	assert.Equal(t, "carol", got[0].Member.UserID)
	assert.Equal(t, presence.NodeDied, got[0].Reason)
}
