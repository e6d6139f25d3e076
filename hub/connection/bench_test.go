package connection

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// BenchmarkWriteFanout writes one shared 64-byte unit to every connection
// per iteration, over loopback WebSockets whose clients drain as fast as
// they can, and reports the units delivered per second. In burst mode the
// publisher runs ahead (the queues absorb the backlog and the writers join
// many units per frame); in lockstep mode each iteration waits until all
// its units have arrived, so nothing can be joined across iterations.
// Clients run in the same process, so allocs/op include theirs.
func BenchmarkWriteFanout(b *testing.B) {
	for _, mode := range []string{"burst", "lockstep"} {
		for _, n := range []int{1, 100, 1000} {
			b.Run(fmt.Sprintf("%s/conns=%d", mode, n), func(b *testing.B) { benchFanout(b, n, mode == "lockstep") })
		}
	}
}

func benchFanout(b *testing.B, n int, lockstep bool) {
	app := newTestApp()
	app.noEcho = true
	_, ts := newTestServer(b, app, Options{MaxQueueBytes: 1 << 30})
	conns := make([]*Conn, n)
	clients := make([]*websocket.Conn, n)
	var got, target atomic.Int64
	target.Store(1 << 62)
	reached := make(chan struct{}, 1)
	var wg sync.WaitGroup
	for i := range n {
		ws := dial(b, ts, "")
		clients[i] = ws
		conns[i] = app.next(b).c
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, r, err := ws.Reader(context.Background())
				if err != nil {
					return
				}
				m, _ := io.Copy(io.Discard, r)
				if got.Add(m) >= target.Load() {
					select {
					case reached <- struct{}{}:
					default:
					}
				}
			}
		}()
	}
	defer func() {
		for _, ws := range clients {
			_ = ws.CloseNow()
		}
		wg.Wait()
	}()

	unit := make([]byte, 64)
	unit[63] = 0x1e
	want := int64(b.N) * int64(n) * int64(len(unit))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		for _, c := range conns {
			if err := c.Write(unit, false); err != nil {
				b.Fatal(err)
			}
		}
		if lockstep {
			target.Store(int64(i+1) * int64(n) * int64(len(unit)))
			for got.Load() < target.Load() {
				<-reached
			}
		}
	}
	for got.Load() < want {
		time.Sleep(50 * time.Microsecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)*float64(n)/elapsed.Seconds(), "deliveries/s")
}
