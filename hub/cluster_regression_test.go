package hub

// Regression tests for the two defects of the node core found when it was
// tried as a user would (issue 8). Each failed before its fix.

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/protocol"
)

// A join with a done context recorded the membership but never subscribed
// the group's channel, so no later member of the node received the group's
// messages.
func TestRegressionCancelledJoinBreaksGroup(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		nodes := m.start(t, Config{}, nil)
		home, sender := nodes[0], nodes[len(nodes)-1]
		a, b := dial(t, home.url, m.codec), dial(t, home.url, m.codec)
		cancelled, cancel := context.WithCancel(context.Background())
		cancel()
		require.ErrorIs(t, home.srv.Groups().Add(cancelled, a.id, "g"), context.Canceled)
		require.NoError(t, home.srv.Groups().Add(context.Background(), b.id, "g"))

		require.NoError(t, sender.srv.Clients().Group("g").Send(context.Background(), "Msg", "to-group"))
		require.NoError(t, sender.srv.Clients().All().Send(context.Background(), "Msg", "to-all"))
		b.expectString("to-group", "a member that joined after a cancelled join gets the group's messages")
		b.expectString("to-all")
		a.expectString("to-all", "the cancelled join did not happen")
	}, mode{codec: protocol.JSON{}, nodes: 1}, mode{codec: protocol.MessagePack{}, nodes: 2})
}

// Group commands for a connection of another node each ran on their own
// goroutine, so an Add and the Remove after it could apply in reverse and
// leave the connection in the group.
func TestRegressionRemoteAddRemoveInOrder(t *testing.T) {
	const pairs = 2000
	nodes, _ := testCluster(t, 2, Config{}, nil)
	owner, other := nodes[0], nodes[1]
	c := dial(t, owner.url, protocol.JSON{})
	ctx := context.Background()
	group := func(i int) string { return "g" + strconv.Itoa(i) }
	for i := range pairs {
		require.NoError(t, other.srv.Groups().Add(ctx, c.id, group(i)))
		require.NoError(t, other.srv.Groups().Remove(ctx, c.id, group(i)))
	}
	// Before the fix, commands still in flight could land in any order: wait
	// for the owner to settle, then check what it settled on.
	stillIn := func() []string {
		var in []string
		for i := range pairs {
			if owner.srv.local.isMember(c.id, group(i)) {
				in = append(in, group(i))
			}
		}
		return in
	}
	require.Eventually(t, func() bool { return len(stillIn()) == 0 }, 5*time.Second, 10*time.Millisecond,
		"the connection is still in groups it was added to and removed from")
	for i := range pairs {
		require.NoError(t, other.srv.Clients().Group(group(i)).Send(ctx, "Msg", "to-group"))
	}
	require.NoError(t, other.srv.Clients().Client(c.id).Send(ctx, "Msg", "marker"))
	c.expectString("marker", "the connection received a message of a group it left")
}
