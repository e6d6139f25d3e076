package connection

import (
	"bytes"
	"fmt"
	"net"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeTransport records what the writer sends. While gate is open (nil or
// closed) sends go through; otherwise each send waits for it.
type fakeTransport struct {
	gate    chan struct{}
	entered chan struct{} // receives once per send call
	aborted chan struct{}
	once    sync.Once

	mu     sync.Mutex
	frames []fakeFrame
	closes []bool
}

type fakeFrame struct {
	data   string
	binary bool
}

func newFakeTransport(blocked bool) *fakeTransport {
	f := &fakeTransport{entered: make(chan struct{}, 1000), aborted: make(chan struct{})}
	if blocked {
		f.gate = make(chan struct{})
	}
	return f
}

func (f *fakeTransport) send(p []byte, binary bool) error {
	f.entered <- struct{}{}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-f.aborted:
			return net.ErrClosed
		}
	}
	f.mu.Lock()
	f.frames = append(f.frames, fakeFrame{string(p), binary})
	f.mu.Unlock()
	return nil
}

func (f *fakeTransport) close(failed bool) {
	f.mu.Lock()
	f.closes = append(f.closes, failed)
	f.mu.Unlock()
	f.abort() // the peer answered; reading ends
}

func (f *fakeTransport) abort() { f.once.Do(func() { close(f.aborted) }) }

func (f *fakeTransport) sent() []fakeFrame {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeFrame(nil), f.frames...)
}

// newFakeConn starts a connection on f, with a reader goroutine that
// finishes it when f is aborted, like a transport's request goroutine.
func newFakeConn(t *testing.T, opts Options, f *fakeTransport) (*Conn, *testSession) {
	t.Helper()
	opts.Logger = discardLogger()
	app := newTestApp()
	s, err := NewServer(app, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	c := s.newConn(1, false)
	require.True(t, s.acquire())
	code, _ := c.claim(WebSockets)
	require.Zero(t, code)
	require.True(t, c.start(f, httptest.NewRequest("GET", "/hub", nil)))
	sess, err := app.Connect(c)
	require.NoError(t, err)
	c.setSession(sess)
	go func() {
		<-f.aborted
		c.finish(net.ErrClosed, false)
	}()
	return c, app.next(t)
}

func waitEntered(t *testing.T, f *fakeTransport) {
	t.Helper()
	select {
	case <-f.entered:
	case <-time.After(waitTimeout):
		t.Fatal("writer did not send")
	}
}

func tenBytes(i int) []byte { return fmt.Appendf(nil, "%09d|", i) }

func joinUnits(from, to int) string {
	var b bytes.Buffer
	for i := from; i <= to; i++ {
		b.Write(tenBytes(i))
	}
	return b.String()
}

func TestCoalescing(t *testing.T) {
	isBinary := func(i int) bool { return i >= 21 && i <= 25 }
	tests := []struct {
		name     string
		preserve bool
		want     []fakeFrame
	}{
		{"joined by type up to MaxFrameBytes", false, []fakeFrame{
			{joinUnits(0, 0), false},
			{joinUnits(1, 10), false},
			{joinUnits(11, 20), false},
			{joinUnits(21, 25), true},
			{joinUnits(26, 35), false},
			{joinUnits(36, 40), false},
		}},
		{"PreserveUnits", true, func() []fakeFrame {
			var fs []fakeFrame
			for i := 0; i <= 40; i++ {
				fs = append(fs, fakeFrame{string(tenBytes(i)), isBinary(i)})
			}
			return fs
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeTransport(true)
			c, _ := newFakeConn(t, Options{MaxFrameBytes: 100, PreserveUnits: tt.preserve}, f)
			require.NoError(t, c.Write(tenBytes(0), false))
			waitEntered(t, f) // the writer is busy with unit 0
			for i := 1; i <= 40; i++ {
				require.NoError(t, c.Write(tenBytes(i), isBinary(i)))
			}
			close(f.gate)
			require.Eventually(t, func() bool { return len(f.sent()) == len(tt.want) }, waitTimeout, time.Millisecond)
			assert.Equal(t, tt.want, f.sent())
		})
	}
}

func TestCoalescingLargeUnit(t *testing.T) {
	f := newFakeTransport(true)
	c, _ := newFakeConn(t, Options{MaxFrameBytes: 100}, f)
	big := bytes.Repeat([]byte("b"), 150)
	require.NoError(t, c.Write([]byte("first"), false))
	waitEntered(t, f)
	for _, u := range [][]byte{[]byte("a"), big, []byte("c"), []byte("d")} {
		require.NoError(t, c.Write(u, false))
	}
	close(f.gate)
	want := []fakeFrame{{"first", false}, {"a", false}, {string(big), false}, {"cd", false}}
	require.Eventually(t, func() bool { return len(f.sent()) == len(want) }, waitTimeout, time.Millisecond)
	assert.Equal(t, want, f.sent())
}

func TestQueueBound(t *testing.T) {
	f := newFakeTransport(true)
	c, sess := newFakeConn(t, Options{MaxQueueBytes: 100}, f)
	require.NoError(t, c.Write(tenBytes(0), false))
	waitEntered(t, f)
	// The unit being written still counts: 9 more fit.
	for i := 1; i < 10; i++ {
		require.NoError(t, c.Write(tenBytes(i), false))
	}
	require.ErrorIs(t, c.Write(tenBytes(10), false), ErrQueueFull)
	assert.ErrorIs(t, sess.waitClosed(t), ErrQueueFull)
	assert.ErrorIs(t, c.Write(tenBytes(11), false), ErrClosed)
}

func TestSendTimeout(t *testing.T) {
	f := newFakeTransport(true)
	c, sess := newFakeConn(t, Options{TransportSendTimeout: 30 * time.Millisecond, tickInterval: 5 * time.Millisecond}, f)
	require.NoError(t, c.Write([]byte("stuck"), false))
	assert.ErrorIs(t, sess.waitClosed(t), ErrSendTimeout)
}

func TestGracefulCloseAfterFlush(t *testing.T) {
	f := newFakeTransport(true)
	c, sess := newFakeConn(t, Options{}, f)
	require.NoError(t, c.Write([]byte("a"), false))
	waitEntered(t, f)
	require.NoError(t, c.Write([]byte("b"), false))
	c.Close(nil)
	require.ErrorIs(t, c.Write([]byte("c"), false), ErrClosed)
	close(f.gate)
	assert.NoError(t, sess.waitClosed(t))
	assert.Equal(t, []fakeFrame{{"a", false}, {"b", false}}, f.sent())
	f.mu.Lock()
	assert.Equal(t, []bool{false}, f.closes)
	f.mu.Unlock()
}

// BenchmarkWrite measures Write plus the writer's drain on a transport that
// costs nothing: the queue's own overhead per unit.
func BenchmarkWrite(b *testing.B) {
	app := newTestApp()
	s, err := NewServer(app, Options{Logger: discardLogger(), MaxQueueBytes: 1 << 30})
	require.NoError(b, err)
	defer s.Close()
	c := s.newConn(1, false)
	s.acquire()
	c.claim(WebSockets)
	c.start(discardTransport{}, httptest.NewRequest("GET", "/hub", nil))
	unit := make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Write(unit, false); err != nil {
			b.Fatal(err)
		}
	}
	c.Abort(ErrClosed)
	c.finish(nil, false)
}

type discardTransport struct{}

func (discardTransport) send([]byte, bool) error { return nil }
func (discardTransport) close(bool)              {}
func (discardTransport) abort()                  {}

// The bound limits the backlog, not one unit: a unit ten times the bound is
// sent when the queue is empty (a 1.1 MB Completion dropped the connection).
func TestQueueBoundLimitsBacklogNotUnitSize(t *testing.T) {
	f := newFakeTransport(false)
	c, _ := newFakeConn(t, Options{MaxQueueBytes: 100}, f)
	big := bytes.Repeat([]byte("x"), 1000)
	require.NoError(t, c.Write(big, false))
	require.Eventually(t, func() bool { return len(f.sent()) == 1 }, waitTimeout, time.Millisecond)
	assert.Equal(t, []fakeFrame{{string(big), false}}, f.sent())
}
