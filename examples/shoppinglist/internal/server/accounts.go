package server

import (
	"errors"
	"net"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"

	"github.com/listhub/listhub/auth"
	"github.com/listhub/listhub/examples/shoppinglist/internal/store"
)

type authResponse struct {
	Token string     `json:"token"`
	User  store.User `json:"user"`
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email       *string `json:"email"`
		Password    *string `json:"password"`
		DisplayName *string `json:"displayName"`
	}
	if !decode(w, r, &in) {
		return
	}
	f := fieldErrors{}
	email := normaliseEmail(in.Email)
	f.check(validEmail(email), "email", "must be an email address")
	f.check(in.Password != nil && runes(*in.Password) >= 8, "password", "must be at least 8 characters")
	f.check(in.Password == nil || len(*in.Password) <= 72, "password", "must be at most 72 bytes")
	f.check(in.DisplayName != nil, "displayName", "must be 1 to 100 characters")
	validName(f, "displayName", in.DisplayName, 100)
	if f.answer(w) {
		return
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(*in.Password), s.cfg.BcryptCost)
	if err != nil {
		storeError(w, r, err, s.log.Error)
		return
	}
	u, err := s.store.CreateUser(r.Context(), email, string(hash), *in.DisplayName)
	if err != nil {
		storeError(w, r, err, s.log.Error)
		return
	}
	s.issue(w, r, http.StatusCreated, u)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email    *string `json:"email"`
		Password *string `json:"password"`
	}
	if !decode(w, r, &in) {
		return
	}
	f := fieldErrors{}
	f.check(in.Email != nil, "email", "required")
	f.check(in.Password != nil, "password", "required")
	if f.answer(w) {
		return
	}
	client := clientIP(r)
	if !s.logins.allowed(client) {
		w.Header().Set("Retry-After", "60")
		writeError(w, http.StatusTooManyRequests, "too many failed sign-ins; try again later")
		return
	}
	u, hash, err := s.store.UserByEmail(r.Context(), normaliseEmail(in.Email))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		storeError(w, r, err, s.log.Error)
		return
	}
	if err != nil {
		hash = s.dummyHash // the same work whether or not the account exists
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(*in.Password)) != nil || err != nil {
		s.logins.failed(client)
		writeError(w, http.StatusUnauthorized, "wrong email or password")
		return
	}
	s.issue(w, r, http.StatusOK, u)
}

func (s *Server) issue(w http.ResponseWriter, r *http.Request, status int, u store.User) {
	token, err := s.jwt.Issue(u.ID, s.cfg.TokenTTL, map[string]any{"name": u.DisplayName})
	if err != nil {
		storeError(w, r, err, s.log.Error)
		return
	}
	writeJSON(w, status, authResponse{Token: token, User: u})
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	u, err := s.store.UserByID(r.Context(), userID(r))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusUnauthorized, "unknown user")
		return
	}
	if err != nil {
		storeError(w, r, err, s.log.Error)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) updateMe(w http.ResponseWriter, r *http.Request) {
	var in struct {
		DisplayName *string `json:"displayName"`
		AvatarURL   *string `json:"avatarUrl"`
	}
	if !decode(w, r, &in) {
		return
	}
	f := fieldErrors{}
	validName(f, "displayName", in.DisplayName, 100)
	validURL(f, "avatarUrl", in.AvatarURL)
	if f.answer(w) {
		return
	}
	u, err := s.store.UpdateUser(r.Context(), userID(r), in.DisplayName, in.AvatarURL)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusUnauthorized, "unknown user")
		return
	}
	if err != nil {
		storeError(w, r, err, s.log.Error)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func normaliseEmail(p *string) string {
	if p == nil {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(*p))
}

// validEmail accepts a bare address with a dotted domain, at most 254
// characters.
func validEmail(email string) bool {
	if email == "" || len(email) > 254 {
		return false
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return false
	}
	_, domain, _ := strings.Cut(email, "@")
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

type ctxKey struct{}

// authenticated requires a valid bearer token; the handler finds the
// user's id with userID(r).
func (s *Server) authenticated(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := s.jwt.Authenticate(r)
		if err != nil || id == nil {
			writeError(w, http.StatusUnauthorized, "missing or invalid token")
			return
		}
		h(w, r.WithContext(auth.WithIdentity(r.Context(), id)))
	}
}

func userID(r *http.Request) string {
	id, _ := auth.IdentityFrom(r.Context())
	return id.UserID
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// loginThrottle counts failed sign-ins per client: a token bucket of
// Burst failures refilled at Rate; a client with no token left is answered
// 429 before its password is checked.
type loginThrottle struct {
	mu    sync.Mutex
	rate  rate.Limit
	burst int
	byKey map[string]*rate.Limiter
}

// maxThrottled bounds the throttle's memory; past it the table starts
// afresh (an attacker spreading over so many addresses is not stopped by a
// per-address limit anyway).
const maxThrottled = 100_000

func newLoginThrottle(failures int, per time.Duration) *loginThrottle {
	return &loginThrottle{rate: rate.Every(per / time.Duration(failures)), burst: failures, byKey: map[string]*rate.Limiter{}}
}

func (t *loginThrottle) limiter(key string) *rate.Limiter {
	l := t.byKey[key]
	if l == nil {
		if len(t.byKey) >= maxThrottled {
			clear(t.byKey)
		}
		l = rate.NewLimiter(t.rate, t.burst)
		t.byKey[key] = l
	}
	return l
}

func (t *loginThrottle) allowed(key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.byKey[key]
	return !ok || l.Tokens() >= 1
}

func (t *loginThrottle) failed(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.limiter(key).Allow()
}

// forget drops clients whose buckets are full again.
func (t *loginThrottle) forget() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, l := range t.byKey {
		if l.Tokens() >= float64(t.burst) {
			delete(t.byKey, k)
		}
	}
}
