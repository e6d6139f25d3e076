package hub

// Tests of the bounds on what one connection can make the server hold
// (issue 9): pipelined calls wait in the client's socket, not in memory,
// and waiting never deadlocks against what only the reader can deliver.

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/hub/connection"
	"github.com/listhub/listhub/protocol"
)

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// Eight connections each pipeline 1,030 calls with a 30 KB argument to a
// method that blocks: the server holds about one call per connection, not
// the 263-293 MB the call queue held.
func TestPipelinedCallsKeepTheHeapBounded(t *testing.T) {
	const conns, calls = 8, 1030
	entered := make(chan struct{}, conns*calls)
	release := make(chan struct{})
	s, url := testServer(t, Config{}, func(s *Server) {
		require.NoError(t, s.Register("Slow", func(arg string) {
			entered <- struct{}{}
			<-release
		}))
	})
	defer close(release)
	frame, err := protocol.JSON{}.AppendMessage(nil, &protocol.Invocation{Target: "Slow", Arguments: []any{strings.Repeat("x", 30_000)}})
	require.NoError(t, err)

	clients := make([]*testClient, conns)
	for i := range clients {
		clients[i] = dial(t, url, protocol.JSON{})
	}
	before := heapAlloc()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range calls {
				if c.ws.Write(ctx, websocket.MessageText, frame) != nil {
					return
				}
			}
		}()
	}
	for range conns {
		<-entered // every connection runs its first call
	}
	// Give the readers the time to take in what they would: the writers
	// either finish (everything read) or stay blocked (backpressure).
	written := make(chan struct{})
	go func() { wg.Wait(); close(written) }()
	select {
	case <-written:
	case <-time.After(3 * time.Second):
	}
	growth := int64(heapAlloc()) - int64(before)
	t.Logf("heap growth with %d×%d pipelined 30 KB calls: %.1f MB", conns, calls, float64(growth)/1e6)
	assert.Less(t, growth, int64(20<<20), "heap growth")
	for _, c := range clients {
		h := s.local.get(c.id)
		require.NotNil(t, h)
		h.mu.Lock()
		assert.LessOrEqual(t, len(h.queue), 1, "at most one call waits per connection")
		h.mu.Unlock()
	}
	cancel()
	for _, c := range clients {
		_ = c.ws.CloseNow()
	}
	wg.Wait()
}

// 5,000 calls pipelined in one WebSocket message are all answered; the
// 1,024-call queue refused the ones beyond it.
func TestPipelinedCallsAreAllAnswered(t *testing.T) {
	forEachCodec(t, func(t *testing.T, codec protocol.Codec) {
		const n = 5000
		_, url := testServer(t, Config{}, func(s *Server) {
			require.NoError(t, s.Register("Echo", func(x int) int { return x }))
		})
		c := dial(t, url, codec)
		var batch []byte
		for i := range n {
			var err error
			batch, err = codec.AppendMessage(batch, &protocol.Invocation{InvocationID: strconv.Itoa(i), Target: "Echo", Arguments: []any{i}})
			require.NoError(t, err)
		}
		typ := websocket.MessageText
		if codec.TransferFormat() == protocol.Binary {
			typ = websocket.MessageBinary
		}
		go func() { _ = c.ws.Write(context.Background(), typ, batch) }()
		for i := range n {
			comp, ok := c.recv().(*protocol.Completion)
			require.True(t, ok)
			require.Empty(t, comp.Error, "call %s", comp.InvocationID)
			require.Equal(t, strconv.Itoa(i), comp.InvocationID, "in order")
		}
	})
}

// A method waiting for a client result from its own caller, with calls
// pipelined behind it and the client's answer behind those: the reader
// must not wait for room, or the answer is never read.
func TestClientResultBehindPipelinedCallsDoesNotDeadlock(t *testing.T) {
	s, url := testServer(t, Config{}, nil)
	require.NoError(t, s.Register("Ask", func(c *Context) (int, error) {
		return Invoke[int](c, c.Clients().Caller(), "Question")
	}))
	require.NoError(t, s.Register("Echo", func(x int) int { return x }))
	c := dial(t, url, protocol.JSON{})
	c.send(&protocol.Invocation{InvocationID: "ask", Target: "Ask"})
	inv, ok := c.recv().(*protocol.Invocation)
	require.True(t, ok)
	for i := range 5 {
		c.send(&protocol.Invocation{InvocationID: strconv.Itoa(i), Target: "Echo", Arguments: []any{i}})
	}
	c.send(&protocol.Completion{InvocationID: inv.InvocationID, HasResult: true, Result: 42})
	comp := c.recv().(*protocol.Completion)
	require.Equal(t, "ask", comp.InvocationID)
	require.Empty(t, comp.Error)
	for i := range 5 {
		comp := c.recv().(*protocol.Completion)
		require.Equal(t, strconv.Itoa(i), comp.InvocationID)
	}
}

// With stateful reconnect, a method's Completions wait for the client's
// Acks when the replay buffer is full; the Acks come behind pipelined
// calls, so they must not wait while the reader does.
func TestStatefulAcksBehindPipelinedCallsDoNotDeadlock(t *testing.T) {
	big := strings.Repeat("y", 20_000)
	s, url := testServer(t, Config{Connection: connection.Options{AllowStatefulReconnects: true}}, func(s *Server) {
		require.NoError(t, s.Register("Big", func(i int) string { return big }))
	})
	_ = s
	c := dialStateful(t, url, protocol.JSON{})
	const n = 20 // 400 KB of results: four times the replay buffer
	var batch []byte
	for i := range n {
		batch, _ = c.codec.AppendMessage(batch, &protocol.Invocation{InvocationID: strconv.Itoa(i), Target: "Big", Arguments: []any{i}})
	}
	require.NoError(t, c.ws.Write(context.Background(), websocket.MessageText, batch))
	// The client acknowledges only after it has sent all its calls (as a
	// pipelining client whose Ack timer fires later does).
	for i := range n {
		comp, ok := c.recvNew().(*protocol.Completion)
		require.True(t, ok)
		require.Equal(t, strconv.Itoa(i), comp.InvocationID)
		c.send(&protocol.Ack{SequenceID: c.seqLatest})
	}
}

// A result larger than the send-queue bound (1 MiB) is delivered when the
// client keeps up, with and without stateful reconnect; it used to drop
// the connection without a Close.
func TestLargeResultIsDelivered(t *testing.T) {
	big := strings.Repeat("z", 5<<20)
	for _, codec := range []protocol.Codec{protocol.JSON{MaxMessageSize: 8 << 20}, protocol.MessagePack{MaxMessageSize: 8 << 20}} {
		_, url := testServer(t, Config{Connection: connection.Options{AllowStatefulReconnects: true}}, func(s *Server) {
			require.NoError(t, s.Register("Big", func() string { return big }))
		})
		for _, stateful := range []bool{false, true} {
			var c *testClient
			if stateful {
				c = dialStateful(t, url, codec).testClient
			} else {
				c = dial(t, url, codec)
			}
			comp := c.invoke("1", "Big")
			require.Empty(t, comp.Error)
			var got string
			c.bind(comp.Result, &got)
			assert.Len(t, got, len(big), "%s, stateful %v", codec.Name(), stateful)
		}
	}
}

// Streams cost a goroutine each: besides 256 per connection, the node runs
// at most Config.MaxStreams (50 connections made 12,900 goroutines).
func TestNodeWideStreamCap(t *testing.T) {
	_, url := testServer(t, Config{MaxStreams: 2}, func(s *Server) {
		require.NoError(t, s.Register("Forever", func(ctx context.Context) <-chan int {
			ch := make(chan int)
			go func() { <-ctx.Done(); close(ch) }()
			return ch
		}))
	})
	a, b := dial(t, url, protocol.JSON{}), dial(t, url, protocol.JSON{})
	a.send(&protocol.StreamInvocation{InvocationID: "1", Target: "Forever"})
	a.send(&protocol.StreamInvocation{InvocationID: "2", Target: "Forever"})
	a.send(&protocol.StreamInvocation{InvocationID: "3", Target: "Forever"})
	comp := a.recv().(*protocol.Completion)
	assert.Equal(t, "3", comp.InvocationID)
	assert.Equal(t, "Failed to invoke 'Forever' due to an error on the server. HubException: Too many streams are running on this server.", comp.Error)
	b.send(&protocol.StreamInvocation{InvocationID: "1", Target: "Forever"})
	assert.Equal(t, "Failed to invoke 'Forever' due to an error on the server. HubException: Too many streams are running on this server.", b.recv().(*protocol.Completion).Error, "the cap is node-wide")

	a.send(&protocol.CancelInvocation{InvocationID: "1"})
	comp = a.recv().(*protocol.Completion)
	assert.Equal(t, "1", comp.InvocationID)
	assert.Empty(t, comp.Error)
	b.send(&protocol.StreamInvocation{InvocationID: "2", Target: "Forever"})
	b.send(&protocol.CancelInvocation{InvocationID: "2"})
	comp = b.recv().(*protocol.Completion)
	assert.Equal(t, "2", comp.InvocationID)
	assert.Empty(t, comp.Error, "an ended stream frees its place")
}
