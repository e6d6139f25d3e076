package hub

import (
	"context"
	"fmt"
	"sync"

	"github.com/listhub/listhub/auth"
)

// registry is this node's local membership: its own connections, by id, by
// user and by group. It owns the backplane interest that membership causes:
// a node subscribes a user's or group's channel while it has a local member,
// and each local connection's channel while it is connected.
//
// Locks: a change takes the affected channel's lock (channelLocks) first,
// then mu for the few map operations, never holding mu across backplane I/O.
// Deliveries take only mu, for reading.
type registry struct {
	srv *Server

	locks channelLocks

	mu     sync.RWMutex
	conns  map[string]*hubConn
	users  map[string]map[*hubConn]struct{}
	groups map[string]map[*hubConn]struct{}

	limits limits
	events memberWatchers
}

func newRegistry(s *Server) *registry {
	return &registry{
		srv:    s,
		conns:  make(map[string]*hubConn),
		users:  make(map[string]map[*hubConn]struct{}),
		groups: make(map[string]map[*hubConn]struct{}),
	}
}

// Channel names. The prefix keeps hubs sharing one backplane apart.
func (s *Server) channelAll() string              { return s.cfg.ChannelPrefix + "all" }
func (s *Server) channelConn(id string) string    { return s.cfg.ChannelPrefix + "c:" + id }
func (s *Server) channelUser(id string) string    { return s.cfg.ChannelPrefix + "u:" + id }
func (s *Server) channelGroup(name string) string { return s.cfg.ChannelPrefix + "g:" + name }

// add registers h. started runs under the registry's lock, so nothing sent
// to h through the registry can be queued before what started queues (the
// handshake response). If a subscription fails, nothing is left behind.
func (r *registry) add(ctx context.Context, h *hubConn, started func() error) error {
	// Subscribe before the client can learn it is connected, so nothing sent
	// to its connection or user right after the handshake is lost.
	connCh := r.srv.channelConn(h.id)
	if err := r.subscribe(ctx, connCh); err != nil {
		return err
	}
	firstOfUser := false
	if h.userID != "" {
		userCh := r.srv.channelUser(h.userID)
		cl := r.locks.lock(userCh)
		defer r.locks.unlock(userCh, cl)
		r.mu.RLock()
		firstOfUser = len(r.users[h.userID]) == 0
		r.mu.RUnlock()
		if firstOfUser {
			if err := r.subscribe(ctx, userCh); err != nil {
				r.unsubscribe(ctx, connCh)
				return err
			}
		}
	}
	// Reported before the connection can be found, so that no join of it
	// is reported first.
	r.events.emit(MemberEvent{Kind: MemberConnected, ConnectionID: h.id, UserID: h.userID})
	r.mu.Lock()
	if err := started(); err != nil {
		r.mu.Unlock()
		if firstOfUser {
			r.unsubscribe(ctx, r.srv.channelUser(h.userID))
		}
		r.unsubscribe(ctx, connCh)
		r.events.emit(MemberEvent{Kind: MemberDisconnected, ConnectionID: h.id, UserID: h.userID})
		return err
	}
	r.conns[h.id] = h
	addMember(r.users, h.userID, h)
	r.mu.Unlock()
	return nil
}

// remove drops h and every group membership it had.
func (r *registry) remove(h *hubConn) {
	ctx := context.Background()
	r.mu.Lock()
	if r.conns[h.id] != h {
		r.mu.Unlock()
		return
	}
	// From here on a join of h finds it gone, so the groups read below are
	// all it will ever have.
	delete(r.conns, h.id)
	r.mu.Unlock()
	for name := range h.groupNames() {
		_ = r.leave(ctx, h, name)
	}
	if h.userID == "" {
		r.mu.Lock()
		removeMember(r.users, "", h)
		r.mu.Unlock()
	} else {
		userCh := r.srv.channelUser(h.userID)
		cl := r.locks.lock(userCh)
		r.mu.Lock()
		last := removeMember(r.users, h.userID, h)
		r.mu.Unlock()
		if last {
			r.unsubscribe(ctx, userCh)
		}
		r.locks.unlock(userCh, cl)
	}
	r.unsubscribe(ctx, r.srv.channelConn(h.id))
	r.events.emit(MemberEvent{Kind: MemberDisconnected, ConnectionID: h.id, UserID: h.userID})
}

// join puts h into group once the Authorizer allows it. The first local
// member subscribes the group's channel; when that fails, h is not a
// member and the error is returned.
func (r *registry) join(ctx context.Context, h *hubConn, group string) error {
	if err := r.srv.authorize(ctx, h.identity, auth.Action{Kind: auth.JoinGroup, Group: group}); err != nil {
		return ErrAccessDenied
	}
	ch := r.srv.channelGroup(group)
	cl := r.locks.lock(ch)
	defer r.locks.unlock(ch, cl)
	r.mu.RLock()
	registered := r.conns[h.id] == h
	_, member := r.groups[group][h]
	first := len(r.groups[group]) == 0
	r.mu.RUnlock()
	switch {
	case !registered:
		return fmt.Errorf("hub: joining %q: %w", group, ErrConnectionNotFound)
	case member:
		return nil
	}
	if first {
		if err := r.subscribe(ctx, ch); err != nil {
			return fmt.Errorf("hub: joining %q: %w", group, err)
		}
	}
	r.mu.Lock()
	if r.conns[h.id] != h { // disconnected during the subscribe
		r.mu.Unlock()
		if first {
			r.unsubscribe(ctx, ch)
		}
		return fmt.Errorf("hub: joining %q: %w", group, ErrConnectionNotFound)
	}
	h.addGroup(group)
	addMember(r.groups, group, h)
	r.mu.Unlock()
	r.events.emit(MemberEvent{Kind: MemberJoined, ConnectionID: h.id, UserID: h.userID, Group: group})
	return nil
}

// leave takes h out of group; the last local member unsubscribes the
// group's channel.
func (r *registry) leave(ctx context.Context, h *hubConn, group string) error {
	ch := r.srv.channelGroup(group)
	cl := r.locks.lock(ch)
	defer r.locks.unlock(ch, cl)
	r.mu.Lock()
	if _, member := r.groups[group][h]; !member {
		r.mu.Unlock()
		return nil
	}
	h.removeGroup(group)
	last := removeMember(r.groups, group, h)
	r.mu.Unlock()
	if last {
		r.unsubscribe(ctx, ch)
	}
	r.events.emit(MemberEvent{Kind: MemberLeft, ConnectionID: h.id, UserID: h.userID, Group: group})
	return nil
}

func (r *registry) get(id string) *hubConn {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.conns[id]
}

// isMember reports whether connection id of this node is in group.
func (r *registry) isMember(id, group string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h := r.conns[id]
	_, ok := r.groups[group][h]
	return h != nil && ok
}

func (r *registry) userConns(userID string) []*hubConn {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*hubConn, 0, len(r.users[userID]))
	for h := range r.users[userID] {
		out = append(out, h)
	}
	return out
}

func (r *registry) all() []*hubConn {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*hubConn, 0, len(r.conns))
	for _, h := range r.conns {
		out = append(out, h)
	}
	return out
}

func addMember(m map[string]map[*hubConn]struct{}, key string, h *hubConn) (first bool) {
	set := m[key]
	if set == nil {
		set = make(map[*hubConn]struct{})
		m[key] = set
	}
	set[h] = struct{}{}
	return len(set) == 1
}

func removeMember(m map[string]map[*hubConn]struct{}, key string, h *hubConn) (last bool) {
	set := m[key]
	if _, ok := set[h]; !ok {
		return false
	}
	delete(set, h)
	if len(set) == 0 {
		delete(m, key)
		return true
	}
	return false
}
