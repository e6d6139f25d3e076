package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"sync/atomic"

	"golang.org/x/time/rate"

	"github.com/listhub/listhub/protocol"
)

// Failure logs: every failure a client meets is logged, with the reason
// and, where one applies, the Config setting to change. Clients can cause
// them at will, so they go through one token bucket per Server.
const (
	failureLogsPerSecond = 10
	failureLogBurst      = 50
)

// failureLog writes rate-limited failure logs to the Server's Logger. The
// next line written after some were dropped carries "suppressed", their
// count.
type failureLog struct {
	logger     *slog.Logger
	limiter    *rate.Limiter
	suppressed atomic.Int64
}

func newFailureLog(l *slog.Logger) *failureLog {
	return &failureLog{logger: l, limiter: rate.NewLimiter(failureLogsPerSecond, failureLogBurst)}
}

func (f *failureLog) log(level slog.Level, msg string, attrs ...any) {
	ctx := context.Background()
	if !f.logger.Enabled(ctx, level) {
		return
	}
	if !f.limiter.Allow() {
		f.suppressed.Add(1)
		return
	}
	if n := f.suppressed.Swap(0); n > 0 {
		attrs = append(attrs, "suppressed", n)
	}
	f.logger.Log(ctx, level, msg, attrs...)
}

// logFailure logs a failure on this connection with its identity: the
// connection id, the user and, when known, the hub method.
func (h *hubConn) logFailure(level slog.Level, msg, method string, attrs ...any) {
	base := make([]any, 0, 8+len(attrs))
	if method != "" {
		base = append(base, "method", method)
	}
	base = append(base, "connection", h.id, "user", h.userID)
	if h.codec != nil {
		base = append(base, "protocol", h.codec.Name())
	}
	h.srv.flog.log(level, msg, append(base, attrs...)...)
}

// panicError is a hub method's panic, with the stack where it happened.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// logMethodError logs the error a call ended with: a panic with its stack
// and any other error at Error level; an *Error, which the client sees, at
// Info; the built-in refusals were logged by their filters.
func (h *hubConn) logMethodError(method string, err error) {
	var pe *panicError
	var hubErr *Error
	switch {
	case errors.As(err, &pe):
		h.logFailure(slog.LevelError, "hub: method panicked", method, "panic", fmt.Sprint(pe.value), "stack", string(pe.stack))
	case err == errRateLimited || err == ErrAccessDenied:
	case errors.As(err, &hubErr):
		h.logFailure(slog.LevelInfo, "hub: method returned an *Error, sent to the client", method, "err", err)
	case !h.srv.cfg.EnableDetailedErrors:
		h.logFailure(slog.LevelError, "hub: method failed; the client sees only a generic message "+
			"(return a *hub.Error to show it one, or set hub.Config.EnableDetailedErrors in development)", method, "err", err)
	default:
		h.logFailure(slog.LevelError, "hub: method failed", method, "err", err)
	}
}

// bindError is the detailed error of an argument that does not bind:
// ASP.NET Core's text, then which argument and Go type.
func bindError(index int, t reflect.Type, err error) error {
	return invalidData("Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked. "+
		"Argument %d does not bind to Go type %s: %v", index, t, err)
}

// logHookError logs an OnConnected or OnDisconnected failure (through the
// Filters).
func (h *hubConn) logHookError(hook string, err error) {
	var pe *panicError
	if errors.As(err, &pe) {
		h.logFailure(slog.LevelError, "hub: "+hook+" panicked", "", "panic", fmt.Sprint(pe.value), "stack", string(pe.stack))
		return
	}
	h.logFailure(slog.LevelError, "hub: "+hook+" failed; closing the connection", "", "err", err)
}

// logParseError logs a message the connection's protocol could not read.
func (h *hubConn) logParseError(err error) {
	var tooLarge *protocol.TooLargeError
	if errors.As(err, &tooLarge) {
		h.logFailure(slog.LevelWarn, "hub: message larger than hub.Config.MaxMessageSize; closing the connection", "", "limit", tooLarge.Limit)
		return
	}
	h.logFailure(slog.LevelWarn, "hub: malformed message; closing the connection", "", "err", err)
}

var errNoIdentity = errors.New("the Authenticator returned no identity")

// logRefusal logs a refused HTTP request of a client.
func (s *Server) logRefusal(r *http.Request, msg string, attrs ...any) {
	s.flog.log(slog.LevelInfo, msg, append(attrs, "path", r.URL.Path, "remote", r.RemoteAddr)...)
}
