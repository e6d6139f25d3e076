package hub

import (
	"context"
	"fmt"

	"github.com/listhub/listhub/internal/nodemsg"
	"github.com/listhub/listhub/protocol"
)

// Clients selects who receives a message. It is usable inside and outside
// hub methods: Server.Clients returns it for HTTP handlers and background
// jobs, and Context.Clients adds the caller-relative targets.
type Clients struct {
	srv *Server
}

// All targets every connection of the hub, on every node.
func (c *Clients) All() Proxy { return c.proxy(nil, target{kind: targetAll}) }

// AllExcept targets every connection but the given ones.
func (c *Clients) AllExcept(connIDs ...string) Proxy {
	return c.proxy(connIDs, target{kind: targetAll})
}

// Client targets one connection. Its Invoke waits for a client result.
func (c *Clients) Client(connID string) ClientProxy {
	return ClientProxy{srv: c.srv, connID: connID}
}

// Clients targets the given connections.
func (c *Clients) Clients(connIDs ...string) Proxy {
	return c.proxy(nil, targets(targetConn, connIDs)...)
}

// User targets every connection of a user, however many tabs and nodes.
func (c *Clients) User(userID string) Proxy {
	return c.proxy(nil, target{kind: targetUser, name: userID})
}

// Users targets every connection of the given users.
func (c *Clients) Users(userIDs ...string) Proxy {
	return c.proxy(nil, targets(targetUser, userIDs)...)
}

// Group targets the members of a group.
func (c *Clients) Group(name string) Proxy {
	return c.proxy(nil, target{kind: targetGroup, name: name})
}

// Groups targets the members of the given groups; a connection in several of
// them receives the message once per group.
func (c *Clients) Groups(names ...string) Proxy {
	return c.proxy(nil, targets(targetGroup, names)...)
}

// GroupExcept targets the members of a group but the given connections.
func (c *Clients) GroupExcept(name string, connIDs ...string) Proxy {
	return c.proxy(connIDs, target{kind: targetGroup, name: name})
}

func (c *Clients) proxy(except []string, ts ...target) Proxy {
	return Proxy{srv: c.srv, targets: ts, except: except}
}

// CallerClients adds the targets relative to the calling connection.
type CallerClients struct {
	*Clients
	caller string
}

// Caller targets the calling connection.
func (c CallerClients) Caller() ClientProxy { return c.Client(c.caller) }

// Others targets every connection but the caller.
func (c CallerClients) Others() Proxy { return c.AllExcept(c.caller) }

// OthersInGroup targets a group's members but the caller.
func (c CallerClients) OthersInGroup(name string) Proxy { return c.GroupExcept(name, c.caller) }

type targetKind byte

const (
	targetAll targetKind = iota
	targetConn
	targetUser
	targetGroup
)

// target is one set of recipients: all, a connection, a user or a group.
type target struct {
	kind targetKind
	name string
}

func targets(kind targetKind, names []string) []target {
	out := make([]target, len(names))
	for i, n := range names {
		out[i] = target{kind: kind, name: n}
	}
	return out
}

// Proxy sends to a set of connections.
type Proxy struct {
	srv     *Server
	targets []target
	except  []string
}

// Send invokes method with args on every targeted client without waiting for
// replies. The message is encoded once per hub protocol and the same bytes
// go to every recipient. Local first: this node's recipients get it
// directly, before Send publishes it on the backplane for the other nodes
// (which is skipped for a connection of this node), so clients of one node
// reach each other even while the backplane is down. An error from the
// backplane is returned after the local recipients got the message. Send
// returns when the message is queued for the local recipients and handed
// to the backplane, not when clients have received it. See the package
// documentation for the order messages arrive in.
func (p Proxy) Send(ctx context.Context, method string, args ...any) error {
	s := p.srv
	payload, env, err := s.encodeMessage(p.except, &protocol.Invocation{Target: method, Arguments: args})
	if err != nil {
		return fmt.Errorf("hub: encoding %q: %w", method, err)
	}
	var firstErr error
	for _, t := range p.targets {
		if t.kind == targetConn {
			if h := s.local.get(t.name); h != nil {
				if !env.excludes(h.id) {
					h.deliver(&env)
				}
				continue
			}
		} else {
			s.local.deliverChannel(s.localName(t), &env)
		}
		if s.solo {
			continue
		}
		if err := s.bp.Publish(ctx, s.channelOf(t), payload); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("hub: publishing %q: %w", method, err)
		}
	}
	return firstErr
}

// localName is the name deliverChannel knows t by: its channel without the
// prefix.
func (s *Server) localName(t target) string {
	switch t.kind {
	case targetAll:
		return "all"
	case targetConn:
		return "c:" + t.name
	case targetUser:
		return "u:" + t.name
	default:
		return "g:" + t.name
	}
}

func (s *Server) channelOf(t target) string {
	switch t.kind {
	case targetAll:
		return s.channelAll()
	case targetConn:
		return s.channelConn(t.name)
	case targetUser:
		return s.channelUser(t.name)
	default:
		return s.channelGroup(t.name)
	}
}

// ClientProxy targets one connection.
type ClientProxy struct {
	srv    *Server
	connID string
}

// Send invokes method with args on the client without waiting for a reply.
// A connection of this node gets the message directly, so it is ordered
// with everything else this node sends it, including the Completion of the
// hub method that sent it; a connection of another node gets it through
// the backplane.
func (p ClientProxy) Send(ctx context.Context, method string, args ...any) error {
	inv := &protocol.Invocation{Target: method, Arguments: args}
	if h := p.srv.local.get(p.connID); h != nil {
		return h.send(inv)
	}
	if p.srv.solo {
		return nil
	}
	payload, err := nodemsg.AppendMessage(nil, p.srv.nodeName, nil, p.srv.codecs, inv)
	if err != nil {
		return fmt.Errorf("hub: encoding %q: %w", method, err)
	}
	return p.srv.bp.Publish(ctx, p.srv.channelConn(p.connID), payload)
}

// Invoke calls method on the client and waits for its result (a "client
// result"), which is decoded into out (a pointer, or nil to discard it).
// The connection may be on any node. It fails with the client's error
// text, when the client or its node goes away ("Connection '<id>'
// disconnected."), when no node has the connection ("Connection '<id>'
// does not exist."), when ctx is done, or when the owner does not answer
// within Config.RemoteCommandTimeout; once the client has the invocation
// there is no other timeout.
func (p ClientProxy) Invoke(ctx context.Context, out any, method string, args ...any) error {
	if h := p.srv.local.get(p.connID); h != nil {
		return h.invokeClient(ctx, out, method, args)
	}
	return p.srv.peers.invoke(ctx, p.connID, out, method, args)
}

// Invoke calls method on one client and returns its result as a T; see
// ClientProxy.Invoke.
func Invoke[T any](ctx context.Context, client ClientProxy, method string, args ...any) (T, error) {
	var out T
	err := client.Invoke(ctx, &out, method, args...)
	return out, err
}
