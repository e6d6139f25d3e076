package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// KeepEvents is how many sent events per list are kept for catch-up.
const KeepEvents = 1000

// Event is a list event of the outbox.
type Event struct {
	ListID  string
	Seq     int64
	Type    string
	Payload json.RawMessage // the whole payload: eventType, listId, timestamp, seq and the fields
	Revoke  []string        // users whose connections leave the list's group after it
}

// nextSeq bumps a list's seq in the current transaction and returns it. In
// PostgreSQL the row lock it takes serializes the list's writers until
// commit, so seqs are committed in order.
func (s *Store) nextSeq(ctx context.Context, tx *sql.Tx, listID string) (int64, error) {
	var seq int64
	err := tx.QueryRowContext(ctx, s.q(`UPDATE lists SET seq = seq + 1, updated_at = ? WHERE id = ? RETURNING seq`), s.now(), listID).Scan(&seq)
	return seq, err
}

// emit writes the list's next event in the current transaction.
func (s *Store) emit(ctx context.Context, tx *sql.Tx, listID, typ string, fields map[string]any, revoke []string) error {
	seq, err := s.nextSeq(ctx, tx, listID)
	if err != nil {
		return err
	}
	return s.insertEvent(ctx, tx, listID, seq, typ, fields, revoke)
}

func (s *Store) insertEvent(ctx context.Context, tx *sql.Tx, listID string, seq int64, typ string, fields map[string]any, revoke []string) error {
	now := s.now()
	fields["eventType"] = typ
	fields["listId"] = listID
	fields["timestamp"] = now
	fields["seq"] = seq
	payload, err := json.Marshal(fields)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", typ, err)
	}
	rev := ""
	if len(revoke) > 0 {
		b, _ := json.Marshal(revoke)
		rev = string(b)
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO events (list_id, seq, type, payload, revoke, sent, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)`),
		listID, seq, typ, string(payload), rev, now)
	return err
}

func scanEvents(rows *sql.Rows) ([]Event, error) {
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var payload, revoke string
		if err := rows.Scan(&e.ListID, &e.Seq, &e.Type, &payload, &revoke); err != nil {
			return nil, err
		}
		e.Payload = json.RawMessage(payload)
		if revoke != "" {
			if err := json.Unmarshal([]byte(revoke), &e.Revoke); err != nil {
				return nil, fmt.Errorf("event %s/%d: revoke: %w", e.ListID, e.Seq, err)
			}
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Unsent returns up to limit events not yet published, in seq order per
// list. After a crash between commit and publish they are still here.
func (s *Store) Unsent(ctx context.Context, limit int) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT list_id, seq, type, payload, revoke FROM events WHERE sent = 0 ORDER BY list_id, seq LIMIT ?`), limit)
	if err != nil {
		return nil, wrap("reading outbox", err)
	}
	events, err := scanEvents(rows)
	return events, wrap("reading outbox", err)
}

// MarkSent records that a list's events up to seq were published, and
// drops its events older than the last KeepEvents.
func (s *Store) MarkSent(ctx context.Context, listID string, seq int64) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE events SET sent = 1 WHERE list_id = ? AND seq <= ? AND sent = 0`), listID, seq); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM events WHERE list_id = ? AND seq <= ? AND sent = 1`), listID, seq-KeepEvents)
		return err
	})
	return wrap("marking events sent", err)
}

// Claim lets node publish an event: it succeeds when the event is unsent,
// is the lowest unsent event of its list, and is unclaimed, claimed by node
// itself, or claimed before staleBefore (the claimer died).
func (s *Store) Claim(ctx context.Context, listID string, seq int64, node string, staleBefore time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE events SET claimed_by = ?, claimed_at = ?
		WHERE list_id = ? AND seq = ? AND sent = 0
		AND (claimed_by = '' OR claimed_by = ? OR claimed_at < ?)
		AND NOT EXISTS (SELECT 1 FROM events e2 WHERE e2.list_id = ? AND e2.seq < ? AND e2.sent = 0)`),
		node, s.now(), listID, seq, node, staleBefore.UTC().Format(timeFormat), listID, seq)
	if err != nil {
		return false, wrap("claiming event", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("claiming event", err)
}

// EventsAfter returns the list's kept events with seq > after, in order,
// and whether some of them are no longer kept (the client must reload).
func (s *Store) EventsAfter(ctx context.Context, listID string, after, current int64) ([]Event, bool, error) {
	if after >= current {
		return nil, false, nil
	}
	if after < 0 {
		return nil, true, nil
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT list_id, seq, type, payload, revoke FROM events WHERE list_id = ? AND seq > ? AND seq <= ? ORDER BY seq`), listID, after, current)
	if err != nil {
		return nil, false, wrap("reading events", err)
	}
	events, err := scanEvents(rows)
	if err != nil {
		return nil, false, wrap("reading events", err)
	}
	// Complete only if the events run from after+1 to current without gaps.
	reload := int64(len(events)) != current-after || len(events) > 0 && events[0].Seq != after+1
	return events, reload, nil
}
