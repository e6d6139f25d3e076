package redis

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/listhub/listhub/backplane"
)

// State is the backplane's connection state.
type State int

const (
	// StateUp: publishing works and every subscription connection is in place.
	StateUp State = iota
	// StateDown: Redis cannot be reached (or a subscription connection is
	// being restored). Messages wait in the outbox.
	StateDown
	// StateClosed: Close was called.
	StateClosed
)

func (s State) String() string {
	switch s {
	case StateUp:
		return "up"
	case StateDown:
		return "down"
	case StateClosed:
		return "closed"
	}
	return "unknown"
}

// Health is a snapshot of the backplane's condition, for /healthz and
// metrics.
type Health struct {
	// State is up, down or closed; Since is when it last changed.
	State State
	Since time.Time
	// LastError is the last error talking to Redis, nil if none yet.
	LastError error
	// Reconnects counts the times Redis became reachable again after an
	// outage.
	Reconnects uint64
	// OutboxMessages and OutboxBytes are waiting to be published.
	OutboxMessages int
	OutboxBytes    int
	// Dropped counts messages never sent: outbox full or too old.
	Dropped uint64
	// BadFrames counts received Redis messages that were not valid frames.
	BadFrames uint64
	// SilentLinks counts subscription connections replaced because their
	// probes stopped arriving.
	SilentLinks uint64
	// Lag is the time between sending and receiving of the last message this
	// node received (meaningful when the nodes' clocks agree).
	Lag time.Duration
	// Subscriptions is the number of channels this node subscribes.
	Subscriptions int
	// LiveNodes are the nodes alive at the last heartbeat, this one
	// included.
	LiveNodes []backplane.NodeID
}

// Health returns the backplane's condition now. It does not call Redis.
func (r *Redis) Health() Health {
	h := Health{
		Dropped:     r.stats.dropped.Load(),
		BadFrames:   r.stats.badFrames.Load(),
		SilentLinks: r.stats.silentLinks.Load(),
		Lag:         time.Duration(r.stats.lag.Load()),
		Reconnects:  r.stats.reconnects.Load(),
	}
	r.stats.mu.Lock()
	h.State, h.Since, h.LastError = r.stats.state, r.stats.since, r.stats.lastErr
	r.stats.mu.Unlock()
	if r.closed.Load() {
		h.State = StateClosed
	}
	h.OutboxMessages, h.OutboxBytes = r.out.depth()
	r.subMu.RLock()
	h.Subscriptions = len(r.subs)
	r.subMu.RUnlock()
	r.nodes.mu.Lock()
	for id := range r.nodes.live {
		h.LiveNodes = append(h.LiveNodes, id)
	}
	r.nodes.mu.Unlock()
	if !r.closed.Load() && !contains(h.LiveNodes, r.id) {
		h.LiveNodes = append(h.LiveNodes, r.id)
	}
	return h
}

func contains(ids []backplane.NodeID, id backplane.NodeID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// stats are the counters and the state behind Health.
type stats struct {
	dropped     atomic.Uint64
	badFrames   atomic.Uint64
	silentLinks atomic.Uint64
	reconnects  atomic.Uint64
	lag         atomic.Int64

	mu       sync.Mutex
	state    State
	since    time.Time
	lastErr  error
	pubDown  bool
	linkDown int
	// lastDropLog limits drop logging to one line per dropLogEvery.
	lastDropLog time.Time
	droppedLog  uint64
}

// dropLogEvery is the least time between two log lines about drops.
const dropLogEvery = 5 * time.Second

func (s *stats) drop(log *slog.Logger, n int, why string) {
	total := s.dropped.Add(uint64(n))
	s.mu.Lock()
	if time.Since(s.lastDropLog) < dropLogEvery {
		s.mu.Unlock()
		return
	}
	since := total - s.droppedLog
	s.lastDropLog, s.droppedLog = time.Now(), total
	s.mu.Unlock()
	log.Warn("redis backplane: messages dropped", "reason", why, "dropped", since, "dropped_total", total)
}

func (s *stats) badFrame(log *slog.Logger, channel string, err error) {
	if s.badFrames.Add(1) == 1 {
		log.Warn("redis backplane: malformed message dropped (logged once)", "channel", channel, "err", err)
	}
}

// linksUp reports whether every subscription connection is in place.
func (r *Redis) linksUp() bool {
	for _, l := range r.links {
		if up, _ := l.status(); !up {
			return false
		}
	}
	return true
}

// linkChanged records a subscription connection going down or up.
func (r *Redis) linkChanged(l *link, up bool, err error) {
	r.stats.mu.Lock()
	if up {
		r.stats.linkDown = 0
		for _, l := range r.links {
			if ok, _ := l.status(); !ok {
				r.stats.linkDown++
			}
		}
	} else {
		r.stats.linkDown++
		r.stats.lastErr = err
	}
	r.updateStateLocked()
	r.stats.mu.Unlock()
	if up && r.linksUp() && !r.closed.Load() {
		// Tell the others at once that this node listens again: a node
		// holding an outbox waits for it.
		r.wg.Go(r.nodes.markReady)
	}
}

// pubChanged records publishing failing or working again.
func (r *Redis) pubChanged(up bool, err error) {
	r.stats.mu.Lock()
	r.stats.pubDown = !up
	if err != nil {
		r.stats.lastErr = err
	}
	r.updateStateLocked()
	r.stats.mu.Unlock()
}

func (r *Redis) updateStateLocked() {
	state := StateUp
	if r.stats.pubDown || r.stats.linkDown > 0 {
		state = StateDown
	}
	if state == r.stats.state && !r.stats.since.IsZero() {
		return
	}
	prev := r.stats.state
	r.stats.state, r.stats.since = state, time.Now()
	if r.stats.since.IsZero() || prev == state {
		return
	}
	if state == StateDown {
		r.log.Warn("redis backplane: Redis unreachable; messages wait in the outbox",
			"node", r.id, "err", r.stats.lastErr)
	} else {
		r.stats.reconnects.Add(1)
		n, b := r.out.depth()
		r.log.Info("redis backplane: Redis reachable again", "node", r.id,
			"outbox_messages", n, "outbox_bytes", b)
	}
}
