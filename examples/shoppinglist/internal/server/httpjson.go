package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/listhub/listhub/examples/shoppinglist/internal/store"
)

// MaxBodyBytes bounds every request body; a larger one is answered 413.
const MaxBodyBytes = 1 << 20

// apiError is every error response: {"error": ..., "fields": {...}}.
type apiError struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields,omitempty"`
	Item   *store.Item       `json:"item,omitempty"` // 409 on a stale item version
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

func writeError(w http.ResponseWriter, status int, text string) {
	writeJSON(w, status, apiError{Error: text})
}

// decode reads a JSON object of at most MaxBodyBytes into v, rejecting
// unknown fields and trailing data. It answers the request itself and
// returns false when the body is not acceptable.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("unexpected data after the JSON object")
		}
	}
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "request body too large (limit 1 MiB)")
	case errors.Is(err, io.EOF):
		writeError(w, http.StatusBadRequest, "request body must be a JSON object")
	default:
		writeError(w, http.StatusBadRequest, "malformed JSON: "+strings.TrimPrefix(err.Error(), "json: "))
	}
	return false
}

// fieldErrors collects validation failures by field name.
type fieldErrors map[string]string

func (f fieldErrors) check(ok bool, field, reason string) {
	if !ok {
		if _, seen := f[field]; !seen {
			f[field] = reason
		}
	}
}

// answer writes a 400 with the fields and returns true when there are any.
func (f fieldErrors) answer(w http.ResponseWriter) bool {
	if len(f) == 0 {
		return false
	}
	writeJSON(w, http.StatusBadRequest, apiError{Error: "validation failed", Fields: f})
	return true
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// validName trims s and checks it is 1..max characters.
func validName(f fieldErrors, field string, s *string, max int) {
	if s == nil {
		return
	}
	*s = strings.TrimSpace(*s)
	f.check(*s != "" && runes(*s) <= max, field, "must be 1 to "+itoa(max)+" characters")
}

func validMax(f fieldErrors, field string, s *string, max int) {
	if s != nil {
		f.check(runes(*s) <= max, field, "must be at most "+itoa(max)+" characters")
	}
}

// validURL accepts "" or an absolute http(s) URL.
func validURL(f fieldErrors, field string, s *string) {
	if s == nil || *s == "" {
		return
	}
	u, err := url.Parse(*s)
	f.check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && runes(*s) <= 2000,
		field, "must be empty or an http(s) URL")
}

func validQuantity(f fieldErrors, q *float64) {
	if q != nil {
		f.check(*q > 0 && *q <= 1_000_000, "quantity", "must be a number greater than 0 and at most 1,000,000")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// storeError maps an error of the store to its status and text.
func storeError(w http.ResponseWriter, r *http.Request, err error, log func(string, ...any)) {
	var vc *store.VersionConflictError
	switch {
	case errors.As(err, &vc):
		writeJSON(w, http.StatusConflict, apiError{Error: "the item was changed by someone else", Item: &vc.Item})
	case errors.Is(err, store.ErrUnknownEmail):
		writeError(w, http.StatusNotFound, "no user with this email")
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not found")
	case errors.Is(err, store.ErrForbidden):
		writeError(w, http.StatusForbidden, "you do not have permission to do this")
	case errors.Is(err, store.ErrOwner):
		writeError(w, http.StatusConflict, "the list's owner cannot be changed or removed")
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "already a member of this list")
	case errors.Is(err, store.ErrDuplicate):
		writeError(w, http.StatusConflict, "an account with this email already exists")
	case r.Context().Err() != nil:
		writeError(w, http.StatusServiceUnavailable, "request cancelled")
	default:
		log("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error")
	}
}
