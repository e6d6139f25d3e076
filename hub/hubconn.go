package hub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"maps"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/listhub/listhub/auth"
	"github.com/listhub/listhub/hub/connection"
	"github.com/listhub/listhub/protocol"
)

// hubConn is the hub protocol on one connection: it implements
// connection.Session. Receive runs on the transport's reader goroutine and
// never waits for a hub method; methods run on their own goroutines.
type hubConn struct {
	srv      *Server
	conn     *connection.Conn
	id       string
	userID   string
	identity *auth.Identity // nil for anonymous connections
	ip       string
	limiter  *rate.Limiter   // the user's call rate, nil when unlimited
	ctx      context.Context // ends when the connection does
	cancel   context.CancelFunc
	hctx     *Context // the connection-wide Context for hooks

	// Set once by the handshake, on the reader goroutine, before the
	// connection is registered or any method runs.
	codec      protocol.Codec
	codecIndex int
	binary     bool
	replay     *replay // non-nil when stateful reconnect is on

	// Reader goroutine only.
	pending []byte             // an incomplete message awaiting more bytes
	scratch []protocol.Message // reused parse output

	created    time.Time
	lastPing   atomic.Int64 // unix nanos of the last Ping we queued
	lastRecv   atomic.Int64 // unix nanos of the last data received
	timeoutArm atomic.Bool  // the client's first Ping arms the client timeout
	closing    atomic.Bool
	stop       chan struct{} // closed when the hub starts closing the connection
	busy       atomic.Bool   // the reader is dispatching (client timeout paused)
	// Authorization rechecks (authz.go).
	lastRecheck atomic.Int64
	rechecking  atomic.Bool
	handshaken  atomic.Bool // set by the reader, read by Tick and Closed

	mu       sync.Mutex
	queue    []*call // ordinary invocations waiting for a worker
	running  int     // workers draining queue
	streams  int     // streaming calls and calls with upload streams running
	active   map[string]context.CancelFunc
	uploads  map[string]*upload
	results  map[string]chan *protocol.Completion
	resultID uint64
	groups   map[string]struct{}
	items    map[string]any
}

func newHubConn(s *Server, c *connection.Conn, id *auth.Identity, ip string) *hubConn {
	base := context.Background()
	if id != nil {
		base = auth.WithIdentity(base, id)
	}
	ctx, cancel := context.WithCancel(base)
	h := &hubConn{
		srv:      s,
		conn:     c,
		id:       c.ID(),
		userID:   userIDOf(id),
		identity: id,
		ip:       ip,
		ctx:      ctx,
		cancel:   cancel,
		created:  time.Now(),
		stop:     make(chan struct{}),
	}
	h.hctx = &Context{Context: ctx, conn: h}
	h.lastRecv.Store(h.created.UnixNano())
	h.lastRecheck.Store(h.created.UnixNano())
	return h
}

// Receive implements connection.Session.
func (h *hubConn) Receive(data []byte) error {
	if h.closing.Load() {
		return nil
	}
	// Dispatch pauses the client timeout; it restarts when Receive returns.
	h.busy.Store(true)
	defer func() {
		h.lastRecv.Store(time.Now().UnixNano())
		h.busy.Store(false)
	}()
	// Decoded messages alias buf and outlive this call (methods run later),
	// so buf is a fresh copy; only the unparsed tail is carried over.
	var buf []byte
	if len(h.pending) > 0 {
		buf = append(h.pending, data...)
		h.pending = nil
	} else {
		buf = append([]byte(nil), data...)
	}
	if !h.handshaken.Load() {
		n, err := h.handshake(buf)
		if err != nil || n == 0 {
			if err == nil {
				h.pending = buf
			}
			return nil // a failed handshake closes the connection gracefully itself
		}
		buf = buf[n:]
	}
	msgs, n, err := h.codec.ParseMessages(h.scratch[:0], buf)
	for i, m := range msgs {
		h.dispatch(m)
		msgs[i] = nil
	}
	h.scratch = msgs[:0]
	if err != nil {
		h.logParseError(err)
		h.closeWithMessage(errorMessage("Connection closed with an error.", WithTypeName("InvalidDataException", err), h.srv.cfg.EnableDetailedErrors), true, err)
		return nil
	}
	if n < len(buf) {
		h.pending = buf[n:]
	}
	return nil
}

// handshake parses the handshake request at the start of buf. It returns the
// bytes consumed, 0 when more are needed.
func (h *hubConn) handshake(buf []byte) (int, error) {
	cfg := &h.srv.cfg
	req, n, err := protocol.ParseHandshakeRequest(buf, cfg.MaxMessageSize)
	if err != nil {
		if errors.Is(err, protocol.ErrMessageTooLarge) {
			return 0, h.failHandshake("Handshake was canceled.")
		}
		return 0, h.failHandshake(errorMessage("An unexpected error occurred during connection handshake.", WithTypeName("InvalidDataException", err), cfg.EnableDetailedErrors))
	}
	if n == 0 {
		return 0, nil
	}
	idx, codec := h.srv.codecFor(req.Protocol)
	switch {
	case codec == nil:
		return 0, h.failHandshake(fmt.Sprintf("The protocol '%s' is not supported.", req.Protocol))
	case !codec.IsVersionSupported(req.Version):
		return 0, h.failHandshake(fmt.Sprintf("The server does not support version %d of the '%s' protocol.", req.Version, req.Protocol))
	case codec.TransferFormat() == protocol.Binary && h.conn.Transport() == connection.ServerSentEvents:
		return 0, h.failHandshake(fmt.Sprintf("Cannot use the '%s' protocol on the current transport. The transport does not support 'Binary' transfer format.", req.Protocol))
	}
	h.codec, h.codecIndex = codec, idx
	h.binary = codec.TransferFormat() == protocol.Binary
	// The connection is registered before the client learns the handshake
	// succeeded, so a group add right after it finds the connection. Like
	// ASP.NET Core, a successful response already uses the protocol's frame
	// type (binary for MessagePack).
	if req.Version >= 2 && h.conn.StatefulReconnect() && h.conn.Transport() == connection.WebSockets {
		h.replay = newReplay(cfg.StatefulReconnectBufferSize, cmp.Or(cfg.Connection.MaxQueueBytes, connection.DefaultMaxQueueBytes))
	}
	h.handshaken.Store(true)
	h.lastPing.Store(time.Now().UnixNano())
	err = h.srv.local.add(h.ctx, h, func() error {
		return h.conn.Write(protocol.AppendHandshakeResponse(nil, ""), h.binary)
	})
	if err != nil {
		h.handshaken.Store(false)
		h.closing.Store(true)
		h.conn.Abort(err)
		return 0, err
	}
	if h.replay != nil {
		h.conn.EnableReconnect()
	}
	if h.srv.closing.Load() { // Shutdown began during the handshake
		h.closeWithMessage("", true, nil)
		return n, nil
	}
	if connected := h.srv.chains.connected; connected != nil {
		if err := safeHook(func() error { return connected(h.hctx) }); err != nil {
			h.logHookError("OnConnected", err)
			h.closeWithMessage(errorMessage("Connection closed with an error.", err, cfg.EnableDetailedErrors), false, err)
			return 0, err
		}
	}
	return n, nil
}

// failHandshake answers {"error":...} in a text frame and closes the
// connection without a Close message, as the official server does.
func (h *hubConn) failHandshake(text string) error {
	err := errors.New(text)
	h.logFailure(slog.LevelWarn, "hub: handshake failed", "", "reason", text, "transport", h.conn.Transport().String())
	h.closing.Store(true)
	_ = h.conn.Write(protocol.AppendHandshakeResponse(nil, text), false)
	h.conn.Close(err)
	return err
}

func (h *hubConn) dispatch(m protocol.Message) {
	if h.replay != nil && !h.replay.received(m.Type()) {
		return // a message replayed after a reconnect that we already had
	}
	switch m := m.(type) {
	case *protocol.Invocation:
		h.invoke(m.InvocationID, m.Target, m.Arguments, m.StreamIDs, false)
	case *protocol.StreamInvocation:
		h.invoke(m.InvocationID, m.Target, m.Arguments, m.StreamIDs, true)
	case *protocol.StreamItem:
		h.uploadItem(m.InvocationID, m.Item)
	case *protocol.Completion:
		h.completion(m)
	case *protocol.CancelInvocation:
		h.mu.Lock()
		cancel := h.active[m.InvocationID]
		h.mu.Unlock()
		if cancel != nil {
			cancel()
		}
	case *protocol.Ping:
		h.timeoutArm.Store(true)
	case *protocol.Close:
		// The client is leaving: answer with our own Close and end the
		// connection without reconnect.
		var cause error
		if m.Error != "" {
			cause = &Error{Message: m.Error}
		}
		h.closeWithMessage("", false, cause)
	case *protocol.Ack:
		if h.replay != nil {
			h.replay.ack(m.SequenceID)
		}
	case *protocol.Sequence:
		if h.replay != nil {
			if err := h.replay.sequence(m.SequenceID); err != nil {
				h.closeWithMessage(errorMessage("Connection closed with an error.", WithTypeName("InvalidDataException", err), h.srv.cfg.EnableDetailedErrors), true, err)
			}
		}
	}
	// Without stateful reconnect, Ack and Sequence are ignored as on the
	// official server.
}

// send encodes m with the connection's protocol and queues it, never
// waiting.
func (h *hubConn) send(m protocol.Message) error { return h.sendWaiting(nil, m) }

// sendWaiting is send for a hub method's own Completion and stream items:
// with stateful reconnect it waits, until wait ends, while the client has
// not acknowledged enough (see replay.write).
func (h *hubConn) sendWaiting(wait context.Context, m protocol.Message) error {
	b, err := h.codec.AppendMessage(nil, m)
	if err != nil {
		return err
	}
	return h.write(wait, b, m.Type().Trackable())
}

// write queues an encoded frame; every frame for this connection after the
// handshake goes through here so stateful reconnect can number and keep it.
func (h *hubConn) write(wait context.Context, frame []byte, trackable bool) error {
	if h.replay == nil {
		return h.conn.Write(frame, h.binary)
	}
	err := h.replay.write(wait, h, frame, trackable)
	if errors.Is(err, errReplayOverflow) {
		h.conn.Abort(err)
	}
	return err
}

// deliver queues a backplane message for this connection unless excluded.
// It runs on the backplane's delivery goroutine and never blocks.
func (h *hubConn) deliver(env *messageEnvelope) {
	frame := env.frames[h.codecIndex]
	if frame == nil || (env.nExcept > 0 && env.excludes(h.id)) {
		return
	}
	if err := h.write(nil, frame, true); err != nil && errors.Is(err, connection.ErrQueueFull) {
		h.logFailure(slog.LevelInfo, "hub: closing a slow connection: its send queue is full (hub.Config.Connection.MaxQueueBytes)", "")
	}
}

// closeWithMessage sends Close{error, allowReconnect} and then closes the
// transport gracefully, so everything queued before it still goes out.
func (h *hubConn) closeWithMessage(text string, allowReconnect bool, cause error) {
	if !h.closing.CompareAndSwap(false, true) {
		return
	}
	close(h.stop)
	if h.replay != nil {
		h.replay.end()
	}
	if h.codec != nil {
		_ = h.send(&protocol.Close{Error: text, AllowReconnect: allowReconnect})
	}
	h.conn.Close(cause)
}

// Tick implements connection.Session: the handshake timeout, keep-alive
// pings and the client timeout, driven by the server's shared heartbeat.
func (h *hubConn) Tick(now time.Time) {
	if h.closing.Load() {
		return
	}
	cfg := &h.srv.cfg
	if !h.handshaken.Load() {
		if now.Sub(h.created) >= cfg.HandshakeTimeout {
			h.logFailure(slog.LevelInfo, "hub: no handshake within hub.Config.HandshakeTimeout", "", "timeout", cfg.HandshakeTimeout)
			_ = h.failHandshake("Handshake was canceled.")
		}
		return
	}
	h.recheck(now)
	if h.timeoutArm.Load() && !h.busy.Load() && now.Sub(time.Unix(0, h.lastRecv.Load())) >= cfg.ClientTimeoutInterval {
		h.logFailure(slog.LevelInfo, "hub: closing a connection silent for longer than hub.Config.ClientTimeoutInterval", "", "timeout", cfg.ClientTimeoutInterval)
		err := WithTypeName("OperationCanceledException", errors.New("Client hasn't sent a message/ping within the configured ClientTimeoutInterval."))
		h.closeWithMessage(errorMessage("Connection closed with an error.", err, cfg.EnableDetailedErrors), true, err)
		return
	}
	if h.conn.Transport() != connection.LongPolling && now.Sub(time.Unix(0, h.lastPing.Load())) >= cfg.KeepAliveInterval {
		h.lastPing.Store(now.UnixNano())
		_ = h.write(nil, h.srv.pings[h.codecIndex], false)
	}
	if h.replay != nil {
		if seq, ok := h.replay.ackDue(); ok {
			if b, err := h.codec.AppendMessage(nil, &protocol.Ack{SequenceID: seq}); err == nil {
				_ = h.write(nil, b, false)
			}
		}
	}
}

// Closed implements connection.Session: it ends every invocation, fails the
// pending client results, runs OnDisconnected and leaves all groups.
func (h *hubConn) Closed(err error) {
	h.closing.Store(true)
	h.cancel()
	if h.replay != nil {
		h.replay.end()
	}
	h.mu.Lock()
	uploads := h.uploads
	h.uploads = nil
	results := h.results
	h.results = nil
	h.queue = nil
	h.mu.Unlock()
	for _, u := range uploads {
		u.complete(errConnectionClosed)
	}
	h.srv.local.releaseConn(h)
	for id, ch := range results {
		ch <- &protocol.Completion{InvocationID: id, Error: fmt.Sprintf("Connection '%s' disconnected.", h.id)}
	}
	if !h.handshaken.Load() {
		return
	}
	if disconnected := h.srv.chains.disconnected; disconnected != nil {
		// The connection is gone, but the hook may still send to others.
		hctx := &Context{Context: context.WithoutCancel(h.ctx), conn: h}
		if perr := safeHook(func() error { disconnected(hctx, err); return nil }); perr != nil {
			h.logHookError("OnDisconnected", perr)
		}
	}
	h.srv.local.remove(h)
}

// Detached implements connection.Resumer: the WebSocket was lost and the
// client may come back with stateful reconnect.
func (h *hubConn) Detached(err error) {
	h.pending = nil // a message cut off by the drop is sent again whole
	if h.replay != nil {
		h.replay.detach()
	}
}

// Resumed implements connection.Resumer: send Sequence and replay. The
// heartbeat did not run while detached, so the client timeout starts anew.
func (h *hubConn) Resumed() {
	h.lastRecv.Store(time.Now().UnixNano())
	if h.replay != nil {
		h.replay.resume(h)
	}
}

func (h *hubConn) addGroup(name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.groups[name]; ok {
		return false
	}
	if h.groups == nil {
		h.groups = make(map[string]struct{})
	}
	h.groups[name] = struct{}{}
	return true
}

func (h *hubConn) removeGroup(name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.groups[name]; !ok {
		return false
	}
	delete(h.groups, name)
	return true
}

func (h *hubConn) groupNames() iter.Seq[string] {
	h.mu.Lock()
	names := maps.Clone(h.groups)
	h.mu.Unlock()
	return maps.Keys(names)
}

var _ connection.Resumer = (*hubConn)(nil)

// safeHook runs an application hook, turning a panic into an error.
func safeHook(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &panicError{value: p, stack: debug.Stack()}
		}
	}()
	return f()
}
