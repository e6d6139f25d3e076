// Package auth decides who a client is and what it may do.
//
// Authentication and authorization are two small interfaces. An
// Authenticator turns an HTTP request into an Identity; an Authorizer
// decides whether that identity may perform an Action. Both have func
// adapters (AuthenticatorFunc, AuthorizerFunc), in the way of
// http.HandlerFunc. JWT is an Authenticator for JSON Web Tokens, built on
// github.com/golang-jwt/jwt/v5. The package is pure: it starts no
// goroutines and does no I/O of its own.
//
// # How the hub uses it
//
// The hub authenticates every request that belongs to a connection:
// negotiate, the WebSocket upgrade, the Server-Sent Events GET, each long
// poll and each POST of sent messages. A request without a token
// (ErrNoToken) or with a rejected one (ErrInvalidToken) gets 401
// Unauthorized with an empty body, which the official clients report as
// "Unauthorized". The identity travels in the contexts of the connection
// and its hub method calls (IdentityFrom).
//
// The Authorizer is consulted on every connect, every hub method call and
// every group join, and its answers are never cached. Revocation is
// therefore the application's to express: once the Authorizer denies,
// the next call or join of a connected user fails, without waiting for
// the token to expire. A denied connect answers 403 Forbidden; a denied
// call or join fails with "HubException: Access denied", what an ASP.NET
// Core hub that checks permissions itself sends, and the connection stays
// up. The hub also asks again, every 30 s by default, whether each
// connection may stay in each of its groups. Any error denies, but only one
// wrapping ErrForbidden is a decision; others are failures of the
// Authorizer. Identity.Expires lets the server close a connection whose
// token has expired.
//
// # Where tokens come from
//
// TokenFromRequest reads the token from an "Authorization: Bearer" header,
// or, when there is none, from the access_token query parameter. The
// SignalR clients send the header wherever they can, but browsers cannot
// set headers on WebSocket or EventSource requests, so the JavaScript
// client puts the token in the query string of those; ASP.NET Core apps
// accept it there with a JwtBearer OnMessageReceived hook. URLs end up in
// logs more easily than headers, so the header wins when both are present,
// and tokens should be short-lived.
//
// # Defaults of JWT
//
// JWTConfig's zero values give these defaults; the clock skew and the
// required expiry are those of ASP.NET Core's JWT bearer authentication:
//
//   - the algorithms are those that fit the configured key, and never
//     "none"; a token must name one of them in its "alg" header;
//   - HMAC keys must be at least as long as the hash (32 bytes for HS256),
//     RSA keys at least 2048 bits;
//   - "exp" is required (AllowNoExpiry lifts this), and "exp", "nbf" and
//     "iat" are checked with a clock skew allowance of 5 minutes (Leeway);
//   - "iss" and "aud" are checked only when Issuer and Audience are set;
//   - the user id is the "sub" claim, the display name the "name" claim;
//   - tokens longer than 8 KiB are rejected before they are decoded.
//
// Unlike ASP.NET Core, issuer and audience are checked only when they are
// configured, an "iat" in the future (beyond the leeway) is rejected, and
// claim names are not mapped: a token whose user id is in .NET's
// NameIdentifier claim ("nameid") needs UserIDClaim set to "nameid".
package auth
