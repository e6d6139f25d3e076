package hub

import (
	"context"
	"strings"
	"sync"

	"github.com/listhub/listhub/auth"
)

// registry is this node's view of its own connections: by id, by user and by
// group. It owns the backplane subscriptions: a node subscribes to a user's
// or group's channel only while it has a local member, and to each local
// connection's channel while it is connected.
type registry struct {
	srv *Server

	mu     sync.RWMutex
	conns  map[string]*hubConn
	users  map[string]map[*hubConn]struct{}
	groups map[string]map[*hubConn]struct{}

	limits limits

	// subMu serializes membership changes together with the backplane
	// subscriptions they cause, so reference counts and subscriptions agree.
	subMu sync.Mutex
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
// handshake response).
func (r *registry) add(ctx context.Context, h *hubConn, started func() error) error {
	r.subMu.Lock()
	defer r.subMu.Unlock()
	bp := r.srv.bp
	// Subscribe before the client can learn it is connected, so nothing sent
	// to its connection or user right after the handshake is lost.
	channels := []string{r.srv.channelConn(h.id)}
	r.mu.RLock()
	firstOfUser := h.userID != "" && len(r.users[h.userID]) == 0
	r.mu.RUnlock()
	if firstOfUser {
		channels = append(channels, r.srv.channelUser(h.userID))
	}
	undo := func(subscribed []string) {
		for _, ch := range subscribed {
			_ = bp.Unsubscribe(context.Background(), ch)
		}
	}
	for i, ch := range channels {
		if err := bp.Subscribe(ctx, ch, r.receive); err != nil {
			undo(channels[:i])
			return err
		}
	}
	r.mu.Lock()
	if err := started(); err != nil {
		r.mu.Unlock() // a delivery may hold a channel's lock and want r.mu
		undo(channels)
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
	r.subMu.Lock()
	defer r.subMu.Unlock()
	r.mu.Lock()
	if r.conns[h.id] != h {
		r.mu.Unlock()
		return
	}
	delete(r.conns, h.id)
	lastUser := removeMember(r.users, h.userID, h)
	var emptied []string
	for name := range h.groupNames() {
		if removeMember(r.groups, name, h) {
			emptied = append(emptied, name)
		}
	}
	r.mu.Unlock()
	bp := r.srv.bp
	_ = bp.Unsubscribe(ctx, r.srv.channelConn(h.id))
	if lastUser && h.userID != "" {
		_ = bp.Unsubscribe(ctx, r.srv.channelUser(h.userID))
	}
	for _, name := range emptied {
		_ = bp.Unsubscribe(ctx, r.srv.channelGroup(name))
	}
}

func (r *registry) join(ctx context.Context, h *hubConn, group string) error {
	if err := r.srv.authorize(ctx, h.identity, auth.Action{Kind: auth.JoinGroup, Group: group}); err != nil {
		return ErrAccessDenied
	}
	r.subMu.Lock()
	defer r.subMu.Unlock()
	r.mu.Lock()
	if r.conns[h.id] != h || !h.addGroup(group) {
		r.mu.Unlock()
		return nil
	}
	first := addMember(r.groups, group, h)
	r.mu.Unlock()
	if first {
		return r.srv.bp.Subscribe(ctx, r.srv.channelGroup(group), r.receive)
	}
	return nil
}

func (r *registry) leave(ctx context.Context, h *hubConn, group string) error {
	r.subMu.Lock()
	defer r.subMu.Unlock()
	r.mu.Lock()
	if !h.removeGroup(group) {
		r.mu.Unlock()
		return nil
	}
	last := removeMember(r.groups, group, h)
	r.mu.Unlock()
	if last {
		return r.srv.bp.Unsubscribe(ctx, r.srv.channelGroup(group))
	}
	return nil
}

func (r *registry) get(id string) *hubConn {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.conns[id]
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

// receive is the backplane Receiver of every channel this node subscribes
// to. It hands each local recipient the already encoded bytes of its
// protocol; Conn.Write never blocks, so a slow client cannot hold it up.
func (r *registry) receive(channel string, payload []byte) {
	name, ok := strings.CutPrefix(channel, r.srv.cfg.ChannelPrefix)
	if !ok || len(payload) == 0 {
		return
	}
	if payload[0] != envMessage {
		r.receiveGroupCommand(payload)
		return
	}
	env, err := parseMessageEnvelope(payload)
	if err != nil {
		r.srv.cfg.Logger.Warn("hub: dropping a malformed backplane message", "channel", channel)
		return
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	switch {
	case name == "all":
		for _, h := range r.conns {
			h.deliver(&env)
		}
	case strings.HasPrefix(name, "c:"):
		if h := r.conns[name[2:]]; h != nil {
			h.deliver(&env)
		}
	case strings.HasPrefix(name, "u:"):
		for h := range r.users[name[2:]] {
			h.deliver(&env)
		}
	case strings.HasPrefix(name, "g:"):
		for h := range r.groups[name[2:]] {
			h.deliver(&env)
		}
	}
}

// receiveGroupCommand applies a group change another node asked for on a
// local connection's channel. It runs on its own goroutine because a
// Receiver must not call back into the backplane.
func (r *registry) receiveGroupCommand(payload []byte) {
	kind, id, group, err := parseGroupEnvelope(payload)
	if err != nil {
		return
	}
	var targets []*hubConn
	r.mu.RLock()
	if kind == envUserLeave {
		for h := range r.users[id] {
			targets = append(targets, h)
		}
	} else if h := r.conns[id]; h != nil {
		targets = append(targets, h)
	}
	r.mu.RUnlock()
	if len(targets) == 0 {
		return
	}
	go func() {
		ctx := context.Background()
		for _, h := range targets {
			if kind == envGroupAdd {
				_ = r.join(ctx, h, group)
			} else {
				_ = r.leave(ctx, h, group)
			}
		}
	}()
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
