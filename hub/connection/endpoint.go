package connection

import (
	"net/http"
)

// The connection endpoint's HTTP requests other than the WebSocket
// upgrade (§2.2-2.4): the GET that opens Server-Sent Events (sse.go) or
// polls (longpolling.go), the POSTed sends (post.go) and the long-polling
// DELETE.

// connFromQuery finds the connection named by ?id=, answering 400 or 404
// when there is none.
func (s *Server) connFromQuery(w http.ResponseWriter, r *http.Request) *Conn {
	token, _ := queryValue(r, "id")
	if token == "" {
		writeText(w, http.StatusBadRequest, msgIDRequired)
		return nil
	}
	c := s.lookup(token)
	if c == nil {
		writeText(w, http.StatusNotFound, msgNoConnection)
	}
	return c
}

// serveGet serves a GET that is not a WebSocket upgrade: Server-Sent
// Events when it accepts text/event-stream, else long polling.
func (s *Server) serveGet(w http.ResponseWriter, r *http.Request) {
	kind := LongPolling
	if headerHasToken(r.Header, "Accept", "text/event-stream") {
		kind = ServerSentEvents
	}
	c := s.connFromQuery(w, r)
	if c == nil {
		return
	}
	if s.opts.Transports&kind == 0 {
		writeText(w, http.StatusNotFound, transportNotSupported(kind))
		return
	}
	if kind == ServerSentEvents {
		s.serveSSE(w, r, c)
		return
	}
	s.servePoll(w, r, c)
}

// startTransport claims c for the HTTP transport kind, attaches t (nil for
// long polling) and connects the App. When it fails it has answered the
// request through answer and returns false.
func (s *Server) startTransport(r *http.Request, c *Conn, kind Transport, t transport, answer func(code int, body string)) bool {
	if !s.acquire() {
		answer(http.StatusServiceUnavailable, "")
		return false
	}
	if code, body := c.claim(kind); code != 0 {
		s.release()
		answer(code, body)
		return false
	}
	if !c.start(t, requestForConn(r, c.ctx)) { // aborted meanwhile
		c.abandon(ErrClosed)
		answer(http.StatusNotFound, msgNoConnection)
		return false
	}
	c.ungate(false)
	sess, err := s.app.Connect(c)
	if err != nil {
		s.log.Debug("connect failed", "id", c.id, "transport", kind.String(), "err", err)
		c.connectFailed(err) // the writer is gone: the response is free to answer
		c.abandon(err)
		answer(http.StatusInternalServerError, "")
		return false
	}
	if !c.setSession(sess) { // aborted while connecting
		c.finish(nil, false)
		answer(http.StatusNoContent, "")
		return false
	}
	return true
}

// serveDelete serves the long-polling client's graceful stop: 202, and the
// connection ends cleanly (a pending poll gets 204).
func (s *Server) serveDelete(w http.ResponseWriter, r *http.Request) {
	c := s.connFromQuery(w, r)
	if c == nil {
		return
	}
	if c.Transport() != LongPolling {
		writeText(w, http.StatusBadRequest, msgDeleteNotLP)
		return
	}
	c.Abort(nil)
	writeText(w, http.StatusAccepted, "")
}
