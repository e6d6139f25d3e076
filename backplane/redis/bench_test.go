package redis

import (
	"context"
	"encoding/binary"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/listhub/listhub/internal/redistest"
)

// benchPayloadSize is the size of one benchmark message: a send time and
// padding, about a small chat message encoded once.
const benchPayloadSize = 64

// latencyRecorder keeps the delivery latency of received benchmark
// messages (their first 8 bytes are the send time).
type latencyRecorder struct {
	got atomic.Int64
	lat []time.Duration // written by the single delivery goroutine
}

func (l *latencyRecorder) receive(_ string, p []byte) {
	sent := int64(binary.BigEndian.Uint64(p))
	l.lat = append(l.lat, time.Duration(time.Now().UnixNano()-sent))
	l.got.Add(1)
}

func (l *latencyRecorder) percentiles() (p50, p99 time.Duration) {
	s := slices.Clone(l.lat)
	if len(s) == 0 {
		return 0, 0
	}
	slices.Sort(s)
	return s[len(s)/2], s[len(s)*99/100]
}

func benchMessage(now time.Time) []byte {
	p := make([]byte, benchPayloadSize)
	binary.BigEndian.PutUint64(p, uint64(now.UnixNano()))
	return p
}

// benchPair starts a redis-server and two nodes on their own clients; the
// second subscribes "bench" with rec.
func benchPair(b *testing.B, rec *latencyRecorder) (*redistest.Server, *Redis, *Redis) {
	srv := redistest.Start(b)
	opts := &Options{Logger: quietLogger()}
	pub := newNode(b, singleClient(b, srv.Addr()), opts)
	sub := newNode(b, singleClient(b, srv.Addr()), opts)
	if err := sub.Subscribe(context.Background(), "bench", rec.receive); err != nil {
		b.Fatal(err)
	}
	return srv, pub, sub
}

// BenchmarkCrossNode publishes on one node as fast as the outbox takes
// messages and counts them arriving at the other node: cross-node
// messages per second and their latency, next to redis-benchmark's
// pipelined PUBLISH on the same server in the same run (the ceiling), and
// the ratio of the two.
func BenchmarkCrossNode(b *testing.B) {
	rec := &latencyRecorder{}
	srv, pub, _ := benchPair(b, rec)
	ceiling := redisBenchmarkPublish(b, srv.Port())
	ctx := context.Background()
	// Stay at most window messages ahead of the receiver, well inside the
	// outbox bound: the benchmark measures flow, not a queue filling up.
	const window = 20_000
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		for int64(i)-rec.got.Load() > window {
			time.Sleep(50 * time.Microsecond)
		}
		if err := pub.Publish(ctx, "bench", benchMessage(time.Now())); err != nil {
			b.Fatal(err)
		}
	}
	for rec.got.Load() < int64(b.N) {
		time.Sleep(50 * time.Microsecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	perSec := float64(b.N) / elapsed.Seconds()
	p50, p99 := rec.percentiles()
	b.ReportMetric(perSec, "msgs/s")
	b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
	b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
	if ceiling > 0 {
		b.ReportMetric(ceiling, "redis-benchmark-PUBLISH/s")
		b.ReportMetric(perSec/ceiling, "ratio")
	}
}

// BenchmarkCrossNodeLatency10k sends 10,000 messages per second from one
// node to the other, paced, and reports the delivery latency.
func BenchmarkCrossNodeLatency10k(b *testing.B) {
	rec := &latencyRecorder{}
	_, pub, _ := benchPair(b, rec)
	ctx := context.Background()
	// Ten messages every millisecond: a ticker rather than a busy loop, which
	// would take a core from the nodes and Redis on a small machine.
	const perTick = 10
	tk := time.NewTicker(time.Millisecond)
	defer tk.Stop()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%perTick == 0 {
			<-tk.C
		}
		if err := pub.Publish(ctx, "bench", benchMessage(time.Now())); err != nil {
			b.Fatal(err)
		}
	}
	for rec.got.Load() < int64(b.N) {
		time.Sleep(50 * time.Microsecond)
	}
	b.StopTimer()
	p50, p99 := rec.percentiles()
	b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
	b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
}

// BenchmarkPublish measures Publish alone: the cost of queueing a message
// for the batching writer, which must not allocate per message.
func BenchmarkPublish(b *testing.B) {
	srv := redistest.Start(b)
	pub := newNode(b, singleClient(b, srv.Addr()), &Options{Logger: quietLogger(), OutboxMessages: 1 << 30, OutboxBytes: 1 << 30})
	ctx := context.Background()
	payload := make([]byte, benchPayloadSize)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := pub.Publish(ctx, "bench", payload); err != nil {
			b.Fatal(err)
		}
		if i%4096 == 0 {
			for n, _ := pub.out.depth(); n > 100_000; n, _ = pub.out.depth() {
				time.Sleep(100 * time.Microsecond)
			}
		}
	}
	for n, _ := pub.out.depth(); n > 0; n, _ = pub.out.depth() {
		time.Sleep(100 * time.Microsecond)
	}
}

var redisBenchmarkRate = regexp.MustCompile(`([0-9.]+) requests per second`)

// redisBenchmarkPublish runs redis-benchmark's pipelined PUBLISH (-P 64)
// against the server on port and returns its requests per second, or 0 when
// redis-benchmark is not installed.
func redisBenchmarkPublish(b *testing.B, port int) float64 {
	if _, err := exec.LookPath("redis-benchmark"); err != nil {
		b.Log("redis-benchmark not found: no ceiling figure")
		return 0
	}
	out, err := exec.Command("redis-benchmark", "-h", "127.0.0.1", "-p", strconv.Itoa(port),
		"-P", "64", "-n", "2000000", "-q", "PUBLISH", "bench", "hello").CombinedOutput()
	if err != nil {
		b.Fatalf("redis-benchmark: %v\n%s", err, out)
	}
	m := redisBenchmarkRate.FindAllSubmatch(out, -1)
	if len(m) == 0 {
		b.Fatalf("redis-benchmark: no rate in %q", out)
	}
	rate, _ := strconv.ParseFloat(string(m[len(m)-1][1]), 64)
	return rate
}
