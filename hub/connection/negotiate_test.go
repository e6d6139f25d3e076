package connection

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

const allTransportsJSON = `"availableTransports":\[\{"transport":"WebSockets","transferFormats":\["Text","Binary"\]\},` +
	`\{"transport":"ServerSentEvents","transferFormats":\["Text"\]\},` +
	`\{"transport":"LongPolling","transferFormats":\["Text","Binary"\]\}\]\}$`

func TestNegotiate(t *testing.T) {
	tests := []struct {
		name  string
		min   int
		query string
		want  string // regexp over the whole body
	}{
		{"missing version is 0", 0, "", `^\{"negotiateVersion":0,"connectionId":"(?P<id>[A-Za-z0-9_-]{22})",` + allTransportsJSON},
		{"version 0", 0, "?negotiateVersion=0", `^\{"negotiateVersion":0,"connectionId":"[A-Za-z0-9_-]{22}",` + allTransportsJSON},
		{"version 1", 0, "?negotiateVersion=1", `^\{"negotiateVersion":1,"connectionId":"[A-Za-z0-9_-]{22}","connectionToken":"[A-Za-z0-9_-]{22}",` + allTransportsJSON},
		{"key case-insensitive", 0, "?NEGOTIATEVERSION=1", `^\{"negotiateVersion":1,"connectionId":"[A-Za-z0-9_-]{22}","connectionToken":"[A-Za-z0-9_-]{22}",` + allTransportsJSON},
		{"above max clamped", 0, "?negotiateVersion=7", `^\{"negotiateVersion":1,"connectionId":"[A-Za-z0-9_-]{22}","connectionToken":"[A-Za-z0-9_-]{22}",` + allTransportsJSON},
		{"other query kept", 0, "?numRedirects=0&negotiateVersion=1", `^\{"negotiateVersion":1,"connectionId":"[A-Za-z0-9_-]{22}","connectionToken":"[A-Za-z0-9_-]{22}",` + allTransportsJSON},
		{"non-integer", 0, "?negotiateVersion=abc", `^\{"error":"The client requested a non-integer protocol version\."\}$`},
		{"empty", 0, "?negotiateVersion=", `^\{"error":"The client requested a non-integer protocol version\."\}$`},
		{"below min", 1, "?negotiateVersion=0", `^\{"error":"The client requested version '0', but the server does not support this version\."\}$`},
		{"missing below min", 1, "", `^\{"error":"The client requested version '0', but the server does not support this version\."\}$`},
		{"negative", 0, "?negotiateVersion=-1", `^\{"error":"The client requested version '-1', but the server does not support this version\."\}$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := newTestServer(t, newTestApp(), Options{MinNegotiateVersion: tt.min})
			resp, body := do(t, ts, http.MethodPost, "/hub/negotiate"+tt.query, nil)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			assert.EqualValues(t, len(body), resp.ContentLength)
			assert.Regexp(t, regexp.MustCompile(tt.want), body)
			assert.NotContains(t, body, "useStatefulReconnect")
		})
	}
}

func TestNegotiateTransports(t *testing.T) {
	ws := `{"transport":"WebSockets","transferFormats":["Text","Binary"]}`
	sse := `{"transport":"ServerSentEvents","transferFormats":["Text"]}`
	lp := `{"transport":"LongPolling","transferFormats":["Text","Binary"]}`
	for transports, want := range map[Transport]string{
		WebSockets:                     ws,
		ServerSentEvents:               sse,
		LongPolling:                    lp,
		ServerSentEvents | LongPolling: sse + "," + lp,
		LongPolling | WebSockets:       ws + "," + lp,
		0:                              ws + "," + sse + "," + lp,
		WebSockets | ServerSentEvents | LongPolling: ws + "," + sse + "," + lp,
	} {
		t.Run(transports.String(), func(t *testing.T) {
			_, ts := newTestServer(t, newTestApp(), Options{Transports: transports})
			_, body := do(t, ts, http.MethodPost, "/hub/negotiate?negotiateVersion=1", nil)
			assert.Contains(t, body, `"availableTransports":[`+want+`]}`)
		})
	}
}

func TestNegotiateStatefulReconnect(t *testing.T) {
	tests := []struct {
		name  string
		allow bool
		query string
		want  bool
	}{
		{"asked and allowed", true, "&useStatefulReconnect=true", true},
		{"key and value case-insensitive", true, "&UseStatefulReconnect=True", true},
		{"not asked", true, "", false},
		{"asked false", true, "&useStatefulReconnect=false", false},
		{"asked, not allowed", false, "&useStatefulReconnect=true", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ts := newTestServer(t, newTestApp(), Options{AllowStatefulReconnects: tt.allow})
			_, body := do(t, ts, http.MethodPost, "/hub/negotiate?negotiateVersion=1"+tt.query, nil)
			var r struct {
				ConnectionToken      string
				UseStatefulReconnect *bool
			}
			require.NoError(t, jsonUnmarshal(body, &r))
			if tt.want {
				assert.True(t, strings.HasSuffix(body, `}],"useStatefulReconnect":true}`), body)
			} else {
				assert.Nil(t, r.UseStatefulReconnect, body)
			}
			assert.Equal(t, tt.want, s.lookup(r.ConnectionToken).StatefulReconnect())
		})
	}
}

func TestNegotiateIDs(t *testing.T) {
	s, ts := newTestServer(t, newTestApp(), Options{AllowStatefulReconnects: true})
	seen := map[string]bool{}
	idRe := regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)
	for i := 0; i < 50; i++ {
		id, token := negotiate(t, ts)
		require.Regexp(t, idRe, id)
		require.Regexp(t, idRe, token)
		require.False(t, seen[id] || seen[token], "duplicate id")
		require.NotEqual(t, id, token)
		seen[id], seen[token] = true, true
		c := s.lookup(token)
		require.NotNil(t, c, "registry is indexed by token")
		require.Equal(t, id, c.ID())
	}
	// Version 0: the token is the id.
	_, body := do(t, ts, http.MethodPost, "/hub/negotiate", nil)
	var r struct{ ConnectionID string }
	require.NoError(t, jsonUnmarshal(body, &r))
	require.NotNil(t, s.lookup(r.ConnectionID))
}

func TestNegotiateMethodNotAllowed(t *testing.T) {
	_, ts := newTestServer(t, newTestApp(), Options{})
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		resp, body := do(t, ts, m, "/hub/negotiate?negotiateVersion=1", nil)
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, m)
		assert.Empty(t, body)
	}
}

func TestNegotiationExpiry(t *testing.T) {
	s, ts := newTestServer(t, newTestApp(), Options{DisconnectTimeout: 50 * time.Millisecond, tickInterval: 10 * time.Millisecond})
	_, token := negotiate(t, ts)
	require.NotNil(t, s.lookup(token))
	eventually(t, func() bool { return s.lookup(token) == nil }, "negotiation not expired")
	resp, body := do(t, ts, http.MethodGet, "/hub?id="+token, upgradeHeader())
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, "No Connection with that ID", body)
}

func TestMaxPendingNegotiations(t *testing.T) {
	s, ts := newTestServer(t, newTestApp(), Options{MaxPendingNegotiations: 3, DisconnectTimeout: 50 * time.Millisecond, tickInterval: 10 * time.Millisecond})
	for range 3 {
		negotiate(t, ts)
	}
	resp, body := do(t, ts, http.MethodPost, "/hub/negotiate?negotiateVersion=1", nil)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Empty(t, body)
	// Once the unused negotiations expire, there is room again.
	eventually(t, func() bool { return registered(s) == 0 }, "negotiations not expired")
	eventually(t, func() bool {
		resp, _ := do(t, ts, http.MethodPost, "/hub/negotiate?negotiateVersion=1", nil)
		return resp.StatusCode == http.StatusOK
	}, "no room after expiry")
}

func TestEndpointStatus(t *testing.T) {
	sse := http.Header{"Accept": {"text/event-stream"}}
	tests := []struct {
		name   string
		method string
		path   string // "{token}" is replaced by a negotiated token
		header http.Header
		setup  func(c *Conn)
		code   int
		body   string
		only   Transport // Options.Transports
	}{
		{"ws unknown id", http.MethodGet, "/hub?id=nope", upgradeHeader(), nil, 404, "No Connection with that ID", 0},
		{"ws id key case", http.MethodGet, "/hub?ID=nope", upgradeHeader(), nil, 404, "No Connection with that ID", 0},
		{"ws change transport", http.MethodGet, "/hub?id={token}", upgradeHeader(), func(c *Conn) { c.kind = LongPolling }, 400, "Cannot change transports mid-connection", 0},
		{"lp missing id", http.MethodGet, "/hub", nil, nil, 400, "Connection ID required", 0},
		{"lp unknown id", http.MethodGet, "/hub?id=nope", nil, nil, 404, "No Connection with that ID", 0},
		{"lp disabled", http.MethodGet, "/hub?id={token}", nil, nil, 404, "LongPolling transport not supported by this end point type", WebSockets},
		{"sse missing id", http.MethodGet, "/hub", sse, nil, 400, "Connection ID required", 0},
		{"sse disabled", http.MethodGet, "/hub?id={token}", sse, nil, 404, "ServerSentEvents transport not supported by this end point type", WebSockets},
		{"post missing id", http.MethodPost, "/hub", nil, nil, 400, "Connection ID required", 0},
		{"post unknown id", http.MethodPost, "/hub?id=nope", nil, nil, 404, "No Connection with that ID", 0},
		{"post to websocket", http.MethodPost, "/hub?id={token}", nil, func(c *Conn) { c.kind = WebSockets }, 405, "POST requests are not allowed for WebSocket connections.", 0},
		{"delete missing id", http.MethodDelete, "/hub", nil, nil, 400, "Connection ID required", 0},
		{"delete unknown id", http.MethodDelete, "/hub?id=nope", nil, nil, 404, "No Connection with that ID", 0},
		{"delete not long polling", http.MethodDelete, "/hub?id={token}", nil, nil, 400, "Cannot terminate this connection using the DELETE endpoint.", 0},
		{"sse change transport", http.MethodGet, "/hub?id={token}", sse, func(c *Conn) { c.kind = LongPolling }, 400, "Cannot change transports mid-connection", 0},
		{"lp change transport", http.MethodGet, "/hub?id={token}", nil, func(c *Conn) { c.kind = ServerSentEvents }, 400, "Cannot change transports mid-connection", 0},
		{"lp starting", http.MethodGet, "/hub?id={token}", nil, func(c *Conn) { c.kind, c.state = LongPolling, stStarting }, 409, "", 0},
		{"post not started", http.MethodPost, "/hub?id={token}", nil, nil, 409, "", 0},
		{"post only websockets", http.MethodPost, "/hub?id={token}", nil, nil, 405, "POST requests are not allowed for WebSocket connections.", WebSockets},
		{"post closed", http.MethodPost, "/hub?id={token}", nil, func(c *Conn) { c.kind, c.state = LongPolling, stClosed }, 404, "No Connection with that ID", 0},
		{"delete sse", http.MethodDelete, "/hub?id={token}", nil, func(c *Conn) { c.kind = ServerSentEvents }, 400, "Cannot terminate this connection using the DELETE endpoint.", 0},
		{"put", http.MethodPut, "/hub?id={token}", nil, nil, 405, "", 0},
		{"options without preflight", http.MethodOptions, "/hub", nil, nil, 405, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ts := newTestServer(t, newTestApp(), Options{Transports: tt.only})
			_, token := negotiate(t, ts)
			if tt.setup != nil {
				c := s.lookup(token)
				c.mu.Lock()
				tt.setup(c)
				c.mu.Unlock()
			}
			path := regexp.MustCompile(`\{token\}`).ReplaceAllString(tt.path, token)
			resp, body := do(t, ts, tt.method, path, tt.header)
			assert.Equal(t, tt.code, resp.StatusCode)
			assert.Equal(t, tt.body, body)
		})
	}
}

func TestWebSocketDisabled(t *testing.T) {
	_, ts := newTestServer(t, newTestApp(), Options{Transports: ServerSentEvents | LongPolling})
	for _, path := range []string{"/hub", "/hub?id=" + func() string { _, tok := negotiate(t, ts); return tok }()} {
		resp, body := do(t, ts, http.MethodGet, path, upgradeHeader())
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		assert.Equal(t, "WebSockets transport not supported by this end point type", body)
	}
}

func TestCORS(t *testing.T) {
	preflight := func(origin string) http.Header {
		return http.Header{
			"Origin":                         {origin},
			"Access-Control-Request-Method":  {"POST"},
			"Access-Control-Request-Headers": {"x-requested-with,x-signalr-user-agent"},
		}
	}
	tests := []struct {
		name    string
		allowed []string
		method  string
		path    string
		header  http.Header
		code    int
		cors    bool
	}{
		{"preflight allowed", []string{"https://app.example.com"}, http.MethodOptions, "/hub/negotiate", preflight("https://app.example.com"), 204, true},
		{"preflight pattern", []string{"https://*.example.com"}, http.MethodOptions, "/hub/negotiate", preflight("https://app.example.com"), 204, true},
		{"preflight any", []string{"*"}, http.MethodOptions, "/hub", preflight("http://evil.test:8080"), 204, true},
		{"preflight refused", []string{"https://app.example.com"}, http.MethodOptions, "/hub/negotiate", preflight("https://other.example.com"), 204, false},
		{"preflight default same-origin only", nil, http.MethodOptions, "/hub/negotiate", preflight("https://app.example.com"), 204, false},
		{"negotiate allowed", []string{"https://APP.example.com"}, http.MethodPost, "/hub/negotiate", http.Header{"Origin": {"https://app.example.com"}}, 200, true},
		{"negotiate refused", nil, http.MethodPost, "/hub/negotiate", http.Header{"Origin": {"https://app.example.com"}}, 200, false},
		{"endpoint allowed", []string{"*"}, http.MethodGet, "/hub?id=x", http.Header{"Origin": {"https://app.example.com"}}, 404, true},
		{"no origin", []string{"*"}, http.MethodPost, "/hub/negotiate", nil, 200, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := newTestServer(t, newTestApp(), Options{AllowedOrigins: tt.allowed})
			resp, _ := do(t, ts, tt.method, tt.path, tt.header)
			assert.Equal(t, tt.code, resp.StatusCode)
			origin := tt.header.Get("Origin")
			if !tt.cors {
				assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
				assert.Empty(t, resp.Header.Get("Access-Control-Allow-Credentials"))
				return
			}
			assert.Equal(t, origin, resp.Header.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
			if tt.method == http.MethodOptions {
				assert.Equal(t, "POST", resp.Header.Get("Access-Control-Allow-Methods"))
				assert.Equal(t, "x-requested-with,x-signalr-user-agent", resp.Header.Get("Access-Control-Allow-Headers"))
			}
		})
	}
}

func TestCORSSameOrigin(t *testing.T) {
	_, ts := newTestServer(t, newTestApp(), Options{})
	origin := ts.URL // same host:port as the request
	resp, _ := do(t, ts, http.MethodPost, "/hub/negotiate", http.Header{"Origin": {origin}})
	assert.Equal(t, origin, resp.Header.Get("Access-Control-Allow-Origin"))
}

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		ok   bool
	}{
		{"zero", Options{}, true},
		{"websockets", Options{Transports: WebSockets}, true},
		{"websockets and sse", Options{Transports: WebSockets | ServerSentEvents}, true},
		{"long polling", Options{Transports: LongPolling}, true},
		{"negative poll timeout", Options{LongPollTimeout: -1}, false},
		{"negative post limit", Options{MaxPostBytes: -1}, false},
		{"unknown transport", Options{Transports: 8}, false},
		{"min version 1", Options{MinNegotiateVersion: 1}, true},
		{"min version 2", Options{MinNegotiateVersion: 2}, false},
		{"negative timeout", Options{CloseTimeout: -1}, false},
		{"negative queue", Options{MaxQueueBytes: -1}, false},
		{"bad origin pattern", Options{AllowedOrigins: []string{"https://["}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewServer(newTestApp(), tt.opts)
			if !tt.ok {
				require.Error(t, err)
				require.Nil(t, s)
				return
			}
			require.NoError(t, err)
			require.NoError(t, s.Close())
		})
	}
	_, err := NewServer(nil, Options{})
	require.Error(t, err)

	s, err := NewServer(newTestApp(), Options{})
	require.NoError(t, err)
	defer s.Close()
	o := s.opts
	assert.Equal(t, WebSockets|ServerSentEvents|LongPolling, o.Transports)
	assert.Equal(t, 90*time.Second, o.LongPollTimeout)
	assert.Equal(t, 1<<20, o.MaxPostBytes)
	assert.Equal(t, 15*time.Second, o.DisconnectTimeout)
	assert.Equal(t, 5*time.Second, o.CloseTimeout)
	assert.Equal(t, 10*time.Second, o.TransportSendTimeout)
	assert.Equal(t, 1<<20, o.MaxQueueBytes)
	assert.Equal(t, 64<<10, o.MaxFrameBytes)
}

func TestTransportString(t *testing.T) {
	for tr, want := range map[Transport]string{
		WebSockets: "WebSockets", ServerSentEvents: "ServerSentEvents", LongPolling: "LongPolling",
		0: "None", WebSockets | LongPolling: "WebSockets|LongPolling", 9: "Transport(9)",
	} {
		assert.Equal(t, want, tr.String())
	}
}
