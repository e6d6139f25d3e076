package presence_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/listhub/listhub/auth"
	"github.com/listhub/listhub/hub"
	"github.com/listhub/listhub/presence"
	"github.com/listhub/listhub/protocol"
)

// user is how the example's clients see a member.
type user struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

func userOf(m presence.Member) user { return user{ID: m.UserID, DisplayName: m.Meta["displayName"]} }

// Wire a tracker to a hub: JoinList joins the list's presence and group and
// sends the caller the snapshot, OnDisconnected hands the connection to the
// tracker's grace, and every presence event goes to the list's group. With
// several nodes, pass a redisstore.Store instead of the memory store and a
// shared backplane to the hub: each event is reported on exactly one node and
// reaches the group on all of them.
func Example() {
	var tracker *presence.Tracker
	srv, err := hub.New(hub.Config{
		// A stand-in for real authentication (auth.NewJWT): ?user=alice.
		Authenticator: auth.AuthenticatorFunc(func(r *http.Request) (*auth.Identity, error) {
			id := r.URL.Query().Get("user")
			return &auth.Identity{UserID: id, Name: strings.ToUpper(id[:1]) + id[1:]}, nil
		}),
		OnDisconnected: func(c *hub.Context, err error) {
			_ = tracker.Disconnect(c, c.ConnectionID()) // Left after the grace, unless they come back
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	tracker, err = presence.NewTracker(presence.NewMemoryStore(), presence.Options{
		Grace:        100 * time.Millisecond, // default 5 s; short for the example
		TickInterval: 50 * time.Millisecond,
		OnEvent: func(ev presence.Event) {
			ctx := context.Background()
			switch ev.Kind {
			case presence.Joined:
				_ = srv.Clients().Group(ev.Topic).Send(ctx, "UserJoined", map[string]any{"listId": ev.Topic, "user": userOf(ev.Member)})
			case presence.Left:
				_ = srv.Clients().Group(ev.Topic).Send(ctx, "UserLeft", map[string]any{"listId": ev.Topic, "userId": ev.Member.UserID})
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer tracker.Close(context.Background())

	_ = srv.Register("JoinList", func(c *hub.Context, list string) error {
		meta := map[string]string{"displayName": c.Identity().Name}
		if err := tracker.Join(c, list, c.UserID(), c.ConnectionID(), meta); err != nil {
			return err
		}
		if err := c.Groups().Add(c, c.ConnectionID(), list); err != nil {
			return err
		}
		// Taken after joining the group: an event between the two is in
		// both, and the client drops events not newer than snap.Version.
		snap, err := tracker.Snapshot(c, list)
		if err != nil {
			return err
		}
		users := make([]user, len(snap.Members))
		for i, m := range snap.Members {
			users[i] = userOf(m)
		}
		return c.Clients().Caller().Send(c, "PresenceUpdate", map[string]any{"listId": list, "activeUsers": users})
	})
	_ = srv.Register("UpdatePresence", func(c *hub.Context, list string) {
		tracker.Heartbeat(list, c.ConnectionID()) // every 30 s; no network call
	})

	web := httptest.NewServer(srv)
	defer web.Close()

	alice := connect(web.URL + "/?user=alice")
	defer alice.CloseNow()
	fmt.Println(call(alice, `{"type":1,"invocationId":"1","target":"JoinList","arguments":["42"]}`))
	fmt.Println(read(alice))

	bob := connect(web.URL + "/?user=bob")
	fmt.Println(call(bob, `{"type":1,"invocationId":"1","target":"JoinList","arguments":["42"]}`))
	fmt.Println(read(alice))

	bob.CloseNow() // the tab closes: bob leaves after the grace
	fmt.Println(read(alice))
	// Output:
	// {"type":1,"target":"PresenceUpdate","arguments":[{"activeUsers":[{"id":"alice","displayName":"Alice"}],"listId":"42"}]}
	// {"type":3,"invocationId":"1","result":null}
	// {"type":1,"target":"PresenceUpdate","arguments":[{"activeUsers":[{"id":"alice","displayName":"Alice"},{"id":"bob","displayName":"Bob"}],"listId":"42"}]}
	// {"type":1,"target":"UserJoined","arguments":[{"listId":"42","user":{"id":"bob","displayName":"Bob"}}]}
	// {"type":1,"target":"UserLeft","arguments":[{"listId":"42","userId":"bob"}]}
}

// connect opens a WebSocket to the hub, skipping negotiation, and completes
// the JSON handshake.
func connect(url string) *websocket.Conn {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http"), nil)
	if err != nil {
		log.Fatal(err)
	}
	hs := protocol.AppendHandshakeRequest(nil, protocol.HandshakeRequest{Protocol: "json", Version: 1})
	if err := ws.Write(ctx, websocket.MessageText, hs); err != nil {
		log.Fatal(err)
	}
	if got := read(ws); got != "{}" {
		log.Fatalf("handshake: %s", got)
	}
	return ws
}

// call sends one message and returns the first message that comes back.
func call(ws *websocket.Conn, msg string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageText, []byte(msg+"\x1e")); err != nil {
		log.Fatal(err)
	}
	return read(ws)
}

// pending holds messages that arrived in one frame with an earlier one.
var pending = map[*websocket.Conn][]string{}

// read returns the connection's next message that is not a Ping.
func read(ws *websocket.Conn) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for len(pending[ws]) == 0 {
		_, data, err := ws.Read(ctx)
		if err != nil {
			log.Fatal(err)
		}
		for _, m := range strings.Split(strings.TrimSuffix(string(data), "\x1e"), "\x1e") {
			if m != `{"type":6}` {
				pending[ws] = append(pending[ws], m)
			}
		}
	}
	m := pending[ws][0]
	pending[ws] = pending[ws][1:]
	return m
}
