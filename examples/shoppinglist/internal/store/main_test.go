package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/listhub/listhub/examples/shoppinglist/internal/pgtest"
)

// pg is the PostgreSQL server of this package's tests, nil when the
// binaries are missing (then the PostgreSQL cases skip, or fail with
// SHOPPINGLIST_REQUIRE_POSTGRES=1).
var pg *pgtest.Server

func TestMain(m *testing.M) {
	var err error
	pg, err = pgtest.Start()
	if err != nil {
		if !errors.Is(err, pgtest.ErrUnavailable) || os.Getenv("SHOPPINGLIST_REQUIRE_POSTGRES") != "" {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pg = nil
	}
	code := 0
	func() {
		defer func() {
			if pg != nil {
				if err := pg.Stop(); err != nil {
					fmt.Fprintln(os.Stderr, err)
				}
			}
		}()
		code = m.Run()
	}()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// forEachDB runs f against a fresh SQLite file and a fresh PostgreSQL
// database: one suite for both.
func forEachDB(t *testing.T, f func(t *testing.T, s *Store)) {
	t.Run("sqlite", func(t *testing.T) {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		f(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		if pg == nil {
			t.Skip(pgtest.ErrUnavailable)
		}
		url, err := pg.NewDatabase(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		s, err := Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		f(t, s)
	})
}
