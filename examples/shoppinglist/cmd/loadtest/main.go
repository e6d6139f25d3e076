// Command loadtest measures the shopping list under load: one list watched
// by many viewers (1,000 by default, WebSocket + JSON hub connections, as
// the official client makes them), items added over REST at a steady rate,
// and the latency from the start of each POST to the ItemAdded arriving at
// each viewer (p50, p90, p99, max; per item also the first viewer's
// latency and the spread to the last), with the rate the server sustained
// and the process's CPU use while loaded. The viewers read with one reused
// buffer and parse no JSON (wsclient.go) so that the generator costs little
// next to the server; -cpuprofile, -blockprofile, -mutexprofile and -trace
// cover the loaded phase only.
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
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

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
	var prof profiles
	flag.StringVar(&prof.cpu, "cpuprofile", "", "write a CPU profile of the loaded phase (items and their delivery; server and viewers) to this file")
	flag.StringVar(&prof.block, "blockprofile", "", "write a block profile of the loaded phase to this file")
	flag.StringVar(&prof.mutex, "mutexprofile", "", "write a mutex profile of the loaded phase to this file")
	flag.StringVar(&prof.trace, "trace", "", "write an execution trace of the loaded phase to this file")
	flag.Parse()
	if _, err := run(*viewers, *perUser, *rate, *duration, *settle, *redisURL, prof); err != nil {
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
// Each viewer keeps its own deliveries (no lock shared by the readers) and
// counts them in received.
type viewer struct {
	ws         *wsClient
	deliveries []delivery
}

// delivery is one ItemAdded at one viewer: the item's send time (its id)
// and how long after it the viewer had it.
type delivery struct {
	sent    int64
	latency time.Duration
}

var marker = []byte(`"name":"t`)

func dialViewer(ctx context.Context, base, token, listID string) (*viewer, error) {
	c, err := dialWS(ctx, "ws"+base[len("http"):]+"/hubs/shopping-list?access_token="+token)
	if err != nil {
		return nil, err
	}
	if err := c.writeText([]byte("{\"protocol\":\"json\",\"version\":1}\x1e")); err != nil {
		c.close()
		return nil, err
	}
	if _, err := c.read(); err != nil {
		c.close()
		return nil, err
	}
	join := fmt.Sprintf("{\"type\":1,\"invocationId\":\"1\",\"target\":\"JoinList\",\"arguments\":[%q]}\x1e", listID)
	if err := c.writeText([]byte(join)); err != nil {
		c.close()
		return nil, err
	}
	for {
		data, err := c.read()
		if err != nil {
			c.close()
			return nil, err
		}
		if bytes.Contains(data, []byte(`"type":3`)) {
			if bytes.Contains(data, []byte(`"error"`)) {
				c.close()
				return nil, fmt.Errorf("JoinList: %s", data)
			}
			break
		}
	}
	return &viewer{ws: c}, nil
}

var itemAdded = []byte(`"target":"ItemAdded"`)

// read records, for each ItemAdded, now minus the send time in its name,
// until the connection ends. It parses no JSON: it looks for the target
// and the name's digits, so a viewer costs little next to the server.
func (v *viewer) read(received *atomic.Int64) {
	for {
		data, err := v.ws.read()
		if err != nil {
			return
		}
		for len(data) > 0 {
			msg := data
			if i := bytes.IndexByte(data, 0x1e); i >= 0 {
				msg, data = data[:i], data[i+1:]
			} else {
				data = nil
			}
			if !bytes.Contains(msg, itemAdded) {
				continue
			}
			i := bytes.Index(msg, marker)
			if i < 0 {
				continue
			}
			sent, ok := parseDigits(msg[i+len(marker):])
			if ok {
				v.deliveries = append(v.deliveries, delivery{sent, time.Duration(time.Now().UnixNano() - sent)})
				received.Add(1)
			}
		}
	}
}

// parseDigits reads the decimal number at the start of b.
func parseDigits(b []byte) (int64, bool) {
	var n int64
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int64(b[i]-'0')
	}
	return n, i > 0
}

// result is what a run counted: deliveries that arrived and that were due.
type result struct {
	delivered, expected int64
}

// run runs the load, prints its figures and returns its counts.
func run(viewers, perUser int, rate float64, duration, settle time.Duration, redisURL string, prof profiles) (result, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "shoppinglist-loadtest-")
	if err != nil {
		return result{}, err
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
			return result{}, err
		}
		defer n.close()
		nodes = append(nodes, n)
	}
	base := nodes[0].url
	owner, err := register(base, "owner")
	if err != nil {
		return result{}, err
	}
	var list struct {
		ID string `json:"id"`
	}
	if err := post(base+"/api/lists", owner.Token, map[string]any{"name": "Load"}, &list); err != nil {
		return result{}, err
	}
	users := (viewers + perUser - 1) / perUser
	tokens := make([]string, users)
	for i := range users {
		u, err := register(base, fmt.Sprintf("viewer%d", i))
		if err != nil {
			return result{}, err
		}
		if err := post(base+"/api/lists/"+list.ID+"/collaborators", owner.Token, map[string]any{"email": u.User.Email, "permission": "Viewer"}, nil); err != nil {
			return result{}, err
		}
		tokens[i] = u.Token
	}

	total := int(rate * duration.Seconds())
	var received atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	all := make([]*viewer, 0, viewers)
	defer func() {
		for _, v := range all {
			v.ws.close()
		}
		wg.Wait()
	}()
	for i := range viewers {
		v, err := dialViewer(ctx, nodes[i%len(nodes)].url, tokens[i/perUser], list.ID)
		if err != nil {
			return result{}, fmt.Errorf("viewer %d: %w", i, err)
		}
		v.deliveries = make([]delivery, 0, total)
		all = append(all, v)
		wg.Go(func() { v.read(&received) })
	}
	fmt.Printf("%d viewers on %d node(s) joined in %v\n", viewers, len(nodes), time.Since(start).Round(time.Millisecond))
	// Let the joins' presence events drain so that they do not count
	// against the first items.
	time.Sleep(settle)

	// The profiles and the CPU figure cover the items and their delivery
	// only, not the setup.
	stopProfiles, err := startProfiles(prof)
	if err != nil {
		return result{}, err
	}
	loadBefore := loadAverage()
	cpuBefore := cpuTime()

	// Open loop: each POST starts on schedule, whatever the earlier ones do.
	interval := time.Duration(float64(time.Second) / rate)
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
	expected := int64(total-int(failed.Load())) * int64(viewers)
	deadline := time.Now().Add(30 * time.Second)
	for received.Load() < expected && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // waiting for stragglers; the latencies do not depend on it
	}
	wall := time.Since(begin)
	cpu := cpuTime() - cpuBefore
	stopProfiles()
	for _, v := range all {
		v.ws.close()
	}
	wg.Wait()
	// Per item, the first viewer's latency is the pipeline (REST, commit,
	// outbox, hub) plus one delivery; the last minus the first is the time
	// the fan-out to all viewers took.
	var latencies []time.Duration
	type spread struct{ first, last time.Duration }
	items := map[int64]spread{}
	for _, v := range all {
		for _, d := range v.deliveries {
			latencies = append(latencies, d.latency)
			sp, ok := items[d.sent]
			if !ok {
				sp = spread{d.latency, d.latency}
			}
			sp.first, sp.last = min(sp.first, d.latency), max(sp.last, d.latency)
			items[d.sent] = sp
		}
	}
	var firsts, fanouts []time.Duration
	for _, sp := range items {
		firsts = append(firsts, sp.first)
		fanouts = append(fanouts, sp.last-sp.first)
	}
	pct := func(ds []time.Duration, p float64) time.Duration {
		if len(ds) == 0 {
			return 0
		}
		slices.Sort(ds)
		return ds[min(len(ds)-1, int(p*float64(len(ds))))].Round(10 * time.Microsecond)
	}
	fmt.Printf("items: %d at %.0f/s requested, %.1f/s sent, %d failed\n", total, rate, float64(total)/sendTime.Seconds(), failed.Load())
	fmt.Printf("deliveries: %d of %d (%.2f%%)\n", len(latencies), expected, 100*float64(len(latencies))/float64(max(expected, 1)))
	fmt.Printf("REST-to-viewer latency: p50 %v, p90 %v, p99 %v, max %v\n", pct(latencies, 0.50), pct(latencies, 0.90), pct(latencies, 0.99), pct(latencies, 1))
	fmt.Printf("per item, first viewer: p50 %v, p99 %v; first to last viewer: p50 %v, p99 %v\n",
		pct(firsts, 0.50), pct(firsts, 0.99), pct(fanouts, 0.50), pct(fanouts, 0.99))
	fmt.Printf("process CPU while loaded: %.0f%% (of %d%%) over %v, %.1f µs per delivery; load average %s before, %s after\n",
		100*cpu.Seconds()/wall.Seconds(), 100*runtime.NumCPU(), wall.Round(time.Millisecond),
		float64(cpu.Microseconds())/float64(max(len(latencies), 1)), loadBefore, loadAverage())
	return result{delivered: int64(len(latencies)), expected: expected}, nil
}
