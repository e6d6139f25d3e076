package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
	kitlog "github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/philippseith/signalr"

	"github.com/listhub/listhub/backplane"
	"github.com/listhub/listhub/hub"
	"github.com/listhub/listhub/hub/connection"
	"github.com/listhub/listhub/protocol"
)

// hubPath is where every server mounts its hub; negotiate is below it.
const hubPath = "/hub"

// broadcaster sends the messages seq = from, from+1, ..., from+n-1 to every
// connection as the invocation Msg(seq, unixNanos), the send time stamped
// per message so receivers can tell the delivery latency.
type broadcaster func(ctx context.Context, from, n int) error

// serve runs one server until the process is killed. It prints the hub's
// URL as its first line on stdout; the load generator waits for it.
func serve(kind, addr, redisAddr string) error {
	mux := http.NewServeMux()
	var bc broadcaster
	var err error
	switch kind {
	case "listhub":
		bc, err = mountListhub(mux)
	case "listhub-2node":
		bc, err = mountListhubCluster(mux)
	case "peer":
		bc, err = mountPeer(mux)
	case "naive":
		bc = mountNaive(mux)
	case "listhub-redis":
		bc, err = mountListhubRedis(mux, redisAddr)
	default:
		err = fmt.Errorf("unknown server %q", kind)
	}
	if err != nil {
		return err
	}
	// The harness's own endpoints, the same for every server: they are
	// not part of any server's cost except while called.
	mux.HandleFunc("POST /broadcast", func(w http.ResponseWriter, r *http.Request) {
		from, err1 := strconv.Atoi(r.URL.Query().Get("from"))
		n, err2 := strconv.Atoi(r.URL.Query().Get("n"))
		if err1 != nil || err2 != nil {
			http.Error(w, "from and n must be integers", http.StatusBadRequest)
			return
		}
		if err := bc(r.Context(), from, n); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /debug/goroutines", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, runtime.NumGoroutine())
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if kind == "listhub-2node" {
		fmt.Printf("http://%s%s http://%s%s\n", ln.Addr(), hubPath, ln.Addr(), hubPath2)
	} else {
		fmt.Printf("http://%s%s\n", ln.Addr(), hubPath)
	}
	return http.Serve(ln, mux)
}

// mountListhub mounts our hub with its defaults, logging warnings and
// errors only.
func mountListhub(mux *http.ServeMux) (broadcaster, error) {
	srv, err := hub.New(hub.Config{
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return nil, err
	}
	if err := srv.Register("Echo", func(s string) string { return s }); err != nil {
		return nil, err
	}
	mux.Handle(hubPath, srv)
	mux.Handle(hubPath+"/negotiate", srv)
	all := srv.Clients().All()
	return func(ctx context.Context, from, n int) error {
		for seq := from; seq < from+n; seq++ {
			if err := all.Send(ctx, "Msg", seq, time.Now().UnixNano()); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// hubPath2 is where the second node of listhub-2node mounts its hub.
const hubPath2 = "/hub2"

// mountListhubCluster mounts two listhub hubs, each with its own node of
// one backplane.MemoryBus, at hubPath and hubPath2: the load generator
// connects to them in turn, and broadcasts go through the first, so half
// of the deliveries cross the bus.
func mountListhubCluster(mux *http.ServeMux) (broadcaster, error) {
	bus := backplane.NewMemoryBus()
	var first *hub.Server
	for _, path := range []string{hubPath, hubPath2} {
		srv, err := hub.New(hub.Config{
			Backplane: bus.Node(),
			Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		})
		if err != nil {
			return nil, err
		}
		if err := srv.Register("Echo", func(s string) string { return s }); err != nil {
			return nil, err
		}
		mux.Handle(path, srv)
		mux.Handle(path+"/negotiate", srv)
		if first == nil {
			first = srv
		}
	}
	all := first.Clients().All()
	return func(ctx context.Context, from, n int) error {
		for seq := from; seq < from+n; seq++ {
			if err := all.Send(ctx, "Msg", seq, time.Now().UnixNano()); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// peerHub is the peer's hub: its server creates one per invocation
// (SimpleHubFactory) and calls exported methods by reflection.
type peerHub struct{ signalr.Hub }

// Echo returns its argument.
func (h *peerHub) Echo(s string) string { return s }

// mountPeer mounts github.com/philippseith/signalr the way its README
// does, with its defaults, logging warnings and errors only (its default
// logs every connect and disconnect at info level). Since v0.11.0 it
// answers 429 once 1,000 negotiations are pending, and the idle
// scenario's 2,000 connections hit that; the limit is raised to listhub's
// (connection.DefaultMaxPendingNegotiations).
func mountPeer(mux *http.ServeMux) (broadcaster, error) {
	quiet := level.NewFilter(kitlog.NewLogfmtLogger(os.Stderr), level.AllowWarn())
	srv, err := signalr.NewServer(context.Background(),
		signalr.SimpleHubFactory(&peerHub{}),
		signalr.MaxNegotiationConnections(connection.DefaultMaxPendingNegotiations),
		signalr.Logger(quiet, false))
	if err != nil {
		return nil, err
	}
	srv.MapHTTP(signalr.WithHTTPServeMux(mux), hubPath)
	all := srv.HubClients().All()
	return func(ctx context.Context, from, n int) error {
		for seq := from; seq < from+n; seq++ {
			all.Send("Msg", seq, time.Now().UnixNano()) // returns nothing to check
		}
		return nil
	}, nil
}

// naiveConn is one connection of the naive server: its reader answers
// calls, its writer sends broadcasts one WebSocket message each.
type naiveConn struct {
	ws  *websocket.Conn
	out chan []byte
}

// mountNaive mounts the floor: just enough SignalR JSON to answer calls
// and broadcast, over coder/websocket. No hub, no pings, no timeouts, no
// auth, no coalescing; a connection whose 256-message buffer is full
// loses the message.
func mountNaive(mux *http.ServeMux) broadcaster {
	var mu sync.Mutex
	conns := map[*naiveConn]struct{}{}
	codec := protocol.JSON{}

	mux.HandleFunc("POST "+hubPath+"/negotiate", func(w http.ResponseWriter, r *http.Request) {
		id := make([]byte, 16)
		_, _ = rand.Read(id)
		s := base64.RawURLEncoding.EncodeToString(id)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"negotiateVersion":1,"connectionId":%q,"connectionToken":%q,`+
			`"availableTransports":[{"transport":"WebSockets","transferFormats":["Text"]}]}`, s, s)
	})
	mux.HandleFunc("GET "+hubPath, func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		if _, hs, err := ws.Read(ctx); err != nil || !bytes.Contains(hs, []byte(`"json"`)) {
			return
		}
		if ws.Write(ctx, websocket.MessageText, []byte("{}\x1e")) != nil {
			return
		}
		c := &naiveConn{ws: ws, out: make(chan []byte, 256)}
		mu.Lock()
		conns[c] = struct{}{}
		mu.Unlock()
		defer func() { mu.Lock(); delete(conns, c); mu.Unlock() }()
		go func() {
			for {
				select {
				case b := <-c.out:
					if ws.Write(ctx, websocket.MessageText, b) != nil {
						cancel()
						return
					}
				case <-ctx.Done():
					return
				}
			}
		}()
		var msgs []protocol.Message
		var reply []byte
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				return
			}
			if msgs, _, err = codec.ParseMessages(msgs[:0], data); err != nil {
				return
			}
			for _, m := range msgs {
				inv, ok := m.(*protocol.Invocation)
				if !ok || inv.InvocationID == "" || len(inv.Arguments) != 1 {
					continue
				}
				// The argument is the raw JSON value: written back unchanged.
				reply, _ = codec.AppendMessage(reply[:0], &protocol.Completion{
					InvocationID: inv.InvocationID, HasResult: true, Result: inv.Arguments[0]})
				if ws.Write(ctx, websocket.MessageText, reply) != nil {
					return
				}
			}
		}
	})
	return func(ctx context.Context, from, n int) error {
		mu.Lock()
		defer mu.Unlock()
		for seq := from; seq < from+n; seq++ {
			b, err := codec.AppendMessage(nil, &protocol.Invocation{
				Target: "Msg", Arguments: []any{seq, time.Now().UnixNano()}})
			if err != nil {
				return err
			}
			for c := range conns {
				select {
				case c.out <- b:
				default: // full: dropped, which the receiver counts as lost
				}
			}
		}
		return nil
	}
}
