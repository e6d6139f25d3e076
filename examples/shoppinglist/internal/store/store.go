// Package store keeps the shopping list's users, lists, items and
// collaborators in SQLite (modernc.org/sqlite, pure Go, WAL mode) or
// PostgreSQL (pgx), with one set of embedded migrations applied at Open.
//
// Every change of a list is written in one transaction with its list event
// (the outbox, table events), which carries the list's next seq; a
// dispatcher reads the unsent events in seq order and publishes them.
// Permissions are read from the database in the transaction of each
// operation: nothing is cached.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Errors of the store. Handlers map them to HTTP statuses.
var (
	ErrNotFound  = errors.New("store: not found")        // or not a member: never reveal a list
	ErrForbidden = errors.New("store: forbidden")        // a member without the right
	ErrConflict  = errors.New("store: conflict")         // e.g. already a member
	ErrDuplicate = errors.New("store: duplicate email")  // register with a known email
	ErrOwner     = errors.New("store: the list's owner") // the owner cannot be changed or removed
)

// VersionConflictError is returned by UpdateItem when expectedVersion does
// not match: Item is the stored item, unchanged.
type VersionConflictError struct{ Item Item }

func (e *VersionConflictError) Error() string { return "store: item version conflict" }
func (e *VersionConflictError) Unwrap() error { return ErrConflict }

// Store is the database. It is safe for concurrent use.
type Store struct {
	db       *sql.DB
	postgres bool
	// changed is signalled (never blocking) after a commit that wrote list
	// events, to wake the dispatcher.
	changed chan struct{}
	// Now returns the current time. Default time.Now; tests may set it.
	Now func() time.Time
}

// Open opens dsn, a SQLite file path or a postgres:// (postgresql://) URL,
// and applies the migrations that have not been applied yet.
func Open(ctx context.Context, dsn string) (*Store, error) {
	s := &Store{changed: make(chan struct{}, 1), Now: time.Now}
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		s.postgres = true
		s.db, err = sql.Open("pgx", dsn)
		if err == nil {
			s.db.SetMaxOpenConns(20)
		}
	} else {
		// WAL lets two local processes share the file; immediate
		// transactions take the write lock at BEGIN, so concurrent writers
		// wait (busy_timeout) instead of failing on upgrade.
		q := "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		s.db, err = sql.Open("sqlite", "file:"+dsn+"?"+q)
		if err == nil {
			s.db.SetMaxOpenConns(8)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store: opening database: %w", err)
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("store: connecting to the database: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Kind returns "postgres" or "sqlite".
func (s *Store) Kind() string {
	if s.postgres {
		return "postgres"
	}
	return "sqlite"
}

// Changed is signalled after each commit that wrote list events.
func (s *Store) Changed() <-chan struct{} { return s.changed }

func (s *Store) notify() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("store: creating schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("store: listing migrations: %w", err)
	}
	slices.Sort(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("store: migration %s: no version number", name)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("store: reading %s: %w", name, err)
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range strings.Split(string(body), ";") {
				if strings.TrimSpace(stripComments(stmt)) == "" {
					continue
				}
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("%s: %w", base, err)
				}
			}
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), version, s.now())
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migrating: %w", err)
		}
	}
	return nil
}

func stripComments(stmt string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(stmt, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// q rewrites the ? placeholders of query for PostgreSQL ($1, $2, ...).
// Queries in this package never contain a literal question mark.
func (s *Store) q(query string) string {
	if !s.postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// tx runs f in a transaction, committed when f returns nil.
func (s *Store) tx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// timeFormat is fixed-width so that stored times sort as they compare.
const timeFormat = "2006-01-02T15:04:05.000000Z"

func (s *Store) now() string { return s.Now().UTC().Format(timeFormat) }

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}
