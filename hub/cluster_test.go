package hub

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/backplane"
	"github.com/listhub/listhub/internal/redistest"
	"github.com/listhub/listhub/protocol"
)

// testNode is one hub of a test cluster and its backplane node.
type testNode struct {
	srv *Server
	url string
	bp  *backplane.Memory
}

// testCluster starts n hubs on one MemoryBus, each with its own backplane
// node, configured by cfg and set up by setup (nil for none). The nodes are
// closed after the hubs when the test ends.
func testCluster(t testing.TB, n int, cfg Config, setup func(s *Server)) ([]*testNode, *backplane.MemoryBus) {
	t.Helper()
	bus := backplane.NewMemoryBus()
	nodes := make([]*testNode, n)
	for i := range nodes {
		bp := bus.Node()
		t.Cleanup(func() { assert.NoError(t, bp.Close()) })
		c := cfg
		c.Backplane = bp
		s, url := testServer(t, c, setup)
		nodes[i] = &testNode{srv: s, url: url, bp: bp}
	}
	return nodes, bus
}

// topology is how many hubs share one MemoryBus; one hub uses its own
// private backplane, as a single server does.
type topology int

func (n topology) String() string { return fmt.Sprintf("%d-node", int(n)) }

// mode is one combination of the hub test matrix.
type mode struct {
	codec     protocol.Codec
	nodes     topology
	transport transport // "" means WebSockets
	// redis puts the hubs on the Redis backplane (backplane/redis) and a
	// redis-server started by the test instead of a MemoryBus.
	redis bool
}

func (m mode) String() string {
	s := m.codec.Name() + "/" + m.nodes.String()
	if m.transport != "" && m.transport != webSockets {
		s += "/" + string(m.transport)
	}
	if m.redis {
		s += "/redis"
	}
	return s
}

// allModes is the matrix that behaviour tests run in: every codec in every
// topology, and every codec on two hubs on Redis.
var allModes = func() []mode {
	var ms []mode
	for _, n := range []topology{1, 2, 3} {
		for _, c := range codecs {
			ms = append(ms, mode{codec: c, nodes: n})
		}
	}
	for _, c := range codecs {
		ms = append(ms, mode{codec: c, nodes: 2, redis: true})
	}
	return ms
}()

// withTransports is allModes plus, where the transport matters (order
// and delivery), long polling with every codec on one and two hubs.
var withTransports = func() []mode {
	ms := append([]mode(nil), allModes...)
	for _, n := range []topology{1, 2} {
		for _, c := range codecs {
			ms = append(ms, mode{codec: c, nodes: n, transport: longPolling})
		}
	}
	return ms
}()

// run runs f once per mode, as a subtest named after it, the way net/http's
// tests run in every HTTP mode.
func run(t *testing.T, f func(t *testing.T, m mode), modes ...mode) {
	if len(modes) == 0 {
		modes = allModes
	}
	for _, m := range modes {
		t.Run(m.String(), func(t *testing.T) { f(t, m) })
	}
}

// start starts m's topology: a single hub on its own backplane, or
// m.nodes hubs on one MemoryBus or on one redis-server.
func (m mode) start(t *testing.T, cfg Config, setup func(s *Server)) []*testNode {
	t.Helper()
	if m.redis {
		return redisCluster(t, int(m.nodes), cfg, setup, redistest.Start(t).Addr())
	}
	if m.nodes <= 1 {
		s, url := testServer(t, cfg, setup)
		return []*testNode{{srv: s, url: url}}
	}
	nodes, _ := testCluster(t, int(m.nodes), cfg, setup)
	return nodes
}

// recvString reads the next invocation and returns its target and first
// argument as a string.
func (c *testClient) recvString() (target, arg string) {
	c.t.Helper()
	inv, ok := c.recv().(*protocol.Invocation)
	require.True(c.t, ok, "not an invocation")
	if len(inv.Arguments) > 0 {
		c.bind(inv.Arguments[0], &arg)
	}
	return inv.Target, arg
}

// expectString reads the next invocation and checks its first argument.
func (c *testClient) expectString(want string, msgAndArgs ...any) {
	c.t.Helper()
	_, got := c.recvString()
	require.Equal(c.t, want, got, msgAndArgs...)
}
