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
// connection keeps reading while a method runs. Streaming methods (a result
// of type <-chan T, iter.Seq[T] or iter.Seq2[T, error]) and methods taking
// upload streams run on their own goroutine; a client's CancelInvocation
// cancels the method's context.
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
// methods with upload streams on their own. Per node, the connection
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
package hub
