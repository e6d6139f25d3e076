package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime/debug"
	"slices"
	"time"

	"github.com/listhub/listhub/hub/connection"
	"github.com/listhub/listhub/protocol"
)

// A call is one invocation whose arguments are bound and whose upload
// streams and cancellation are registered, ready to run.
type call struct {
	raw      []any     // the wire arguments, kept for Filters only
	outcome  int       // outcomeOK, outcomeError or outcomeRefused, for the metrics
	start    time.Time // when a worker started it
	observed bool      // counted in the metrics

	m      *method
	id     string // "" for a non-blocking invocation
	ctx    *Context
	cancel context.CancelFunc
	in     []reflect.Value
	ups    []*upload
	stream bool // counted in hubConn.streams until forgotten
	weight int  // bytes of encoded arguments, for the stalled queue's bound
}

// invoke validates and prepares an invocation on the reader goroutine, so
// that its upload streams and cancellation exist before the next message is
// read, and hands it to a worker.
func (h *hubConn) invoke(id, target string, args []any, streamIDs []string, streaming bool) {
	detailed := h.srv.cfg.EnableDetailedErrors
	m := h.srv.lookup(target)
	if m == nil {
		h.srv.metrics.unknownCalls.Add(1)
		h.logFailure(slog.LevelWarn, "hub: call of a method that is not registered", target)
		h.fail(id, errorMessage(fmt.Sprintf("Failed to invoke '%s' due to an error on the server.", target), &Error{Message: "Method does not exist."}, detailed))
		return
	}
	switch {
	case streaming && !m.streaming():
		m.stats.observe(outcomeRefused, 0)
		h.logFailure(slog.LevelWarn, "hub: stream invocation of a method that does not stream (the client must use invoke or send)", m.name)
		h.fail(id, fmt.Sprintf("The client attempted to invoke the non-streaming '%s' method with a streaming invocation.", m.name))
		return
	case !streaming && m.streaming():
		m.stats.observe(outcomeRefused, 0)
		h.logFailure(slog.LevelWarn, "hub: invocation of a streaming method (the client must use stream)", m.name)
		h.fail(id, fmt.Sprintf("The client attempted to invoke the streaming '%s' method with a non-streaming invocation.", m.name))
		return
	}
	if len(args) != m.nArgs && (m.variadic == nil || len(args) < m.nArgs) {
		m.stats.observe(outcomeRefused, 0)
		h.logFailure(slog.LevelWarn, "hub: call with the wrong number of arguments", m.name, "got", len(args), "want", m.nArgs)
		h.fail(id, errorMessage(fmt.Sprintf("Failed to invoke '%s' due to an error on the server.", m.name),
			invalidData("Invocation provides %d argument(s) but target expects %d.", len(args), m.nArgs), detailed))
		return
	}
	if len(streamIDs) != m.nUploads {
		m.stats.observe(outcomeRefused, 0)
		h.logFailure(slog.LevelWarn, "hub: call with the wrong number of upload streams", m.name, "got", len(streamIDs), "want", m.nUploads)
		h.fail(id, errorMessage(fmt.Sprintf("An unexpected error occurred invoking '%s' on the server.", m.name),
			&Error{Message: fmt.Sprintf("Client sent %d stream(s), Hub method expects %d.", len(streamIDs), m.nUploads)}, detailed))
		return
	}
	c := &call{m: m, id: id, in: make([]reflect.Value, 0, len(m.params)+1+len(args)-m.nArgs)}
	if h.srv.chains.invoke != nil {
		c.raw = args
	}
	ctx, cancel := context.WithCancel(h.ctx)
	c.ctx, c.cancel = &Context{Context: ctx, conn: h}, cancel
	switch m.ctxParam {
	case ctxHub, ctxStd:
		c.in = append(c.in, reflect.ValueOf(c.ctx))
	}
	// bind decodes argument i into a new value of typ and appends it to the
	// call's arguments; false when it does not bind (the call has failed).
	bind := func(i int, typ reflect.Type) bool {
		v := reflect.New(typ)
		raw, _ := args[i].(protocol.RawValue)
		if err := h.codec.Bind(raw, v.Interface()); err != nil {
			cancel()
			m.stats.observe(outcomeRefused, 0)
			h.logFailure(slog.LevelWarn, "hub: argument does not bind to the parameter's type", m.name,
				"argument", i, "type", typ.String(), "err", err)
			h.fail(id, errorMessage(fmt.Sprintf("Failed to invoke '%s' due to an error on the server.", m.name),
				bindError(i, typ, err), detailed))
			return false
		}
		c.in = append(c.in, v.Elem())
		return true
	}
	argi := 0
	for _, p := range m.params {
		if p.upload != notUpload {
			u := newUpload(h, c.ctx, p, h.srv.cfg.StreamBufferCapacity)
			c.ups = append(c.ups, u)
			c.in = append(c.in, u.param)
			continue
		}
		if !bind(argi, p.typ) {
			return
		}
		argi++
	}
	// Arguments beyond the fixed ones are the variadic parameter's elements.
	for ; argi < len(args); argi++ {
		if !bind(argi, m.variadic) {
			return
		}
	}
	if err := h.register(c, streamIDs, streaming); err != nil {
		cancel()
		m.stats.observe(outcomeRefused, 0)
		h.logFailure(slog.LevelWarn, "hub: call refused", m.name, "reason", err)
		if errors.Is(err, errTooManyStreams) || errors.Is(err, errTooManyNodeStreams) {
			h.fail(id, errorMessage(fmt.Sprintf("Failed to invoke '%s' due to an error on the server.", m.name), err, detailed))
		} else {
			h.fail(id, err.Error())
		}
		return
	}
	if streaming || len(c.ups) > 0 {
		// Like ASP.NET Core: streams and upload consumers run on their own so
		// the reader can keep feeding them.
		go h.run(c)
		return
	}
	for _, a := range args {
		raw, _ := a.(protocol.RawValue)
		c.weight += len(raw)
	}
	if err := h.enqueue(c); err != nil {
		h.forget(c)
		cancel()
		if errors.Is(err, errTooManyCalls) {
			h.fail(id, errorMessage(fmt.Sprintf("Failed to invoke '%s' due to an error on the server.", m.name), err, detailed))
		}
	}
}

// Bounds on what one client can have the server hold. Ordinary calls do
// not queue: while MaxParallelInvocations of them run and one more waits,
// the reader waits (see enqueue). Only while a running call waits for this
// client's answer (a client result), which only the reader can deliver, do
// calls queue, up to maxStalledCalls holding maxStalledBytes of encoded
// arguments; calls beyond fail. Streams (server streams and calls with
// upload streams) are bounded per connection by maxStreams and per node by
// Config.MaxStreams; calls beyond fail. The connection stays up.
const (
	maxStalledCalls = 1024
	maxStalledBytes = 1 << 20
	maxStreams      = 256
)

var (
	errTooManyCalls       = &Error{Message: "Too many invocations are waiting on this connection."}
	errTooManyStreams     = &Error{Message: "Too many streams are running on this connection."}
	errTooManyNodeStreams = &Error{Message: "Too many streams are running on this server."}
)

// enqueue hands an ordinary call to a worker. When MaxParallelInvocations
// calls run and one more waits for a worker, the reader waits here for
// room, as ASP.NET Core's does: a client's pipelined calls wait in its
// socket, not in memory. It waits until a worker takes the waiting call,
// or a running call starts waiting for this client (then the call queues,
// see maxStalledCalls), or the connection ends (errConnectionClosed).
func (h *hubConn) enqueue(c *call) error {
	limit := h.srv.cfg.MaxParallelInvocations
	h.mu.Lock()
	for {
		if h.running < limit && len(h.queue) == 0 {
			h.running++
			h.mu.Unlock()
			h.srv.workers.run(func() { h.drain(c) })
			return nil
		}
		if len(h.queue) == 0 {
			break
		}
		if h.stalled > 0 {
			if len(h.queue) >= maxStalledCalls || h.queuedBytes+c.weight > max(maxStalledBytes, 4*h.srv.cfg.MaxMessageSize) {
				h.mu.Unlock()
				return errTooManyCalls
			}
			break
		}
		h.mu.Unlock()
		if err := h.waitRoom(); err != nil {
			return err
		}
		h.mu.Lock()
	}
	h.queue = append(h.queue, c)
	h.queuedBytes += c.weight
	h.mu.Unlock()
	return nil
}

// waitRoom blocks the reader until a worker takes a waiting call, a running
// call starts waiting for this client, or the connection ends. While it
// waits, hub methods do not wait for the client's Acks (replay.write): the
// reader cannot read them.
func (h *hubConn) waitRoom() error {
	h.readerWaiting.Store(true)
	defer h.readerWaiting.Store(false)
	if h.replay != nil {
		h.replay.wake()
	}
	select {
	case <-h.room:
		return nil
	case <-h.stop:
	case <-h.conn.Context().Done():
	}
	return errConnectionClosed
}

// signalRoom wakes the reader if it waits in waitRoom.
func (h *hubConn) signalRoom() {
	select {
	case h.room <- struct{}{}:
	default:
	}
}

// stall records that a call waits for this client's answer (a client
// result) until the returned func is called; meanwhile the reader does not
// wait for room, so that it can read the answer.
func (h *hubConn) stall() (unstall func()) {
	h.mu.Lock()
	h.stalled++
	h.mu.Unlock()
	h.signalRoom()
	return func() {
		h.mu.Lock()
		h.stalled--
		h.mu.Unlock()
	}
}

// register records the call's cancellation and upload streams by id.
func (h *hubConn) register(c *call, streamIDs []string, streaming bool) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	inUse := func(id string) error {
		return fmt.Errorf("Invocation ID '%s' is already in use.", id) //nolint:staticcheck // the official text
	}
	if c.id != "" {
		if _, dup := h.active[c.id]; dup {
			return inUse(c.id)
		}
	}
	for i, sid := range streamIDs {
		if _, dup := h.uploads[sid]; dup || sid == c.id || slices.Contains(streamIDs[:i], sid) {
			return inUse(sid)
		}
	}
	if streaming || len(streamIDs) > 0 {
		if h.streams >= maxStreams {
			return errTooManyStreams
		}
		if h.srv.streams.Add(1) > int64(h.srv.cfg.MaxStreams) {
			h.srv.streams.Add(-1)
			return errTooManyNodeStreams
		}
		h.streams++
		c.stream = true
	}
	if c.id != "" {
		if h.active == nil {
			h.active = make(map[string]context.CancelFunc)
		}
		h.active[c.id] = c.cancel
	}
	if len(streamIDs) > 0 && h.uploads == nil {
		h.uploads = make(map[string]*upload)
	}
	for i, sid := range streamIDs {
		c.ups[i].id = sid
		h.uploads[sid] = c.ups[i]
	}
	return nil
}

// drain runs c, then queued ordinary invocations one after another until
// the queue is empty; at most MaxParallelInvocations drain at once.
func (h *hubConn) drain(c *call) {
	for {
		h.run(c)
		h.mu.Lock()
		if len(h.queue) == 0 {
			h.running--
			h.mu.Unlock()
			return
		}
		c = h.queue[0]
		h.queue[0] = nil
		h.queue = h.queue[1:]
		h.queuedBytes -= c.weight
		h.mu.Unlock()
		h.signalRoom()
	}
}

// run calls the method, through the Filters, and sends its Completion, or
// its stream items and the final Completion.
func (h *hubConn) run(c *call) {
	defer h.afterCompletion(c)
	defer h.finish(c)
	c.start = time.Now()
	defer h.observe(c) // when no Completion was sent
	out, err := h.callFiltered(c)
	failed := func(err error) string {
		prefix := "An unexpected error occurred invoking '%s' on the server."
		if err == errRateLimited {
			prefix = "Failed to invoke '%s' due to an error on the server."
		}
		return errorMessage(fmt.Sprintf(prefix, c.m.name), err, h.srv.cfg.EnableDetailedErrors)
	}
	if err != nil {
		c.outcome = outcomeError
		if err == errRateLimited || err == ErrAccessDenied {
			c.outcome = outcomeRefused
		}
		h.logMethodError(c.m.name, err)
		_ = h.complete(c, &protocol.Completion{Error: failed(err)})
		return
	}
	if c.m.streaming() {
		h.stream(c, out)
		return
	}
	var result any
	if out.IsValid() {
		result = out.Interface()
	}
	// The official server answers every successful call with a result,
	// null for void methods.
	err = h.complete(c, &protocol.Completion{HasResult: true, Result: result})
	switch {
	case errors.Is(err, errEncoding):
		c.outcome = outcomeError
		h.logFailure(slog.LevelError, "hub: the method's result cannot be encoded", c.m.name, "err", err)
		h.fail(c.id, failed(err))
	case errors.Is(err, connection.ErrQueueFull), errors.Is(err, errReplayOverflow):
		h.logFailure(slog.LevelWarn, "hub: a method's result is not delivered: the client does not keep up; closing the connection", c.m.name, "err", err)
	}
}

var errEncoding = errors.New("hub: encoding")

// afterCompletion runs the functions the method gave Context.AfterCompletion.
func (h *hubConn) afterCompletion(c *call) {
	h.mu.Lock()
	fns := c.ctx.after
	c.ctx.after = nil
	h.mu.Unlock()
	for _, f := range fns {
		f()
	}
}

// complete sends the call's final Completion, after forgetting its id so
// the client may reuse it as soon as it sees the Completion. A
// non-blocking call gets nothing.
func (h *hubConn) complete(c *call, comp *protocol.Completion) error {
	h.forget(c)
	if c.id == "" {
		h.observe(c)
		return nil
	}
	comp.InvocationID = c.id
	b, err := h.codec.AppendMessage(nil, comp)
	if err != nil {
		c.outcome = outcomeError
		h.observe(c)
		return fmt.Errorf("%w: %w", errEncoding, err)
	}
	h.observe(c) // before the client can see the Completion
	// The Completion goes out even after CancelInvocation: wait on the
	// connection, not on the call.
	return h.write(h.ctx, b, true)
}

// finish ends the call: it cancels its context, forgets it and releases
// its upload streams.
func (h *hubConn) finish(c *call) {
	c.cancel()
	h.forget(c)
	for _, u := range c.ups {
		u.abandon()
	}
}

// forget removes the call's id and upload streams; it is idempotent.
func (h *hubConn) forget(c *call) {
	h.mu.Lock()
	if c.stream {
		c.stream = false
		h.streams--
		h.srv.streams.Add(-1)
	}
	if c.id != "" {
		delete(h.active, c.id)
	}
	for _, u := range c.ups {
		if h.uploads[u.id] == u {
			delete(h.uploads, u.id)
		}
	}
	h.mu.Unlock()
}

// fail sends an error Completion for a blocking invocation; a non-blocking
// one gets nothing, as on the official server. It never waits for the
// client's Acks: it runs on the reader, which must keep reading them.
func (h *hubConn) fail(id, text string) {
	if id == "" {
		return
	}
	if b, err := h.codec.AppendMessage(nil, &protocol.Completion{InvocationID: id, Error: text}); err == nil {
		_ = h.write(nil, b, true)
	}
}

// call invokes the method, turning a panic into an error. For streaming
// methods the returned value is the stream.
func (m *method) call(in []reflect.Value) (out reflect.Value, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &panicError{value: p, stack: debug.Stack()}
		}
	}()
	res := m.fn.Call(in)
	if m.hasError {
		if e := res[len(res)-1]; !e.IsNil() {
			return reflect.Value{}, e.Interface().(error)
		}
	}
	if m.result != resultNone {
		out = res[0]
	}
	return out, nil
}

// completion routes a client's Completion: to an upload stream it ends, or
// to a pending client result.
func (h *hubConn) completion(m *protocol.Completion) {
	h.mu.Lock()
	u := h.uploads[m.InvocationID]
	if u != nil {
		delete(h.uploads, m.InvocationID)
	}
	ch := h.results[m.InvocationID]
	if ch != nil {
		delete(h.results, m.InvocationID)
	}
	h.mu.Unlock()
	switch {
	case u != nil:
		var err error
		if m.Error != "" {
			err = &Error{Message: m.Error}
		}
		u.complete(err)
	case ch != nil:
		ch <- m
	}
}
