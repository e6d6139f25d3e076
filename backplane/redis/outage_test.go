package redis

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/backplane"
)

const (
	waitTimeout = 8 * time.Second
	tick        = 5 * time.Millisecond
	// outage is how long the tests keep Redis down: the scenario itself,
	// not a wait for a signal.
	outage = 3 * time.Second
)

// seqRecorder collects the sequence numbers a node receives on a channel.
type seqRecorder struct {
	mu   sync.Mutex
	seqs []int
	at   []time.Time
}

func (s *seqRecorder) receive(_ string, payload []byte) {
	n, err := strconv.Atoi(string(payload))
	if err != nil {
		n = -1
	}
	s.mu.Lock()
	s.seqs = append(s.seqs, n)
	s.at = append(s.at, time.Now())
	s.mu.Unlock()
}

func (s *seqRecorder) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seqs)
}

// firstAtLeast returns when the first sequence number >= n arrived.
func (s *seqRecorder) firstAtLeast(n int) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, v := range s.seqs {
		if v >= n {
			return s.at[i], true
		}
	}
	return time.Time{}, false
}

// requireNoLossOutside checks that the recorder got 0..n-1 in order, except
// that messages in [lo, hi) may be missing or repeated: those in flight when
// Redis died, which Redis may have taken (and answered) without passing them
// on, or passed on without answering. Pub/sub loses what Redis held when it
// died; the outbox guarantees the rest. It returns how many were missing.
func (s *seqRecorder) requireNoLossOutside(t *testing.T, n, lo, hi int, who string) int {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := make(map[int]bool, n)
	prev := -1
	for i, v := range s.seqs {
		if v < prev || (v == prev && (v < lo || v >= hi)) {
			require.Failf(t, "sequence broken", "%s: at index %d got %d after %d; around: %v",
				who, i, v, prev, s.seqs[max(0, i-3):min(len(s.seqs), i+3)])
		}
		seen[v], prev = true, v
	}
	missing := 0
	for v := range n {
		if !seen[v] {
			require.True(t, v >= lo && v < hi, "%s: message %d lost (only %d..%d, in flight at the crash, may be)", who, v, lo, hi-1)
			missing++
		}
	}
	return missing
}

// requireExactly checks that the recorder got 0..n-1, each once, in order.
func (s *seqRecorder) requireExactly(t *testing.T, n int, who string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, v := range s.seqs {
		if v != i {
			require.Failf(t, "sequence broken", "%s: at index %d got %d (want %d); %d received in all; around: %v",
				who, i, v, i, len(s.seqs), s.seqs[max(0, i-3):min(len(s.seqs), i+3)])
		}
	}
	require.Len(t, s.seqs, n, who)
}

// TestRedisRestartUnderTraffic kills redis-server (SIGKILL) while one node
// publishes a numbered stream, keeps it down 3 s and restarts it on the same
// port: every message published during and after the outage, and before it
// but for those Redis held when it died, arrives at the other node and at
// the publisher itself, once and in order; nobody is declared dead; the
// health report tells the story.
func TestRedisRestartUnderTraffic(t *testing.T) {
	srv := startServer(t)
	opts := &Options{NodeName: "restart", Logger: quietLogger()}
	pub := newNode(t, singleClient(t, srv.Addr()), opts)
	sub := newNode(t, singleClient(t, srv.Addr()), opts)
	var falseDeaths atomic.Int64
	t.Cleanup(pub.WatchNodes(func(backplane.NodeID) { falseDeaths.Add(1) }))
	t.Cleanup(sub.WatchNodes(func(backplane.NodeID) { falseDeaths.Add(1) }))

	ctx := t.Context()
	atSub, atPub := &seqRecorder{}, &seqRecorder{}
	require.NoError(t, sub.Subscribe(ctx, "traffic", atSub.receive))
	require.NoError(t, pub.Subscribe(ctx, "traffic", atPub.receive))

	published := startTraffic(t, pub, "traffic")

	require.Eventually(t, func() bool { return atSub.count() >= 200 }, waitTimeout, tick, "no traffic before the outage")
	// Messages published from inFlight on may be in Redis when it dies;
	// from noticed on, the node knows Redis is down and keeps them.
	inFlight := int(published.Load()) - 50
	srv.Kill()
	require.Eventually(t, func() bool { return pub.Health().State == StateDown }, waitTimeout, tick,
		"the publisher did not notice the outage")
	noticed := int(published.Load())
	beforeOutage := atSub.count()
	time.Sleep(outage)
	queued := pub.Health().OutboxMessages
	firstAfter := int(published.Load())
	restart := time.Now()
	srv.Restart()

	require.Eventually(t, func() bool { _, ok := atSub.firstAtLeast(firstAfter); return ok }, waitTimeout, tick,
		"no message published after the restart arrived")
	flowing, _ := atSub.firstAtLeast(firstAfter)
	published.stop()
	total := int(published.Load())
	last := strconv.Itoa(total - 1)
	require.Eventually(t, func() bool {
		_, sub := atSub.firstAtLeast(total - 1)
		_, self := atPub.firstAtLeast(total - 1)
		return sub && self
	}, waitTimeout, tick, "message %s did not arrive", last)
	time.Sleep(50 * time.Millisecond) // room for a duplicate to show up

	lostSub := atSub.requireNoLossOutside(t, total, inFlight, noticed, "other node")
	lostPub := atPub.requireNoLossOutside(t, total, inFlight, noticed, "publisher")
	assert.Zero(t, falseDeaths.Load(), "a node was declared dead during the outage")
	h := pub.Health()
	assert.Equal(t, StateUp, h.State)
	assert.GreaterOrEqual(t, h.Reconnects, uint64(1))
	assert.Zero(t, h.Dropped)
	assert.Zero(t, h.OutboxMessages)
	assert.Positive(t, queued, "messages waited in the outbox during the outage")
	t.Logf("received %d before the outage, %d published in all, %d waited in the outbox; "+
		"cross-node messages flowed again %v after the restart; lost in Redis at the crash: %d (other node), %d (publisher)",
		beforeOutage, total, queued, flowing.Sub(restart).Round(time.Millisecond), lostSub, lostPub)
}

// TestOutboxBounds: beyond its count bound the outbox refuses messages with
// ErrOutboxFull, and messages older than OutboxAge are dropped unsent; both
// are counted, and what stayed within the bounds is delivered after the
// outage.
func TestOutboxBounds(t *testing.T) {
	tests := []struct {
		name        string
		opts        Options
		publish     int
		wantRefused int
		wait        time.Duration
		wantSent    int
	}{
		{name: "count", opts: Options{OutboxMessages: 10}, publish: 15, wantRefused: 5, wantSent: 10},
		{name: "age", opts: Options{OutboxAge: 100 * time.Millisecond}, publish: 5, wait: 300 * time.Millisecond, wantSent: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t)
			opts := tc.opts
			opts.Logger = quietLogger()
			pub := newNode(t, singleClient(t, srv.Addr()), &opts)
			sub := newNode(t, singleClient(t, srv.Addr()), &Options{Logger: quietLogger()})
			ctx := t.Context()
			rec := &seqRecorder{}
			require.NoError(t, sub.Subscribe(ctx, "bounded", rec.receive))

			srv.Kill()
			require.Eventually(t, func() bool { return pub.Health().State == StateDown }, waitTimeout, tick)
			refused := 0
			for i := range tc.publish {
				err := pub.Publish(ctx, "bounded", []byte(strconv.Itoa(i)))
				if err != nil {
					require.ErrorIs(t, err, ErrOutboxFull)
					refused++
				}
			}
			assert.Equal(t, tc.wantRefused, refused)
			time.Sleep(tc.wait) // let messages age past OutboxAge
			srv.Restart()
			require.Eventually(t, func() bool {
				h := pub.Health()
				return h.State == StateUp && h.OutboxMessages == 0
			}, waitTimeout, tick, "the outbox was not flushed after the restart")
			require.NoError(t, pub.Publish(ctx, "bounded", []byte("marker")))
			require.Eventually(t, func() bool { return rec.count() >= tc.wantSent+1 }, waitTimeout, tick)
			rec.mu.Lock()
			got := append([]int(nil), rec.seqs...)
			rec.mu.Unlock()
			want := make([]int, 0, tc.wantSent+1)
			for i := range tc.wantSent {
				want = append(want, i)
			}
			want = append(want, -1) // the marker
			assert.Equal(t, want, got)
			assert.Equal(t, uint64(tc.publish-tc.wantSent), pub.Health().Dropped, "every drop is counted")
		})
	}
}

// TestResubscribeManyChannels subscribes 10,000 channels, restarts Redis and
// checks every one of them carries messages again; it logs how long the
// subscriptions took to come back.
func TestResubscribeManyChannels(t *testing.T) {
	const channels = 10_000
	srv := startServer(t)
	opts := &Options{NodeName: "many", Logger: quietLogger()}
	pub := newNode(t, singleClient(t, srv.Addr()), opts)
	sub := newNode(t, singleClient(t, srv.Addr()), opts)
	ctx := t.Context()

	var got sync.Map
	var count atomic.Int64
	recv := func(ch string, _ []byte) {
		if _, loaded := got.LoadOrStore(ch, true); !loaded {
			count.Add(1)
		}
	}
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Go(func() {
			for i := w; i < channels; i += 32 {
				assert.NoError(t, sub.Subscribe(ctx, "c"+strconv.Itoa(i), recv))
			}
		})
	}
	wg.Wait()
	require.Equal(t, channels, sub.Health().Subscriptions)

	srv.Kill()
	require.Eventually(t, func() bool { return sub.Health().State == StateDown }, waitTimeout, tick)
	restart := time.Now()
	srv.Restart()
	// Up means the PONG that follows the resubscription came back, so
	// Redis has processed the SUBSCRIBE of every channel.
	require.Eventually(t, func() bool { return sub.Health().State == StateUp }, waitTimeout, time.Millisecond)
	restored := time.Since(restart)

	for i := range channels {
		require.NoError(t, pub.Publish(ctx, "c"+strconv.Itoa(i), []byte("x")))
	}
	require.Eventually(t, func() bool { return count.Load() == channels }, waitTimeout, tick,
		"not every channel carries messages after the restart")
	t.Logf("%d subscriptions restored %v after redis-server was restarted", channels, restored.Round(time.Millisecond))
}

// TestSilentLinkReplaced makes a subscription connection stop receiving
// behind the backplane's back (it drops the probe subscription, as a link to
// a server that no longer routes to it would): the probe notices, the link is
// replaced, Health counts it, and subscriptions work on the new connection.
func TestSilentLinkReplaced(t *testing.T) {
	srv := startServer(t)
	opts := testOptions()
	opts.ProbeInterval = 200 * time.Millisecond
	node := newNode(t, singleClient(t, srv.Addr()), opts)
	ctx := t.Context()
	rec := &seqRecorder{}
	require.NoError(t, node.Subscribe(ctx, "still-there", rec.receive))

	l := node.links[0]
	l.mu.Lock()
	ps := l.ps
	l.mu.Unlock()
	require.NoError(t, ps.Unsubscribe(ctx, l.probe, l.prefix+"still-there"))

	require.Eventually(t, func() bool { return node.Health().SilentLinks >= 1 }, waitTimeout, tick,
		"the silent link was not noticed")
	require.Eventually(t, func() bool {
		if node.Health().State != StateUp {
			return false
		}
		return node.Publish(ctx, "still-there", []byte("0")) == nil && rec.count() > 0
	}, waitTimeout, 50*time.Millisecond, "subscriptions did not come back on the new connection")
}

// TestHealthReport checks the report's fields on a running node.
func TestHealthReport(t *testing.T) {
	srv := startServer(t)
	a := newNode(t, singleClient(t, srv.Addr()), testOptions())
	b := newNode(t, singleClient(t, srv.Addr()), testOptions())
	ctx := t.Context()
	rec := &seqRecorder{}
	require.NoError(t, a.Subscribe(ctx, "h", rec.receive))
	require.NoError(t, b.Publish(ctx, "h", []byte("1")))
	require.Eventually(t, func() bool { return rec.count() == 1 }, waitTimeout, tick)
	require.Eventually(t, func() bool { return len(a.Health().LiveNodes) == 2 }, waitTimeout, tick)

	h := a.Health()
	assert.Equal(t, StateUp, h.State)
	assert.Equal(t, "up", h.State.String())
	assert.Equal(t, 1, h.Subscriptions)
	assert.ElementsMatch(t, []backplane.NodeID{a.NodeID(), b.NodeID()}, h.LiveNodes)
	assert.Positive(t, h.Lag)
	assert.Zero(t, h.Dropped)
	assert.NoError(t, h.LastError)

	require.NoError(t, a.Close())
	assert.Equal(t, StateClosed, a.Health().State)
}

// traffic publishes "0", "1", "2", ... on a channel every millisecond, from
// its own goroutine, until stop; Load is how many were published.
type traffic struct {
	atomic.Int64
	quit, done chan struct{}
	once       sync.Once
}

func startTraffic(t *testing.T, pub *Redis, channel string) *traffic {
	tr := &traffic{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(tr.done)
		tk := time.NewTicker(time.Millisecond)
		defer tk.Stop()
		for i := 0; ; i++ {
			select {
			case <-tr.quit:
				return
			case <-tk.C:
			}
			if !assert.NoError(t, pub.Publish(context.Background(), channel, []byte(strconv.Itoa(i)))) {
				return
			}
			tr.Store(int64(i + 1))
		}
	}()
	t.Cleanup(tr.stop)
	return tr
}

// stop ends the publishing and waits for it; it may be called again.
func (tr *traffic) stop() {
	tr.once.Do(func() { close(tr.quit) })
	<-tr.done
}
