package redisstore_test

import (
	"context"
	"log"

	"github.com/redis/go-redis/v9"

	"github.com/listhub/listhub/presence"
	"github.com/listhub/listhub/presence/redisstore"
)

// Share presence between nodes through Redis (or Redis Cluster, with
// redis.NewClusterClient). Every node runs the same code; each transition is
// reported on exactly one of them.
func ExampleNew() {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()
	store, err := redisstore.New(client, redisstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	tracker, err := presence.NewTracker(store, presence.Options{
		OnEvent: func(ev presence.Event) {
			// Send to the topic's hub group: it reaches its members on every
			// node through the hub's backplane.
			log.Println(ev.Kind, ev.Topic, ev.Member.UserID)
		},
	})
	if err != nil {
		log.Fatal(err) // Redis unreachable: the node cannot register
	}
	defer tracker.Close(context.Background())
}
