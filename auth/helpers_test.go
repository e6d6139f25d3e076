package auth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/auth"
)

// now is the clock of every test JWT, so that tokens do not age.
var now = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return now }

// hmacKey is 32 bytes: long enough for HS256 only.
var hmacKey = []byte("listhub-test-key-0123456789abcde")

// hmacKey64 is long enough for HS256, HS384 and HS512.
var hmacKey64 = []byte("listhub-test-key-0123456789abcdef0123456789abcdef0123456789abcde")

// Key pairs, generated once: RSA generation is slow.
var (
	rsaKey   = sync.OnceValue(func() *rsa.PrivateKey { return must(rsa.GenerateKey(rand.Reader, 2048)) })
	rsaKey2  = sync.OnceValue(func() *rsa.PrivateKey { return must(rsa.GenerateKey(rand.Reader, 2048)) })
	p256Key  = sync.OnceValue(func() *ecdsa.PrivateKey { return must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)) })
	p384Key  = sync.OnceValue(func() *ecdsa.PrivateKey { return must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader)) })
	p521Key  = sync.OnceValue(func() *ecdsa.PrivateKey { return must(ecdsa.GenerateKey(elliptic.P521(), rand.Reader)) })
	edKey    = sync.OnceValue(func() ed25519.PrivateKey { _, k := must2(ed25519.GenerateKey(rand.Reader)); return k })
	edKeyPub = func() ed25519.PublicKey { return edKey().Public().(ed25519.PublicKey) }
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

// newJWT returns a JWT on the fixed clock, configured by cfg.
func newJWT(t testing.TB, cfg auth.JWTConfig) *auth.JWT {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = fixedNow
	}
	j, err := auth.NewJWT(cfg)
	require.NoError(t, err)
	return j
}

// hmacJWT returns a JWT with hmacKey on the fixed clock.
func hmacJWT(t testing.TB) *auth.JWT {
	return newJWT(t, auth.JWTConfig{HMACKey: hmacKey})
}

// claims returns valid claims for user "alice" at now, changed by the
// given pairs; a nil value deletes the claim.
func claims(pairs ...any) jwt.MapClaims {
	c := jwt.MapClaims{
		"sub":  "alice",
		"name": "Alice",
		"iat":  now.Unix(),
		"exp":  now.Add(time.Hour).Unix(),
	}
	for i := 0; i < len(pairs); i += 2 {
		name := pairs[i].(string)
		if pairs[i+1] == nil {
			delete(c, name)
		} else {
			c[name] = pairs[i+1]
		}
	}
	return c
}

// sign returns claims signed with key by the method named alg.
func sign(t testing.TB, alg string, key any, c jwt.MapClaims) string {
	t.Helper()
	token, err := jwt.NewWithClaims(jwt.GetSigningMethod(alg), c).SignedString(key)
	require.NoError(t, err)
	return token
}

// b64 is the base64url encoding of JWS segments.
func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// rawHS256 joins header and payload, both taken verbatim, and signs them
// with HS256 under key, so that a test can put anything in a token that
// still has a valid signature.
func rawHS256(key []byte, header, payload string) string {
	signingInput := b64(header) + "." + b64(payload)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(signingInput))
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// publicOf returns the public key of a signer.
func publicOf(s crypto.Signer) crypto.PublicKey { return s.Public() }
