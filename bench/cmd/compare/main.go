// Command compare runs listhub's hub server side by side with the peer
// github.com/philippseith/signalr and a naive floor server, under one load
// generator, and prints each server's figures and listhub's ratios to them.
//
// Each server runs in its own process (this binary with -serve), started
// afresh for every scenario, so CPU time and RSS are the server's alone;
// the load generator is this process. See ../../README.md.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

var servers = []string{"listhub", "peer", "naive"}

func main() {
	serveKind := flag.String("serve", "", "run one server (listhub, listhub-2node, peer or naive) instead of the comparison")
	addr := flag.String("addr", "127.0.0.1:0", "with -serve: the address to listen on")
	duration := flag.Duration("duration", 5*time.Second, "echo: measured time per server, after 1 s of warm-up")
	conns := flag.Int("conns", 100, "echo: connections, one call outstanding each")
	fanoutConns := flag.Int("fanout-conns", 1000, "fan-out: connections")
	messages := flag.Int("messages", 1000, "fan-out: messages broadcast to every connection")
	idle := flag.Int("idle", 2000, "idle: connections held open")
	scenarios := flag.String("scenarios", "echo,fanout,fanout2,idle", "scenarios to run, comma-separated (fanout2: listhub on two nodes of a MemoryBus; redis: two listhub nodes on a redis-server)")
	redisAddr := flag.String("redis", "", "with -serve listhub-redis: the Redis server's address")
	only := flag.String("servers", strings.Join(servers, ","), "servers to run, comma-separated")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the listhub server during echo to this file")
	memprofile := flag.String("memprofile", "", "write a profile of the listhub server's allocations during echo to this file")
	heapprofile := flag.String("heapprofile", "", "write a heap profile of the listhub server holding the idle connections to this file (and its text form to file.txt)")
	flag.Parse()

	raiseFileLimit()
	if *serveKind != "" {
		if err := serve(*serveKind, *addr, *redisAddr); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			os.Exit(1)
		}
		return
	}
	run := strings.Split(*only, ",")
	fmt.Printf("compare: %s, %s/%s, %d CPUs (%s), %s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH,
		runtime.NumCPU(), cpuModel(), time.Now().Format("2006-01-02 15:04 MST"))
	fmt.Println("servers and load generator share the machine; compare ratios, not absolute figures")
	for _, sc := range strings.Split(*scenarios, ",") {
		fmt.Println()
		switch sc {
		case "echo":
			fmt.Printf("ECHO: %d connections, one Echo(\"hello\") call outstanding each, %v measured\n", *conns, *duration)
			rows := map[string][]float64{}
			for _, kind := range run {
				profiles := map[string]string{}
				if kind == "listhub" && *cpuprofile != "" {
					profiles["profile"] = *cpuprofile
				}
				if kind == "listhub" && *memprofile != "" {
					profiles["allocs"] = *memprofile
				}
				r, err := withServer(kind, func(s *server) (*echoResult, error) { return runEcho(s, *conns, *duration, profiles) })
				if err != nil {
					fmt.Printf("  %s: skipped: %v\n", kind, err)
					continue
				}
				if r.littleLawErr > 0.1 {
					fmt.Printf("  %s: warning: calls/s × mean latency is %.0f, not %d\n", kind, r.callsPerSec*r.mean.Seconds(), *conns)
				}
				rows[kind] = []float64{r.callsPerSec, us(r.p50), us(r.p99), us(r.mean), us(r.cpuPerCall)}
			}
			table([]string{"calls/s", "p50 µs", "p99 µs", "mean µs", "server CPU µs/call"}, rows, run, peerRatios...)
		case "fanout":
			fmt.Printf("FAN-OUT: %d connections, %d messages broadcast to all (%d deliveries), window %d messages\n",
				*fanoutConns, *messages, *fanoutConns**messages, fanoutWindow)
			rows := map[string][]float64{}
			for _, kind := range run {
				r, err := withServer(kind, func(s *server) (*fanoutResult, error) { return runFanout(s, *fanoutConns, *messages) })
				if err != nil {
					fmt.Printf("  %s: skipped: %v\n", kind, err)
					continue
				}
				rows[kind] = []float64{r.perSec, us(r.cpuPerDelivery), us(r.p50), us(r.p99),
					float64(r.outOfOrder), float64(r.expected - r.delivered)}
			}
			table([]string{"deliveries/s", "server CPU µs/delivery", "p50 µs", "p99 µs", "out of order", "lost"}, rows, run, peerRatios...)
		case "fanout2":
			fmt.Printf("FAN-OUT, TWO NODES: %d connections spread over two listhub hubs on one backplane.MemoryBus, %d messages broadcast to all from the first (%d deliveries), window %d messages\n",
				*fanoutConns, *messages, *fanoutConns**messages, fanoutWindow)
			rows := map[string][]float64{}
			kinds := []string{"listhub", "listhub-2node"}
			for _, kind := range kinds {
				r, err := withServer(kind, func(s *server) (*fanoutResult, error) { return runFanout(s, *fanoutConns, *messages) })
				if err != nil {
					fmt.Printf("  %s: skipped: %v\n", kind, err)
					continue
				}
				rows[kind] = []float64{r.perSec, us(r.cpuPerDelivery), us(r.p50), us(r.p99),
					float64(r.outOfOrder), float64(r.expected - r.delivered)}
			}
			table([]string{"deliveries/s", "server CPU µs/delivery", "p50 µs", "p99 µs", "out of order", "lost"}, rows, kinds,
				[2]string{"listhub-2node", "listhub"})
		case "redis":
			fmt.Printf("REDIS: %d connections in one group on one listhub node, %d messages sent to the group on another node through one redis-server (window %d)\n",
				*fanoutConns, *messages, fanoutWindow)
			r, err := runRedis(*fanoutConns, *messages)
			if err != nil {
				fmt.Printf("  skipped: %v\n", err)
				continue
			}
			printRedis(r, *fanoutConns)
		case "idle":
			fmt.Printf("IDLE: %d connections held open after the handshake, measured after 2 s\n", *idle)
			rows := map[string][]float64{}
			for _, kind := range run {
				heap := ""
				if kind == "listhub" {
					heap = *heapprofile
				}
				r, err := withServer(kind, func(s *server) (*idleResult, error) { return runIdle(s, *idle, heap) })
				if err != nil {
					fmt.Printf("  %s: skipped: %v\n", kind, err)
					continue
				}
				rows[kind] = []float64{r.rssPerConn / 1024, r.goroutinesPerConn}
			}
			table([]string{"RSS KB/conn", "goroutines/conn"}, rows, run, peerRatios...)
		default:
			fmt.Printf("unknown scenario %q\n", sc)
		}
	}
}

// peerRatios are the ratios most tables show: listhub's to the peer's and
// to the naive server's.
var peerRatios = [][2]string{{"listhub", "peer"}, {"listhub", "naive"}}

// table prints one row per server and, for every figure, the ratios of
// the given pairs of servers (numerator, denominator).
func table(cols []string, rows map[string][]float64, order []string, ratios ...[2]string) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "  server\t%s\t\n", strings.Join(cols, "\t"))
	for _, kind := range order {
		if r, ok := rows[kind]; ok {
			fmt.Fprintf(w, "  %s\t%s\t\n", kind, join(r, func(v float64) string { return num(v) }))
		}
	}
	for _, pair := range ratios {
		lh, ok := rows[pair[0]]
		o, ok2 := rows[pair[1]]
		if !ok || !ok2 {
			continue
		}
		ratios := make([]float64, len(lh))
		for i := range lh {
			ratios[i] = lh[i] / o[i]
		}
		fmt.Fprintf(w, "  %s/%s\t%s\t\n", pair[0], pair[1], join(ratios, func(v float64) string {
			if v != v || v > 1e9 || v < -1e9 { // NaN or x/0
				return "-"
			}
			return fmt.Sprintf("%.2fx", v)
		}))
	}
	w.Flush()
}

func join(vs []float64, f func(float64) string) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = f(v)
	}
	return strings.Join(s, "\t")
}

func num(v float64) string {
	switch {
	case v >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 1 || v == 0:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// server is a running server process.
type server struct {
	kind string
	url  string   // the hub's URL (the first node's, for a cluster)
	urls []string // every node's hub URL; clients connect to them in turn
	cmd  *exec.Cmd
	// broadcastBase, when set, is the base URL of the server that fan-out
	// asks to broadcast (another node of a cluster); by default, this one.
	broadcastBase string
}

// withServer starts a fresh server process of kind, runs f against it and
// stops it.
func withServer[R any](kind string, f func(*server) (R, error), args ...string) (R, error) {
	var zero R
	exe, err := os.Executable()
	if err != nil {
		return zero, err
	}
	cmd := exec.Command(exe, append([]string{"-serve", kind, "-addr", "127.0.0.1:0"}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return zero, err
	}
	if err := cmd.Start(); err != nil {
		return zero, err
	}
	s := &server{kind: kind, cmd: cmd}
	defer s.stop()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return zero, fmt.Errorf("%s did not start: %w", kind, err)
	}
	go io.Copy(io.Discard, out)
	s.urls = strings.Fields(line)
	if len(s.urls) == 0 {
		return zero, fmt.Errorf("%s printed no URL", kind)
	}
	s.url = s.urls[0]
	return f(s)
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// cpu returns the server process's user plus system CPU time so far.
func (s *server) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14, stime 15 (1-based).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// rss returns the server process's resident set size in bytes.
func (s *server) rss() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// goroutines returns the server process's goroutine count.
func (s *server) goroutines() int {
	res, err := http.Get(strings.TrimSuffix(s.url, hubPath) + "/debug/goroutines")
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// raiseFileLimit lifts the soft open-files limit to the hard one: the idle
// scenario holds thousands of sockets in both processes. The Go runtime
// does this too since Go 1.19; doing it here says so and reports failure.
func raiseFileLimit() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			fmt.Fprintln(os.Stderr, "raising the open-files limit:", err)
		}
	}
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return "unknown CPU"
}
