package hub_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/listhub/listhub/hub"
)

// Item is how a list item travels, with the same keys over JSON and
// MessagePack: json tags name the fields for both protocols.
type Item struct {
	Name string `json:"name"`
	Qty  int    `json:"qty"`
	Note string `json:"note,omitempty"`
}

// serveHub mounts srv on a test server, as an application mounts it on its
// mux, and returns the hub's URL.
func serveHub(srv *hub.Server) (url string, stop func()) {
	mux := http.NewServeMux()
	mux.Handle("/hubs/list", srv)
	mux.Handle("/hubs/list/negotiate", srv)
	web := httptest.NewServer(mux)
	return web.URL + "/hubs/list", func() {
		_ = srv.Close()
		web.Close()
	}
}

// quiet is a logger for examples whose failures are expected.
var quiet = slog.New(slog.DiscardHandler)

// Typed methods: arguments are bound to the parameter types, the result is
// sent back, and errors come in two kinds. An *hub.Error (hub.Errorf)
// reaches the client; any other error shows only a generic message to the
// client and is logged on the server with its text.
func Example_typedMethods() {
	srv, err := hub.New(hub.Config{Logger: quiet})
	if err != nil {
		log.Fatal(err)
	}
	err = errors.Join(
		srv.Register("Double", func(it Item) (Item, error) {
			if it.Qty <= 0 {
				return Item{}, hub.Errorf("quantity must be positive, got %d", it.Qty)
			}
			it.Qty *= 2
			return it, nil
		}),
		srv.Register("Save", func(ctx context.Context, it Item) error {
			return errors.New("database is down") // the client sees a generic text
		}),
	)
	if err != nil {
		log.Fatal(err)
	}
	url, stop := serveHub(srv)
	defer stop()

	client := connect(url)
	defer client.CloseNow()
	fmt.Println(call(client, `{"type":1,"invocationId":"1","target":"Double","arguments":[{"name":"milk","qty":2}]}`))
	fmt.Println(call(client, `{"type":1,"invocationId":"2","target":"Double","arguments":[{"name":"milk","qty":0}]}`))
	fmt.Println(call(client, `{"type":1,"invocationId":"3","target":"Save","arguments":[{"name":"milk"}]}`))
	fmt.Println(call(client, `{"type":1,"invocationId":"4","target":"Double","arguments":["milk"]}`))
	// Output:
	// {"type":3,"invocationId":"1","result":{"name":"milk","qty":4}}
	// {"type":3,"invocationId":"2","error":"An unexpected error occurred invoking 'Double' on the server. HubException: quantity must be positive, got 0"}
	// {"type":3,"invocationId":"3","error":"An unexpected error occurred invoking 'Save' on the server."}
	// {"type":3,"invocationId":"4","error":"Failed to invoke 'Double' due to an error on the server."}
}

// The server log tells what went wrong when a call fails: here a method's
// error, and arguments that do not bind, with the method, the user and the
// reason. (The connection id is left out to keep the output stable.)
func Example_serverLog() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "connection" {
				return slog.Attr{}
			}
			return a
		},
	}))
	srv, err := hub.New(hub.Config{Logger: logger})
	if err != nil {
		log.Fatal(err)
	}
	_ = srv.Register("Save", func(it Item) error { return errors.New("database is down") })
	url, stop := serveHub(srv)
	defer stop()

	client := connect(url)
	defer client.CloseNow()
	call(client, `{"type":1,"invocationId":"1","target":"Save","arguments":[{"name":"milk"}]}`)
	call(client, `{"type":1,"invocationId":"2","target":"Save","arguments":[42]}`)
	call(client, `{"type":1,"invocationId":"3","target":"Sve","arguments":[]}`)
	// Output:
	// level=ERROR msg="hub: method failed; the client sees only a generic message (return a *hub.Error to show it one, or set hub.Config.EnableDetailedErrors in development)" method=Save user="" protocol=json err="database is down"
	// level=WARN msg="hub: argument does not bind to the parameter's type" method=Save user="" protocol=json argument=0 type=hub_test.Item err="protocol: bind: json: cannot unmarshal number into Go value of type hub_test.Item"
	// level=WARN msg="hub: call of a method that is not registered" method=Sve user="" protocol=json
}

// A server-to-client stream: a method returning iter.Seq[T] (or <-chan T,
// or iter.Seq2[T, error]) sends each item as the client's stream() reads
// it; the client's cancel stops it through the context.
func Example_serverStream() {
	srv, err := hub.New(hub.Config{})
	if err != nil {
		log.Fatal(err)
	}
	_ = srv.Register("Countdown", func(c *hub.Context, from int) iter.Seq[int] {
		return func(yield func(int) bool) {
			for i := from; i > 0 && c.Err() == nil; i-- {
				if !yield(i) {
					return
				}
			}
		}
	})
	url, stop := serveHub(srv)
	defer stop()

	client := connect(url)
	defer client.CloseNow()
	send(client, `{"type":4,"invocationId":"1","target":"Countdown","arguments":[3]}`)
	for _, m := range readN(client, 4) {
		fmt.Println(m)
	}
	// Output:
	// {"type":2,"invocationId":"1","item":3}
	// {"type":2,"invocationId":"1","item":2}
	// {"type":2,"invocationId":"1","item":1}
	// {"type":3,"invocationId":"1"}
}

// A client-to-server (upload) stream: a parameter of type iter.Seq2[T,
// error] (or iter.Seq[T], or <-chan T) receives the items the client sends
// on a Subject; the loop ends when the client completes the stream.
func Example_uploadStream() {
	srv, err := hub.New(hub.Config{})
	if err != nil {
		log.Fatal(err)
	}
	_ = srv.Register("AddAll", func(list string, items iter.Seq2[Item, error]) (int, error) {
		n := 0
		for it, err := range items {
			if err != nil {
				return n, err // the client's stream failed
			}
			n += it.Qty
		}
		return n, nil
	})
	url, stop := serveHub(srv)
	defer stop()

	client := connect(url)
	defer client.CloseNow()
	send(client, `{"type":1,"invocationId":"1","target":"AddAll","arguments":["groceries"],"streamIds":["s1"]}`)
	send(client, `{"type":2,"invocationId":"s1","item":{"name":"milk","qty":2}}`)
	send(client, `{"type":2,"invocationId":"s1","item":{"name":"eggs","qty":12}}`)
	fmt.Println(call(client, `{"type":3,"invocationId":"s1"}`))
	// Output:
	// {"type":3,"invocationId":"1","result":14}
}

// Client results: a hub method (or any code holding the Server) asks one
// client for a value and waits for its answer, as the JS client's
// connection.on("Confirm", async (...) => value) answers it.
func Example_clientResults() {
	srv, err := hub.New(hub.Config{})
	if err != nil {
		log.Fatal(err)
	}
	_ = srv.Register("Clear", func(c *hub.Context, list string) (string, error) {
		ok, err := hub.Invoke[bool](c, c.Clients().Caller(), "Confirm", "Clear "+list+"?")
		if err != nil {
			return "", err
		}
		if !ok {
			return "kept", nil
		}
		return "cleared", nil
	})
	url, stop := serveHub(srv)
	defer stop()

	client := connect(url)
	defer client.CloseNow()
	question := call(client, `{"type":1,"invocationId":"1","target":"Clear","arguments":["groceries"]}`)
	fmt.Println(question)
	// The client answers with a Completion for the server's invocation id.
	id := strings.Split(strings.Split(question, `"invocationId":"`)[1], `"`)[0]
	fmt.Println(call(client, `{"type":3,"invocationId":"`+id+`","result":true}`))
	// Output:
	// {"type":1,"invocationId":"s1","target":"Confirm","arguments":["Clear groceries?"]}
	// {"type":3,"invocationId":"1","result":"cleared"}
}

// send writes one JSON hub message without waiting for an answer.
func send(ws *websocket.Conn, msg string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageText, []byte(msg+"\x1e")); err != nil {
		log.Fatal(err)
	}
}

// readN returns the next n messages that are not Pings, however the server
// grouped them into frames.
func readN(ws *websocket.Conn, n int) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out []string
	for len(out) < n {
		_, data, err := ws.Read(ctx)
		if err != nil {
			log.Fatal(err)
		}
		for _, m := range strings.Split(strings.TrimSuffix(string(data), "\x1e"), "\x1e") {
			if m != `{"type":6}` {
				out = append(out, m)
			}
		}
	}
	return out
}
