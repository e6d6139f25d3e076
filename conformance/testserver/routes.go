package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/listhub/listhub/hub"
	"github.com/listhub/listhub/hub/connection"
)

// testApp is the functional-test app: its hubs, the raw echo endpoint and
// the plain HTTP endpoints and middleware of the upstream Startup.
type testApp struct {
	logger *slog.Logger
	jwt    *jwtAuth

	testHub      *hub.Server // /testhub
	noWebSockets *hub.Server // /testhub-nowebsockets
	authorized   *hub.Server // /authorizedhub
	uncreatable  *hub.Server // /uncreatable
	echo         *connection.Server

	// endpoints maps each lower-cased endpoint path to its handler; the
	// handler also serves the path's "/negotiate" child.
	endpoints map[string]http.Handler

	// testHubConns maps the id of every connection of either TestHub
	// endpoint to that endpoint's *hub.Clients, for /clientresult/{id}.
	// Upstream both endpoints share one hub type and hence one IHubContext.
	testHubConns sync.Map

	redirects atomic.Int64 // /redirect's counter, global as upstream

	// webworker serves /lib/signalr-webworker/ (the official client's
	// WebWorker bundle), as the upstream app's wwwroot does; nil when the
	// npm package is not installed.
	webworker http.Handler
}

// newTestApp builds the app; maxPending is every hub's
// Connection.MaxPendingNegotiations (0: the default).
func newTestApp(logger *slog.Logger, maxPending int) (*testApp, error) {
	auth, err := newJWTAuth()
	if err != nil {
		return nil, err
	}
	a := &testApp{logger: logger, jwt: auth}
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()

	all := connection.WebSockets | connection.ServerSentEvents | connection.LongPolling
	connOpts := func(transports connection.Transport) connection.Options {
		return connection.Options{
			Transports:             transports,
			AllowedOrigins:         []string{"*"},
			MaxPendingNegotiations: maxPending,
			Logger:                 logger,
		}
	}
	hubConfig := func(want connection.Transport) hub.Config {
		return hub.Config{
			Connection:           connOpts(want),
			EnableDetailedErrors: true,
			Logger:               logger,
		}
	}

	cfg := hubConfig(all)
	// Unlike upstream, /testhub offers stateful reconnect, so that clients'
	// withStatefulReconnect() can be tested against it.
	cfg.Connection.AllowStatefulReconnects = true
	cfg.OnConnected, cfg.OnDisconnected = a.testHubConnected, a.testHubDisconnected
	if a.testHub, err = newHub(cfg, testHub{}); err != nil {
		return nil, fmt.Errorf("/testhub: %w", err)
	}
	cfg = hubConfig(connection.ServerSentEvents | connection.LongPolling)
	cfg.OnConnected, cfg.OnDisconnected = a.testHubConnected, a.testHubDisconnected
	if a.noWebSockets, err = newHub(cfg, testHub{}); err != nil {
		return nil, fmt.Errorf("/testhub-nowebsockets: %w", err)
	}
	cfg = hubConfig(all)
	cfg.Authenticator = a.jwt
	if a.authorized, err = newHub(cfg, authorizedHub{}); err != nil {
		return nil, fmt.Errorf("/authorizedhub: %w", err)
	}
	cfg = hubConfig(all)
	cfg.OnConnected = func(*hub.Context) error { return errUncreatable }
	if a.uncreatable, err = newHub(cfg, nil); err != nil {
		return nil, fmt.Errorf("/uncreatable: %w", err)
	}
	echoOpts := connOpts(all)
	echoOpts.PreserveUnits = true
	if a.echo, err = connection.NewServer(echoApp{}, echoOpts); err != nil {
		return nil, fmt.Errorf("/echo: %w", err)
	}

	a.endpoints = map[string]http.Handler{
		"/testhub":              a.testHub,
		"/testhub-nowebsockets": a.noWebSockets,
		"/authorizedhub":        a.authorized,
		"/uncreatable":          a.uncreatable,
		"/echo":                 a.echo,
	}
	ok = true
	return a, nil
}

func newHub(cfg hub.Config, methods any) (*hub.Server, error) {
	srv, err := hub.New(cfg)
	if err != nil {
		return nil, err
	}
	if methods != nil {
		if err := srv.RegisterMethods(methods); err != nil {
			_ = srv.Close()
			return nil, err
		}
	}
	return srv, nil
}

func (a *testApp) testHubConnected(c *hub.Context) error {
	a.testHubConns.Store(c.ConnectionID(), c.Clients().Clients)
	return nil
}

func (a *testApp) testHubDisconnected(c *hub.Context, _ error) {
	a.testHubConns.Delete(c.ConnectionID())
}

// endpointServer is what the hub and the connection servers have in common.
type endpointServer interface {
	Shutdown(context.Context) error
	Close() error
}

func (a *testApp) servers() []endpointServer {
	var out []endpointServer
	for _, s := range []*hub.Server{a.testHub, a.noWebSockets, a.authorized, a.uncreatable} {
		if s != nil {
			out = append(out, s)
		}
	}
	if a.echo != nil {
		out = append(out, a.echo)
	}
	return out
}

// Shutdown closes every endpoint gracefully, in parallel.
func (a *testApp) Shutdown(ctx context.Context) error {
	servers := a.servers()
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() { errs[i] = s.Shutdown(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Close ends every connection at once.
func (a *testApp) Close() {
	for _, s := range a.servers() {
		_ = s.Close()
	}
}

// ServeHTTP applies the upstream middleware in its order (CORS, then
// /echoredirect, /redirect, the negotiate cookies and /bad-negotiate) and
// routes case-insensitively, as ASP.NET Core does.
func (a *testApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a.cors(w, r) {
		return
	}
	lower := strings.ToLower(r.URL.Path)
	switch {
	case hasSegmentPrefix(lower, "/echoredirect"):
		a.echoRedirect(w, r)
		return
	case hasSegmentPrefix(lower, "/redirect"):
		a.redirect(w, r)
		return
	}
	if strings.Contains(lower, "/negotiate") {
		setNegotiateCookies(w, r.TLS != nil, time.Now())
	}
	if hasSegmentPrefix(lower, "/bad-negotiate") {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "Some response from server")
		return
	}

	switch {
	case strings.HasPrefix(lower, webworkerPath) && a.webworker != nil:
		a.webworker.ServeHTTP(w, r)
		return
	case lower == "/generatejwttoken" && r.Method == http.MethodGet:
		a.generateJWT(w)
		return
	case strings.HasPrefix(lower, "/clientresult/") && r.Method == http.MethodGet:
		a.clientResult(w, r, r.URL.Path[len("/clientresult/"):])
		return
	}
	base, suffix := lower, ""
	if b, ok := strings.CutSuffix(lower, "/negotiate"); ok {
		base, suffix = b, "/negotiate"
	}
	if h := a.endpoints[base]; h != nil {
		// The hub sees the canonical path, whatever case the client used.
		if r.URL.Path != base+suffix {
			r = r.Clone(r.Context())
			r.URL.Path, r.URL.RawPath = base+suffix, ""
		}
		h.ServeHTTP(w, r)
		return
	}
	// An empty body, as ASP.NET Core answers: clients show the status text.
	w.WriteHeader(http.StatusNotFound)
}

// cors reflects any Origin with credentials and answers every preflight
// with 204, like the upstream app's custom CORS middleware. It reports
// whether the request has been answered.
func (a *testApp) cors(w http.ResponseWriter, r *http.Request) bool {
	if origin := r.Header.Get("Origin"); origin != "" {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Add("Vary", "Origin")
		if m := r.Header.Get("Access-Control-Request-Method"); m != "" {
			h.Set("Access-Control-Allow-Methods", m)
		}
		if hs := r.Header.Get("Access-Control-Request-Headers"); hs != "" {
			h.Set("Access-Control-Allow-Headers", hs)
		}
	}
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}

// echoRedirect answers every request with a 307 to the same URL with "echo"
// in place of "echoredirect". The Location is absolute: the eventsource
// package bundled with the JS client cannot follow a relative one.
func (a *testApp) echoRedirect(w http.ResponseWriter, r *http.Request) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	path := r.URL.Path
	if i := strings.Index(strings.ToLower(path), "echoredirect"); i >= 0 {
		path = path[:i] + "echo" + path[i+len("echoredirect"):]
	}
	loc := scheme + "://" + r.Host + path
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusTemporaryRedirect)
}

// redirect answers any request under /redirect with a negotiate redirect to
// "<baseUrl>/testHub?numRedirects=<n>", n counting up from 1 across all
// connections.
func (a *testApp) redirect(w http.ResponseWriter, r *http.Request) {
	baseURL, _ := queryValue(r, "baseUrl")
	n := a.redirects.Add(1)
	url := baseURL + "/testHub?numRedirects=" + strconv.FormatInt(n, 10)
	body, _ := json.Marshal(struct {
		URL string `json:"url"`
	}{url})
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// setNegotiateCookies sets the cookies the upstream app sets on every
// negotiate, in ASP.NET Core's format.
func setNegotiateCookies(w http.ResponseWriter, https bool, now time.Time) {
	attrs := "; path=/"
	if https {
		attrs += "; secure; samesite=none; partitioned"
	}
	expired := now.Add(-time.Hour).UTC().Format(http.TimeFormat)
	h := w.Header()
	h.Add("Set-Cookie", "testCookie=testValue"+attrs)
	h.Add("Set-Cookie", "testCookie2=testValue2"+attrs)
	h.Add("Set-Cookie", "expiredCookie=doesntmatter; expires="+expired+attrs)
}

func (a *testApp) generateJWT(w http.ResponseWriter) {
	token, err := a.jwt.issue(time.Now())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, token)
}

// clientResult invokes "Result" on a TestHub connection and answers 200 with
// the client's int, or with the error text ("Error: from callback",
// "Client didn't provide a result.", "Connection '<id>' does not exist.").
func (a *testApp) clientResult(w http.ResponseWriter, r *http.Request, id string) {
	clients := a.testHub.Clients()
	if c, ok := a.testHubConns.Load(id); ok {
		clients = c.(*hub.Clients)
	}
	text := ""
	n, err := hub.Invoke[int](r.Context(), clients.Client(id), "Result")
	if err != nil {
		text = err.Error()
	} else {
		text = strconv.Itoa(n)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, text)
}

// hasSegmentPrefix reports whether path is prefix or starts with prefix
// followed by "/", like ASP.NET Core's PathString.StartsWithSegments.
func hasSegmentPrefix(path, prefix string) bool {
	rest, ok := strings.CutPrefix(path, prefix)
	return ok && (rest == "" || rest[0] == '/')
}

// echoApp is the upstream EchoConnectionHandler: a raw connection, without
// the hub protocol, that sends every chunk it receives straight back as one
// transport unit (one text WebSocket message, one SSE event, one poll body).
type echoApp struct{}

func (echoApp) Connect(c *connection.Conn) (connection.Session, error) {
	return echoSession{c}, nil
}

type echoSession struct{ c *connection.Conn }

func (s echoSession) Receive(data []byte) error {
	// data is only valid during the call; the queued unit outlives it.
	return s.c.Write(bytes.Clone(data), false)
}

func (echoSession) Tick(time.Time) {}

func (echoSession) Closed(error) {}

// webworkerPath is where the upstream app serves the client's WebWorker
// bundle (wwwroot/lib/signalr-webworker, copied from
// @microsoft/signalr/dist/webworker).
const webworkerPath = "/lib/signalr-webworker/"

// webworkerDirs are where the npm package is looked for when no directory
// is given: the conformance suite's node_modules from the repository root,
// or a node_modules in the working directory.
var webworkerDirs = []string{
	"conformance/node_modules/@microsoft/signalr/dist/webworker",
	"node_modules/@microsoft/signalr/dist/webworker",
}

// webworkerHandler serves dir, or the first of webworkerDirs that exists,
// under webworkerPath; nil if there is none.
func webworkerHandler(dir string) http.Handler {
	dirs := webworkerDirs
	if dir != "" {
		dirs = []string{dir}
	}
	for _, d := range dirs {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return http.StripPrefix(webworkerPath, http.FileServer(http.Dir(d)))
		}
	}
	return nil
}
