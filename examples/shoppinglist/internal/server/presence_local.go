package server

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// The shopping list needs a presence tracker with the method set of
// presence.Tracker (package presence of the library): Join, Leave,
// Disconnect, Heartbeat, Snapshot and Close, and transition callbacks.
// tracker is that method set; localTracker is a single-node implementation
// used until the library's presence package is wired in.
type tracker interface {
	Join(ctx context.Context, topic, userID, connID string, meta map[string]string) error
	Leave(ctx context.Context, topic, connID string) error
	Disconnect(ctx context.Context, connID string) error
	Heartbeat(topic, connID string)
	Snapshot(ctx context.Context, topic string) ([]member, error)
	Close(ctx context.Context) error
}

// member is one user present on a topic.
type member struct {
	UserID     string
	Meta       map[string]string
	JoinedAt   time.Time
	LastSeenAt time.Time
}

// presenceEvent is a user's arrival (Joined) or departure on a topic.
type presenceEvent struct {
	Joined bool
	Topic  string
	Member member
}

type localUser struct {
	member
	conns map[string]time.Time // connection id -> last join or heartbeat
}

// localTracker keeps presence in this process's memory. A connection with
// no join or heartbeat for timeout has left; a user leaves with their last
// connection. Transitions are reported to onEvent one at a time.
type localTracker struct {
	timeout time.Duration
	onEvent func(presenceEvent)
	log     *slog.Logger

	mu     sync.Mutex
	topics map[string]map[string]*localUser // topic -> user id -> user
	conns  map[string]map[string]string     // conn id -> topic -> user id

	emitMu sync.Mutex // serializes onEvent
	stop   chan struct{}
	done   chan struct{}
}

func newLocalTracker(timeout time.Duration, onEvent func(presenceEvent), log *slog.Logger) *localTracker {
	t := &localTracker{
		timeout: timeout, onEvent: onEvent, log: log,
		topics: map[string]map[string]*localUser{}, conns: map[string]map[string]string{},
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	go t.sweepLoop()
	return t
}

func (t *localTracker) emit(events []presenceEvent) {
	if len(events) == 0 || t.onEvent == nil {
		return
	}
	t.emitMu.Lock()
	defer t.emitMu.Unlock()
	for _, e := range events {
		t.onEvent(e)
	}
}

func (t *localTracker) Join(_ context.Context, topic, userID, connID string, meta map[string]string) error {
	now := time.Now()
	var events []presenceEvent
	t.mu.Lock()
	users := t.topics[topic]
	if users == nil {
		users = map[string]*localUser{}
		t.topics[topic] = users
	}
	u := users[userID]
	if u == nil {
		u = &localUser{member: member{UserID: userID, JoinedAt: now}, conns: map[string]time.Time{}}
		users[userID] = u
		events = append(events, presenceEvent{Joined: true, Topic: topic})
	}
	u.Meta, u.LastSeenAt = meta, now
	u.conns[connID] = now
	if t.conns[connID] == nil {
		t.conns[connID] = map[string]string{}
	}
	t.conns[connID][topic] = userID
	if len(events) > 0 {
		events[0].Member = u.member
	}
	t.mu.Unlock()
	t.emit(events)
	return nil
}

// removeConn takes connID off topic. Caller holds mu.
func (t *localTracker) removeConn(topic, connID string) []presenceEvent {
	userID, ok := t.conns[connID][topic]
	if !ok {
		return nil
	}
	delete(t.conns[connID], topic)
	if len(t.conns[connID]) == 0 {
		delete(t.conns, connID)
	}
	u := t.topics[topic][userID]
	if u == nil {
		return nil
	}
	delete(u.conns, connID)
	if len(u.conns) > 0 {
		return nil
	}
	delete(t.topics[topic], userID)
	if len(t.topics[topic]) == 0 {
		delete(t.topics, topic)
	}
	return []presenceEvent{{Topic: topic, Member: u.member}}
}

func (t *localTracker) Leave(_ context.Context, topic, connID string) error {
	t.mu.Lock()
	events := t.removeConn(topic, connID)
	t.mu.Unlock()
	t.emit(events)
	return nil
}

func (t *localTracker) Disconnect(_ context.Context, connID string) error {
	t.mu.Lock()
	var events []presenceEvent
	for topic := range t.conns[connID] {
		events = append(events, t.removeConn(topic, connID)...)
	}
	t.mu.Unlock()
	t.emit(events)
	return nil
}

func (t *localTracker) Heartbeat(topic, connID string) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	userID, ok := t.conns[connID][topic]
	if !ok {
		return
	}
	if u := t.topics[topic][userID]; u != nil {
		u.conns[connID], u.LastSeenAt = now, now
	}
}

func (t *localTracker) Snapshot(_ context.Context, topic string) ([]member, error) {
	t.mu.Lock()
	out := make([]member, 0, len(t.topics[topic]))
	for _, u := range t.topics[topic] {
		out = append(out, u.member)
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b member) int {
		if c := a.JoinedAt.Compare(b.JoinedAt); c != 0 {
			return c
		}
		return compareStrings(a.UserID, b.UserID)
	})
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sweepLoop ends connections that have not been seen for the timeout.
func (t *localTracker) sweepLoop() {
	defer close(t.done)
	tick := time.NewTicker(max(t.timeout/10, 50*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case now := <-tick.C:
			t.sweep(now)
		}
	}
}

func (t *localTracker) sweep(now time.Time) {
	var events []presenceEvent
	t.mu.Lock()
	for topic, users := range t.topics {
		for _, u := range users {
			for connID, seen := range u.conns {
				if now.Sub(seen) >= t.timeout {
					events = append(events, t.removeConn(topic, connID)...)
				}
			}
		}
	}
	t.mu.Unlock()
	t.emit(events)
}

func (t *localTracker) Close(context.Context) error {
	select {
	case <-t.stop:
	default:
		close(t.stop)
	}
	<-t.done
	return nil
}
