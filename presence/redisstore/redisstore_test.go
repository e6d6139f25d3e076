package redisstore_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/listhub/listhub/internal/redistest"
	"github.com/listhub/listhub/presence"
	"github.com/listhub/listhub/presence/presencetest"
	"github.com/listhub/listhub/presence/redisstore"
)

func TestMain(m *testing.M) {
	if runNode() { // the child process of TestNodeKilled
		return
	}
	goleak.VerifyTestMain(m)
}

// prefixes keeps the stores of different subtests apart on one server.
var prefixes atomic.Int64

func newPrefix() string { return "t" + strconv.FormatInt(prefixes.Add(1), 10) + ":" }

// storesOn returns n stores, each on its own client, sharing one key prefix.
func storesOn(t *testing.T, n int, newClient func() redis.UniversalClient) []presence.Store {
	prefix := newPrefix()
	stores := make([]presence.Store, n)
	for i := range stores {
		c := newClient()
		t.Cleanup(func() { assert.NoError(t, c.Close()) })
		s, err := redisstore.New(c, redisstore.Options{Prefix: prefix})
		require.NoError(t, err)
		stores[i] = s
	}
	return stores
}

func TestRedis(t *testing.T) {
	srv := redistest.Start(t)
	presencetest.Run(t, func(t *testing.T, n int) []presence.Store {
		return storesOn(t, n, func() redis.UniversalClient {
			return redis.NewClient(&redis.Options{Addr: srv.Addr()})
		})
	})
}

func TestRedisCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-master cluster")
	}
	cl := redistest.StartCluster(t)
	presencetest.Run(t, func(t *testing.T, n int) []presence.Store {
		return storesOn(t, n, func() redis.UniversalClient {
			return redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs()})
		})
	})
}

func TestNew(t *testing.T) {
	_, err := redisstore.New(nil, redisstore.Options{})
	require.ErrorIs(t, err, presence.ErrInvalid)
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	_, err = redisstore.New(c, redisstore.Options{Prefix: "bad{"})
	require.ErrorIs(t, err, presence.ErrInvalid)
}

// TestRedisDown: a store call to an unreachable server is an error, never a
// hang or a silent success.
func TestRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	defer c.Close()
	s, err := redisstore.New(c, redisstore.Options{Prefix: newPrefix()})
	require.NoError(t, err)
	srv.Kill()
	_, err = s.Snapshot(context.Background(), "list")
	require.Error(t, err)
	require.Error(t, s.Beat(context.Background(), "n1", t0(), true))
}

func startRedis(t *testing.T) *redistest.Server { return redistest.Start(t) }
