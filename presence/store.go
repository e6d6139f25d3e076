package presence

import (
	"context"
	"time"
)

// Store is the cluster-wide presence state that the trackers of all nodes
// share. Every method is one atomic step of the store (one Lua script in
// Redis, one critical section in memory), so that of several nodes changing a
// topic at once exactly one sees a user's first join or last leave: the
// Change it returns carries that transition, and only its caller reports it.
//
// The store keeps, per topic, the live connections (owner node, user, last
// seen, lease expiry), the users with their connection count, metadata and
// join time, and a version bumped by every change of membership or metadata.
// Beside the topics it keeps node liveness: when each node last beat.
//
// Times come from the callers (the trackers' clocks), never from the store,
// so the nodes' clocks must agree to well under Options.DeadAfter (NTP does).
//
// Implementations are safe for concurrent use. Package presencetest holds the
// behaviour suite every Store passes.
type Store interface {
	// Join adds connection e.ConnID of user e.UserID to e.Topic, owned by
	// e.Node, or refreshes it when present (taking it over if another node
	// owned it). It stores e.Meta as the user's metadata. The Change holds
	// the user in Joined when this was the user's first live connection.
	Join(ctx context.Context, e Entry) (Change, error)

	// Leave removes the connections connIDs of topic that node owns (a
	// connection taken over by another node since stays). Unknown ids are
	// ignored. Every user whose last connection went is in Left, with
	// reason.
	Leave(ctx context.Context, topic, node string, connIDs []string, reason LeaveReason) (Change, error)

	// Refresh records the latest heartbeats of node's connections on topic
	// (ignoring connections node does not own), then removes the topic's
	// connections, of any node, whose lease (Entry.ExpiresAt) is not after
	// now: connections orphaned by a node that lost a call. Users who left
	// that way are in Left with reason TimedOut.
	Refresh(ctx context.Context, topic, node string, refs []Refresh, now time.Time) (Change, error)

	// Snapshot returns the topic's members and version, in one step.
	Snapshot(ctx context.Context, topic string) (Snapshot, error)

	// Beat records that node is alive at now. With register, it (re)enters
	// node into the live set; without, it returns ErrNodeGone when the node
	// has been reaped, so that the node knows its entries are gone.
	Beat(ctx context.Context, node string, now time.Time, register bool) error

	// CloseNode records a graceful shutdown of node: its last beat becomes
	// lastBeat (the tracker passes a time in the future, so that the node is
	// reaped one grace period from now), and the leaves of its users carry
	// reason Disconnected instead of NodeDied.
	CloseNode(ctx context.Context, node string, lastBeat time.Time) error

	// Reap finds the nodes whose last beat is not after cutoff, removes
	// their connections from every topic and returns one Change per topic
	// where users left (reason NodeDied, or Disconnected for a closed node).
	// Reaping is idempotent and may run on every node at once: each
	// transition is returned to exactly one caller.
	Reap(ctx context.Context, cutoff time.Time) ([]Change, error)
}

// Entry is one connection of a user on a topic.
type Entry struct {
	Topic  string
	ConnID string
	UserID string
	// Node is the id (with incarnation) of the node that holds the
	// connection.
	Node string
	Meta map[string]string
	// SeenAt is the time of the join.
	SeenAt time.Time
	// ExpiresAt is the lease: the store may drop the connection after it,
	// should its node neither refresh nor remove it. Trackers set it past
	// the heartbeat timeout, which they enforce themselves.
	ExpiresAt time.Time
}

// Refresh is a connection's latest heartbeat and new lease.
type Refresh struct {
	ConnID    string
	SeenAt    time.Time
	ExpiresAt time.Time
}

// Change is the outcome of one store step on one topic.
type Change struct {
	Topic string
	// Version is the topic's version after the step.
	Version uint64
	// Members is the number of users present after the step.
	Members int
	// Joined holds the user whose first connection this step added.
	Joined []Member
	// Left holds the users whose last connection this step removed, with
	// the Member as it was (metadata, JoinedAt, LastSeenAt).
	Left   []Member
	Reason LeaveReason
}

// empty reports whether the change carries no transition.
func (c Change) empty() bool { return len(c.Joined) == 0 && len(c.Left) == 0 }
