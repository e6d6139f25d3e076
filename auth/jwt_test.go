package auth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/auth"
)

func TestNewJWTRejectsBadConfig(t *testing.T) {
	keyfunc := func(*jwt.Token) (any, error) { return hmacKey, nil }
	small := must(rsa.GenerateKey(rand.Reader, 1024))
	p224 := must(ecdsa.GenerateKey(elliptic.P224(), rand.Reader))
	tests := []struct {
		name string
		cfg  auth.JWTConfig
		want string
	}{
		{"no key", auth.JWTConfig{}, "no key"},
		{"HMAC and public key", auth.JWTConfig{HMACKey: hmacKey, PublicKey: publicOf(rsaKey())}, "only one"},
		{"HMAC and keyfunc", auth.JWTConfig{HMACKey: hmacKey, Keyfunc: keyfunc, Algorithms: []string{"HS256"}}, "only one"},
		{"public key and keyfunc", auth.JWTConfig{PublicKey: publicOf(rsaKey()), Keyfunc: keyfunc, Algorithms: []string{"RS256"}}, "only one"},
		{"signing key and HMAC", auth.JWTConfig{HMACKey: hmacKey, SigningKey: rsaKey()}, "SigningKey"},
		{"empty HMAC key", auth.JWTConfig{HMACKey: []byte{}}, "too short"},
		{"31-byte HMAC key", auth.JWTConfig{HMACKey: hmacKey[:31]}, "too short"},
		{"HS512 with 32-byte key", auth.JWTConfig{HMACKey: hmacKey, Algorithms: []string{"HS256", "HS512"}}, "at least 64 bytes"},
		{"alg none", auth.JWTConfig{HMACKey: hmacKey, Algorithms: []string{"none"}}, `"none"`},
		{"alg none with keyfunc", auth.JWTConfig{Keyfunc: keyfunc, Algorithms: []string{"HS256", "none"}}, `"none"`},
		{"unknown alg", auth.JWTConfig{HMACKey: hmacKey, Algorithms: []string{"HS999"}}, "unknown algorithm"},
		{"lowercase alg", auth.JWTConfig{HMACKey: hmacKey, Algorithms: []string{"hs256"}}, "unknown algorithm"},
		{"RSA alg with HMAC key", auth.JWTConfig{HMACKey: hmacKey, Algorithms: []string{"RS256"}}, "does not fit"},
		{"HMAC alg with RSA key", auth.JWTConfig{PublicKey: publicOf(rsaKey()), Algorithms: []string{"HS256"}}, "does not fit"},
		{"ES384 with P-256 key", auth.JWTConfig{PublicKey: publicOf(p256Key()), Algorithms: []string{"ES384"}}, "does not fit"},
		{"keyfunc without algorithms", auth.JWTConfig{Keyfunc: keyfunc}, "requires Algorithms"},
		{"1024-bit RSA key", auth.JWTConfig{PublicKey: &small.PublicKey}, "2048"},
		{"P-224 key", auth.JWTConfig{PublicKey: &p224.PublicKey}, "unsupported ECDSA curve"},
		{"ECDSA point off the curve", auth.JWTConfig{PublicKey: &ecdsa.PublicKey{Curve: elliptic.P256(), X: p256Key().X, Y: p384Key().Y}}, "ECDSA"},
		{"incomplete ECDSA key", auth.JWTConfig{PublicKey: &ecdsa.PublicKey{Curve: elliptic.P256()}}, "incomplete"},
		{"nil RSA key", auth.JWTConfig{PublicKey: (*rsa.PublicKey)(nil)}, "RSA"},
		{"short Ed25519 key", auth.JWTConfig{PublicKey: ed25519.PublicKey{1, 2, 3}}, "Ed25519"},
		{"private key as public key", auth.JWTConfig{PublicKey: rsaKey()}, "set it as SigningKey"},
		{"string key", auth.JWTConfig{PublicKey: "secret"}, "unsupported key type"},
		{"mismatched key pair", auth.JWTConfig{PublicKey: publicOf(rsaKey2()), SigningKey: rsaKey()}, "not the public key"},
		{"nil signing key", auth.JWTConfig{SigningKey: (*rsa.PrivateKey)(nil)}, "nil SigningKey"},
		{"signing key without fitting alg", auth.JWTConfig{SigningKey: p256Key(), Keyfunc: keyfunc, Algorithms: []string{"RS256"}}, "fits SigningKey"},
		{"1024-bit signing key", auth.JWTConfig{SigningKey: small}, "auth: SigningKey: RSA key smaller than 2048 bits"},
		{"signing key of a foreign type", auth.JWTConfig{SigningKey: fakeSigner{}}, "unsupported SigningKey type"},
		{"negative MaxTokenBytes", auth.JWTConfig{HMACKey: hmacKey, MaxTokenBytes: -1}, "MaxTokenBytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := auth.NewJWT(tt.cfg)
			require.Error(t, err)
			assert.Nil(t, j)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), "auth: "), err.Error())
			assert.NotContains(t, err.Error(), "auth: auth:")
		})
	}
}

// fakeSigner is a crypto.Signer of a kind that JWT cannot sign with, such
// as a hardware key.
type fakeSigner struct{}

func (fakeSigner) Public() crypto.PublicKey { return publicOf(p256Key()) }
func (fakeSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("unsupported")
}

func TestJWTAcceptsValidTokens(t *testing.T) {
	tests := []struct {
		name string
		cfg  auth.JWTConfig
		alg  string
		key  any // signs the token; nil: the JWT issues it
	}{
		{"HS256 issued", auth.JWTConfig{HMACKey: hmacKey}, "", nil},
		{"HS256", auth.JWTConfig{HMACKey: hmacKey}, "HS256", hmacKey},
		{"HS384", auth.JWTConfig{HMACKey: hmacKey64}, "HS384", hmacKey64},
		{"HS512", auth.JWTConfig{HMACKey: hmacKey64}, "HS512", hmacKey64},
		{"HS512 issued", auth.JWTConfig{HMACKey: hmacKey64, Algorithms: []string{"HS512"}}, "", nil},
		{"RS256", auth.JWTConfig{PublicKey: publicOf(rsaKey())}, "RS256", rsaKey()},
		{"RS512", auth.JWTConfig{PublicKey: publicOf(rsaKey())}, "RS512", rsaKey()},
		{"PS256", auth.JWTConfig{PublicKey: publicOf(rsaKey())}, "PS256", rsaKey()},
		{"RS256 issued", auth.JWTConfig{SigningKey: rsaKey()}, "", nil},
		{"PS384 issued", auth.JWTConfig{SigningKey: rsaKey(), Algorithms: []string{"PS384"}}, "", nil},
		{"ES256", auth.JWTConfig{PublicKey: publicOf(p256Key())}, "ES256", p256Key()},
		{"ES384", auth.JWTConfig{PublicKey: publicOf(p384Key())}, "ES384", p384Key()},
		{"ES512", auth.JWTConfig{PublicKey: publicOf(p521Key())}, "ES512", p521Key()},
		{"ES256 issued with key pair", auth.JWTConfig{PublicKey: publicOf(p256Key()), SigningKey: p256Key()}, "", nil},
		{"EdDSA", auth.JWTConfig{PublicKey: edKeyPub()}, "EdDSA", edKey()},
		{"EdDSA issued", auth.JWTConfig{SigningKey: edKey()}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newJWT(t, tt.cfg)
			var token string
			if tt.key == nil {
				token = must(j.Issue("alice", time.Hour, map[string]any{"name": "Alice", "role": "admin"}))
			} else {
				token = sign(t, tt.alg, tt.key, claims("role", "admin"))
			}
			id, err := j.Parse(token)
			require.NoError(t, err)
			assert.Equal(t, "alice", id.UserID)
			assert.Equal(t, "Alice", id.Name)
			assert.Equal(t, "admin", id.Claims["role"])
			assert.Equal(t, now.Add(time.Hour), id.Expires.UTC())
			assert.Equal(t, float64(now.Unix()), id.Claims["iat"])
		})
	}
}

func TestJWTAuthenticate(t *testing.T) {
	j := hmacJWT(t)
	alice := must(j.Issue("alice", time.Hour, nil))
	bob := must(j.Issue("bob", time.Hour, nil))

	tests := []struct {
		name    string
		target  string
		header  string
		want    string
		wantErr error
	}{
		{name: "header", target: "/hub", header: "Bearer " + alice, want: "alice"},
		{name: "lowercase bearer", target: "/hub", header: "bearer " + alice, want: "alice"},
		{name: "query", target: "/hub?id=1&access_token=" + bob, want: "bob"},
		{name: "header wins", target: "/hub?access_token=" + bob, header: "Bearer " + alice, want: "alice"},
		{name: "invalid header is not rescued by query", target: "/hub?access_token=" + bob, header: "Bearer x.y.z", wantErr: auth.ErrInvalidToken},
		{name: "no token", target: "/hub", wantErr: auth.ErrNoToken},
		{name: "basic auth only", target: "/hub", header: "Basic YWxpY2U6cHc=", wantErr: auth.ErrNoToken},
		{name: "garbage in query", target: "/hub?access_token=garbage", wantErr: auth.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.target, nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			id, err := j.Authenticate(r)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, id)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, id.UserID)
		})
	}
}

// hostileCase is a token that must be rejected.
type hostileCase struct {
	name    string
	token   string
	expired bool // the error also wraps ErrTokenExpired
}

// hostileTokens are rejected by a JWT with hmacKey (HS256) on the fixed
// clock. They are also the seeds of FuzzJWTParse.
func hostileTokens(t testing.TB) []hostileCase {
	valid := sign(t, "HS256", hmacKey, claims())
	validParts := strings.Split(valid, ".")
	payload := `{"sub":"alice","iat":` + fmt.Sprint(now.Unix()) + `,"exp":` + fmt.Sprint(now.Add(time.Hour).Unix()) + `}`
	hs := func(header, payload string) string { return rawHS256(hmacKey, header, payload) }
	withClaims := func(pairs ...any) string { return sign(t, "HS256", hmacKey, claims(pairs...)) }
	hour := time.Hour

	cases := []hostileCase{
		// Algorithm attacks.
		{name: "alg none unsigned", token: b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(payload) + "."},
		{name: "alg none signed", token: b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(payload) + "." + validParts[2]},
		{name: "alg none by the library", token: sign(t, "none", jwt.UnsafeAllowNoneSignatureType, claims())},
		{name: "alg None", token: b64(`{"alg":"None"}`) + "." + b64(payload) + "."},
		{name: "alg NONE", token: b64(`{"alg":"NONE"}`) + "." + b64(payload) + "."},
		{name: "alg empty", token: hs(`{"alg":""}`, payload)},
		{name: "alg missing", token: hs(`{"typ":"JWT"}`, payload)},
		{name: "alg number", token: hs(`{"alg":256}`, payload)},
		{name: "alg HS512 not allowed for a 32-byte key", token: sign(t, "HS512", hmacKey, claims())},
		{name: "alg RS256 header on HMAC signature", token: rawHS256(hmacKey, `{"alg":"RS256"}`, payload)},
		{name: "crit header", token: hs(`{"alg":"HS256","crit":["exp"],"exp":1}`, payload)},

		// Signature.
		{name: "wrong key", token: sign(t, "HS256", []byte("another-key-another-key-another-k"), claims())},
		{name: "signature of another token", token: validParts[0] + "." + b64(`{"sub":"mallory","exp":9999999999}`) + "." + validParts[2]},
		{name: "empty signature", token: validParts[0] + "." + validParts[1] + "."},
		{name: "signature flipped", token: validParts[0] + "." + validParts[1] + "." + flip(validParts[2])},
		{name: "payload changed", token: validParts[0] + "." + flip(validParts[1]) + "." + validParts[2]},

		// Encoding and shape.
		{name: "bad base64 header", token: "e!J*." + validParts[1] + "." + validParts[2]},
		{name: "bad base64 payload", token: validParts[0] + ".$$$$." + validParts[2]},
		{name: "bad base64 signature", token: validParts[0] + "." + validParts[1] + ".***"},
		{name: "padded base64", token: validParts[0] + "=." + validParts[1] + "." + validParts[2]},
		{name: "standard base64 alphabet", token: validParts[0] + "." + validParts[1] + ".+/" + validParts[2][2:]},
		{name: "truncated by one", token: valid[:len(valid)-1]},
		{name: "truncated in signature", token: valid[:len(valid)-20]},
		{name: "truncated in payload", token: valid[:len(validParts[0])+5]},
		{name: "truncated in header", token: valid[:10]},
		{name: "one segment", token: validParts[0]},
		{name: "two segments", token: validParts[0] + "." + validParts[1]},
		{name: "four segments", token: valid + "." + validParts[2]},
		{name: "four segments, empty last", token: valid + "."},
		{name: "only dots", token: ".."},
		{name: "whitespace", token: " " + valid},
		{name: "huge", token: strings.Repeat("a", 1<<20)},
		{name: "huge with a valid shape", token: validParts[0] + "." + b64(`{"sub":"alice","pad":"`+strings.Repeat("x", 1<<20)+`"}`) + "." + validParts[2]},
		{name: "header not JSON", token: hs("not json", payload)},
		{name: "header JSON array", token: hs(`["alg","HS256"]`, payload)},
		{name: "payload not JSON", token: hs(`{"alg":"HS256"}`, "not json")},
		{name: "payload JSON array", token: hs(`{"alg":"HS256"}`, `["sub","alice"]`)},
		{name: "payload null", token: hs(`{"alg":"HS256"}`, `null`)},
		{name: "payload empty", token: hs(`{"alg":"HS256"}`, ``)},

		// Time claims.
		{name: "expired", token: withClaims("exp", now.Add(-hour).Unix()), expired: true},
		{name: "expired just beyond leeway", token: withClaims("exp", now.Add(-auth.DefaultLeeway-time.Second).Unix()), expired: true},
		{name: "exp missing", token: withClaims("exp", nil)},
		{name: "exp zero", token: withClaims("exp", 0), expired: true},
		{name: "exp string", token: withClaims("exp", "tomorrow")},
		{name: "exp numeric string", token: withClaims("exp", fmt.Sprint(now.Add(hour).Unix()))},
		{name: "exp huge", token: hs(`{"alg":"HS256"}`, `{"sub":"alice","exp":1e300}`)},
		{name: "exp after 9999", token: withClaims("exp", 253402300800)},
		{name: "exp negative", token: withClaims("exp", -1)},
		{name: "nbf huge", token: withClaims("nbf", 1e19)},
		{name: "iat negative", token: withClaims("iat", -1e19)},
		{name: "nbf in the future", token: withClaims("nbf", now.Add(hour).Unix())},
		{name: "nbf string", token: withClaims("nbf", "now")},
		{name: "iat in the future", token: withClaims("iat", now.Add(hour).Unix())},
		{name: "iat string", token: withClaims("iat", "yesterday")},
		{name: "iat object", token: withClaims("iat", map[string]any{"t": 1})},
		{name: "iat bool", token: withClaims("iat", true)},

		// The user id.
		{name: "sub missing", token: withClaims("sub", nil)},
		{name: "sub empty", token: withClaims("sub", "")},
		{name: "sub number", token: withClaims("sub", 42)},
		{name: "sub array", token: withClaims("sub", []string{"alice"})},
		{name: "sub null", token: hs(`{"alg":"HS256"}`, `{"sub":null,"exp":`+fmt.Sprint(now.Add(hour).Unix())+`}`)},
	}
	return cases
}

// flip changes the first character of a base64url segment.
func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

func TestJWTRejectsHostileTokens(t *testing.T) {
	j := hmacJWT(t)
	for _, tt := range hostileTokens(t) {
		t.Run(tt.name, func(t *testing.T) {
			var (
				id  *auth.Identity
				err error
			)
			require.NotPanics(t, func() { id, err = j.Parse(tt.token) })
			t.Log(err)
			require.ErrorIs(t, err, auth.ErrInvalidToken)
			assert.NotErrorIs(t, err, auth.ErrNoToken)
			assert.Equal(t, tt.expired, errors.Is(err, auth.ErrTokenExpired), "ErrTokenExpired: %v", err)
			assert.Nil(t, id)
			assert.True(t, strings.HasPrefix(err.Error(), "auth: invalid token: "), err.Error())
		})
	}
}

func TestJWTEmptyTokenIsNoToken(t *testing.T) {
	_, err := hmacJWT(t).Parse("")
	require.ErrorIs(t, err, auth.ErrNoToken)
	assert.NotErrorIs(t, err, auth.ErrInvalidToken)
}

// An attacker who knows the RSA public key signs HS256 with it as the HMAC
// secret, hoping the server verifies HS256 with the same key bytes.
func TestJWTRejectsAlgorithmConfusion(t *testing.T) {
	pub := publicOf(rsaKey()).(*rsa.PublicKey)
	der := must(x509.MarshalPKIXPublicKey(pub))
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	tokens := map[string]string{
		"HS256 with PEM":         sign(t, "HS256", pemBytes, claims()),
		"HS256 with DER":         sign(t, "HS256", der, claims()),
		"HS256 with PKCS1":       sign(t, "HS256", x509.MarshalPKCS1PublicKey(pub), claims()),
		"ES256 with another key": sign(t, "ES256", p256Key(), claims()),
		"RS256 with another key": sign(t, "RS256", rsaKey2(), claims()),
	}
	configs := map[string]auth.JWTConfig{
		"public key":  {PublicKey: pub},
		"signing key": {SigningKey: rsaKey()},
		// The application's Keyfunc returns the RSA key for every token;
		// the HMAC method refuses a non-[]byte key.
		"keyfunc": {
			Keyfunc:    func(*jwt.Token) (any, error) { return pub, nil },
			Algorithms: []string{"RS256", "HS256", "ES256"},
		},
	}
	for cname, cfg := range configs {
		j := newJWT(t, cfg)
		for tname, token := range tokens {
			t.Run(cname+"/"+tname, func(t *testing.T) {
				_, err := j.Parse(token)
				require.ErrorIs(t, err, auth.ErrInvalidToken)
			})
		}
		// The genuine token passes.
		_, err := j.Parse(sign(t, "RS256", rsaKey(), claims()))
		require.NoError(t, err, cname)
	}
}

func TestJWTLeeway(t *testing.T) {
	min := time.Minute
	tests := []struct {
		name   string
		leeway time.Duration
		pairs  []any
		ok     bool
	}{
		{"default: expired 4 min ago", 0, []any{"exp", now.Add(-4 * min).Unix()}, true},
		{"default: expired 6 min ago", 0, []any{"exp", now.Add(-6 * min).Unix()}, false},
		{"default: nbf in 4 min", 0, []any{"nbf", now.Add(4 * min).Unix()}, true},
		{"default: nbf in 6 min", 0, []any{"nbf", now.Add(6 * min).Unix()}, false},
		{"default: iat in 4 min", 0, []any{"iat", now.Add(4 * min).Unix()}, true},
		{"default: iat in 6 min", 0, []any{"iat", now.Add(6 * min).Unix()}, false},
		{"none: expired 1 s ago", -1, []any{"exp", now.Add(-time.Second).Unix()}, false},
		{"none: expires now", -1, []any{"exp", now.Unix()}, false},
		{"none: expires in 1 s", -1, []any{"exp", now.Add(time.Second).Unix()}, true},
		{"none: nbf now", -1, []any{"nbf", now.Unix()}, true},
		{"none: nbf in 1 s", -1, []any{"nbf", now.Add(time.Second).Unix()}, false},
		{"none: iat in 1 s", -1, []any{"iat", now.Add(time.Second).Unix()}, false},
		{"10 min: expired 9 min ago", 10 * min, []any{"exp", now.Add(-9 * min).Unix()}, true},
		{"10 min: expired 11 min ago", 10 * min, []any{"exp", now.Add(-11 * min).Unix()}, false},
		{"fractional exp", -1, []any{"exp", float64(now.Unix()) + 1.5}, true},
		{"fractional exp, whole seconds count", -1, []any{"exp", float64(now.Unix()) + 0.5}, false},
		{"iat far in the past", -1, []any{"iat", 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newJWT(t, auth.JWTConfig{HMACKey: hmacKey, Leeway: tt.leeway})
			_, err := j.Parse(sign(t, "HS256", hmacKey, claims(tt.pairs...)))
			if tt.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, auth.ErrInvalidToken)
			}
		})
	}
}

func TestJWTIssuerAndAudience(t *testing.T) {
	j := newJWT(t, auth.JWTConfig{HMACKey: hmacKey, Issuer: "https://issuer", Audience: "listhub"})
	tests := []struct {
		name  string
		pairs []any
		ok    bool
	}{
		{"match", []any{"iss", "https://issuer", "aud", "listhub"}, true},
		{"audience in a list", []any{"iss", "https://issuer", "aud", []string{"other", "listhub"}}, true},
		{"wrong issuer", []any{"iss", "https://evil", "aud", "listhub"}, false},
		{"issuer missing", []any{"aud", "listhub"}, false},
		{"issuer not a string", []any{"iss", 1, "aud", "listhub"}, false},
		{"wrong audience", []any{"iss", "https://issuer", "aud", "other"}, false},
		{"audience not in list", []any{"iss", "https://issuer", "aud", []string{"a", "b"}}, false},
		{"audience missing", []any{"iss", "https://issuer"}, false},
		{"audience a number", []any{"iss", "https://issuer", "aud", 7}, false},
		{"audience list with a number", []any{"iss", "https://issuer", "aud", []any{"listhub", 7}}, false},
		{"audience case differs", []any{"iss", "https://issuer", "aud", "ListHub"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := j.Parse(sign(t, "HS256", hmacKey, claims(tt.pairs...)))
			if tt.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, auth.ErrInvalidToken)
				assert.NotErrorIs(t, err, auth.ErrTokenExpired)
			}
		})
	}

	// Issue fills in both, and its tokens pass.
	token := must(j.Issue("alice", time.Minute, nil))
	id, err := j.Parse(token)
	require.NoError(t, err)
	assert.Equal(t, "https://issuer", id.Claims["iss"])
	assert.Equal(t, "listhub", id.Claims["aud"])

	// Without the settings, iss and aud are not checked.
	_, err = hmacJWT(t).Parse(token)
	require.NoError(t, err)
}

func TestJWTClaimNames(t *testing.T) {
	j := newJWT(t, auth.JWTConfig{HMACKey: hmacKey, UserIDClaim: "nameid", NameClaim: "unique_name"})
	id, err := j.Parse(sign(t, "HS256", hmacKey, claims("nameid", "testuser", "unique_name", "Test User")))
	require.NoError(t, err)
	assert.Equal(t, "testuser", id.UserID)
	assert.Equal(t, "Test User", id.Name)

	_, err = j.Parse(sign(t, "HS256", hmacKey, claims()))
	require.ErrorIs(t, err, auth.ErrInvalidToken, "sub alone does not do for nameid")

	token := must(j.Issue("testuser", time.Minute, nil))
	parsed, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	require.NoError(t, err)
	assert.Equal(t, "testuser", parsed.Claims.(jwt.MapClaims)["nameid"])
	assert.NotContains(t, parsed.Claims.(jwt.MapClaims), "sub")
}

func TestJWTNameIsOptional(t *testing.T) {
	j := hmacJWT(t)
	for name, pairs := range map[string][]any{
		"missing":    {"name", nil},
		"not string": {"name", 7},
	} {
		id, err := j.Parse(sign(t, "HS256", hmacKey, claims(pairs...)))
		require.NoError(t, err, name)
		assert.Empty(t, id.Name, name)
	}
}

func TestJWTAllowNoExpiry(t *testing.T) {
	j := newJWT(t, auth.JWTConfig{HMACKey: hmacKey, AllowNoExpiry: true})
	id, err := j.Parse(sign(t, "HS256", hmacKey, claims("exp", nil)))
	require.NoError(t, err)
	assert.True(t, id.Expires.IsZero())

	token := must(j.Issue("alice", 0, nil))
	id, err = j.Parse(token)
	require.NoError(t, err)
	assert.True(t, id.Expires.IsZero())

	// An exp that is there is still checked.
	_, err = j.Parse(sign(t, "HS256", hmacKey, claims("exp", now.Add(-time.Hour).Unix())))
	require.ErrorIs(t, err, auth.ErrTokenExpired)
}

func TestJWTMaxTokenBytes(t *testing.T) {
	j := newJWT(t, auth.JWTConfig{HMACKey: hmacKey, MaxTokenBytes: 200})
	short := must(j.Issue("alice", time.Hour, nil))
	_, err := j.Parse(short)
	require.NoError(t, err)

	long := sign(t, "HS256", hmacKey, claims("pad", strings.Repeat("x", 200)))
	_, err = j.Parse(long)
	require.ErrorIs(t, err, auth.ErrInvalidToken)
	assert.Contains(t, err.Error(), "exceeds the limit of 200")

	// Issue refuses to mint a token that would be refused.
	_, err = j.Issue("alice", time.Hour, map[string]any{"pad": strings.Repeat("x", 200)})
	require.ErrorContains(t, err, "MaxTokenBytes")

	// The default limit is 8 KiB.
	d := hmacJWT(t)
	_, err = d.Parse(sign(t, "HS256", hmacKey, claims("pad", strings.Repeat("x", 6000))))
	require.NoError(t, err)
	_, err = d.Parse(sign(t, "HS256", hmacKey, claims("pad", strings.Repeat("x", 6200))))
	require.ErrorIs(t, err, auth.ErrInvalidToken)
}

func TestJWTIssueErrors(t *testing.T) {
	j := hmacJWT(t)
	tests := []struct {
		name   string
		j      *auth.JWT
		userID string
		ttl    time.Duration
		extra  map[string]any
		want   string
	}{
		{"verification only", newJWT(t, auth.JWTConfig{PublicKey: publicOf(rsaKey())}), "alice", time.Hour, nil, "without HMACKey or SigningKey"},
		{"keyfunc only", newJWT(t, auth.JWTConfig{Keyfunc: func(*jwt.Token) (any, error) { return hmacKey, nil }, Algorithms: []string{"HS256"}}), "alice", time.Hour, nil, "without HMACKey or SigningKey"},
		{"empty user", j, "", time.Hour, nil, "empty user id"},
		{"negative ttl", j, "alice", -time.Second, nil, "ttl"},
		{"no expiry", j, "alice", 0, nil, "AllowNoExpiry"},
		{"extra sub", j, "alice", time.Hour, map[string]any{"sub": "mallory"}, `"sub"`},
		{"extra exp", j, "alice", time.Hour, map[string]any{"exp": 1}, `"exp"`},
		{"extra iat", j, "alice", time.Hour, map[string]any{"iat": 1}, `"iat"`},
		{"extra not JSON", j, "alice", time.Hour, map[string]any{"ch": make(chan int)}, "signing token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, err := tt.j.Issue(tt.userID, tt.ttl, tt.extra)
			require.ErrorContains(t, err, tt.want)
			assert.Empty(t, token)
		})
	}

	// Without Issuer, an extra "iss" is the caller's to set.
	token := must(j.Issue("alice", time.Hour, map[string]any{"iss": "me", "nbf": now.Unix()}))
	id, err := j.Parse(token)
	require.NoError(t, err)
	assert.Equal(t, "me", id.Claims["iss"])
}

func TestJWTKeyfuncRotation(t *testing.T) {
	oldKey := []byte("old-key-old-key-old-key-old-key-")
	keys := map[string][]byte{"old": oldKey, "new": hmacKey}
	var mu sync.Mutex
	j := newJWT(t, auth.JWTConfig{
		Keyfunc: func(t *jwt.Token) (any, error) {
			mu.Lock()
			defer mu.Unlock()
			kid, _ := t.Header["kid"].(string)
			if key, ok := keys[kid]; ok {
				return key, nil
			}
			return nil, fmt.Errorf("unknown kid %q", kid)
		},
		Algorithms: []string{"HS256"},
	})
	withKid := func(kid string, key []byte) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims())
		tok.Header["kid"] = kid
		return must(tok.SignedString(key))
	}

	_, err := j.Parse(withKid("old", oldKey))
	require.NoError(t, err)
	_, err = j.Parse(withKid("new", hmacKey))
	require.NoError(t, err)
	_, err = j.Parse(withKid("new", oldKey))
	require.ErrorIs(t, err, auth.ErrInvalidToken)
	_, err = j.Parse(withKid("gone", oldKey))
	require.ErrorIs(t, err, auth.ErrInvalidToken)
	require.ErrorContains(t, err, "unknown kid")

	// Retiring a key takes effect at once.
	mu.Lock()
	delete(keys, "old")
	mu.Unlock()
	_, err = j.Parse(withKid("old", oldKey))
	require.ErrorIs(t, err, auth.ErrInvalidToken)
}

func TestJWTKeyfuncWithSigningKey(t *testing.T) {
	var seen []string
	j := newJWT(t, auth.JWTConfig{
		Keyfunc: func(t *jwt.Token) (any, error) {
			seen = append(seen, t.Method.Alg())
			return edKeyPub(), nil
		},
		Algorithms: []string{"RS256", "EdDSA"},
		SigningKey: edKey(),
	})
	token := must(j.Issue("alice", time.Hour, nil))
	id, err := j.Parse(token)
	require.NoError(t, err)
	assert.Equal(t, "alice", id.UserID)
	assert.Equal(t, []string{"EdDSA"}, seen)
}

func TestJWTErrorWrapsLibraryError(t *testing.T) {
	j := hmacJWT(t)
	_, err := j.Parse(sign(t, "HS256", hmacKey, claims("exp", now.Add(-time.Hour).Unix())))
	require.ErrorIs(t, err, jwt.ErrTokenExpired)
	assert.Equal(t, "auth: invalid token: token has invalid claims: token is expired", err.Error())

	_, err = j.Parse(sign(t, "HS256", []byte("another-key-another-key-another-k"), claims()))
	require.ErrorIs(t, err, jwt.ErrTokenSignatureInvalid)
	assert.NotErrorIs(t, err, auth.ErrTokenExpired)
}

// An expired token with a bad signature is only invalid: expiry is judged
// only for authentic tokens.
func TestJWTExpiredNeedsValidSignature(t *testing.T) {
	token := sign(t, "HS256", []byte("another-key-another-key-another-k"), claims("exp", now.Add(-time.Hour).Unix()))
	_, err := hmacJWT(t).Parse(token)
	require.ErrorIs(t, err, auth.ErrInvalidToken)
	assert.NotErrorIs(t, err, auth.ErrTokenExpired)
}

func TestJWTDefaultClock(t *testing.T) {
	j, err := auth.NewJWT(auth.JWTConfig{HMACKey: hmacKey})
	require.NoError(t, err)
	token := must(j.Issue("alice", time.Minute, nil))
	id, err := j.Parse(token)
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(time.Minute), id.Expires, 2*time.Second)

	// A token from the fixed clock in 2030 is "issued in the future".
	_, err = j.Parse(must(hmacJWT(t).Issue("alice", time.Minute, nil)))
	require.ErrorIs(t, err, auth.ErrInvalidToken)
}

// The hub authenticates requests of many connections at once.
func TestJWTConcurrentUse(t *testing.T) {
	j := newJWT(t, auth.JWTConfig{SigningKey: p256Key()})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			user := fmt.Sprintf("user%d", i)
			for range 20 {
				token, err := j.Issue(user, time.Hour, nil)
				if !assert.NoError(t, err) {
					return
				}
				id, err := j.Parse(token)
				if assert.NoError(t, err) {
					assert.Equal(t, user, id.UserID)
				}
			}
		})
	}
	wg.Wait()
}

// The verification key is copied: changing the caller's slice later does
// not change what the JWT accepts.
func TestJWTCopiesHMACKey(t *testing.T) {
	key := []byte(string(hmacKey))
	j := newJWT(t, auth.JWTConfig{HMACKey: key})
	token := must(j.Issue("alice", time.Hour, nil))
	key[0] ^= 0xff
	_, err := j.Parse(token)
	require.NoError(t, err)
}
