package backplane_test

import (
	"context"
	"fmt"

	"github.com/listhub/listhub/backplane"
)

// Two nodes on one bus: a message published on one node reaches the other
// node, which subscribed to the channel.
func ExampleMemoryBus() {
	ctx := context.Background()
	bus := backplane.NewMemoryBus()
	a, b := bus.Node(), bus.Node()
	defer a.Close()
	defer b.Close()

	err := b.Subscribe(ctx, "group:kitchen", func(channel string, payload []byte) {
		fmt.Printf("node b got %q on %s\n", payload, channel)
	})
	if err != nil {
		panic(err)
	}
	if err := a.Publish(ctx, "group:kitchen", []byte("milk added")); err != nil {
		panic(err)
	}

	// Once b unsubscribes, its receiver is not called again.
	if err := b.Unsubscribe(ctx, "group:kitchen"); err != nil {
		panic(err)
	}
	if err := a.Publish(ctx, "group:kitchen", []byte("eggs added")); err != nil {
		panic(err)
	}
	// Output:
	// node b got "milk added" on group:kitchen
}
