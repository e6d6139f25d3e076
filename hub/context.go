package hub

import (
	"context"
	"net/http"

	"github.com/listhub/listhub/auth"
	"github.com/listhub/listhub/hub/connection"
)

// Context is what a hub method, OnConnected and OnDisconnected learn about
// their caller. It is a context.Context: in a hub method it is cancelled when
// the client cancels the invocation (CancelInvocation) or disconnects; in the
// hooks it lives as long as the connection.
type Context struct {
	context.Context
	conn  *hubConn
	after []func() // AfterCompletion's functions, guarded by conn.mu
}

// AfterCompletion runs f once the hub method has ended and its Completion
// has been handed to the caller's connection, so that whatever f sends to
// the caller arrives after the method's result: e.g. a join method returns
// its result, then the caller receives the group's current state. Functions
// run in the order they were added, on the method's goroutine. Outside a
// hub method (OnConnected, OnDisconnected) f never runs.
func (c *Context) AfterCompletion(f func()) {
	c.conn.mu.Lock()
	defer c.conn.mu.Unlock()
	c.after = append(c.after, f)
}

// ConnectionID returns the caller's public connection id, the id other
// clients and Clients.Client use to address it.
func (c *Context) ConnectionID() string { return c.conn.id }

// UserID returns the caller's user id from Config.Authenticator, or "" for
// an anonymous connection.
func (c *Context) UserID() string { return c.conn.userID }

// Identity returns the caller's identity from Config.Authenticator, or nil
// for an anonymous connection. It is also in the context:
// auth.IdentityFrom(c).
func (c *Context) Identity() *auth.Identity { return c.conn.identity }

// Request returns the HTTP request that opened the caller's transport (for
// WebSockets, the upgrade request). Its headers, query and cookies can be
// read for the life of the connection.
func (c *Context) Request() *http.Request { return c.conn.conn.Request() }

// Transport returns the transport the caller is connected with.
func (c *Context) Transport() connection.Transport { return c.conn.conn.Transport() }

// Protocol returns the caller's hub protocol name, "json" or "messagepack".
func (c *Context) Protocol() string { return c.conn.codec.Name() }

// Clients returns the send targets as seen from the caller: Caller, Others,
// OthersInGroup, plus every hub-wide target.
func (c *Context) Clients() CallerClients {
	return CallerClients{Clients: c.conn.srv.clients, caller: c.conn.id}
}

// Groups returns the hub's group manager.
func (c *Context) Groups() *Groups { return c.conn.srv.groups }

// SetItem stores a value for the life of the connection, like ASP.NET Core's
// Context.Items.
func (c *Context) SetItem(key string, value any) {
	c.conn.mu.Lock()
	defer c.conn.mu.Unlock()
	if c.conn.items == nil {
		c.conn.items = make(map[string]any)
	}
	c.conn.items[key] = value
}

// Item returns a value stored with SetItem.
func (c *Context) Item(key string) (any, bool) {
	c.conn.mu.Lock()
	defer c.conn.mu.Unlock()
	v, ok := c.conn.items[key]
	return v, ok
}

// Abort closes the caller's connection without allowing it to reconnect, as
// Context.Abort() does on ASP.NET Core.
func (c *Context) Abort() { c.conn.closeWithMessage("", false, nil) }
