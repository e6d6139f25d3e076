package connection

import (
	"net/http"
)

// The connection endpoint's HTTP requests other than the WebSocket
// upgrade (§2.2-2.4): the SSE stream, long polls, POSTed sends and the
// long-polling DELETE. Those transports come with the next version; until
// then these handlers answer with the status codes ASP.NET gives for the
// situations that can already arise.

// connFromQuery finds the connection named by ?id=, answering 400 or 404
// when there is none.
func (s *Server) connFromQuery(w http.ResponseWriter, r *http.Request) *Conn {
	token, _ := queryValue(r, "id")
	if token == "" {
		writeText(w, http.StatusBadRequest, msgIDRequired)
		return nil
	}
	c := s.lookup(token)
	if c == nil {
		writeText(w, http.StatusNotFound, msgNoConnection)
	}
	return c
}

// serveStreamGet serves a GET that is not a WebSocket upgrade: Server-Sent
// Events when it accepts text/event-stream, else long polling.
func (s *Server) serveStreamGet(w http.ResponseWriter, r *http.Request) {
	kind := LongPolling
	if headerHasToken(r.Header, "Accept", "text/event-stream") {
		kind = ServerSentEvents
	}
	c := s.connFromQuery(w, r)
	if c == nil {
		return
	}
	if s.opts.Transports&kind == 0 {
		writeText(w, http.StatusNotFound, transportNotSupported(kind))
		return
	}
	// Not reached while only WebSockets can be enabled (NewServer refuses
	// the others); kept for the shape of the checks to come.
	if current := c.Transport(); current != 0 && current != kind {
		writeText(w, http.StatusBadRequest, msgChangeTransport)
		return
	}
	writeText(w, http.StatusNotFound, transportNotSupported(kind))
}

// servePost serves the client-to-server sends of SSE and long polling.
func (s *Server) servePost(w http.ResponseWriter, r *http.Request) {
	c := s.connFromQuery(w, r)
	if c == nil {
		return
	}
	kind := c.Transport()
	if kind == WebSockets || s.opts.Transports&(ServerSentEvents|LongPolling) == 0 {
		// Only a WebSocket can carry this connection.
		writeText(w, http.StatusMethodNotAllowed, msgPostToWebSocket)
		return
	}
	writeText(w, http.StatusNotFound, msgNoConnection)
}

// serveDelete serves the long-polling client's graceful stop.
func (s *Server) serveDelete(w http.ResponseWriter, r *http.Request) {
	c := s.connFromQuery(w, r)
	if c == nil {
		return
	}
	kind := c.Transport()
	if kind != LongPolling {
		writeText(w, http.StatusBadRequest, msgDeleteNotLP)
		return
	}
	writeText(w, http.StatusNotFound, msgNoConnection)
}
