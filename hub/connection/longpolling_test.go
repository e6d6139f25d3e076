package connection

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

type pollResult struct {
	resp *http.Response
	body string
}

// pollAsync sends a poll and delivers its answer on the returned channel.
func pollAsync(t testing.TB, ts *httptest.Server, token string, header http.Header) <-chan pollResult {
	t.Helper()
	ch := make(chan pollResult, 1)
	go func() {
		resp, body := doQuiet(ts, http.MethodGet, "/hub?id="+token+"&_="+strconv.FormatInt(time.Now().UnixNano(), 10), header)
		ch <- pollResult{resp, body}
	}()
	return ch
}

// doQuiet is do for other goroutines: it reports failures in the result.
func doQuiet(ts *httptest.Server, method, path string, header http.Header) (*http.Response, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitTimeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, ts.URL+path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		return &http.Response{StatusCode: -1, Status: err.Error()}, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func waitPoll(t testing.TB, ch <-chan pollResult) pollResult {
	t.Helper()
	select {
	case r := <-ch:
		require.NotEqual(t, -1, r.resp.StatusCode, r.resp.Status)
		return r
	case <-time.After(waitTimeout):
		t.Fatal("poll not answered")
		return pollResult{}
	}
}

func pollNow(t testing.TB, ts *httptest.Server, token string) pollResult {
	t.Helper()
	return waitPoll(t, pollAsync(t, ts, token, nil))
}

// pending reports whether c has a poll waiting.
func pending(c *Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lp != nil && c.lp.poll != nil
}

func assertPollHeaders(t testing.TB, h http.Header) {
	t.Helper()
	assert.Equal(t, "no-cache, no-store", h.Get("Cache-Control"))
	assert.Equal(t, "no-cache", h.Get("Pragma"))
	assert.Equal(t, "Thu, 01 Jan 1970 00:00:00 GMT", h.Get("Expires"))
}

// startLongPolling negotiates and sends the activating first poll.
func startLongPolling(t testing.TB, app *testApp, ts *httptest.Server) (*testSession, string) {
	t.Helper()
	_, token := negotiate(t, ts)
	first := waitPoll(t, pollAsync(t, ts, token, http.Header{"X-Header": {"first"}}))
	require.Equal(t, http.StatusOK, first.resp.StatusCode)
	assert.Equal(t, "application/octet-stream", first.resp.Header.Get("Content-Type"))
	assert.EqualValues(t, 0, first.resp.ContentLength)
	assert.Empty(t, first.body)
	assertPollHeaders(t, first.resp.Header)
	return app.next(t), token
}

func TestLongPolling(t *testing.T) {
	app := newTestApp()
	s, ts := newTestServer(t, app, Options{})
	sess, token := startLongPolling(t, app, ts)
	c := sess.c
	assert.Equal(t, LongPolling, c.Transport())
	require.Len(t, s.Connections(), 1)

	// A poll waits for data; a POST's echo answers it.
	ch := pollAsync(t, ts, token, http.Header{"X-Header": {"second"}})
	eventually(t, func() bool { return pending(c) }, "poll not pending")
	post(t, ts, token, "hello")
	r := waitPoll(t, ch)
	assert.Equal(t, http.StatusOK, r.resp.StatusCode)
	assert.Equal(t, "application/octet-stream", r.resp.Header.Get("Content-Type"))
	assertPollHeaders(t, r.resp.Header)
	assert.Equal(t, "hello", r.body)

	// Units queued between polls come in one body, binary ones included.
	require.NoError(t, c.Write([]byte("a"), false))
	require.NoError(t, c.Write([]byte{0x01, 0x02}, true))
	require.NoError(t, c.Write([]byte("c"), false))
	assert.Equal(t, "a\x01\x02c", pollNow(t, ts, token).body)

	// The first poll's request stays the connection's.
	assert.Equal(t, "first", c.Request().Header.Get("X-Header"))
	assert.NoError(t, c.Request().Context().Err())

	// Another transport is refused.
	resp, body := do(t, ts, http.MethodGet, "/hub?id="+token, http.Header{"Accept": {"text/event-stream"}})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "Cannot change transports mid-connection", body)
}

func TestLongPollTimeout(t *testing.T) {
	app := newTestApp()
	_, ts := newTestServer(t, app, Options{LongPollTimeout: 50 * time.Millisecond})
	sess, token := startLongPolling(t, app, ts)
	r := pollNow(t, ts, token)
	assert.Equal(t, http.StatusOK, r.resp.StatusCode)
	assert.Empty(t, r.body)
	assertPollHeaders(t, r.resp.Header)
	// Still open.
	post(t, ts, token, "x")
	assert.Equal(t, "x", pollNow(t, ts, token).body)
	sess.c.Close(nil)
	assert.Equal(t, http.StatusNoContent, pollNow(t, ts, token).resp.StatusCode)
	assert.NoError(t, sess.waitClosed(t))
}

func TestLongPollReplaced(t *testing.T) {
	app := newTestApp()
	_, ts := newTestServer(t, app, Options{})
	sess, token := startLongPolling(t, app, ts)
	first := pollAsync(t, ts, token, nil)
	eventually(t, func() bool { return pending(sess.c) }, "poll not pending")
	second := pollAsync(t, ts, token, nil)
	r := waitPoll(t, first)
	assert.Equal(t, http.StatusNoContent, r.resp.StatusCode)
	assertPollHeaders(t, r.resp.Header)
	eventually(t, func() bool { return pending(sess.c) }, "second poll not pending")
	require.NoError(t, sess.c.Write([]byte("for the second"), false))
	assert.Equal(t, "for the second", waitPoll(t, second).body)
}

func TestLongPollDelete(t *testing.T) {
	app := newTestApp()
	s, ts := newTestServer(t, app, Options{})
	sess, token := startLongPolling(t, app, ts)
	ch := pollAsync(t, ts, token, nil)
	eventually(t, func() bool { return pending(sess.c) }, "poll not pending")
	resp, body := do(t, ts, http.MethodDelete, "/hub?id="+token, nil)
	assert.Equal(t, http.StatusAccepted, resp.StatusCode)
	assert.Equal(t, "text/plain", resp.Header.Get("Content-Type"))
	assert.Empty(t, body)
	assert.Equal(t, http.StatusNoContent, waitPoll(t, ch).resp.StatusCode)
	assert.NoError(t, sess.waitClosed(t))
	eventually(t, func() bool { return registered(s) == 0 }, "still registered")
	assert.Equal(t, http.StatusNotFound, pollNow(t, ts, token).resp.StatusCode)
	resp, _ = do(t, ts, http.MethodDelete, "/hub?id="+token, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestLongPollAppCloses(t *testing.T) {
	app := newTestApp()
	s, ts := newTestServer(t, app, Options{})
	sess, token := startLongPolling(t, app, ts)
	require.NoError(t, sess.c.Write([]byte("bye"), false))
	sess.c.Close(errTestFail)
	assert.ErrorIs(t, sess.c.Write([]byte("late"), false), ErrClosed)
	// What was queued is delivered, then the poll after it ends the connection.
	assert.Equal(t, "bye", pollNow(t, ts, token).body)
	assert.Equal(t, http.StatusNoContent, pollNow(t, ts, token).resp.StatusCode)
	assert.ErrorIs(t, sess.waitClosed(t), errTestFail)
	eventually(t, func() bool { return registered(s) == 0 }, "still registered")

	// A pending poll is answered 204 when the app closes.
	sess, token = startLongPolling(t, app, ts)
	ch := pollAsync(t, ts, token, nil)
	eventually(t, func() bool { return pending(sess.c) }, "poll not pending")
	sess.c.Close(nil)
	assert.Equal(t, http.StatusNoContent, waitPoll(t, ch).resp.StatusCode)
	assert.NoError(t, sess.waitClosed(t))

	// Abort answers the pending poll 204 too.
	sess, token = startLongPolling(t, app, ts)
	ch = pollAsync(t, ts, token, nil)
	eventually(t, func() bool { return pending(sess.c) }, "poll not pending")
	require.NoError(t, sess.c.Write([]byte("dropped"), false))
	sess.c.Abort(errTestFail)
	r := waitPoll(t, ch)
	if r.resp.StatusCode == http.StatusOK { // the poll took the unit before Abort
		assert.Equal(t, "dropped", r.body)
	} else {
		assert.Equal(t, http.StatusNoContent, r.resp.StatusCode)
	}
	assert.ErrorIs(t, sess.waitClosed(t), errTestFail)
}

func TestLongPollPreserveUnits(t *testing.T) {
	app := newTestApp()
	_, ts := newTestServer(t, app, Options{PreserveUnits: true})
	sess, token := startLongPolling(t, app, ts)
	for _, u := range []string{"one", "two", "three"} {
		require.NoError(t, sess.c.Write([]byte(u), false))
	}
	for _, u := range []string{"one", "two", "three"} {
		assert.Equal(t, u, pollNow(t, ts, token).body)
	}
}

// TestLongPollDisconnectTimeout: a client that stops polling is dropped,
// and nothing of its connection is left behind.
func TestLongPollDisconnectTimeout(t *testing.T) {
	before := goleak.IgnoreCurrent()
	app := newTestApp()
	s, err := NewServer(app, Options{Logger: discardLogger(), DisconnectTimeout: 100 * time.Millisecond, tickInterval: 10 * time.Millisecond})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/hub", s)
	mux.Handle("/hub/", s)
	ts := httptest.NewServer(mux)
	sess, token := startLongPolling(t, app, ts)
	// A poll outstanding keeps it.
	ch := pollAsync(t, ts, token, nil)
	time.Sleep(200 * time.Millisecond)
	select {
	case err := <-sess.closed:
		t.Fatalf("closed while polling: %v", err)
	default:
	}
	require.NoError(t, sess.c.Write([]byte("x"), false))
	assert.Equal(t, "x", waitPoll(t, ch).body)
	// No poll: dropped.
	assert.ErrorIs(t, sess.waitClosed(t), ErrDisconnectTimeout)
	assert.Zero(t, registered(s))
	assert.Equal(t, http.StatusNotFound, pollNow(t, ts, token).resp.StatusCode)

	require.NoError(t, s.Close())
	ts.Client().CloseIdleConnections()
	ts.Close()
	goleak.VerifyNone(t, before)
}

func TestPostOrder(t *testing.T) {
	app := newTestApp()
	app.noEcho, app.keepInput = true, true
	_, ts := newTestServer(t, app, Options{})
	sess, token := startLongPolling(t, app, ts)
	var want strings.Builder
	for i := range 50 {
		u := strconv.Itoa(i) + ";"
		want.WriteString(u)
		post(t, ts, token, u)
	}
	assert.Equal(t, want.String(), sess.inputString())

	// Concurrent POSTs are delivered one at a time, each whole.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			resp, _ := doQuietBody(ts, token, strings.Repeat(strconv.Itoa(i%10), 1000))
			assert.Equal(t, http.StatusOK, resp.StatusCode)
		})
	}
	wg.Wait()
	assert.False(t, sess.overlap.Load(), "Receive ran concurrently")
	got := sess.inputString()[want.Len():]
	require.Len(t, got, 20*1000)
	for i := 0; i < len(got); i += 1000 {
		assert.Equal(t, strings.Repeat(got[i:i+1], 1000), got[i:i+1000], "a POST body was split")
	}
}

func doQuietBody(ts *httptest.Server, token, body string) (*http.Response, error) {
	resp, err := ts.Client().Post(ts.URL+"/hub?id="+token, "text/plain;charset=UTF-8", strings.NewReader(body))
	if err != nil {
		return &http.Response{StatusCode: -1}, err
	}
	resp.Body.Close()
	return resp, nil
}

func TestPostLimits(t *testing.T) {
	app := newTestApp()
	app.noEcho, app.keepInput = true, true
	_, ts := newTestServer(t, app, Options{MaxPostBytes: 200 << 10})
	sess, token := startLongPolling(t, app, ts)

	big := strings.Repeat("b", 200<<10) // at the limit, in several chunks
	post(t, ts, token, big)
	assert.Equal(t, big, sess.inputString())

	resp, body := doBody(t, ts, http.MethodPost, "/hub?id="+token, nil, big+"!")
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.Empty(t, body)
	// Without Content-Length, the limit still holds.
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/hub?id="+token, struct{ *strings.Reader }{strings.NewReader(big + "!")})
	require.NoError(t, err)
	resp, err = ts.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.Equal(t, big, sess.inputString(), "a refused POST was delivered")

	// The connection goes on.
	post(t, ts, token, "small")
	assert.Equal(t, big+"small", sess.inputString())
}

// TestClosedAfterPostReceive: a DELETE during a POST's Receive ends the
// connection, but Closed waits for that Receive.
func TestClosedAfterPostReceive(t *testing.T) {
	app := newTestApp()
	app.noEcho = true
	_, ts := newTestServer(t, app, Options{})
	sess, token := startLongPolling(t, app, ts)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = doQuietBody(ts, token, "slow")
	}()
	eventually(t, func() bool { return sess.inReceive.Load() == 1 }, "POST not in Receive")
	resp, _ := do(t, ts, http.MethodDelete, "/hub?id="+token, nil)
	assert.Equal(t, http.StatusAccepted, resp.StatusCode)
	assert.NoError(t, sess.waitClosed(t))
	assert.False(t, sess.overlap.Load(), "Closed ran during Receive")
	<-done
}
