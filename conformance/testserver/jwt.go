package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The functional-test app's JWT setup: HMAC-SHA256 with a key made at
// startup, a NameIdentifier claim "testuser", a 5 s lifetime and .NET's
// default 5 min clock skew; issuer and audience are written but not checked.
const (
	jwtIssuer   = "SignalRTestServer"
	jwtAudience = "SignalRTests"
	jwtUser     = "testuser"
	jwtLifetime = 5 * time.Second
	jwtLeeway   = 5 * time.Minute

	// claimNameID is the short name .NET's JwtSecurityTokenHandler writes
	// for ClaimTypes.NameIdentifier, and the one /generateJwtToken issues.
	claimNameID = "nameid"
	// claimNameIdentifier is ClaimTypes.NameIdentifier itself, which tokens
	// from other issuers may carry unmapped.
	claimNameIdentifier = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
)

var errNoToken = errors.New("testserver: no access token")

type jwtAuth struct {
	key []byte
}

func newJWTAuth() (*jwtAuth, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return &jwtAuth{key: key}, nil
}

// issue returns a token for jwtUser that expires jwtLifetime after now.
func (a *jwtAuth) issue(now time.Time) (string, error) {
	claims := jwt.MapClaims{
		claimNameID: jwtUser,
		"iss":       jwtIssuer,
		"aud":       jwtAudience,
		"exp":       now.Add(jwtLifetime).Unix(),
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(a.key)
}

// authenticate is the hub's Config.Authenticate: the token comes from
// "Authorization: Bearer", or from ?access_token= when that header is
// absent (browsers' WebSockets and every client's SSE cannot set headers).
// It returns the NameIdentifier claim as the user id.
func (a *jwtAuth) authenticate(r *http.Request) (string, error) {
	token := r.Header.Get("Authorization")
	if token != "" {
		if len(token) >= len("Bearer ") && strings.EqualFold(token[:len("Bearer ")], "Bearer ") {
			token = strings.TrimSpace(token[len("Bearer "):])
		}
	} else {
		token = r.URL.Query().Get("access_token")
	}
	if token == "" {
		return "", errNoToken
	}
	parsed, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return a.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithLeeway(jwtLeeway),
		jwt.WithExpirationRequired(),
	)
	if err != nil {
		return "", fmt.Errorf("testserver: invalid access token: %w", err)
	}
	claims, _ := parsed.Claims.(jwt.MapClaims)
	for _, name := range []string{claimNameIdentifier, claimNameID, "sub"} {
		if id, ok := claims[name].(string); ok && id != "" {
			return id, nil
		}
	}
	return "", errors.New("testserver: the access token has no NameIdentifier claim")
}
