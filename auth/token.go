package auth

import (
	"errors"
	"net/http"
	"strings"
)

// Authenticator turns an HTTP request into an Identity. The hub calls it for
// every request that opens or uses a connection: negotiate, the WebSocket
// upgrade, the Server-Sent Events GET, each long poll and each POST of sent
// messages.
//
// A request without credentials returns an error wrapping ErrNoToken, and
// credentials that do not check out return one wrapping ErrInvalidToken; the
// hub answers both with 401 Unauthorized.
type Authenticator interface {
	Authenticate(r *http.Request) (*Identity, error)
}

// AuthenticatorFunc adapts an ordinary function to the Authenticator
// interface.
type AuthenticatorFunc func(r *http.Request) (*Identity, error)

// Authenticate calls f(r).
func (f AuthenticatorFunc) Authenticate(r *http.Request) (*Identity, error) {
	return f(r)
}

var (
	_ Authenticator = AuthenticatorFunc(nil)
	_ Authenticator = (*JWT)(nil)
)

// Errors of authentication. Every rejection of a token wraps ErrInvalidToken
// (bad signature, malformed, disallowed algorithm, expired, not yet valid,
// wrong issuer or audience, missing user id ...); a rejection because the
// token has expired also wraps ErrTokenExpired. Test them with errors.Is.
var (
	// ErrNoToken means that the request carries no credentials.
	ErrNoToken = errors.New("auth: no token")
	// ErrInvalidToken means that the credentials were rejected.
	ErrInvalidToken = errors.New("auth: invalid token")
	// ErrTokenExpired means that the credentials were authentic but have
	// expired; the client should fetch a new token.
	ErrTokenExpired = errors.New("auth: token expired")
)

// AccessTokenParam is the query parameter that carries the access token when
// the client cannot set an Authorization header.
const AccessTokenParam = "access_token"

// TokenFromRequest returns the bearer token of r: the token of an
// Authorization header with the Bearer scheme (matched case-insensitively),
// if there is one, else the access_token query parameter; "" if neither.
//
// The query parameter is how browsers authenticate WebSocket and
// Server-Sent Events requests, which cannot carry headers there. The header
// wins when both are present, because a query string is more easily logged
// and leaked. The request body is never read, so POSTed messages stay
// untouched.
func TokenFromRequest(r *http.Request) string {
	if token := bearerToken(r.Header.Get("Authorization")); token != "" {
		return token
	}
	if r.URL == nil {
		return ""
	}
	return r.URL.Query().Get(AccessTokenParam)
}

// bearerToken returns the credentials of an Authorization header value of
// the form "Bearer <token>", or "" for any other scheme.
func bearerToken(header string) string {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}
