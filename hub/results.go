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
	h.mu.Lock()
	h.resultID++
	id := "s" + strconv.FormatUint(h.resultID, 10)
	h.mu.Unlock()
	ch, err := h.expectResult(id)
	if err != nil {
		return err
	}
	if err := h.send(&protocol.Invocation{InvocationID: id, Target: method, Arguments: args}); err != nil {
		h.forgetResult(id)
		return fmt.Errorf("hub: invoking %q: %w", method, err)
	}
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
		h.forgetResult(id)
		return ctx.Err()
	}
}

// expectResult registers a pending client result under invocation id: the
// client's Completion for it, or the disconnect's, will arrive on the
// returned channel. Ids of other nodes' invocations ("r<n>.<node>") never
// collide with this node's ("s<n>").
func (h *hubConn) expectResult(id string) (<-chan *protocol.Completion, error) {
	ch := make(chan *protocol.Completion, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ctx.Err() != nil || !h.handshaken.Load() {
		return nil, errors.New(disconnectedText(h.id))
	}
	if _, dup := h.results[id]; dup {
		return nil, fmt.Errorf("hub: client result %q is already pending", id)
	}
	if h.results == nil {
		h.results = make(map[string]chan *protocol.Completion)
	}
	h.results[id] = ch
	return ch, nil
}

func (h *hubConn) forgetResult(id string) {
	h.mu.Lock()
	delete(h.results, id)
	h.mu.Unlock()
}
