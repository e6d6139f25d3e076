package hub_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/listhub/listhub/auth"
	"github.com/listhub/listhub/hub"
)

// JWT wiring: the Authenticator checks the token of every request of a
// connection (the official clients send accessTokenFactory's token as
// "Authorization: Bearer" and, for WebSockets, as ?access_token=), and
// methods read the user from the Context. A request without a valid token
// gets 401, which the client reports as "Unauthorized", and the server
// logs the reason.
func Example_jwt() {
	tokens, err := auth.NewJWT(auth.JWTConfig{HMACKey: []byte("a secret of at least 32 bytes..."), Issuer: "shoppinglist"})
	if err != nil {
		log.Fatal(err)
	}
	srv, err := hub.New(hub.Config{Authenticator: tokens, Logger: quiet})
	if err != nil {
		log.Fatal(err)
	}
	_ = srv.Register("WhoAmI", func(c *hub.Context) string { return c.UserID() + " (" + c.Identity().Name + ")" })
	url, stop := serveHub(srv)
	defer stop()

	// Normally a login endpoint issues the token to the browser.
	token, err := tokens.Issue("alice", 15*time.Minute, map[string]any{"name": "Alice"})
	if err != nil {
		log.Fatal(err)
	}
	client := connect(url + "?access_token=" + token)
	defer client.CloseNow()
	fmt.Println(call(client, `{"type":1,"invocationId":"1","target":"WhoAmI","arguments":[]}`))

	res, err := http.Post(url+"/negotiate?negotiateVersion=1", "text/plain", nil) // no token
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	fmt.Println(res.Status)
	// Output:
	// {"type":3,"invocationId":"1","result":"alice (Alice)"}
	// 401 Unauthorized
}

// Graceful shutdown with http.Server: shut the hub down first, so that its
// clients get a Close message allowing them to reconnect (to another
// server) while the HTTP server still carries it; then the HTTP server.
func ExampleServer_Shutdown() {
	srv, err := hub.New(hub.Config{})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/hubs/list", srv)
	mux.Handle("/hubs/list/negotiate", srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	web := &http.Server{Handler: mux}
	served := make(chan error, 1)
	go func() { served <- web.Serve(ln) }()

	client := connect("http://" + ln.Addr().String() + "/hubs/list")
	defer client.CloseNow()

	// On SIGTERM, say (signal.NotifyContext):
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		fmt.Println("client got:", read(client))
		client.Close(websocket.StatusNormalClosure, "") // as the official clients do
	}()
	if err := srv.Shutdown(ctx); err != nil { // waits until the clients are gone
		log.Print(err)
	}
	if err := web.Shutdown(ctx); err != nil {
		log.Print(err)
	}
	fmt.Println(errors.Is(<-served, http.ErrServerClosed))
	// Output:
	// client got: {"type":7,"allowReconnect":true}
	// true
}

// A Filter wraps every call, here to time it and log its outcome; the same
// place can trace, count or refuse calls.
func ExampleFilterFuncs() {
	timing := hub.FilterFuncs{Invoke: func(c *hub.Context, inv *hub.Invocation, next hub.InvokeFunc) (any, error) {
		start := time.Now()
		res, err := next(c, inv)
		outcome := "ok"
		if err != nil {
			outcome = err.Error()
		}
		_ = time.Since(start) // a histogram, a trace span ...
		fmt.Printf("%s(%v) by %q: %s\n", inv.Method, inv.Args, c.UserID(), outcome)
		return res, err
	}}
	srv, err := hub.New(hub.Config{Filters: []hub.Filter{timing}, Logger: quiet})
	if err != nil {
		log.Fatal(err)
	}
	_ = srv.Register("Add", func(list, item string) error {
		if item == "" {
			return hub.Errorf("an item needs a name")
		}
		return nil
	})
	url, stop := serveHub(srv)
	defer stop()

	client := connect(url)
	defer client.CloseNow()
	call(client, `{"type":1,"invocationId":"1","target":"Add","arguments":["groceries","milk"]}`)
	call(client, `{"type":1,"invocationId":"2","target":"Add","arguments":["groceries",""]}`)
	// Output:
	// Add([groceries milk]) by "": ok
	// Add([groceries ]) by "": an item needs a name
}

// Stats are the hub's counters and gauges; WritePrometheus serves them to
// Prometheus without a metrics dependency.
func ExampleServer_Stats() {
	srv, err := hub.New(hub.Config{})
	if err != nil {
		log.Fatal(err)
	}
	_ = srv.Register("Echo", func(s string) string { return s })
	url, stop := serveHub(srv)
	defer stop()
	client := connect(url)
	defer client.CloseNow()
	call(client, `{"type":1,"invocationId":"1","target":"Echo","arguments":["hi"]}`)

	// mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
	// 	srv.Stats().WritePrometheus(w)
	// })
	var out strings.Builder
	if err := srv.Stats().WritePrometheus(&out); err != nil {
		log.Fatal(err)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, `listhub_connections{transport="WebSockets"`) || strings.HasPrefix(line, "listhub_calls_total") {
			fmt.Println(line)
		}
	}
	// Output:
	// listhub_connections{transport="WebSockets",protocol="json"} 1
	// listhub_connections{transport="WebSockets",protocol="messagepack"} 0
	// listhub_calls_total{method="Echo",outcome="ok"} 1
	// listhub_calls_total{method="Echo",outcome="error"} 0
	// listhub_calls_total{method="Echo",outcome="refused"} 0
}

// ListHub's exported methods become hub methods; String, being fmt's, does
// not, and helpers stay unexported.
type ListHub struct{ store map[string][]string }

// Add adds an item to a list and tells the list's group.
func (h *ListHub) Add(c *hub.Context, list, item string) error {
	h.store[list] = append(h.store[list], item)
	return c.Clients().Group(list).Send(c, "Added", list, item)
}

// Items returns a list's items.
func (h *ListHub) Items(list string) []string { return h.store[list] }

func (h *ListHub) String() string { return fmt.Sprintf("ListHub(%d lists)", len(h.store)) }

func ExampleServer_RegisterMethods() {
	srv, err := hub.New(hub.Config{Logger: quiet})
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.RegisterMethods(&ListHub{store: map[string][]string{"groceries": {"milk"}}}); err != nil {
		log.Fatal(err)
	}
	url, stop := serveHub(srv)
	defer stop()
	client := connect(url)
	defer client.CloseNow()
	fmt.Println(call(client, `{"type":1,"invocationId":"1","target":"Items","arguments":["groceries"]}`))
	fmt.Println(call(client, `{"type":1,"invocationId":"2","target":"String","arguments":[]}`))
	// Output:
	// {"type":3,"invocationId":"1","result":["milk"]}
	// {"type":3,"invocationId":"2","error":"Failed to invoke 'String' due to an error on the server. HubException: Method does not exist."}
}

// New names every setting it cannot accept.
func ExampleNew_invalidConfig() {
	_, err := hub.New(hub.Config{
		MaxMessageSize: -1,
		Logger:         slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	fmt.Println(err)
	// Output:
	// hub: invalid config: Config.MaxMessageSize is negative (-1); zero means the default
}
