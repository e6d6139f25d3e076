package store

import (
	"context"
	"database/sql"
	"errors"
)

func (s *Store) collaborators(ctx context.Context, q queryer, listID string) ([]Collaborator, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT u.id, u.display_name, u.email, u.avatar_url, m.permission, m.added_at
		FROM members m JOIN users u ON u.id = m.user_id WHERE m.list_id = ? ORDER BY m.added_at, u.id`), listID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Collaborator{}
	for rows.Next() {
		var c Collaborator
		if err := rows.Scan(&c.UserID, &c.DisplayName, &c.Email, &c.AvatarURL, &c.Permission, &c.AddedAt); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *Store) collaborator(ctx context.Context, q queryer, listID, userID string) (Collaborator, error) {
	var c Collaborator
	err := q.QueryRowContext(ctx, s.q(`SELECT u.id, u.display_name, u.email, u.avatar_url, m.permission, m.added_at
		FROM members m JOIN users u ON u.id = m.user_id WHERE m.list_id = ? AND m.user_id = ?`), listID, userID).
		Scan(&c.UserID, &c.DisplayName, &c.Email, &c.AvatarURL, &c.Permission, &c.AddedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Collaborator{}, ErrNotFound
	}
	return c, err
}

// AddCollaborator makes the user with email a member (Owner only), with a
// CollaboratorAdded event. An unknown email is ErrNotFound (wrapped in
// ErrUnknownEmail), a member already ErrConflict.
func (s *Store) AddCollaborator(ctx context.Context, listID, userID, email, permission string) (Collaborator, error) {
	var c Collaborator
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.require(ctx, tx, listID, userID, ownerOnly); err != nil {
			return err
		}
		var otherID string
		err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM users WHERE email = ?`), email).Scan(&otherID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrUnknownEmail
		}
		if err != nil {
			return err
		}
		if _, err := s.permission(ctx, tx, listID, otherID); err == nil {
			return ErrConflict
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO members (list_id, user_id, permission, added_at) VALUES (?, ?, ?, ?)`), listID, otherID, permission, s.now()); err != nil {
			return err
		}
		if c, err = s.collaborator(ctx, tx, listID, otherID); err != nil {
			return err
		}
		by, err := s.ref(ctx, tx, userID)
		if err != nil {
			return err
		}
		return s.emit(ctx, tx, listID, "CollaboratorAdded", map[string]any{"collaborator": c, "invitedBy": by}, nil)
	})
	if err == nil {
		s.notify()
	}
	return c, wrap("adding collaborator", err)
}

// ErrUnknownEmail is AddCollaborator's error for an email without account.
var ErrUnknownEmail = &unknownEmail{}

type unknownEmail struct{}

func (*unknownEmail) Error() string { return "store: no user with this email" }
func (*unknownEmail) Unwrap() error { return ErrNotFound }

// SetPermission changes a collaborator's permission (Owner only), with a
// CollaboratorPermissionChanged event. The owner's own permission cannot
// change (ErrOwner).
func (s *Store) SetPermission(ctx context.Context, listID, userID, otherID, permission string) (Collaborator, error) {
	var c Collaborator
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.require(ctx, tx, listID, userID, ownerOnly); err != nil {
			return err
		}
		var err error
		if c, err = s.collaborator(ctx, tx, listID, otherID); err != nil {
			return err
		}
		if c.Permission == Owner {
			return ErrOwner
		}
		if c.Permission == permission {
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE members SET permission = ? WHERE list_id = ? AND user_id = ?`), permission, listID, otherID); err != nil {
			return err
		}
		c.Permission = permission
		by, err := s.ref(ctx, tx, userID)
		if err != nil {
			return err
		}
		return s.emit(ctx, tx, listID, "CollaboratorPermissionChanged", map[string]any{"userId": otherID, "permission": permission, "changedBy": by}, nil)
	})
	if err == nil {
		s.notify()
	}
	return c, wrap("changing permission", err)
}

// RemoveCollaborator removes a member (the Owner removes anyone but
// themself; a member may remove themself), with a CollaboratorRemoved
// event after which the removed user's connections leave the list.
func (s *Store) RemoveCollaborator(ctx context.Context, listID, userID, otherID string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		perm, err := s.permission(ctx, tx, listID, userID)
		if err != nil {
			return err
		}
		if otherID != userID && perm != Owner {
			return ErrForbidden
		}
		c, err := s.collaborator(ctx, tx, listID, otherID)
		if err != nil {
			return err
		}
		if c.Permission == Owner {
			return ErrOwner
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM members WHERE list_id = ? AND user_id = ?`), listID, otherID); err != nil {
			return err
		}
		by, err := s.ref(ctx, tx, userID)
		if err != nil {
			return err
		}
		return s.emit(ctx, tx, listID, "CollaboratorRemoved", map[string]any{"userId": otherID, "displayName": c.DisplayName, "removedBy": by}, []string{otherID})
	})
	if err == nil {
		s.notify()
	}
	return wrap("removing collaborator", err)
}
