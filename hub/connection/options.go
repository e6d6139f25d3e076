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
	DefaultLongPollTimeout      = 90 * time.Second
	DefaultMaxPostBytes         = 1 << 20
	DefaultMinPostDataRate      = 240
	DefaultMinPostDataRateGrace = 5 * time.Second

	DefaultMaxPendingNegotiations = 100_000

	heartbeatInterval = time.Second
	// maxReceiveChunk bounds one Session.Receive call: a larger incoming
	// WebSocket message is handed over in several consecutive chunks.
	maxReceiveChunk = 64 << 10
)

// Options configures a Server. The zero value means the documented
// defaults.
type Options struct {
	// Transports is the set of enabled transports. 0 means all three.
	// Negotiate lists the enabled ones in the order WebSockets,
	// ServerSentEvents, LongPolling, which is the order clients try them.
	Transports Transport

	// MinNegotiateVersion is the lowest negotiate protocol version
	// accepted (0 or 1). Default 0.
	MinNegotiateVersion int

	// AllowStatefulReconnects lets negotiate grant stateful reconnect to
	// clients that ask for it (useStatefulReconnect=true); see
	// Conn.EnableReconnect. Default false: negotiate never offers it.
	AllowStatefulReconnects bool

	// DisconnectTimeout is how long a connection is kept without a
	// transport: a negotiated connection whose transport never starts, a
	// long-polling connection with no poll outstanding, a WebSocket
	// connection waiting for a stateful reconnect. Default 15 s.
	DisconnectTimeout time.Duration

	// LongPollTimeout is how long a poll waits for data before it is
	// answered 200 with an empty body (the client polls again). Default
	// 90 s, below the JS client's fixed 100 s poll timeout.
	LongPollTimeout time.Duration

	// CloseTimeout is how long a graceful close waits for the peer's close
	// frame before the socket is closed. Default 5 s. The WebSocket library
	// bounds each step of its close handshake at 5 s, so longer values act
	// as 5 s.
	CloseTimeout time.Duration

	// TransportSendTimeout closes the connection when a single write to the
	// client (a WebSocket message, a Server-Sent Event, a poll response)
	// has been blocked this long. For the streaming transports it is
	// checked by the 1 s heartbeat, so it fires up to one second late; a
	// poll response carries it as a write deadline. Default 10 s.
	TransportSendTimeout time.Duration

	// MaxQueueBytes bounds the backlog of bytes queued for one connection
	// and not yet written: a Write once the backlog has reached it aborts
	// the connection with ErrQueueFull (slow consumer). It does not bound
	// the size of one unit: a larger unit is accepted onto a smaller
	// backlog. Default 1 MiB.
	MaxQueueBytes int

	// MaxFrameBytes bounds how many bytes of queued units the writer joins
	// into one WebSocket message or Server-Sent Event. A single larger unit
	// is still written whole. A long poll is not bounded by it: it takes
	// everything queued. Default 64 KiB.
	MaxFrameBytes int

	// MaxPostBytes bounds the body of one POST (the client-to-server sends
	// of Server-Sent Events and long polling). A POST is read whole before
	// any of it is passed to the Session, so a larger one is refused with
	// 413 and nothing of it is delivered; the connection stays usable.
	// The official clients put whole messages into a POST, so the hub's
	// own message size limit is the one that normally applies. Default
	// 1 MiB.
	MaxPostBytes int

	// MinPostDataRate is the slowest a POST body may arrive, in bytes per
	// second, once MinPostDataRateGrace has passed: a slower one is
	// answered 408 Request Timeout and its HTTP connection closed, as
	// Kestrel's MinRequestBodyDataRate does, so a trickling client cannot
	// hold a request for long. Default 240; negative disables it.
	MinPostDataRate int
	// MinPostDataRateGrace is how long a POST body may arrive slower than
	// MinPostDataRate at first. Default 5 s.
	MinPostDataRateGrace time.Duration

	// MaxPendingNegotiations bounds the connections negotiated but not yet
	// started, which otherwise live for DisconnectTimeout each: a negotiate
	// beyond it is answered 503 Service Unavailable with an empty body. The
	// count is recounted by each heartbeat and raised by each negotiate in
	// between, so it is exact to within a second's negotiations. Default
	// 100,000.
	MaxPendingNegotiations int

	// PreserveUnits, if true, sends each unit passed to Conn.Write as its
	// own transport unit: WebSocket message, Server-Sent Event or poll
	// response (a raw echo needs this). Default false: the writer joins
	// consecutive queued units of the same type.
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
		o.Transports = allTransports
	}
	if o.Transports&^allTransports != 0 {
		errs = append(errs, fmt.Errorf("unknown transports %d", int(o.Transports&^allTransports)))
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
		{"LongPollTimeout", &o.LongPollTimeout, DefaultLongPollTimeout},
		{"tickInterval", &o.tickInterval, heartbeatInterval},
		{"MinPostDataRateGrace", &o.MinPostDataRateGrace, DefaultMinPostDataRateGrace},
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
		{"MaxPostBytes", &o.MaxPostBytes, DefaultMaxPostBytes},
		{"MaxPendingNegotiations", &o.MaxPendingNegotiations, DefaultMaxPendingNegotiations},
	}
	for _, s := range sizes {
		switch {
		case *s.n < 0:
			errs = append(errs, fmt.Errorf("%s is negative", s.name))
		case *s.n == 0:
			*s.n = s.def
		}
	}
	if o.MinPostDataRate == 0 {
		o.MinPostDataRate = DefaultMinPostDataRate
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
