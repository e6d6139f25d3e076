package redis

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPublishWaitsForLateResubscriber restarts Redis while the subscribing
// node's reader is busy in a Receiver, so that node has not noticed the
// restart when the publishing node is back up (its own link subscribed
// again, Health up) and publishes. That message must wait until the late
// node has subscribed again on the new server, not go out into a server where
// nobody listens for it yet: before, it went out through a fresh pooled
// connection and was lost to the late node.
func TestPublishWaitsForLateResubscriber(t *testing.T) {
	srv := startServer(t)
	// A NodeTimeout long enough that the publisher's wait for the late node
	// never runs out on a loaded machine.
	opts := &Options{NodeName: "late", Logger: quietLogger(), NodeTimeout: 20 * time.Second}
	pub := newNode(t, singleClient(t, srv.Addr()), opts)
	sub := newNode(t, singleClient(t, srv.Addr()), opts)
	ctx := t.Context()

	busy, release := make(chan struct{}), make(chan struct{})
	var busyOnce sync.Once
	require.NoError(t, sub.Subscribe(ctx, "busy", func(string, []byte) {
		busyOnce.Do(func() { close(busy) })
		<-release
	}))
	releaseSub := sync.OnceFunc(func() { close(release) })
	t.Cleanup(releaseSub) // before the nodes close: a Receiver holds up Close
	after := &seqRecorder{}
	require.NoError(t, sub.Subscribe(ctx, "after", after.receive))

	// The publisher's outbox has its connection; the late node's reader
	// blocks in the Receiver and so does not read the coming EOF.
	require.NoError(t, pub.Publish(ctx, "busy", []byte("x")))
	select {
	case <-busy:
	case <-time.After(waitTimeout):
		require.FailNow(t, "the late node did not receive the first message")
	}

	srv.Kill()
	require.Eventually(t, func() bool { return pub.Health().State == StateDown }, waitTimeout, tick,
		"the publisher did not notice the outage")
	srv.Restart()
	require.Eventually(t, func() bool { return pub.Health().State == StateUp }, waitTimeout, tick,
		"the publisher did not come back")
	require.Equal(t, StateUp, sub.Health().State, "the late node noticed the restart: the scenario did not happen")

	require.NoError(t, pub.Publish(ctx, "after", []byte("0")))
	// Either the outbox waits for the late node or (the bug) it published.
	require.Eventually(t, func() bool {
		n, _ := pub.out.depth()
		return pub.out.gating.Load() || n == 0
	}, waitTimeout, tick)
	releaseSub()
	require.Eventually(t, func() bool { return after.count() == 1 }, waitTimeout, tick,
		"the message published after the restart was lost to the node that resubscribed late")
	after.requireExactly(t, 1, "late node")
}
