package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/listhub/listhub/backplane"
	redisbp "github.com/listhub/listhub/backplane/redis"
	"github.com/listhub/listhub/presence"
	"github.com/listhub/listhub/presence/redisstore"
)

// cluster is what -redis adds: the hub's Redis backplane and the Redis
// presence store, so that several nodes serve one set of users. Without
// -redis every field is nil (one node, in memory).
type cluster struct {
	client    *goredis.Client
	backplane backplane.Backplane
	presence  presence.Store
	ping      func(context.Context) error
	info      func() map[string]any
	bp        *redisbp.Redis
}

func openRedis(ctx context.Context, url string, log *slog.Logger) (*cluster, error) {
	if url == "" {
		return &cluster{}, nil
	}
	opts, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("-redis: %w", err)
	}
	client := goredis.NewClient(opts)
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("-redis: %w", err)
	}
	bp, err := redisbp.New(ctx, client, &redisbp.Options{Logger: log})
	if err != nil {
		client.Close()
		return nil, err
	}
	store, err := redisstore.New(client, redisstore.Options{})
	if err != nil {
		bp.Close()
		client.Close()
		return nil, err
	}
	return &cluster{
		client: client, backplane: bp, presence: store, bp: bp,
		ping: func(ctx context.Context) error {
			if err := client.Ping(ctx).Err(); err != nil {
				return err
			}
			// Up means publishing works and every subscription is in place.
			if h := bp.Health(); h.State != redisbp.StateUp {
				return fmt.Errorf("backplane %s since %s (last error: %v)", h.State, h.Since.UTC().Format(time.RFC3339), h.LastError)
			}
			return nil
		},
		info: func() map[string]any {
			h := bp.Health()
			return map[string]any{"state": h.State.String(), "liveNodes": len(h.LiveNodes), "outboxMessages": h.OutboxMessages, "dropped": h.Dropped}
		},
	}, nil
}

// close releases the backplane and then the client, after the hub.
func (c *cluster) close() {
	if c.bp != nil {
		_ = c.bp.Close()
	}
	if c.client != nil {
		_ = c.client.Close()
	}
}
