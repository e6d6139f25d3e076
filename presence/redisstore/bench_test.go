package redisstore_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/listhub/listhub/internal/redistest"
	"github.com/listhub/listhub/presence"
	"github.com/listhub/listhub/presence/presencetest"
	"github.com/listhub/listhub/presence/redisstore"
)

// go test -run '^$' -bench . -benchmem ./presence/redisstore
func BenchmarkRedisStore(b *testing.B) {
	srv := redistest.Start(b)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 16})
	b.Cleanup(func() { _ = c.Close() })
	presencetest.Benchmark(b, func(b *testing.B) presence.Store {
		s, err := redisstore.New(c, redisstore.Options{Prefix: newPrefix()})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}, func(b *testing.B) int64 {
		info, err := srv.Do("INFO", "memory")
		if err != nil {
			b.Fatal(err)
		}
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				return n
			}
		}
		b.Fatal("no used_memory in INFO memory")
		return 0
	})
}
