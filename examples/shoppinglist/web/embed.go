// Package web holds the shopping list's page, built into dist/ by
// `npm run build` (make build) and embedded into the server binary.
package web

import "embed"

// Dist is the built page: dist/index.html and its assets. When the page has
// not been built it holds only dist/.gitkeep, and the server answers with a
// short page saying to run `make build`.
//
//go:embed all:dist
var Dist embed.FS
