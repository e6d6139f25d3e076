package connection

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dialRaw opens a WebSocket and also returns its TCP connection, so that a
// test can drop it without a close frame.
func dialRaw(t testing.TB, ts *httptest.Server, query string) (*websocket.Conn, net.Conn) {
	t.Helper()
	conns := make(chan net.Conn, 1)
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err == nil {
				conns <- c
			}
			return c, err
		},
	}}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, wsURL(ts, query), &websocket.DialOptions{HTTPClient: client})
	require.NoError(t, err)
	t.Cleanup(func() { _ = ws.CloseNow() })
	return ws, <-conns
}

// statefulConn negotiates with stateful reconnect, opens the WebSocket and
// enables reconnect as the hub does after a version-2 handshake.
func statefulConn(t testing.TB, ts *httptest.Server, app *testApp) (*testSession, string, *websocket.Conn, net.Conn) {
	t.Helper()
	_, body := do(t, ts, http.MethodPost, "/hub/negotiate?negotiateVersion=1&useStatefulReconnect=true", nil)
	var r struct {
		ConnectionToken      string
		UseStatefulReconnect bool
	}
	require.NoError(t, jsonUnmarshal(body, &r))
	require.True(t, r.UseStatefulReconnect)
	ws, raw := dialRaw(t, ts, "id="+r.ConnectionToken)
	sess := app.next(t)
	require.True(t, sess.c.StatefulReconnect())
	sess.c.EnableReconnect()
	write(t, ws, websocket.MessageText, "before")
	require.Equal(t, "before", readText(t, ws))
	return sess, r.ConnectionToken, ws, raw
}

func TestStatefulReconnect(t *testing.T) {
	app := newTestApp()
	s, ts := newTestServer(t, app, Options{AllowStatefulReconnects: true})
	sess, token, _, raw := statefulConn(t, ts, app)
	c := sess.c

	require.NoError(t, raw.Close()) // no close frame
	assert.Error(t, sess.waitDetached(t))
	assert.NoError(t, c.Write([]byte("discarded"), false), "Write while detached")
	assert.Equal(t, 1, registered(s))
	select {
	case err := <-sess.closed:
		t.Fatalf("closed while detached: %v", err)
	default:
	}

	ws2 := dial(t, ts, "id="+token)
	sess.waitResumed(t)
	assert.Equal(t, "resumed", readText(t, ws2), "Resumed's unit comes first")
	write(t, ws2, websocket.MessageText, "after")
	assert.Equal(t, "after", readText(t, ws2))
	assert.Same(t, c, s.lookup(token))
	assert.Equal(t, WebSockets, c.Transport())
	select {
	case other := <-app.sessions:
		t.Fatalf("Connect called again for %s", other.c.ID())
	default:
	}

	// It can drop and resume again.
	_ = ws2.CloseNow()
	assert.Error(t, sess.waitDetached(t))
	ws3 := dial(t, ts, "id="+token)
	sess.waitResumed(t)
	assert.Equal(t, "resumed", readText(t, ws3))

	// A close frame ends it at once.
	require.NoError(t, ws3.Close(websocket.StatusNormalClosure, ""))
	assert.NoError(t, sess.waitClosed(t))
	assert.Empty(t, sess.detached)
	eventually(t, func() bool { return registered(s) == 0 }, "still registered")
}

func TestStatefulReconnectTimeout(t *testing.T) {
	app := newTestApp()
	s, ts := newTestServer(t, app, Options{AllowStatefulReconnects: true, DisconnectTimeout: 100 * time.Millisecond, tickInterval: 10 * time.Millisecond})
	sess, token, _, raw := statefulConn(t, ts, app)
	require.NoError(t, raw.Close())
	readErr := sess.waitDetached(t)
	err := sess.waitClosed(t)
	assert.ErrorIs(t, err, ErrDisconnectTimeout)
	assert.ErrorIs(t, err, readErr)
	assert.Zero(t, registered(s))
	resp, body := do(t, ts, http.MethodGet, "/hub?id="+token, upgradeHeader())
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, "No Connection with that ID", body)
}

// TestStatefulReconnectReplacesOpenSocket: the client reconnects while the
// server still holds the old socket open.
func TestStatefulReconnectReplacesOpenSocket(t *testing.T) {
	app := newTestApp()
	_, ts := newTestServer(t, app, Options{AllowStatefulReconnects: true})
	sess, token, ws1, _ := statefulConn(t, ts, app)
	ws2 := dial(t, ts, "id="+token)
	assert.Error(t, sess.waitDetached(t))
	sess.waitResumed(t)
	assert.Equal(t, "resumed", readText(t, ws2))
	write(t, ws2, websocket.MessageText, "on two")
	assert.Equal(t, "on two", readText(t, ws2))
	// The old socket was dropped without a close frame.
	assert.Equal(t, websocket.StatusCode(-1), websocket.CloseStatus(readErr(t, ws1)))
}

func TestStatefulReconnectEnds(t *testing.T) {
	for _, tt := range []struct {
		name string
		end  func(c *Conn)
		want error
	}{
		{"Close while detached", func(c *Conn) { c.Close(errTestFail) }, errTestFail},
		{"Abort while detached", func(c *Conn) { c.Abort(errTestFail) }, errTestFail},
	} {
		t.Run(tt.name, func(t *testing.T) {
			app := newTestApp()
			s, ts := newTestServer(t, app, Options{AllowStatefulReconnects: true})
			sess, token, _, raw := statefulConn(t, ts, app)
			require.NoError(t, raw.Close())
			sess.waitDetached(t)
			tt.end(sess.c)
			assert.ErrorIs(t, sess.waitClosed(t), tt.want)
			assert.Zero(t, registered(s))
			resp, _ := do(t, ts, http.MethodGet, "/hub?id="+token, upgradeHeader())
			assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		})
	}
}

func TestNoReconnectWithoutEnable(t *testing.T) {
	for _, tt := range []struct {
		name    string
		allow   bool
		enable  bool
		negoArg string
	}{
		{"not granted", false, true, "&useStatefulReconnect=true"},
		{"not asked", true, true, ""},
		{"not enabled", true, false, "&useStatefulReconnect=true"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			app := newTestApp()
			s, ts := newTestServer(t, app, Options{AllowStatefulReconnects: tt.allow})
			_, body := do(t, ts, http.MethodPost, "/hub/negotiate?negotiateVersion=1"+tt.negoArg, nil)
			var r struct{ ConnectionToken string }
			require.NoError(t, jsonUnmarshal(body, &r))
			ws, raw := dialRaw(t, ts, "id="+r.ConnectionToken)
			sess := app.next(t)
			if tt.enable {
				sess.c.EnableReconnect()
			}
			write(t, ws, websocket.MessageText, "x")
			require.Equal(t, "x", readText(t, ws))
			require.NoError(t, raw.Close())
			assert.Error(t, sess.waitClosed(t))
			assert.Empty(t, sess.detached)
			assert.Zero(t, registered(s))
		})
	}
}

// TestStatefulReconnectSSE: EnableReconnect has no effect on other
// transports.
func TestStatefulReconnectSSE(t *testing.T) {
	app := newTestApp()
	_, ts := newTestServer(t, app, Options{AllowStatefulReconnects: true})
	_, body := do(t, ts, http.MethodPost, "/hub/negotiate?negotiateVersion=1&useStatefulReconnect=true", nil)
	var r struct{ ConnectionToken string }
	require.NoError(t, jsonUnmarshal(body, &r))
	stream := openSSE(t, ts, r.ConnectionToken, nil)
	sess := app.next(t)
	assert.True(t, sess.c.StatefulReconnect())
	sess.c.EnableReconnect()
	stream.close()
	assert.NoError(t, sess.waitClosed(t))
	assert.Empty(t, sess.detached)
}
