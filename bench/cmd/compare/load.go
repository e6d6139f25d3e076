package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/listhub/listhub/protocol"
)

// The load generator's client: a minimal SignalR JSON client, doing what the
// official clients do (negotiate v1, WebSocket with id=token, handshake),
// then invocations. It reads whole WebSocket messages, each holding one or
// more records.

var codec = protocol.JSON{MaxMessageSize: 1 << 20}

// httpClient serves negotiate and the harness endpoints; many idle
// connections per host so dialing in parallel does not churn sockets.
var httpClient = &http.Client{
	Transport: &http.Transport{MaxIdleConnsPerHost: 64},
	Timeout:   30 * time.Second,
}

// dial connects to the hub at base and completes the handshake. Records
// that arrived after the handshake response in the same WebSocket message
// are returned in rest.
func dial(ctx context.Context, base string) (ws *websocket.Conn, rest []byte, err error) {
	res, err := httpClient.Post(base+"/negotiate?negotiateVersion=1", "text/plain", nil)
	if err != nil {
		return nil, nil, fmt.Errorf("negotiate: %w", err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("negotiate: %s %s %v", res.Status, body, err)
	}
	var neg struct {
		ConnectionID    string `json:"connectionId"`
		ConnectionToken string `json:"connectionToken"`
		Error           string `json:"error"`
	}
	if err := json.Unmarshal(body, &neg); err != nil || neg.Error != "" {
		return nil, nil, fmt.Errorf("negotiate: %s %v", body, err)
	}
	id := neg.ConnectionToken
	if id == "" {
		id = neg.ConnectionID
	}
	ws, _, err = websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"?id="+url.QueryEscape(id), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("websocket: %w", err)
	}
	ws.SetReadLimit(1 << 20)
	hs := protocol.AppendHandshakeRequest(nil, protocol.HandshakeRequest{Protocol: "json", Version: 1})
	if err := ws.Write(ctx, websocket.MessageText, hs); err != nil {
		ws.CloseNow()
		return nil, nil, fmt.Errorf("handshake: %w", err)
	}
	var buf []byte
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			ws.CloseNow()
			return nil, nil, fmt.Errorf("handshake: %w", err)
		}
		buf = append(buf, data...)
		resp, n, err := protocol.ParseHandshakeResponse(buf)
		if err != nil {
			ws.CloseNow()
			return nil, nil, fmt.Errorf("handshake: %w", err)
		}
		if n == 0 {
			continue
		}
		if resp.Error != "" {
			ws.CloseNow()
			return nil, nil, fmt.Errorf("handshake: %s", resp.Error)
		}
		return ws, buf[n:], nil
	}
}

// dialAll opens n connections, 32 at a time, to the hubs at bases in
// turn, calling each ready (if not nil) after its handshake. It closes what it opened if any dial fails.
func dialAll(ctx context.Context, bases []string, n int, ready func(i int, ws *websocket.Conn, rest []byte)) ([]*websocket.Conn, error) {
	conns := make([]*websocket.Conn, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			ws, rest, err := dial(ctx, bases[i%len(bases)])
			if err != nil {
				errs[i] = err
				return
			}
			conns[i] = ws
			if ready != nil {
				ready(i, ws, rest)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		closeAll(conns)
		return nil, err
	}
	return conns, nil
}

func closeAll(conns []*websocket.Conn) {
	for _, ws := range conns {
		if ws != nil {
			ws.CloseNow()
		}
	}
}

// echoResult is one server's echo figures.
type echoResult struct {
	p50, p99     time.Duration
	mean         time.Duration
	cpuPerCall   time.Duration
	callsPerSec  float64
	littleLawErr float64 // |calls/s × mean latency − conns| / conns
}

// runEcho keeps one Echo call outstanding on each of conns connections:
// one second of warm-up, then duration measured. Calls that complete inside
// the window count; the server's CPU time is read at its edges.
func runEcho(srv *server, conns int, duration time.Duration, profiles map[string]string) (*echoResult, error) {
	// A server that stops answering fails the run instead of hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), duration+30*time.Second)
	defer cancel()
	wss, err := dialAll(ctx, srv.urls, conns, nil)
	if err != nil {
		return nil, err
	}
	defer closeAll(wss)

	var winStart, winEnd atomic.Int64
	winStart.Store(1 << 62)
	winEnd.Store(1 << 62)
	var stop atomic.Bool
	lat := make([][]time.Duration, conns)
	errs := make([]error, conns)
	var wg sync.WaitGroup
	for i, ws := range wss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = echoLoop(ctx, ws, &stop, &winStart, &winEnd, &lat[i])
		}()
	}

	time.Sleep(time.Second)
	prof := make(chan error, len(profiles))
	for kind, path := range profiles {
		q := fmt.Sprintf("seconds=%d", max(1, int(duration.Round(time.Second)/time.Second)))
		go func() { prof <- fetchProfile(srv.url, kind, q, path) }()
	}
	cpu0 := srv.cpu()
	t0 := time.Now()
	winStart.Store(t0.UnixNano())
	time.Sleep(duration)
	cpu1 := srv.cpu()
	t1 := time.Now()
	winEnd.Store(t1.UnixNano())
	stop.Store(true)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for range profiles {
		if err := <-prof; err != nil {
			fmt.Fprintln(os.Stderr, "profile:", err)
		}
	}

	all := slices.Concat(lat...)
	if len(all) == 0 {
		return nil, errors.New("no call completed in the window")
	}
	slices.Sort(all)
	var sum time.Duration
	for _, d := range all {
		sum += d
	}
	r := &echoResult{
		p50:         all[len(all)/2],
		p99:         all[len(all)*99/100],
		mean:        sum / time.Duration(len(all)),
		cpuPerCall:  (cpu1 - cpu0) / time.Duration(len(all)),
		callsPerSec: float64(len(all)) / t1.Sub(t0).Seconds(),
	}
	little := r.callsPerSec * r.mean.Seconds()
	r.littleLawErr = abs(little-float64(conns)) / float64(conns)
	return r, nil
}

// echoLoop calls Echo("hello") until stop, recording the latency of each
// call that completes inside the window.
func echoLoop(ctx context.Context, ws *websocket.Conn, stop *atomic.Bool, winStart, winEnd *atomic.Int64, lat *[]time.Duration) error {
	var msg []byte
	var msgs []protocol.Message
	for n := 1; !stop.Load(); n++ {
		id := strconv.Itoa(n)
		msg = append(msg[:0], `{"type":1,"invocationId":"`...)
		msg = append(msg, id...)
		msg = append(msg, `","target":"Echo","arguments":["hello"]}`+"\x1e"...)
		start := time.Now()
		if err := ws.Write(ctx, websocket.MessageText, msg); err != nil {
			return fmt.Errorf("echo write: %w", err)
		}
	wait:
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				return fmt.Errorf("echo read: %w", err)
			}
			if msgs, _, err = codec.ParseMessages(msgs[:0], data); err != nil {
				return fmt.Errorf("echo parse: %w", err)
			}
			for _, m := range msgs {
				c, ok := m.(*protocol.Completion)
				if !ok {
					continue
				}
				if res, _ := c.Result.(protocol.RawValue); c.InvocationID != id || c.Error != "" || string(res) != `"hello"` {
					return fmt.Errorf("echo: unexpected completion %+v", c)
				}
				end := time.Now()
				if e := end.UnixNano(); e >= winStart.Load() && e < winEnd.Load() {
					*lat = append(*lat, end.Sub(start))
				}
				break wait
			}
		}
	}
	return nil
}

// fanoutResult is one server's fan-out figures.
type fanoutResult struct {
	delivered, expected int
	outOfOrder          int
	elapsed             time.Duration
	perSec              float64
	cpuPerDelivery      time.Duration
	p50, p99            time.Duration
}

// fanout window: the publisher stays at most this many messages ahead of
// the slowest receiver, asking the server for batch messages at a time, so
// no server's queues grow without bound and nobody is a slow consumer.
const (
	fanoutWindow = 64
	fanoutBatch  = 16
)

// runFanout opens conns connections, each read by its own goroutine, and
// has the server broadcast messages to all of them. It checks per
// connection that every message arrives and in order.
func runFanout(srv *server, conns, messages int) (*fanoutResult, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type receiver struct {
		got, ooo atomic.Int64
		maxSeq   int
		lat      []time.Duration
		err      error
	}
	recv := make([]receiver, conns)
	var wg sync.WaitGroup
	read := func(r *receiver, ws *websocket.Conn, rest []byte) {
		defer wg.Done()
		r.maxSeq = -1
		r.lat = make([]time.Duration, 0, messages)
		var msgs []protocol.Message
		data := rest
		for {
			var err error
			if msgs, _, err = codec.ParseMessages(msgs[:0], data); err != nil {
				r.err = err
				return
			}
			now := time.Now().UnixNano()
			for _, m := range msgs {
				inv, ok := m.(*protocol.Invocation)
				if !ok || inv.Target != "Msg" || len(inv.Arguments) != 2 {
					continue
				}
				var seq int
				var ts int64
				if codec.Bind(inv.Arguments[0].(protocol.RawValue), &seq) != nil ||
					codec.Bind(inv.Arguments[1].(protocol.RawValue), &ts) != nil {
					r.err = fmt.Errorf("fan-out: bad message %v", inv.Arguments)
					return
				}
				if seq < r.maxSeq {
					r.ooo.Add(1)
				} else {
					r.maxSeq = seq
				}
				r.lat = append(r.lat, time.Duration(now-ts))
				if r.got.Add(1) == int64(messages) {
					return
				}
			}
			if _, data, err = ws.Read(ctx); err != nil {
				if ctx.Err() == nil {
					r.err = err
				}
				return
			}
		}
	}
	wss, err := dialAll(ctx, srv.urls, conns, func(i int, ws *websocket.Conn, rest []byte) {
		wg.Add(1)
		go read(&recv[i], ws, rest)
	})
	if err != nil {
		cancel()
		wg.Wait()
		return nil, err
	}
	defer closeAll(wss)
	time.Sleep(200 * time.Millisecond) // let the servers register the last ones

	slowest := func() int {
		m := messages
		for i := range recv {
			m = min(m, int(recv[i].got.Load()))
		}
		return m
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	cpu0 := srv.cpu()
	t0 := time.Now()
	base := strings.TrimSuffix(srv.url, hubPath)
	if srv.broadcastBase != "" {
		base = srv.broadcastBase
	}
	stalled := func(deadline time.Time) bool { return time.Now().After(deadline) }
	for sent := 0; sent < messages; {
		n := min(fanoutBatch, messages-sent)
		deadline := time.Now().Add(10 * time.Second)
		for sent+n-slowest() > fanoutWindow && !stalled(deadline) {
			time.Sleep(100 * time.Microsecond)
		}
		if stalled(deadline) {
			break // counted as lost below
		}
		res, err := httpClient.Post(fmt.Sprintf("%s/broadcast?from=%d&n=%d", base, sent, n), "text/plain", nil)
		if err != nil {
			return nil, fmt.Errorf("broadcast: %w", err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNoContent {
			return nil, fmt.Errorf("broadcast: %s", res.Status)
		}
		sent += n
	}
	// Wait for the last deliveries; give up after 10 s without progress.
	last, lastAt := -1, time.Now()
wait:
	for {
		select {
		case <-done:
			break wait
		case <-time.After(10 * time.Millisecond):
		}
		total := 0
		for i := range recv {
			total += int(recv[i].got.Load())
		}
		if total != last {
			last, lastAt = total, time.Now()
		} else if time.Since(lastAt) > 10*time.Second {
			break wait
		}
	}
	t1 := time.Now()
	cpu1 := srv.cpu()
	cancel()
	closeAll(wss)
	<-done

	r := &fanoutResult{expected: conns * messages, elapsed: t1.Sub(t0)}
	var lat []time.Duration
	var errs []error
	for i := range recv {
		r.delivered += int(recv[i].got.Load())
		r.outOfOrder += int(recv[i].ooo.Load())
		lat = append(lat, recv[i].lat...)
		if recv[i].err != nil {
			errs = append(errs, recv[i].err)
		}
	}
	if len(errs) > 0 {
		fmt.Fprintf(os.Stderr, "fan-out: %d connections failed, first: %v\n", len(errs), errs[0])
	}
	if r.delivered == 0 {
		return nil, errors.New("fan-out: nothing delivered")
	}
	slices.Sort(lat)
	r.p50, r.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	r.perSec = float64(r.delivered) / r.elapsed.Seconds()
	r.cpuPerDelivery = (cpu1 - cpu0) / time.Duration(r.delivered)
	return r, nil
}

// idleResult is one server's idle-connection figures.
type idleResult struct {
	rssPerConn        float64 // bytes
	goroutinesPerConn float64
}

// runIdle opens conns connections, handshakes, and holds them without
// reading; after settling it reads the server's RSS and goroutines.
func runIdle(srv *server, conns int, heapProfile string) (*idleResult, error) {
	time.Sleep(300 * time.Millisecond)
	rss0, g0 := srv.rss(), srv.goroutines()
	wss, err := dialAll(context.Background(), srv.urls, conns, nil)
	if err != nil {
		return nil, err
	}
	defer closeAll(wss)
	time.Sleep(2 * time.Second)
	rss1, g1 := srv.rss(), srv.goroutines()
	if heapProfile != "" {
		// Both after a GC, so they show what is live; the debug=1 text ends
		// with the runtime's MemStats (heap, stacks).
		for path, q := range map[string]string{heapProfile: "gc=1", heapProfile + ".txt": "gc=1&debug=1"} {
			if err := fetchProfile(srv.url, "heap", q, path); err != nil {
				fmt.Fprintln(os.Stderr, "heap profile:", err)
			}
		}
	}
	return &idleResult{
		rssPerConn:        float64(rss1-rss0) / float64(conns),
		goroutinesPerConn: float64(g1-g0) / float64(conns),
	}, nil
}

// fetchProfile saves a profile of the server: kind "profile" (CPU),
// "allocs" or "heap", with the query of net/http/pprof (e.g. seconds=5 for
// what happens in the next 5 s).
func fetchProfile(hubURL, kind, query, path string) error {
	res, err := http.Get(fmt.Sprintf("%s/debug/pprof/%s?%s", strings.TrimSuffix(hubURL, hubPath), kind, query))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("profile: %s", res.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
