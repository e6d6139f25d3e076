package server

import (
	"context"
	"strings"

	"github.com/listhub/listhub/presence"
)

// newTracker wires presence to the hub: each transition becomes UserJoined
// or UserLeft in the list's group. store is the memory store on one node,
// the Redis store with -redis.
func (s *Server) newTracker(store presence.Store) (*presence.Tracker, error) {
	return presence.NewTracker(store, presence.Options{
		Timeout: s.cfg.PresenceTimeout,
		Grace:   s.cfg.PresenceGrace,
		Logger:  s.log,
		OnEvent: s.onPresence,
	})
}

// onPresence turns presence transitions into UserJoined and UserLeft; a Diff
// of a big list becomes one event per user.
func (s *Server) onPresence(e presence.Event) {
	switch e.Kind {
	case presence.Joined:
		s.userJoined(e.Topic, e.Member)
	case presence.Left:
		s.userLeft(e.Topic, e.Member)
	case presence.Diff:
		for _, m := range e.Leaves {
			s.userLeft(e.Topic, m)
		}
		for _, m := range e.Joins {
			s.userJoined(e.Topic, m)
		}
	}
}

func (s *Server) userJoined(topic string, m presence.Member) {
	listID := strings.TrimPrefix(topic, groupPrefix)
	payload := map[string]any{"eventType": "UserJoined", "listId": listID, "timestamp": now(),
		"user": map[string]any{"id": m.UserID, "displayName": m.Meta["displayName"], "avatarUrl": m.Meta["avatarUrl"]}}
	// Not to the connection whose join this is: it gets PresenceUpdate.
	_ = s.hub.Clients().GroupExcept(topic, m.Meta["connectionId"]).Send(context.Background(), "UserJoined", payload)
}

func (s *Server) userLeft(topic string, m presence.Member) {
	listID := strings.TrimPrefix(topic, groupPrefix)
	payload := map[string]any{"eventType": "UserLeft", "listId": listID, "timestamp": now(),
		"userId": m.UserID, "displayName": m.Meta["displayName"]}
	_ = s.hub.Clients().Group(topic).Send(context.Background(), "UserLeft", payload)
}
