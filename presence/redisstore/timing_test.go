package redisstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/presence"
	"github.com/listhub/listhub/presence/redisstore"
)

// TestRealClock runs a tracker on Redis with the real clock and its own
// background goroutines: a silent connection leaves no earlier than the
// timeout after its join and at most 2 s later; a reconnect within the grace
// makes no event. (presencetest checks the same exactly, on a fake clock.)
func TestRealClock(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a real timeout")
	}
	ctx := t.Context()
	srv := startRedis(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer c.Close()
	store, err := redisstore.New(c, redisstore.Options{Prefix: newPrefix()})
	require.NoError(t, err)

	type rec struct {
		ev presence.Event
		at time.Time
	}
	var mu sync.Mutex
	var events []rec
	const timeout, grace = 2 * time.Second, 300 * time.Millisecond
	tr, err := presence.NewTracker(store, presence.Options{
		Timeout: timeout, Grace: grace,
		OnEvent: func(ev presence.Event) {
			mu.Lock()
			events = append(events, rec{ev, time.Now()})
			mu.Unlock()
		},
	})
	require.NoError(t, err)
	defer func() { assert.NoError(t, tr.Close(context.Background())) }()
	leftOf := func(user string) (rec, bool) {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range events {
			if r.ev.Kind == presence.Left && r.ev.Member.UserID == user {
				return r, true
			}
		}
		return rec{}, false
	}

	// A page reload: alice's connection drops and comes back at once.
	require.NoError(t, tr.Join(ctx, "list", "alice", "a1", nil))
	require.NoError(t, tr.Disconnect(ctx, "a1"))
	require.NoError(t, tr.Join(ctx, "list", "alice", "a2", nil))
	// The marker: bob disconnects after alice did, with the same grace.
	require.NoError(t, tr.Join(ctx, "list", "bob", "b1", nil))
	require.NoError(t, tr.Disconnect(ctx, "b1"))

	// A silent connection.
	start := time.Now()
	require.NoError(t, tr.Join(ctx, "silent", "carol", "c1", nil))
	joined := time.Now()

	require.Eventually(t, func() bool { _, ok := leftOf("bob"); return ok }, 10*time.Second, 5*time.Millisecond)
	_, aliceLeft := leftOf("alice")
	assert.False(t, aliceLeft, "a reconnect within the grace makes no event")

	require.Eventually(t, func() bool { _, ok := leftOf("carol"); return ok }, 10*time.Second, 5*time.Millisecond)
	r, _ := leftOf("carol")
	assert.Equal(t, presence.TimedOut, r.ev.Reason)
	assert.False(t, r.at.Before(start.Add(timeout)), "left %v after the join: before the timeout", r.at.Sub(start))
	assert.LessOrEqual(t, r.at.Sub(joined.Add(timeout)), 2*time.Second, "left more than 2 s after the timeout")
	t.Logf("silent connection left %v after its timeout", r.at.Sub(joined.Add(timeout)).Round(time.Millisecond))
}
