package redis_test

import (
	"context"
	"fmt"
	"os"

	goredis "github.com/redis/go-redis/v9"

	"github.com/listhub/listhub/backplane/redis"
)

// Example joins two nodes through one Redis. It needs a redis-server on
// 127.0.0.1:6379 (the address is an example), so it is compiled but not run.
func Example() {
	ctx := context.Background()
	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()

	bp, err := redis.New(ctx, client, &redis.Options{NodeName: "web-1"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer bp.Close()

	// Give bp to hub.New through hub.Config.Backplane; /healthz can report:
	h := bp.Health()
	fmt.Println(h.State, h.OutboxMessages, len(h.LiveNodes))
}
