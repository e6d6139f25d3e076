package connection

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// POSTed sends (§2.2, §2.3): the client-to-server half of Server-Sent
// Events and long polling. Each body is read whole, then appended to the
// connection's input under a per-connection lock, so Receive is never
// called concurrently, and POSTs sent one after another (as clients do)
// arrive in order.

var errPostTooLarge = errors.New("connection: POST body over MaxPostBytes")

// servePost serves POST {base}?id=: 200 with an empty body once the body
// has been passed to the Session. A body over MaxPostBytes gets 413 and
// none of it is delivered; a body arriving slower than MinPostDataRate
// gets 408 and its HTTP connection is closed; a POST before the connection's transport has
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
	body, err := readPost(r, newBodyDeadline(w, s.opts), (*bp)[:0], s.opts.MaxPostBytes)
	*bp = body[:0]
	switch {
	case errors.Is(err, errPostTooLarge):
		writeText(w, http.StatusRequestEntityTooLarge, "")
		return
	case errors.Is(err, os.ErrDeadlineExceeded):
		// Like Kestrel: 408, and the HTTP connection is closed.
		w.Header().Set("Connection", "close")
		writeText(w, http.StatusRequestTimeout, "")
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

// bodyDeadline enforces MinPostDataRate on a body: after the grace
// period, the bytes read must keep up with the rate (Kestrel's
// MinRequestBodyDataRate), or reading fails with os.ErrDeadlineExceeded.
type bodyDeadline struct {
	rc    *http.ResponseController
	start time.Time
	grace time.Duration
	rate  int // bytes per second; 0: no deadline
}

func newBodyDeadline(w http.ResponseWriter, o Options) *bodyDeadline {
	if o.MinPostDataRate <= 0 {
		return &bodyDeadline{}
	}
	return &bodyDeadline{rc: http.NewResponseController(w), start: time.Now(), grace: o.MinPostDataRateGrace, rate: o.MinPostDataRate}
}

// set moves the read deadline to when n bytes fall below the rate.
func (d *bodyDeadline) set(n int) {
	if d.rate > 0 {
		_ = d.rc.SetReadDeadline(d.start.Add(d.grace + time.Duration(n)*time.Second/time.Duration(d.rate)))
	}
}

// clear removes the deadline, which would outlive the request on a
// kept-alive connection.
func (d *bodyDeadline) clear() {
	if d.rate > 0 {
		_ = d.rc.SetReadDeadline(time.Time{})
	}
}

// readPost reads r's body into buf, failing with errPostTooLarge beyond
// limit bytes. buf grows as the bytes arrive, whatever length the request
// declares.
func readPost(r *http.Request, d *bodyDeadline, buf []byte, limit int) ([]byte, error) {
	if r.ContentLength > int64(limit) {
		return buf, errPostTooLarge
	}
	defer d.clear()
	for {
		if len(buf) == cap(buf) {
			if len(buf) > limit {
				return buf, errPostTooLarge
			}
			nb := make([]byte, len(buf), min(2*cap(buf)+512, limit+1))
			copy(nb, buf)
			buf = nb
		}
		d.set(len(buf))
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
