package redisstore_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/presence"
	"github.com/listhub/listhub/presence/redisstore"
)

// TestRedisRestart: Redis dies and comes back empty (no persistence). The
// trackers learn at their next beat that the store forgot them, rejoin
// their connections as new incarnations, and the topics are whole again.
func TestRedisRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a redis-server")
	}
	ctx := t.Context()
	srv := startRedis(t)
	prefix := newPrefix()
	trackers := make([]*presence.Tracker, 2)
	for i := range trackers {
		c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
		t.Cleanup(func() { _ = c.Close() })
		store, err := redisstore.New(c, redisstore.Options{Prefix: prefix})
		require.NoError(t, err)
		tr, err := presence.NewTracker(store, presence.Options{
			TickInterval: 100 * time.Millisecond, BeatInterval: 200 * time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		require.NoError(t, err)
		t.Cleanup(func() { _ = tr.Close(context.Background()) })
		trackers[i] = tr
	}
	const users = 10
	for u := range users {
		id := strconv.Itoa(u)
		require.NoError(t, trackers[u%2].Join(ctx, "list", "u"+id, "c"+id, nil))
	}
	members := func() int {
		snap, err := trackers[0].Snapshot(ctx, "list")
		if err != nil {
			return -1
		}
		return len(snap.Members)
	}
	require.Equal(t, users, members())

	before := []string{trackers[0].Node(), trackers[1].Node()}
	srv.Kill()
	assert.Equal(t, -1, members(), "a snapshot while Redis is down is an error")
	srv.Restart()
	require.Eventually(t, func() bool { return members() == users }, 10*time.Second, 20*time.Millisecond,
		"the trackers rejoin their connections into the empty Redis")
	for i, tr := range trackers {
		assert.NotEqual(t, before[i], tr.Node(), "rejoined as a new incarnation")
	}
}
