package redis

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/listhub/listhub/backplane"
)

// Sharding chooses between classic and sharded pub/sub.
type Sharding int

const (
	// ShardingAuto uses sharded pub/sub (SPUBLISH/SSUBSCRIBE) when the client
	// is a *redis.ClusterClient and classic pub/sub otherwise.
	ShardingAuto Sharding = iota
	// ShardingOff always uses classic PUBLISH/SUBSCRIBE. On a cluster every
	// message then travels to every cluster node.
	ShardingOff
	// ShardingOn always uses SPUBLISH/SSUBSCRIBE (Redis 7 or later).
	ShardingOn
)

// Options configure a Redis backplane. The zero value (or nil) means every
// default.
type Options struct {
	// Prefix starts the names of the backplane's own keys and channels (the
	// node set, probes, node events), so several applications can share one
	// Redis. The channels the hub subscribes carry the hub's own prefix
	// (hub.Config.ChannelPrefix) and are used as they are. It must not contain
	// '{' or '}'. Default "listhub:".
	Prefix string

	// NodeName is the first part of this node's NodeID, which the backplane
	// completes with a random incarnation ("<name>-<16 hex digits>") so that
	// a restarted node is a new node. Default: the host name.
	NodeName string

	// Logger receives state changes (Redis lost, restored, drops, silent
	// links, nodes gone); never one line per message. Default slog.Default().
	Logger *slog.Logger

	// Heartbeat is how often the node records that it is alive and reads the
	// other nodes' beats. Default 1 s.
	Heartbeat time.Duration

	// NodeTimeout is how long after its last beat a node counts as dead.
	// Default 3 s; it must be more than Heartbeat.
	NodeTimeout time.Duration

	// MaxBatch is the most queued messages one publishing round trip carries.
	// Messages for one channel in a batch travel in one Redis message.
	// Default 1024.
	MaxBatch int

	// MaxFrameBytes bounds the payload bytes packed into one Redis message;
	// a larger single payload travels alone. Default 64 KiB.
	MaxFrameBytes int

	// OutboxMessages, OutboxBytes and OutboxAge bound the messages waiting
	// to be published, which is where messages wait while Redis is
	// unreachable. Publish fails with ErrOutboxFull beyond the first two
	// bounds; messages older than OutboxAge are dropped unsent. Every drop
	// is counted in Health and logged. Defaults 100,000 messages, 64 MiB,
	// 10 s.
	OutboxMessages int
	OutboxBytes    int
	OutboxAge      time.Duration

	// ProbeInterval is how often each subscription connection is probed
	// with a message to itself; a connection that has not received its probe
	// for three intervals is silent and is replaced. Default 1 s.
	ProbeInterval time.Duration

	// RetryInterval is how long the backplane waits between attempts to reach
	// Redis while it is unreachable. Default 100 ms.
	RetryInterval time.Duration

	// Sharding chooses classic or sharded pub/sub. Default ShardingAuto.
	Sharding Sharding

	// Shards is the number of slot tags sharded channels are spread over,
	// each with its own subscription connection. Default 16.
	Shards int
}

const (
	defaultPrefix         = "listhub:"
	defaultHeartbeat      = time.Second
	defaultNodeTimeout    = 3 * time.Second
	defaultMaxBatch       = 1024
	defaultMaxFrameBytes  = 64 << 10
	defaultOutboxMessages = 100_000
	defaultOutboxBytes    = 64 << 20
	defaultOutboxAge      = 10 * time.Second
	defaultProbeInterval  = time.Second
	defaultRetryInterval  = 100 * time.Millisecond
	defaultShards         = 16
	// silentProbes is how many probe intervals a link may miss its probe
	// before it counts as silent.
	silentProbes = 3
)

// withDefaults returns a copy of o with every zero field set to its default,
// or an error naming the first invalid field.
func (o *Options) withDefaults() (Options, error) {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Prefix == "" {
		c.Prefix = defaultPrefix
	}
	if strings.ContainsAny(c.Prefix, "{}") {
		return c, errors.New("redis backplane: Options.Prefix must not contain '{' or '}'")
	}
	if c.NodeName == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "node"
		}
		c.NodeName = host
	}
	if !backplane.ValidNodeID(backplane.NodeID(c.NodeName + "-0123456789abcdef")) {
		return c, fmt.Errorf("redis backplane: Options.NodeName %q is not a valid node id fragment", c.NodeName)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	setDefault(&c.Heartbeat, defaultHeartbeat)
	setDefault(&c.NodeTimeout, defaultNodeTimeout)
	setDefault(&c.MaxBatch, defaultMaxBatch)
	setDefault(&c.MaxFrameBytes, defaultMaxFrameBytes)
	setDefault(&c.OutboxMessages, defaultOutboxMessages)
	setDefault(&c.OutboxBytes, defaultOutboxBytes)
	setDefault(&c.OutboxAge, defaultOutboxAge)
	setDefault(&c.ProbeInterval, defaultProbeInterval)
	setDefault(&c.RetryInterval, defaultRetryInterval)
	setDefault(&c.Shards, defaultShards)
	if c.NodeTimeout <= c.Heartbeat {
		return c, fmt.Errorf("redis backplane: Options.NodeTimeout (%v) must be more than Heartbeat (%v)", c.NodeTimeout, c.Heartbeat)
	}
	if c.Heartbeat < 0 || c.MaxBatch < 0 || c.MaxFrameBytes < 0 || c.OutboxMessages < 0 ||
		c.OutboxBytes < 0 || c.OutboxAge < 0 || c.ProbeInterval < 0 || c.RetryInterval < 0 || c.Shards < 0 {
		return c, errors.New("redis backplane: negative Options value")
	}
	if c.Sharding < ShardingAuto || c.Sharding > ShardingOn {
		return c, fmt.Errorf("redis backplane: unknown Options.Sharding %d", c.Sharding)
	}
	return c, nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}
