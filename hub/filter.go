package hub

import (
	"fmt"
	"log/slog"
	"reflect"

	"github.com/listhub/listhub/auth"
)

// A Filter wraps every hub method call and every connection's OnConnected
// and OnDisconnected, like ASP.NET Core's IHubFilter: for logging,
// metrics, tracing or checks of one's own, without wrapping each method by
// hand. Each method gets the next step of the chain and decides whether
// and how to call it. Config.Filters lists them, the first outermost.
//
// FilterFuncs makes a Filter of functions, leaving out what it does not
// wrap.
type Filter interface {
	// InvokeMethod wraps a call. It returns the method's result (for a
	// streaming method, the stream) and error, or its own: an *Error
	// reaches the client, any other error only its generic message (see
	// Config.EnableDetailedErrors).
	InvokeMethod(c *Context, inv *Invocation, next InvokeFunc) (any, error)
	// OnConnected wraps Config.OnConnected, after a client's handshake. An
	// error closes the connection.
	OnConnected(c *Context, next func(*Context) error) error
	// OnDisconnected wraps Config.OnDisconnected, when a connection has
	// ended; err is the reason, nil for a clean close.
	OnDisconnected(c *Context, err error, next func(*Context, error))
}

// InvokeFunc is the rest of a call's chain: the next Filter, or the method.
type InvokeFunc func(c *Context, inv *Invocation) (any, error)

// Invocation is a hub method call as a Filter sees it. The identity of the
// caller is the Context's (ConnectionID, UserID, Identity).
type Invocation struct {
	// Method is the method's registered name; the client may have used
	// another case.
	Method string
	// InvocationID is the client's id for the call, "" for a call that
	// expects no answer (the clients' send).
	InvocationID string
	// Args are the arguments bound to the method's parameter types, in
	// order, without the context parameter; an upload stream parameter is
	// its stream (<-chan T, iter.Seq[T] or iter.Seq2[T, error]). A filter
	// may replace an argument with another value of the parameter's type.
	Args []any
	// RawArgs are the arguments as they were received, undecoded
	// (protocol.RawValue), for logging and auditing. Do not modify them.
	RawArgs []any
	// Streaming is set for a server-to-client streaming method: next
	// returns the stream as soon as the method has returned it, before its
	// items are sent.
	Streaming bool

	m *method
}

// FilterFuncs is a Filter made of functions; a nil field passes straight
// to next.
type FilterFuncs struct {
	Invoke       func(c *Context, inv *Invocation, next InvokeFunc) (any, error)
	Connected    func(c *Context, next func(*Context) error) error
	Disconnected func(c *Context, err error, next func(*Context, error))
}

// InvokeMethod calls f.Invoke, or next when it is nil.
func (f FilterFuncs) InvokeMethod(c *Context, inv *Invocation, next InvokeFunc) (any, error) {
	if f.Invoke == nil {
		return next(c, inv)
	}
	return f.Invoke(c, inv, next)
}

// OnConnected calls f.Connected, or next when it is nil.
func (f FilterFuncs) OnConnected(c *Context, next func(*Context) error) error {
	if f.Connected == nil {
		return next(c)
	}
	return f.Connected(c, next)
}

// OnDisconnected calls f.Disconnected, or next when it is nil.
func (f FilterFuncs) OnDisconnected(c *Context, err error, next func(*Context, error)) {
	if f.Disconnected == nil {
		next(c, err)
		return
	}
	f.Disconnected(c, err, next)
}

// chains are the Filters composed once, by New.
type chains struct {
	invoke       InvokeFunc // nil when no filter wraps calls
	connected    func(*Context) error
	disconnected func(*Context, error)
}

// buildChains composes the built-in filters (the call rate limit, then the
// Authorizer) and cfg.Filters around the methods and hooks.
func (s *Server) buildChains() {
	cfg := &s.cfg
	var filters []Filter
	if cfg.CallsPerSecond > 0 {
		filters = append(filters, FilterFuncs{Invoke: rateLimitFilter})
	}
	if cfg.Authorizer != nil {
		filters = append(filters, FilterFuncs{Invoke: s.authorizeFilter})
	}
	filters = append(filters, cfg.Filters...)

	if len(filters) > 0 {
		next := InvokeFunc(callMethod)
		for i := len(filters) - 1; i >= 0; i-- {
			f, inner := filters[i], next
			next = func(c *Context, inv *Invocation) (any, error) { return f.InvokeMethod(c, inv, inner) }
		}
		s.chains.invoke = next
	}

	connected := func(c *Context) error {
		if cfg.OnConnected == nil {
			return nil
		}
		return cfg.OnConnected(c)
	}
	disconnected := func(c *Context, err error) {
		if cfg.OnDisconnected != nil {
			cfg.OnDisconnected(c, err)
		}
	}
	for i := len(cfg.Filters) - 1; i >= 0; i-- {
		f, innerC, innerD := cfg.Filters[i], connected, disconnected
		connected = func(c *Context) error { return f.OnConnected(c, innerC) }
		disconnected = func(c *Context, err error) { f.OnDisconnected(c, err, innerD) }
	}
	if len(cfg.Filters) > 0 || cfg.OnConnected != nil {
		s.chains.connected = connected
	}
	if len(cfg.Filters) > 0 || cfg.OnDisconnected != nil {
		s.chains.disconnected = disconnected
	}
}

// rateLimitFilter applies Config.CallsPerSecond: the connection's user's
// token bucket.
func rateLimitFilter(c *Context, inv *Invocation, next InvokeFunc) (any, error) {
	if h := c.conn; h.limiter != nil && !h.limiter.Allow() {
		h.logFailure(slog.LevelInfo, "hub: call over the rate limit refused; see hub.Config.CallsPerSecond and CallBurst", inv.Method,
			"callsPerSecond", h.srv.cfg.CallsPerSecond, "burst", h.srv.cfg.CallBurst)
		return nil, errRateLimited
	}
	return next(c, inv)
}

// authorizeFilter asks Config.Authorizer about every call.
func (s *Server) authorizeFilter(c *Context, inv *Invocation, next InvokeFunc) (any, error) {
	h := c.conn
	if err := s.authorize(c, h.identity, auth.Action{Kind: auth.Invoke, Method: inv.Method, Args: inv.RawArgs}); err != nil {
		h.logFailure(slog.LevelInfo, "hub: call denied by the Authorizer", inv.Method, "reason", err)
		return nil, ErrAccessDenied
	}
	return next(c, inv)
}

// invocation builds the Invocation of a prepared call for the filters.
func (c *call) invocation(raw []any) *Invocation {
	inv := &Invocation{Method: c.m.name, InvocationID: c.id, RawArgs: raw, Streaming: c.m.streaming(), m: c.m}
	in := c.in
	if c.m.ctxParam != ctxNone {
		in = in[1:]
	}
	inv.Args = make([]any, len(in))
	for i, v := range in {
		inv.Args[i] = v.Interface()
	}
	return inv
}

// callMethod is the end of the chain: it calls the method with inv.Args.
func callMethod(c *Context, inv *Invocation) (any, error) {
	m := inv.m
	if len(inv.Args) != len(m.params) && (m.variadic == nil || len(inv.Args) < len(m.params)) {
		return nil, fmt.Errorf("hub: a filter passed %d arguments to %q, which takes %d", len(inv.Args), m.name, len(m.params))
	}
	in := make([]reflect.Value, 0, len(inv.Args)+1)
	if m.ctxParam != ctxNone {
		in = append(in, reflect.ValueOf(c))
	}
	for i, a := range inv.Args {
		t := m.variadic // the arguments past the fixed ones
		if i < len(m.params) {
			t = m.params[i].typ
		}
		if a == nil {
			in = append(in, reflect.Zero(t))
			continue
		}
		v := reflect.ValueOf(a)
		if !v.Type().AssignableTo(t) {
			return nil, fmt.Errorf("hub: a filter passed a %s as argument %d of %q, which takes a %s", v.Type(), i, m.name, t)
		}
		in = append(in, v)
	}
	out, err := m.call(in)
	if err != nil || !out.IsValid() {
		return nil, err
	}
	return out.Interface(), nil
}

// callFiltered calls c's method through the Filters; for a streaming
// method the value is the stream.
func (h *hubConn) callFiltered(c *call) (reflect.Value, error) {
	chain := h.srv.chains.invoke
	if chain == nil {
		return c.m.call(c.in)
	}
	res, err := chain(c.ctx, c.invocation(c.raw))
	if err != nil || c.m.result == resultNone {
		return reflect.Value{}, err
	}
	rt := c.m.fn.Type().Out(0)
	if res == nil {
		return reflect.Zero(rt), nil
	}
	v := reflect.ValueOf(res)
	if c.m.streaming() && !v.Type().AssignableTo(rt) {
		return reflect.Value{}, fmt.Errorf("hub: a filter returned a %s as the stream of %q, which returns a %s", v.Type(), c.m.name, rt)
	}
	return v, nil
}
