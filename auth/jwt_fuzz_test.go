package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/auth"
)

// FuzzJWTParse feeds arbitrary tokens to Parse, and also arbitrary headers
// and claims signed with the right key, so that the checks after the
// signature are reached too. Parse must never panic; every rejection wraps
// ErrInvalidToken (or is ErrNoToken), and every acceptance is a token that
// passes the documented checks.
func FuzzJWTParse(f *testing.F) {
	j := hmacJWT(f)

	const goodHeader = `{"alg":"HS256","typ":"JWT"}`
	goodClaims := `{"sub":"alice","name":"Alice","iat":1906545600,"exp":1906549200}`
	f.Add(must(j.Issue("alice", time.Hour, map[string]any{"name": "Alice"})), []byte(goodHeader), []byte(goodClaims))
	f.Add("", []byte(`{"alg":"none"}`), []byte(goodClaims))
	f.Add("a.b.c", []byte(`{"alg":"HS256","crit":["b64"],"b64":false}`), []byte(goodClaims))
	f.Add("a.b", []byte(`{"alg":"RS256"}`), []byte(`{"sub":42,"exp":1906549200}`))
	f.Add("a.b.c.d", []byte(`{"alg":"HS512"}`), []byte(`{"sub":"alice","exp":"never"}`))
	f.Add("e30.e30.", []byte(`{"alg":"HS256"}`), []byte(`{"sub":"alice","exp":1e300,"nbf":-1}`))
	f.Add("Bearer x", []byte(`{"alg":"HS256"}`), []byte(`{"sub":"alice","exp":1906549200,"iat":"yesterday"}`))
	f.Add("..", []byte(`{"alg":"HS256"}`), []byte(`{"sub":"alice","exp":1906549200,"nbf":1906549200}`))
	f.Add("x", []byte(goodHeader), []byte(`{"sub":"alice","exp":1906545000,"aud":[1,2],"iss":{}}`))
	f.Add("x", []byte(goodHeader), []byte(`null`))
	f.Add("x", []byte(`[]`), []byte(`[]`))
	f.Add("x", []byte(`{"alg":"HS256","alg":"none"}`), []byte(`{"sub":"","sub":"alice","exp":1906549200}`))
	for _, c := range hostileTokens(f) {
		if len(c.token) <= 4096 {
			f.Add(c.token, []byte(goodHeader), []byte(goodClaims))
		}
	}

	check := func(t *testing.T, token string) {
		id, err := j.Parse(token)
		if err != nil {
			if id != nil {
				t.Fatalf("identity %+v along with error %v", id, err)
			}
			if !errors.Is(err, auth.ErrInvalidToken) && !errors.Is(err, auth.ErrNoToken) {
				t.Fatalf("error %v wraps neither ErrInvalidToken nor ErrNoToken", err)
			}
			if errors.Is(err, auth.ErrTokenExpired) && !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("expiry %v without ErrInvalidToken", err)
			}
			return
		}
		if id == nil || id.UserID == "" {
			t.Fatalf("accepted %q with identity %+v", token, id)
		}
		if id.Expires.IsZero() || !id.Expires.Add(auth.DefaultLeeway).After(now) {
			t.Fatalf("accepted %q expiring at %v", token, id.Expires)
		}
		if token == "" || len(token) > auth.DefaultMaxTokenBytes {
			t.Fatalf("accepted a token of %d bytes", len(token))
		}
	}

	f.Fuzz(func(t *testing.T, token string, header, claims []byte) {
		check(t, token)
		check(t, rawHS256(hmacKey, string(header), string(claims)))
	})
}

// The fuzz seeds' claims are valid at the fixed clock.
func TestFuzzSeedClaimsAreValid(t *testing.T) {
	id, err := hmacJWT(t).Parse(rawHS256(hmacKey, `{"alg":"HS256","typ":"JWT"}`,
		`{"sub":"alice","name":"Alice","iat":1906545600,"exp":1906549200}`))
	require.NoError(t, err)
	assert.True(t, id.Expires.Equal(now.Add(time.Hour)), "expires %v", id.Expires)
}
