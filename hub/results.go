package hub

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/listhub/listhub/protocol"
)

// invokeClient sends an Invocation with a server-side id ("s1", "s2", ...)
// and waits for the client's Completion.
func (h *hubConn) invokeClient(ctx context.Context, out any, method string, args []any) error {
	ch := make(chan *protocol.Completion, 1)
	h.mu.Lock()
	if h.ctx.Err() != nil || !h.handshaken.Load() {
		h.mu.Unlock()
		return fmt.Errorf("Connection '%s' disconnected.", h.id) //nolint:staticcheck // the official text
	}
	h.resultID++
	id := "s" + strconv.FormatUint(h.resultID, 10)
	if h.results == nil {
		h.results = make(map[string]chan *protocol.Completion)
	}
	h.results[id] = ch
	h.mu.Unlock()
	forget := func() {
		h.mu.Lock()
		delete(h.results, id)
		h.mu.Unlock()
	}
	if err := h.send(&protocol.Invocation{InvocationID: id, Target: method, Arguments: args}); err != nil {
		forget()
		return fmt.Errorf("hub: invoking %q: %w", method, err)
	}
	unstall := h.stall() // the reader must not wait while the answer is pending
	defer unstall()
	select {
	case c := <-ch:
		if c.Error != "" {
			return errors.New(c.Error)
		}
		if out == nil || !c.HasResult {
			return nil
		}
		raw, _ := c.Result.(protocol.RawValue)
		return h.codec.Bind(raw, out)
	case <-ctx.Done():
		forget()
		return ctx.Err()
	}
}
