package connection

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const waitTimeout = 5 * time.Second

var errTestFail = errors.New("test: receive failed")

// testApp is a tiny echo App: each session echoes every chunk as a text
// unit; a chunk "fail" makes Receive return errTestFail.
type testApp struct {
	connectErr error
	noEcho     bool
	keepInput  bool // sessions record their input (testSession.inputString)
	sessions   chan *testSession
}

func newTestApp() *testApp { return &testApp{sessions: make(chan *testSession, 64)} }

func (a *testApp) Connect(c *Conn) (Session, error) {
	if a.connectErr != nil {
		return nil, a.connectErr
	}
	s := &testSession{app: a, c: c, closed: make(chan error, 2), detached: make(chan error, 8), resumed: make(chan struct{}, 8)}
	a.sessions <- s
	return s, nil
}

// next returns the session of the next connection to start.
func (a *testApp) next(t testing.TB) *testSession {
	t.Helper()
	select {
	case s := <-a.sessions:
		return s
	case <-time.After(waitTimeout):
		t.Fatal("no connection started")
		return nil
	}
}

type testSession struct {
	app      *testApp
	c        *Conn
	ticks    atomic.Int32
	closedN  atomic.Int32
	closed   chan error
	received atomic.Int64
	detached chan error    // Resumer.Detached calls
	resumed  chan struct{} // Resumer.Resumed calls

	inReceive atomic.Int32
	overlap   atomic.Bool // Receive ran concurrently with itself or with Closed
	mu        sync.Mutex
	input     []byte // everything received, when the app keeps it
}

func (s *testSession) Receive(data []byte) error {
	if s.inReceive.Add(1) > 1 {
		s.overlap.Store(true)
	}
	defer s.inReceive.Add(-1)
	s.received.Add(int64(len(data)))
	if string(data) == "slow" {
		time.Sleep(100 * time.Millisecond)
	}
	if s.app.keepInput {
		s.mu.Lock()
		s.input = append(s.input, data...)
		s.mu.Unlock()
	}
	if string(data) == "fail" {
		return errTestFail
	}
	if s.app.noEcho {
		return nil
	}
	if err := s.c.Write(bytes.Clone(data), false); err != nil && !errors.Is(err, ErrClosed) {
		return err
	}
	return nil
}

func (s *testSession) Tick(time.Time) { s.ticks.Add(1) }

func (s *testSession) Closed(err error) {
	if s.inReceive.Load() > 0 {
		s.overlap.Store(true)
	}
	s.closedN.Add(1)
	s.closed <- err
}

func (s *testSession) Detached(err error) { s.detached <- err }

func (s *testSession) Resumed() {
	// Units written here go out first on the new transport.
	_ = s.c.Write([]byte("resumed"), false)
	s.resumed <- struct{}{}
}

func (s *testSession) inputString() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.input)
}

// waitDetached returns the error Detached received.
func (s *testSession) waitDetached(t testing.TB) error {
	t.Helper()
	select {
	case err := <-s.detached:
		return err
	case <-time.After(waitTimeout):
		t.Fatal("Detached not called")
		return nil
	}
}

func (s *testSession) waitResumed(t testing.TB) {
	t.Helper()
	select {
	case <-s.resumed:
	case <-time.After(waitTimeout):
		t.Fatal("Resumed not called")
	}
}

// waitClosed returns the error Closed received and checks it came once.
func (s *testSession) waitClosed(t testing.TB) error {
	t.Helper()
	select {
	case err := <-s.closed:
		time.Sleep(10 * time.Millisecond) // a second call would show now
		require.EqualValues(t, 1, s.closedN.Load(), "Closed calls")
		return err
	case <-time.After(waitTimeout):
		t.Fatal("Closed not called")
		return nil
	}
}

// newTestServer serves a Server for app at /hub.
func newTestServer(t testing.TB, app App, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = discardLogger()
	}
	s, err := NewServer(app, opts)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/hub/", s)
	mux.Handle("/hub", s)
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		require.NoError(t, s.Close())
		ts.Close()
	})
	return s, ts
}

func wsURL(ts *httptest.Server, query string) string {
	u := "ws" + strings.TrimPrefix(ts.URL, "http") + "/hub"
	if query != "" {
		u += "?" + query
	}
	return u
}

// dial opens a WebSocket to the hub endpoint; query may hold id=.
func dial(t testing.TB, ts *httptest.Server, query string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, wsURL(ts, query), nil)
	require.NoError(t, err)
	if resp.Body != nil {
		_ = resp.Body.Close()
	}
	ws.SetReadLimit(-1)
	t.Cleanup(func() { _ = ws.CloseNow() })
	return ws
}

// negotiate runs a version-1 negotiate and returns id and token.
func negotiate(t testing.TB, ts *httptest.Server) (id, token string) {
	t.Helper()
	_, body := do(t, ts, http.MethodPost, "/hub/negotiate?negotiateVersion=1", nil)
	var r struct{ ConnectionID, ConnectionToken string }
	require.NoError(t, jsonUnmarshal(body, &r))
	require.NotEmpty(t, r.ConnectionToken)
	return r.ConnectionID, r.ConnectionToken
}

// do sends a request and returns the response (body closed) and its body.
func do(t testing.TB, ts *httptest.Server, method, path string, header http.Header) (*http.Response, string) {
	t.Helper()
	return doBody(t, ts, method, path, header, "")
}

// doBody is do with a request body.
func doBody(t testing.TB, ts *httptest.Server, method, path string, header http.Header, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := ts.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	require.NoError(t, err)
	return resp, b.String()
}

// upgradeHeader is a WebSocket upgrade request's headers, for requests
// that are refused before the upgrade.
func upgradeHeader() http.Header {
	return http.Header{
		"Connection":            {"Upgrade"},
		"Upgrade":               {"websocket"},
		"Sec-Websocket-Version": {"13"},
		"Sec-Websocket-Key":     {"dGhlIHNhbXBsZSBub25jZQ=="},
	}
}

// eventually waits until cond holds.
func eventually(t testing.TB, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, waitTimeout, 5*time.Millisecond, msg)
}

func registered(s *Server) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.conns)
}
