package server

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzItemBody sends arbitrary bodies to POST /api/lists/{id}/items: every
// answer is 201 with a valid item, 400 or 413, never a crash or a 5xx.
func FuzzItemBody(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Milk"}`,
		`{"name":"Eggs","quantity":12.5,"unit":"pcs","categoryId":"d","notes":"n","imageUrl":"https://e.com/a.png"}`,
		`{"name":" ","quantity":-1}`,
		`{"name":"x","quantity":1e309}`,
		`{"name":"x","extra":1}`,
		`{"name":"x"} trailing`,
		`[]`, `null`, ``, `{"name":"\u0000"}`, `{"name":"x","imageUrl":"javascript:alert(1)"}`,
	} {
		f.Add(seed)
	}
	e := newEnv(f)
	owner := e.register("owner")
	r := e.do(owner.token, "POST", "/api/lists", map[string]any{"name": "Fuzz"})
	path := "/api/lists/" + r.body["id"].(string) + "/items"
	f.Fuzz(func(t *testing.T, body string) {
		e.t = t
		r := e.do(owner.token, "POST", path, body)
		switch r.status {
		case http.StatusCreated:
			name, _ := r.body["name"].(string)
			if name == "" || name != strings.TrimSpace(name) || utf8.RuneCountInString(name) > 200 {
				t.Fatalf("accepted an invalid name %q from %q", name, body)
			}
			q, _ := r.body["quantity"].(float64)
			if q <= 0 || q > 1_000_000 {
				t.Fatalf("accepted quantity %v from %q", q, body)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if r.body["error"] == nil {
				t.Fatalf("error without text: %s", r.raw)
			}
		default:
			t.Fatalf("status %d for %q: %s", r.status, body, r.raw)
		}
	})
}
