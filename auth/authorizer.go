package auth

import (
	"context"
	"errors"
	"strconv"
)

// ActionKind is the kind of an Action.
type ActionKind int

// The actions an Authorizer decides on.
const (
	// Connect is the opening of a connection: negotiate, or a WebSocket
	// opened without negotiation.
	Connect ActionKind = iota + 1
	// Invoke is a call of a hub method by the client.
	Invoke
	// JoinGroup is the addition of a connection to a group.
	JoinGroup
)

// String returns the name of the kind: "Connect", "Invoke", "JoinGroup", or
// "ActionKind(n)" for an unknown kind.
func (k ActionKind) String() string {
	switch k {
	case Connect:
		return "Connect"
	case Invoke:
		return "Invoke"
	case JoinGroup:
		return "JoinGroup"
	}
	return "ActionKind(" + strconv.Itoa(int(k)) + ")"
}

// Action is what an identity wants to do.
type Action struct {
	// Kind is the kind of action.
	Kind ActionKind
	// Method is, for Invoke, the name of the hub method as registered.
	Method string
	// Args are, for Invoke, the arguments of the call as they were received:
	// undecoded wire values, for information only (logging, auditing). An
	// Authorizer must not modify them.
	Args []any
	// Group is, for JoinGroup, the name of the group.
	Group string
}

// Authorizer decides whether an identity may perform an action. The hub
// consults it on every connect, every hub method call and every group join,
// and never caches its answer, so that a revoked permission takes effect at
// the next action.
//
// A nil error allows the action. A denial returns an error wrapping
// ErrForbidden; any other error also denies, and is taken for a failure of
// the Authorizer itself. id is nil when the server accepts anonymous
// connections and the request carried no credentials.
//
// Authorize runs on the path of every call: keep it fast, and honour ctx
// when it has to ask a remote service.
type Authorizer interface {
	Authorize(ctx context.Context, id *Identity, a Action) error
}

// AuthorizerFunc adapts an ordinary function to the Authorizer interface.
type AuthorizerFunc func(ctx context.Context, id *Identity, a Action) error

// Authorize calls f(ctx, id, a).
func (f AuthorizerFunc) Authorize(ctx context.Context, id *Identity, a Action) error {
	return f(ctx, id, a)
}

// ErrForbidden is wrapped by the errors of Authorizers that deny an action.
var ErrForbidden = errors.New("auth: access denied")

// AllowAll is an Authorizer that allows every action. It is the default of
// the hub.
var AllowAll Authorizer = allowAll{}

type allowAll struct{}

func (allowAll) Authorize(context.Context, *Identity, Action) error { return nil }

var _ Authorizer = AuthorizerFunc(nil)
