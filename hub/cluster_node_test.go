package hub

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/backplane"
	"github.com/listhub/listhub/protocol"
)

// A node that dies fails every wait on it at once: a pending client result
// ends with the official "disconnected" text, and its connections are
// unknown from then on.
func TestClusterDeadOwner(t *testing.T) {
	for _, n := range []int{2, 3} {
		t.Run(topology(n).String(), func(t *testing.T) {
			// A long timeout: only the news of the death may end the waits.
			nodes, bus := testCluster(t, n, Config{RemoteCommandTimeout: time.Minute}, nil)
			c := dial(t, nodes[0].url, protocol.JSON{})
			s := last(nodes).srv
			got := make(chan error, 1)
			go func() {
				_, err := Invoke[int](context.Background(), s.Clients().Client(c.id), "Result")
				got <- err
			}()
			c.recv() // the client has the invocation; it never answers

			require.True(t, bus.Kill(nodes[0].bp.NodeID()))
			select {
			case err := <-got:
				assert.EqualError(t, err, fmt.Sprintf("Connection '%s' disconnected.", c.id))
			case <-time.After(30 * time.Second):
				t.Fatal("the wait on a dead node did not end")
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			require.ErrorIs(t, s.Groups().Add(ctx, c.id, "g"), ErrConnectionNotFound)
		})
	}
}

// A live node that does not answer (here, a backplane node with no hub on
// it) makes a command fail after Config.RemoteCommandTimeout.
func TestClusterSilentNodeTimesOut(t *testing.T) {
	nodes, bus := testCluster(t, 2, Config{RemoteCommandTimeout: 200 * time.Millisecond}, nil)
	silent := bus.Node()
	t.Cleanup(func() { _ = silent.Close() })
	err := nodes[0].srv.Groups().Add(context.Background(), "nobody", "g")
	require.ErrorIs(t, err, ErrNodeTimeout)

	// Once the silent node is gone, the same question is answered at once.
	require.NoError(t, silent.Close())
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	require.ErrorIs(t, nodes[0].srv.Groups().Add(ctx, "nobody", "g"), ErrConnectionNotFound)
}

// Local first: with its backplane gone, a node still delivers between its
// own clients, and Send reports the backplane's error.
func TestClusterLocalDeliveryWithoutBackplane(t *testing.T) {
	nodes, _ := testCluster(t, 2, Config{}, nil)
	ctx := context.Background()
	s := nodes[0].srv
	a, b := dial(t, nodes[0].url, protocol.JSON{}), dial(t, nodes[0].url, protocol.MessagePack{})
	require.NoError(t, s.Groups().Add(ctx, a.id, "g"))
	require.NoError(t, s.Groups().Add(ctx, b.id, "g"))

	require.NoError(t, nodes[0].bp.Close())
	err := s.Clients().Group("g").Send(ctx, "Msg", "local")
	require.ErrorIs(t, err, backplane.ErrClosed)
	a.expectString("local")
	b.expectString("local")
	require.NoError(t, s.Clients().Client(b.id).Send(ctx, "Msg", "direct"))
	b.expectString("direct")
}

// flakyBackplane fails Subscribe of the channels that contain failOn.
type flakyBackplane struct {
	*backplane.Memory
	mu     sync.Mutex
	failOn string
}

func (f *flakyBackplane) Subscribe(ctx context.Context, channel string, r backplane.Receiver) error {
	f.mu.Lock()
	fail := f.failOn != "" && strings.Contains(channel, f.failOn)
	f.mu.Unlock()
	if fail {
		return errors.New("subscribe failed")
	}
	return f.Memory.Subscribe(ctx, channel, r)
}

func (f *flakyBackplane) setFailOn(s string) {
	f.mu.Lock()
	f.failOn = s
	f.mu.Unlock()
}

// When the subscription of a group's first member fails, the join fails and
// leaves nothing behind: the next join subscribes and receives.
func TestClusterFailedSubscribeRollsBack(t *testing.T) {
	bus := backplane.NewMemoryBus()
	flaky := &flakyBackplane{Memory: bus.Node()}
	other := bus.Node()
	t.Cleanup(func() { _ = flaky.Close(); _ = other.Close() })
	s, url := testServer(t, Config{Backplane: flaky}, nil)
	sender, _ := testServer(t, Config{Backplane: other}, nil)
	c := dial(t, url, protocol.JSON{})
	ctx := context.Background()

	flaky.setFailOn("g:g")
	require.ErrorContains(t, s.Groups().Add(ctx, c.id, "g"), "subscribe failed")
	require.False(t, s.local.isMember(c.id, "g"), "a failed join left a membership")
	// Remotely too: the owner's failure comes back as the answer.
	require.ErrorContains(t, sender.Groups().Add(ctx, c.id, "g"), "subscribe failed")

	flaky.setFailOn("")
	require.NoError(t, sender.Groups().Add(ctx, c.id, "g"))
	require.NoError(t, sender.Clients().Group("g").Send(ctx, "Msg", "remote"))
	c.expectString("remote")
}

func TestWatchMembers(t *testing.T) {
	nodes, _ := testCluster(t, 2, Config{Authenticator: userFromQuery}, nil)
	var mu sync.Mutex
	var events []MemberEvent
	stop := nodes[0].srv.WatchMembers(func(e MemberEvent) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	})
	defer stop()
	ctx := context.Background()
	c := dial(t, nodes[0].url+"?user=ann", protocol.JSON{})
	require.NoError(t, nodes[1].srv.Groups().Add(ctx, c.id, "g"))
	require.NoError(t, nodes[1].srv.Groups().Add(ctx, c.id, "h"))
	require.NoError(t, nodes[1].srv.Groups().Remove(ctx, c.id, "g"))
	_ = c.ws.CloseNow()
	want := []MemberEvent{
		{Kind: MemberConnected, ConnectionID: c.id, UserID: "ann"},
		{Kind: MemberJoined, ConnectionID: c.id, UserID: "ann", Group: "g"},
		{Kind: MemberJoined, ConnectionID: c.id, UserID: "ann", Group: "h"},
		{Kind: MemberLeft, ConnectionID: c.id, UserID: "ann", Group: "g"},
		{Kind: MemberLeft, ConnectionID: c.id, UserID: "ann", Group: "h"},
		{Kind: MemberDisconnected, ConnectionID: c.id, UserID: "ann"},
	}
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(events) >= len(want)
	}, 10*time.Second, time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, want, events)
}

// Payloads of an unknown version, of an unknown kind or malformed are
// dropped without harm, on every channel a node listens to.
func TestClusterDropsBadPayloads(t *testing.T) {
	nodes, bus := testCluster(t, 2, Config{}, nil)
	c := dial(t, nodes[0].url, protocol.JSON{})
	ctx := context.Background()
	require.NoError(t, nodes[1].srv.Groups().Add(ctx, c.id, "g"))
	stranger := bus.Node()
	t.Cleanup(func() { _ = stranger.Close() })
	s := nodes[0].srv
	channels := []string{s.channelAll(), s.channelGroup("g"), s.channelConn(c.id), s.inboxOf(s.NodeID())}
	bad := [][]byte{
		nil,
		{0},
		{2, 'M', 0},                          // unknown version
		{0x93, 0xa1, 'x'},                    // a MessagePack array, as ASP.NET's backplane sends
		{1, 'Z', 0},                          // unknown kind
		{1, 'M', 5, 'a'},                     // origin cut short
		{1, 'M', 1, 'x', 9},                  // message cut short
		{1, 'C', 1, 'x', 1, 'A'},             // command cut short
		{1, 'R', 1, 'x', 7, 'D', 0, 0, 2, 0}, // reply with a bad flag
		{1, 'M', 1, 'x', 0, 1, 0, 0xff, 0xff, 0xff, 0xff}, // frame longer than the payload
	}
	for _, ch := range channels {
		for _, p := range bad {
			require.NoError(t, stranger.Publish(ctx, ch, p))
		}
	}
	require.NoError(t, nodes[1].srv.Clients().Group("g").Send(ctx, "Msg", "still-works"))
	c.expectString("still-works")
}
