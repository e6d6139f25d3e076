package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"
)

const itemColumns = `i.id, i.list_id, i.name, i.quantity, i.unit, i.category_id, i.notes, i.image_url, i.is_purchased,
	i.purchased_by, pb.display_name, i.purchased_at, i.position, i.version,
	i.created_by, cb.display_name, i.created_at, i.updated_by, ub.display_name, i.updated_at`

const itemFrom = ` FROM items i
	LEFT JOIN users pb ON pb.id = i.purchased_by
	LEFT JOIN users cb ON cb.id = i.created_by
	LEFT JOIN users ub ON ub.id = i.updated_by`

func scanItem(row interface{ Scan(...any) error }) (Item, error) {
	var it Item
	var category, purchasedBy, purchasedByName, purchasedAt, createdByName, updatedByName sql.NullString
	var purchased int64
	err := row.Scan(&it.ID, &it.ListID, &it.Name, &it.Quantity, &it.Unit, &category, &it.Notes, &it.ImageURL, &purchased,
		&purchasedBy, &purchasedByName, &purchasedAt, &it.Position, &it.Version,
		&it.CreatedBy.ID, &createdByName, &it.CreatedAt, &it.UpdatedBy.ID, &updatedByName, &it.UpdatedAt)
	if err != nil {
		return Item{}, err
	}
	it.IsPurchased = purchased != 0
	if category.Valid {
		it.CategoryID = &category.String
	}
	if purchasedBy.Valid {
		it.PurchasedBy = &Ref{ID: purchasedBy.String, DisplayName: purchasedByName.String}
	}
	if purchasedAt.Valid {
		it.PurchasedAt = &purchasedAt.String
	}
	it.CreatedBy.DisplayName = createdByName.String
	it.UpdatedBy.DisplayName = updatedByName.String
	return it, nil
}

func (s *Store) items(ctx context.Context, q queryer, listID string) ([]Item, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT `+itemColumns+itemFrom+` WHERE i.list_id = ? ORDER BY i.position, i.created_at, i.id`), listID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Item{}
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

func (s *Store) item(ctx context.Context, q queryer, listID, itemID string) (Item, error) {
	it, err := scanItem(q.QueryRowContext(ctx, s.q(`SELECT `+itemColumns+itemFrom+` WHERE i.id = ? AND i.list_id = ?`), itemID, listID))
	if errors.Is(err, sql.ErrNoRows) {
		return Item{}, ErrNotFound
	}
	return it, err
}

// Items returns a list's items in position order and the list's seq, read
// in one transaction so the pair is consistent.
func (s *Store) Items(ctx context.Context, listID, userID string) ([]Item, int64, error) {
	var items []Item
	var seq int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		l, err := s.list(ctx, tx, listID, userID)
		if err != nil {
			return err
		}
		seq = l.Seq
		items, err = s.items(ctx, tx, listID)
		return err
	})
	return items, seq, wrap("reading items", err)
}

// AddItem adds an item at the end of a list (Owner or Editor), with an
// ItemAdded event.
func (s *Store) AddItem(ctx context.Context, listID, userID string, in NewItem) (Item, error) {
	var it Item
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.require(ctx, tx, listID, userID, editorOrUp); err != nil {
			return err
		}
		var pos int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COALESCE(MAX(position), 0) + 1 FROM items WHERE list_id = ?`), listID).Scan(&pos); err != nil {
			return err
		}
		id, now := uuid.NewString(), s.now()
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO items (id, list_id, name, quantity, unit, category_id, notes, image_url, is_purchased, position, version, created_by, created_at, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 1, ?, ?, ?, ?)`),
			id, listID, in.Name, in.Quantity, in.Unit, in.CategoryID, in.Notes, in.ImageURL, pos, userID, now, userID, now)
		if err != nil {
			return err
		}
		if it, err = s.item(ctx, tx, listID, id); err != nil {
			return err
		}
		return s.emit(ctx, tx, listID, "ItemAdded", map[string]any{"item": it}, nil)
	})
	if err == nil {
		s.notify()
	}
	return it, wrap("adding item", err)
}

// UpdateItem changes an item (Owner or Editor), with an ItemUpdated event
// naming the changed fields. A patch that changes nothing returns the item
// as it is, without an event. A mismatching ExpectedVersion fails with a
// *VersionConflictError and changes nothing.
func (s *Store) UpdateItem(ctx context.Context, listID, itemID, userID string, p ItemPatch) (Item, error) {
	var it Item
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.require(ctx, tx, listID, userID, editorOrUp); err != nil {
			return err
		}
		var err error
		if it, err = s.item(ctx, tx, listID, itemID); err != nil {
			return err
		}
		if p.ExpectedVersion != nil && *p.ExpectedVersion != it.Version {
			return &VersionConflictError{Item: it}
		}
		changed := []string{}
		setStr := func(dst *string, v *string, name string) {
			if v != nil && *v != *dst {
				*dst, changed = *v, append(changed, name)
			}
		}
		setStr(&it.Name, p.Name, "name")
		if p.Quantity != nil && *p.Quantity != it.Quantity {
			it.Quantity, changed = *p.Quantity, append(changed, "quantity")
		}
		setStr(&it.Unit, p.Unit, "unit")
		if p.CategoryID != nil {
			var next *string
			if *p.CategoryID != "" {
				next = p.CategoryID
			}
			if (next == nil) != (it.CategoryID == nil) || next != nil && *next != *it.CategoryID {
				it.CategoryID, changed = next, append(changed, "categoryId")
			}
		}
		setStr(&it.Notes, p.Notes, "notes")
		setStr(&it.ImageURL, p.ImageURL, "imageUrl")
		if p.Position != nil && *p.Position != it.Position {
			it.Position, changed = *p.Position, append(changed, "position")
		}
		if len(changed) == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE items SET name = ?, quantity = ?, unit = ?, category_id = ?, notes = ?, image_url = ?, position = ?,
			version = version + 1, updated_by = ?, updated_at = ? WHERE id = ?`),
			it.Name, it.Quantity, it.Unit, it.CategoryID, it.Notes, it.ImageURL, it.Position, userID, s.now(), itemID)
		if err != nil {
			return err
		}
		if it, err = s.item(ctx, tx, listID, itemID); err != nil {
			return err
		}
		return s.emit(ctx, tx, listID, "ItemUpdated", map[string]any{"item": it, "changedFields": changed}, nil)
	})
	if err == nil {
		s.notify()
	}
	return it, wrap("updating item", err)
}

// DeleteItem deletes an item (Owner or Editor), with an ItemDeleted event.
func (s *Store) DeleteItem(ctx context.Context, listID, itemID, userID string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.require(ctx, tx, listID, userID, editorOrUp); err != nil {
			return err
		}
		if _, err := s.item(ctx, tx, listID, itemID); err != nil {
			return err
		}
		by, err := s.ref(ctx, tx, userID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM items WHERE id = ?`), itemID); err != nil {
			return err
		}
		return s.emit(ctx, tx, listID, "ItemDeleted", map[string]any{"itemId": itemID, "deletedBy": by}, nil)
	})
	if err == nil {
		s.notify()
	}
	return wrap("deleting item", err)
}

// SetPurchased marks an item purchased or not (Owner or Editor), with an
// ItemPurchasedStatusChanged event. Setting the state it already has
// changes nothing.
func (s *Store) SetPurchased(ctx context.Context, listID, itemID, userID string, purchased bool) (Item, error) {
	var it Item
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.require(ctx, tx, listID, userID, editorOrUp); err != nil {
			return err
		}
		var err error
		if it, err = s.item(ctx, tx, listID, itemID); err != nil {
			return err
		}
		if it.IsPurchased == purchased {
			return nil
		}
		now := s.now()
		var by, at any
		flag := 0
		if purchased {
			by, at, flag = userID, now, 1
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE items SET is_purchased = ?, purchased_by = ?, purchased_at = ?, version = version + 1, updated_by = ?, updated_at = ? WHERE id = ?`),
			flag, by, at, userID, now, itemID)
		if err != nil {
			return err
		}
		if it, err = s.item(ctx, tx, listID, itemID); err != nil {
			return err
		}
		return s.emit(ctx, tx, listID, "ItemPurchasedStatusChanged", map[string]any{
			"itemId": it.ID, "isPurchased": it.IsPurchased, "purchasedBy": it.PurchasedBy, "purchasedAt": it.PurchasedAt, "version": it.Version,
		}, nil)
	})
	if err == nil {
		s.notify()
	}
	return it, wrap("purchasing item", err)
}
