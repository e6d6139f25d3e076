// Command testserver hosts the reference functional-test app of ASP.NET Core
// SignalR (src/SignalR/clients/ts/FunctionalTests in dotnet/aspnetcore) on
// listhub, so that the official clients' test suites, and ours in
// conformance/test, can run against it unchanged.
//
// Usage:
//
//	go run ./conformance/testserver -addr 127.0.0.1:0 [-https-addr 127.0.0.1:0]
//
// Once it accepts connections it prints one "Now listening on: <url>" line
// per listener, as ASP.NET Core does, and then a line starting with
// "listhub testserver ready:" followed by the HTTP URL. SIGINT or SIGTERM
// shuts it down gracefully: every client gets a Close message that allows
// it to reconnect.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// readyPrefix starts the line printed once every listener accepts
// connections; tests wait for it.
const readyPrefix = "listhub testserver ready: "

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "testserver:", err)
		os.Exit(1)
	}
}

func run() error {
	fs := flag.NewFlagSet("testserver", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: testserver [flags]\n\n"+
			"Hosts the ASP.NET Core SignalR functional-test app (/testhub, /testhub-nowebsockets,\n"+
			"/authorizedhub, /uncreatable, /echo, /generateJwtToken, /clientresult/{id}, /redirect,\n"+
			"/echoredirect, /bad-negotiate) for the official clients' test suites.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	addr := fs.String("addr", "127.0.0.1:5000", "HTTP listen address; port 0 picks a free port")
	httpsAddr := fs.String("https-addr", "", "optional HTTPS listen address with a self-signed certificate generated at startup; port 0 picks a free port (default: no HTTPS)")
	verbose := fs.Bool("v", false, "log at debug level (default: warnings and errors only)")
	webworkerDir := fs.String("webworker-dir", "", "directory served at /lib/signalr-webworker/ (default: @microsoft/signalr/dist/webworker under conformance/node_modules or node_modules)")
	idleTimeout := fs.Duration("idle-timeout", 130*time.Second, "how long an idle keep-alive HTTP connection is kept (Kestrel's KeepAliveTimeout)")
	readHeaderTimeout := fs.Duration("read-header-timeout", 10*time.Second, "how long a client may take to send a request's headers")
	maxPending := fs.Int("max-pending-negotiations", 0, "connections negotiated and not yet started a hub keeps (default: the library's, 100,000); one client IP may have a tenth of them")
	shutdownTimeout := fs.Duration("shutdown-timeout", 5*time.Second, "how long a graceful shutdown waits for connections to end")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	app, err := newTestApp(logger, *maxPending)
	if err != nil {
		return err
	}
	if app.webworker = webworkerHandler(*webworkerDir); app.webworker == nil {
		logger.Warn("the WebWorker bundle is not installed; /lib/signalr-webworker/ answers 404 (run npm ci in conformance/)")
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		app.Close()
		return err
	}
	httpURL := "http://" + ln.Addr().String()
	servers := []*http.Server{newHTTPServer(app, logger, *idleTimeout, *readHeaderTimeout)}
	listeners := []net.Listener{ln}
	urls := []string{httpURL}

	if *httpsAddr != "" {
		cert, err := selfSignedCertificate(time.Now())
		if err != nil {
			app.Close()
			return err
		}
		tln, err := net.Listen("tcp", *httpsAddr)
		if err != nil {
			app.Close()
			return err
		}
		srv := newHTTPServer(app, logger, *idleTimeout, *readHeaderTimeout)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		servers = append(servers, srv)
		listeners = append(listeners, tls.NewListener(tln, srv.TLSConfig))
		urls = append(urls, "https://"+tln.Addr().String())
	}

	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { errc <- srv.Serve(listeners[i]) }()
	}
	for _, u := range urls {
		fmt.Println("Now listening on: " + u)
	}
	fmt.Println(readyPrefix + httpURL)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)

	var serveErr error
	select {
	case s := <-sig:
		logger.Info("shutting down", "signal", s.String())
	case serveErr = <-errc:
	}

	ctx, cancel := context.WithTimeout(context.Background(), *shutdownTimeout)
	defer cancel()
	// The hubs first: their clients get a Close allowing reconnect while the
	// HTTP servers still carry it.
	shutdownErr := app.Shutdown(ctx)
	for _, srv := range servers {
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	if shutdownErr != nil && !errors.Is(shutdownErr, context.DeadlineExceeded) {
		return shutdownErr
	}
	return nil
}

// newHTTPServer sets the timeouts a production server needs for idle and
// slow connections; no ReadTimeout or WriteTimeout, which would cut
// WebSockets, event streams and long polls (the hub bounds writes and POST
// bodies itself).
func newHTTPServer(h http.Handler, logger *slog.Logger, idle, readHeader time.Duration) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeader,
		IdleTimeout:       idle,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}
