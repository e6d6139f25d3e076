package hub

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/hub/connection"
	"github.com/listhub/listhub/protocol"
)

// expectSequence reads n invocations carrying 0..n-1 in order, counting
// them in progress when it is not nil.
func (c *testClient) expectSequence(n int, progress ...*atomic.Int64) error {
	for want := range n {
		for _, p := range progress {
			p.Store(int64(want))
		}
		m, err := c.tryRecv(30 * time.Second)
		if err != nil {
			return fmt.Errorf("after %d messages: %w", want, err)
		}
		inv, ok := m.(*protocol.Invocation)
		if !ok {
			return fmt.Errorf("message %d is a %T", want, m)
		}
		var got int
		if err := c.codec.Bind(inv.Arguments[0].(protocol.RawValue), &got); err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("message %d carries %d: out of order", want, got)
		}
	}
	return nil
}

func TestOrderToOneConnection(t *testing.T) {
	const n = 10_000
	forEachCodec(t, func(t *testing.T, codec protocol.Codec) {
		_, url := testServer(t, Config{}, func(s *Server) {
			require.NoError(t, s.Register("Flood", func(c *Context, n int) error {
				caller := c.Clients().Caller()
				for i := range n {
					if err := caller.Send(c, "Seq", i); err != nil {
						return err
					}
				}
				return nil
			}))
		})
		c := dial(t, url, codec)
		c.send(&protocol.Invocation{InvocationID: "1", Target: "Flood", Arguments: []any{n}})
		require.NoError(t, c.expectSequence(n))
		// The Completion comes after everything the method sent.
		assert.Equal(t, "1", c.recv().(*protocol.Completion).InvocationID)
	})
}

func TestOrderToGroup(t *testing.T) {
	const members, n = 200, 10_000
	s, url := testServer(t, Config{}, nil)
	clients := make([]*testClient, members)
	for i := range clients {
		clients[i] = dial(t, url, codecs[i%2])
		require.NoError(t, s.Groups().Add(context.Background(), clients[i].id, "g"))
	}
	var wg sync.WaitGroup
	errs := make(chan error, members)
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.expectSequence(n); err != nil {
				errs <- err
			}
		}()
	}
	g := s.Clients().Group("g")
	for i := range n {
		require.NoError(t, g.Send(context.Background(), "Seq", i))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSlowConsumerIsClosedAndOthersUnaffected(t *testing.T) {
	const n = 2_000
	var mu sync.Mutex
	reasons := map[string]error{}
	s, url := testServer(t, Config{
		Connection: connection.Options{MaxQueueBytes: 256 << 10},
		OnDisconnected: func(c *Context, err error) {
			mu.Lock()
			reasons[c.ConnectionID()] = err
			mu.Unlock()
		},
	}, nil)
	stalled := dial(t, url, protocol.JSON{}) // never reads again
	fast := []*testClient{dial(t, url, protocol.JSON{}), dial(t, url, protocol.MessagePack{})}

	var wg sync.WaitGroup
	errs := make(chan error, len(fast))
	progress := make([]atomic.Int64, len(fast))
	for i, c := range fast {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.expectSequence(n, &progress[i]); err != nil {
				errs <- err
			}
		}()
	}
	// The publisher never waits for clients; here it paces itself so that
	// readers that keep up never have more than a few messages queued,
	// while the stalled client's queue overflows.
	payload := strings.Repeat("x", 10<<10)
	all := s.Clients().All()
	for i := range n {
		for j := range progress {
			for int64(i)-progress[j].Load() > 8 && t.Context().Err() == nil {
				time.Sleep(time.Millisecond)
			}
		}
		require.NoError(t, all.Send(context.Background(), "Seq", i, payload))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return errors.Is(reasons[stalled.id], connection.ErrQueueFull)
	}, 10*time.Second, 10*time.Millisecond, "the stalled client is closed as a slow consumer")
	mu.Lock()
	defer mu.Unlock()
	for _, c := range fast {
		assert.NotContains(t, reasons, c.id, "fast clients stay connected")
	}
}
