// Package connection is listhub's connection layer, the equivalent of
// ASP.NET Core's Http.Connections: it speaks the SignalR connection
// protocol (negotiate and the transports) and moves opaque bytes between
// clients and an application, knowing nothing about the hub protocol.
//
// A Server is an http.Handler mounted at the hub path. A path ending in
// "/negotiate" is negotiate (POST; versions 0 and 1; connection ids and
// tokens are 16 random bytes, base64url). Any other path is the connection
// endpoint, where "?id={token}" names the connection:
//
//   - GET with a WebSocket upgrade: the WebSockets transport. Without id
//     (the clients' skipNegotiation) it creates a connection on the spot.
//   - GET with "Accept: text/event-stream": Server-Sent Events. The
//     response starts with ":\r\n" and carries every unit as one event
//     ("data: " per line); it is text only, so Write refuses binary units
//     there (ErrBinaryUnsupported). The client closing its EventSource ends
//     the connection cleanly.
//   - any other GET: long polling. The first poll starts the connection
//     and is answered at once (200, empty); each later poll waits for data
//     and takes everything queued as one body (one unit per poll with
//     PreserveUnits), or gets 200 empty after Options.LongPollTimeout
//     (90 s). A newer poll answers the pending one with 204, and so does
//     the end of the connection. DELETE is the client's graceful stop
//     (202). A connection without a poll for DisconnectTimeout (15 s) is
//     dropped with ErrDisconnectTimeout.
//   - POST: the client's data for Server-Sent Events and long polling,
//     appended to the connection's input in order, one POST at a time;
//     bodies are bounded by Options.MaxPostBytes (1 MiB, else 413 and
//     nothing of it is delivered).
//
// Options.Transports enables any subset (default all three); negotiate
// lists the enabled ones in the order WebSockets, ServerSentEvents,
// LongPolling. Status codes and bodies follow ASP.NET exactly, since the
// official clients show them verbatim.
//
// When a transport starts, the Server calls App.Connect, and the returned
// Session receives the client's bytes (Receive), a tick about once a
// second from one shared heartbeat goroutine (Tick), and the end of the
// connection (Closed, exactly once). The hub is such an App: it parses the
// handshake and hub messages from Receive, sends pings from Tick, and
// writes encoded messages with Conn.Write. Conn.Request is the request
// that opened the transport (the upgrade, the event stream's GET, the
// first poll).
//
// Conn.Write never blocks and never copies: it queues the caller's bytes,
// so one encoded broadcast is shared by every recipient. The queue's
// backlog is bounded by Options.MaxQueueBytes (1 MiB); a client too slow
// to keep up is aborted with ErrQueueFull instead of slowing the
// publisher. A single unit larger than the bound is still sent when the
// backlog is below it. On the
// streaming transports a writer goroutine exists only while there is
// something to send; it joins consecutive queued units into one WebSocket
// message or event of up to Options.MaxFrameBytes (64 KiB), never
// splitting a unit, and keeps the order of the units. Long polling has no
// writer: the pending poll takes the queue. A write blocked for
// TransportSendTimeout (10 s) aborts the connection. So an idle WebSocket
// or event stream needs one goroutine (its request's) and an idle
// long-polling connection none; besides the heartbeat's share, an idle
// connection keeps its request's headers, small reusable buffers (a queue
// array of at most 256 units, an event buffer of at most 4 KiB) and, for
// WebSockets, the library's 4 KiB read and write buffers (about 26 KiB in
// all on a WebSocket, measured by bench/).
//
// Conn.Close ends a connection gracefully: what is queued is sent, then
// the transport is closed (WebSocket close frame 1000 with CloseTimeout,
// 5 s, for the peer; the event stream's response ends; the next poll gets
// 204). Conn.Abort ends it at once. A client's close frame, closed
// EventSource or DELETE ends it cleanly (Closed(nil)); a WebSocket that
// drops without a close frame ends with the read error. Server.Shutdown
// refuses new connections and waits for the App to close the open ones;
// Server.Close aborts everything and leaves no goroutine behind.
//
// Stateful reconnect: with Options.AllowStatefulReconnects, negotiate
// grants it to clients that ask (Conn.StatefulReconnect). Once the App
// calls Conn.EnableReconnect (the hub does after a version-2 handshake), a
// WebSocket lost without a close frame detaches the connection instead of
// ending it: Writes are discarded, and the client has DisconnectTimeout to
// open a new WebSocket with the same id, which takes over. A Session that
// implements Resumer hears of both steps and replays what the client
// missed from Resumed.
//
// Cross-origin browsers are served through Options.AllowedOrigins: OPTIONS
// preflights are answered, and allowed origins are reflected with
// Access-Control-Allow-Credentials on every response, the event stream
// included. WebSocket upgrades from other origins get 403.
//
// Defaults (the zero Options) mirror ASP.NET: all transports,
// DisconnectTimeout 15 s, CloseTimeout 5 s, TransportSendTimeout 10 s,
// long-poll timeout 90 s, negotiate versions 0 and 1, no stateful
// reconnect, same-origin only.
package connection
