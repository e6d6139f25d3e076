package server

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/examples/shoppinglist/internal/pgtest"
	"github.com/listhub/listhub/examples/shoppinglist/internal/store"
)

// The REST API over PostgreSQL: the same answers as over SQLite (the store
// suite covers both databases in depth).
func TestRESTOnPostgres(t *testing.T) {
	pg, err := pgtest.Start()
	if errors.Is(err, pgtest.ErrUnavailable) && os.Getenv("SHOPPINGLIST_REQUIRE_POSTGRES") == "" {
		t.Skip(err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, pg.Stop()) })
	url, err := pg.NewDatabase(context.Background())
	require.NoError(t, err)
	st, err := store.Open(context.Background(), url)
	require.NoError(t, err)
	e := newEnv(t, func(c *Config) { c.Store = st })
	itemUpdatesAndVersions(t, e)
	health := e.do("", "GET", "/healthz", nil)
	assert.Equal(t, 200, health.status)
	assert.Equal(t, "postgres", health.body["database"])
}
