package connection

import (
	"net/http"
	"strconv"
	"strings"
)

// Negotiate (§1): POST {base}/negotiate?negotiateVersion=N creates a
// connection and tells the client its id, token and transports.

const maxNegotiateVersion = 1

const (
	msgNonIntegerVersion = "The client requested a non-integer protocol version."
	msgNoConnection      = "No Connection with that ID"
	msgChangeTransport   = "Cannot change transports mid-connection"
	msgIDRequired        = "Connection ID required"
	msgPostToWebSocket   = "POST requests are not allowed for WebSocket connections."
	msgDeleteNotLP       = "Cannot terminate this connection using the DELETE endpoint."
)

func transportNotSupported(t Transport) string {
	return t.String() + " transport not supported by this end point type"
}

func unsupportedVersion(v int) string {
	return "The client requested version '" + strconv.Itoa(v) + "', but the server does not support this version."
}

func (s *Server) serveNegotiate(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeText(w, http.StatusMethodNotAllowed, "")
		return
	}
	if s.shuttingDown() {
		writeText(w, http.StatusServiceUnavailable, "")
		return
	}
	version := 0
	if v, ok := queryValue(r, "negotiateVersion"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			writeNegotiateError(w, msgNonIntegerVersion)
			return
		}
		version = n
	}
	if version < s.opts.MinNegotiateVersion {
		writeNegotiateError(w, unsupportedVersion(version))
		return
	}
	version = min(version, maxNegotiateVersion)
	// Only when the client asked: an unasked grant makes the JS client fail.
	stateful := false
	if v, ok := queryValue(r, "useStatefulReconnect"); ok && s.opts.AllowStatefulReconnects {
		stateful = strings.EqualFold(strings.TrimSpace(v), "true")
	}

	if s.pending.Load() >= int64(s.opts.MaxPendingNegotiations) {
		writeText(w, http.StatusServiceUnavailable, "")
		return
	}
	s.pending.Add(1)
	c := s.newConn(version, stateful)
	if s.shuttingDown() { // shutdown began after the check above
		c.expire(ErrServerClosed)
		writeText(w, http.StatusServiceUnavailable, "")
		return
	}
	if g, ok := s.app.(Gate); ok {
		if !g.Negotiated(c, r) {
			s.pending.Add(-1)
			c.expire(ErrClosed)
			writeText(w, http.StatusTooManyRequests, "")
			return
		}
		c.gated.Store(true)
		if c.isClosed() { // expired (shutdown) before gated was set
			c.ungate(true)
		}
	}
	body := appendNegotiateResponse(make([]byte, 0, 256), version, c.id, c.token, s.opts.Transports, stateful)
	writeBody(w, http.StatusOK, "application/json", string(body))
}

// writeNegotiateError answers 200 with {"error":msg}: clients read errors
// from the body, not from the status. msg needs no JSON escaping.
func writeNegotiateError(w http.ResponseWriter, msg string) {
	writeBody(w, http.StatusOK, "application/json", `{"error":"`+msg+`"}`)
}

// appendNegotiateResponse appends the response in the field order of the
// .NET server. id and token are base64url, needing no escaping.
func appendNegotiateResponse(b []byte, version int, id, token string, transports Transport, stateful bool) []byte {
	b = append(b, `{"negotiateVersion":`...)
	b = strconv.AppendInt(b, int64(version), 10)
	b = append(b, `,"connectionId":"`...)
	b = append(b, id...)
	b = append(b, '"')
	if version > 0 {
		b = append(b, `,"connectionToken":"`...)
		b = append(b, token...)
		b = append(b, '"')
	}
	b = append(b, `,"availableTransports":[`...)
	first := true
	for _, t := range []struct {
		t       Transport
		formats string
	}{
		{WebSockets, `["Text","Binary"]`},
		{ServerSentEvents, `["Text"]`},
		{LongPolling, `["Text","Binary"]`},
	} {
		if transports&t.t == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, `{"transport":"`...)
		b = append(b, t.t.String()...)
		b = append(b, `","transferFormats":`...)
		b = append(b, t.formats...)
		b = append(b, '}')
	}
	b = append(b, ']')
	if stateful {
		b = append(b, `,"useStatefulReconnect":true`...)
	}
	return append(b, '}')
}
