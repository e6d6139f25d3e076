package hub

// Regression tests for problems a review found: deadlocks of the reader,
// waits that ignored their context, leaks on shutdown, and stateful
// reconnect edge cases. Each failed before its fix.

import (
	"context"
	"errors"
	"iter"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/hub/connection"
	"github.com/listhub/listhub/protocol"
)

// Cancelling an invocation does not end its iter.Seq upload.
func TestRegressionCancelDoesNotEndUpload(t *testing.T) {
	s, err := New(Config{Logger: quietLogger()})
	require.NoError(t, err)
	returned := make(chan struct{})
	require.NoError(t, s.Register("Sum", func(ctx context.Context, in iter.Seq[int]) int {
		defer close(returned)
		n := 0
		for v := range in {
			n += v
		}
		return n
	}))
	url := serve(t, s)
	c := dial(t, url, protocol.JSON{})
	c.send(&protocol.Invocation{InvocationID: "1", Target: "Sum", StreamIDs: []string{"s"}})
	c.send(&protocol.StreamItem{InvocationID: "s", Item: 1})
	c.send(&protocol.CancelInvocation{InvocationID: "1"})
	select {
	case <-returned:
	case <-time.After(time.Second):
		t.Error("method still blocked on its upload after CancelInvocation")
	}
	_ = s.Close()
}

// A partial message from the dropped socket is glued to the new one.
func TestRegressionResumeKeepsStalePartialInput(t *testing.T) {
	s, err := New(Config{Connection: connection.Options{AllowStatefulReconnects: true}, Logger: quietLogger()})
	require.NoError(t, err)
	require.NoError(t, s.Register("Echo", func(x string) string { return x }))
	url := serve(t, s)
	c := dialStateful(t, url, protocol.JSON{})
	full, _ := c.codec.AppendMessage(nil, &protocol.Invocation{InvocationID: "1", Target: "Echo", Arguments: []any{"hello"}})
	require.NoError(t, c.ws.Write(context.Background(), websocket.MessageText, full[:10]))
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, c.ws.CloseNow())
	time.Sleep(100 * time.Millisecond)
	c.open()
	seq := c.recv()
	t.Logf("first after reconnect: %#v", seq)
	c.send(&protocol.Sequence{SequenceID: 1})
	c.send(&protocol.Invocation{InvocationID: "1", Target: "Echo", Arguments: []any{"hello"}})
	for {
		m, err := c.tryRecv(2 * time.Second)
		if err != nil {
			t.Fatalf("no completion after resume: %v", err)
		}
		t.Logf("got %#v", m)
		if _, ok := m.(*protocol.Completion); ok {
			return
		}
		if cl, ok := m.(*protocol.Close); ok {
			t.Fatalf("connection closed after resume: %q", cl.Error)
		}
	}
}

// A reader blocked on upload backpressure counts as client silence.
func TestRegressionClientTimeoutDuringBackpressure(t *testing.T) {
	s, err := New(Config{ClientTimeoutInterval: 2 * time.Second, Logger: quietLogger()})
	require.NoError(t, err)
	require.NoError(t, s.Register("Slow", func(in <-chan int) int {
		time.Sleep(4 * time.Second) // busy before it starts reading
		n := 0
		for v := range in {
			n += v
		}
		return n
	}))
	url := serve(t, s)
	c := dial(t, url, protocol.JSON{})
	c.send(&protocol.Ping{})
	c.send(&protocol.Invocation{InvocationID: "1", Target: "Slow", StreamIDs: []string{"s"}})
	for i := 0; i < 12; i++ {
		c.send(&protocol.StreamItem{InvocationID: "s", Item: 1})
		c.send(&protocol.Ping{}) // the client stays alive
	}
	c.send(&protocol.Completion{InvocationID: "s"})
	m := c.recv()
	if cl, ok := m.(*protocol.Close); ok {
		t.Fatalf("closed as timed out while the client kept pinging: %q", cl.Error)
	}
	t.Logf("got %#v", m)
	_ = s.Close()
}

func closeWithin(s *Server, d time.Duration) bool {
	done := make(chan struct{})
	go func() { _ = s.Close(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// OnConnected sending > StatefulReconnectBufferSize to the caller blocks
// the reader in replay.write waiting for Acks it can never read.
func TestRegressionOnConnectedStatefulDeadlock(t *testing.T) {
	big := strings.Repeat("x", 30_000)
	cfg := Config{Connection: connection.Options{AllowStatefulReconnects: true}, Logger: quietLogger()}
	var sent atomic.Int32
	cfg.OnConnected = func(c *Context) error {
		for i := 0; i < 5; i++ {
			if err := c.Clients().Caller().Send(c, "Init", big); err != nil {
				return err
			}
			sent.Add(1)
		}
		return nil
	}
	s, err := New(cfg)
	require.NoError(t, err)
	hs := serve(t, s)
	c := dialStateful(t, hs, protocol.JSON{})
	// The client acks everything it gets, as the JS client does.
	for i := 0; i < 4; i++ {
		_ = c.recvNew()
	}
	c.send(&protocol.Ack{SequenceID: 4})
	time.Sleep(500 * time.Millisecond)
	t.Logf("OnConnected sends done: %d/5", sent.Load())
	_ = c.ws.CloseNow()
	if !closeWithin(s, 3*time.Second) {
		t.Fatalf("Server.Close hung: reader stuck in replay.write (sent %d/5)", sent.Load())
	}
}

// A method not draining its upload stream wedges the reader for good.
func TestRegressionUploadWedgesReader(t *testing.T) {
	cfg := Config{Logger: quietLogger()}
	s, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, s.Register("Wait", func(ctx context.Context, in <-chan int) error { <-ctx.Done(); return nil }))
	url := serve(t, s)
	c := dial(t, url, protocol.JSON{})
	c.send(&protocol.Invocation{InvocationID: "1", Target: "Wait", StreamIDs: []string{"s"}})
	for i := 0; i < 12; i++ {
		c.send(&protocol.StreamItem{InvocationID: "s", Item: i})
	}
	c.send(&protocol.CancelInvocation{InvocationID: "1"})
	time.Sleep(300 * time.Millisecond)
	_ = c.ws.Close(websocket.StatusNormalClosure, "")
	if !closeWithin(s, 3*time.Second) {
		t.Fatal("Server.Close hung: reader stuck in uploadItem")
	}
}

// OnDisconnected gets an already cancelled Context, so Send(c, ...) fails.
func TestRegressionOnDisconnectedContextCancelled(t *testing.T) {
	got := make(chan error, 1)
	cfg := Config{Logger: quietLogger()}
	cfg.OnDisconnected = func(c *Context, _ error) {
		got <- c.Clients().All().Send(c, "Left", c.ConnectionID())
	}
	s, err := New(cfg)
	require.NoError(t, err)
	url := serve(t, s)
	c := dial(t, url, protocol.JSON{})
	_ = c.ws.Close(websocket.StatusNormalClosure, "")
	err = <-got
	t.Logf("Send from OnDisconnected: %v", err)
	require.NoError(t, err)
	_ = s.Close()
}

// ClientProxy.Send to a stateful client that never acks ignores ctx.
func TestRegressionClientSendIgnoresCtx(t *testing.T) {
	cfg := Config{Connection: connection.Options{AllowStatefulReconnects: true}, Logger: quietLogger()}
	s, err := New(cfg)
	require.NoError(t, err)
	url := serve(t, s)
	c := dialStateful(t, url, protocol.JSON{})
	go func() { // read but never ack
		for {
			if _, _, err := c.ws.Read(context.Background()); err != nil {
				return
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		big := strings.Repeat("y", 10_000)
		for i := 0; i < 20; i++ {
			if err := s.Clients().Client(c.id).Send(ctx, "X", big); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		t.Logf("returned: %v", err)
	case <-time.After(2 * time.Second):
		_ = c.ws.CloseNow()
		t.Errorf("Send still blocked 1.7 s after its ctx expired")
		<-done
	}
	_ = s.Close()
}

// A connection whose handshake completes after Shutdown began never
// gets the Close and holds Shutdown until ctx ends.
func TestRegressionShutdownMissesLateHandshake(t *testing.T) {
	s, err := New(Config{Logger: quietLogger()})
	require.NoError(t, err)
	url := serve(t, s)
	c := dialNoHandshake(t, url)
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		shut <- s.Shutdown(ctx)
	}()
	time.Sleep(100 * time.Millisecond)
	hs := protocol.AppendHandshakeRequest(nil, protocol.HandshakeRequest{Protocol: "json", Version: 1})
	require.NoError(t, c.ws.Write(context.Background(), websocket.MessageText, hs))
	go func() {
		for {
			if _, _, err := c.ws.Read(context.Background()); err != nil {
				return
			}
		}
	}()
	err = <-shut
	t.Logf("Shutdown: %v", err)
	require.False(t, errors.Is(err, context.DeadlineExceeded), "late-handshake connection was never closed by Shutdown")
}
