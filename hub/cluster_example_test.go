package hub_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/listhub/listhub/backplane"
	"github.com/listhub/listhub/hub"
)

// Two hubs on one bus form a cluster: each serves its own connections, and
// a group change for a connection of the other node is answered by that
// node. A connection that no node has is an error at once, not a hang.
func Example_cluster() {
	bus := backplane.NewMemoryBus()
	nodeA, nodeB := bus.Node(), bus.Node()
	defer nodeA.Close()
	defer nodeB.Close()

	a, err := hub.New(hub.Config{Backplane: nodeA})
	if err != nil {
		panic(err)
	}
	defer a.Close()
	b, err := hub.New(hub.Config{Backplane: nodeB})
	if err != nil {
		panic(err)
	}
	defer b.Close()

	err = b.Groups().Add(context.Background(), "no-such-connection", "kitchen")
	fmt.Println(errors.Is(err, hub.ErrConnectionNotFound))
	// Output: true
}
