package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"

	"github.com/listhub/listhub/protocol"
)

var errConnectionClosed = errors.New("hub: connection closed")

// An upload is a client-to-server stream feeding one method parameter. The
// reader goroutine is its only sender; items wait in a channel of
// StreamBufferCapacity, which gives the client backpressure as on ASP.NET
// Core.
type upload struct {
	id    string
	h     *hubConn
	ctx   context.Context // the call's: cancelled by CancelInvocation
	elem  reflect.Type
	ch    reflect.Value // chan T, closed by complete
	param reflect.Value // what the method receives

	done     chan struct{} // closed by abandon: the method has returned
	doneOnce sync.Once

	mu     sync.Mutex
	closed bool
	err    error // the client's stream error, visible once ch is closed
}

func newUpload(h *hubConn, ctx context.Context, p param, capacity int) *upload {
	u := &upload{h: h, ctx: ctx, elem: p.elem, done: make(chan struct{})}
	u.ch = reflect.MakeChan(reflect.ChanOf(reflect.BothDir, p.elem), capacity)
	switch p.upload {
	case uploadChan:
		u.param = u.ch.Convert(p.typ)
	case uploadSeq:
		u.param = reflect.MakeFunc(p.typ, func(args []reflect.Value) []reflect.Value {
			u.each(func(v reflect.Value) bool { return args[0].Call([]reflect.Value{v})[0].Bool() })
			return nil
		})
	case uploadSeq2:
		u.param = reflect.MakeFunc(p.typ, func(args []reflect.Value) []reflect.Value {
			yield := args[0]
			nilErr := reflect.Zero(errorType)
			if !u.each(func(v reflect.Value) bool { return yield.Call([]reflect.Value{v, nilErr})[0].Bool() }) {
				return nil
			}
			if err := u.streamErr(); err != nil {
				yield.Call([]reflect.Value{reflect.Zero(u.elem), reflect.ValueOf(&err).Elem()})
			}
			return nil
		})
	}
	return u
}

// each receives items until the stream ends (true) or yield stops (false).
// A cancelled invocation ends the stream with the context's error.
func (u *upload) each(yield func(reflect.Value) bool) bool {
	cases := []reflect.SelectCase{
		{Dir: reflect.SelectRecv, Chan: u.ch},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(u.ctx.Done())},
	}
	for {
		chosen, v, ok := reflect.Select(cases)
		if chosen == 1 {
			u.mu.Lock()
			if u.err == nil {
				u.err = u.ctx.Err()
			}
			u.mu.Unlock()
			return true
		}
		if !ok {
			return true
		}
		if !yield(v) {
			return false
		}
	}
}

func (u *upload) streamErr() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.err
}

// push binds one item and hands it to the method, waiting while the buffer
// is full unless the method has returned or the connection ended. It runs
// on the reader goroutine.
func (h *hubConn) uploadItem(id string, item any) {
	h.mu.Lock()
	u := h.uploads[id]
	h.mu.Unlock()
	if u == nil {
		return // items for unknown streams are ignored, as on ASP.NET Core
	}
	v := reflect.New(u.elem)
	raw, _ := item.(protocol.RawValue)
	if err := h.codec.Bind(raw, v.Interface()); err != nil {
		h.mu.Lock()
		delete(h.uploads, id)
		h.mu.Unlock()
		u.complete(invalidData("Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked."))
		return
	}
	// Wait for room as ASP.NET Core does (backpressure to the client), until
	// the method returns or the connection is closing or aborted.
	reflect.Select([]reflect.SelectCase{
		{Dir: reflect.SelectSend, Chan: u.ch, Send: v.Elem()},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(u.done)},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(h.stop)},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(h.conn.Context().Done())},
	})
}

// complete ends the stream for the method, with the client's error or nil.
// Only the reader goroutine, or Closed once the reader has stopped, calls it:
// they are the only senders on ch.
func (u *upload) complete(err error) {
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return
	}
	u.closed = true
	if u.err == nil {
		u.err = err
	}
	u.mu.Unlock()
	u.ch.Close()
}

// abandon releases a reader waiting to push an item once the method has
// returned.
func (u *upload) abandon() { u.doneOnce.Do(func() { close(u.done) }) }

// stream sends the items of a server-to-client stream and its final
// Completion: void when the stream ends or the client cancels it, an error
// when the stream fails.
func (h *hubConn) stream(c *call, out reflect.Value) {
	detailed := h.srv.cfg.EnableDetailedErrors
	if !out.IsValid() || out.IsNil() {
		h.logFailure(slog.LevelError, "hub: streaming method returned a nil stream", c.m.name)
		_ = h.complete(c, &protocol.Completion{Error: fmt.Sprintf("The value returned by the streaming method '%s' is not a ChannelReader<> or IAsyncEnumerable<>.", c.m.name)})
		return
	}
	var streamErr error
	sendItem := func(v reflect.Value) bool {
		if c.ctx.Err() != nil {
			return false
		}
		b, err := h.codec.AppendMessage(nil, &protocol.StreamItem{InvocationID: c.id, Item: v.Interface()})
		if err != nil {
			streamErr = err
			return false
		}
		return h.write(c.ctx, b, true) == nil
	}
	switch c.m.result {
	case streamChan:
		cases := []reflect.SelectCase{
			{Dir: reflect.SelectRecv, Chan: out},
			{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c.ctx.Done())},
		}
		for {
			chosen, v, ok := reflect.Select(cases)
			if chosen == 1 || !ok || !sendItem(v) {
				break
			}
		}
	case streamSeq, streamSeq2:
		two := c.m.result == streamSeq2
		yield := reflect.MakeFunc(out.Type().In(0), func(args []reflect.Value) []reflect.Value {
			if two && !args[1].IsNil() {
				streamErr = args[1].Interface().(error)
				return []reflect.Value{reflect.ValueOf(false)}
			}
			return []reflect.Value{reflect.ValueOf(sendItem(args[0]))}
		})
		if err := safeHook(func() error { out.Call([]reflect.Value{yield}); return nil }); err != nil {
			streamErr = err
		}
	}
	if streamErr != nil {
		h.logMethodError(c.m.name, streamErr)
		_ = h.complete(c, &protocol.Completion{Error: errorMessage("An error occurred on the server while streaming results.", streamErr, detailed)})
		return
	}
	_ = h.complete(c, &protocol.Completion{})
}
