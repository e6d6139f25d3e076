package redis

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/listhub/listhub/backplane"
	"github.com/listhub/listhub/internal/redistest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testOptions are somewhat faster liveness settings so the suite's
// killed-node case runs in about three seconds, with margin enough that a
// loaded machine does not make a live node look dead; the default settings
// have their own tests (TestTwoProcesses).
func testOptions() *Options {
	return &Options{
		Logger:      quietLogger(),
		NodeName:    "test",
		Heartbeat:   500 * time.Millisecond,
		NodeTimeout: 2500 * time.Millisecond,
	}
}

// killable wraps a node so the shared suite can crash it.
type killable struct{ *Redis }

func (k killable) Kill() { k.kill() }

// singleClient returns a client of one server, closed by t.Cleanup.
func singleClient(t testing.TB, addr string) goredis.UniversalClient {
	c := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// clusterClient returns a cluster client, closed by t.Cleanup.
func clusterClient(t testing.TB, addrs []string) goredis.UniversalClient {
	c := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs, MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// newNode starts a node on its own client (as a separate process would
// have), closed by t.Cleanup before the client.
func newNode(t testing.TB, client goredis.UniversalClient, opts *Options) *Redis {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := New(ctx, client, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// nodesOn returns the suite's node factory for clients made by newClient.
func nodesOn(newClient func(t testing.TB) goredis.UniversalClient) func(t *testing.T, n int) []backplane.Backplane {
	return func(t *testing.T, n int) []backplane.Backplane {
		nodes := make([]backplane.Backplane, n)
		for i := range nodes {
			nodes[i] = killable{newNode(t, newClient(t), testOptions())}
		}
		return nodes
	}
}

func startServer(t testing.TB) *redistest.Server {
	return redistest.Start(t)
}
