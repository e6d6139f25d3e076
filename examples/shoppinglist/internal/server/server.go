// Package server is the shopping list's HTTP side: the REST API under
// /api, the SignalR hub at /hubs/shopping-list, the outbox dispatcher that
// publishes list events, presence, /healthz, /metrics and the page.
package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/listhub/listhub/auth"
	"github.com/listhub/listhub/backplane"
	"github.com/listhub/listhub/examples/shoppinglist/internal/store"
	"github.com/listhub/listhub/hub"
	"github.com/listhub/listhub/presence"
)

// Config configures a Server. Zero values mean the documented defaults.
type Config struct {
	// Store is the database. Required.
	Store *store.Store
	// JWTSecret signs and verifies tokens (HS256), at least 32 bytes.
	// Required.
	JWTSecret []byte
	// TokenTTL is the lifetime of issued tokens. Default 24 h.
	TokenTTL time.Duration
	// PresenceTimeout is how long a connection without heartbeat or join
	// stays present. Default 45 s.
	PresenceTimeout time.Duration
	// PresenceGrace delays the UserLeft of a closed connection, so that a
	// reload makes no UserLeft/UserJoined pair. Default 5 s; negative: none.
	PresenceGrace time.Duration
	// PresenceStore shares presence between nodes. Default: in memory.
	PresenceStore presence.Store
	// Redis, when set, is asked by /healthz whether Redis answers.
	Redis func(context.Context) error
	// RedisInfo, when set, adds the backplane's state to /healthz.
	RedisInfo func() map[string]any
	// CORSOrigins are browser origins allowed besides the server's own.
	CORSOrigins []string
	// Backplane connects nodes. Default: in memory (one node).
	Backplane backplane.Backplane
	// HubCallsPerMinute and HubCallBurst limit each user's hub calls.
	// Default 100 per minute, burst 20.
	HubCallsPerMinute int
	HubCallBurst      int
	// LoginFailures failed sign-ins per LoginWindow are allowed per client
	// before it is answered 429. Default 10 per minute.
	LoginFailures int
	LoginWindow   time.Duration
	// BcryptCost is the password hashing cost. Default bcrypt.DefaultCost
	// (10); tests lower it.
	BcryptCost int
	// Logger receives request logs and errors. Default slog.Default().
	Logger *slog.Logger
	// Page is the built web page (index.html at its root). nil or without
	// index.html: a short page saying to run `make build`.
	Page fs.FS
}

// Server serves the shopping list. Create it with New, run its dispatcher
// with Run, stop it with Shutdown.
type Server struct {
	cfg      Config
	store    *store.Store
	jwt      *auth.JWT
	hub      *hub.Server
	presence *presence.Tracker
	logins   *loginThrottle
	log      *slog.Logger
	metrics  *metrics
	handler  http.Handler

	dummyHash string
	nodeID    string // names this process's claims on outbox events

	connsMu sync.Mutex
	conns   map[string]string // connection id -> user id, this node
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: Config.Store is required")
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 24 * time.Hour
	}
	if cfg.PresenceTimeout <= 0 {
		cfg.PresenceTimeout = 45 * time.Second
	}
	if cfg.HubCallsPerMinute <= 0 {
		cfg.HubCallsPerMinute = 100
	}
	if cfg.HubCallBurst <= 0 {
		cfg.HubCallBurst = 20
	}
	if cfg.LoginFailures <= 0 {
		cfg.LoginFailures = 10
	}
	if cfg.LoginWindow <= 0 {
		cfg.LoginWindow = time.Minute
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = bcrypt.DefaultCost
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	jwt, err := auth.NewJWT(auth.JWTConfig{HMACKey: cfg.JWTSecret, Algorithms: []string{"HS256"}})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("not a password of anyone"), cfg.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{
		cfg: cfg, store: cfg.Store, jwt: jwt, log: cfg.Logger,
		logins:    newLoginThrottle(cfg.LoginFailures, cfg.LoginWindow),
		dummyHash: string(dummy),
		nodeID:    rand.Text(),
		conns:     map[string]string{},
	}
	s.metrics = newMetrics(s)
	if cfg.PresenceStore == nil {
		cfg.PresenceStore = presence.NewMemoryStore()
		s.cfg.PresenceStore = cfg.PresenceStore
	}
	if s.presence, err = s.newTracker(cfg.PresenceStore); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.hub, err = hub.New(hub.Config{
		Authenticator:  jwt,
		Authorizer:     auth.AuthorizerFunc(s.authorize),
		Backplane:      cfg.Backplane,
		CallsPerSecond: float64(cfg.HubCallsPerMinute) / 60,
		CallBurst:      cfg.HubCallBurst,
		Filters:        []hub.Filter{hub.FilterFuncs{Invoke: s.timeCall}},
		OnConnected:    s.onConnected,
		OnDisconnected: s.onDisconnected,
		Logger:         cfg.Logger,
		Connection:     connectionOptions(cfg),
	})
	if err != nil {
		_ = s.presence.Close(context.Background())
		return nil, fmt.Errorf("server: %w", err)
	}
	if err := s.hub.RegisterMethods(hubMethods{s}); err != nil {
		_ = s.hub.Close()
		_ = s.presence.Close(context.Background())
		return nil, fmt.Errorf("server: %w", err)
	}
	s.handler = s.routes()
	return s, nil
}

// timeCall counts every hub method call with its latency and outcome.
func (s *Server) timeCall(c *hub.Context, inv *hub.Invocation, next hub.InvokeFunc) (any, error) {
	start := time.Now()
	res, err := next(c, inv)
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	s.metrics.hubCalls.WithLabelValues(inv.Method, outcome).Observe(time.Since(start).Seconds())
	return res, err
}

func (s *Server) onConnected(c *hub.Context) error {
	s.connsMu.Lock()
	s.conns[c.ConnectionID()] = c.UserID()
	s.connsMu.Unlock()
	s.metrics.connections.Inc()
	s.metrics.connectionsTotal.Inc()
	s.log.Info("hub connection", "conn", c.ConnectionID(), "user", c.UserID(), "transport", c.Transport().String(), "protocol", c.Protocol())
	return nil
}

func (s *Server) onDisconnected(c *hub.Context, err error) {
	s.connsMu.Lock()
	delete(s.conns, c.ConnectionID())
	s.connsMu.Unlock()
	s.metrics.connections.Dec()
	_ = s.presence.Disconnect(context.WithoutCancel(c), c.ConnectionID())
	s.log.Info("hub disconnection", "conn", c.ConnectionID(), "user", c.UserID(), "err", err)
}

// ServeHTTP serves the API, the hub, the probes and the page.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Run publishes the outbox until ctx ends.
func (s *Server) Run(ctx context.Context) { s.dispatch(ctx) }

// Shutdown sends every hub client a Close that allows reconnecting, waits
// for the connections to end (or ctx), and stops presence. The caller
// stops Run and the HTTP server and closes the store.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.hub.Shutdown(ctx)
	if perr := s.presence.Close(ctx); err == nil {
		err = perr
	}
	return err
}

// Close ends everything at once.
func (s *Server) Close() error {
	err := s.hub.Close()
	_ = s.presence.Close(context.Background())
	return err
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	a := s.authenticated
	mux.HandleFunc("POST /api/auth/register", s.register)
	mux.HandleFunc("POST /api/auth/login", s.login)
	mux.HandleFunc("GET /api/me", a(s.me))
	mux.HandleFunc("PATCH /api/me", a(s.updateMe))
	mux.HandleFunc("GET /api/lists", a(s.lists))
	mux.HandleFunc("POST /api/lists", a(s.createList))
	mux.HandleFunc("GET /api/lists/{listId}", a(s.getList))
	mux.HandleFunc("PATCH /api/lists/{listId}", a(s.updateList))
	mux.HandleFunc("DELETE /api/lists/{listId}", a(s.deleteList))
	mux.HandleFunc("GET /api/lists/{listId}/items", a(s.items))
	mux.HandleFunc("POST /api/lists/{listId}/items", a(s.addItem))
	mux.HandleFunc("PATCH /api/lists/{listId}/items/{itemId}", a(s.updateItem))
	mux.HandleFunc("DELETE /api/lists/{listId}/items/{itemId}", a(s.deleteItem))
	mux.HandleFunc("POST /api/lists/{listId}/items/{itemId}/purchase", a(s.purchase))
	mux.HandleFunc("POST /api/lists/{listId}/collaborators", a(s.addCollaborator))
	mux.HandleFunc("PATCH /api/lists/{listId}/collaborators/{userId}", a(s.updateCollaborator))
	mux.HandleFunc("DELETE /api/lists/{listId}/collaborators/{userId}", a(s.removeCollaborator))
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not found")
	})
	mux.HandleFunc("OPTIONS /api/", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent) // a CORS preflight; cors adds the headers
	})
	mux.Handle(HubPath, s.hub)
	mux.Handle(HubPath+"/", s.hub)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", s.metrics.handler())
	mux.Handle("/", s.page())
	return s.observe(s.cors(mux))
}

// cors lets the browser origins of Config.CORSOrigins call the REST API
// (the hub has its own, the same list). The server's own origin needs
// nothing.
func (s *Server) cors(next http.Handler) http.Handler {
	allowed := map[string]bool{}
	for _, o := range s.cfg.CORSOrigins {
		allowed[o] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && allowed[origin] && strings.HasPrefix(r.URL.Path, "/api/") {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS")
			h.Set("Access-Control-Max-Age", "600")
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	body := map[string]any{"status": "ok", "database": s.store.Kind()}
	if err := s.store.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "failing": "database", "error": "database: " + err.Error()})
		return
	}
	if s.cfg.Redis != nil {
		if err := s.cfg.Redis(ctx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "failing": "redis", "error": "redis: " + err.Error()})
			return
		}
		body["redis"] = "ok"
	}
	if s.cfg.RedisInfo != nil {
		body["backplane"] = s.cfg.RedisInfo()
	}
	writeJSON(w, http.StatusOK, body)
}

// statusWriter records the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// observe logs each request (never its query, which may hold a token) and
// counts it by route and status.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		route := r.Pattern // set by the mux on r
		if route == "" {
			route = "unmatched"
		}
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		elapsed := time.Since(start)
		s.metrics.observeHTTP(route, status, elapsed)
		s.log.Info("http request", "method", r.Method, "path", r.URL.Path, "route", route, "status", status, "duration", elapsed.Round(time.Microsecond))
	})
}
