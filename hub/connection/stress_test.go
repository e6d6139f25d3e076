package connection

// Stress tests: concurrent polls, POSTs, writes, closes, aborts and
// reconnects, run under -race; Closed must come exactly once and Receive
// must never overlap itself.

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

func TestStressLongPolling(t *testing.T) {
	for it := 0; it < 30; it++ {
		app := newTestApp()
		_, ts := newTestServer(t, app, Options{tickInterval: time.Millisecond})
		sess, token := startLongPolling(t, app, ts)
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(2)
			go func() {
				defer wg.Done()
				for j := 0; j < 5; j++ {
					doQuiet(ts, http.MethodGet, "/hub?id="+token, nil)
				}
			}()
			go func() {
				defer wg.Done()
				for j := 0; j < 5; j++ {
					doQuietBody(ts, token, "x")
				}
			}()
		}
		wg.Add(2)
		go func() { defer wg.Done(); time.Sleep(time.Duration(it%5) * time.Millisecond); sess.c.Close(nil) }()
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(it%7) * time.Millisecond)
			doQuiet(ts, http.MethodDelete, "/hub?id="+token, nil)
		}()
		wg.Wait()
		sess.waitClosed(t)
		require.False(t, sess.overlap.Load(), "Receive overlapped")
	}
}

func TestStressWebSocket(t *testing.T) {
	for it := 0; it < 40; it++ {
		app := newTestApp()
		_, ts := newTestServer(t, app, Options{tickInterval: time.Millisecond})
		ws := dial(t, ts, "")
		sess := app.next(t)
		var wg sync.WaitGroup
		wg.Add(4)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				_ = sess.c.Write([]byte("abc"), j%2 == 0)
			}
		}()
		go func() { defer wg.Done(); time.Sleep(time.Duration(it%3) * time.Millisecond); sess.c.Close(nil) }()
		go func() { defer wg.Done(); time.Sleep(time.Duration(it%4) * time.Millisecond); sess.c.Abort(errTestFail) }()
		go func() { defer wg.Done(); time.Sleep(time.Duration(it%5) * time.Millisecond); _ = ws.CloseNow() }()
		wg.Wait()
		sess.waitClosed(t)
	}
}

func TestStressResume(t *testing.T) {
	app := newTestApp()
	_, ts := newTestServer(t, app, Options{AllowStatefulReconnects: true, tickInterval: time.Millisecond})
	sess, token, _, _ := statefulConn(t, ts, app)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-sess.detached:
			case <-sess.resumed:
			case <-stop:
				return
			}
		}
	}()
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			_ = sess.c.Write([]byte("tick"), false)
			time.Sleep(50 * time.Microsecond)
		}
	}()
	for i := 0; i < 30; i++ {
		var ws *websocket.Conn
		for k := 0; k < 100 && ws == nil; k++ {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			w, _, err := websocket.Dial(ctx, wsURL(ts, "id="+token), nil)
			cancel()
			if err == nil {
				ws = w
				t.Cleanup(func() { _ = w.CloseNow() })
			} else {
				time.Sleep(time.Millisecond)
			}
		}
		require.NotNil(t, ws)
		if i%3 == 0 {
			go func() { time.Sleep(time.Millisecond); _ = ws.CloseNow() }()
		}
	}
	sess.c.Close(nil)
	close(stop)
	<-done
	select {
	case <-sess.closed:
	case <-time.After(8 * time.Second):
		t.Fatal("Closed not called within CloseTimeout+")
	}
	time.Sleep(20 * time.Millisecond)
	require.EqualValues(t, 1, sess.closedN.Load())
}
