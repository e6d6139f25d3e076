package presencetest

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/presence"
)

// testConcurrent is the one test of the suite on the real clock: three
// trackers with their own background goroutines and short timings, and
// goroutines joining, leaving, disconnecting, beating and reading at once.
// Ordered by version, each user's events on a topic must alternate Joined,
// Left, whatever the interleaving; once everyone has left, the topics are
// empty and every user's last event is a Left.
func testConcurrent(t *testing.T, newStores NewStoresFunc) {
	stores := newStores(t, 3)
	var mu sync.Mutex
	var events []presence.Event
	trackers := make([]*presence.Tracker, len(stores))
	for i, s := range stores {
		tr, err := presence.NewTracker(s, presence.Options{
			Timeout: time.Second, Grace: 100 * time.Millisecond,
			TickInterval: 20 * time.Millisecond, RefreshInterval: 200 * time.Millisecond,
			BeatInterval: 100 * time.Millisecond, DeadAfter: time.Second,
			CoalesceAbove: -1,
			OnEvent: func(ev presence.Event) {
				mu.Lock()
				events = append(events, ev)
				mu.Unlock()
			},
		})
		require.NoError(t, err)
		trackers[i] = tr
	}
	topics := []string{topic(t, "a"), topic(t, "b"), topic(t, "c")}
	const workers, conns, users = 6, 4, 18
	connOf := func(w, k int) (tr *presence.Tracker, conn, user string) {
		return trackers[w%len(trackers)], "w" + strconv.Itoa(w) + "c" + strconv.Itoa(k), "u" + strconv.Itoa((w*conns+k)%users)
	}
	ctx := t.Context()
	deadline := time.Now().Add(1500 * time.Millisecond)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for time.Now().Before(deadline) {
				tr, conn, user := connOf(w, rng.IntN(conns))
				tp := topics[rng.IntN(len(topics))]
				var err error
				switch rng.IntN(10) {
				case 0, 1, 2:
					err = tr.Join(ctx, tp, user, conn, map[string]string{"n": strconv.Itoa(rng.IntN(3))})
				case 3:
					err = tr.Leave(ctx, tp, conn)
				case 4:
					err = tr.Disconnect(ctx, conn)
				case 5:
					_, err = tr.Snapshot(ctx, tp)
				default:
					tr.Heartbeat(tp, conn)
				}
				if !assert.NoError(t, err) {
					return
				}
				time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond) // spread the calls over the ticks
			}
		})
	}
	wg.Wait()
	for w := range workers {
		for k := range conns {
			tr, conn, _ := connOf(w, k)
			for _, tp := range topics {
				require.NoError(t, tr.Leave(ctx, tp, conn))
			}
		}
	}
	for _, tr := range trackers {
		require.NoError(t, tr.Close(context.Background()))
	}
	for _, tp := range topics {
		snap, err := stores[0].Snapshot(ctx, tp)
		require.NoError(t, err)
		assert.Empty(t, snap.Members, "everyone left %s", tp)
	}

	mu.Lock()
	defer mu.Unlock()
	byUser := map[string][]presence.Event{}
	for _, ev := range events {
		k := ev.Topic + "|" + ev.Member.UserID
		byUser[k] = append(byUser[k], ev)
	}
	require.NotEmpty(t, byUser)
	for k, evs := range byUser {
		slices.SortStableFunc(evs, func(a, b presence.Event) int { return cmp.Compare(a.Version, b.Version) })
		for i, ev := range evs {
			want := presence.Joined
			if i%2 == 1 {
				want = presence.Left
			}
			require.Equal(t, want, ev.Kind, "%s: event %d of %d (version %d) breaks the Joined/Left alternation", k, i, len(evs), ev.Version)
		}
		require.Equal(t, presence.Left, evs[len(evs)-1].Kind, "%s ends absent", k)
	}
	t.Logf("%d events for %d (topic, user) pairs", len(events), len(byUser))
}
