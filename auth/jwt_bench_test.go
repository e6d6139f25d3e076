package auth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/listhub/listhub/auth"
)

// The hub authenticates every request of a connection: negotiate, each
// poll and each POST.
func BenchmarkJWTAuthenticate(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  auth.JWTConfig
	}{
		{"HS256", auth.JWTConfig{HMACKey: hmacKey}},
		{"ES256", auth.JWTConfig{SigningKey: p256Key()}},
		{"EdDSA", auth.JWTConfig{SigningKey: edKey()}},
		{"RS256", auth.JWTConfig{SigningKey: rsaKey()}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			j := newJWT(b, bc.cfg)
			token := must(j.Issue("alice", time.Hour, map[string]any{"name": "Alice"}))
			r := httptest.NewRequest(http.MethodPost, "/hub?id=abc", nil)
			r.Header.Set("Authorization", "Bearer "+token)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := j.Authenticate(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkTokenFromRequest(b *testing.B) {
	header := httptest.NewRequest(http.MethodGet, "/hub?id=abc", nil)
	header.Header.Set("Authorization", "Bearer abc.def.ghi")
	query := httptest.NewRequest(http.MethodGet, "/hub?id=abc&access_token=abc.def.ghi", nil)
	for name, r := range map[string]*http.Request{"header": header, "query": query} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if auth.TokenFromRequest(r) == "" {
					b.Fatal("no token")
				}
			}
		})
	}
}
