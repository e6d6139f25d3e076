package hub

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/bits"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/listhub/listhub/hub/connection"
)

// LatencyBuckets are the upper bounds of the call duration histogram of
// CallStats.Buckets, as Prometheus's default buckets.
var LatencyBuckets = []time.Duration{
	time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond,
	50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
}

// Call outcomes of CallStats.
const (
	// OutcomeOK is a call that returned without error (for a stream: ended
	// without error).
	OutcomeOK = "ok"
	// OutcomeError is a call whose method (or a Filter) returned an error or
	// panicked, or whose stream failed.
	OutcomeError = "error"
	// OutcomeRefused is a call that never reached the method: its arguments
	// did not bind or did not match, or the rate limit or the Authorizer
	// refused it.
	OutcomeRefused = "refused"
)

var outcomes = [...]string{OutcomeOK, OutcomeError, OutcomeRefused}

// Stats is a snapshot of a Server's counters (since New) and gauges (now),
// on this node, from Server.Stats. WritePrometheus writes them in the
// Prometheus text format; each field also maps to one metric of a
// prometheus.Collector of one's own. A Filter receives every call with its
// outcome as it happens.
type Stats struct {
	// Connections are the open hub connections (handshake done), by
	// transport and protocol. Every combination is listed, zeros included.
	Connections []ConnectionStats
	// ConnectionsOpened counts the handshakes completed.
	ConnectionsOpened int64
	// Calls are the finished hub method calls, by method and outcome, for
	// every registered method; methods never called have zero counts.
	Calls []CallStats
	// UnknownMethodCalls counts calls of methods that are not registered.
	UnknownMethodCalls int64
	// MessagesSent counts the invocations, stream items and completions
	// queued for connections, one per recipient (pings and other protocol
	// messages are not counted).
	MessagesSent int64
	// SlowConsumerCloses counts the connections closed because they did
	// not read fast enough: their send queue
	// (Config.Connection.MaxQueueBytes) or stateful reconnect buffer was
	// full.
	SlowConsumerCloses int64
	// Groups is the number of groups with a member on this node, and
	// GroupMemberships the number of (connection, group) pairs.
	Groups           int64
	GroupMemberships int64
	// Backplane is the state of the backplane.
	Backplane BackplaneStats
}

// ConnectionStats is the number of open connections of one transport and
// protocol.
type ConnectionStats struct {
	Transport string // "WebSockets", "ServerSentEvents" or "LongPolling"
	Protocol  string // "json" or "messagepack"
	Open      int64
}

// CallStats are the finished calls of one method with one outcome.
type CallStats struct {
	Method  string
	Outcome string // OutcomeOK, OutcomeError or OutcomeRefused
	Count   int64
	// Duration is the sum of the calls' durations, from the moment a worker
	// started the call (filters included) to its result; for a stream, to
	// its end. Refused calls count zero.
	Duration time.Duration
	// Buckets[i] counts the calls that took at most LatencyBuckets[i]
	// (cumulative, like a Prometheus histogram; Count is the +Inf bucket).
	Buckets []int64
}

// BackplaneStats is what Stats reports of the backplane.
type BackplaneStats struct {
	// Type is the backplane's Go type, e.g. "*backplane.Memory".
	Type string
	// Healthy reports whether the backplane can reach the other nodes: a
	// backplane that knows (one with a method Healthy() bool, such as a
	// network backplane watching its connection) tells; others are assumed
	// healthy.
	Healthy bool
}

// metrics are a Server's counters. Every field is updated with atomics.
type metrics struct {
	open               [3][2]atomic.Int64 // [transport index][codec index]
	opened             atomic.Int64
	unknownCalls       atomic.Int64
	messagesSent       atomic.Int64
	slowConsumerCloses atomic.Int64
}

// callMetrics are one method's counters, by outcome.
type callMetrics [len(outcomes)]outcomeMetrics

type outcomeMetrics struct {
	count   atomic.Int64
	nanos   atomic.Int64
	buckets [12]atomic.Int64 // len(LatencyBuckets); not cumulative
}

// observe records a finished call.
func (c *callMetrics) observe(outcome int, d time.Duration) {
	o := &c[outcome]
	o.count.Add(1)
	o.nanos.Add(int64(d))
	for i, b := range LatencyBuckets {
		if d <= b {
			o.buckets[i].Add(1)
			return
		}
	}
}

const (
	outcomeOK = iota
	outcomeError
	outcomeRefused
)

// transportIndex maps a transport to its row of metrics.open.
func transportIndex(t connection.Transport) int {
	return min(bits.TrailingZeros(uint(t)), 2)
}

var transportNames = [3]string{"WebSockets", "ServerSentEvents", "LongPolling"}

// Stats returns a snapshot of the Server's counters and gauges. It is safe
// to call at any time, from any goroutine; it takes no lock a call needs.
func (s *Server) Stats() Stats {
	var st Stats
	for ti := range s.metrics.open {
		for ci := range s.metrics.open[ti] {
			st.Connections = append(st.Connections, ConnectionStats{
				Transport: transportNames[ti], Protocol: s.codecs[ci].Name(), Open: s.metrics.open[ti][ci].Load(),
			})
		}
	}
	st.ConnectionsOpened = s.metrics.opened.Load()
	st.UnknownMethodCalls = s.metrics.unknownCalls.Load()
	st.MessagesSent = s.metrics.messagesSent.Load()
	st.SlowConsumerCloses = s.metrics.slowConsumerCloses.Load()

	var methods []*method
	for _, m := range *s.methods.Load() {
		if !slices.Contains(methods, m) {
			methods = append(methods, m)
		}
	}
	slices.SortFunc(methods, func(a, b *method) int { return strings.Compare(a.name, b.name) })
	for _, m := range methods {
		for oi, name := range outcomes {
			o := &m.stats[oi]
			cs := CallStats{Method: m.name, Outcome: name, Count: o.count.Load(), Duration: time.Duration(o.nanos.Load()),
				Buckets: make([]int64, len(LatencyBuckets))}
			var sum int64
			for i := range LatencyBuckets {
				sum += o.buckets[i].Load()
				cs.Buckets[i] = sum
			}
			st.Calls = append(st.Calls, cs)
		}
	}

	r := s.local
	r.mu.RLock()
	st.Groups = int64(len(r.groups))
	for _, members := range r.groups {
		st.GroupMemberships += int64(len(members))
	}
	r.mu.RUnlock()

	st.Backplane = BackplaneStats{Type: reflect.TypeOf(s.bp).String(), Healthy: true}
	if h, ok := s.bp.(interface{ Healthy() bool }); ok {
		st.Backplane.Healthy = h.Healthy()
	}
	return st
}

// WritePrometheus writes st in the Prometheus text exposition format
// (version 0.0.4), every metric prefixed with "listhub_", so that an HTTP
// handler can serve it:
//
//	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
//		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
//		srv.Stats().WritePrometheus(w)
//	})
func (st Stats) WritePrometheus(w io.Writer) error {
	p := &promWriter{w: w}
	p.help("listhub_connections", "gauge", "Open hub connections by transport and protocol.")
	for _, c := range st.Connections {
		p.sample("listhub_connections", labels("transport", c.Transport, "protocol", c.Protocol), c.Open)
	}
	p.counter("listhub_connections_opened_total", "Hub connections opened (handshake completed).", st.ConnectionsOpened)
	p.help("listhub_calls_total", "counter", "Finished hub method calls by method and outcome.")
	for _, c := range st.Calls {
		p.sample("listhub_calls_total", labels("method", c.Method, "outcome", c.Outcome), c.Count)
	}
	p.help("listhub_call_duration_seconds", "histogram", "Duration of hub method calls by method and outcome.")
	for _, c := range st.Calls {
		if c.Count == 0 {
			continue
		}
		for i, le := range LatencyBuckets {
			p.sample("listhub_call_duration_seconds_bucket",
				labels("method", c.Method, "outcome", c.Outcome, "le", strconv.FormatFloat(le.Seconds(), 'g', -1, 64)), c.Buckets[i])
		}
		p.sample("listhub_call_duration_seconds_bucket", labels("method", c.Method, "outcome", c.Outcome, "le", "+Inf"), c.Count)
		p.line("listhub_call_duration_seconds_sum%s %s", labels("method", c.Method, "outcome", c.Outcome),
			strconv.FormatFloat(c.Duration.Seconds(), 'g', -1, 64))
		p.sample("listhub_call_duration_seconds_count", labels("method", c.Method, "outcome", c.Outcome), c.Count)
	}
	p.counter("listhub_unknown_method_calls_total", "Calls of methods that are not registered.", st.UnknownMethodCalls)
	p.counter("listhub_messages_sent_total", "Invocations, stream items and completions queued for connections, one per recipient.", st.MessagesSent)
	p.counter("listhub_slow_consumer_closes_total", "Connections closed because their send queue was full.", st.SlowConsumerCloses)
	p.gauge("listhub_groups", "Groups with a member on this node.", st.Groups)
	p.gauge("listhub_group_memberships", "Connection-group memberships on this node.", st.GroupMemberships)
	healthy := int64(0)
	if st.Backplane.Healthy {
		healthy = 1
	}
	p.help("listhub_backplane_healthy", "gauge", "1 when the backplane reaches the other nodes.")
	p.sample("listhub_backplane_healthy", labels("type", st.Backplane.Type), healthy)
	return p.err
}

type promWriter struct {
	w   io.Writer
	err error
}

func (p *promWriter) line(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format+"\n", args...)
	}
}

func (p *promWriter) help(name, typ, help string) {
	p.line("# HELP %s %s", name, help)
	p.line("# TYPE %s %s", name, typ)
}

func (p *promWriter) sample(name, labels string, v int64) { p.line("%s%s %d", name, labels, v) }

func (p *promWriter) counter(name, help string, v int64) {
	p.help(name, "counter", help)
	p.sample(name, "", v)
}

func (p *promWriter) gauge(name, help string, v int64) {
	p.help(name, "gauge", help)
	p.sample(name, "", v)
}

// labels formats label pairs, escaping values as the text format requires.
func labels(kv ...string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		v := strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(kv[i+1])
		fmt.Fprintf(&b, "%s=\"%s\"", kv[i], v)
	}
	b.WriteByte('}')
	return b.String()
}

// connected counts a connection in, with its handshake.
func (m *metrics) connected(h *hubConn) {
	m.open[transportIndex(h.conn.Transport())][h.codecIndex].Add(1)
	m.opened.Add(1)
}

// disconnected counts a connection out when it ends. opened is false when
// its handshake could not complete after all (it was never opened).
func (m *metrics) disconnected(h *hubConn, opened bool) {
	m.open[transportIndex(h.conn.Transport())][h.codecIndex].Add(-1)
	if !opened {
		m.opened.Add(-1)
	}
}

// writeFailed uncounts a message that could not be queued for h, and
// counts and logs h's close as a slow consumer.
func (m *metrics) writeFailed(h *hubConn, trackable bool, err error) {
	if trackable {
		m.messagesSent.Add(-1)
	}
	switch {
	case errors.Is(err, connection.ErrQueueFull) || errors.Is(err, errReplayOverflow):
		if h.slow.CompareAndSwap(false, true) {
			m.slowConsumerCloses.Add(1)
			setting := "hub.Config.Connection.MaxQueueBytes"
			if errors.Is(err, errReplayOverflow) {
				setting = "hub.Config.StatefulReconnectBufferSize"
			}
			h.logFailure(slog.LevelInfo, "hub: closing a slow connection: it does not read its messages fast enough ("+setting+")", "")
		}
	}
}

// observe counts c's outcome and duration once; it runs on the goroutine
// running c, before its Completion is sent.
func (h *hubConn) observe(c *call) {
	if c.observed || c.start.IsZero() {
		return
	}
	c.observed = true
	c.m.stats.observe(c.outcome, time.Since(c.start))
}
