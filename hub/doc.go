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
// # Field names
//
// Arguments and results that are structs follow one naming rule in both
// protocols, so a JavaScript client sees the same keys over JSON and
// MessagePack: a json tag names a field (with omitempty and "-" honoured),
// a msgpack tag overrides it for MessagePack only, and an untagged field is
// keyed by its Go name. Reading JSON also matches keys case-insensitively,
// MessagePack only exactly: tag the fields clients send. See
// protocol.MessagePack for the details.
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
