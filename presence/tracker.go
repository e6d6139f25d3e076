package presence

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Tracker is one node's view of presence: it holds the node's connections in
// memory, enforces their heartbeat timeouts and grace periods on one timing
// wheel, keeps the shared Store up to date, beats the node's liveness into the
// store, reaps dead nodes, and reports transitions through Options.OnEvent.
//
// A Tracker is safe for concurrent use. Heartbeat is node-local and cheap;
// Join, Leave, Snapshot and (without grace) Disconnect make one store call.
type Tracker struct {
	store      Store
	opts       Options
	leaseSlack time.Duration

	// mu guards the maps, the wheel, node and closed. It is never held
	// across a store call.
	mu     sync.RWMutex
	node   string
	topics map[string]*localTopic
	byConn map[string]map[string]*entry // connection id → topic → entry
	wheel  wheel
	retry  []pendingLeave
	closed bool

	emitMu sync.Mutex
	diffs  map[string]*pendingDiff

	tickMu      sync.Mutex
	lastBeat    time.Time
	lastReap    time.Time
	lastRefresh time.Time

	stop chan struct{}
	wg   sync.WaitGroup
}

// localTopic is a topic where this node has connections. op serializes the
// node's store calls on the topic, so that the store sees them in the order
// the node applied them locally.
type localTopic struct {
	name    string
	op      sync.Mutex
	entries map[string]*entry // by connection id; guarded by Tracker.mu
	gone    bool              // removed from Tracker.topics; guarded by Tracker.mu
}

// entry is one connection on one topic.
type entry struct {
	topic          *localTopic
	connID, userID string
	meta           map[string]string
	seen           atomic.Int64 // unix nanoseconds of the latest heartbeat or join
	flushed        int64        // seen as the store knows it; guarded by topic.op
	disconnected   int64        // unix nanoseconds of Disconnect, 0 while connected; guarded by mu
	slot           int64        // the wheel slot; guarded by mu
}

// pendingLeave is a removal the store has not confirmed yet; ticks retry it.
type pendingLeave struct {
	topic, node string
	connIDs     []string
	reason      LeaveReason
}

// NewTracker returns the tracker of this node and starts its background work
// (unless Options.ManualTick). It registers the node in the store with one
// call, bounded by 10 s.
func NewTracker(store Store, opts Options) (*Tracker, error) {
	if store == nil {
		return nil, fmt.Errorf("presence: nil store: %w", ErrInvalid)
	}
	if strings.ContainsAny(opts.NodeID, "\n\x00") {
		return nil, fmt.Errorf("presence: node id %q holds a newline or NUL: %w", opts.NodeID, ErrInvalid)
	}
	opts = opts.withDefaults()
	now := opts.Now()
	t := &Tracker{
		store:       store,
		opts:        opts,
		leaseSlack:  opts.RefreshInterval + 2*opts.TickInterval + 5*time.Second,
		node:        opts.NodeID + "." + randomID()[:8],
		topics:      make(map[string]*localTopic),
		byConn:      make(map[string]map[string]*entry),
		wheel:       newWheel(int64(opts.TickInterval), now.UnixNano()),
		diffs:       make(map[string]*pendingDiff),
		lastBeat:    now,
		lastReap:    now,
		lastRefresh: now,
		stop:        make(chan struct{}),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := store.Beat(ctx, t.node, now, true); err != nil {
		return nil, fmt.Errorf("presence: register node: %w", err)
	}
	if !opts.ManualTick {
		t.wg.Add(2)
		go t.loop(opts.TickInterval, func(ctx context.Context) error { return t.tick(ctx, false) })
		go t.loop(opts.BeatInterval, t.beat)
	}
	return t, nil
}

// Node returns the node's id in the store: Options.NodeID and incarnation.
func (t *Tracker) Node() string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.node
}

func (t *Tracker) loop(every time.Duration, work func(context.Context) error) {
	defer t.wg.Done()
	tk := time.NewTicker(every)
	defer tk.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tk.C:
			ctx, cancel := context.WithTimeout(context.Background(), max(every, 5*time.Second))
			if err := work(ctx); err != nil {
				t.opts.Logger.Warn("presence: background work failed", "node", t.Node(), "err", err)
			}
			cancel()
		}
	}
}

// deadline is when e leaves: its heartbeat timeout, or the end of its grace
// when disconnected, whichever is first.
func (t *Tracker) deadline(e *entry) (int64, LeaveReason) {
	d, reason := e.seen.Load()+int64(t.opts.Timeout), TimedOut
	if e.disconnected != 0 {
		if g := e.disconnected + int64(t.opts.Grace); g <= d {
			d, reason = g, Disconnected
		}
	}
	return d, reason
}

func (t *Tracker) lease(seen int64) time.Time {
	return time.Unix(0, seen).Add(t.opts.Timeout + t.leaseSlack)
}

// withTopic runs fn holding the topic's op lock. With create, the topic is
// made when missing; without, fn is not called for a topic without local
// connections. A topic left without entries is forgotten afterwards.
func (t *Tracker) withTopic(name string, create bool, fn func(lt *localTopic) error) error {
	for {
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			return ErrClosed
		}
		lt := t.topics[name]
		if lt == nil {
			if !create {
				t.mu.Unlock()
				return nil
			}
			lt = &localTopic{name: name, entries: make(map[string]*entry)}
			t.topics[name] = lt
		}
		t.mu.Unlock()

		lt.op.Lock()
		t.mu.RLock()
		gone := lt.gone
		t.mu.RUnlock()
		if gone {
			lt.op.Unlock()
			continue
		}
		err := fn(lt)
		t.mu.Lock()
		if len(lt.entries) == 0 && !lt.gone {
			lt.gone = true
			delete(t.topics, name)
		}
		t.mu.Unlock()
		lt.op.Unlock()
		return err
	}
}

// removeLocked drops e from the node's maps; t.mu is held.
func (t *Tracker) removeLocked(e *entry) {
	delete(e.topic.entries, e.connID)
	if m := t.byConn[e.connID]; m != nil {
		delete(m, e.topic.name)
		if len(m) == 0 {
			delete(t.byConn, e.connID)
		}
	}
	e.slot = noSlot
}

// Join records connection connID of userID on topic with the user's metadata
// (which replaces the metadata of their earlier joins), or refreshes it when
// already joined, and clears a pending Disconnect of it. When this is the
// user's first live connection on the topic anywhere in the cluster, Joined
// is reported. One store call.
func (t *Tracker) Join(ctx context.Context, topic, userID, connID string, meta map[string]string) error {
	if topic == "" || userID == "" || connID == "" {
		return fmt.Errorf("presence: join: empty topic, user or connection id: %w", ErrInvalid)
	}
	meta = maps.Clone(meta)
	return t.withTopic(topic, true, func(lt *localTopic) error {
		now := t.opts.Now().UnixNano()
		t.mu.Lock()
		e := lt.entries[connID]
		created := e == nil
		if created {
			e = &entry{topic: lt, connID: connID, slot: noSlot}
			lt.entries[connID] = e
			if t.byConn[connID] == nil {
				t.byConn[connID] = make(map[string]*entry)
			}
			t.byConn[connID][topic] = e
		}
		e.userID, e.meta, e.disconnected = userID, meta, 0
		e.seen.Store(now)
		d, _ := t.deadline(e)
		t.wheel.add(e, d)
		node := t.node
		t.mu.Unlock()

		ch, err := t.store.Join(ctx, Entry{
			Topic: topic, ConnID: connID, UserID: userID, Node: node, Meta: meta,
			SeenAt: time.Unix(0, now), ExpiresAt: t.lease(now),
		})
		if err != nil {
			if created {
				t.mu.Lock()
				t.removeLocked(e)
				t.mu.Unlock()
			}
			return fmt.Errorf("presence: join %q: %w", topic, err)
		}
		e.flushed = now
		t.emit(ch, now)
		return nil
	})
}

// Leave removes connection connID from topic at once (an explicit leave, no
// grace). When it was the user's last connection there, Left is reported
// with reason Explicit. A connection not joined on this node is ignored. When
// the store call fails the error is returned and the removal is retried by
// the following ticks.
func (t *Tracker) Leave(ctx context.Context, topic, connID string) error {
	err := t.withTopic(topic, false, func(lt *localTopic) error {
		t.mu.Lock()
		e := lt.entries[connID]
		if e == nil {
			t.mu.Unlock()
			return nil
		}
		t.removeLocked(e)
		node := t.node
		t.mu.Unlock()
		return t.leave(ctx, pendingLeave{topic: topic, node: node, connIDs: []string{connID}, reason: Explicit})
	})
	if err != nil {
		return fmt.Errorf("presence: leave %q: %w", topic, err)
	}
	return nil
}

// leave removes connections from the store and reports the leaves; the
// topic's op lock is held. A failed removal is queued for retry.
func (t *Tracker) leave(ctx context.Context, p pendingLeave) error {
	ch, err := t.store.Leave(ctx, p.topic, p.node, p.connIDs, p.reason)
	if err != nil {
		t.mu.Lock()
		t.retry = append(t.retry, p)
		t.mu.Unlock()
		return err
	}
	t.emit(ch, t.opts.Now().UnixNano())
	return nil
}

// Disconnect starts the grace period of every topic of connection connID:
// unless the connection joins again, its entries leave after Options.Grace
// (or at their heartbeat timeout, if that comes first), with reason
// Disconnected. A reconnect of the same user within the grace, through this
// or a new connection, makes no event. Without grace the entries leave at
// once (one store call per topic).
func (t *Tracker) Disconnect(ctx context.Context, connID string) error {
	now := t.opts.Now().UnixNano()
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return ErrClosed
	}
	var topics []string
	for name, e := range t.byConn[connID] {
		e.disconnected = now
		if t.opts.Grace > 0 {
			d, _ := t.deadline(e)
			t.wheel.add(e, d)
		}
		topics = append(topics, name)
	}
	t.mu.Unlock()
	if t.opts.Grace > 0 {
		return nil
	}
	var errs []error
	for _, name := range topics {
		err := t.withTopic(name, false, func(lt *localTopic) error {
			t.mu.Lock()
			e := lt.entries[connID]
			if e == nil || e.disconnected == 0 {
				t.mu.Unlock()
				return nil
			}
			t.removeLocked(e)
			node := t.node
			t.mu.Unlock()
			return t.leave(ctx, pendingLeave{topic: name, node: node, connIDs: []string{connID}, reason: Disconnected})
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("presence: disconnect %q from %q: %w", connID, name, err))
		}
	}
	return errors.Join(errs...)
}

// Heartbeat records that connection connID is alive on topic. It touches
// node-local memory only: the tick sends the news to the store at most once
// per Options.RefreshInterval. An unknown connection, or one disconnected
// and not joined again, is ignored.
func (t *Tracker) Heartbeat(topic, connID string) {
	t.mu.RLock()
	if lt := t.topics[topic]; lt != nil {
		if e := lt.entries[connID]; e != nil && e.disconnected == 0 {
			e.seen.Store(t.opts.Now().UnixNano())
		}
	}
	t.mu.RUnlock()
}

// Snapshot returns topic's members across the cluster, one per user, in one
// store call.
func (t *Tracker) Snapshot(ctx context.Context, topic string) (Snapshot, error) {
	t.mu.RLock()
	closed := t.closed
	t.mu.RUnlock()
	if closed {
		return Snapshot{}, ErrClosed
	}
	s, err := t.store.Snapshot(ctx, topic)
	if err != nil {
		return Snapshot{}, fmt.Errorf("presence: snapshot %q: %w", topic, err)
	}
	return s, nil
}

// Close shuts the node down gracefully: the background work stops and the
// node's users leave after Options.Grace, announced by the other nodes, unless
// they reappear on another node meanwhile (a rolling restart makes no event).
// Without grace the node removes its entries itself and reports the leaves
// before Close returns. Pending diffs are reported. Close is idempotent;
// later calls on the tracker return ErrClosed.
func (t *Tracker) Close(ctx context.Context) error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	t.mu.Unlock()
	close(t.stop)
	t.wg.Wait()

	// Take the op lock of every topic so that calls still in flight finish
	// before the node's entries are handed over.
	t.mu.Lock()
	topics := make([]*localTopic, 0, len(t.topics))
	for _, lt := range t.topics {
		topics = append(topics, lt)
	}
	t.mu.Unlock()
	var errs []error
	now := t.opts.Now()
	lastBeat := now.Add(t.opts.Grace - t.opts.DeadAfter)
	for _, lt := range topics {
		lt.op.Lock()
		t.mu.Lock()
		ids := make([]string, 0, len(lt.entries))
		for id, e := range lt.entries {
			ids = append(ids, id)
			t.removeLocked(e)
		}
		lt.gone = true
		delete(t.topics, lt.name)
		node := t.node
		t.mu.Unlock()
		if t.opts.Grace == 0 && len(ids) > 0 {
			if err := t.leave(ctx, pendingLeave{topic: lt.name, node: node, connIDs: ids, reason: Disconnected}); err != nil {
				errs = append(errs, err)
			}
		}
		lt.op.Unlock()
	}
	t.flushDiffs(now.UnixNano(), true)
	if err := t.store.CloseNode(ctx, t.Node(), lastBeat); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("presence: close: %w", err)
	}
	return nil
}
