package redis

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/backplane"
)

// helperAddrEnv tells the test binary, started again by TestTwoProcesses, to
// run as the second node on the Redis at this address.
const helperAddrEnv = "LISTHUB_REDIS_HELPER_ADDR"

// TestHelperNodeProcess is not a test: it is the second process of
// TestTwoProcesses. It runs a node with the default settings that answers
// every message on "ping" with the same payload on "pong", prints its
// NodeID and runs until it is killed.
func TestHelperNodeProcess(t *testing.T) {
	addr := os.Getenv(helperAddrEnv)
	if addr == "" {
		t.Skip("the second process of TestTwoProcesses")
	}
	client := goredis.NewClient(&goredis.Options{Addr: addr})
	ctx := context.Background()
	node, err := New(ctx, client, &Options{Logger: quietLogger(), NodeName: "child"})
	if err != nil {
		os.Exit(2)
	}
	pings := make(chan []byte, 1024)
	// A Receiver must not call back into the backplane: hand over.
	if err := node.Subscribe(ctx, "ping", func(_ string, p []byte) { pings <- p }); err != nil {
		os.Exit(3)
	}
	os.Stdout.WriteString(string(node.NodeID()) + "\n")
	for p := range pings {
		_ = node.Publish(ctx, "pong", p)
	}
}

// TestTwoProcesses runs a second node in its own process: messages go both
// ways between the processes, and a kill -9 of the second process is
// noticed by the first through the liveness rule (default settings: beat
// 1 s, dead after 3 s). The time it took is logged.
func TestTwoProcesses(t *testing.T) {
	srv := startServer(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperNodeProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperAddrEnv+"="+srv.Addr())
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "the second process did not start its node")
	child := backplane.NodeID(strings.TrimSpace(line))
	require.True(t, backplane.ValidNodeID(child))

	node := newNode(t, singleClient(t, srv.Addr()), &Options{Logger: quietLogger(), NodeName: "parent"})
	ctx := t.Context()
	require.Eventually(t, func() bool {
		ids, err := node.LiveNodes(ctx)
		return err == nil && len(ids) == 2 && contains(ids, child)
	}, waitTimeout, tick, "the other process's node is not listed alive")

	const n = 1000
	pongs := &seqRecorder{}
	require.NoError(t, node.Subscribe(ctx, "pong", pongs.receive))
	for i := range n {
		require.NoError(t, node.Publish(ctx, "ping", []byte(strconv.Itoa(i))))
	}
	require.Eventually(t, func() bool { return pongs.count() >= n }, waitTimeout, tick)
	pongs.requireExactly(t, n, "answers from the other process")

	var goneAt atomic.Int64
	t.Cleanup(node.WatchNodes(func(id backplane.NodeID) {
		if id == child {
			goneAt.CompareAndSwap(0, time.Now().UnixNano())
		}
	}))
	killed := time.Now()
	require.NoError(t, cmd.Process.Kill()) // SIGKILL: no goodbye
	<-exited
	require.Eventually(t, func() bool { return goneAt.Load() != 0 }, waitTimeout, tick,
		"the killed process's node was not reported gone")
	noticed := time.Unix(0, goneAt.Load()).Sub(killed)
	ids, err := node.LiveNodes(ctx)
	require.NoError(t, err)
	assert.NotContains(t, ids, child)
	t.Logf("kill -9 of the other process noticed after %v (beat 1 s, timeout 3 s)", noticed.Round(time.Millisecond))
}
