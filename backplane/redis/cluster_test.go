package redis

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/internal/redistest"
)

// TestClusterShardedSpread checks that on a cluster client the backplane
// uses sharded pub/sub and that its channels spread over all three masters,
// none of them left to classic pub/sub.
func TestClusterShardedSpread(t *testing.T) {
	cluster := redistest.StartCluster(t)
	node := newNode(t, clusterClient(t, cluster.Addrs()), testOptions())
	require.True(t, node.sharded)
	ctx := t.Context()
	for i := range 64 {
		require.NoError(t, node.Subscribe(ctx, "listhub:group:g"+strconv.Itoa(i), func(string, []byte) {}))
	}

	total := 0
	for _, addr := range cluster.Addrs() {
		c := singleClient(t, addr)
		shard, err := c.PubSubShardChannels(ctx, "*").Result()
		require.NoError(t, err)
		classic, err := c.PubSubChannels(ctx, "*").Result()
		require.NoError(t, err)
		groups := 0
		for _, ch := range shard {
			if strings.Contains(ch, "listhub:group:") {
				groups++
			}
		}
		assert.Positive(t, groups, "master %s carries none of the channels", addr)
		assert.Empty(t, classic, "master %s has classic subscriptions", addr)
		total += groups
	}
	assert.Equal(t, 64, total, "every channel is subscribed once, on the master owning its slot")
}

func TestSlotTagsSpread(t *testing.T) {
	for _, n := range []int{1, 3, 16, 64} {
		tags := slotTags(n)
		require.Len(t, tags, n)
		for i, tag := range tags {
			slot := int(crc16(tag)) % clusterSlots
			assert.GreaterOrEqual(t, slot, i*clusterSlots/n, "tag %q", tag)
			assert.Less(t, slot, (i+1)*clusterSlots/n, "tag %q", tag)
		}
	}
	// crc16 is Redis's: the slot of "foo" is 12182 (CLUSTER KEYSLOT foo).
	assert.Equal(t, 12182, int(crc16("foo"))%clusterSlots)
}
