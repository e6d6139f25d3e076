package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	bpredis "github.com/listhub/listhub/backplane/redis"
	"github.com/listhub/listhub/hub"
)

// redisGroup is the group every connection of the receiving node joins in
// the Redis scenario.
const redisGroup = "bench"

// mountListhubRedis mounts our hub on the Redis backplane at redisAddr.
// Every connection joins redisGroup; /broadcast sends to the group, so a
// broadcast posted to one node reaches the connections of the other through
// Redis.
func mountListhubRedis(mux *http.ServeMux, redisAddr string) (broadcaster, error) {
	if redisAddr == "" {
		return nil, errors.New("listhub-redis needs -redis")
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	client := goredis.NewClient(&goredis.Options{Addr: redisAddr})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bp, err := bpredis.New(ctx, client, &bpredis.Options{Logger: logger})
	if err != nil {
		return nil, err
	}
	var srv *hub.Server
	srv, err = hub.New(hub.Config{
		Logger:    logger,
		Backplane: bp,
		OnConnected: func(c *hub.Context) error {
			return srv.Groups().Add(context.Background(), c.ConnectionID(), redisGroup)
		},
	})
	if err != nil {
		return nil, err
	}
	mux.Handle(hubPath, srv)
	mux.Handle(hubPath+"/negotiate", srv)
	group := srv.Clients().Group(redisGroup)
	return func(ctx context.Context, from, n int) error {
		for seq := from; seq < from+n; seq++ {
			if err := group.Send(ctx, "Msg", seq, time.Now().UnixNano()); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// redisResult is the Redis scenario's figures.
type redisResult struct {
	ceiling float64 // redis-benchmark -P 64 PUBLISH, requests/s
	local   *fanoutResult
	cross   *fanoutResult
}

// runRedis starts a redis-server, measures redis-benchmark's pipelined
// PUBLISH on it, then the fan-out of one listhub node alone (local) and
// across two listhub nodes on that Redis (cross: connections on one node,
// broadcasts posted to the other).
func runRedis(conns, messages int) (*redisResult, error) {
	addr, stop, err := startRedis()
	if err != nil {
		return nil, err
	}
	defer stop()
	r := &redisResult{}
	if r.ceiling, err = redisBenchmarkPublish(addr); err != nil {
		return nil, err
	}
	if r.local, err = withServer("listhub", func(s *server) (*fanoutResult, error) {
		return runFanout(s, conns, messages)
	}); err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	r.cross, err = withServer("listhub-redis", func(sender *server) (*fanoutResult, error) {
		return withServer("listhub-redis", func(receiver *server) (*fanoutResult, error) {
			receiver.broadcastBase = strings.TrimSuffix(sender.url, hubPath)
			return runFanout(receiver, conns, messages)
		}, "-redis", addr)
	}, "-redis", addr)
	if err != nil {
		return nil, fmt.Errorf("cross-node: %w", err)
	}
	return r, nil
}

// startRedis starts redis-server on a free port without persistence.
func startRedis() (addr string, stop func(), err error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return "", nil, errors.New("redis-server not found on PATH")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--logfile", "")
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	addr = "127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr, stop, nil
		}
	}
	stop()
	return "", nil, errors.New("redis-server did not start")
}

var redisRate = regexp.MustCompile(`([0-9.]+) requests per second`)

// redisBenchmarkPublish runs redis-benchmark -P 64 PUBLISH against addr.
func redisBenchmarkPublish(addr string) (float64, error) {
	host, port, _ := net.SplitHostPort(addr)
	out, err := exec.Command("redis-benchmark", "-h", host, "-p", port, "-P", "64", "-n", "2000000",
		"-q", "PUBLISH", "bench", "hello").CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("redis-benchmark: %w: %s", err, out)
	}
	m := redisRate.FindAllSubmatch(out, -1)
	if len(m) == 0 {
		return 0, fmt.Errorf("redis-benchmark: no rate in %q", out)
	}
	return strconv.ParseFloat(string(m[len(m)-1][1]), 64)
}

// printRedis prints the Redis scenario.
func printRedis(r *redisResult, conns int) {
	msgs := func(f *fanoutResult) float64 { return f.perSec / float64(conns) }
	fmt.Printf("  redis-benchmark -P 64 PUBLISH: %s requests/s (the ceiling)\n", num(r.ceiling))
	rows := map[string][]float64{
		"local": {r.local.perSec, msgs(r.local), us(r.local.p50), us(r.local.p99),
			float64(r.local.outOfOrder), float64(r.local.expected - r.local.delivered)},
		"cross-node": {r.cross.perSec, msgs(r.cross), us(r.cross.p50), us(r.cross.p99),
			float64(r.cross.outOfOrder), float64(r.cross.expected - r.cross.delivered)},
	}
	w := []string{"local", "cross-node"}
	fmt.Printf("  %14s %14s %14s %10s %10s %13s %6s\n", "", "deliveries/s", "messages/s", "p50 µs", "p99 µs", "out of order", "lost")
	for _, k := range w {
		v := rows[k]
		fmt.Printf("  %14s %14s %14s %10s %10s %13s %6s\n", k, num(v[0]), num(v[1]), num(v[2]), num(v[3]), num(v[4]), num(v[5]))
	}
	fmt.Printf("  cross-node deliveries/s ÷ redis-benchmark PUBLISH/s: %.2fx\n", r.cross.perSec/r.ceiling)
	fmt.Printf("  cross-node messages/s ÷ redis-benchmark PUBLISH/s:   %.4fx (each message is one group send)\n", msgs(r.cross)/r.ceiling)
	fmt.Printf("  cross-node ÷ local deliveries/s: %.2fx\n", r.cross.perSec/r.local.perSec)
}
