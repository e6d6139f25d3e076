package presencetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/presence"
)

// Clock is a fake clock for trackers (presence.Options.Now).
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock stopped at start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Recorder collects the events of several trackers, with the clock's time
// of each.
type Recorder struct {
	mu     sync.Mutex
	clock  *Clock
	events []Recorded
}

// Recorded is an event and when (fake clock) it was reported.
type Recorded struct {
	presence.Event
	At time.Time
}

// NewRecorder returns a recorder stamping events with clock.
func NewRecorder(clock *Clock) *Recorder { return &Recorder{clock: clock} }

// OnEvent is the presence.Options.OnEvent to pass to the trackers.
func (r *Recorder) OnEvent(ev presence.Event) {
	r.mu.Lock()
	r.events = append(r.events, Recorded{Event: ev, At: r.clock.Now()})
	r.mu.Unlock()
}

// Take returns the events recorded since the last Take.
func (r *Recorder) Take() []Recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	evs := r.events
	r.events = nil
	return evs
}

// cluster is trackers over stores sharing a state, on one fake clock, with
// their events in one recorder.
type cluster struct {
	t        *testing.T
	clock    *Clock
	rec      *Recorder
	opts     presence.Options
	stores   []presence.Store
	trackers []*presence.Tracker // nil once killed
}

const tickInterval = 500 * time.Millisecond

func newCluster(t *testing.T, stores []presence.Store, opts presence.Options) *cluster {
	c := &cluster{t: t, clock: NewClock(t0), stores: stores}
	c.rec = NewRecorder(c.clock)
	opts.Now, opts.OnEvent, opts.ManualTick = c.clock.Now, c.rec.OnEvent, true
	if opts.TickInterval == 0 {
		opts.TickInterval = tickInterval
	}
	c.opts = opts
	for i := range stores {
		o := opts
		o.NodeID = "node" + string(rune('A'+i))
		tr, err := presence.NewTracker(stores[i], o)
		require.NoError(t, err)
		c.trackers = append(c.trackers, tr)
	}
	t.Cleanup(func() {
		for _, tr := range c.trackers {
			if tr != nil {
				assert.NoError(t, tr.Close(context.Background()))
			}
		}
	})
	return c
}

// run advances the clock by d in ticks, ticking every live tracker at each.
func (c *cluster) run(d time.Duration) {
	step := c.opts.TickInterval
	for end := c.clock.Now().Add(d); c.clock.Now().Before(end); {
		c.clock.Advance(step)
		for _, tr := range c.trackers {
			if tr != nil {
				require.NoError(c.t, tr.Tick(c.t.Context()))
			}
		}
	}
}

// kill stops tracker i as kill -9 would: no more ticks, no Close.
func (c *cluster) kill(i int) { c.trackers[i] = nil }

func kinds(evs []Recorded) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		switch ev.Kind {
		case presence.Joined:
			out[i] = "Joined " + ev.Member.UserID
		case presence.Left:
			out[i] = "Left " + ev.Member.UserID + " " + ev.Reason.String()
		default:
			out[i] = ev.Kind.String()
		}
	}
	return out
}

// testTrackerTimeout: a silent connection leaves no earlier than the timeout
// after its last heartbeat, and no later than 2 s after it.
func testTrackerTimeout(t *testing.T, newStores NewStoresFunc) {
	ctx := t.Context()
	c := newCluster(t, newStores(t, 1), presence.Options{})
	tr, tp := c.trackers[0], topic(t, "list")
	require.NoError(t, tr.Join(ctx, tp, "alice", "c1", nil))
	require.Equal(t, []string{"Joined alice"}, kinds(c.rec.Take()))

	c.run(29*time.Second + 300*time.Millisecond)
	tr.Heartbeat(tp, "c1") // off the tick grid on purpose
	lastBeat := c.clock.Now()
	c.run(45*time.Second - tickInterval)
	assert.Empty(t, c.rec.Take(), "no leave before the timeout")

	c.run(5 * time.Second)
	evs := c.rec.Take()
	require.Equal(t, []string{"Left alice TimedOut"}, kinds(evs))
	deadline := lastBeat.Add(45 * time.Second)
	assert.False(t, evs[0].At.Before(deadline), "left at %v, before the timeout at %v", evs[0].At, deadline)
	assert.LessOrEqual(t, evs[0].At.Sub(deadline), 2*time.Second, "left more than 2 s after the timeout")

	snap, err := tr.Snapshot(ctx, tp)
	require.NoError(t, err)
	assert.Empty(t, snap.Members)
}

func testTrackerGrace(t *testing.T, newStores NewStoresFunc) {
	ctx := t.Context()
	c := newCluster(t, newStores(t, 1), presence.Options{Grace: 5 * time.Second})
	tr := c.trackers[0]
	reload, gone, explicit := topic(t, "reload"), topic(t, "gone"), topic(t, "explicit")

	// A page reload: the old connection drops, a new one joins 2 s later.
	require.NoError(t, tr.Join(ctx, reload, "alice", "c1", nil))
	require.NoError(t, tr.Disconnect(ctx, "c1"))
	c.run(2 * time.Second)
	require.NoError(t, tr.Join(ctx, reload, "alice", "c2", nil))
	c.run(20 * time.Second)
	assert.Equal(t, []string{"Joined alice"}, kinds(c.rec.Take()), "a reconnect within the grace makes no event")

	// No reconnect: the leave comes after the grace, not before.
	require.NoError(t, tr.Join(ctx, gone, "bob", "c3", nil))
	c.rec.Take()
	require.NoError(t, tr.Disconnect(ctx, "c3"))
	disconnected := c.clock.Now()
	c.run(5*time.Second - tickInterval)
	assert.Empty(t, c.rec.Take(), "no leave within the grace")
	c.run(2 * time.Second)
	evs := c.rec.Take()
	require.Equal(t, []string{"Left bob Disconnected"}, kinds(evs))
	assert.Equal(t, disconnected.Add(5*time.Second), evs[0].At)

	// An explicit leave is announced at once.
	require.NoError(t, tr.Join(ctx, explicit, "carol", "c4", nil))
	require.NoError(t, tr.Leave(ctx, explicit, "c4"))
	assert.Equal(t, []string{"Joined carol", "Left carol Explicit"}, kinds(c.rec.Take()))
}

func testTrackerTabsAndNodes(t *testing.T, newStores NewStoresFunc) {
	ctx := t.Context()
	c := newCluster(t, newStores(t, 2), presence.Options{})
	a, b, tp := c.trackers[0], c.trackers[1], topic(t, "list")
	meta := map[string]string{"displayName": "Alice"}

	require.NoError(t, a.Join(ctx, tp, "alice", "a1", meta))
	require.NoError(t, a.Join(ctx, tp, "alice", "a2", meta))
	require.NoError(t, b.Join(ctx, tp, "alice", "b1", meta))
	evs := c.rec.Take()
	require.Equal(t, []string{"Joined alice"}, kinds(evs), "one join for three tabs on two nodes")
	assert.Equal(t, meta, evs[0].Member.Meta)
	for _, tr := range c.trackers {
		snap, err := tr.Snapshot(ctx, tp)
		require.NoError(t, err)
		assert.Equal(t, []string{"alice"}, userIDs(snap.Members), "both nodes see one alice")
		assert.Equal(t, evs[0].Version, snap.Version)
	}
	require.NoError(t, a.Leave(ctx, tp, "a1"))
	require.NoError(t, a.Disconnect(ctx, "a2"))
	c.run(10 * time.Second)
	assert.Empty(t, c.rec.Take(), "alice is still here through node B")
	require.NoError(t, b.Leave(ctx, tp, "b1"))
	assert.Equal(t, []string{"Left alice Explicit"}, kinds(c.rec.Take()))
}

func testTrackerNodeDeath(t *testing.T, newStores NewStoresFunc) {
	ctx := t.Context()
	c := newCluster(t, newStores(t, 3), presence.Options{})
	tp := topic(t, "list")
	require.NoError(t, c.trackers[0].Join(ctx, tp, "alice", "a1", nil))
	require.NoError(t, c.trackers[0].Join(ctx, tp, "bob", "a2", nil))
	require.NoError(t, c.trackers[1].Join(ctx, tp, "bob", "b1", nil))
	c.rec.Take()

	c.run(time.Second)
	c.kill(0)
	killed := c.clock.Now()
	c.run(5 * time.Second)
	evs := c.rec.Take()
	require.Equal(t, []string{"Left alice NodeDied"}, kinds(evs), "exactly one leave, none for bob who is on node B")
	assert.LessOrEqual(t, evs[0].At.Sub(killed), 5*time.Second)
	snap, err := c.trackers[2].Snapshot(ctx, tp)
	require.NoError(t, err)
	assert.Equal(t, []string{"bob"}, userIDs(snap.Members))
}

func testTrackerClose(t *testing.T, newStores NewStoresFunc) {
	ctx := t.Context()
	c := newCluster(t, newStores(t, 2), presence.Options{Grace: 5 * time.Second})
	tp := topic(t, "list")
	a, b := c.trackers[0], c.trackers[1]
	require.NoError(t, a.Join(ctx, tp, "alice", "a1", nil))
	require.NoError(t, a.Join(ctx, tp, "bob", "a2", nil))
	c.rec.Take()

	// A rolling restart: A shuts down, bob's client reconnects to B in time.
	require.NoError(t, a.Close(ctx))
	c.trackers[0] = nil
	closed := c.clock.Now()
	c.run(2 * time.Second)
	require.NoError(t, b.Join(ctx, tp, "bob", "b1", nil))
	c.run(2 * time.Second)
	assert.Empty(t, c.rec.Take(), "nobody leaves within the grace")
	c.run(3 * time.Second)
	evs := c.rec.Take()
	require.Equal(t, []string{"Left alice Disconnected"}, kinds(evs), "bob came back on B: no event")
	assert.False(t, evs[0].At.Before(closed.Add(5*time.Second)))
	assert.ErrorIs(t, a.Join(ctx, tp, "x", "y", nil), presence.ErrClosed)
}

func testTrackerDiff(t *testing.T, newStores NewStoresFunc) {
	ctx := t.Context()
	c := newCluster(t, newStores(t, 1), presence.Options{CoalesceAbove: 3})
	tr, tp := c.trackers[0], topic(t, "list")
	for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
		require.NoError(t, tr.Join(ctx, tp, u, "c-"+u, nil))
	}
	assert.Equal(t, []string{"Joined u1", "Joined u2"}, kinds(c.rec.Take()), "small topics get one event per join")
	c.run(time.Second)
	evs := c.rec.Take()
	require.Equal(t, []string{"Diff"}, kinds(evs))
	assert.Equal(t, []string{"u3", "u4", "u5"}, userIDs(evs[0].Joins))
	snap, err := tr.Snapshot(ctx, tp)
	require.NoError(t, err)
	assert.Equal(t, snap.Version, evs[0].Version)

	require.NoError(t, tr.Leave(ctx, tp, "c-u4"))
	require.NoError(t, tr.Join(ctx, tp, "u6", "c-u6", nil))
	require.NoError(t, tr.Join(ctx, tp, "u7", "c-u7", nil))
	require.NoError(t, tr.Leave(ctx, tp, "c-u7"))
	assert.Empty(t, c.rec.Take(), "a big topic's changes wait for the diff")
	c.run(time.Second)
	evs = c.rec.Take()
	require.Equal(t, []string{"Diff"}, kinds(evs), "at most one diff per interval")
	assert.Equal(t, []string{"u6"}, userIDs(evs[0].Joins))
	assert.Equal(t, []string{"u4", "u7"}, userIDs(evs[0].Leaves), "u7 joined and left within the interval")
}
