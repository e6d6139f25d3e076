package connection

import (
	"bytes"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// The Server-Sent Events transport (§2.2): a GET accepting
// text/event-stream gets a never-ending response carrying the server's
// units, one event each; the client's data comes by POST (post.go). The
// request's goroutine only waits for the end; the Conn's transient writer
// writes the events through sseTransport.send.

var errAnswered = errors.New("connection: request answered without the event stream")

func (s *Server) serveSSE(w http.ResponseWriter, r *http.Request, c *Conn) {
	t := &sseTransport{w: w, rc: http.NewResponseController(w), done: make(chan struct{})}
	if !s.startTransport(r, c, ServerSentEvents, t, t.fail) {
		return
	}
	// Connect has run, so a POST right after the client's open finds the
	// Session. The preamble may already be out if the App wrote in Connect.
	err := t.begin()
	clean := false
	if err == nil {
		select {
		case <-r.Context().Done(): // the client closed its EventSource
			clean = true
		case <-t.done: // closed or aborted by the server
		}
	}
	c.finish(err, clean)
}

// sseTransport writes a Conn's units as Server-Sent Events.
type sseTransport struct {
	w  http.ResponseWriter
	rc *http.ResponseController

	once     sync.Once // the response's head: the preamble, or an error status
	beginErr error

	buf []byte // the writer's framing buffer

	done     chan struct{} // closed by close or abort: the request ends
	doneOnce sync.Once
	closed   atomic.Bool // close was called: no write can follow
}

var _ transport = (*sseTransport)(nil)

// begin writes the response headers and the ":\r\n" comment and flushes
// them: the client's EventSource opens on it. It runs once, on the request
// goroutine or before the first event on the writer.
func (t *sseTransport) begin() error {
	t.once.Do(func() {
		// No deadline from the http.Server's WriteTimeout: the stream is
		// long-lived, and TransportSendTimeout guards each event.
		_ = t.rc.SetWriteDeadline(time.Time{})
		h := t.w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache,no-store")
		h.Set("Pragma", "no-cache")
		h.Set("Content-Encoding", "identity")
		t.w.WriteHeader(http.StatusOK)
		if _, err := t.w.Write([]byte(":\r\n")); err != nil {
			t.beginErr = err
			return
		}
		t.beginErr = t.rc.Flush()
	})
	return t.beginErr
}

// fail answers the request with an error status unless the event stream
// has begun.
func (t *sseTransport) fail(code int, body string) {
	t.once.Do(func() {
		writeText(t.w, code, body)
		t.beginErr = errAnswered
	})
}

// maxKeptEventBytes bounds the framing buffer an event stream keeps between
// events.
const maxKeptEventBytes = 4 << 10

// send writes p as one event: each line of p as "data: <line>\r\n" (a \r
// before the \n dropped), then the blank line. Only text reaches here:
// Write refuses binary units on this transport.
func (t *sseTransport) send(p []byte, _ bool) error {
	if err := t.begin(); err != nil {
		return err
	}
	t.buf = appendSSEEvent(t.buf[:0], p)
	_, err := t.w.Write(t.buf)
	if cap(t.buf) > maxKeptEventBytes {
		t.buf = nil // an idle stream does not keep a one-off large buffer
	}
	if err != nil {
		return err
	}
	return t.rc.Flush()
}

// close ends the response once the queue is flushed.
func (t *sseTransport) close(bool) {
	t.closed.Store(true)
	t.doneOnce.Do(func() { close(t.done) })
}

// abort ends the response now. A write in progress is failed through an
// expired write deadline, unless close came first (no write can follow it,
// and the response then ends cleanly).
func (t *sseTransport) abort() {
	if !t.closed.Load() {
		_ = t.rc.SetWriteDeadline(time.Now())
	}
	t.doneOnce.Do(func() { close(t.done) })
}

// appendSSEEvent appends the event carrying p to dst. Like ASP.NET, an
// empty p is an event without data lines, which EventSource ignores.
func appendSSEEvent(dst, p []byte) []byte {
	for len(p) > 0 {
		line, rest, found := bytes.Cut(p, []byte{'\n'})
		if found {
			line = bytes.TrimSuffix(line, []byte{'\r'})
		}
		dst = append(dst, "data: "...)
		dst = append(dst, line...)
		dst = append(dst, '\r', '\n')
		if found && len(rest) == 0 {
			// p ended with a newline: the line after it is empty.
			dst = append(dst, "data: \r\n"...)
		}
		p = rest
	}
	return append(dst, '\r', '\n')
}
