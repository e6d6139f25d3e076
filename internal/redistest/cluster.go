package redistest

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// clusterSize is the number of masters of a test cluster: the smallest
// cluster redis-cli --cluster create accepts.
const clusterSize = 3

// Cluster is a Redis Cluster of three masters, no replicas, each a
// redis-server child process on 127.0.0.1.
type Cluster struct {
	// Nodes are the cluster's masters; each can be killed and restarted,
	// though a restarted node starts empty and outside the cluster.
	Nodes []*Server
}

// StartCluster starts three redis-server processes in cluster mode on free
// ports, joins them with redis-cli --cluster create, and waits until every
// node reports cluster_state:ok and knows the others. The processes are
// stopped by t.Cleanup. It skips the test when redis-server or redis-cli is
// missing, unless LISTHUB_REQUIRE_REDIS=1.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	requireBinary(t, "redis-server")
	requireBinary(t, "redis-cli")
	c := &Cluster{}
	for range clusterSize {
		c.Nodes = append(c.Nodes, start(t, true))
	}
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.Command("redis-cli", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	if err := c.waitReady(startTimeout); err != nil {
		t.Fatalf("redistest: %v\nredis-cli said:\n%s", err, out)
	}
	return c
}

// Addrs are the host:port addresses of the cluster's nodes, the seed list for
// a cluster client.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr()
	}
	return addrs
}

// waitReady waits until every node reports cluster_state:ok with all slots
// assigned and knows all nodes, so that a client sees one consistent view.
func (c *Cluster) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		lastInfo, ok := "", true
		for _, n := range c.Nodes {
			info, err := n.Do("CLUSTER", "INFO")
			lastInfo = info
			if err != nil || !clusterOK(info) {
				ok = false
				break
			}
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster not ready within %v; last CLUSTER INFO:\n%s", timeout, lastInfo)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func clusterOK(info string) bool {
	want := []string{
		"cluster_state:ok",
		"cluster_slots_assigned:16384",
		fmt.Sprintf("cluster_known_nodes:%d", clusterSize),
	}
	for _, w := range want {
		if !strings.Contains(info, w+"\r\n") && !strings.HasSuffix(info, w) {
			return false
		}
	}
	return true
}
