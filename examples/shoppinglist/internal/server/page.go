package server

import (
	"io/fs"
	"net/http"
	"path"
	"strings"
)

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shopping list</title></head>
<body><h1>Shopping list</h1>
<p>The web page has not been built into this binary. Run <code>make build</code>
(or <code>make run</code>) at the repository's root, then start <code>bin/shoppinglist</code>.</p>
<p>The API is at <code>/api</code> and the hub at <code>/hubs/shopping-list</code>.</p>
</body></html>
`

// page serves the built page's files, and index.html for every other GET
// (the page's own routes: /, /signin, /lists, /lists/{id}).
func (s *Server) page() http.Handler {
	files := s.cfg.Page
	hasIndex := false
	if files != nil {
		if st, err := fs.Stat(files, "index.html"); err == nil && !st.IsDir() {
			hasIndex = true
		}
	}
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if !hasIndex {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(notBuiltPage))
			return
		}
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name != "" && name != "index.html" {
			if st, err := fs.Stat(files, name); err == nil && !st.IsDir() {
				fileServer.ServeHTTP(w, r)
				return
			}
		}
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, files, "index.html")
	})
}
