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
// Everything sent to more than one connection goes through a
// backplane.Backplane (in memory by default): the message is encoded once
// per hub protocol, and every recipient's queue gets the same bytes. Each
// connection has a bounded queue drained by one writer that puts many
// messages into one WebSocket frame; a client that cannot keep up is closed
// and never slows the others. Messages to one connection arrive in the order
// they were sent.
//
// # Errors
//
// Error texts follow the official server, so client code and tests that
// compare them work unchanged. An *Error's message always reaches the client
// ("HubException: ..."); other errors are shown only with
// Config.EnableDetailedErrors, under the type name given by WithTypeName.
package hub
