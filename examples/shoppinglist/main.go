// Command shoppinglist is the collaborative shopping-list server built on
// listhub: a REST API, the SignalR hub at /hubs/shopping-list and the web
// page, in one binary. See README.md for the flags and the API.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/listhub/listhub/examples/shoppinglist/internal/server"
	"github.com/listhub/listhub/examples/shoppinglist/internal/store"
	"github.com/listhub/listhub/examples/shoppinglist/web"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "shoppinglist:", err)
		os.Exit(1)
	}
}

type options struct {
	addr            string
	db              string
	redis           string
	jwtSecret       string
	tokenTTL        time.Duration
	presenceTimeout time.Duration
	corsOrigins     string
	logLevel        string
}

// parseFlags reads the flags, each of which may also come from the
// environment as SHOPPINGLIST_<NAME> (flags win).
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("shoppinglist", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&o.db, "db", "shoppinglist.db", "SQLite file path, or a postgres:// URL")
	fs.StringVar(&o.redis, "redis", "", "Redis URL (redis://host:port/db) for the backplane and presence of several nodes")
	fs.StringVar(&o.jwtSecret, "jwt-secret", "", "HMAC secret of the tokens, at least 32 bytes (default: random, tokens die with the process)")
	fs.DurationVar(&o.tokenTTL, "token-ttl", 24*time.Hour, "lifetime of issued tokens")
	fs.DurationVar(&o.presenceTimeout, "presence-timeout", 45*time.Second, "a user with no heartbeat for this long has left")
	fs.StringVar(&o.corsOrigins, "cors-origins", "", "comma-separated browser origins allowed besides the server's own")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "SHOPPINGLIST_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if err := f.Value.Set(v); err != nil && envErr == nil {
				envErr = fmt.Errorf("%s: %w", name, err)
			}
		}
	})
	if envErr != nil {
		return o, envErr
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	secret := []byte(o.jwtSecret)
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
		log.Warn("NO -jwt-secret GIVEN: using a random secret; tokens stop working when the process ends and other nodes cannot verify them",
			"hint", "set -jwt-secret or SHOPPINGLIST_JWT_SECRET (at least 32 bytes)")
	} else if len(secret) < 32 {
		return errors.New("-jwt-secret must be at least 32 bytes")
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	st, err := store.Open(ctx, o.db)
	if err != nil {
		return err
	}
	defer st.Close()

	cluster, err := openRedis(ctx, o.redis, log)
	if err != nil {
		return err
	}
	defer cluster.close()

	page, _ := fs.Sub(web.Dist, "dist")
	var origins []string
	for o := range strings.SplitSeq(o.corsOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	app, err := server.New(server.Config{
		Store: st, JWTSecret: secret, TokenTTL: o.tokenTTL, PresenceTimeout: o.presenceTimeout,
		CORSOrigins: origins, Logger: log, Page: page,
		Backplane: cluster.backplane, PresenceStore: cluster.presence, Redis: cluster.ping, RedisInfo: cluster.info,
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		_ = app.Close()
		return err
	}
	httpSrv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	dispatchCtx, stopDispatch := context.WithCancel(context.WithoutCancel(ctx))
	dispatched := make(chan struct{})
	go func() {
		defer close(dispatched)
		app.Run(dispatchCtx)
	}()
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	log.Info("shoppinglist started", "addr", ln.Addr().String(), "database", st.Kind())

	select {
	case err = <-served:
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Stop accepting and let in-flight requests finish, while the hub tells
	// every client to reconnect elsewhere.
	httpDone := make(chan error, 1)
	go func() { httpDone <- httpSrv.Shutdown(shutdownCtx) }()
	if herr := app.Shutdown(shutdownCtx); herr != nil {
		log.Warn("hub shutdown", "err", herr)
	}
	if herr := <-httpDone; herr != nil {
		log.Warn("http shutdown", "err", herr)
	}
	// Publish what has been committed before the database closes.
	stopDispatch()
	<-dispatched
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
