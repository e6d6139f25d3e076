package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every route for every role: Owner everything, Editor items and purchase,
// Viewer reads, a stranger learns nothing (404), no token 401.
func TestPermissionsOfEveryRoute(t *testing.T) {
	type route struct {
		name, method, path string
		body               any
	}
	routes := func(w world, role string) []route {
		l, it := "/api/lists/"+w.listID, "/api/lists/"+w.listID+"/items/"+w.itemID
		other := w.editor.id // never the caller: removing oneself is always allowed
		if role == "editor" {
			other = w.viewer.id
		}
		return []route{
			{"get list", "GET", l, nil},
			{"get items", "GET", l + "/items", nil},
			{"add item", "POST", l + "/items", map[string]any{"name": "Bread"}},
			{"update item", "PATCH", it, map[string]any{"quantity": 3}},
			{"purchase", "POST", it + "/purchase", map[string]any{"isPurchased": true}},
			{"delete item", "DELETE", it, nil},
			{"rename list", "PATCH", l, map[string]any{"name": "Renamed"}},
			{"invite", "POST", l + "/collaborators", map[string]any{"email": "extra@example.com", "permission": "Viewer"}},
			{"change permission", "PATCH", l + "/collaborators/" + w.viewer.id, map[string]any{"permission": "Editor"}},
			{"remove other", "DELETE", l + "/collaborators/" + other, nil},
			{"delete list", "DELETE", l, nil},
		}
	}
	want := map[string]map[string]int{
		"owner":    {"get list": 200, "get items": 200, "add item": 201, "update item": 200, "purchase": 200, "delete item": 204, "rename list": 200, "invite": 201, "change permission": 200, "remove other": 204, "delete list": 204},
		"editor":   {"get list": 200, "get items": 200, "add item": 201, "update item": 200, "purchase": 200, "delete item": 204, "rename list": 403, "invite": 403, "change permission": 403, "remove other": 403, "delete list": 403},
		"viewer":   {"get list": 200, "get items": 200, "add item": 403, "update item": 403, "purchase": 403, "delete item": 403, "rename list": 403, "invite": 403, "change permission": 403, "remove other": 403, "delete list": 403},
		"stranger": {"get list": 404, "get items": 404, "add item": 404, "update item": 404, "purchase": 404, "delete item": 404, "rename list": 404, "invite": 404, "change permission": 404, "remove other": 404, "delete list": 404},
		"nobody":   {"get list": 401, "get items": 401, "add item": 401, "update item": 401, "purchase": 401, "delete item": 401, "rename list": 401, "invite": 401, "change permission": 401, "remove other": 401, "delete list": 401},
	}
	for role, statuses := range want {
		t.Run(role, func(t *testing.T) {
			e := newEnv(t)
			w := e.world()
			e.register("extra")
			token := map[string]string{"owner": w.owner.token, "editor": w.editor.token, "viewer": w.viewer.token, "stranger": w.stranger.token}[role]
			for _, rt := range routes(w, role) {
				r := e.do(token, rt.method, rt.path, rt.body)
				assert.Equal(t, statuses[rt.name], r.status, "%s %s: %s", role, rt.name, r.raw)
				if r.status >= 400 {
					assert.NotEmpty(t, r.body["error"], "%s %s: JSON error body", role, rt.name)
				}
			}
		})
	}
}

func TestListsRoutes(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	lists := e.do(w.viewer.token, "GET", "/api/lists", nil)
	require.Equal(t, 200, lists.status)
	require.Len(t, lists.list, 1)
	l := lists.list[0].(map[string]any)
	assert.Equal(t, "Viewer", l["permission"], "the caller's permission")
	assert.Equal(t, w.owner.id, l["ownerId"])
	assert.EqualValues(t, 1, l["itemCount"])
	assert.EqualValues(t, 0, l["purchasedCount"])
	assert.EqualValues(t, 3, l["seq"], "two invitations and an item")

	none := e.do(w.stranger.token, "GET", "/api/lists", nil)
	assert.Equal(t, 200, none.status)
	assert.Equal(t, "[]\n", none.raw, "an empty array, never null")

	detail := e.do(w.editor.token, "GET", "/api/lists/"+w.listID, nil)
	require.Equal(t, 200, detail.status)
	assert.Len(t, detail.body["items"], 1)
	assert.Len(t, detail.body["collaborators"], 3)
	c := detail.body["collaborators"].([]any)[0].(map[string]any)
	for _, k := range []string{"userId", "displayName", "email", "avatarUrl", "permission", "addedAt"} {
		assert.Contains(t, c, k)
	}

	tests := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"create", map[string]any{"name": "  Party  ", "description": "<b>bold</b>"}, 201, ""},
		{"blank name", map[string]any{"name": "   "}, 400, "name"},
		{"no name", map[string]any{"description": "x"}, 400, "name"},
		{"long name", map[string]any{"name": strings.Repeat("n", 201)}, 400, "name"},
		{"200 characters is fine", map[string]any{"name": strings.Repeat("é", 200)}, 201, ""},
		{"long description", map[string]any{"name": "x", "description": strings.Repeat("d", 2001)}, 400, "description"},
		{"unknown field", map[string]any{"name": "x", "color": "red"}, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(w.owner.token, "POST", "/api/lists", tt.body)
			require.Equal(t, tt.status, r.status, r.raw)
			if tt.field != "" {
				assert.Contains(t, r.body["fields"], tt.field)
			}
			if tt.name == "create" {
				assert.Equal(t, "Party", r.body["name"], "trimmed")
				assert.Equal(t, "<b>bold</b>", r.body["description"], "stored as sent")
				assert.Equal(t, "Owner", r.body["permission"])
			}
		})
	}
	assert.Equal(t, 404, e.do(w.owner.token, "GET", "/api/lists/not-a-list", nil).status)
	assert.Equal(t, 404, e.do(w.owner.token, "GET", "/api/nothing-here", nil).status)
}

func TestItemValidation(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	path := "/api/lists/" + w.listID + "/items"
	tests := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"minimal", `{"name":"Eggs"}`, 201, ""},
		{"every field", `{"name":"Eggs","quantity":12.5,"unit":"pcs","categoryId":"dairy","notes":"free range","imageUrl":"https://example.com/e.png"}`, 201, ""},
		{"html kept as text", `{"name":"<img src=x onerror=alert(1)>"}`, 201, ""},
		{"blank name", `{"name":" "}`, 400, "name"},
		{"long name", `{"name":"` + strings.Repeat("n", 201) + `"}`, 400, "name"},
		{"zero quantity", `{"name":"x","quantity":0}`, 400, "quantity"},
		{"negative quantity", `{"name":"x","quantity":-1}`, 400, "quantity"},
		{"huge quantity", `{"name":"x","quantity":1000001}`, 400, "quantity"},
		{"quantity as text", `{"name":"x","quantity":"2"}`, 400, ""},
		{"long unit", `{"name":"x","unit":"` + strings.Repeat("u", 33) + `"}`, 400, "unit"},
		{"long notes", `{"name":"x","notes":"` + strings.Repeat("n", 2001) + `"}`, 400, "notes"},
		{"javascript image", `{"name":"x","imageUrl":"javascript:alert(1)"}`, 400, "imageUrl"},
		{"ftp image", `{"name":"x","imageUrl":"ftp://example.com/a.png"}`, 400, "imageUrl"},
		{"relative image", `{"name":"x","imageUrl":"/a.png"}`, 400, "imageUrl"},
		{"unknown field", `{"name":"x","price":3}`, 400, ""},
		{"not an object", `[1,2]`, 400, ""},
		{"empty body", ``, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(w.editor.token, "POST", path, tt.body)
			require.Equal(t, tt.status, r.status, r.raw)
			if tt.field != "" {
				assert.Contains(t, r.body["fields"], tt.field)
			}
			if tt.status == 201 {
				assert.EqualValues(t, 1, r.body["version"])
				assert.Equal(t, false, r.body["isPurchased"])
				assert.Nil(t, r.body["purchasedBy"])
				if !strings.Contains(tt.body, "quantity") {
					assert.EqualValues(t, 1, r.body["quantity"], "default quantity")
				}
			}
		})
	}
	html := e.do(w.owner.token, "GET", path, nil)
	names := fmt.Sprint(html.body["items"])
	assert.Contains(t, names, "<img src=x onerror=alert(1)>")
}

func TestItemUpdatesAndVersions(t *testing.T) { itemUpdatesAndVersions(t, newEnv(t)) }

func itemUpdatesAndVersions(t *testing.T, e *testEnv) {
	w := e.world()
	it := "/api/lists/" + w.listID + "/items/" + w.itemID
	r := e.do(w.editor.token, "PATCH", it, map[string]any{"name": "Oat milk", "position": 5, "expectedVersion": 1})
	require.Equal(t, 200, r.status, r.raw)
	assert.EqualValues(t, 2, r.body["version"])
	assert.EqualValues(t, 5, r.body["position"])
	assert.Equal(t, "editor", r.body["updatedBy"].(map[string]any)["displayName"])

	stale := e.do(w.owner.token, "PATCH", it, map[string]any{"name": "Beer", "expectedVersion": 1})
	require.Equal(t, http.StatusConflict, stale.status, stale.raw)
	assert.NotEmpty(t, stale.body["error"])
	assert.Equal(t, "Oat milk", stale.body["item"].(map[string]any)["name"], "the current item")
	assert.EqualValues(t, 2, stale.body["item"].(map[string]any)["version"])

	same := e.do(w.owner.token, "PATCH", it, map[string]any{"name": "Oat milk"})
	assert.EqualValues(t, 2, same.body["version"], "no change, no new version")

	bought := e.do(w.viewer.token, "POST", it+"/purchase", map[string]any{"isPurchased": true})
	assert.Equal(t, 403, bought.status)
	bought = e.do(w.editor.token, "POST", it+"/purchase", map[string]any{"isPurchased": true})
	require.Equal(t, 200, bought.status)
	assert.Equal(t, true, bought.body["isPurchased"])
	assert.Equal(t, w.editor.id, bought.body["purchasedBy"].(map[string]any)["id"])
	assert.NotNil(t, bought.body["purchasedAt"])
	assert.EqualValues(t, 3, bought.body["version"])
	unbought := e.do(w.editor.token, "POST", it+"/purchase", map[string]any{"isPurchased": false})
	assert.Nil(t, unbought.body["purchasedBy"])
	assert.Equal(t, 400, e.do(w.editor.token, "POST", it+"/purchase", map[string]any{}).status)

	items := e.do(w.viewer.token, "GET", "/api/lists/"+w.listID+"/items", nil)
	assert.EqualValues(t, 6, items.body["seq"], "2 invitations, add, update, purchase, unpurchase")
	assert.Equal(t, 404, e.do(w.editor.token, "PATCH", "/api/lists/"+w.listID+"/items/nope", map[string]any{"name": "x"}).status)
	assert.Equal(t, 204, e.do(w.editor.token, "DELETE", it, nil).status)
	assert.Equal(t, 404, e.do(w.editor.token, "DELETE", it, nil).status)
}

func TestCollaborators(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	e.register("newbie")
	c := "/api/lists/" + w.listID + "/collaborators"
	tests := []struct {
		name, token, method, path string
		body                      any
		status                    int
	}{
		{"unknown email", w.owner.token, "POST", c, map[string]any{"email": "ghost@example.com", "permission": "Viewer"}, 404},
		{"already a member", w.owner.token, "POST", c, map[string]any{"email": w.editor.email, "permission": "Viewer"}, 409},
		{"owner is not a permission to give", w.owner.token, "POST", c, map[string]any{"email": "newbie@example.com", "permission": "Owner"}, 400},
		{"bad email", w.owner.token, "POST", c, map[string]any{"email": "nope", "permission": "Viewer"}, 400},
		{"invite", w.owner.token, "POST", c, map[string]any{"email": "NEWBIE@example.com", "permission": "Viewer"}, 201},
		{"bad permission", w.owner.token, "PATCH", c + "/" + w.viewer.id, map[string]any{"permission": "Boss"}, 400},
		{"the owner stays owner", w.owner.token, "PATCH", c + "/" + w.owner.id, map[string]any{"permission": "Viewer"}, 409},
		{"not a member", w.owner.token, "PATCH", c + "/" + w.stranger.id, map[string]any{"permission": "Viewer"}, 404},
		{"a viewer may leave", w.viewer.token, "DELETE", c + "/" + w.viewer.id, nil, 204},
		{"an editor may not remove the owner", w.editor.token, "DELETE", c + "/" + w.owner.id, nil, 403},
		{"the owner cannot leave", w.owner.token, "DELETE", c + "/" + w.owner.id, nil, 409},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.token, tt.method, tt.path, tt.body)
			require.Equal(t, tt.status, r.status, r.raw)
			if tt.status >= 400 {
				assert.NotEmpty(t, r.body["error"])
			}
		})
	}
	assert.Equal(t, 404, e.do(w.viewer.token, "GET", "/api/lists/"+w.listID, nil).status, "a member who left sees nothing")
}

func TestPageHealthAndMetrics(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/", "/signin", "/lists", "/lists/some-id"} {
		r := e.do("", "GET", path, nil)
		assert.Equal(t, 200, r.status)
		assert.Equal(t, "<html>page</html>", r.raw, path)
	}
	assert.Equal(t, "js", e.do("", "GET", "/app.js", nil).raw)
	health := e.do("", "GET", "/healthz", nil)
	assert.Equal(t, 200, health.status)
	assert.Equal(t, "ok", health.body["status"])
	metrics := e.do("", "GET", "/metrics", nil)
	assert.Equal(t, 200, metrics.status)
	for _, name := range []string{"shoppinglist_http_requests_total", "shoppinglist_hub_connections", "go_goroutines"} {
		assert.Contains(t, metrics.raw, name)
	}
}

func TestPageNotBuilt(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Page = nil })
	r := e.do("", "GET", "/lists", nil)
	assert.Equal(t, 200, r.status)
	assert.Contains(t, r.raw, "make build")
}

func TestCORSForAllowedOrigins(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.CORSOrigins = []string{"https://app.example.com"} })
	tests := []struct {
		origin string
		want   string
	}{
		{"https://app.example.com", "https://app.example.com"},
		{"https://evil.example.com", ""},
	}
	for _, tt := range tests {
		req, err := http.NewRequest("OPTIONS", e.url+"/api/lists", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", tt.origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusNoContent, res.StatusCode)
		assert.Equal(t, tt.want, res.Header.Get("Access-Control-Allow-Origin"), tt.origin)
	}
}
