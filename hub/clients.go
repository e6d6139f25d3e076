package hub

import (
	"context"
	"fmt"

	"github.com/listhub/listhub/protocol"
)

// Clients selects who receives a message. It is usable inside and outside
// hub methods: Server.Clients returns it for HTTP handlers and background
// jobs, and Context.Clients adds the caller-relative targets.
type Clients struct {
	srv *Server
}

// All targets every connection of the hub, on every node.
func (c *Clients) All() Proxy { return c.proxy(nil, c.srv.channelAll()) }

// AllExcept targets every connection but the given ones.
func (c *Clients) AllExcept(connIDs ...string) Proxy {
	return c.proxy(connIDs, c.srv.channelAll())
}

// Client targets one connection. Its Invoke waits for a client result.
func (c *Clients) Client(connID string) ClientProxy {
	return ClientProxy{srv: c.srv, connID: connID}
}

// Clients targets the given connections.
func (c *Clients) Clients(connIDs ...string) Proxy {
	return c.proxy(nil, mapNames(connIDs, c.srv.channelConn)...)
}

// User targets every connection of a user, however many tabs and nodes.
func (c *Clients) User(userID string) Proxy { return c.proxy(nil, c.srv.channelUser(userID)) }

// Users targets every connection of the given users.
func (c *Clients) Users(userIDs ...string) Proxy {
	return c.proxy(nil, mapNames(userIDs, c.srv.channelUser)...)
}

// Group targets the members of a group.
func (c *Clients) Group(name string) Proxy { return c.proxy(nil, c.srv.channelGroup(name)) }

// Groups targets the members of the given groups; a connection in several of
// them receives the message once per group.
func (c *Clients) Groups(names ...string) Proxy {
	return c.proxy(nil, mapNames(names, c.srv.channelGroup)...)
}

// GroupExcept targets the members of a group but the given connections.
func (c *Clients) GroupExcept(name string, connIDs ...string) Proxy {
	return c.proxy(connIDs, c.srv.channelGroup(name))
}

func (c *Clients) proxy(except []string, channels ...string) Proxy {
	return Proxy{srv: c.srv, channels: channels, except: except}
}

func mapNames(names []string, f func(string) string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = f(n)
	}
	return out
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

// Proxy sends to a set of connections.
type Proxy struct {
	srv      *Server
	channels []string
	except   []string
}

// Send invokes method with args on every targeted client without waiting for
// replies. The message is encoded once per hub protocol and the same bytes
// go to every recipient; each recipient receives messages in the order they
// were sent. Send returns when the message has been handed to the
// backplane, not when clients have received it.
func (p Proxy) Send(ctx context.Context, method string, args ...any) error {
	env, err := appendMessageEnvelope(nil, p.srv.codecs, p.except, &protocol.Invocation{Target: method, Arguments: args})
	if err != nil {
		return fmt.Errorf("hub: encoding %q: %w", method, err)
	}
	for _, ch := range p.channels {
		if err := p.srv.bp.Publish(ctx, ch, env); err != nil {
			return fmt.Errorf("hub: publishing %q: %w", method, err)
		}
	}
	return nil
}

// ClientProxy targets one connection.
type ClientProxy struct {
	srv    *Server
	connID string
}

// Send invokes method with args on the client without waiting for a reply.
// A connection of this node gets the message directly, so it is ordered
// with everything else this node sends it, including the Completion of the
// hub method that sent it.
func (p ClientProxy) Send(ctx context.Context, method string, args ...any) error {
	inv := &protocol.Invocation{Target: method, Arguments: args}
	if h := p.srv.local.get(p.connID); h != nil {
		return h.send(inv)
	}
	env, err := appendMessageEnvelope(nil, p.srv.codecs, nil, inv)
	if err != nil {
		return fmt.Errorf("hub: encoding %q: %w", method, err)
	}
	return p.srv.bp.Publish(ctx, p.srv.channelConn(p.connID), env)
}

// Invoke calls method on the client and waits for its result (a "client
// result"), which is decoded into out (a pointer, or nil to discard it). It
// fails with the client's error text, when the client disconnects
// ("Connection '<id>' disconnected.") or when ctx is done; there is no other
// timeout. Only connections of this node can be invoked.
func (p ClientProxy) Invoke(ctx context.Context, out any, method string, args ...any) error {
	h := p.srv.local.get(p.connID)
	if h == nil {
		return fmt.Errorf("Connection '%s' does not exist.", p.connID) //nolint:staticcheck // the official text
	}
	return h.invokeClient(ctx, out, method, args)
}

// Invoke calls method on one client and returns its result as a T; see
// ClientProxy.Invoke.
func Invoke[T any](ctx context.Context, client ClientProxy, method string, args ...any) (T, error) {
	var out T
	err := client.Invoke(ctx, &out, method, args...)
	return out, err
}
