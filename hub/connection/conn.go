package connection

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
)

// connState is where a connection is in its life.
type connState uint8

const (
	stNew      connState = iota // negotiated, transport not started
	stStarting                  // a transport request claimed it, not accepted yet
	stOpen                      // transport running
	stClosing                   // graceful close requested: flush, then close the transport
	stClosed                    // ended or aborted: nothing more is sent
	stDetached                  // WebSocket lost, waiting for a stateful reconnect
)

// transport is what a Conn needs from a streaming transport (WebSocket,
// Server-Sent Events). The transport's request goroutine calls Conn.finish
// (or Conn.detach) when it has ended; the Conn's writer calls send and
// close. Long polling has no transport value: its polls take queued units
// themselves (longpolling.go).
type transport interface {
	// send writes one transport unit (one or more whole messages). It
	// blocks until written or until abort.
	send(p []byte, binary bool) error
	// close ends the output gracefully (WebSocket: close frame 1000, or
	// 1011 when failed) and waits for the peer up to CloseTimeout. A send
	// that failed aborts the transport instead, since nothing more can be
	// sent after it.
	close(failed bool)
	// abort tears the transport down now; it unblocks send and the
	// reader. It may be called more than once.
	abort()
}

// unit is one queued transport unit, referenced, never copied.
type unit struct {
	b      []byte
	binary bool
}

// Conn is one logical connection: the public id, the transport carrying
// it and its send queue. Its methods are safe for concurrent use.
type Conn struct {
	s       *Server
	id      string // public connection id
	token   string // registry key; == id for negotiate version 0
	created int64  // Server.now() at creation
	ctx     context.Context
	cancel  context.CancelFunc

	req      *http.Request // set before the App sees the connection, then immutable
	stateful bool          // negotiate granted stateful reconnect; immutable

	mu        sync.Mutex
	state     connState
	kind      Transport // set when a transport claims the connection
	t         transport // nil for long polling and while detached
	lp        *longPoll // long polling's state, nil for other transports
	session   Session
	finished  bool // finish or abandon has run
	queue     []unit
	spare     []unit // the previous batch's backing array, reused
	queued    int    // bytes queued or being written
	writing   bool   // a writer goroutine is running
	outClosed bool   // the writer has closed the transport's output
	reason    error  // what Closed receives; the first one set wins
	reasonSet bool

	wg        sync.WaitGroup // writer goroutines
	writeLoop func()         // c.drain, bound once: "go c.drain()" would allocate each time
	sendStart atomic.Int64   // Server.now() when the current socket write began, 0 if none
	inputDone atomic.Bool    // stop handing received data to the session

	// Stateful reconnect (reconnect.go), under mu.
	resumable  bool         // EnableReconnect was called: a dropped WebSocket detaches
	broken     bool         // the current WebSocket failed; its reader detaches
	resuming   bool         // a new WebSocket is taking over
	lastWS     *wsTransport // the latest WebSocket, which a reconnect replaces
	detachedAt int64        // Server.now() when detached
	detachErr  error        // why the WebSocket was lost

	gated atomic.Bool // admitted by the App's Gate; cleared when Connect or Dropped is due

	postMu sync.Mutex // serializes POSTed input (post.go)

	tickMu sync.Mutex // serializes Tick, Closed, Detached and Resumed
	ended  bool       // Closed has been called (under tickMu)
}

// newConn creates a connection for negotiate version v (v0: token == id)
// and registers it; stateful records that stateful reconnect was granted.
func (s *Server) newConn(version int, stateful bool) *Conn {
	id := newID()
	token := id
	if version > 0 {
		token = newID()
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Conn{s: s, id: id, token: token, created: s.now(), ctx: ctx, cancel: cancel, stateful: stateful}
	c.writeLoop = c.drain
	s.register(c)
	return c
}

// newID returns 16 crypto-random bytes, base64url-encoded (22 chars).
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand crashes instead)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ID returns the public connection id: negotiate's connectionId, or a
// fresh id for a WebSocket opened without negotiation.
func (c *Conn) ID() string { return c.id }

// Transport returns the transport carrying the connection.
func (c *Conn) Transport() Transport {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.kind
}

// Request returns a clone of the request that opened the transport: the
// WebSocket upgrade, the Server-Sent Events GET or the first long poll
// (later polls, POSTs and a stateful reconnect's WebSocket do not replace
// it). Its headers, query, cookies and context values stay readable for
// the life of the connection; its context ends with Context().
func (c *Conn) Request() *http.Request { return c.req }

// Context returns a context cancelled when the connection ends.
func (c *Conn) Context() context.Context { return c.ctx }

// Close ends the connection gracefully and returns at once: further Writes
// fail with ErrClosed, what is queued is still sent, then the transport is
// closed (WebSocket: close frame 1000 and CloseTimeout for the peer's
// answer; Server-Sent Events: the response ends; long polling: the poll
// after the last data is answered 204, or DisconnectTimeout passes without
// one). A connection detached for a stateful reconnect has nothing to
// flush to and ends at once. Session.Closed receives err (nil = normal
// end). Calls after the first Close or Abort have no effect.
func (c *Conn) Close(err error) {
	c.mu.Lock()
	if c.state == stDetached {
		c.mu.Unlock()
		c.Abort(err)
		return
	}
	if c.state != stOpen {
		c.mu.Unlock()
		return
	}
	c.state = stClosing
	c.setReason(err)
	c.inputDone.Store(true)
	start := c.startWriter()
	c.mu.Unlock()
	if start {
		go c.writeLoop()
	}
}

// Abort ends the connection now: the queue is dropped and the transport
// closed without a close handshake. Session.Closed receives err unless
// another reason was set first.
func (c *Conn) Abort(err error) {
	c.mu.Lock()
	c.abortLocked(err)
}

// abortLocked is Abort with mu held; it releases mu.
func (c *Conn) abortLocked(err error) {
	if c.state == stClosed {
		// Ending already; make sure nothing waits on the socket.
		t := c.t
		c.mu.Unlock()
		if t != nil {
			t.abort()
		}
		return
	}
	prev := c.state
	c.setReason(err)
	c.state = stClosed
	c.inputDone.Store(true)
	c.dropQueue()
	c.wakePoll()
	c.cancel() // whoever waits on the connection stops now
	t := c.t
	// No request goroutine will notice and finish a long-polling or a
	// detached connection, so finish it here, off the caller's goroutine
	// (which may be inside Receive or Tick). Before its Session exists,
	// the starting request finishes it instead.
	orphan := c.session != nil && (prev == stDetached || c.lp != nil)
	c.mu.Unlock()
	switch {
	case t != nil:
		t.abort() // the transport's reader notices and finishes
	case orphan:
		go c.finish(nil, false)
	case prev == stNew:
		c.s.unregister(c)
		c.cancel()
	}
	// stStarting: the starting request notices.
}

// expire removes a negotiated connection that never started.
func (c *Conn) expire(err error) {
	c.mu.Lock()
	if c.state != stNew {
		c.mu.Unlock()
		return
	}
	c.setReason(err)
	c.state = stClosed
	c.mu.Unlock()
	c.s.unregister(c)
	c.cancel()
}

// ungate ends the Gate's interest in c: before Connect (dropped false)
// or when c ends without it (dropped true: Gate.Dropped is called). Only
// the first call after Negotiated has an effect.
func (c *Conn) ungate(dropped bool) {
	if !c.gated.CompareAndSwap(true, false) || !dropped {
		return
	}
	if g, ok := c.s.app.(Gate); ok {
		g.Dropped(c)
	}
}

func (c *Conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == stClosed
}

// setReason records why the connection ends unless a reason is set.
// Caller holds mu.
func (c *Conn) setReason(err error) {
	if !c.reasonSet {
		c.reason, c.reasonSet = err, true
	}
}

// claim marks a negotiated connection as taken by a starting transport
// kind. It returns the HTTP status and body to answer when it cannot.
func (c *Conn) claim(kind Transport) (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.state == stClosed:
		return http.StatusNotFound, msgNoConnection
	case c.kind != 0 && c.kind != kind:
		return http.StatusBadRequest, msgChangeTransport
	case c.state != stNew:
		return http.StatusConflict, ""
	}
	c.kind = kind
	c.state = stStarting
	return 0, ""
}

// start attaches the accepted transport (nil for long polling, which then
// gets its poll state); false if the connection was aborted meanwhile.
func (c *Conn) start(t transport, req *http.Request) bool {
	c.req = req
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stStarting {
		return false
	}
	c.t = t
	if ws, ok := t.(*wsTransport); ok {
		c.lastWS = ws
	}
	if c.kind == LongPolling {
		c.lp = &longPoll{idleSince: c.s.now()}
	}
	c.state = stOpen
	return true
}

// setSession records the App's session; from now on Tick runs. It reports
// false when the connection was aborted while the App connected: the
// caller then finishes it.
func (c *Conn) setSession(sess Session) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.session = sess
	return c.state != stClosed
}

// connectFailed ends a connection whose App.Connect failed; the caller
// then closes its transport and calls abandon.
func (c *Conn) connectFailed(err error) {
	c.mu.Lock()
	c.setReason(err)
	c.state = stClosed
	c.dropQueue()
	c.mu.Unlock()
	c.wg.Wait()
}

// receive hands data to the session unless input has stopped; a Receive
// error closes the connection gracefully with that error.
func (c *Conn) receive(sess Session, data []byte) {
	if len(data) == 0 || c.inputDone.Load() {
		return
	}
	if err := sess.Receive(data); err != nil {
		c.inputDone.Store(true)
		c.Close(err)
	}
}

// finish ends a started connection once its transport is done; readErr is
// why it stopped (ignored when clean). It runs once, on the transport's
// request goroutine, or for long polling and detached connections on the
// request or goroutine that ended them; later calls return at once.
func (c *Conn) finish(readErr error, clean bool) {
	c.mu.Lock()
	if c.finished {
		c.mu.Unlock()
		return
	}
	c.finished = true
	if clean {
		readErr = nil
	}
	c.setReason(readErr)
	c.state = stClosed
	c.inputDone.Store(true)
	c.dropQueue()
	c.wakePoll()
	t, sess, reason := c.t, c.session, c.reason
	c.mu.Unlock()
	if t != nil {
		t.abort()
	}
	c.wg.Wait()
	c.s.unregister(c)
	c.cancel()
	// A POST may be inside Receive; Closed comes after it.
	c.postMu.Lock()
	c.postMu.Unlock() // empty on purpose: only the wait matters
	if sess != nil {
		c.tickMu.Lock()
		c.ended = true
		sess.Closed(reason)
		c.tickMu.Unlock()
	}
	if c.s.log.Enabled(context.Background(), slog.LevelDebug) {
		c.s.log.Debug("connection ended", "id", c.id, "transport", c.kind.String(), "reason", reason)
	}
	c.s.release() // last: Close returns once every connection has released
}

// abandon undoes a claim whose transport did not start (no Session).
func (c *Conn) abandon(err error) {
	c.mu.Lock()
	c.finished = true
	c.setReason(err)
	c.state = stClosed
	c.dropQueue()
	c.mu.Unlock()
	c.wg.Wait()
	c.s.unregister(c)
	c.cancel()
	c.s.release()
}

// requestForConn clones the request that opened the transport for the life
// of the connection: it keeps the request's context values (what an
// authentication middleware stored there) but ends with the connection.
func requestForConn(r *http.Request, connCtx context.Context) *http.Request {
	// A shallow copy: net/http allocates a request per request and does not
	// reuse it, and a deep Clone would hold every header twice.
	req := r.WithContext(valueContext{Context: connCtx, values: r.Context()})
	req.Body = http.NoBody
	return req
}

// valueContext has the lifetime of Context and the values of values.
type valueContext struct {
	context.Context
	values context.Context
}

func (v valueContext) Value(key any) any { return v.values.Value(key) }
