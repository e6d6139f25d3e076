package hub

import (
	"slices"
	"sync"
	"sync/atomic"
)

// MemberEventKind says what changed in a node's local membership.
type MemberEventKind int

// The changes WatchMembers reports.
const (
	// MemberConnected: a connection is finishing its handshake on this
	// node; it comes before any other event of the connection. (If the
	// handshake response cannot be sent, MemberDisconnected follows.)
	MemberConnected MemberEventKind = iota + 1
	// MemberDisconnected: a connection of this node ended; the MemberLeft
	// events of its groups come before it.
	MemberDisconnected
	// MemberJoined: a connection of this node joined a group.
	MemberJoined
	// MemberLeft: a connection of this node left a group.
	MemberLeft
)

// MemberEvent is one change of this node's local membership.
type MemberEvent struct {
	Kind         MemberEventKind
	ConnectionID string
	UserID       string // "" for anonymous connections
	Group        string // for MemberJoined and MemberLeft
}

// WatchMembers calls fn after every change of this node's local membership
// (connections, their users, their groups) until stop is called, so that
// other packages, presence for one, can follow who is here. fn runs on the
// goroutine that made the change, while the change's group or user is
// locked, so the events of one group or user come in the order they
// happened; it must return quickly and must not call Groups. Connections of
// other nodes are reported by their own node.
func (s *Server) WatchMembers(fn func(MemberEvent)) (stop func()) {
	return s.local.events.add(fn)
}

// memberWatchers is a copy-on-write list of WatchMembers callbacks, free to
// read when nobody watches.
type memberWatchers struct {
	mu  sync.Mutex
	fns atomic.Pointer[[]*func(MemberEvent)]
}

func (w *memberWatchers) add(fn func(MemberEvent)) (stop func()) {
	p := &fn
	w.mu.Lock()
	var next []*func(MemberEvent)
	if old := w.fns.Load(); old != nil {
		next = slices.Clone(*old)
	}
	next = append(next, p)
	w.fns.Store(&next)
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if old := w.fns.Load(); old != nil {
			next := slices.DeleteFunc(slices.Clone(*old), func(q *func(MemberEvent)) bool { return q == p })
			w.fns.Store(&next)
		}
	}
}

func (w *memberWatchers) emit(e MemberEvent) {
	fns := w.fns.Load()
	if fns == nil {
		return
	}
	for _, fn := range *fns {
		(*fn)(e)
	}
}
