package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRegister(t *testing.T) {
	e := newEnv(t)
	e.register("taken")
	long := strings.Repeat("x", 101)
	tests := []struct {
		name      string
		body      any
		status    int
		badFields []string
	}{
		{"valid, email normalised", `{"email":" New@Example.COM ","password":"password-1","displayName":"New"}`, 201, nil},
		{"duplicate email, any case", `{"email":"TAKEN@example.com","password":"password-1","displayName":"X"}`, 409, nil},
		{"not an email", `{"email":"nope","password":"password-1","displayName":"X"}`, 400, []string{"email"}},
		{"email without a dotted domain", `{"email":"a@b","password":"password-1","displayName":"X"}`, 400, []string{"email"}},
		{"short password", `{"email":"p@example.com","password":"short","displayName":"X"}`, 400, []string{"password"}},
		{"blank display name", `{"email":"d@example.com","password":"password-1","displayName":"   "}`, 400, []string{"displayName"}},
		{"long display name", `{"email":"d@example.com","password":"password-1","displayName":"` + long + `"}`, 400, []string{"displayName"}},
		{"everything missing", `{}`, 400, []string{"email", "password", "displayName"}},
		{"unknown field", `{"email":"u@example.com","password":"password-1","displayName":"X","admin":true}`, 400, nil},
		{"malformed JSON", `{"email":`, 400, nil},
		{"trailing data", `{"email":"t@example.com","password":"password-1","displayName":"X"} {}`, 400, nil},
		{"wrong type", `{"email":1,"password":"password-1","displayName":"X"}`, 400, nil},
		{"over 1 MiB", `{"email":"big@example.com","password":"password-1","displayName":"` + strings.Repeat("x", 1<<20) + `"}`, 413, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("", "POST", "/api/auth/register", tt.body)
			require.Equal(t, tt.status, r.status, r.raw)
			if tt.status >= 400 {
				assert.NotEmpty(t, r.body["error"], "every error has a text")
			}
			for _, f := range tt.badFields {
				assert.Contains(t, r.body["fields"], f)
			}
			if tt.status == 201 {
				assert.NotEmpty(t, r.body["token"])
				assert.Equal(t, "new@example.com", r.body["user"].(map[string]any)["email"])
			}
		})
	}
}

func TestLoginAndMe(t *testing.T) {
	e := newEnv(t)
	ann := e.register("ann")
	wrongPassword := e.do("", "POST", "/api/auth/login", map[string]any{"email": "ann@example.com", "password": "wrong-pass"})
	unknownEmail := e.do("", "POST", "/api/auth/login", map[string]any{"email": "nobody@example.com", "password": "password-1"})
	assert.Equal(t, 401, wrongPassword.status)
	assert.Equal(t, 401, unknownEmail.status)
	assert.Equal(t, wrongPassword.body["error"], unknownEmail.body["error"], "the same text for both")

	ok := e.do("", "POST", "/api/auth/login", map[string]any{"email": "ANN@example.com", "password": "password-1"})
	require.Equal(t, 200, ok.status, ok.raw)
	token := ok.body["token"].(string)

	tests := []struct {
		name, token, method string
		body                any
		status              int
		displayName         string
	}{
		{"me", token, "GET", nil, 200, "ann"},
		{"no token", "", "GET", nil, 401, ""},
		{"bad token", "x.y.z", "GET", nil, 401, ""},
		{"token of another secret", ann.token[:len(ann.token)-2] + "xx", "GET", nil, 401, ""},
		{"rename", token, "PATCH", map[string]any{"displayName": " Annie "}, 200, "Annie"},
		{"avatar", token, "PATCH", map[string]any{"avatarUrl": "https://example.com/a.png"}, 200, "Annie"},
		{"avatar not http", token, "PATCH", map[string]any{"avatarUrl": "javascript:alert(1)"}, 400, ""},
		{"blank name", token, "PATCH", map[string]any{"displayName": ""}, 400, ""},
		{"unknown field", token, "PATCH", map[string]any{"email": "x@example.com"}, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.token, tt.method, "/api/me", tt.body)
			require.Equal(t, tt.status, r.status, r.raw)
			if tt.status == 200 {
				assert.Equal(t, tt.displayName, r.body["displayName"])
				assert.Equal(t, ann.id, r.body["id"])
			}
		})
	}
}

func TestLoginThrottle(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.LoginFailures = 3 })
	e.register("ann")
	for range 3 {
		r := e.do("", "POST", "/api/auth/login", map[string]any{"email": "ann@example.com", "password": "wrong-pass"})
		require.Equal(t, http.StatusUnauthorized, r.status)
	}
	r := e.do("", "POST", "/api/auth/login", map[string]any{"email": "ann@example.com", "password": "password-1"})
	assert.Equal(t, http.StatusTooManyRequests, r.status, "even the right password waits once the client is throttled")
	assert.NotEmpty(t, r.body["error"])
}
