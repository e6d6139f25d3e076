package hub

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEveryEntryPointHasAnExample keeps the runnable examples a new user
// learns from: each entry point of the package has one (go test runs them
// and checks their output).
func TestEveryEntryPointHasAnExample(t *testing.T) {
	files, err := filepath.Glob("*example_test.go")
	require.NoError(t, err)
	have := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
		require.NoError(t, err)
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil {
				have[fn.Name.Name] = ast.IsExported(fn.Name.Name)
			}
		}
	}
	for name, what := range map[string]string{
		"Example":                       "groups, and sending from an HTTP handler",
		"Example_typedMethods":          "typed methods with results and errors",
		"Example_serverLog":             "the server log of a failing call",
		"Example_serverStream":          "server-to-client streams",
		"Example_uploadStream":          "upload streams",
		"Example_clientResults":         "client results",
		"Example_jwt":                   "JWT wiring",
		"ExampleServer_Shutdown":        "graceful shutdown with http.Server",
		"ExampleFilterFuncs":            "filters",
		"ExampleServer_Stats":           "metrics",
		"ExampleServer_RegisterMethods": "RegisterMethods",
	} {
		assert.True(t, have[name], "no %s: an example of %s", name, what)
	}
}
