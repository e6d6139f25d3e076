package connection

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sseStream is a client's open event stream.
type sseStream struct {
	resp   *http.Response
	r      *bufio.Reader
	cancel context.CancelFunc
}

// openSSE opens the event stream of the connection with token and reads
// the ":\r\n" preamble.
func openSSE(t testing.TB, ts *httptest.Server, token string, header http.Header) *sseStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitTimeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/hub?id="+token+"&access_token=sse", nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := ts.Client().Do(req)
	require.NoError(t, err)
	s := &sseStream{resp: resp, r: bufio.NewReader(resp.Body), cancel: cancel}
	t.Cleanup(s.close)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	line, err := s.r.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, ":\r\n", line)
	return s
}

func (s *sseStream) close() {
	s.cancel()
	_ = s.resp.Body.Close()
}

// event reads the next event and returns its raw lines, each with its
// "\r\n", without the blank line that ends it.
func (s *sseStream) event(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	for {
		line, err := s.r.ReadString('\n')
		require.NoError(t, err)
		if line == "\r\n" {
			return b.String()
		}
		b.WriteString(line)
	}
}

func post(t testing.TB, ts *httptest.Server, token, body string) {
	t.Helper()
	resp, got := doBody(t, ts, http.MethodPost, "/hub?id="+token, http.Header{"Content-Type": {"text/plain;charset=UTF-8"}}, body)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/plain", resp.Header.Get("Content-Type"))
	require.Empty(t, got)
}

func TestSSE(t *testing.T) {
	app := newTestApp()
	s, ts := newTestServer(t, app, Options{AllowedOrigins: []string{"https://app.example.com"}})
	id, token := negotiate(t, ts)
	stream := openSSE(t, ts, token, http.Header{"Origin": {"https://app.example.com"}, "X-Header": {"first"}})
	h := stream.resp.Header
	assert.Equal(t, "text/event-stream", h.Get("Content-Type"))
	assert.Equal(t, "no-cache,no-store", h.Get("Cache-Control"))
	assert.Equal(t, "no-cache", h.Get("Pragma"))
	assert.Equal(t, "identity", h.Get("Content-Encoding"))
	assert.Equal(t, "https://app.example.com", h.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", h.Get("Access-Control-Allow-Credentials"))

	sess := app.next(t)
	c := sess.c
	assert.Equal(t, id, c.ID())
	assert.Equal(t, ServerSentEvents, c.Transport())
	assert.Equal(t, "sse", c.Request().URL.Query().Get("access_token"))
	assert.Equal(t, "first", c.Request().Header.Get("X-Header"))
	require.Len(t, s.Connections(), 1)

	post(t, ts, token, "hello\x1e")
	assert.Equal(t, "data: hello\x1e\r\n", stream.event(t))
	require.NoError(t, c.Write([]byte("a\r\nb\nc"), false))
	assert.Equal(t, "data: a\r\ndata: b\r\ndata: c\r\n", stream.event(t))
	assert.ErrorIs(t, c.Write([]byte{0x91}, true), ErrBinaryUnsupported)
	post(t, ts, token, "still open")
	assert.Equal(t, "data: still open\r\n", stream.event(t))

	// One event stream per connection, and no other transport.
	resp, body := do(t, ts, http.MethodGet, "/hub?id="+token, http.Header{"Accept": {"text/event-stream"}})
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Empty(t, body)
	resp, body = do(t, ts, http.MethodGet, "/hub?id="+token, nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "Cannot change transports mid-connection", body)
	resp, body = do(t, ts, http.MethodGet, "/hub?id="+token, upgradeHeader())
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "Cannot change transports mid-connection", body)
	resp, body = do(t, ts, http.MethodDelete, "/hub?id="+token, nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "Cannot terminate this connection using the DELETE endpoint.", body)

	// The client closes its EventSource: a clean end.
	stream.close()
	assert.NoError(t, sess.waitClosed(t))
	eventually(t, func() bool { return registered(s) == 0 }, "still registered")
	resp, body = doBody(t, ts, http.MethodPost, "/hub?id="+token, nil, "late")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, "No Connection with that ID", body)
}

func TestSSEServerEnds(t *testing.T) {
	appErr := io.ErrUnexpectedEOF
	for _, tt := range []struct {
		name  string
		end   func(c *Conn)
		want  error
		flush bool // the queued unit is still sent
	}{
		{"Close(nil)", func(c *Conn) { c.Close(nil) }, nil, true},
		{"Close(err)", func(c *Conn) { c.Close(appErr) }, appErr, true},
		{"Abort", func(c *Conn) { c.Abort(appErr) }, appErr, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			app := newTestApp()
			_, ts := newTestServer(t, app, Options{})
			_, token := negotiate(t, ts)
			stream := openSSE(t, ts, token, nil)
			sess := app.next(t)
			if tt.flush {
				require.NoError(t, sess.c.Write([]byte("last"), false))
			}
			tt.end(sess.c)
			rest, err := io.ReadAll(stream.r)
			if tt.flush {
				require.NoError(t, err, "the response did not end cleanly")
				assert.Equal(t, "data: last\r\n\r\n", string(rest))
			}
			if tt.want == nil {
				assert.NoError(t, sess.waitClosed(t))
			} else {
				assert.ErrorIs(t, sess.waitClosed(t), tt.want)
			}
		})
	}
}

func TestSSEPreserveUnits(t *testing.T) {
	app := newTestApp()
	_, ts := newTestServer(t, app, Options{PreserveUnits: true})
	_, token := negotiate(t, ts)
	stream := openSSE(t, ts, token, nil)
	c := app.next(t).c
	for _, u := range []string{"one", "two", "three"} {
		require.NoError(t, c.Write([]byte(u), false))
	}
	for _, u := range []string{"one", "two", "three"} {
		assert.Equal(t, "data: "+u+"\r\n", stream.event(t))
	}
}

func TestSSEConnectError(t *testing.T) {
	app := newTestApp()
	app.connectErr = io.ErrUnexpectedEOF
	s, ts := newTestServer(t, app, Options{})
	_, token := negotiate(t, ts)
	resp, body := do(t, ts, http.MethodGet, "/hub?id="+token, http.Header{"Accept": {"text/event-stream"}})
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, body)
	eventually(t, func() bool { return registered(s) == 0 }, "still registered")
}

func TestAppendSSEEvent(t *testing.T) {
	for in, want := range map[string]string{
		"":            "\r\n",
		"{}\x1e":      "data: {}\x1e\r\n\r\n",
		"a\nb":        "data: a\r\ndata: b\r\n\r\n",
		"a\r\nb\r\n":  "data: a\r\ndata: b\r\ndata: \r\n\r\n",
		"\n":          "data: \r\ndata: \r\n\r\n",
		"a\rb":        "data: a\rb\r\n\r\n", // a \r not before \n is data
		"\r\n\r\nend": "data: \r\ndata: \r\ndata: end\r\n\r\n",
	} {
		assert.Equal(t, want, string(appendSSEEvent(nil, []byte(in))), "%q", in)
	}
}
