package hub

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// BenchmarkEchoRoundTrip measures one blocking call at a time over a
// loopback WebSocket: encode, write, dispatch, bind, call, Completion,
// read, parse.
func BenchmarkEchoRoundTrip(b *testing.B) {
	for _, codec := range codecs {
		b.Run(codec.Name(), func(b *testing.B) {
			_, url := testServer(b, Config{}, func(s *Server) {
				_ = s.Register("Echo", func(msg string) string { return msg })
			})
			c := dial(b, url, codec)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if comp := c.invoke("1", "Echo", "hello"); comp.Error != "" {
					b.Fatal(comp.Error)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}

// BenchmarkBroadcast measures fan-out: each iteration sends one message to
// all N connections (half JSON, half MessagePack), encoded once per
// protocol; receivers read concurrently. The publisher stays at most a
// window of messages ahead of the slowest receiver, so nobody is closed as
// a slow consumer.
func BenchmarkBroadcast(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			s, url := testServer(b, Config{}, nil)
			clients := make([]*testClient, n)
			for i := range clients {
				clients[i] = dial(b, url, codecs[i%2])
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			cond := sync.NewCond(&mu)
			progress := make([]int, n)
			slowest := func() int {
				m := progress[0]
				for _, p := range progress[1:] {
					m = min(m, p)
				}
				return m
			}
			for i, c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := 0; k < b.N; k++ {
						if _, err := c.tryRecv(30 * time.Second); err != nil {
							return
						}
						mu.Lock()
						progress[i] = k + 1
						cond.Broadcast()
						mu.Unlock()
					}
				}()
			}
			all := s.Clients().All()
			const window = 64
			b.ReportAllocs()
			b.ResetTimer()
			for k := 0; k < b.N; k++ {
				mu.Lock()
				for k-slowest() > window {
					cond.Wait()
				}
				mu.Unlock()
				if err := all.Send(context.Background(), "Changed", "list-42", k); err != nil {
					b.Fatal(err)
				}
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}
