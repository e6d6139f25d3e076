package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"
)

// Permission returns userID's current permission on listID, or ErrNotFound
// when the list does not exist or the user is not a member.
func (s *Store) Permission(ctx context.Context, listID, userID string) (string, error) {
	return s.permission(ctx, s.db, listID, userID)
}

func (s *Store) permission(ctx context.Context, q queryer, listID, userID string) (string, error) {
	var perm string
	err := q.QueryRowContext(ctx, s.q(`SELECT permission FROM members WHERE list_id = ? AND user_id = ?`), listID, userID).Scan(&perm)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", wrap("reading permission", err)
	}
	return perm, nil
}

// require returns the caller's permission, ErrNotFound for a non-member and
// ErrForbidden when ok rejects the permission.
func (s *Store) require(ctx context.Context, q queryer, listID, userID string, ok func(string) bool) (string, error) {
	perm, err := s.permission(ctx, q, listID, userID)
	if err != nil {
		return "", err
	}
	if !ok(perm) {
		return "", ErrForbidden
	}
	return perm, nil
}

func anyMember(string) bool    { return true }
func ownerOnly(p string) bool  { return p == Owner }
func editorOrUp(p string) bool { return CanEdit(p) }

const listColumns = `l.id, l.name, l.description, l.owner_id, m.permission, l.seq, l.created_at, l.updated_at,
	(SELECT COUNT(*) FROM items i WHERE i.list_id = l.id),
	(SELECT COUNT(*) FROM items i WHERE i.list_id = l.id AND i.is_purchased = 1)`

func scanList(row interface{ Scan(...any) error }) (List, error) {
	var l List
	err := row.Scan(&l.ID, &l.Name, &l.Description, &l.OwnerID, &l.Permission, &l.Seq, &l.CreatedAt, &l.UpdatedAt, &l.ItemCount, &l.PurchasedCount)
	return l, err
}

// Lists returns the lists userID is a member of, oldest first.
func (s *Store) Lists(ctx context.Context, userID string) ([]List, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+listColumns+` FROM lists l JOIN members m ON m.list_id = l.id AND m.user_id = ? ORDER BY l.created_at, l.id`), userID)
	if err != nil {
		return nil, wrap("listing lists", err)
	}
	defer rows.Close()
	out := []List{}
	for rows.Next() {
		l, err := scanList(rows)
		if err != nil {
			return nil, wrap("listing lists", err)
		}
		out = append(out, l)
	}
	return out, wrap("listing lists", rows.Err())
}

func (s *Store) list(ctx context.Context, q queryer, listID, userID string) (List, error) {
	l, err := scanList(q.QueryRowContext(ctx, s.q(`SELECT `+listColumns+` FROM lists l JOIN members m ON m.list_id = l.id AND m.user_id = ? WHERE l.id = ?`), userID, listID))
	if errors.Is(err, sql.ErrNoRows) {
		return List{}, ErrNotFound
	}
	if err != nil {
		return List{}, wrap("reading list", err)
	}
	return l, nil
}

// CreateList makes a list owned by userID.
func (s *Store) CreateList(ctx context.Context, userID, name, description string) (List, error) {
	var l List
	err := s.tx(ctx, func(tx *sql.Tx) error {
		id, now := uuid.NewString(), s.now()
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO lists (id, name, description, owner_id, seq, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)`),
			id, name, description, userID, now, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO members (list_id, user_id, permission, added_at) VALUES (?, ?, ?, ?)`), id, userID, Owner, now); err != nil {
			return err
		}
		var err error
		l, err = s.list(ctx, tx, id, userID)
		return err
	})
	return l, wrap("creating list", err)
}

// ListDetail returns a list with its items and collaborators.
func (s *Store) ListDetail(ctx context.Context, listID, userID string) (ListDetail, error) {
	var d ListDetail
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if d.List, err = s.list(ctx, tx, listID, userID); err != nil {
			return err
		}
		if d.Items, err = s.items(ctx, tx, listID); err != nil {
			return err
		}
		d.Collaborators, err = s.collaborators(ctx, tx, listID)
		return err
	})
	return d, wrap("reading list", err)
}

// UpdateList changes a list's name or description (Owner only), with a
// ListUpdated event naming the changed fields.
func (s *Store) UpdateList(ctx context.Context, listID, userID string, name, description *string) (List, error) {
	var l List
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.require(ctx, tx, listID, userID, ownerOnly); err != nil {
			return err
		}
		var err error
		if l, err = s.list(ctx, tx, listID, userID); err != nil {
			return err
		}
		changed := []string{}
		if name != nil && *name != l.Name {
			l.Name, changed = *name, append(changed, "name")
		}
		if description != nil && *description != l.Description {
			l.Description, changed = *description, append(changed, "description")
		}
		if len(changed) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE lists SET name = ?, description = ?, updated_at = ? WHERE id = ?`), l.Name, l.Description, s.now(), listID); err != nil {
			return err
		}
		seq, err := s.nextSeq(ctx, tx, listID)
		if err != nil {
			return err
		}
		if l, err = s.list(ctx, tx, listID, userID); err != nil {
			return err
		}
		return s.insertEvent(ctx, tx, listID, seq, "ListUpdated", map[string]any{"list": l, "changedFields": changed}, nil)
	})
	if err == nil {
		s.notify()
	}
	return l, wrap("updating list", err)
}

// DeleteList deletes a list (Owner only). Its ListDeleted event goes to
// every member, whose connections then leave the list's group.
func (s *Store) DeleteList(ctx context.Context, listID, userID string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.require(ctx, tx, listID, userID, ownerOnly); err != nil {
			return err
		}
		by, err := s.ref(ctx, tx, userID)
		if err != nil {
			return err
		}
		members, err := s.collaborators(ctx, tx, listID)
		if err != nil {
			return err
		}
		revoke := make([]string, len(members))
		for i, m := range members {
			revoke[i] = m.UserID
		}
		seq, err := s.nextSeq(ctx, tx, listID)
		if err != nil {
			return err
		}
		if err := s.insertEvent(ctx, tx, listID, seq, "ListDeleted", map[string]any{"deletedBy": by}, revoke); err != nil {
			return err
		}
		for _, stmt := range []string{`DELETE FROM items WHERE list_id = ?`, `DELETE FROM members WHERE list_id = ?`, `DELETE FROM lists WHERE id = ?`} {
			if _, err := tx.ExecContext(ctx, s.q(stmt), listID); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.notify()
	}
	return wrap("deleting list", err)
}

// ListSeq returns a list's current seq.
func (s *Store) ListSeq(ctx context.Context, listID string) (int64, error) {
	var seq int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT seq FROM lists WHERE id = ?`), listID).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return seq, wrap("reading seq", err)
}

func (s *Store) ref(ctx context.Context, q queryer, userID string) (Ref, error) {
	u, err := s.userByID(ctx, q, userID)
	if err != nil {
		return Ref{}, err
	}
	return Ref{ID: u.ID, DisplayName: u.DisplayName}, nil
}
