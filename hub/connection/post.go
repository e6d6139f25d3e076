package connection

import (
	"errors"
	"io"
	"net/http"
)

// POSTed sends (§2.2, §2.3): the client-to-server half of Server-Sent
// Events and long polling. Each body is read whole, then appended to the
// connection's input under a per-connection lock, so Receive is never
// called concurrently, and POSTs sent one after another (as clients do)
// arrive in order.

var errPostTooLarge = errors.New("connection: POST body over MaxPostBytes")

// servePost serves POST {base}?id=: 200 with an empty body once the body
// has been passed to the Session. A body over MaxPostBytes gets 413 and
// none of it is delivered; a POST before the connection's transport has
// started gets 409 (ASP.NET would buffer it; the official clients never
// send one).
func (s *Server) servePost(w http.ResponseWriter, r *http.Request) {
	c := s.connFromQuery(w, r)
	if c == nil {
		return
	}
	c.mu.Lock()
	kind, state, sess := c.kind, c.state, c.session
	c.mu.Unlock()
	switch {
	case kind == WebSockets || s.opts.Transports&(ServerSentEvents|LongPolling) == 0:
		// Only a WebSocket can carry this connection.
		writeText(w, http.StatusMethodNotAllowed, msgPostToWebSocket)
		return
	case state == stClosed:
		writeText(w, http.StatusNotFound, msgNoConnection)
		return
	case sess == nil:
		writeText(w, http.StatusConflict, "")
		return
	}

	bp := s.readBufs.Get().(*[]byte)
	defer putReadBuf(&s.readBufs, bp)
	body, err := readPost(r, (*bp)[:0], s.opts.MaxPostBytes)
	*bp = body[:0]
	switch {
	case errors.Is(err, errPostTooLarge):
		writeText(w, http.StatusRequestEntityTooLarge, "")
		return
	case err != nil:
		writeText(w, http.StatusBadRequest, "")
		return
	}
	// The body is read before the lock, so a slow upload holds up neither
	// other POSTs nor the connection's end (finish waits for this lock
	// before Closed).
	c.postMu.Lock()
	for len(body) > 0 {
		n := min(len(body), maxReceiveChunk)
		c.receive(sess, body[:n])
		body = body[n:]
	}
	c.postMu.Unlock()
	writeText(w, http.StatusOK, "")
}

// readPost reads r's body into buf, failing with errPostTooLarge beyond
// limit bytes.
func readPost(r *http.Request, buf []byte, limit int) ([]byte, error) {
	if r.ContentLength > int64(limit) {
		return buf, errPostTooLarge
	}
	if r.ContentLength >= int64(cap(buf)) {
		// +1: room to see the EOF. A declared length is not trusted beyond
		// 64 KiB before the bytes arrive: the buffer grows as they do.
		buf = make([]byte, 0, min(r.ContentLength+1, 64<<10))
	}
	for {
		if len(buf) == cap(buf) {
			if len(buf) > limit {
				return buf, errPostTooLarge
			}
			nb := make([]byte, len(buf), min(2*cap(buf)+512, limit+1))
			copy(nb, buf)
			buf = nb
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			return buf, errPostTooLarge
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
