package connection

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func readText(t testing.TB, ws *websocket.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	typ, b, err := ws.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, websocket.MessageText, typ)
	return string(b)
}

func write(t testing.TB, ws *websocket.Conn, typ websocket.MessageType, s string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, ws.Write(ctx, typ, []byte(s)))
}

// readErr reads until the connection fails and returns the error.
func readErr(t testing.TB, ws *websocket.Conn) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for {
		if _, _, err := ws.Read(ctx); err != nil {
			require.NoError(t, ctx.Err(), "connection not closed")
			return err
		}
	}
}

func TestWebSocketNegotiated(t *testing.T) {
	app := newTestApp()
	s, ts := newTestServer(t, app, Options{})
	id, token := negotiate(t, ts)
	ws := dial(t, ts, "id="+token+"&access_token=secret")
	sess := app.next(t)
	c := sess.c
	assert.Equal(t, id, c.ID())
	assert.Equal(t, WebSockets, c.Transport())
	require.Len(t, s.Connections(), 1)
	assert.Same(t, c, s.Connections()[0])

	write(t, ws, websocket.MessageText, "hello")
	assert.Equal(t, "hello", readText(t, ws))
	write(t, ws, websocket.MessageBinary, "binary in") // frame type is ignored
	assert.Equal(t, "binary in", readText(t, ws))

	// The request outlives its handler; its context is the connection's.
	assert.Equal(t, "secret", c.Request().URL.Query().Get("access_token"))
	assert.NotEmpty(t, c.Request().Header.Get("Sec-Websocket-Key"))
	assert.NoError(t, c.Request().Context().Err())

	require.NoError(t, ws.Close(websocket.StatusNormalClosure, ""))
	assert.NoError(t, sess.waitClosed(t))
	assert.Error(t, c.Context().Err())
	assert.ErrorIs(t, c.Write([]byte("late"), false), ErrClosed)
	eventually(t, func() bool { return registered(s) == 0 }, "still registered")
}

func TestWebSocketSkipNegotiation(t *testing.T) {
	app := newTestApp()
	s, ts := newTestServer(t, app, Options{})
	ws := dial(t, ts, "")
	sess := app.next(t)
	assert.Regexp(t, regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`), sess.c.ID())
	require.Len(t, s.Connections(), 1)
	write(t, ws, websocket.MessageText, "x")
	assert.Equal(t, "x", readText(t, ws))
}

func TestWebSocketSecondConnection409(t *testing.T) {
	app := newTestApp()
	_, ts := newTestServer(t, app, Options{})
	_, token := negotiate(t, ts)
	dial(t, ts, "id="+token)
	app.next(t)
	resp, body := do(t, ts, http.MethodGet, "/hub?id="+token, upgradeHeader())
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Empty(t, body)
}

func TestWebSocketOrigin(t *testing.T) {
	tests := []struct {
		name    string
		allowed []string
		origin  string
		ok      bool
	}{
		{"cross origin refused", nil, "https://evil.example.com", false},
		{"listed", []string{"https://app.example.com"}, "https://app.example.com", true},
		{"any", []string{"*"}, "https://app.example.com", true},
		{"not listed", []string{"https://app.example.com"}, "https://evil.example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newTestApp()
			_, ts := newTestServer(t, app, Options{AllowedOrigins: tt.allowed})
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			ws, resp, err := websocket.Dial(ctx, wsURL(ts, ""), &websocket.DialOptions{
				HTTPHeader: http.Header{"Origin": {tt.origin}},
			})
			if !tt.ok {
				require.Error(t, err)
				assert.Equal(t, http.StatusForbidden, resp.StatusCode)
				return
			}
			require.NoError(t, err)
			defer ws.CloseNow()
			app.next(t)
		})
	}
}

func TestWebSocketClose(t *testing.T) {
	appErr := errors.New("app says bye")
	tests := []struct {
		name       string
		end        func(t *testing.T, ws *websocket.Conn, c *Conn)
		wantClosed error // nil, or matched with errors.Is
		wantAny    bool  // any non-nil error
		clientCode websocket.StatusCode
	}{
		{"client close frame", func(t *testing.T, ws *websocket.Conn, c *Conn) {
			require.NoError(t, ws.Close(websocket.StatusNormalClosure, ""))
		}, nil, false, -1},
		{"client going away", func(t *testing.T, ws *websocket.Conn, c *Conn) {
			require.NoError(t, ws.Close(websocket.StatusGoingAway, ""))
		}, nil, false, -1},
		{"client empty close frame is answered with 1000", func(t *testing.T, ws *websocket.Conn, c *Conn) {
			// StatusNoStatusRcvd makes the library send a close frame
			// without a status; its Close then reports the code we echo.
			err := ws.Close(websocket.StatusNoStatusRcvd, "")
			require.Equal(t, websocket.StatusNormalClosure, websocket.CloseStatus(err), "%v", err)
		}, nil, false, -1},
		{"client drops", func(t *testing.T, ws *websocket.Conn, c *Conn) {
			require.NoError(t, ws.CloseNow())
		}, nil, true, -1},
		{"server Close(nil)", func(t *testing.T, ws *websocket.Conn, c *Conn) {
			c.Close(nil)
		}, nil, false, websocket.StatusNormalClosure},
		{"server Close(err)", func(t *testing.T, ws *websocket.Conn, c *Conn) {
			c.Close(appErr)
			c.Close(nil) // no effect
		}, appErr, false, websocket.StatusNormalClosure},
		{"server Abort", func(t *testing.T, ws *websocket.Conn, c *Conn) {
			c.Abort(appErr)
		}, appErr, false, -1},
		{"receive error", func(t *testing.T, ws *websocket.Conn, c *Conn) {
			write(t, ws, websocket.MessageText, "fail")
		}, errTestFail, false, websocket.StatusNormalClosure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newTestApp()
			s, ts := newTestServer(t, app, Options{})
			ws := dial(t, ts, "")
			sess := app.next(t)
			tt.end(t, ws, sess.c)
			if tt.clientCode != -1 {
				assert.Equal(t, tt.clientCode, websocket.CloseStatus(readErr(t, ws)))
			}
			err := sess.waitClosed(t)
			switch {
			case tt.wantAny:
				assert.Error(t, err)
			case tt.wantClosed == nil:
				assert.NoError(t, err)
			default:
				assert.ErrorIs(t, err, tt.wantClosed)
			}
			eventually(t, func() bool { return registered(s) == 0 }, "still registered")
			assert.Empty(t, s.Connections())
		})
	}
}

func TestCloseFlushesQueue(t *testing.T) {
	app := newTestApp()
	_, ts := newTestServer(t, app, Options{})
	ws := dial(t, ts, "")
	c := app.next(t).c
	for i := range 100 {
		require.NoError(t, c.Write([]byte(strconv.Itoa(i)+";"), false))
	}
	c.Close(nil)
	assert.ErrorIs(t, c.Write([]byte("x"), false), ErrClosed)
	var got strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			assert.Equal(t, websocket.StatusNormalClosure, websocket.CloseStatus(err))
			break
		}
		got.Write(b)
	}
	var want strings.Builder
	for i := range 100 {
		want.WriteString(strconv.Itoa(i) + ";")
	}
	assert.Equal(t, want.String(), got.String())
}

func TestConnectError(t *testing.T) {
	app := newTestApp()
	app.connectErr = errors.New("no")
	s, ts := newTestServer(t, app, Options{})
	ws := dial(t, ts, "")
	assert.Equal(t, websocket.StatusInternalError, websocket.CloseStatus(readErr(t, ws)))
	eventually(t, func() bool { return registered(s) == 0 }, "still registered")
}

func TestTick(t *testing.T) {
	app := newTestApp()
	_, ts := newTestServer(t, app, Options{tickInterval: 5 * time.Millisecond})
	dial(t, ts, "")
	sess := app.next(t)
	eventually(t, func() bool { return sess.ticks.Load() >= 3 }, "no ticks")
}

// TestWriteOrder sends 10,000 units and checks they arrive whole and in
// order, however the writer joined them.
func TestWriteOrder(t *testing.T) {
	app := newTestApp()
	_, ts := newTestServer(t, app, Options{})
	ws := dial(t, ts, "")
	c := app.next(t).c
	const n = 10000
	go func() {
		for i := range n {
			if err := c.Write([]byte(strconv.Itoa(i)+"\x1e"), (i/1000)%2 == 1); err != nil {
				return
			}
		}
	}()
	next, frames := 0, 0
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for next < n {
		typ, b, err := ws.Read(ctx)
		require.NoError(t, err)
		frames++
		require.True(t, len(b) > 0 && b[len(b)-1] == 0x1e, "frame ends inside a unit")
		for _, u := range strings.Split(string(b[:len(b)-1]), "\x1e") {
			require.Equal(t, strconv.Itoa(next), u)
			wantBinary := (next/1000)%2 == 1
			require.Equal(t, wantBinary, typ == websocket.MessageBinary, "unit %d", next)
			next++
		}
	}
	t.Logf("%d units in %d frames", n, frames)
}

func TestPreserveUnits(t *testing.T) {
	app := newTestApp()
	_, ts := newTestServer(t, app, Options{PreserveUnits: true})
	ws := dial(t, ts, "")
	c := app.next(t).c
	const n = 500
	for i := range n {
		require.NoError(t, c.Write([]byte(strconv.Itoa(i)), false))
	}
	for i := range n {
		require.Equal(t, strconv.Itoa(i), readText(t, ws))
	}
}

// TestSlowConsumer: a client that does not read is aborted with
// ErrQueueFull while another keeps receiving.
func TestSlowConsumer(t *testing.T) {
	app := newTestApp()
	app.noEcho = true
	_, ts := newTestServer(t, app, Options{MaxQueueBytes: 64 << 10})
	smallBuffers := &websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err == nil {
				_ = c.(*net.TCPConn).SetReadBuffer(4096)
			}
			return c, err
		},
	}}}
	ctx, cancel := context.WithTimeout(context.Background(), 4*waitTimeout)
	defer cancel()
	slowWS, _, err := websocket.Dial(ctx, wsURL(ts, ""), smallBuffers)
	require.NoError(t, err)
	defer slowWS.CloseNow()
	slow := app.next(t)
	fastWS := dial(t, ts, "")
	fast := app.next(t)
	// Keep the server-side socket buffer of the slow one small too.
	slow.c.mu.Lock()
	_ = slow.c.t.(*wsTransport).raw.(*filteredConn).Conn.(*net.TCPConn).SetWriteBuffer(4096)
	slow.c.mu.Unlock()

	unit := []byte(strings.Repeat("x", 1023) + "\x1e")
	received := make(chan int, 1)
	go func() {
		total := 0
		for {
			_, b, err := fastWS.Read(ctx)
			if err != nil {
				received <- total
				return
			}
			total += len(b)
		}
	}()
	sent := 0
	var slowErr error
	for i := 0; i < 1<<16 && slowErr == nil; i++ {
		for queuedBytes(fast.c) > 16<<10 { // a publisher that lets its writer run
			time.Sleep(100 * time.Microsecond)
		}
		require.NoError(t, fast.c.Write(unit, false))
		sent += len(unit)
		slowErr = slow.c.Write(unit, false)
	}
	require.ErrorIs(t, slowErr, ErrQueueFull)
	assert.ErrorIs(t, slow.waitClosed(t), ErrQueueFull)
	assert.ErrorIs(t, slow.c.Write(unit, false), ErrClosed)

	fast.c.Close(nil)
	assert.Equal(t, sent, <-received, "fast client lost data")
	assert.NoError(t, fast.waitClosed(t))
	t.Logf("slow consumer dropped after %d KiB", sent>>10)
}

func TestShutdown(t *testing.T) {
	t.Run("app closes connections", func(t *testing.T) {
		app := newTestApp()
		s, ts := newTestServer(t, app, Options{})
		// Clients that read, so they answer the close frames.
		for range 2 {
			ws := dial(t, ts, "")
			go func() { _, _, _ = ws.Read(context.Background()) }()
		}
		a, b := app.next(t), app.next(t)
		_, token := negotiate(t, ts)

		done := make(chan error, 1)
		go func() { done <- s.Shutdown(context.Background()) }()
		eventually(t, func() bool { return s.lookup(token) == nil }, "negotiated connection kept")
		resp, _ := do(t, ts, http.MethodPost, "/hub/negotiate", nil)
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		resp, _ = do(t, ts, http.MethodGet, "/hub", upgradeHeader())
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)

		select {
		case <-done:
			t.Fatal("Shutdown returned with open connections")
		case <-time.After(50 * time.Millisecond):
		}
		require.Len(t, s.Connections(), 2)
		for _, c := range s.Connections() {
			c.Close(nil)
		}
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(waitTimeout):
			t.Fatal("Shutdown did not return")
		}
		assert.NoError(t, a.waitClosed(t))
		assert.NoError(t, b.waitClosed(t))
	})
	t.Run("context ends first", func(t *testing.T) {
		app := newTestApp()
		s, ts := newTestServer(t, app, Options{})
		dial(t, ts, "")
		sess := app.next(t)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		require.ErrorIs(t, s.Shutdown(ctx), context.DeadlineExceeded)
		assert.ErrorIs(t, sess.waitClosed(t), context.DeadlineExceeded)
	})
}

func TestServerClose(t *testing.T) {
	app := newTestApp()
	s, ts := newTestServer(t, app, Options{})
	var sessions []*testSession
	for range 5 {
		dial(t, ts, "")
		sessions = append(sessions, app.next(t))
	}
	negotiate(t, ts)
	require.NoError(t, s.Close())
	for _, sess := range sessions {
		// Close has waited for every Closed.
		select {
		case err := <-sess.closed:
			assert.ErrorIs(t, err, ErrServerClosed)
		default:
			t.Fatal("Closed not called before Close returned")
		}
	}
	assert.Zero(t, registered(s))
	require.NoError(t, s.Close()) // idempotent
	resp, _ := do(t, ts, http.MethodPost, "/hub/negotiate", nil)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
}

func TestLargeIncomingMessage(t *testing.T) {
	app := newTestApp()
	app.noEcho = true
	_, ts := newTestServer(t, app, Options{})
	ws := dial(t, ts, "")
	sess := app.next(t)
	big := strings.Repeat("y", 3*maxReceiveChunk+17) // beyond the library's 32 KiB default limit
	write(t, ws, websocket.MessageBinary, big)
	eventually(t, func() bool { return sess.received.Load() == int64(len(big)) }, fmt.Sprint("received ", sess.received.Load()))
}

func queuedBytes(c *Conn) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.queued
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := goleak.IgnoreCurrent()
	app := newTestApp()
	s, err := NewServer(app, Options{Logger: discardLogger()})
	require.NoError(t, err)
	ts := httptest.NewServer(s)
	var clients []*websocket.Conn
	for range 3 {
		clients = append(clients, dial(t, ts, ""))
		c := app.next(t).c
		require.NoError(t, c.Write(make([]byte, 300<<10), true)) // a writer busy with a client that does not read
	}
	require.NoError(t, s.Close())
	ts.Close()
	for _, ws := range clients {
		_ = ws.CloseNow()
	}
	goleak.VerifyNone(t, before)
}
