package auth

import (
	"context"
	"time"
)

// Identity is an authenticated user: the result of an Authenticator, handed
// to every Authorizer call and carried in the contexts of the hub.
//
// An Identity is shared once it has been issued; treat it, and its Claims,
// as read-only.
type Identity struct {
	// UserID is the user's stable id. JWT takes it from the claim named by
	// JWTConfig.UserIDClaim ("sub" by default); it is never empty.
	UserID string
	// Name is the user's display name (JWTConfig.NameClaim, default "name").
	// It may be empty.
	Name string
	// Claims holds every claim of the token as encoding/json decodes it:
	// strings, float64 numbers, bools, []any, map[string]any and nil.
	Claims map[string]any
	// Expires is when the credentials expire (the "exp" claim). The zero
	// time means they do not expire. A server may close a connection whose
	// identity has expired, as ASP.NET Core's CloseOnAuthenticationExpiration
	// does.
	Expires time.Time
}

// identityKey is the context key of the Identity; unexported so that only
// WithIdentity and IdentityFrom can reach it.
type identityKey struct{}

// WithIdentity returns a copy of ctx that carries id.
func WithIdentity(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the Identity carried by ctx. ok is false when ctx
// carries none, or carries a nil Identity.
func IdentityFrom(ctx context.Context) (id *Identity, ok bool) {
	id, _ = ctx.Value(identityKey{}).(*Identity)
	return id, id != nil
}
