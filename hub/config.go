package hub

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/listhub/listhub/backplane"
	"github.com/listhub/listhub/hub/connection"
)

// Config configures a Server. The zero value of every field means the
// documented default, which matches ASP.NET Core SignalR's.
type Config struct {
	// Connection configures the connection layer: enabled transports,
	// allowed origins (CORS), disconnect and send timeouts, and the bound of
	// each connection's send queue. See connection.Options for defaults.
	Connection connection.Options

	// KeepAliveInterval is how often the server sends a Ping. Default 15 s.
	KeepAliveInterval time.Duration
	// ClientTimeoutInterval closes a connection that has sent nothing for
	// this long, counted from its first Ping. Default 30 s.
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
	// always run on their own, as on ASP.NET Core.
	MaxParallelInvocations int
	// StreamBufferCapacity is how many items of an upload stream are
	// buffered before the connection's reader waits. Default 10.
	StreamBufferCapacity int

	// Backplane carries every message sent to a group, user, connection or
	// all clients, so that several servers can share them. Default: an
	// in-memory backplane owned and closed by the Server.
	Backplane backplane.Backplane
	// ChannelPrefix starts every backplane channel name of this hub, so that
	// several hubs can share one backplane. Default "listhub:".
	ChannelPrefix string

	// Authenticate identifies the user of a negotiate or connect request. A
	// non-nil error answers 401 with an empty body. nil means anonymous
	// connections with an empty user id.
	Authenticate func(r *http.Request) (userID string, err error)

	// OnConnected runs after a client's handshake. An error closes the
	// connection with "Connection closed with an error.".
	OnConnected func(c *Context) error
	// OnDisconnected runs when a connection has ended, with the reason (nil
	// for a clean close), before its groups are left.
	OnDisconnected func(c *Context, err error)

	// Logger receives the hub's logs. Default slog.Default().
	Logger *slog.Logger
}

// Defaults of Config, mirroring ASP.NET Core SignalR.
const (
	DefaultKeepAliveInterval     = 15 * time.Second
	DefaultClientTimeoutInterval = 30 * time.Second
	DefaultHandshakeTimeout      = 15 * time.Second
	DefaultStreamBufferCapacity  = 10
	DefaultChannelPrefix         = "listhub:"
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
	if c.ChannelPrefix == "" {
		c.ChannelPrefix = DefaultChannelPrefix
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
