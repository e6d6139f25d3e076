package redis

import (
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/listhub/listhub/backplane/backplanetest"
	"github.com/listhub/listhub/internal/redistest"
)

// TestSuiteSingleServer runs the shared behaviour suite with classic pub/sub
// on one redis-server.
func TestSuiteSingleServer(t *testing.T) {
	srv := startServer(t)
	backplanetest.Run(t, nodesOn(func(t testing.TB) goredis.UniversalClient {
		return singleClient(t, srv.Addr())
	}))
}

// TestSuiteCluster runs the shared behaviour suite with sharded pub/sub on a
// 3-master Redis Cluster.
func TestSuiteCluster(t *testing.T) {
	cluster := redistest.StartCluster(t)
	backplanetest.Run(t, nodesOn(func(t testing.TB) goredis.UniversalClient {
		return clusterClient(t, cluster.Addrs())
	}))
}
