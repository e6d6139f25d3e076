package hub

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/protocol"
)

// BenchmarkRemoteGroupAdd measures an acknowledged group change of a
// connection on another node of a MemoryBus: one op is an Add and a
// Remove, each waiting for the owner's answer.
func BenchmarkRemoteGroupAdd(b *testing.B) {
	nodes, _ := testCluster(b, 2, Config{}, nil)
	c := dial(b, nodes[0].url, protocol.JSON{})
	groups := nodes[1].srv.Groups()
	ctx := context.Background()
	require.NoError(b, groups.Add(ctx, c.id, "g")) // learns the owner
	b.ReportAllocs()
	for b.Loop() {
		if err := groups.Remove(ctx, c.id, "g"); err != nil {
			b.Fatal(err)
		}
		if err := groups.Add(ctx, c.id, "g"); err != nil {
			b.Fatal(err)
		}
	}
}
