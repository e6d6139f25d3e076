package redistest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/listhub/listhub/internal/redistest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestServerKillRestart(t *testing.T) {
	s := redistest.Start(t)
	_, err := s.Do("SET", "k", "v")
	require.NoError(t, err)
	got, err := s.Do("GET", "k")
	require.NoError(t, err)
	require.Equal(t, "v", got)

	s.Kill()
	_, err = s.Do("PING")
	require.Error(t, err, "a killed server must not answer")

	port := s.Port()
	s.Restart()
	assert.Equal(t, port, s.Port(), "Restart keeps the port")
	got, err = s.Do("GET", "k")
	require.NoError(t, err)
	assert.Empty(t, got, "a restarted server keeps no data: persistence is off")
}

func TestCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	require.Len(t, c.Addrs(), 3)
	for _, n := range c.Nodes {
		info, err := n.Do("CLUSTER", "INFO")
		require.NoError(t, err)
		assert.Contains(t, info, "cluster_state:ok")
		assert.Contains(t, info, "cluster_size:3", "three masters own slots")
	}
	// Keys in different slots are owned by different masters: a node
	// redirects a key it does not own.
	var moved int
	for _, key := range []string{"a", "b", "c", "d", "e", "f"} {
		if _, err := c.Nodes[0].Do("SET", key, "v"); err != nil && strings.Contains(err.Error(), "MOVED") {
			moved++
		}
	}
	assert.Positive(t, moved, "some keys belong to the other masters")
}

func TestSentinel(t *testing.T) {
	master := redistest.Start(t)
	replica := redistest.StartReplica(t, master)
	sentinel := redistest.StartSentinel(t, "mymaster", master)
	_, err := master.Do("SET", "k", "v")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		got, err := replica.Do("GET", "k")
		return err == nil && got == "v"
	}, 10*time.Second, 20*time.Millisecond, "the replica does not replicate")
	info, err := sentinel.Do("INFO", "sentinel")
	require.NoError(t, err)
	assert.Contains(t, info, "name=mymaster")
}
