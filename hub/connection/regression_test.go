package connection

// Regression tests from a review of the connection layer; each failed
// before its fix.

import (
	"bufio"
	"fmt"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A POST that only declares Content-Length makes the server allocate that
// many bytes before a byte of body arrives.
func TestRegressionPostContentLengthPrealloc(t *testing.T) {
	app := newTestApp()
	_, ts := newTestServer(t, app, Options{})
	_, token := startLongPolling(t, app, ts)

	const n = 64
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		nc, err := net.Dial("tcp", ts.Listener.Addr().String())
		require.NoError(t, err)
		conns = append(conns, nc)
		fmt.Fprintf(nc, "POST /hub?id=%s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", token, 1<<20)
	}
	time.Sleep(500 * time.Millisecond)
	runtime.GC()
	runtime.ReadMemStats(&after)
	for _, nc := range conns {
		_ = nc.Close()
	}
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap grew %d MiB for %d header-only POSTs", grown>>20, n)
	if grown > 16<<20 {
		t.Fatalf("BUG: %d header-only POSTs pinned %d MiB", n, grown>>20)
	}
}

// After a burst of small units the queue's backing arrays (queue and
// spare) keep their peak capacity for the life of the connection.
func TestRegressionQueueArraysRetained(t *testing.T) {
	f := newFakeTransport(true)
	c, _ := newFakeConn(t, Options{MaxQueueBytes: 1 << 20}, f)
	unit := []byte("{\"type\":6}\x1e")
	require.NoError(t, c.Write(unit, false))
	waitEntered(t, f) // the writer is blocked in send
	for i := 0; i < 50000; i++ {
		require.NoError(t, c.Write(unit, false))
	}
	close(f.gate)
	eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.queued == 0 && !c.writing
	}, "not drained")
	c.mu.Lock()
	held := cap(c.queue) + cap(c.spare)
	c.mu.Unlock()
	t.Logf("idle connection holds unit arrays of %d entries (%d KiB)", held, held*32/1024)
	if held > 1024 {
		t.Fatalf("BUG: idle connection keeps %d KiB of queue arrays", held*32/1024)
	}
}

// An idle event stream keeps its framing buffer (up to 128 KiB).
func TestRegressionSSEBufferRetained(t *testing.T) {
	app := newTestApp()
	_, ts := newTestServer(t, app, Options{})
	_, token := negotiate(t, ts)
	stream := openSSE(t, ts, token, nil)
	c := app.next(t).c
	big := make([]byte, 60<<10)
	for i := range big {
		big[i] = 'x'
	}
	for i := 0; i < 4; i++ {
		require.NoError(t, c.Write(big[:15<<10], false))
	}
	rd := bufio.NewReader(stream.r)
	_, _ = rd.ReadString('\n')
	eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.queued == 0 && !c.writing
	}, "not drained")
	c.mu.Lock()
	n := cap(c.t.(*sseTransport).buf)
	c.mu.Unlock()
	t.Logf("idle SSE transport keeps a %d KiB framing buffer", n>>10)
	if n > 4096 {
		t.Fatalf("BUG: idle event stream keeps %d KiB", n>>10)
	}
}
