package server

import (
	"context"
	"time"

	"github.com/listhub/listhub/examples/shoppinglist/internal/store"
)

// dispatchBatch is how many outbox events one round reads.
const dispatchBatch = 500

// claimTimeout is how long another node's claim on an event holds before
// this node may take it over (the claimer died between claim and publish).
const claimTimeout = 5 * time.Second

// dispatch publishes the outbox: committed list events, in seq order per
// list, each claimed (nodes sharing the database publish each list's events
// one at a time), sent to the list's group and then marked sent. It runs until ctx
// ends, waking on every commit and once a second, so events left by a
// crash between commit and publish go out at the next start. A failed
// publish is retried in the next round; the list's later events wait for
// it, so nothing is reordered.
func (s *Server) dispatch(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		for s.dispatchRound(ctx) {
		}
		select {
		case <-ctx.Done():
			return
		case <-s.store.Changed():
		case <-tick.C:
		}
	}
}

// dispatchRound publishes one batch and reports whether there may be more.
// Per list it claims the lowest unsent event, which keeps every other node
// off the list's later events too, publishes the run in order and marks
// it sent with one write.
func (s *Server) dispatchRound(ctx context.Context) bool {
	events, err := s.store.Unsent(ctx, dispatchBatch)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("outbox: reading", "err", err)
		}
		return false
	}
	complete := true
	for run := range runsByList(events) {
		if !s.dispatchRun(ctx, run) {
			complete = false
		}
	}
	return len(events) == dispatchBatch && complete
}

// runsByList yields the consecutive events of each list.
func runsByList(events []store.Event) func(func([]store.Event) bool) {
	return func(yield func([]store.Event) bool) {
		for i := 0; i < len(events); {
			j := i + 1
			for j < len(events) && events[j].ListID == events[i].ListID {
				j++
			}
			if !yield(events[i:j]) {
				return
			}
			i = j
		}
	}
}

// dispatchRun publishes one list's unsent events, in seq order, and reports
// whether all of them went out.
func (s *Server) dispatchRun(ctx context.Context, run []store.Event) bool {
	first := run[0]
	claimed, err := s.store.Claim(ctx, first.ListID, first.Seq, s.nodeID, time.Now().Add(-claimTimeout))
	if err != nil || !claimed {
		// Another node is publishing this list (or the database failed).
		if err != nil && ctx.Err() == nil {
			s.log.Error("outbox: claiming", "list", first.ListID, "seq", first.Seq, "err", err)
		}
		return false
	}
	sent := int64(0)
	for _, e := range run {
		if err := s.publish(ctx, e); err != nil {
			if ctx.Err() == nil {
				s.log.Error("outbox: publishing", "list", e.ListID, "seq", e.Seq, "err", err)
			}
			break
		}
		sent = e.Seq
		s.metrics.eventsPublished.WithLabelValues(e.Type).Inc()
	}
	if sent == 0 {
		return false
	}
	if err := s.store.MarkSent(ctx, first.ListID, sent); err != nil {
		// Published but not marked: sent again later, which clients
		// tolerate (they apply each seq once).
		s.log.Error("outbox: marking sent", "list", first.ListID, "seq", sent, "err", err)
		return false
	}
	return sent == run[len(run)-1].Seq
}

// publish sends one event to the list's group; then the connections of the
// users it revokes leave the group on every node and receive AccessRevoked.
func (s *Server) publish(ctx context.Context, e store.Event) error {
	payload, err := decodePayload(e.Payload)
	if err != nil {
		return err
	}
	if err := s.hub.Clients().Group(groupOf(e.ListID)).Send(ctx, e.Type, payload); err != nil {
		return err
	}
	reason := "You were removed from this list."
	if e.Type == "ListDeleted" {
		reason = "The list was deleted."
	}
	for _, user := range e.Revoke {
		if err := s.hub.Groups().RemoveUser(ctx, user, groupOf(e.ListID)); err != nil {
			return err
		}
		s.leavePresence(ctx, user, e.ListID)
		if err := s.hub.Clients().User(user).Send(ctx, "AccessRevoked", accessRevoked(e.ListID, reason)); err != nil {
			return err
		}
	}
	return nil
}

// leavePresence removes a revoked user's connections of this node from the
// list's presence.
func (s *Server) leavePresence(ctx context.Context, userID, listID string) {
	s.connsMu.Lock()
	var conns []string
	for conn, user := range s.conns {
		if user == userID {
			conns = append(conns, conn)
		}
	}
	s.connsMu.Unlock()
	for _, conn := range conns {
		_ = s.presence.Leave(ctx, groupOf(listID), conn)
	}
}
