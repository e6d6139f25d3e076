package hub

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/auth"
	"github.com/listhub/listhub/hub/connection"
	"github.com/listhub/listhub/protocol"
)

// revocable allows everything except what is listed in denied.
type revocable struct{ denied atomic.Value } // map[string]bool of "group:<g>" / "method:<m>" / "connect"

func (r *revocable) deny(keys ...string) {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	r.denied.Store(m)
}

func (r *revocable) Authorize(_ context.Context, _ *auth.Identity, a auth.Action) error {
	m, _ := r.denied.Load().(map[string]bool)
	key := map[auth.ActionKind]string{auth.Connect: "connect", auth.Invoke: "method:" + a.Method, auth.JoinGroup: "group:" + a.Group}[a.Kind]
	if m[key] {
		return auth.ErrForbidden
	}
	return nil
}

func listHub(t *testing.T, cfg Config) (*Server, string) {
	return testServer(t, cfg, func(s *Server) {
		require.NoError(t, s.Register("Echo", func(msg string) string { return msg }))
		require.NoError(t, s.Register("Join", func(c *Context, g string) error { return c.Groups().Add(c, c.ConnectionID(), g) }))
	})
}

func TestForbiddenCallAndJoinKeepTheConnection(t *testing.T) {
	perms := &revocable{}
	perms.deny("group:secret", "method:Echo")
	_, url := listHub(t, Config{Authenticator: userFromQuery, Authorizer: perms})
	c := dial(t, url+"?user=ann", protocol.JSON{})
	assert.Equal(t, "An unexpected error occurred invoking 'Join' on the server. HubException: Access denied", c.invoke("1", "Join", "secret").Error)
	assert.Equal(t, "An unexpected error occurred invoking 'Echo' on the server. HubException: Access denied", c.invoke("2", "Echo", "x").Error)
	perms.deny() // allowed again: the answer is never cached
	assert.Empty(t, c.invoke("3", "Join", "secret").Error)
	assert.Empty(t, c.invoke("4", "Echo", "x").Error)
}

// expectOnly asserts that the next message the client receives is the
// marker: nothing sent before it arrived.
func expectOnly(t *testing.T, c *testClient, marker string) {
	t.Helper()
	inv, ok := c.recv().(*protocol.Invocation)
	require.True(t, ok)
	assert.Equal(t, marker, inv.Target, "a revoked connection received a group message")
}

func TestRevocation(t *testing.T) {
	t.Run("immediate", func(t *testing.T) {
		s, url := listHub(t, Config{Authenticator: userFromQuery})
		ann := dial(t, url+"?user=ann", protocol.JSON{})
		annTab2 := dial(t, url+"?user=ann", protocol.MessagePack{})
		for _, c := range []*testClient{ann, annTab2} {
			require.Empty(t, c.invoke("1", "Join", "list").Error)
		}
		ctx := context.Background()
		require.NoError(t, s.Clients().Group("list").Send(ctx, "Changed", 1))
		for _, c := range []*testClient{ann, annTab2} {
			assert.Equal(t, "Changed", c.recv().(*protocol.Invocation).Target)
		}
		require.NoError(t, s.Groups().RemoveUser(ctx, "ann", "list"))
		for i := range 100 {
			require.NoError(t, s.Clients().Group("list").Send(ctx, "Changed", i))
		}
		require.NoError(t, s.Clients().User("ann").Send(ctx, "Marker"))
		expectOnly(t, ann, "Marker")
		expectOnly(t, annTab2, "Marker")
	})
	t.Run("at the next check", func(t *testing.T) {
		perms := &revocable{}
		s, url := listHub(t, Config{Authenticator: userFromQuery, Authorizer: perms, AuthorizationRecheckInterval: time.Millisecond})
		ann := dial(t, url+"?user=ann", protocol.JSON{})
		require.Empty(t, ann.invoke("1", "Join", "list").Error)
		perms.deny("group:list")
		require.Eventually(t, func() bool {
			s.local.mu.RLock()
			defer s.local.mu.RUnlock()
			return len(s.local.groups["list"]) == 0
		}, 10*time.Second, 10*time.Millisecond, "the heartbeat's recheck removes the revoked member")
		ctx := context.Background()
		for i := range 100 {
			require.NoError(t, s.Clients().Group("list").Send(ctx, "Changed", i))
		}
		require.NoError(t, s.Clients().Client(ann.id).Send(ctx, "Marker"))
		expectOnly(t, ann, "Marker")
		assert.Equal(t, "An unexpected error occurred invoking 'Join' on the server. HubException: Access denied", ann.invoke("2", "Join", "list").Error)
	})
}

func TestRateLimit(t *testing.T) {
	_, url := listHub(t, Config{Authenticator: userFromQuery, CallsPerSecond: 0.001, CallBurst: 2})
	c := dial(t, url+"?user=ann", protocol.JSON{})
	assert.Empty(t, c.invoke("1", "Echo", "a").Error)
	assert.Empty(t, c.invoke("2", "Echo", "b").Error)
	assert.Equal(t, "Failed to invoke 'Echo' due to an error on the server. HubException: Rate limit exceeded.", c.invoke("3", "Echo", "c").Error)
	// The limit is the user's, across tabs; other users are unaffected.
	tab2 := dial(t, url+"?user=ann", protocol.JSON{})
	assert.NotEmpty(t, tab2.invoke("1", "Echo", "d").Error)
	bob := dial(t, url+"?user=bob", protocol.JSON{})
	assert.Empty(t, bob.invoke("1", "Echo", "e").Error)
}

func negotiateStatus(t *testing.T, url string) int {
	t.Helper()
	base, query, _ := strings.Cut(url, "?")
	res, err := http.Post(base+"/negotiate?negotiateVersion=1&"+query, "text/plain", nil)
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		assert.Empty(t, body, "error statuses have an empty body, so clients show the status text")
	}
	return res.StatusCode
}

func TestConnectionLimits(t *testing.T) {
	t.Run("per user", func(t *testing.T) {
		_, url := listHub(t, Config{Authenticator: userFromQuery, MaxConnectionsPerUser: 2})
		a, _ := dial(t, url+"?user=ann", protocol.JSON{}), dial(t, url+"?user=ann", protocol.JSON{})
		assert.Equal(t, http.StatusTooManyRequests, negotiateStatus(t, url+"?user=ann"))
		assert.Equal(t, http.StatusOK, negotiateStatus(t, url+"?user=bob"))
		_ = a.ws.CloseNow()
		require.Eventually(t, func() bool { return negotiateStatus(t, url+"?user=ann") == http.StatusOK }, 5*time.Second, 10*time.Millisecond)
	})
	t.Run("per IP", func(t *testing.T) {
		_, url := listHub(t, Config{MaxConnectionsPerIP: 1})
		dial(t, url, protocol.JSON{})
		assert.Equal(t, http.StatusTooManyRequests, negotiateStatus(t, url))
	})
	t.Run("connect denied", func(t *testing.T) {
		perms := &revocable{}
		perms.deny("connect")
		_, url := listHub(t, Config{Authenticator: userFromQuery, Authorizer: perms})
		assert.Equal(t, http.StatusForbidden, negotiateStatus(t, url+"?user=ann"))
		assert.Equal(t, http.StatusUnauthorized, negotiateStatus(t, url))
	})
}

func TestOversizedMessageClosesOnlyThatConnection(t *testing.T) {
	_, url := listHub(t, Config{MaxMessageSize: 1024, EnableDetailedErrors: true})
	big, other := dial(t, url, protocol.JSON{}), dial(t, url, protocol.MessagePack{})
	big.send(&protocol.Invocation{InvocationID: "1", Target: "Echo", Arguments: []any{strings.Repeat("x", 2048)}})
	cl, ok := big.recv().(*protocol.Close)
	require.True(t, ok)
	assert.Equal(t, "Connection closed with an error. InvalidDataException: The maximum message size of 1024B was exceeded. The message size can be configured in AddHubOptions.", cl.Error)
	assert.True(t, cl.AllowReconnect)
	assert.Empty(t, other.invoke("1", "Echo", "still here").Error)
}

func TestTokenExpiryClosesTheConnection(t *testing.T) {
	expiring := auth.AuthenticatorFunc(func(r *http.Request) (*auth.Identity, error) {
		return &auth.Identity{UserID: "ann", Expires: time.Now().Add(1500 * time.Millisecond)}, nil
	})
	_, url := listHub(t, Config{Authenticator: expiring, CloseOnAuthenticationExpiration: true})
	c := dial(t, url, protocol.JSON{})
	m, err := c.tryRecv(10 * time.Second)
	require.NoError(t, err)
	cl, ok := m.(*protocol.Close)
	require.True(t, ok, "got %T", m)
	assert.Empty(t, cl.Error)
	assert.True(t, cl.AllowReconnect, "the client may reconnect with a fresh token")
}

func TestHostileTokensGetA401(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	j, err := auth.NewJWT(auth.JWTConfig{HMACKey: key})
	require.NoError(t, err)
	other, err := auth.NewJWT(auth.JWTConfig{HMACKey: []byte(strings.Repeat("o", 32))})
	require.NoError(t, err)
	_, url := listHub(t, Config{Authenticator: j})
	good, err := j.Issue("ann", time.Minute, nil)
	require.NoError(t, err)
	wrongKey, err := other.Issue("ann", time.Minute, nil)
	require.NoError(t, err)
	past, err := auth.NewJWT(auth.JWTConfig{HMACKey: key, Now: func() time.Time { return time.Now().Add(-time.Hour) }})
	require.NoError(t, err)
	expired, err := past.Issue("ann", time.Minute, nil) // expired 59 minutes ago, beyond the 5 min leeway
	require.NoError(t, err)
	cases := map[string]string{
		"missing":       "",
		"alg none":      "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbm4ifQ.",
		"malformed":     "not-a-token",
		"bad base64":    "eyJhbGciOiJIUzI1NiJ9.!!!.sig",
		"wrong key":     wrongKey,
		"expired":       expired,
		"huge":          strings.Repeat("a", 1<<20),
		"two segments":  "a.b",
		"tampered sign": good[:len(good)-2] + "xx",
	}
	for name, token := range cases {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, url+"/negotiate?negotiateVersion=1", nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
			assert.Empty(t, body)
		})
	}
	t.Run("valid, in the query", func(t *testing.T) {
		assert.Equal(t, http.StatusOK, negotiateStatus(t, url+"?access_token="+good))
	})
}

func TestRejectionsCarryCORSHeaders(t *testing.T) {
	_, url := listHub(t, Config{Authenticator: userFromQuery, Connection: connection.Options{AllowedOrigins: []string{"https://app.example"}}})
	for origin, want := range map[string]string{"https://app.example": "https://app.example", "https://evil.example": ""} {
		req, _ := http.NewRequest(http.MethodPost, url+"/negotiate?negotiateVersion=1", nil)
		req.Header.Set("Origin", origin)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
		assert.Equal(t, want, res.Header.Get("Access-Control-Allow-Origin"), origin)
	}
}

// clientIPFromHeader lets a test speak from several addresses.
func clientIPFromHeader(r *http.Request) string { return r.Header.Get("X-Test-IP") }

func negotiateFrom(t *testing.T, url, ip string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/negotiate?negotiateVersion=1", nil)
	require.NoError(t, err)
	req.Header.Set("X-Test-IP", ip)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// One address negotiating without end used to fill the node's pending
// limit, after which every new client got 503.
func TestNegotiateFloodFromOneAddress(t *testing.T) {
	_, url := listHub(t, Config{
		ClientIP:   clientIPFromHeader,
		Connection: connection.Options{MaxPendingNegotiations: 50},
	})
	statuses := map[int]int{}
	for range 200 {
		statuses[negotiateFrom(t, url, "10.0.0.1")]++
	}
	assert.Equal(t, map[int]int{http.StatusOK: 5, http.StatusTooManyRequests: 195}, statuses,
		"a tenth of the pending limit per address")
	for i := range 10 {
		assert.Equal(t, http.StatusOK, negotiateFrom(t, url, fmt.Sprintf("10.0.1.%d", i)), "others can still negotiate")
	}
	c := dial(t, url, protocol.JSON{}) // and connect
	assert.Empty(t, c.invoke("1", "Echo", "e").Error)
}

// Negotiated connections count against MaxConnectionsPerIP and
// MaxConnectionsPerUser until they start or expire.
func TestPendingNegotiationsCountAgainstLimits(t *testing.T) {
	t.Run("per IP", func(t *testing.T) {
		_, url := listHub(t, Config{
			ClientIP:            clientIPFromHeader,
			MaxConnectionsPerIP: 2,
			Connection:          connection.Options{DisconnectTimeout: time.Second},
		})
		assert.Equal(t, http.StatusOK, negotiateFrom(t, url, "10.0.0.1"))
		assert.Equal(t, http.StatusOK, negotiateFrom(t, url, "10.0.0.1"))
		assert.Equal(t, http.StatusTooManyRequests, negotiateFrom(t, url, "10.0.0.1"))
		assert.Equal(t, http.StatusOK, negotiateFrom(t, url, "10.0.0.2"))
		// The two expire unstarted and free their places.
		require.Eventually(t, func() bool { return negotiateFrom(t, url, "10.0.0.1") == http.StatusOK }, 10*time.Second, 50*time.Millisecond)
	})
	t.Run("per user", func(t *testing.T) {
		_, url := listHub(t, Config{Authenticator: userFromQuery, MaxConnectionsPerUser: 1})
		assert.Equal(t, http.StatusOK, negotiateStatus(t, url+"?user=ann"))
		assert.Equal(t, http.StatusTooManyRequests, negotiateStatus(t, url+"?user=ann"))
	})
	t.Run("a started connection takes its reservation's place", func(t *testing.T) {
		_, url := listHub(t, Config{Authenticator: userFromQuery, MaxConnectionsPerUser: 2})
		a := dial(t, url+"?user=ann", protocol.JSON{})
		b := dial(t, url+"?user=ann", protocol.JSON{})
		assert.Empty(t, a.invoke("1", "Echo", "e").Error)
		assert.Empty(t, b.invoke("1", "Echo", "e").Error)
		assert.Equal(t, http.StatusTooManyRequests, negotiateStatus(t, url+"?user=ann"))
	})
}
