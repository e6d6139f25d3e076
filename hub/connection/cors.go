package connection

import (
	"net/http"
	"net/url"
	"path"
	"strings"
)

// CORS for browser clients (§1.4): they send credentials and non-simple
// headers, so preflights are answered and an allowed Origin is reflected
// exactly together with Access-Control-Allow-Credentials.

// cors adds the CORS headers for an allowed origin and answers a
// preflight; it reports whether the request has been answered.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	preflight := r.Method == http.MethodOptions && origin != "" &&
		r.Header.Get("Access-Control-Request-Method") != ""
	s.addCORSHeaders(w, r, preflight)
	if preflight {
		// Like ASP.NET's CORS middleware: 204 either way; without the
		// headers the browser refuses.
		writeText(w, http.StatusNoContent, "")
		return true
	}
	return false
}

// AllowCORS adds the CORS headers to a response when r comes from an
// allowed origin, so that an answer written outside this package (a 401
// from authentication, say) reaches a browser on another origin with its
// status intact.
func (s *Server) AllowCORS(w http.ResponseWriter, r *http.Request) { s.addCORSHeaders(w, r, false) }

func (s *Server) addCORSHeaders(w http.ResponseWriter, r *http.Request, preflight bool) {
	origin := r.Header.Get("Origin")
	if origin != "" && !s.originAllowed(r) {
		s.logRefusedOrigin(r)
	}
	if origin != "" && s.originAllowed(r) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Add("Vary", "Origin")
		if preflight {
			h.Set("Access-Control-Allow-Methods", r.Header.Get("Access-Control-Request-Method"))
			if rh := r.Header.Values("Access-Control-Request-Headers"); len(rh) > 0 {
				h.Set("Access-Control-Allow-Headers", strings.Join(rh, ", "))
			}
		}
	}
}

// originAllowed reports whether r may be served to its Origin: no Origin,
// same origin, or a match in AllowedOrigins.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if u, err := url.Parse(origin); err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	lower := strings.ToLower(origin)
	for _, p := range s.opts.AllowedOrigins {
		if p == "*" {
			return true
		}
		if ok, _ := path.Match(p, lower); ok {
			return true
		}
	}
	return false
}

// logRefusedOrigin logs a request from an origin that may not connect, at
// most once a second.
func (s *Server) logRefusedOrigin(r *http.Request) {
	s.originLog.Do(func() {
		s.log.Warn("connection: request from an origin not in AllowedOrigins refused; "+
			"only the server's own origin is allowed by default (hub.Config.Connection.AllowedOrigins)",
			"origin", r.Header.Get("Origin"), "host", r.Host, "path", r.URL.Path)
	})
}
