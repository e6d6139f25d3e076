package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/listhub/listhub/hub/connection"
)

// metrics are the server's Prometheus metrics, in a registry of its own so
// that several servers in one process (tests) do not collide.
type metrics struct {
	reg              *prometheus.Registry
	connections      prometheus.Gauge
	connectionsTotal prometheus.Counter
	hubCalls         *prometheus.HistogramVec
	eventsPublished  *prometheus.CounterVec
	httpRequests     *prometheus.CounterVec
	httpLatency      *prometheus.HistogramVec
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shoppinglist_hub_connections", Help: "Hub connections open on this node."}),
		connectionsTotal: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shoppinglist_hub_connections_total", Help: "Hub connections opened on this node."}),
		hubCalls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "shoppinglist_hub_call_seconds", Help: "Hub method calls and their latency.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"method", "outcome"}),
		eventsPublished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoppinglist_events_published_total", Help: "List events published to their group from the outbox."}, []string{"type"}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoppinglist_http_requests_total", Help: "HTTP requests by route and status."}, []string{"route", "status"}),
		httpLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "shoppinglist_http_request_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"route"}),
	}
	m.reg.MustRegister(m.connections, m.connectionsTotal, m.hubCalls, m.eventsPublished, m.httpRequests, m.httpLatency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "shoppinglist_backplane_up", Help: "1 when Redis and the backplane's subscriptions are up (or there is no Redis), else 0."},
			func() float64 {
				if s.cfg.Redis == nil {
					return 1
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				if s.cfg.Redis(ctx) != nil {
					return 0
				}
				return 1
			}),
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *metrics) observeHTTP(route string, status int, d time.Duration) {
	m.httpRequests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.httpLatency.WithLabelValues(route).Observe(d.Seconds())
}

// connectionOptions configures the hub's transports: all of them, and the
// allowed browser origins.
func connectionOptions(cfg Config) connection.Options {
	return connection.Options{AllowedOrigins: cfg.CORSOrigins}
}
