// Package redis is a backplane.Backplane on Redis pub/sub, through
// github.com/redis/go-redis/v9: the nodes of a listhub cluster that share a
// Redis reach each other through it. It is the only package of the library
// that imports go-redis.
//
//	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
//	bp, err := redis.New(ctx, client, &redis.Options{Logger: logger})
//	...
//	srv, err := hub.New(hub.Config{Backplane: bp, ...})
//
// New takes a redis.UniversalClient: a *redis.Client (one server), a
// failover client (Sentinel) or a *redis.ClusterClient (Cluster). The caller
// owns the client and closes it after the backplane.
//
// # Channels and keys
//
// The hub names the channels (with hub.Config.ChannelPrefix, "listhub:" by
// default): one per group, per user and one for all clients, subscribed by a
// node only while it has local members, and one inbox per node,
// "<prefix>node:<NodeID>", which carries connection-targeted messages, group
// commands, acknowledgements and client results. Ten thousand connections on
// a node therefore add no subscription. The backplane uses these names as
// they are for classic pub/sub; with sharded pub/sub it puts a slot tag in
// front ("{s3.17}listhub:group:g"), see Cluster below.
//
// The backplane's own names start with Options.Prefix ("listhub:" by
// default):
//
//	<prefix>{nodes}             sorted set: node id → last beat (Redis time, ms)
//	<prefix>{nodes}:subscribed  sorted set: node id → when its subscriptions were last in place
//	<prefix>nodes:events        channel: "+<id>" when a node starts, "-<id>" when it closes
//	<prefix>probe:<id>          channel: a node's probe of its own subscription connection
//
// Subscriptions are reference-counted by the hub (one Subscribe per channel
// and node); the backplane batches them: every Subscribe and Unsubscribe
// queued while the previous batch was being written goes out as one
// SUBSCRIBE or UNSUBSCRIBE command, followed by a PING whose PONG tells the
// waiting Subscribe calls that Redis has processed them.
//
// # Publishing and the payload
//
// Publish queues the message and returns. One goroutine sends the queue in
// batches: every message queued while the previous round trip was under way
// (up to Options.MaxBatch) goes in one pipelined round trip, and the
// messages of one channel in a batch travel in one Redis message, a frame:
//
//	byte 0       frame version, 1
//	bytes 1..8   send time, Unix ns, big endian (the lag in Health)
//	repeated:    uvarint length, payload
//
// so a busy channel costs one PUBLISH per round trip, not one per message.
// With classic pub/sub a frame is a run of consecutive messages for one
// channel, the frames go out in publishing order and every node reads all its
// channels from one connection: the messages of one publisher arrive in the
// order they were published, across channels too, which the hub relies on to
// keep one sender's messages to one connection in order whatever target
// carries them. With sharded pub/sub channels live on different connections,
// so a frame takes all its channel's messages of the batch and the order holds
// per channel only. The
// payloads are the hub's, which carry their own version byte (package
// internal/nodemsg: version, kind, origin node, then the message encoded once
// per hub protocol); a node drops, counts and logs (once) a frame it cannot
// read, so nodes of different versions never misread each other.
//
// # Node liveness
//
// Every node writes its beat into the node set each Options.Heartbeat (1 s)
// with a Lua script that reads Redis's clock, so the machines' clocks need
// not agree, and reads the set back. A node whose beat is older than
// Options.NodeTimeout (3 s) is dead; a node that closes removes itself and
// says so on the node events channel, so the others learn of it at once.
// NodeID is "<NodeName>-<16 random hex digits>": a restarted node is a new
// node, and a node once reported gone is never reported alive again.
// LiveNodes reads the set afresh; WatchNodes reports each gone node once.
//
// # Outages
//
// What a Redis outage does, and what it does not:
//
//   - The hub delivers to the clients of its own node directly, so clients of
//     one node keep receiving each other's messages whatever Redis does.
//   - Messages published while Redis is unreachable wait in the outbox, bounded
//     by Options.OutboxMessages (100,000), OutboxBytes (64 MiB) and OutboxAge
//     (10 s). Beyond the first two bounds Publish returns ErrOutboxFull;
//     messages older than the third are dropped unsent. Every drop is counted
//     in Health().Dropped and logged (at most one line per 5 s).
//   - When Redis is back, every subscription connection reconnects (retrying
//     each Options.RetryInterval, 100 ms) and restores all its channels with
//     one SUBSCRIBE; ten thousand channels come back in well under a second.
//     The outbox is flushed only once every live node has recorded that its
//     subscriptions are back (or NodeTimeout has passed), so an outage of a few
//     seconds loses nothing that was published during it: nodes receive it
//     late, in order. A message whose PUBLISH Redis executed but whose reply
//     was lost to the crash may, rarely, arrive twice. The outbox publishes
//     through its own client with the given client's settings but no command
//     retries and one dial attempt (for *redis.Client and *redis.ClusterClient),
//     so that no publish lands after Redis returns but before the nodes have
//     subscribed again. With classic pub/sub on a *redis.Client (one server
//     or Sentinel) it goes further: the outbox publishes over one connection
//     of its own, and before it uses a new one (after any error) it checks
//     with PUBSUB NUMSUB, on that connection, that the probe channel of every
//     live node has a subscriber there (for at most NodeTimeout). A link
//     subscribes its probe channel in the same SUBSCRIBE as all its channels,
//     so this holds even when Redis restarted faster than a node noticed: a
//     message published right after the restart waits for the late node
//     instead of going out to a server where it has not subscribed yet.
//   - Messages Redis had already taken (and answered) but not yet passed on
//     when it crashed are lost with it: that is pub/sub. The tests see at most
//     one such message per crash, the one in flight at that instant. No node
//     is declared dead because of an outage: after Redis returns, the nodes
//     get one NodeTimeout to beat again.
//   - Each subscription connection is probed every Options.ProbeInterval
//     (1 s) with a message to itself; a connection that misses its probes for
//     3 intervals although Redis answers (a half-dead link, as after some
//     failovers) is replaced.
//   - Health reports the state (up, down, closed) and since when, the last
//     error, outbox depth, drops, reconnects, silent links, lag, subscriptions
//     and live nodes, for /healthz and metrics. State changes are logged;
//     single messages never are.
//
// # Sentinel
//
// Pass redis.NewFailoverClient(&redis.FailoverOptions{MasterName: ...,
// SentinelAddrs: ...}). After a failover go-redis reconnects to the new
// master; the subscriptions are restored and the outbox flushed as after any
// outage, and the probe replaces a subscription connection still attached
// to the old master. TestSentinelFailover kills a master under traffic:
// Sentinel promotes the replica and nothing published meanwhile is lost.
//
// # Cluster
//
// Given a *redis.ClusterClient (or Options.Sharding = ShardingOn), the
// backplane uses sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7), which keeps
// each message on the shard that owns its channel instead of broadcasting it
// to every cluster node. Channels are spread over a fixed set of
// Options.Shards (16) slot tags, chosen so that the tags' slots are spread
// evenly over the slot range and so over the masters; a channel's tag is a
// hash of its name, the same on every node. Each tag has its own
// subscription connection, to the master that owns the tag's slot; go-redis
// follows the slot when it moves. The node set lives in one slot
// ("{nodes}").
package redis
