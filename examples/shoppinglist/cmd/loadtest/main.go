// Command loadtest measures the shopping list under load: one list watched
// by many viewers (1,000 by default, WebSocket + JSON hub connections, as
// the official client makes them), items added over REST at a steady rate,
// and the latency from the start of each POST to the ItemAdded arriving at
// each viewer (p50, p99, max), with the rate the server sustained.
//
// It runs the server in this process on 127.0.0.1 with a fresh SQLite
// file (the hub's per-user call limit raised, so that 1,000 joins are not
// throttled). With -redis it runs two nodes sharing the database and a
// Redis: the viewers are split between them and the writes go to the
// first.
//
//	go run ./cmd/loadtest -viewers 1000 -rate 100 -duration 10s
//	go run ./cmd/loadtest -redis redis://127.0.0.1:6379/0
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	goredis "github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

	redisbp "github.com/listhub/listhub/backplane/redis"
	"github.com/listhub/listhub/examples/shoppinglist/internal/server"
	"github.com/listhub/listhub/examples/shoppinglist/internal/store"
	"github.com/listhub/listhub/presence/redisstore"
)

func main() {
	viewers := flag.Int("viewers", 1000, "hub connections watching the list")
	perUser := flag.Int("per-user", 20, "connections per viewer account")
	rate := flag.Float64("rate", 100, "items added per second over REST")
	duration := flag.Duration("duration", 10*time.Second, "how long items are added")
	redisURL := flag.String("redis", "", "Redis URL: run two nodes sharing it")
	settle := flag.Duration("settle", 5*time.Second, "pause between the joins and the first item")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (server and load) to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*viewers, *perUser, *rate, *duration, *settle, *redisURL); err != nil {
		log.Print(err)
	}
}

type node struct {
	url   string
	close func()
}

func startNode(ctx context.Context, dbPath, redisURL string) (*node, error) {
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	cfg := server.Config{
		Store: st, JWTSecret: []byte("loadtest-secret-0123456789abcdef0123"), BcryptCost: bcrypt.MinCost,
		HubCallsPerMinute: 1_000_000, HubCallBurst: 100_000,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	var closers []func()
	if redisURL != "" {
		opts, err := goredis.ParseURL(redisURL)
		if err != nil {
			return nil, err
		}
		client := goredis.NewClient(opts)
		bp, err := redisbp.New(ctx, client, nil)
		if err != nil {
			return nil, err
		}
		ps, err := redisstore.New(client, redisstore.Options{})
		if err != nil {
			return nil, err
		}
		cfg.Backplane, cfg.PresenceStore = bp, ps
		closers = append(closers, func() { bp.Close(); client.Close() })
	}
	srv, err := server.New(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	runCtx, stop := context.WithCancel(ctx)
	go srv.Run(runCtx)
	return &node{url: "http://" + ln.Addr().String(), close: func() {
		stop()
		srv.Close()
		hs.Close()
		for _, c := range closers {
			c()
		}
		st.Close()
	}}, nil
}

func post(url, token string, body any, out any) error {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("POST %s: %d %s", url, res.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

type auth struct {
	Token string `json:"token"`
	User  struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"user"`
}

func register(base, name string) (auth, error) {
	var a auth
	err := post(base+"/api/auth/register", "", map[string]any{"email": name + "@example.com", "password": "password-123", "displayName": name}, &a)
	return a, err
}

// viewer is one hub connection that records the latency of each ItemAdded.
type viewer struct {
	conn *websocket.Conn
}

var marker = []byte(`"name":"t`)

func dialViewer(ctx context.Context, base, token, listID string) (*viewer, error) {
	ws := "ws" + base[len("http"):] + "/hubs/shopping-list?access_token=" + token
	c, _, err := websocket.Dial(ctx, ws, nil)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(1 << 20)
	if err := c.Write(ctx, websocket.MessageText, []byte("{\"protocol\":\"json\",\"version\":1}\x1e")); err != nil {
		return nil, err
	}
	if _, _, err := c.Read(ctx); err != nil {
		return nil, err
	}
	join := fmt.Sprintf("{\"type\":1,\"invocationId\":\"1\",\"target\":\"JoinList\",\"arguments\":[%q]}\x1e", listID)
	if err := c.Write(ctx, websocket.MessageText, []byte(join)); err != nil {
		return nil, err
	}
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return nil, err
		}
		if bytes.Contains(data, []byte(`"type":3`)) {
			if bytes.Contains(data, []byte(`"error"`)) {
				return nil, fmt.Errorf("JoinList: %s", data)
			}
			break
		}
	}
	return &viewer{conn: c}, nil
}

// read records, for each ItemAdded, now minus the send time in its name.
func (v *viewer) read(ctx context.Context, record func(time.Duration)) {
	for {
		_, data, err := v.conn.Read(ctx)
		if err != nil {
			return
		}
		for msg := range bytes.SplitSeq(data, []byte{0x1e}) {
			if !bytes.Contains(msg, []byte(`"target":"ItemAdded"`)) {
				continue
			}
			i := bytes.Index(msg, marker)
			if i < 0 {
				continue
			}
			rest := msg[i+len(marker):]
			j := bytes.IndexByte(rest, '"')
			sent, err := strconv.ParseInt(string(rest[:j]), 10, 64)
			if err == nil {
				record(time.Duration(time.Now().UnixNano() - sent))
			}
		}
	}
}

func run(viewers, perUser int, rate float64, duration, settle time.Duration, redisURL string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "shoppinglist-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db := filepath.Join(dir, "load.db")
	nodes := []*node{}
	count := 1
	if redisURL != "" {
		count = 2
	}
	for range count {
		n, err := startNode(ctx, db, redisURL)
		if err != nil {
			return err
		}
		defer n.close()
		nodes = append(nodes, n)
	}
	base := nodes[0].url
	owner, err := register(base, "owner")
	if err != nil {
		return err
	}
	var list struct {
		ID string `json:"id"`
	}
	if err := post(base+"/api/lists", owner.Token, map[string]any{"name": "Load"}, &list); err != nil {
		return err
	}
	users := (viewers + perUser - 1) / perUser
	tokens := make([]string, users)
	for i := range users {
		u, err := register(base, fmt.Sprintf("viewer%d", i))
		if err != nil {
			return err
		}
		if err := post(base+"/api/lists/"+list.ID+"/collaborators", owner.Token, map[string]any{"email": u.User.Email, "permission": "Viewer"}, nil); err != nil {
			return err
		}
		tokens[i] = u.Token
	}

	var mu sync.Mutex
	latencies := make([]time.Duration, 0, int(rate*duration.Seconds())*viewers)
	record := func(d time.Duration) {
		mu.Lock()
		latencies = append(latencies, d)
		mu.Unlock()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range viewers {
		v, err := dialViewer(ctx, nodes[i%len(nodes)].url, tokens[i/perUser], list.ID)
		if err != nil {
			return fmt.Errorf("viewer %d: %w", i, err)
		}
		defer v.conn.CloseNow()
		wg.Go(func() { v.read(ctx, record) })
	}
	fmt.Printf("%d viewers on %d node(s) joined in %v\n", viewers, len(nodes), time.Since(start).Round(time.Millisecond))
	// Let the joins' presence events drain so that they do not count
	// against the first items.
	time.Sleep(settle)

	// Open loop: each POST starts on schedule, whatever the earlier ones do.
	interval := time.Duration(float64(time.Second) / rate)
	total := int(rate * duration.Seconds())
	var failed atomic.Int64
	var posts sync.WaitGroup
	tick := time.NewTicker(interval)
	begin := time.Now()
	for i := range total {
		<-tick.C
		posts.Go(func() {
			name := "t" + strconv.FormatInt(time.Now().UnixNano(), 10)
			if err := post(base+"/api/lists/"+list.ID+"/items", owner.Token, map[string]any{"name": name}, nil); err != nil {
				failed.Add(1)
				if i < 3 {
					log.Print(err)
				}
			}
		})
	}
	tick.Stop()
	posts.Wait()
	sendTime := time.Since(begin)
	expected := (total - int(failed.Load())) * viewers
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(latencies)
		mu.Unlock()
		if n >= expected {
			break
		}
		time.Sleep(50 * time.Millisecond) // waiting for stragglers; the result does not depend on it
	}
	cancel()
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))].Round(10 * time.Microsecond)
	}
	fmt.Printf("items: %d at %.0f/s requested, %.1f/s sent, %d failed\n", total, rate, float64(total)/sendTime.Seconds(), failed.Load())
	fmt.Printf("deliveries: %d of %d (%.2f%%)\n", len(latencies), expected, 100*float64(len(latencies))/float64(max(expected, 1)))
	fmt.Printf("REST-to-viewer latency: p50 %v, p99 %v, max %v\n", pct(0.50), pct(0.99), pct(1))
	return nil
}
