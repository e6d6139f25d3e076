package presence

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"
)

// MemoryStore is a Store in process memory: the store of a single node, or of
// several trackers in one process (which is how tests run a cluster without
// a network). Every method is one critical section. It never fails except on
// a cancelled context or invalid arguments.
type MemoryStore struct {
	mu     sync.Mutex
	topics map[string]*memTopic
	nodes  map[string]*memNode
	// versions keeps the version of topics without members, so that a
	// topic's version never goes back (8 bytes plus the name per topic).
	versions map[string]uint64
}

var _ Store = (*MemoryStore)(nil)

type memTopic struct {
	version uint64
	conns   map[string]*memConn
	users   map[string]*memUser
}

type memConn struct {
	node, user string
	seen       time.Time
	expires    time.Time
}

type memUser struct {
	count  int
	meta   map[string]string
	joined time.Time
}

type memNode struct {
	lastBeat time.Time
	closing  bool
	// topics is where the node has (or had) connections: what a reap visits.
	topics map[string]struct{}
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		topics:   make(map[string]*memTopic),
		nodes:    make(map[string]*memNode),
		versions: make(map[string]uint64),
	}
}

func (s *MemoryStore) topic(name string) *memTopic {
	t := s.topics[name]
	if t == nil {
		t = &memTopic{conns: make(map[string]*memConn), users: make(map[string]*memUser), version: s.versions[name]}
		delete(s.versions, name)
		s.topics[name] = t
	}
	return t
}

// dropIfEmpty forgets a topic without connections but its version, keeping
// memory bounded by the live entries.
func (s *MemoryStore) dropIfEmpty(name string, t *memTopic) {
	if len(t.conns) == 0 && len(t.users) == 0 {
		delete(s.topics, name)
		s.versions[name] = t.version
	}
}

// removeConn drops one connection and returns the user's Member when it was
// their last.
func (t *memTopic) removeConn(id string, c *memConn) (Member, bool) {
	delete(t.conns, id)
	u := t.users[c.user]
	u.count--
	if u.count > 0 {
		return Member{}, false
	}
	delete(t.users, c.user)
	last := c.seen
	t.version++
	return Member{UserID: c.user, Meta: u.meta, JoinedAt: u.joined, LastSeenAt: last}, true
}

// Join implements Store.
func (s *MemoryStore) Join(ctx context.Context, e Entry) (Change, error) {
	if err := ctx.Err(); err != nil {
		return Change{}, fmt.Errorf("presence: join: %w", err)
	}
	if e.Topic == "" || e.UserID == "" || e.ConnID == "" || e.Node == "" {
		return Change{}, fmt.Errorf("presence: join: empty topic, user, connection or node: %w", ErrInvalid)
	}
	meta := maps.Clone(e.Meta)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.topic(e.Topic)
	ch := Change{Topic: e.Topic}
	if n := s.nodes[e.Node]; n != nil {
		n.topics[e.Topic] = struct{}{}
	}
	if c := t.conns[e.ConnID]; c != nil && c.user != e.UserID {
		// The connection now speaks for another user: the old one leaves.
		if m, last := t.removeConn(e.ConnID, c); last {
			ch.Left, ch.Reason = append(ch.Left, m), Explicit
		}
	}
	if c := t.conns[e.ConnID]; c != nil {
		c.node, c.seen, c.expires = e.Node, e.SeenAt, e.ExpiresAt
		if u := t.users[e.UserID]; !maps.Equal(u.meta, meta) {
			u.meta = meta
			t.version++
		}
	} else {
		t.conns[e.ConnID] = &memConn{node: e.Node, user: e.UserID, seen: e.SeenAt, expires: e.ExpiresAt}
		u := t.users[e.UserID]
		switch {
		case u == nil:
			u = &memUser{meta: meta, joined: e.SeenAt}
			t.users[e.UserID] = u
			t.version++
			ch.Joined = append(ch.Joined, Member{UserID: e.UserID, Meta: meta, JoinedAt: e.SeenAt, LastSeenAt: e.SeenAt})
		case !maps.Equal(u.meta, meta):
			u.meta = meta
			t.version++
		}
		u.count++
	}
	ch.Version, ch.Members = t.version, len(t.users)
	return ch, nil
}

// Leave implements Store.
func (s *MemoryStore) Leave(ctx context.Context, topic, node string, connIDs []string, reason LeaveReason) (Change, error) {
	if err := ctx.Err(); err != nil {
		return Change{}, fmt.Errorf("presence: leave: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := Change{Topic: topic, Reason: reason}
	t := s.topics[topic]
	if t == nil {
		return ch, nil
	}
	for _, id := range connIDs {
		c := t.conns[id]
		if c == nil || c.node != node {
			continue
		}
		if m, last := t.removeConn(id, c); last {
			ch.Left = append(ch.Left, m)
		}
	}
	ch.Version, ch.Members = t.version, len(t.users)
	s.dropIfEmpty(topic, t)
	return ch, nil
}

// Refresh implements Store.
func (s *MemoryStore) Refresh(ctx context.Context, topic, node string, refs []Refresh, now time.Time) (Change, error) {
	if err := ctx.Err(); err != nil {
		return Change{}, fmt.Errorf("presence: refresh: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := Change{Topic: topic, Reason: TimedOut}
	t := s.topics[topic]
	if t == nil {
		return ch, nil
	}
	for _, r := range refs {
		if c := t.conns[r.ConnID]; c != nil && c.node == node {
			c.seen, c.expires = r.SeenAt, r.ExpiresAt
		}
	}
	for id, c := range t.conns {
		if !c.expires.After(now) {
			if m, last := t.removeConn(id, c); last {
				ch.Left = append(ch.Left, m)
			}
		}
	}
	SortMembers(ch.Left)
	ch.Version, ch.Members = t.version, len(t.users)
	s.dropIfEmpty(topic, t)
	return ch, nil
}

// Snapshot implements Store.
func (s *MemoryStore) Snapshot(ctx context.Context, topic string) (Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return Snapshot{}, fmt.Errorf("presence: snapshot: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{Topic: topic, Version: s.versions[topic]}
	t := s.topics[topic]
	if t == nil {
		return snap, nil
	}
	last := make(map[string]time.Time, len(t.users))
	for _, c := range t.conns {
		if c.seen.After(last[c.user]) {
			last[c.user] = c.seen
		}
	}
	snap.Version = t.version
	snap.Members = make([]Member, 0, len(t.users))
	for id, u := range t.users {
		snap.Members = append(snap.Members, Member{UserID: id, Meta: u.meta, JoinedAt: u.joined, LastSeenAt: last[id]})
	}
	SortMembers(snap.Members)
	return snap, nil
}

// Beat implements Store.
func (s *MemoryStore) Beat(ctx context.Context, node string, now time.Time, register bool) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("presence: beat: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.nodes[node]
	switch {
	case n == nil && !register:
		return ErrNodeGone
	case n == nil:
		n = &memNode{topics: make(map[string]struct{})}
		s.nodes[node] = n
	}
	if !n.closing {
		n.lastBeat = now
	}
	return nil
}

// CloseNode implements Store.
func (s *MemoryStore) CloseNode(ctx context.Context, node string, lastBeat time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("presence: close node: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.nodes[node]; n != nil {
		n.lastBeat, n.closing = lastBeat, true
	}
	return nil
}

// Reap implements Store.
func (s *MemoryStore) Reap(ctx context.Context, cutoff time.Time) ([]Change, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("presence: reap: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var changes []Change
	for id, n := range s.nodes {
		if n.lastBeat.After(cutoff) {
			continue
		}
		delete(s.nodes, id)
		reason := NodeDied
		if n.closing {
			reason = Disconnected
		}
		for name := range n.topics {
			t := s.topics[name]
			if t == nil {
				continue
			}
			ch := Change{Topic: name, Reason: reason}
			for cid, c := range t.conns {
				if c.node != id {
					continue
				}
				if m, last := t.removeConn(cid, c); last {
					ch.Left = append(ch.Left, m)
				}
			}
			ch.Version, ch.Members = t.version, len(t.users)
			s.dropIfEmpty(name, t)
			if len(ch.Left) > 0 {
				SortMembers(ch.Left)
				changes = append(changes, ch)
			}
		}
	}
	return changes, nil
}
