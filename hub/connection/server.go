package connection

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// App is the application on top of connections: the hub, or a raw echo.
type App interface {
	// Connect is called when the transport of a connection starts (the
	// WebSocket is accepted, the Server-Sent Events GET or the first long
	// poll arrives), before the client is told it is connected. The
	// returned Session receives the connection's data. An error ends the
	// connection at once (WebSocket close code 1011; HTTP 500 for the
	// other transports); Closed is not called then.
	Connect(c *Conn) (Session, error)
}

// Session receives what happens on one connection.
//
// Receive runs on the goroutine of the request carrying the client's data
// (the WebSocket's, or the POST's) and Tick on the server's heartbeat
// goroutine, so the two may run concurrently; Closed runs after input has
// ended and never concurrently with Receive or Tick. A Session may also
// implement Resumer.
type Session interface {
	// Receive gets each chunk of bytes the client sent, in order, never
	// concurrently. A chunk is one whole WebSocket message or POST body of
	// at most 64 KiB; a larger one arrives in consecutive chunks, so treat
	// the input as a byte stream. data is only valid during the call. A
	// non-nil error ends the connection gracefully (what is queued is
	// still sent) and Closed receives that error.
	Receive(data []byte) error
	// Tick is called about once a second from the server's shared
	// heartbeat goroutine while the connection is open, never
	// concurrently with itself or with Closed. It must not block.
	Tick(now time.Time)
	// Closed is called exactly once when the connection has ended: with
	// nil when it ended cleanly (the client sent a close frame, closed its
	// EventSource, or sent the long-polling DELETE; or the app called
	// Close(nil)), else with the reason: the read error, the error given
	// to Close or Abort, ErrQueueFull, ErrSendTimeout,
	// ErrDisconnectTimeout, ErrServerClosed...
	Closed(err error)
}

// Errors reported by Conn.Write and passed to Session.Closed.
var (
	ErrClosed       = errors.New("connection: closed")
	ErrQueueFull    = errors.New("connection: send queue full (slow consumer)")
	ErrSendTimeout  = errors.New("connection: transport send timed out")
	ErrServerClosed = errors.New("connection: server closed")
	// ErrDisconnectTimeout ends a connection left without a transport for
	// DisconnectTimeout: a long-polling client that stopped polling, or a
	// dropped WebSocket not reconnected in time (then joined with the
	// error that dropped it).
	ErrDisconnectTimeout = errors.New("connection: no transport within the disconnect timeout")
	// ErrBinaryUnsupported is returned by Write for a binary unit on a
	// Server-Sent Events connection, which carries text only.
	ErrBinaryUnsupported = errors.New("connection: binary data on a text-only transport")
)

// Server serves the SignalR connection protocol (negotiate and the
// transports) for one App. Mount it at the hub path; create it with
// NewServer.
type Server struct {
	app   App
	opts  Options
	log   *slog.Logger
	epoch time.Time

	originLog rate.Sometimes // refused origins: at most one line a second

	mu    sync.RWMutex
	conns map[string]*Conn // by connection token

	// pending counts negotiated connections not yet started: raised by each
	// negotiate, recounted by every heartbeat.
	pending atomic.Int64

	liveMu   sync.Mutex
	live     int           // connections whose transport has started and not ended
	idle     chan struct{} // closed when live drops to 0 during shutdown
	shutting bool

	closeOnce sync.Once
	stop      chan struct{}
	hbDone    chan struct{}

	readBufs  sync.Pool // *[]byte for incoming messages
	frameBufs sync.Pool // *[]byte for coalesced outgoing frames
}

// NewServer validates opts and returns a Server for app. It starts the
// heartbeat goroutine; call Close to stop it.
func NewServer(app App, opts Options) (*Server, error) {
	if app == nil {
		return nil, errors.New("connection: nil App")
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		app:    app,
		opts:   o,
		log:    o.Logger,
		epoch:  time.Now(),
		conns:  make(map[string]*Conn),
		stop:   make(chan struct{}),
		hbDone: make(chan struct{}),

		originLog: rate.Sometimes{First: 1, Interval: time.Second},
	}
	s.readBufs.New = func() any { b := make([]byte, 0, 4096); return &b }
	s.frameBufs.New = func() any { b := make([]byte, 0, o.MaxFrameBytes); return &b }
	go s.heartbeat(o.tickInterval)
	return s, nil
}

// ServeHTTP serves negotiate (a path ending in "/negotiate") and the
// connection endpoint (any other path).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cors(w, r) {
		return
	}
	if strings.HasSuffix(r.URL.Path, "/negotiate") {
		s.serveNegotiate(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodConnect:
		if isWebSocketRequest(r) {
			s.serveWebSocket(w, r)
			return
		}
		s.serveGet(w, r)
	case http.MethodPost:
		s.servePost(w, r)
	case http.MethodDelete:
		s.serveDelete(w, r)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		writeText(w, http.StatusMethodNotAllowed, "")
	}
}

// Connections returns a snapshot of the connections whose transport is
// open and whose Session exists.
func (s *Server) Connections() []*Conn {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*Conn, 0, len(s.conns))
	for _, c := range s.conns {
		c.mu.Lock()
		ok := c.state == stOpen && c.session != nil
		c.mu.Unlock()
		if ok {
			out = append(out, c)
		}
	}
	return out
}

// Shutdown stops accepting negotiates and connections (they get 503),
// drops negotiated connections that never started, and waits until every
// connection has ended or ctx is done. It does not close live connections:
// the App does (the hub sends its Close message, then calls Conn.Close).
// When ctx ends first, the remaining connections are aborted and ctx's
// error is returned without waiting for them.
func (s *Server) Shutdown(ctx context.Context) error {
	idle := s.beginShutdown()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
	}
	err := fmt.Errorf("connection: shutdown: %w", ctx.Err())
	for _, c := range s.snapshot(nil) {
		c.Abort(err)
	}
	return ctx.Err()
}

// Close aborts every connection with ErrServerClosed, stops the heartbeat
// and waits until every connection has ended (its Closed has returned).
// It is idempotent and always returns nil.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		idle := s.beginShutdown()
		close(s.stop)
		<-s.hbDone
		for _, c := range s.snapshot(nil) {
			c.Abort(ErrServerClosed)
		}
		<-idle
	})
	return nil
}

// beginShutdown refuses new connections, drops the negotiated ones and
// returns a channel closed once no connection is live.
func (s *Server) beginShutdown() <-chan struct{} {
	s.liveMu.Lock()
	s.shutting = true
	if s.idle == nil {
		s.idle = make(chan struct{})
		if s.live == 0 {
			close(s.idle)
		}
	}
	idle := s.idle
	s.liveMu.Unlock()
	for _, c := range s.snapshot(nil) {
		c.expire(ErrServerClosed)
	}
	return idle
}

func (s *Server) shuttingDown() bool {
	s.liveMu.Lock()
	defer s.liveMu.Unlock()
	return s.shutting
}

// acquire counts a connection whose transport starts; false when shutting
// down.
func (s *Server) acquire() bool {
	s.liveMu.Lock()
	defer s.liveMu.Unlock()
	if s.shutting {
		return false
	}
	s.live++
	return true
}

func (s *Server) release() {
	s.liveMu.Lock()
	defer s.liveMu.Unlock()
	s.live--
	if s.live == 0 && s.idle != nil {
		select {
		case <-s.idle:
		default:
			close(s.idle)
		}
	}
}

// now is a monotonic clock reading in nanoseconds, never 0.
func (s *Server) now() int64 { return int64(time.Since(s.epoch)) + 1 }

// writeText writes a complete response with an exact body (no trailing
// newline, unlike http.Error: clients show the body verbatim).
func writeText(w http.ResponseWriter, code int, body string) {
	writeBody(w, code, "text/plain", body)
}

func writeBody(w http.ResponseWriter, code int, contentType, body string) {
	if code == http.StatusNoContent {
		w.WriteHeader(code)
		return
	}
	h := w.Header()
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	if body != "" {
		_, _ = io.WriteString(w, body)
	}
}

// queryValue returns the first value of key, whose name is matched
// case-insensitively like ASP.NET's query collection.
func queryValue(r *http.Request, key string) (string, bool) {
	for k, v := range r.URL.Query() {
		if strings.EqualFold(k, key) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}
