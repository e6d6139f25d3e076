// Package hub is a SignalR hub server: the official ASP.NET Core SignalR
// clients (JavaScript, .NET, Java) connect to it unchanged, with the JSON or
// the MessagePack hub protocol.
//
// A Server is an http.Handler. Register methods on it, mount it, and send to
// clients from hub methods or from anywhere else:
//
//	srv, err := hub.New(hub.Config{})
//	srv.Register("Send", func(c *hub.Context, list, text string) error {
//		return c.Clients().OthersInGroup(list).Send(c, "Message", text)
//	})
//	mux.Handle("/hubs/list", srv)
//	mux.Handle("/hubs/list/negotiate", srv)
//
// # Layers
//
// The package keeps ASP.NET Core's split. Package hub/connection is the
// connection layer: negotiate, transports, the per-connection send queue
// and the shared heartbeat; it moves bytes and knows nothing of hubs. This
// package is the hub layer on top: the handshake, message dispatch, targets
// (Clients), groups, keep-alive and timeouts.
//
// # Methods
//
// A method's signature is inspected once, at registration. Arguments are
// decoded straight into the parameter types by the connection's hub
// protocol. Per connection, ordinary calls run one at a time in arrival
// order (Config.MaxParallelInvocations), on a worker goroutine, so the
// connection keeps reading while a method runs, until one more call waits
// for it (see Bounds). Streaming methods (a result
// of type <-chan T, iter.Seq[T] or iter.Seq2[T, error]) and methods taking
// upload streams run on their own goroutine; a client's CancelInvocation
// cancels the method's context.
//
// # Field names
//
// Arguments and results that are structs follow one naming rule in both
// protocols, so a JavaScript client sees the same keys over JSON and
// MessagePack: a json tag names a field (with omitempty and "-" honoured),
// a msgpack tag overrides it for MessagePack only, and an untagged field is
// keyed by its Go name. Reading JSON also matches keys case-insensitively,
// MessagePack only exactly: tag the fields clients send. See
// protocol.MessagePack for the details.
// # Bounds
//
// What one client can make the server hold is bounded, and what a
// well-behaved client sends is never refused for it:
//
//   - Incoming calls. While Config.MaxParallelInvocations calls of a
//     connection run and one more waits for them, its reader stops reading,
//     as ASP.NET Core's does: pipelined calls wait in the client's socket
//     and the client's own send queue, not in server memory. The server
//     holds, per connection, the calls running, one waiting for them and
//     one the reader holds while it waits (each at most
//     Config.MaxMessageSize when it arrived), plus the reader's buffer
//     (up to 64 KiB of input and an incomplete message of at most
//     MaxMessageSize). The client timeout is paused while the reader waits.
//   - Waiting never deadlocks against what only the reader can deliver.
//     While the reader waits (for room, or for an upload stream's buffer of
//     Config.StreamBufferCapacity items), hub methods do not wait for the
//     client's stateful-reconnect Acks; the buffer of unacknowledged
//     messages is then bounded by its hard limit (twice
//     StatefulReconnectBufferSize, at least half of
//     Connection.MaxQueueBytes, at most three quarters of it). While a
//     call waits for a client result, the reader does not wait for room:
//     calls queue instead, up to 1,024 holding 1 MiB (or 4 ×
//     MaxMessageSize) of arguments, and calls beyond fail with "Too many
//     invocations are waiting on this connection.". One wait remains, as
//     on ASP.NET Core: a method that waits for a client result while the
//     buffer of its own upload stream is full holds the reader (and so the
//     answer) until it reads an item or returns, or the
//     connection ends.
//   - Streams. Each server stream and each call with upload streams runs
//     on its own goroutine: at most 256 per connection and
//     Config.MaxStreams (10,000) per node; stream calls beyond fail with an
//     error Completion and the connection stays up.
//   - Outgoing messages. Connection.MaxQueueBytes (1 MiB) bounds each
//     connection's backlog of unsent bytes, not the size of one message: a
//     result of any size is sent when the backlog is below the bound. A
//     client whose backlog reaches it is closed as a slow consumer; a result
//     not delivered for that reason, or that cannot be encoded (the call
//     then fails with an error Completion), is logged.
//   - Connections. Negotiated connections not yet started count against
//     Config.MaxConnectionsPerIP and MaxConnectionsPerUser, and one IP may
//     have at most Config.MaxPendingNegotiationsPerIP of them, so one client
//     cannot fill Connection.MaxPendingNegotiations. A POST body (Server-Sent
//     Events and long polling) must arrive at Connection.MinPostDataRate
//     (240 B/s) after a 5 s grace, and its buffer grows with the bytes
//     received. Set ReadHeaderTimeout and IdleTimeout on the http.Server
//     (see the README); no ReadTimeout or WriteTimeout, which would cut
//     long-lived transports.
//
// # Delivery
//
// A message is encoded once per hub protocol, and every recipient's queue
// gets the same bytes. Each connection has a bounded queue drained by one
// writer that puts many messages into one WebSocket frame; a client that
// cannot keep up is closed and never slows the others.
//
// Delivery is local first: a message to a group, a user, some connections
// or all clients goes straight to this node's recipients, in the sender's
// goroutine, and is then published on the backplane.Backplane (Config.
// Backplane) for the other nodes; each node drops its own copies by the
// origin node in the payload. Clients of one node therefore reach each
// other even while the backplane is down (Send then returns the
// backplane's error after the local recipients got the message). A Server
// with its default private backplane has no other nodes and publishes
// nothing.
//
// Order. Messages sent to one connection of this node from one goroutine
// arrive in the order they were sent, whatever target carries them
// (Client, Group, User, All...). For a connection of another node, messages
// sent from one goroutine through one target (one backplane channel) arrive
// in the order sent, since every backplane keeps the order of one publisher
// on one channel; through different targets they arrive in the order sent
// when the backplane keeps one publisher's order across channels, as
// backplane.Memory does (it delivers before Publish returns), and otherwise
// carry no order relative to each other. Messages from different
// goroutines or nodes are not ordered.
//
// # Nodes
//
// Several Servers sharing one backplane, with the same ChannelPrefix, form
// a cluster. Each node keeps its own connections' membership (who is
// connected, under which user, in which groups; Server.WatchMembers reports
// its changes) and subscribes a user's or group's channel only while it
// has a local member, plus one inbox channel named after its NodeID. To
// act on a connection of another node (Groups.Add, Groups.Remove,
// ClientProxy.Invoke) it sends a command to the owner's inbox, or to every
// live node while it does not know the owner; the owner applies the
// commands for one connection in the order they were sent and answers, so
// Add and Remove return after the change took effect. No node owning the
// connection is ErrConnectionNotFound, as soon as every live node said so;
// a node the backplane reports gone fails every wait on it at once; a node
// that stays silent fails it after Config.RemoteCommandTimeout.
//
// # Concurrency
//
// Goroutines. Per connection, the connection layer runs a reader (the
// transport's) that parses and dispatches, and a writer that drains the
// send queue; hub methods run on a worker goroutine per connection
// (Config.MaxParallelInvocations of them at most), streaming methods and
// methods with upload streams on their own. Workers come from a node-wide
// set of goroutines that wait a second for the next call before exiting
// (so a call rarely pays for a fresh goroutine's stack growth). Per node, the connection
// layer's heartbeat drives pings and timeouts for all connections; the
// node core runs four command workers that apply other nodes' commands
// (targets spread by hash, so one target's commands run in order), one
// goroutine per client result another node is waiting for, and the
// backplane's own goroutines (Memory: one per WatchNodes). Backplane
// Receivers run on the backplane's delivery goroutine (Memory: the
// publisher's) and never block: they queue bytes for connections and
// commands for the workers, and never call the backplane.
//
// Ownership. A connection's parse state belongs to its reader; its send
// queue to the connection layer; its pending calls, streams, client
// results and group names to the hubConn, under its mutex. The node's
// membership maps (connections, users, groups) belong to the registry,
// under its RWMutex: deliveries read them, joins, leaves, connects and
// disconnects write them. Waits for other nodes' answers belong to the
// node core, under its mutex.
//
// Lock order, outermost first: a channel's membership lock (one per group
// or user channel, held across that channel's Subscribe or Unsubscribe and
// nothing else of the backplane), then the registry's RWMutex, then a
// connection's mutex and its queue's lock. The registry's lock is never
// held across backplane I/O, and no node-wide lock is. A backplane holds
// its own locks while calling a Receiver, which takes the registry's lock
// for reading and a connection's queue lock; so Receivers never call the
// backplane, and nothing calls the backplane while holding the registry's
// lock.
//
// # Errors
//
// Error texts follow the official server, so client code and tests that
// compare them work unchanged. An *Error's message always reaches the client
// ("HubException: ..."); other errors are shown only with
// Config.EnableDetailedErrors, under the type name given by WithTypeName.
//
// Every failure is logged on the server (Config.Logger), whatever the
// client is shown: a method's error or panic (with its stack), arguments
// that do not bind (which argument, which Go type), unknown methods,
// refused tokens, origins and connections, oversized messages and
// timeouts, each with the method, connection and user and the Config
// setting to change where one applies. These logs are rate-limited.
//
// # Registration
//
// Register inspects a method's signature once and rejects parameter,
// result and stream item types the protocols cannot carry, naming the
// method and the parameter. RegisterMethods exposes the exported methods of
// a value's method set except those of well-known interfaces (String,
// MarshalJSON, Close, ...). New rejects an invalid Config the same way.
//
// # Filters and metrics
//
// Config.Filters wrap every call and every OnConnected and OnDisconnected,
// like ASP.NET Core's hub filters; the rate limit and the Authorizer's call
// check are built-in filters outside them. Server.Stats reports the hub's
// counters and gauges (connections, calls and their latency, messages,
// slow consumers, groups, the backplane), and Stats.WritePrometheus writes
// them for Prometheus.
package hub
