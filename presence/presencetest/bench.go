package presencetest

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/listhub/listhub/presence"
)

// reportCPU reports this process's CPU time per operation since start: on
// a shared machine, ns/op also counts the wait for a core, cpu-ns/op does
// not (a Redis server's CPU is not in it).
func reportCPU(b *testing.B, start time.Duration) {
	if used := processCPU() - start; used > 0 && b.N > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// Benchmark measures a Store behind a Tracker: joins per second (parallel),
// snapshots of a 1,000-user topic, and heartbeats per second on a tracker
// holding 100,000 entries, with the memory those entries take: B/entry is
// this process's heap (tracker, and the store when it lives in memory);
// store-B/entry is what storeBytes reports (a Redis server's used_memory),
// when not nil.
func Benchmark(b *testing.B, newStore func(b *testing.B) presence.Store, storeBytes func(b *testing.B) int64) {
	ctx := context.Background()
	meta := func(i int64) map[string]string {
		return map[string]string{"displayName": "User " + strconv.FormatInt(i, 10)}
	}
	newTracker := func(b *testing.B) *presence.Tracker {
		tr, err := presence.NewTracker(newStore(b), presence.Options{ManualTick: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = tr.Close(context.Background()) })
		return tr
	}

	b.Run("Join", func(b *testing.B) {
		tr := newTracker(b)
		var n atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		cpu := processCPU()
		defer func() { reportCPU(b, cpu) }()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				id := strconv.FormatInt(i, 10)
				if err := tr.Join(ctx, "topic"+strconv.FormatInt(i%1000, 10), "u"+id, "c"+id, meta(i)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})

	b.Run("Snapshot1000", func(b *testing.B) {
		tr := newTracker(b)
		for i := range int64(1000) {
			id := strconv.FormatInt(i, 10)
			if err := tr.Join(ctx, "big", "u"+id, "c"+id, meta(i)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		cpu := processCPU()
		for b.Loop() {
			snap, err := tr.Snapshot(ctx, "big")
			if err != nil || len(snap.Members) != 1000 {
				b.Fatal(len(snap.Members), err)
			}
		}
		reportCPU(b, cpu)
	})

	b.Run("Heartbeat100k", func(b *testing.B) {
		const entries, topics = 100_000, 1000
		var before, after runtime.MemStats
		var storeBefore int64
		if storeBytes != nil {
			storeBefore = storeBytes(b)
		}
		runtime.GC()
		runtime.ReadMemStats(&before)
		tr := newTracker(b)
		var wg sync.WaitGroup
		for w := range int64(8) {
			wg.Go(func() {
				for i := w; i < entries; i += 8 {
					id := strconv.FormatInt(i, 10)
					if err := tr.Join(ctx, "t"+strconv.FormatInt(i%topics, 10), "u"+id, "c"+id, meta(i)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		runtime.GC()
		runtime.ReadMemStats(&after)
		heapPerEntry := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / entries
		storePerEntry := 0.0
		if storeBytes != nil {
			storePerEntry = float64(storeBytes(b)-storeBefore) / entries
		}
		topicIDs, connIDs := make([]string, entries), make([]string, entries)
		for i := range entries {
			topicIDs[i], connIDs[i] = "t"+strconv.Itoa(i%topics), "c"+strconv.Itoa(i)
		}
		var n atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		cpu := processCPU()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(7919) % entries
				tr.Heartbeat(topicIDs[i], connIDs[i])
			}
		})
		b.StopTimer()
		reportCPU(b, cpu)
		b.ReportMetric(heapPerEntry, "B/entry")
		if storeBytes != nil {
			b.ReportMetric(storePerEntry, "store-B/entry")
		}
		runtime.KeepAlive(tr)
	})
}
