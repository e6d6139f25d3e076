package hub

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/hub/connection"
)

func TestNewRejectsInvalidConfig(t *testing.T) {
	origins := func(o ...string) connection.Options { return connection.Options{AllowedOrigins: o} }
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string // substrings of the error
	}{
		{"negative MaxMessageSize", Config{MaxMessageSize: -1}, []string{"Config.MaxMessageSize is negative"}},
		{"negative durations", Config{KeepAliveInterval: -time.Second, HandshakeTimeout: -1},
			[]string{"Config.KeepAliveInterval is negative", "Config.HandshakeTimeout is negative"}},
		{"negative limits", Config{MaxParallelInvocations: -1, StreamBufferCapacity: -2, MaxConnectionsPerIP: -3, CallBurst: -1},
			[]string{"Config.MaxParallelInvocations", "Config.StreamBufferCapacity", "Config.MaxConnectionsPerIP", "Config.CallBurst"}},
		{"CallsPerSecond NaN", Config{CallsPerSecond: math.NaN()}, []string{"Config.CallsPerSecond is NaN"}},
		{"negative CallsPerSecond", Config{CallsPerSecond: -1}, []string{"Config.CallsPerSecond is -1"}},
		{"keep-alive as long as the client timeout", Config{KeepAliveInterval: 30 * time.Second},
			[]string{"Config.KeepAliveInterval (30s) must be shorter than Config.ClientTimeoutInterval (30s)"}},
		{"keep-alive longer than the client timeout", Config{KeepAliveInterval: 20 * time.Second, ClientTimeoutInterval: 10 * time.Second},
			[]string{"Config.KeepAliveInterval (20s) must be shorter than Config.ClientTimeoutInterval (10s)"}},
		{"origin without scheme", Config{Connection: origins("app.example.com")},
			[]string{`AllowedOrigins "app.example.com": an origin starts with its scheme, e.g. "https://app.example.com"`}},
		{"origin with trailing slash", Config{Connection: origins("https://app.example.com/")},
			[]string{`AllowedOrigins "https://app.example.com/": an origin has no path, query or trailing slash: use "https://app.example.com"`}},
		{"origin with path", Config{Connection: origins("http://localhost:5173/app")},
			[]string{`use "http://localhost:5173"`}},
		{"origin without host", Config{Connection: origins("https://")}, []string{"the host is missing"}},
		{"connection layer options", Config{Connection: connection.Options{MaxQueueBytes: -1}}, []string{"MaxQueueBytes is negative"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Logger = quietLogger()
			s, err := New(tc.cfg)
			require.Error(t, err)
			assert.Nil(t, s)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestNewAcceptsValidConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"zero value", Config{}},
		{"keep-alive half the client timeout", Config{KeepAliveInterval: 5 * time.Second, ClientTimeoutInterval: 10 * time.Second}},
		{"origins and patterns", Config{Connection: connection.Options{AllowedOrigins: []string{
			"*", "https://app.example.com", "http://localhost:5173", "https://*.example.com", "HTTPS://UPPER.example.com"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Logger = quietLogger()
			s, err := New(tc.cfg)
			require.NoError(t, err)
			require.NoError(t, s.Close())
		})
	}
}
