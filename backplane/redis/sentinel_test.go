package redis

import (
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/internal/redistest"
)

// TestSentinelFailover runs two nodes on a Sentinel-managed master with one
// replica, kills the master under traffic and lets Sentinel promote the
// replica: the nodes follow the new master, and every message published
// during and after the failover, and before it but for those the dead master
// held, arrives, once and in order.
func TestSentinelFailover(t *testing.T) {
	const masterName = "listhub"
	master := redistest.Start(t)
	replica := redistest.StartReplica(t, master)
	sentinel := redistest.StartSentinel(t, masterName, master)
	sentinelSays := func(want string) func() bool {
		return func() bool {
			info, err := sentinel.Do("INFO", "sentinel")
			return err == nil && strings.Contains(info, want)
		}
	}
	require.Eventually(t, sentinelSays("slaves=1"), waitTimeout, 20*time.Millisecond, "Sentinel did not find the replica")

	newClient := func() goredis.UniversalClient {
		c := goredis.NewFailoverClient(&goredis.FailoverOptions{
			MasterName:    masterName,
			SentinelAddrs: []string{sentinel.Addr()},
		})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	opts := &Options{Logger: quietLogger(), NodeName: "sentinel"}
	pub := newNode(t, newClient(), opts)
	sub := newNode(t, newClient(), opts)
	ctx := t.Context()
	atSub := &seqRecorder{}
	require.NoError(t, sub.Subscribe(ctx, "traffic", atSub.receive))

	published := startTraffic(t, pub, "traffic")

	require.Eventually(t, func() bool { return atSub.count() >= 200 }, waitTimeout, tick)
	killed := time.Now()
	inFlight := int(published.Load()) - 50
	master.Kill()
	require.Eventually(t, func() bool { return pub.Health().State == StateDown }, waitTimeout, tick,
		"the publisher did not notice the outage")
	noticed := int(published.Load())
	require.Eventually(t, sentinelSays("address=127.0.0.1:"+strconv.Itoa(replica.Port())), 30*time.Second, 20*time.Millisecond,
		"Sentinel did not promote the replica")
	promoted := time.Now()
	firstAfter := int(published.Load())
	require.Eventually(t, func() bool { _, ok := atSub.firstAtLeast(firstAfter); return ok }, 30*time.Second, tick,
		"no message published after the failover arrived")
	flowing, _ := atSub.firstAtLeast(firstAfter)
	published.stop()
	total := int(published.Load())
	require.Eventually(t, func() bool { _, ok := atSub.firstAtLeast(total - 1); return ok }, waitTimeout, tick,
		"the last message did not arrive")
	time.Sleep(50 * time.Millisecond) // room for a duplicate to show up
	lost := atSub.requireNoLossOutside(t, total, inFlight, noticed, "the other node")
	assert.Zero(t, pub.Health().Dropped)
	t.Logf("Sentinel promoted the replica %v after the kill; messages flowed again %v after that; "+
		"%d messages, none lost but %d that the dead master held", promoted.Sub(killed).Round(time.Millisecond),
		flowing.Sub(promoted).Round(time.Millisecond), total, lost)
}
