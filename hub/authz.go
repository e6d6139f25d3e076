package hub

import (
	"cmp"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/listhub/listhub/auth"
)

// ErrAccessDenied is what a denied group join returns, and what a denied
// hub call reports to the client: "... HubException: Access denied". It
// matches errors.Is(err, auth.ErrForbidden).
var ErrAccessDenied error = &Error{Message: "Access denied", cause: auth.ErrForbidden}

// errRateLimited is the client's answer to a call over the user's rate.
var errRateLimited = &Error{Message: "Rate limit exceeded."}

// authorize consults the Authorizer, which is never cached. Any error
// denies; an error that is not a decision (does not wrap ErrForbidden) is
// logged as a failure of the Authorizer.
func (s *Server) authorize(ctx context.Context, id *auth.Identity, a auth.Action) error {
	if s.cfg.Authorizer == nil {
		return nil
	}
	err := s.cfg.Authorizer.Authorize(ctx, id, a)
	if err == nil {
		return nil
	}
	if !errors.Is(err, auth.ErrForbidden) {
		s.cfg.Logger.Warn("hub: authorizer failed; denying", "action", a.Kind.String(), "err", err)
	}
	return err
}

// admit authenticates a request, stores the identity in its context and,
// for a request that creates a connection, checks Connect permission and
// the connection limits. It answers the request itself and returns nil
// when the request must not go on.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) *http.Request {
	if r.Method == http.MethodOptions {
		return r // CORS preflights carry no credentials
	}
	var id *auth.Identity
	if s.cfg.Authenticator != nil {
		var err error
		id, err = s.cfg.Authenticator.Authenticate(r)
		if err != nil || id == nil {
			s.logRefusal(r, "hub: request not authenticated (401)", "reason", cmp.Or(error(err), errNoIdentity))
			// An empty body: the official client reports "Unauthorized".
			s.reject(w, r, http.StatusUnauthorized)
			return nil
		}
		r = r.WithContext(auth.WithIdentity(r.Context(), id))
	}
	creates := strings.HasSuffix(r.URL.Path, "/negotiate") ||
		(r.URL.Query().Get("id") == "" && strings.EqualFold(r.Header.Get("Upgrade"), "websocket"))
	if !creates {
		return r
	}
	if err := s.authorize(r.Context(), id, auth.Action{Kind: auth.Connect}); err != nil {
		s.logRefusal(r, "hub: connection denied by the Authorizer (403)", "user", userIDOf(id), "reason", err)
		s.reject(w, r, http.StatusForbidden)
		return nil
	}
	if !s.local.hasRoom(userIDOf(id), s.clientIP(r)) {
		s.logRefusal(r, "hub: connection over hub.Config.MaxConnectionsPerUser or MaxConnectionsPerIP refused (429)", "user", userIDOf(id))
		s.reject(w, r, http.StatusTooManyRequests)
		return nil
	}
	return r
}

// reject answers with an empty body, and with the CORS headers a browser on
// an allowed origin needs to see the status rather than a network error.
func (s *Server) reject(w http.ResponseWriter, r *http.Request, status int) {
	s.conns.AllowCORS(w, r)
	w.WriteHeader(status)
}

func userIDOf(id *auth.Identity) string {
	if id == nil {
		return ""
	}
	return id.UserID
}

// clientIP is Config.ClientIP, or the host of the request's RemoteAddr.
func (s *Server) clientIP(r *http.Request) string {
	if s.cfg.ClientIP != nil {
		return s.cfg.ClientIP(r)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limits keeps the per-user call rate and the per-user and per-IP
// connection counts of this node.
type limits struct {
	mu       sync.Mutex
	perUser  map[string]int
	perIP    map[string]int
	limiters map[string]*rate.Limiter
}

// hasRoom reports whether one more connection of user and ip fits the
// limits of this node.
func (r *registry) hasRoom(user, ip string) bool {
	r.limits.mu.Lock()
	defer r.limits.mu.Unlock()
	return r.fits(user, ip)
}

// fits reports whether one more connection of user and ip is within the
// limits. Caller holds limits.mu.
func (r *registry) fits(user, ip string) bool {
	cfg := &r.srv.cfg
	l := &r.limits
	if cfg.MaxConnectionsPerUser > 0 && user != "" && l.perUser[user] >= cfg.MaxConnectionsPerUser {
		return false
	}
	return cfg.MaxConnectionsPerIP <= 0 || l.perIP[ip] < cfg.MaxConnectionsPerIP
}

// admitConn counts a new connection, returning false when it does not fit
// (several connections may have negotiated at once), and hands out the
// user's call limiter.
func (r *registry) admitConn(h *hubConn) bool {
	cfg := &r.srv.cfg
	l := &r.limits
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perUser == nil {
		l.perUser, l.perIP, l.limiters = map[string]int{}, map[string]int{}, map[string]*rate.Limiter{}
	}
	if !r.fits(h.userID, h.ip) {
		return false
	}
	l.perUser[h.userID]++
	l.perIP[h.ip]++
	if cfg.CallsPerSecond > 0 {
		key := h.userID
		if key == "" {
			key = "conn:" + h.id // anonymous connections are limited one by one
		}
		lim := l.limiters[key]
		if lim == nil {
			lim = rate.NewLimiter(rate.Limit(cfg.CallsPerSecond), cfg.CallBurst)
			l.limiters[key] = lim
		}
		h.limiter = lim
	}
	return true
}

func (r *registry) releaseConn(h *hubConn) {
	l := &r.limits
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perUser[h.userID]--; l.perUser[h.userID] <= 0 {
		delete(l.perUser, h.userID)
		delete(l.limiters, h.userID)
	}
	if l.perIP[h.ip]--; l.perIP[h.ip] <= 0 {
		delete(l.perIP, h.ip)
	}
	delete(l.limiters, "conn:"+h.id)
}

// recheck runs on the heartbeat: it closes a connection whose credentials
// expired (CloseOnAuthenticationExpiration) and, every
// AuthorizationRecheckInterval, asks the Authorizer again about the
// connection and each of its groups, leaving those it no longer allows.
func (h *hubConn) recheck(now time.Time) {
	cfg := &h.srv.cfg
	if cfg.CloseOnAuthenticationExpiration && h.identity != nil && !h.identity.Expires.IsZero() && now.After(h.identity.Expires) {
		h.closeWithMessage("", true, errors.New("hub: authentication expired"))
		return
	}
	if cfg.Authorizer == nil || now.Sub(time.Unix(0, h.lastRecheck.Load())) < cfg.AuthorizationRecheckInterval {
		return
	}
	if !h.rechecking.CompareAndSwap(false, true) {
		return
	}
	h.lastRecheck.Store(now.UnixNano())
	// The Authorizer may block (a database): never on the heartbeat.
	go func() {
		defer h.rechecking.Store(false)
		if err := h.srv.authorize(h.ctx, h.identity, auth.Action{Kind: auth.Connect}); err != nil {
			h.closeWithMessage("", false, ErrAccessDenied)
			return
		}
		for name := range h.groupNames() {
			if h.ctx.Err() != nil {
				return
			}
			if err := h.srv.authorize(h.ctx, h.identity, auth.Action{Kind: auth.JoinGroup, Group: name}); err != nil {
				_ = h.srv.local.leave(context.Background(), h, name)
			}
		}
	}()
}
