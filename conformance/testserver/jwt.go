package main

import (
	"crypto/rand"
	"time"

	"github.com/listhub/listhub/auth"
)

// The functional-test app's JWT setup: HMAC-SHA256 with a key made at
// startup, the NameIdentifier claim ("nameid", the short name .NET's
// JwtSecurityTokenHandler writes) set to "testuser", a 5 s lifetime and
// .NET's default 5 min clock skew, so a token stays usable for about five
// minutes of test time. Issuer and audience are written but not checked,
// as in the upstream app.
const (
	jwtIssuer   = "SignalRTestServer"
	jwtAudience = "SignalRTests"
	jwtUser     = "testuser"
	jwtLifetime = 5 * time.Second
	jwtLeeway   = 5 * time.Minute
	claimNameID = "nameid"
)

type jwtAuth struct {
	*auth.JWT
}

func newJWTAuth() (*jwtAuth, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	j, err := auth.NewJWT(auth.JWTConfig{HMACKey: key, UserIDClaim: claimNameID, Leeway: jwtLeeway})
	if err != nil {
		return nil, err
	}
	return &jwtAuth{j}, nil
}

// issue returns a token for jwtUser that expires jwtLifetime from now.
func (a *jwtAuth) issue(time.Time) (string, error) {
	return a.Issue(jwtUser, jwtLifetime, map[string]any{"iss": jwtIssuer, "aud": jwtAudience})
}
