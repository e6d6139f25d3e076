package connection

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// The WebSocket transport (§2.1). The upgrade request's goroutine runs the
// read loop for the life of the connection; the Conn's transient writer
// writes through wsTransport.send.

// isWebSocketRequest reports whether r asks for a WebSocket upgrade.
func isWebSocketRequest(r *http.Request) bool {
	return headerHasToken(r.Header, "Upgrade", "websocket")
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	if !s.originAllowed(r) {
		s.logRefusedOrigin(r)
		writeText(w, http.StatusForbidden, "")
		return
	}
	var c *Conn
	if token, _ := queryValue(r, "id"); token == "" {
		// skipNegotiation: a new connection on the spot, version 0.
		if s.opts.Transports&WebSockets == 0 {
			writeText(w, http.StatusNotFound, transportNotSupported(WebSockets))
			return
		}
		// Registered before it is counted, so a Close that starts in
		// between finds it (expires it, or aborts it once it runs).
		c = s.newConn(0, false)
		if !s.acquire() {
			c.expire(ErrServerClosed)
			writeText(w, http.StatusServiceUnavailable, "")
			return
		}
		if code, _ := c.claim(WebSockets); code != 0 { // only a shutdown can have expired c
			c.abandon(ErrServerClosed)
			writeText(w, http.StatusServiceUnavailable, "")
			return
		}
	} else {
		if c = s.lookup(token); c == nil {
			writeText(w, http.StatusNotFound, msgNoConnection)
			return
		}
		if s.opts.Transports&WebSockets == 0 {
			writeText(w, http.StatusNotFound, transportNotSupported(WebSockets))
			return
		}
		if old, ok := c.claimResume(); ok {
			s.resumeWebSocket(w, r, c, old)
			return
		}
		if !s.acquire() {
			writeText(w, http.StatusServiceUnavailable, "")
			return
		}
		if code, body := c.claim(WebSockets); code != 0 {
			s.release()
			writeText(w, code, body)
			return
		}
	}

	t, err := s.acceptWebSocket(w, r)
	if err != nil { // Accept has answered the request
		s.log.Debug("websocket accept failed", "id", c.id, "err", err)
		c.abandon(err)
		return
	}
	defer close(t.done)
	req := requestForConn(r, c.ctx)
	if !c.start(t, req) { // aborted while accepting
		t.abort()
		_ = t.ws.CloseNow()
		c.abandon(ErrClosed)
		return
	}
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		s.log.Debug("websocket connected", "id", c.id)
	}

	sess, err := s.app.Connect(c)
	if err != nil {
		c.connectFailed(err)
		t.close(true)
		_ = t.ws.CloseNow()
		c.abandon(err)
		return
	}
	c.setSession(sess)
	s.runWebSocket(c, t, sess)
}

// acceptWebSocket completes the upgrade; on error the request has been
// answered.
func (s *Server) acceptWebSocket(w http.ResponseWriter, r *http.Request) (*wsTransport, error) {
	hw := &hijackWriter{ResponseWriter: w}
	ws, err := websocket.Accept(hw, r, &websocket.AcceptOptions{
		InsecureSkipVerify: true, // the origin was checked above
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		return nil, err
	}
	// Reading is bounded by maxReceiveChunk per Receive call, not per message.
	ws.SetReadLimit(-1)
	return &wsTransport{s: s, ws: ws, raw: hw.raw, done: make(chan struct{})}, nil
}

// runWebSocket reads until the socket ends, then ends the connection, or
// detaches it when it may wait for a stateful reconnect.
func (s *Server) runWebSocket(c *Conn, t *wsTransport, sess Session) {
	err := t.readLoop(c, sess)
	// Reading has ended, so the socket is done: close it (unblocking a
	// writer) and release the library's state.
	t.abort()
	_ = t.ws.CloseNow()
	clean := websocket.CloseStatus(err) != -1
	if !clean && c.detach(t, err) {
		return
	}
	c.finish(err, clean)
}

// wsTransport carries a Conn over a coder/websocket connection.
type wsTransport struct {
	s    *Server
	ws   *websocket.Conn
	raw  net.Conn
	done chan struct{} // closed when its request is through with the Conn
}

var _ transport = (*wsTransport)(nil)

func (t *wsTransport) send(p []byte, binary bool) error {
	typ := websocket.MessageText
	if binary {
		typ = websocket.MessageBinary
	}
	// No context deadline: TransportSendTimeout is enforced by the
	// heartbeat, which avoids a timer per write; abort unblocks the write.
	return t.ws.Write(context.Background(), typ, p)
}

func (t *wsTransport) close(failed bool) {
	code := websocket.StatusNormalClosure
	if failed {
		code = websocket.StatusInternalError
	}
	timer := time.AfterFunc(t.s.opts.CloseTimeout, t.abort)
	_ = t.ws.Close(code, "")
	timer.Stop()
}

func (t *wsTransport) abort() { _ = t.raw.Close() }

// readLoop hands every incoming message to the session until the socket
// ends; it returns why.
func (t *wsTransport) readLoop(c *Conn, sess Session) error {
	for {
		// Background context: a cancellable one would cost a timer
		// registration per frame; abort closes the socket instead.
		_, r, err := t.ws.Reader(context.Background())
		if err != nil {
			return err
		}
		bp := t.s.readBufs.Get().(*[]byte)
		err = readMessage(r, bp, func(p []byte) { c.receive(sess, p) })
		putReadBuf(&t.s.readBufs, bp)
		if err != nil {
			return err
		}
	}
}

// readMessage reads one message from r into the growing buffer *bp,
// calling deliver with each chunk of up to maxReceiveChunk bytes.
func readMessage(r io.Reader, bp *[]byte, deliver func([]byte)) error {
	buf := (*bp)[:0]
	defer func() { *bp = buf[:0] }()
	for {
		if len(buf) == cap(buf) {
			if cap(buf) >= maxReceiveChunk {
				deliver(buf)
				buf = buf[:0]
			} else {
				nb := make([]byte, len(buf), min(2*cap(buf), maxReceiveChunk))
				copy(nb, buf)
				buf = nb
			}
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			deliver(buf)
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func putReadBuf(pool *sync.Pool, bp *[]byte) {
	if cap(*bp) <= maxReceiveChunk {
		pool.Put(bp)
	}
}
