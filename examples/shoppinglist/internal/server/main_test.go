package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/crypto/bcrypt"

	"github.com/listhub/listhub/examples/shoppinglist/internal/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testSecret = "test-secret-0123456789-0123456789-abcdef"

type testEnv struct {
	t     testing.TB
	url   string
	store *store.Store
	srv   *Server
}

// newEnv serves a Server over a fresh SQLite file, with its dispatcher
// running, until the test ends.
func newEnv(t testing.TB, mutate ...func(*Config)) *testEnv {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	require.NoError(t, err)
	cfg := Config{
		Store: st, JWTSecret: []byte(testSecret), BcryptCost: bcrypt.MinCost,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Page:   fstest.MapFS{"index.html": {Data: []byte("<html>page</html>")}, "app.js": {Data: []byte("js")}},
	}
	for _, f := range mutate {
		f(&cfg)
	}
	srv, err := New(cfg)
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		hs.Close()
		require.NoError(t, srv.Close())
		require.NoError(t, cfg.Store.Close())
		if cfg.Store != st {
			require.NoError(t, st.Close())
		}
	})
	return &testEnv{t: t, url: hs.URL, store: cfg.Store, srv: srv}
}

type response struct {
	status int
	body   map[string]any
	list   []any
	raw    string
}

// do sends body (a string is sent as is, anything else as JSON).
func (e *testEnv) do(token, method, path string, body any) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	r := response{status: res.StatusCode, raw: string(raw)}
	if len(raw) > 0 && (raw[0] == '{' || raw[0] == '[') {
		var v any
		require.NoError(e.t, json.Unmarshal(raw, &v), "body %s", raw)
		switch x := v.(type) {
		case map[string]any:
			r.body = x
		case []any:
			r.list = x
		}
	}
	return r
}

type account struct {
	token string
	id    string
	email string
}

func (e *testEnv) register(name string) account {
	e.t.Helper()
	email := name + "@example.com"
	r := e.do("", "POST", "/api/auth/register", map[string]any{"email": email, "password": "password-1", "displayName": name})
	require.Equal(e.t, http.StatusCreated, r.status, r.raw)
	return account{token: r.body["token"].(string), id: r.body["user"].(map[string]any)["id"].(string), email: email}
}

// world is an owner's list with an Editor, a Viewer, a stranger and one item.
type world struct {
	owner, editor, viewer, stranger account
	listID, itemID                  string
}

func (e *testEnv) world() world {
	e.t.Helper()
	w := world{owner: e.register("owner"), editor: e.register("editor"), viewer: e.register("viewer"), stranger: e.register("stranger")}
	r := e.do(w.owner.token, "POST", "/api/lists", map[string]any{"name": "Groceries"})
	require.Equal(e.t, http.StatusCreated, r.status, r.raw)
	w.listID = r.body["id"].(string)
	for _, c := range []struct {
		a    account
		perm string
	}{{w.editor, "Editor"}, {w.viewer, "Viewer"}} {
		r := e.do(w.owner.token, "POST", "/api/lists/"+w.listID+"/collaborators", map[string]any{"email": c.a.email, "permission": c.perm})
		require.Equal(e.t, http.StatusCreated, r.status, r.raw)
	}
	r = e.do(w.owner.token, "POST", "/api/lists/"+w.listID+"/items", map[string]any{"name": "Milk"})
	require.Equal(e.t, http.StatusCreated, r.status, r.raw)
	w.itemID = r.body["id"].(string)
	return w
}
