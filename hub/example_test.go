package hub_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/listhub/listhub/hub"
	"github.com/listhub/listhub/protocol"
)

// Define a hub with two methods, mount it, and let an HTTP handler notify a
// list's group after a (pretend) database write.
func Example() {
	srv, err := hub.New(hub.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	// Clients open a list to follow its changes.
	_ = srv.Register("Open", func(c *hub.Context, list string) error {
		return c.Groups().Add(c, c.ConnectionID(), list)
	})
	_ = srv.Register("Echo", func(text string) string { return text })

	mux := http.NewServeMux()
	mux.Handle("/hubs/list", srv)
	mux.Handle("/hubs/list/negotiate", srv)
	mux.HandleFunc("POST /lists/{id}/items", func(w http.ResponseWriter, r *http.Request) {
		// ... write to the database, then tell everyone looking at the list.
		if err := srv.Clients().Group(r.PathValue("id")).Send(r.Context(), "ItemAdded", r.PathValue("id"), "milk"); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
	web := httptest.NewServer(mux)
	defer web.Close()

	// A client (normally @microsoft/signalr in a browser) opens list 42.
	client := connect(web.URL + "/hubs/list")
	defer client.CloseNow()
	fmt.Println(call(client, `{"type":1,"invocationId":"1","target":"Open","arguments":["42"]}`))

	res, err := http.Post(web.URL+"/lists/42/items", "application/json", nil)
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	fmt.Println(read(client))
	// Output:
	// {"type":3,"invocationId":"1","result":null}
	// {"type":1,"target":"ItemAdded","arguments":["42","milk"]}
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

func call(ws *websocket.Conn, msg string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageText, []byte(msg+"\x1e")); err != nil {
		log.Fatal(err)
	}
	return read(ws)
}

// read returns the next frame's first message that is not a Ping.
func read(ws *websocket.Conn) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			log.Fatal(err)
		}
		for _, m := range strings.Split(strings.TrimSuffix(string(data), "\x1e"), "\x1e") {
			if m != `{"type":6}` {
				return m
			}
		}
	}
}
