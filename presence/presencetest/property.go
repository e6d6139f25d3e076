package presencetest

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/presence"
)

// Property-test settings: short durations so that timeouts, graces and node
// deaths all happen within a few hundred steps; every duration a whole
// number of ticks, so the model knows the exact tick of every expiry.
var propertyOptions = presence.Options{
	Timeout:         10 * time.Second,
	Grace:           3 * time.Second,
	TickInterval:    time.Second,
	BeatInterval:    time.Second,
	DeadAfter:       3 * time.Second,
	RefreshInterval: 4 * time.Second,
	CoalesceAbove:   -1,
}

const (
	propertySeeds = 8
	propertySteps = 250
	propertyNodes = 3
)

// model is the simple truth the trackers are checked against: connections
// with their last heartbeat, disconnect time and node, and nodes that are
// alive or killed (and when they last beat).
type model struct {
	now     time.Time
	entries map[string]*modelEntry // topic \x00 connection → entry
	nodes   []*modelNode           // the current incarnation of each slot
	// present is, per topic, the users present: user → when they joined and
	// their latest metadata.
	present map[string]map[string]*modelUser
}

type modelEntry struct {
	topic, conn, user string
	node              *modelNode
	seen              time.Time
	disconnected      time.Time // zero while connected
}

type modelNode struct {
	alive    bool
	lastBeat time.Time
	reaped   bool
}

type modelUser struct {
	joined time.Time
	meta   map[string]string
}

func (m *model) live(e *modelEntry) bool {
	if !e.node.alive {
		return !e.node.reaped
	}
	deadline := e.seen.Add(propertyOptions.Timeout)
	if !e.disconnected.IsZero() {
		if g := e.disconnected.Add(propertyOptions.Grace); g.Before(deadline) {
			deadline = g
		}
	}
	return deadline.After(m.now)
}

// tick applies what the trackers' ticks at m.now do: reaping of dead nodes
// (when a live node is left to do it) and expiry of live nodes' entries.
func (m *model) tick() {
	anyAlive := false
	for _, n := range m.nodes {
		if n.alive {
			n.lastBeat = m.now
			anyAlive = true
		}
	}
	for _, e := range m.entries {
		if !e.node.alive && anyAlive && m.now.Sub(e.node.lastBeat) >= propertyOptions.DeadAfter {
			e.node.reaped = true
		}
	}
	for k, e := range m.entries {
		if !m.live(e) {
			delete(m.entries, k)
		}
	}
}

// users returns, per topic, the users with a live entry.
func (m *model) users() map[string][]string {
	out := map[string][]string{}
	for _, e := range m.entries {
		if !slices.Contains(out[e.topic], e.user) {
			out[e.topic] = append(out[e.topic], e.user)
		}
	}
	for _, us := range out {
		slices.Sort(us)
	}
	return out
}

// testProperty runs random joins, tabs, leaves, disconnects, heartbeats,
// silences and node kills on 3 trackers over one store, and checks after
// every step that the events and the snapshots equal the model.
func testProperty(t *testing.T, newStores NewStoresFunc) {
	seeds := propertySeeds
	if testing.Short() {
		seeds = 2
	}
	if n, err := strconv.Atoi(os.Getenv("LISTHUB_PROPERTY_SEEDS")); err == nil && n > 0 {
		seeds = n // a longer hunt: LISTHUB_PROPERTY_SEEDS=500 go test -run Property
	}
	for seed := range seeds {
		t.Run("seed"+strconv.Itoa(seed), func(t *testing.T) {
			runProperty(t, newStores(t, propertyNodes), uint64(seed))
		})
	}
}

func runProperty(t *testing.T, stores []presence.Store, seed uint64) {
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	c := newCluster(t, stores, propertyOptions)
	m := &model{now: c.clock.Now(), entries: map[string]*modelEntry{}, present: map[string]map[string]*modelUser{}}
	for range stores {
		m.nodes = append(m.nodes, &modelNode{alive: true, lastBeat: m.now})
	}
	topics := []string{topic(t, "x"), topic(t, "y")}
	users := []string{"ann", "ben", "cat", "dan", "eve"}
	conns := 0
	// connsOf lists the model's connections on live nodes: those a client
	// can still use.
	liveConns := func() []*modelEntry {
		var out []*modelEntry
		for _, k := range slices.Sorted(maps.Keys(m.entries)) {
			if e := m.entries[k]; e.node.alive {
				out = append(out, e)
			}
		}
		return out
	}
	slotOf := func(n *modelNode) int { return slices.Index(m.nodes, n) }
	// versions is the last event version seen per topic.
	versions := map[string]uint64{}

	check := func(step string) {
		t.Helper()
		want := m.users()
		for _, ev := range c.rec.Take() {
			require.GreaterOrEqual(t, ev.Version, versions[ev.Topic], "%s: versions of a topic never go back", step)
			versions[ev.Topic] = ev.Version
			p := m.present[ev.Topic]
			if p == nil {
				p = map[string]*modelUser{}
				m.present[ev.Topic] = p
			}
			switch ev.Kind {
			case presence.Joined:
				require.NotContains(t, p, ev.Member.UserID, "%s: Joined for a present user", step)
				require.Equal(t, m.now, ev.Member.JoinedAt.Truncate(0), "%s: JoinedAt", step)
				p[ev.Member.UserID] = &modelUser{joined: ev.Member.JoinedAt, meta: ev.Member.Meta}
			case presence.Left:
				require.Contains(t, p, ev.Member.UserID, "%s: Left for an absent user", step)
				delete(p, ev.Member.UserID)
			default:
				t.Fatalf("%s: unexpected %v", step, ev.Kind)
			}
		}
		for _, tp := range topics {
			got := slices.Sorted(maps.Keys(m.present[tp]))
			require.Equal(t, want[tp], nilIfEmpty(got), "%s: users of %s by the events", step, tp)
			snap, err := stores[0].Snapshot(ctx, tp)
			require.NoError(t, err)
			byID := map[string]presence.Member{}
			for _, mem := range snap.Members {
				byID[mem.UserID] = mem
			}
			require.Equal(t, want[tp], nilIfEmpty(slices.Sorted(maps.Keys(byID))), "%s: users of %s in the snapshot", step, tp)
			require.GreaterOrEqual(t, snap.Version, versions[tp], "%s: snapshot older than an event", step)
			for id, u := range m.present[tp] {
				require.Equal(t, u.joined.UnixNano(), byID[id].JoinedAt.UnixNano(), "%s: JoinedAt of %s", step, id)
				require.Equal(t, u.meta, byID[id].Meta, "%s: metadata of %s", step, id)
			}
		}
	}

	for i := range propertySteps {
		var step string
		switch r := rng.IntN(100); {
		case r < 30: // join: a new tab, or an existing connection joining again
			slot := rng.IntN(len(stores))
			if c.trackers[slot] == nil {
				continue
			}
			tp, user := topics[rng.IntN(len(topics))], users[rng.IntN(len(users))]
			conn := ""
			if lc := liveConns(); len(lc) > 0 && rng.IntN(3) == 0 {
				e := lc[rng.IntN(len(lc))]
				conn, user, slot = e.conn, e.user, slotOf(e.node)
			} else {
				conns++
				conn = "c" + strconv.Itoa(conns)
			}
			meta := map[string]string{"displayName": fmt.Sprintf("%s #%d", user, i)}
			step = fmt.Sprintf("step %d: node %d joins %s/%s to %s", i, slot, user, conn, tp)
			require.NoError(t, c.trackers[slot].Join(ctx, tp, user, conn, meta), step)
			k := tp + "\x00" + conn
			if m.entries[k] == nil {
				m.entries[k] = &modelEntry{topic: tp, conn: conn, user: user, node: m.nodes[slot]}
			}
			m.entries[k].seen, m.entries[k].disconnected = m.now, time.Time{}
			if p := m.present[tp]; p != nil && p[user] != nil {
				p[user].meta = meta
			}
		case r < 40: // explicit leave
			lc := liveConns()
			if len(lc) == 0 {
				continue
			}
			e := lc[rng.IntN(len(lc))]
			step = fmt.Sprintf("step %d: %s leaves %s", i, e.conn, e.topic)
			require.NoError(t, c.trackers[slotOf(e.node)].Leave(ctx, e.topic, e.conn), step)
			delete(m.entries, e.topic+"\x00"+e.conn)
		case r < 50: // transport lost
			lc := liveConns()
			if len(lc) == 0 {
				continue
			}
			e := lc[rng.IntN(len(lc))]
			step = fmt.Sprintf("step %d: %s disconnects", i, e.conn)
			require.NoError(t, c.trackers[slotOf(e.node)].Disconnect(ctx, e.conn), step)
			for _, other := range m.entries {
				if other.conn == e.conn {
					other.disconnected = m.now
				}
			}
		case r < 75: // heartbeats of a few connections
			step = fmt.Sprintf("step %d: heartbeats", i)
			for _, e := range liveConns() {
				if rng.IntN(2) == 0 {
					c.trackers[slotOf(e.node)].Heartbeat(e.topic, e.conn)
					if e.disconnected.IsZero() {
						e.seen = m.now
					}
				}
			}
		case r < 78: // kill -9 of a node
			slot := rng.IntN(len(stores))
			if c.trackers[slot] == nil {
				continue
			}
			step = fmt.Sprintf("step %d: node %d killed", i, slot)
			c.kill(slot)
			m.nodes[slot].alive = false
		case r < 82: // a killed node comes back as a new incarnation
			slot := rng.IntN(len(stores))
			if c.trackers[slot] != nil {
				continue
			}
			step = fmt.Sprintf("step %d: node %d restarted", i, slot)
			o := c.opts
			o.NodeID = "node" + strconv.Itoa(slot)
			tr, err := presence.NewTracker(stores[slot], o)
			require.NoError(t, err)
			c.trackers[slot] = tr
			m.nodes[slot] = &modelNode{alive: true, lastBeat: m.now}
		default: // time passes, silently
			n := 1 + rng.IntN(6)
			for s := range n {
				c.run(time.Second)
				m.now = c.clock.Now()
				m.tick()
				check(fmt.Sprintf("step %d: tick %d/%d at +%v", i, s+1, n, m.now.Sub(t0)))
			}
			continue
		}
		check(step)
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
