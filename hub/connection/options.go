package connection

import (
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strconv"
	"strings"
	"time"
)

// Transport is a set of transports, a bit set like ASP.NET's
// HttpTransportType.
type Transport int

// The transports of the SignalR connection protocol.
const (
	WebSockets       Transport = 1
	ServerSentEvents Transport = 2
	LongPolling      Transport = 4

	allTransports = WebSockets | ServerSentEvents | LongPolling
	// implementedTransports are the transports this version can serve.
	implementedTransports = WebSockets
)

// String returns the transport's name as negotiate spells it
// ("WebSockets", "ServerSentEvents", "LongPolling"); a set of several is
// joined with "|".
func (t Transport) String() string {
	switch t {
	case WebSockets:
		return "WebSockets"
	case ServerSentEvents:
		return "ServerSentEvents"
	case LongPolling:
		return "LongPolling"
	case 0:
		return "None"
	}
	if t&^allTransports != 0 {
		return "Transport(" + strconv.Itoa(int(t)) + ")"
	}
	var names []string
	for _, one := range []Transport{WebSockets, ServerSentEvents, LongPolling} {
		if t&one != 0 {
			names = append(names, one.String())
		}
	}
	return strings.Join(names, "|")
}

// Defaults, matching ASP.NET Core's HttpConnectionDispatcherOptions.
const (
	DefaultDisconnectTimeout    = 15 * time.Second
	DefaultCloseTimeout         = 5 * time.Second
	DefaultTransportSendTimeout = 10 * time.Second
	DefaultMaxQueueBytes        = 1 << 20
	DefaultMaxFrameBytes        = 64 << 10

	heartbeatInterval = time.Second
	// maxReceiveChunk bounds one Session.Receive call: a larger incoming
	// WebSocket message is handed over in several consecutive chunks.
	maxReceiveChunk = 64 << 10
)

// Options configures a Server. The zero value means the documented
// defaults.
type Options struct {
	// Transports is the set of enabled transports. 0 means WebSockets, the
	// only transport implemented so far (enabling another one is an error
	// until it is). Negotiate lists the enabled transports, WebSockets
	// first.
	Transports Transport

	// MinNegotiateVersion is the lowest negotiate protocol version
	// accepted (0 or 1). Default 0.
	MinNegotiateVersion int

	// AllowStatefulReconnects is stored for the stateful reconnect
	// feature, which is not implemented yet: negotiate never answers
	// useStatefulReconnect, so clients never turn it on. Default false.
	AllowStatefulReconnects bool

	// DisconnectTimeout is how long a negotiated connection whose transport
	// never starts is kept. Default 15 s.
	DisconnectTimeout time.Duration

	// CloseTimeout is how long a graceful close waits for the peer's close
	// frame before the socket is closed. Default 5 s. The WebSocket library
	// bounds each step of its close handshake at 5 s, so longer values act
	// as 5 s.
	CloseTimeout time.Duration

	// TransportSendTimeout closes the connection when a single write to the
	// socket has been blocked this long. It is checked by the 1 s
	// heartbeat, so it fires up to one second late. Default 10 s.
	TransportSendTimeout time.Duration

	// MaxQueueBytes bounds the bytes queued for one connection and not yet
	// written. A Write that would exceed it aborts the connection with
	// ErrQueueFull (slow consumer). Default 1 MiB.
	MaxQueueBytes int

	// MaxFrameBytes bounds how many bytes of queued units the writer joins
	// into one WebSocket message. A single larger unit is still written as
	// one message. Default 64 KiB.
	MaxFrameBytes int

	// PreserveUnits, if true, writes each unit passed to Conn.Write as its
	// own WebSocket message (a raw echo needs this). Default false: the
	// writer joins consecutive queued units of the same type.
	PreserveUnits bool

	// AllowedOrigins lists the origins allowed to make cross-origin
	// requests (CORS) and WebSocket connections. An entry is an origin
	// ("https://app.example.com") or a path.Match pattern over origins
	// ("https://*.example.com"), matched case-insensitively; "*" allows any
	// origin. Allowed origins are reflected exactly in
	// Access-Control-Allow-Origin together with
	// Access-Control-Allow-Credentials: true. Requests without an Origin
	// header and same-origin requests (Origin host == Host) are always
	// allowed. Default: same-origin only.
	AllowedOrigins []string

	// Logger receives the package's logs. Per-connection events are logged
	// at Debug only. Default slog.Default().
	Logger *slog.Logger

	// tickInterval is the heartbeat period; tests shorten it. Default 1 s.
	tickInterval time.Duration
}

// withDefaults validates o and returns a copy with defaults filled in.
func (o Options) withDefaults() (Options, error) {
	var errs []error
	if o.Transports == 0 {
		o.Transports = WebSockets
	}
	if o.Transports&^allTransports != 0 {
		errs = append(errs, fmt.Errorf("unknown transports %d", int(o.Transports&^allTransports)))
	} else if missing := o.Transports &^ implementedTransports; missing != 0 {
		errs = append(errs, fmt.Errorf("transport %v is not implemented yet", missing))
	}
	if o.MinNegotiateVersion < 0 || o.MinNegotiateVersion > maxNegotiateVersion {
		errs = append(errs, fmt.Errorf("MinNegotiateVersion %d out of range [0,%d]", o.MinNegotiateVersion, maxNegotiateVersion))
	}
	durations := []struct {
		name string
		d    *time.Duration
		def  time.Duration
	}{
		{"DisconnectTimeout", &o.DisconnectTimeout, DefaultDisconnectTimeout},
		{"CloseTimeout", &o.CloseTimeout, DefaultCloseTimeout},
		{"TransportSendTimeout", &o.TransportSendTimeout, DefaultTransportSendTimeout},
		{"tickInterval", &o.tickInterval, heartbeatInterval},
	}
	for _, d := range durations {
		switch {
		case *d.d < 0:
			errs = append(errs, fmt.Errorf("%s is negative", d.name))
		case *d.d == 0:
			*d.d = d.def
		}
	}
	sizes := []struct {
		name string
		n    *int
		def  int
	}{
		{"MaxQueueBytes", &o.MaxQueueBytes, DefaultMaxQueueBytes},
		{"MaxFrameBytes", &o.MaxFrameBytes, DefaultMaxFrameBytes},
	}
	for _, s := range sizes {
		switch {
		case *s.n < 0:
			errs = append(errs, fmt.Errorf("%s is negative", s.name))
		case *s.n == 0:
			*s.n = s.def
		}
	}
	origins := make([]string, 0, len(o.AllowedOrigins))
	for _, p := range o.AllowedOrigins {
		p = strings.ToLower(strings.TrimSuffix(p, "/"))
		if _, err := path.Match(p, ""); err != nil {
			errs = append(errs, fmt.Errorf("AllowedOrigins %q: %w", p, err))
		}
		origins = append(origins, p)
	}
	o.AllowedOrigins = origins
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if err := errors.Join(errs...); err != nil {
		return o, fmt.Errorf("connection: invalid options: %w", err)
	}
	return o, nil
}
