package redisstore_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/presence"
	"github.com/listhub/listhub/presence/presencetest"
	"github.com/listhub/listhub/presence/redisstore"
)

// counter is a go-redis hook that counts the commands sent, by the key they
// touch first (for scripts: KEYS[1]).
type counter struct {
	mu    sync.Mutex
	total int
	byKey map[string]int
}

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.count(cmd)
		return next(ctx, cmd)
	}
}

func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, cmd := range cmds {
			c.count(cmd)
		}
		return next(ctx, cmds)
	}
}

func (c *counter) count(cmd redis.Cmder) {
	key := ""
	args := cmd.Args()
	switch strings.ToLower(cmd.Name()) {
	case "evalsha", "eval":
		if len(args) > 3 {
			key, _ = args[3].(string)
		}
	default:
		if len(args) > 1 {
			key, _ = args[1].(string)
		}
	}
	c.mu.Lock()
	c.total++
	c.byKey[key]++
	c.mu.Unlock()
}

func (c *counter) reset() (total int, byKey map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	total, byKey = c.total, c.byKey
	c.total, c.byKey = 0, map[string]int{}
	return total, byKey
}

// TestCost counts the Redis commands behind the tracker's calls: none per
// heartbeat, one per snapshot of a 1,000-user topic, and one refresh per
// topic per RefreshInterval however many connections beat.
func TestCost(t *testing.T) {
	ctx := t.Context()
	srv := startRedis(t)
	cnt := &counter{byKey: map[string]int{}}
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer c.Close()
	c.AddHook(cnt)
	prefix := newPrefix()
	store, err := redisstore.New(c, redisstore.Options{Prefix: prefix})
	require.NoError(t, err)
	clock := presencetest.NewClock(time.Unix(1_800_000_000, 0))
	tr, err := presence.NewTracker(store, presence.Options{Now: clock.Now, ManualTick: true})
	require.NoError(t, err)
	defer tr.Close(context.Background())

	const users = 1000
	for i := range users {
		require.NoError(t, tr.Join(ctx, "list", "u"+strconv.Itoa(i), "c"+strconv.Itoa(i), nil))
	}
	_, err = tr.Snapshot(ctx, "list") // loads the script into the server
	require.NoError(t, err)
	topicKey := prefix + "{list}:"

	cnt.reset()
	snap, err := tr.Snapshot(ctx, "list")
	require.NoError(t, err)
	require.Len(t, snap.Members, users)
	total, _ := cnt.reset()
	assert.Equal(t, 1, total, "a snapshot of %d users is one command", users)

	for range 10 {
		for i := range users {
			tr.Heartbeat("list", "c"+strconv.Itoa(i))
		}
	}
	total, _ = cnt.reset()
	assert.Zero(t, total, "heartbeats make no network call")

	// Ten refresh intervals of ticks, every connection beating all along
	// (after one interval that loads the scripts).
	ticks := func(n int) {
		for range n {
			clock.Advance(500 * time.Millisecond)
			for i := range users {
				tr.Heartbeat("list", "c"+strconv.Itoa(i))
			}
			require.NoError(t, tr.Tick(ctx))
		}
	}
	ticks(20)
	cnt.reset()
	ticks(200)
	_, byKey := cnt.reset()
	assert.Equal(t, 10, byKey[topicKey], "one refresh per topic per 10 s for %d beating connections", users)
	snap, err = tr.Snapshot(ctx, "list")
	require.NoError(t, err)
	assert.Equal(t, clock.Now().UnixMilli(), snap.Members[0].LastSeenAt.UnixMilli(), "the store has the heartbeats of the last refresh")
}
