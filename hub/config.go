package hub

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/listhub/listhub/auth"
	"github.com/listhub/listhub/backplane"
	"github.com/listhub/listhub/hub/connection"
)

// Config configures a Server. The zero value of every field means the
// documented default, which matches ASP.NET Core SignalR's. New rejects a
// negative size, duration or limit, a KeepAliveInterval that is not
// shorter than ClientTimeoutInterval, and an AllowedOrigins entry that is
// not an origin, each with an error naming the field.
type Config struct {
	// Connection configures the connection layer: enabled transports,
	// allowed origins (CORS), disconnect and send timeouts, and the bound of
	// each connection's send queue. See connection.Options for defaults.
	//
	// By default only the hub's own origin may connect from a browser (a
	// page served by the same host and port). A page served from elsewhere,
	// a dev server on another port say, needs its origin listed in
	// Connection.AllowedOrigins, written as the browser sends it: scheme,
	// host and port, no path and no trailing slash
	// ("http://localhost:5173"). A refused origin gets 403 and is logged.
	// Its Logger defaults to Config.Logger.
	Connection connection.Options

	// KeepAliveInterval is how often the server sends a Ping. Default 15 s.
	// When set, it must be shorter than ClientTimeoutInterval (the official
	// clients' own timeout for the server is 30 s by default, like
	// ClientTimeoutInterval's); half of it is the usual choice.
	KeepAliveInterval time.Duration
	// ClientTimeoutInterval closes a connection that has sent nothing for
	// this long, counted from its first Ping. Default 30 s. The official
	// clients ping every 15 s by default, so a shorter value closes idle
	// clients unless they are configured to ping more often (New logs a
	// warning).
	ClientTimeoutInterval time.Duration
	// HandshakeTimeout bounds the wait for the client's handshake. Default 15 s.
	HandshakeTimeout time.Duration
	// MaxMessageSize is the largest incoming hub message in bytes. Default
	// 32 KiB; a larger message closes the connection.
	MaxMessageSize int
	// EnableDetailedErrors sends the text of every error to clients. By
	// default only *Error texts are sent, and other errors show only the
	// generic message.
	EnableDetailedErrors bool
	// MaxParallelInvocations is how many ordinary invocations of one
	// connection may run at once. Default 1: calls run one at a time in the
	// order they arrived. Streaming methods and methods with upload streams
	// always run on their own, as on ASP.NET Core. A connection may have at
	// most 1,024 calls waiting and 256 streams running; calls beyond that
	// fail and the connection stays up.
	MaxParallelInvocations int
	// StreamBufferCapacity is how many items of an upload stream are
	// buffered before the connection's reader waits. Default 10.
	StreamBufferCapacity int

	// StatefulReconnectBufferSize bounds, in bytes, the messages kept for a
	// client with stateful reconnect until it acknowledges them. Hub methods
	// sending to such a client wait while it is full; messages from the
	// backplane never wait and close the connection only when the buffer
	// reaches twice this size or Connection.MaxQueueBytes, whichever is
	// larger. Default 100,000, as on ASP.NET Core. Stateful reconnect itself
	// is enabled with Connection.AllowStatefulReconnects.
	StatefulReconnectBufferSize int

	// Backplane carries every message sent to a group, user, connection or
	// all clients, so that several servers can share them. Default: an
	// in-memory backplane owned and closed by the Server.
	Backplane backplane.Backplane
	// ChannelPrefix starts every backplane channel name of this hub, so that
	// several hubs can share one backplane. Default "listhub:". Every node
	// sharing a backplane runs the hub under the same prefix.
	ChannelPrefix string
	// RemoteCommandTimeout bounds the wait for another node to answer a
	// group change or to accept a client result for one of its
	// connections; a node the backplane reports gone fails the wait at
	// once. Default 5 s.
	RemoteCommandTimeout time.Duration

	// Authenticator identifies the user of every request of a connection
	// (negotiate, WebSocket upgrade, SSE, polls, POSTs). An error answers 401
	// with an empty body, which the official clients report as
	// "Unauthorized". nil means anonymous connections with an empty user id.
	Authenticator auth.Authenticator
	// Authorizer is consulted, never cached, on every new connection
	// (denied at negotiate, or at a WebSocket opened without negotiation:
	// 403; denied when the transport of a negotiated connection starts:
	// the connection is refused), every hub method call (denied: the call fails with
	// "HubException: Access denied") and every group join (denied: Add
	// returns ErrAccessDenied). nil allows everything.
	Authorizer auth.Authorizer
	// AuthorizationRecheckInterval is how often each connection's right to
	// stay connected and to stay in each of its groups is asked again, so a
	// revoked user stops receiving a group's messages even if it makes no
	// call. Default 30 s. Groups.RemoveUser revokes at once.
	AuthorizationRecheckInterval time.Duration
	// CloseOnAuthenticationExpiration closes a connection when its
	// identity's Expires has passed, with a Close that allows reconnecting
	// (the client then authenticates again), like ASP.NET Core's option of
	// the same name. Default false.
	CloseOnAuthenticationExpiration bool

	// CallsPerSecond limits each user's hub method calls on this node with a
	// token bucket (anonymous connections each have their own). A call over
	// the limit fails with "HubException: Rate limit exceeded." and the
	// connection stays up. Default 0: unlimited.
	CallsPerSecond float64
	// CallBurst is the token bucket's size. Default: CallsPerSecond rounded
	// up, at least 1.
	CallBurst int
	// MaxConnectionsPerUser and MaxConnectionsPerIP limit the connections of
	// one user and of one client IP on this node. Negotiate (and a WebSocket
	// opened without negotiation) over the limit is answered 429 Too Many
	// Requests; when several negotiated at once, those whose transport
	// starts over the limit are refused. Default 0: unlimited.
	MaxConnectionsPerUser int
	MaxConnectionsPerIP   int
	// ClientIP tells the client's IP for MaxConnectionsPerIP. Default: the
	// host of the request's RemoteAddr (set it behind a trusted proxy).
	ClientIP func(r *http.Request) string

	// Filters wrap every hub method call and every OnConnected and
	// OnDisconnected, the first outermost, like ASP.NET Core's hub filters.
	// The built-in checks of calls run as filters outside these: first the
	// rate limit (CallsPerSecond), then the Authorizer, so Filters see only
	// the calls that passed them. Default none.
	Filters []Filter

	// OnConnected runs after a client's handshake. An error closes the
	// connection with "Connection closed with an error.".
	OnConnected func(c *Context) error
	// OnDisconnected runs when a connection has ended, with the reason (nil
	// for a clean close), before its groups are left.
	OnDisconnected func(c *Context, err error)

	// Logger receives the hub's logs. Default slog.Default(). Every failure
	// a client meets is logged here with the reason, the method, the
	// connection and the user, and the Config setting to change where
	// one applies: a method's error (level Error; an *Error, which the
	// client sees, at Info) and panic (Error, with the stack); arguments
	// that do not bind, unknown methods, refused tokens and origins (Warn);
	// denied and rate-limited calls (Info). A client cannot flood it: these
	// lines are limited to 10 per second with bursts of 50, and the next
	// line written reports how many were suppressed.
	Logger *slog.Logger
}

// validate reports every field of c that New cannot accept, before
// defaults are applied.
func (c Config) validate() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"KeepAliveInterval", c.KeepAliveInterval},
		{"ClientTimeoutInterval", c.ClientTimeoutInterval},
		{"HandshakeTimeout", c.HandshakeTimeout},
		{"AuthorizationRecheckInterval", c.AuthorizationRecheckInterval},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("Config.%s is negative (%v); zero means the default", d.name, d.v))
		}
	}
	for _, n := range []struct {
		name string
		v    int
	}{
		{"MaxMessageSize", c.MaxMessageSize},
		{"MaxParallelInvocations", c.MaxParallelInvocations},
		{"StreamBufferCapacity", c.StreamBufferCapacity},
		{"StatefulReconnectBufferSize", c.StatefulReconnectBufferSize},
		{"CallBurst", c.CallBurst},
		{"MaxConnectionsPerUser", c.MaxConnectionsPerUser},
		{"MaxConnectionsPerIP", c.MaxConnectionsPerIP},
	} {
		if n.v < 0 {
			errs = append(errs, fmt.Errorf("Config.%s is negative (%d); zero means the default", n.name, n.v))
		}
	}
	if c.CallsPerSecond < 0 || math.IsNaN(c.CallsPerSecond) || math.IsInf(c.CallsPerSecond, 0) {
		errs = append(errs, fmt.Errorf("Config.CallsPerSecond is %v; want a finite number >= 0 (0: unlimited)", c.CallsPerSecond))
	}
	keepAlive, timeout := c.KeepAliveInterval, c.ClientTimeoutInterval
	if timeout <= 0 {
		timeout = DefaultClientTimeoutInterval
	}
	if keepAlive > 0 && keepAlive >= timeout {
		errs = append(errs, fmt.Errorf("Config.KeepAliveInterval (%v) must be shorter than Config.ClientTimeoutInterval (%v): "+
			"the official clients time out after 30 s without a message; use at most half", keepAlive, timeout))
	}
	for _, o := range c.Connection.AllowedOrigins {
		if err := checkOrigin(o); err != nil {
			errs = append(errs, fmt.Errorf("Config.Connection.AllowedOrigins %q: %w", o, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("hub: invalid config: %w", err)
	}
	return nil
}

// checkOrigin accepts what a browser sends as Origin (scheme://host[:port]),
// or a pattern of it, or "*".
func checkOrigin(o string) error {
	if o == "*" {
		return nil
	}
	scheme, rest, ok := strings.Cut(o, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "*?[") {
		return fmt.Errorf("an origin starts with its scheme, e.g. \"https://%s\"", strings.TrimSuffix(o, "/"))
	}
	if rest == "" {
		return errors.New("the host is missing")
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		return fmt.Errorf("an origin has no path, query or trailing slash: use \"%s://%s\"", scheme, rest[:i])
	}
	if !strings.ContainsAny(rest, "*?[") {
		if _, err := url.Parse(o); err != nil {
			return err
		}
	}
	return nil
}

// Defaults of Config, mirroring ASP.NET Core SignalR.
const (
	DefaultKeepAliveInterval     = 15 * time.Second
	DefaultClientTimeoutInterval = 30 * time.Second
	DefaultHandshakeTimeout      = 15 * time.Second
	DefaultStreamBufferCapacity  = 10
	DefaultChannelPrefix         = "listhub:"
	DefaultRemoteCommandTimeout  = 5 * time.Second

	DefaultStatefulReconnectBufferSize  = 100_000
	DefaultAuthorizationRecheckInterval = 30 * time.Second
)

func (c Config) withDefaults() Config {
	if c.KeepAliveInterval <= 0 {
		c.KeepAliveInterval = DefaultKeepAliveInterval
	}
	if c.ClientTimeoutInterval <= 0 {
		c.ClientTimeoutInterval = DefaultClientTimeoutInterval
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = 32 * 1024
	}
	if c.MaxParallelInvocations <= 0 {
		c.MaxParallelInvocations = 1
	}
	if c.StreamBufferCapacity <= 0 {
		c.StreamBufferCapacity = DefaultStreamBufferCapacity
	}
	if c.StatefulReconnectBufferSize <= 0 {
		c.StatefulReconnectBufferSize = DefaultStatefulReconnectBufferSize
	}
	if c.AuthorizationRecheckInterval <= 0 {
		c.AuthorizationRecheckInterval = DefaultAuthorizationRecheckInterval
	}
	if c.CallsPerSecond > 0 && c.CallBurst <= 0 {
		c.CallBurst = max(1, int(math.Ceil(c.CallsPerSecond)))
	}
	if c.RemoteCommandTimeout <= 0 {
		c.RemoteCommandTimeout = DefaultRemoteCommandTimeout
	}
	if c.ChannelPrefix == "" {
		c.ChannelPrefix = DefaultChannelPrefix
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
