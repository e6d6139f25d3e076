package redis

import (
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOrderAcrossChannels: with classic pub/sub one publisher's messages
// reach another node in the order they were published even when they
// alternate between channels (the hub relies on it for one sender's
// messages to one connection through different targets).
func TestOrderAcrossChannels(t *testing.T) {
	const n = 6000
	srv := startServer(t)
	pub := newNode(t, singleClient(t, srv.Addr()), testOptions())
	sub := newNode(t, singleClient(t, srv.Addr()), testOptions())
	ctx := t.Context()

	var mu sync.Mutex
	var got []int
	recv := func(_ string, p []byte) {
		v, _ := strconv.Atoi(string(p))
		mu.Lock()
		got = append(got, v)
		mu.Unlock()
	}
	channels := []string{"a", "b", "c"}
	for _, ch := range channels {
		require.NoError(t, sub.Subscribe(ctx, ch, recv))
	}
	for i := range n {
		// Runs of varying length on each channel, as a hub sending to a
		// connection, a group and a user in turn would produce.
		ch := channels[(i/(1+i%3))%len(channels)]
		require.NoError(t, pub.Publish(ctx, ch, []byte(strconv.Itoa(i))))
	}
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= n
	}, waitTimeout, tick)
	mu.Lock()
	defer mu.Unlock()
	for i, v := range got {
		require.Equal(t, i, v, "message %d arrived out of the publisher's order", i)
	}
}
