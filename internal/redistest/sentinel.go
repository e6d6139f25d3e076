package redistest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Sentinel settings of StartSentinel: a master is down after one second
// without an answer and one Sentinel suffices to fail it over.
const (
	sentinelDownAfter       = time.Second
	sentinelFailoverTimeout = 5 * time.Second
)

// StartReplica starts a redis-server that replicates master, and waits
// until the replication link is up. It is stopped by t.Cleanup.
func StartReplica(t testing.TB, master *Server) *Server {
	t.Helper()
	requireBinary(t, "redis-server")
	s := start(t, false, "--replicaof", "127.0.0.1", strconv.Itoa(master.Port()))
	deadline := time.Now().Add(startTimeout)
	for {
		info, err := s.Do("INFO", "replication")
		if err == nil && strings.Contains(info, "master_link_status:up") {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("redistest: replica on port %d did not connect to its master: %v\n%s", s.Port(), err, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// StartSentinel starts a Redis Sentinel (redis-server --sentinel) that
// monitors master under masterName with a quorum of one, declares it down
// after 1 s without an answer and fails it over to a replica. It is stopped
// by t.Cleanup.
func StartSentinel(t testing.TB, masterName string, master *Server) *Server {
	t.Helper()
	requireBinary(t, "redis-server")
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 1\n"+
		"sentinel down-after-milliseconds %s %d\n"+
		"sentinel failover-timeout %s %d\n",
		masterName, master.Port(),
		masterName, sentinelDownAfter.Milliseconds(),
		masterName, sentinelFailoverTimeout.Milliseconds())
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatalf("redistest: write sentinel config: %v", err)
	}
	s := &Server{t: t, dir: dir, sentinelConf: conf}
	t.Cleanup(s.stop)
	var err error
	for range startAttempts {
		s.port = freePort(t, false)
		if err = s.run(); err == nil {
			return s
		}
	}
	t.Fatalf("redistest: %v", err)
	return nil
}
