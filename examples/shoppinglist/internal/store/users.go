package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// CreateUser stores a new account; a known email fails with ErrDuplicate.
// email must already be normalised; passwordHash is the bcrypt hash.
func (s *Store) CreateUser(ctx context.Context, email, passwordHash, displayName string) (User, error) {
	u := User{ID: uuid.NewString(), Email: email, DisplayName: displayName}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM users WHERE email = ?`), email).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrDuplicate
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO users (id, email, password_hash, display_name, avatar_url, created_at) VALUES (?, ?, ?, ?, '', ?)`),
			u.ID, email, passwordHash, displayName, s.now())
		if err != nil && isUniqueViolation(err) {
			return ErrDuplicate
		}
		return err
	})
	if err != nil {
		if errors.Is(err, ErrDuplicate) {
			return User{}, ErrDuplicate
		}
		return User{}, fmt.Errorf("store: creating user: %w", err)
	}
	return u, nil
}

func isUniqueViolation(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "unique") || strings.Contains(msg, "23505")
}

// UserByEmail returns a user and their password hash.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, string, error) {
	var u User
	var hash string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id, email, display_name, avatar_url, password_hash FROM users WHERE email = ?`), email).
		Scan(&u.ID, &u.Email, &u.DisplayName, &u.AvatarURL, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, "", ErrNotFound
	}
	if err != nil {
		return User{}, "", fmt.Errorf("store: reading user: %w", err)
	}
	return u, hash, nil
}

// UserByID returns a user.
func (s *Store) UserByID(ctx context.Context, id string) (User, error) {
	return s.userByID(ctx, s.db, id)
}

func (s *Store) userByID(ctx context.Context, q queryer, id string) (User, error) {
	var u User
	err := q.QueryRowContext(ctx, s.q(`SELECT id, email, display_name, avatar_url FROM users WHERE id = ?`), id).
		Scan(&u.ID, &u.Email, &u.DisplayName, &u.AvatarURL)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("store: reading user: %w", err)
	}
	return u, nil
}

// UpdateUser changes the given fields of a user; nil leaves one as it is.
func (s *Store) UpdateUser(ctx context.Context, id string, displayName, avatarURL *string) (User, error) {
	var u User
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if u, err = s.userByID(ctx, tx, id); err != nil {
			return err
		}
		if displayName != nil {
			u.DisplayName = *displayName
		}
		if avatarURL != nil {
			u.AvatarURL = *avatarURL
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE users SET display_name = ?, avatar_url = ? WHERE id = ?`), u.DisplayName, u.AvatarURL, id)
		return err
	})
	if err != nil {
		return User{}, wrap("updating user", err)
	}
	return u, nil
}

// wrap adds context to an unexpected error and passes the store's own
// sentinels through unchanged.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	var vc *VersionConflictError
	switch {
	case errors.As(err, &vc), errors.Is(err, ErrNotFound), errors.Is(err, ErrForbidden),
		errors.Is(err, ErrConflict), errors.Is(err, ErrDuplicate), errors.Is(err, ErrOwner):
		return err
	}
	return fmt.Errorf("store: %s: %w", what, err)
}
