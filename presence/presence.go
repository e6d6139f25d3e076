package presence

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrClosed is returned by every call on a Tracker after Close.
var ErrClosed = errors.New("presence: tracker closed")

// ErrNodeGone is returned by Store.Beat when the store no longer knows the
// node: another node found it dead (no beat for Options.DeadAfter) and removed
// its entries. The tracker then takes a new incarnation and joins its live
// connections again.
var ErrNodeGone = errors.New("presence: node unknown to the store (reaped as dead)")

// ErrInvalid is wrapped by the errors of calls with an empty topic, user or
// connection id.
var ErrInvalid = errors.New("presence: invalid argument")

// Member is one user present on a topic, however many connections (tabs,
// devices, nodes) they have there.
type Member struct {
	UserID string
	// Meta is the user's metadata (e.g. "displayName", "avatarUrl") from
	// their latest join. It is shared: read it, never modify it.
	Meta map[string]string
	// JoinedAt is when the user's first live connection on the topic joined.
	JoinedAt time.Time
	// LastSeenAt is the latest heartbeat or join of any of the user's
	// connections, as the store knows it: heartbeats reach the store with the
	// node's next refresh, so it may be up to Options.RefreshInterval old.
	LastSeenAt time.Time
}

// Snapshot is the members of a topic at one version.
type Snapshot struct {
	Topic string
	// Version is the topic's version: every join of a new user, change of a
	// user's metadata and leave bumps it. An Event whose Version is not above
	// the snapshot's is already reflected in it.
	Version uint64
	// Members holds one entry per user, ordered by JoinedAt then UserID.
	Members []Member
}

// EventKind says what an Event reports.
type EventKind int

const (
	// Joined reports that a user's first live connection on the topic
	// appeared somewhere in the cluster.
	Joined EventKind = iota + 1
	// Left reports that the user's last connection on the topic went.
	Left
	// Diff reports the coalesced joins and leaves of a big topic (at least
	// Options.CoalesceAbove members): apply Leaves, then Joins.
	Diff
)

func (k EventKind) String() string {
	switch k {
	case Joined:
		return "Joined"
	case Left:
		return "Left"
	case Diff:
		return "Diff"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// LeaveReason says why a user's last connection went.
type LeaveReason int

const (
	// Explicit: the connection called Leave. Announced at once.
	Explicit LeaveReason = iota + 1
	// Disconnected: the transport was lost (Disconnect) or the node shut
	// down (Close), and the user did not come back within Options.Grace.
	Disconnected
	// TimedOut: no heartbeat or join for Options.Timeout.
	TimedOut
	// NodeDied: the node holding the connection stopped beating (crash,
	// kill -9, partition) and another node removed its entries.
	NodeDied
)

func (r LeaveReason) String() string {
	switch r {
	case Explicit:
		return "Explicit"
	case Disconnected:
		return "Disconnected"
	case TimedOut:
		return "TimedOut"
	case NodeDied:
		return "NodeDied"
	}
	return fmt.Sprintf("LeaveReason(%d)", int(r))
}

// Event is one presence change, reported through Options.OnEvent on exactly
// one node of the cluster: the node whose store call made the change.
type Event struct {
	Kind  EventKind
	Topic string
	// Version is the topic's version after the change (for a Diff: after its
	// last change).
	Version uint64
	// Member is the user who joined or left (Joined, Left).
	Member Member
	// Joins and Leaves are a Diff's users; a user may be in both (left, then
	// joined again): apply Leaves first.
	Joins  []Member
	Leaves []Member
	// Reason is why a Left user left. In a Diff it is zero.
	Reason LeaveReason
}

// SortMembers orders members as Snapshot.Members is ordered: by JoinedAt,
// then UserID. Store implementations use it.
func SortMembers(ms []Member) {
	slices.SortFunc(ms, func(a, b Member) int {
		if c := a.JoinedAt.Compare(b.JoinedAt); c != 0 {
			return c
		}
		return strings.Compare(a.UserID, b.UserID)
	})
}
