package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/listhub/listhub/auth"
	"github.com/listhub/listhub/examples/shoppinglist/internal/store"
	"github.com/listhub/listhub/hub"
)

// HubPath is where the hub is mounted.
const HubPath = "/hubs/shopping-list"

const groupPrefix = "list_"

func groupOf(listID string) string { return groupPrefix + listID }

// authorize is the hub's auth.Authorizer. It reads the database on every
// connect, call and group join: a connection needs an existing user, and
// joining a list's group needs a current membership.
func (s *Server) authorize(ctx context.Context, id *auth.Identity, a auth.Action) error {
	if id == nil {
		return auth.ErrForbidden
	}
	switch a.Kind {
	case auth.Connect, auth.Invoke:
		if _, err := s.store.UserByID(ctx, id.UserID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return auth.ErrForbidden
			}
			return err
		}
		return nil
	case auth.JoinGroup:
		listID, ok := strings.CutPrefix(a.Group, groupPrefix)
		if !ok {
			return auth.ErrForbidden
		}
		if _, err := s.store.Permission(ctx, listID, id.UserID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return auth.ErrForbidden
			}
			return err
		}
		return nil
	}
	return auth.ErrForbidden
}

// joinResult is JoinList's answer.
type joinResult struct {
	Seq            int64 `json:"seq"`
	Missed         []any `json:"missed"`
	ReloadRequired bool  `json:"reloadRequired"`
}

// asMap gives the result as a map, so MessagePack clients see the same
// camelCase names as JSON clients.
func (j joinResult) asMap() map[string]any {
	return map[string]any{"seq": j.Seq, "missed": j.Missed, "reloadRequired": j.ReloadRequired}
}

// hubMethods are the shopping list's hub methods.
type hubMethods struct{ s *Server }

// JoinList joins the caller to the list's group after checking their
// current permission, and returns the list's seq and, with afterSeq, the
// events the caller missed. The caller then receives PresenceUpdate and
// the others UserJoined.
func (m hubMethods) JoinList(c *hub.Context, listID string, afterSeq ...int64) (map[string]any, error) {
	s := m.s
	if len(afterSeq) > 1 {
		return nil, hub.Errorf("JoinList takes a list id and an optional afterSeq")
	}
	if _, err := s.store.Permission(c, listID, c.UserID()); err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Error("hub: reading permission", "err", err)
		}
		return nil, hub.ErrAccessDenied
	}
	// Join first, then read seq: every event committed after the read is
	// delivered live; those before are in missed or below seq.
	if err := c.Groups().Add(c, c.ConnectionID(), groupOf(listID)); err != nil {
		return nil, hub.ErrAccessDenied
	}
	seq, err := s.store.ListSeq(c, listID)
	if err != nil {
		return nil, hub.ErrAccessDenied
	}
	res := joinResult{Seq: seq, Missed: []any{}}
	if len(afterSeq) == 1 {
		events, reload, err := s.store.EventsAfter(c, listID, afterSeq[0], seq)
		if err != nil {
			return nil, err
		}
		res.ReloadRequired = reload
		for _, e := range events {
			p, err := decodePayload(e.Payload)
			if err != nil {
				return nil, err
			}
			res.Missed = append(res.Missed, p)
		}
	}
	u, err := s.store.UserByID(c, c.UserID())
	if err != nil {
		return nil, err
	}
	meta := map[string]string{"displayName": u.DisplayName, "avatarUrl": u.AvatarURL, "connectionId": c.ConnectionID()}
	if err := s.presence.Join(c, groupOf(listID), c.UserID(), c.ConnectionID(), meta); err != nil {
		s.log.Warn("hub: presence join failed", "err", err)
	}
	connID := c.ConnectionID()
	c.AfterCompletion(func() { s.sendPresence(context.WithoutCancel(c), listID, connID) })
	return res.asMap(), nil
}

// LeaveList takes the caller out of the list's group.
func (m hubMethods) LeaveList(c *hub.Context, listID string) error {
	if err := c.Groups().Remove(c, c.ConnectionID(), groupOf(listID)); err != nil {
		return err
	}
	return m.s.presence.Leave(c, groupOf(listID), c.ConnectionID())
}

// UpdatePresence is the heartbeat. It checks the caller's permission again:
// a caller who lost access leaves the group and receives AccessRevoked.
func (m hubMethods) UpdatePresence(c *hub.Context, listID string) error {
	s := m.s
	if _, err := s.store.Permission(c, listID, c.UserID()); err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		_ = c.Groups().Remove(c, c.ConnectionID(), groupOf(listID))
		_ = s.presence.Leave(c, groupOf(listID), c.ConnectionID())
		return c.Clients().Caller().Send(c, "AccessRevoked", accessRevoked(listID, "You no longer have access to this list."))
	}
	u, err := s.store.UserByID(c, c.UserID())
	if err != nil {
		return err
	}
	// Join is idempotent for a present connection and brings back one that
	// timed out.
	meta := map[string]string{"displayName": u.DisplayName, "avatarUrl": u.AvatarURL, "connectionId": c.ConnectionID()}
	return s.presence.Join(c, groupOf(listID), c.UserID(), c.ConnectionID(), meta)
}

func accessRevoked(listID, reason string) map[string]any {
	return map[string]any{"eventType": "AccessRevoked", "listId": listID, "timestamp": now(), "reason": reason}
}

func now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000000Z") }

// sendPresence sends the list's PresenceUpdate to one connection.
func (s *Server) sendPresence(ctx context.Context, listID, connID string) {
	snap, err := s.presence.Snapshot(ctx, groupOf(listID))
	if err != nil {
		s.log.Warn("hub: presence snapshot failed", "err", err)
		return
	}
	active := make([]any, 0, len(snap.Members))
	for _, m := range snap.Members {
		active = append(active, map[string]any{
			"id": m.UserID, "displayName": m.Meta["displayName"], "avatarUrl": m.Meta["avatarUrl"],
			"joinedAt": m.JoinedAt.UTC().Format(time.RFC3339Nano), "lastSeenAt": m.LastSeenAt.UTC().Format(time.RFC3339Nano),
		})
	}
	payload := map[string]any{"eventType": "PresenceUpdate", "listId": listID, "timestamp": now(), "activeUsers": active}
	if err := s.hub.Clients().Client(connID).Send(ctx, "PresenceUpdate", payload); err != nil {
		s.log.Debug("hub: sending PresenceUpdate", "err", err)
	}
}

// decodePayload turns a stored event into a value both hub protocols
// encode with the same names: maps keyed by the JSON names, whole numbers
// as integers.
func decodePayload(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return numbers(v), nil
}

func numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	}
	return v
}
