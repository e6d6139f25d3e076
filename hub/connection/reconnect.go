package connection

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
)

// Stateful reconnect, the connection's side (§6). Negotiate grants it when
// the client asks and Options.AllowStatefulReconnects is set; the App turns
// it on with EnableReconnect once its protocol agreed (the hub: handshake
// version 2). From then on a WebSocket that drops without a close frame
// detaches the connection instead of ending it: the queue is dropped,
// Writes are discarded, and the connection waits up to DisconnectTimeout
// for the client to open a new WebSocket with the same id. That socket
// takes over; the App replays what the client missed (the hub's Sequence
// and buffered messages) from Resumer.Resumed. Only WebSockets resume, as
// in ASP.NET and the official clients.

// Resumer is an optional interface a Session may implement to learn about
// stateful reconnects. Its methods run under the same lock as Tick and
// Closed, so they are never concurrent with Tick, Closed, Receive or each
// other; Tick is not called while the connection is detached.
type Resumer interface {
	// Detached is called when the transport was lost and the connection
	// waits for a reconnect; err is why it was lost. It runs on the old
	// transport's goroutine after its last Receive.
	Detached(err error)
	// Resumed is called when the client has reconnected, before any data
	// from the new transport is passed to Receive (on the new reader
	// goroutine); units written during and after Resumed go to the new
	// transport in order. The connection accepts Writes again just before
	// Resumed is called, so a unit another goroutine writes at that moment
	// may precede Resumed's; an App that must send something first holds
	// its other writes back between Detached and Resumed.
	Resumed()
}

// StatefulReconnect reports whether negotiate granted stateful reconnect to
// this connection.
func (c *Conn) StatefulReconnect() bool { return c.stateful }

// EnableReconnect is called by the app once its protocol agreed to resume
// (hub: handshake version 2); it has an effect only if StatefulReconnect()
// and the transport is WebSockets. From then on an ungraceful loss of the
// WebSocket (no close frame: read error or EOF; also a failed or timed-out
// send) does not end the connection: the connection is detached, its send
// queue is emptied, Write discards units (returning nil) while detached,
// and it waits up to DisconnectTimeout for the client to open a new
// WebSocket with the same id=token. That second WebSocket is accepted
// instead of refused with 409; if the old socket is still open on our side
// it is aborted and replaced. No reconnect in time ends the connection
// with ErrDisconnectTimeout joined with the error that dropped it. A
// graceful close (close frame), Conn.Close and Conn.Abort end the
// connection as without reconnect.
func (c *Conn) EnableReconnect() {
	c.mu.Lock()
	if c.stateful && c.kind == WebSockets && c.state == stOpen {
		c.resumable = true
	}
	c.mu.Unlock()
}

// claimResume claims the connection for a reconnecting WebSocket and
// returns the WebSocket it replaces; false when the connection cannot be
// resumed now (claim then gives the answer: 409 or 404).
func (c *Conn) claimResume() (*wsTransport, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.resumable || c.resuming || (c.state != stOpen && c.state != stDetached) {
		return nil, false
	}
	c.resuming = true
	return c.lastWS, true
}

// resumeWebSocket serves the WebSocket of a stateful reconnect.
func (s *Server) resumeWebSocket(w http.ResponseWriter, r *http.Request, c *Conn, old *wsTransport) {
	// A socket still open on our side is replaced; either way its request
	// detaches the connection (or ends it) before this one goes on.
	if old != nil {
		old.abort()
		<-old.done
	}
	c.mu.Lock()
	ok := c.state == stDetached
	if !ok {
		c.resuming = false
	}
	c.mu.Unlock()
	if !ok {
		writeText(w, http.StatusNotFound, msgNoConnection)
		return
	}
	t, err := s.acceptWebSocket(w, r)
	if err != nil {
		c.mu.Lock()
		c.resuming = false
		c.mu.Unlock()
		return
	}
	defer close(t.done)
	sess, ok := c.resume(t)
	if !ok { // ended meanwhile
		t.abort()
		_ = t.ws.CloseNow()
		return
	}
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		s.log.Debug("websocket resumed", "id", c.id)
	}
	s.runWebSocket(c, t, sess)
}

// detach keeps a resumable connection whose WebSocket t was lost with
// readErr; false when the connection must end instead. t is closed.
func (c *Conn) detach(t *wsTransport, readErr error) bool {
	c.mu.Lock()
	if !c.resumable || c.state != stOpen || c.t != t {
		c.mu.Unlock()
		return false
	}
	c.state = stDetached
	c.t = nil
	c.broken = false
	c.dropQueue()
	c.detachedAt = c.s.now()
	c.detachErr = readErr
	sess := c.session
	c.mu.Unlock()
	c.wg.Wait() // a writer fails on the closed socket and exits
	c.tickMu.Lock()
	if r, ok := sess.(Resumer); ok && !c.ended {
		r.Detached(readErr)
	}
	c.tickMu.Unlock()
	if c.s.log.Enabled(context.Background(), slog.LevelDebug) {
		c.s.log.Debug("websocket lost, waiting for a reconnect", "id", c.id, "err", readErr)
	}
	return true
}

// resume attaches t to the detached connection and calls Resumed; false
// when the connection has ended meanwhile.
func (c *Conn) resume(t *wsTransport) (Session, bool) {
	c.tickMu.Lock()
	defer c.tickMu.Unlock()
	c.mu.Lock()
	c.resuming = false
	if c.ended || c.state != stDetached {
		c.mu.Unlock()
		return nil, false
	}
	c.t, c.lastWS = t, t
	c.state = stOpen
	c.detachErr = nil
	sess := c.session
	c.mu.Unlock()
	if r, ok := sess.(Resumer); ok {
		r.Resumed()
	}
	return sess, true
}

// expireDetached ends a detached connection not resumed within
// DisconnectTimeout.
func (c *Conn) expireDetached() {
	c.mu.Lock()
	if c.state != stDetached {
		c.mu.Unlock()
		return
	}
	err := ErrDisconnectTimeout
	if c.detachErr != nil {
		err = fmt.Errorf("%w: %w", ErrDisconnectTimeout, c.detachErr)
	}
	c.abortLocked(err)
}

// sendTimedOut handles a send blocked for TransportSendTimeout: a
// resumable connection loses only its WebSocket (its reader then
// detaches), any other is aborted.
func (c *Conn) sendTimedOut() {
	c.mu.Lock()
	t := c.t
	resumable := c.resumable && c.state == stOpen && t != nil
	if resumable {
		c.broken = true
	}
	c.mu.Unlock()
	if resumable {
		t.abort()
		return
	}
	c.Abort(ErrSendTimeout)
}
