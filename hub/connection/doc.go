// Package connection is listhub's connection layer, the equivalent of
// ASP.NET Core's Http.Connections: it speaks the SignalR connection
// protocol (negotiate and the transports) and moves opaque bytes between
// clients and an application, knowing nothing about the hub protocol.
//
// A Server is an http.Handler mounted at the hub path. A path ending in
// "/negotiate" is negotiate (POST; versions 0 and 1; connection ids and
// tokens are 16 random bytes, base64url). Any other path is the connection
// endpoint: "GET ?id={token}" with a WebSocket upgrade starts the
// connection's transport, and a WebSocket without id (the clients'
// skipNegotiation) creates a connection on the spot. Status codes and
// bodies follow ASP.NET exactly, since the official clients show them
// verbatim. Only WebSockets is implemented so far; Server-Sent Events,
// long polling and stateful reconnect are to come.
//
// When a transport starts, the Server calls App.Connect, and the returned
// Session receives the client's bytes (Receive), a tick about once a
// second from one shared heartbeat goroutine (Tick), and the end of the
// connection (Closed, exactly once). The hub is such an App: it parses the
// handshake and hub messages from Receive, sends pings from Tick, and
// writes encoded messages with Conn.Write.
//
// Conn.Write never blocks and never copies: it queues the caller's bytes,
// so one encoded broadcast is shared by every recipient. The queue is
// bounded by Options.MaxQueueBytes (1 MiB); a client too slow to keep up
// is aborted with ErrQueueFull instead of slowing the publisher. A writer
// goroutine exists only while there is something to send; it joins
// consecutive queued units into one WebSocket message of up to
// Options.MaxFrameBytes (64 KiB), never splitting a unit, and keeps the
// order of the units. A socket write blocked for TransportSendTimeout
// (10 s) aborts the connection.
//
// Conn.Close ends a connection gracefully: what is queued is sent, then
// the close frame (1000), and the peer gets CloseTimeout (5 s) to answer.
// Conn.Abort ends it at once. A client's close frame ends it cleanly
// (Closed(nil)); a connection that drops without one ends with the read
// error. Server.Shutdown refuses new connections and waits for the App to
// close the open ones; Server.Close aborts everything and leaves no
// goroutine behind.
//
// Cross-origin browsers are served through Options.AllowedOrigins: OPTIONS
// preflights are answered, and allowed origins are reflected with
// Access-Control-Allow-Credentials on every response. WebSocket upgrades
// from other origins get 403.
//
// Defaults (the zero Options) mirror ASP.NET: DisconnectTimeout 15 s,
// CloseTimeout 5 s, TransportSendTimeout 10 s, negotiate versions 0 and 1,
// same-origin only.
package connection
