// Package redistest starts real redis-server processes for tests: a single
// server on a free 127.0.0.1 port, which a test can kill (SIGKILL) and
// restart on the same port, and a 3-master Redis Cluster.
//
// The servers keep nothing on disk (no RDB snapshots, no AOF) and are stopped
// by t.Cleanup. When redis-server (or, for a cluster, redis-cli) is not on
// PATH the test is skipped with a message saying so, unless the environment
// sets LISTHUB_REQUIRE_REDIS=1, as `make test` does: then it fails.
//
// The package talks to the servers with a few lines of RESP of its own, so it
// depends on no Redis client library.
package redistest
