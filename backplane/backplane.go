package backplane

import (
	"context"
	"errors"
)

// ErrClosed is returned by every call on a Backplane after Close.
var ErrClosed = errors.New("backplane: closed")

// ErrAlreadySubscribed is returned by Subscribe when this node already
// subscribed the channel. The backplane keeps at most one subscription per
// channel per node; reference counting local interest is the caller's job.
var ErrAlreadySubscribed = errors.New("backplane: channel already subscribed")

// Receiver gets every message published to a channel that the node
// subscribed to.
//
// Per channel, messages arrive in the order they were published by one
// publisher. Implementations may promise more: Memory delivers each channel's
// messages in one global order that every node sees identically.
//
// A Receiver is called from the backplane's delivery goroutine or from the
// publisher's goroutine, never concurrently for the same channel on the same
// node. It must not block and must not call back into the Backplane (Memory
// holds the channel's lock while it runs, so a call back could deadlock); hand
// the message to a queue instead.
//
// payload is read-only and may be shared with the other receivers of the same
// message. The receiver may keep it after returning.
type Receiver func(channel string, payload []byte)

// Backplane connects the nodes of a cluster: a message published on one node
// reaches every node that subscribed to its channel. Implementations are safe
// for concurrent use.
//
// Channel names are opaque to the backplane; choosing them (one per group,
// per user, ...) is the caller's business.
type Backplane interface {
	// Publish sends payload to every node subscribed to channel, this node
	// included. The backplane must not modify payload and may keep it:
	// callers pass a buffer they no longer touch.
	Publish(ctx context.Context, channel string, payload []byte) error

	// Subscribe makes this node receive channel's messages through r. A
	// channel is subscribed at most once per node: the caller keeps its own
	// reference counts, and Subscribe of a channel already subscribed on this
	// node returns ErrAlreadySubscribed. When Subscribe fails the channel is
	// left unsubscribed.
	Subscribe(ctx context.Context, channel string, r Receiver) error

	// Unsubscribe stops delivery of channel to this node; after it returns,
	// the channel's Receiver is not called again. Unsubscribing a channel that
	// is not subscribed is a no-op.
	Unsubscribe(ctx context.Context, channel string) error

	// NodeID is this node's id: unique in the cluster, and new for every
	// incarnation (a restarted node is a new node).
	NodeID() NodeID

	// LiveNodes returns the nodes the backplane currently knows to be alive,
	// this one included, in no particular order. A node that died may still
	// be listed until the backplane's liveness rule declares it gone.
	LiveNodes(ctx context.Context) ([]NodeID, error)

	// WatchNodes calls fn once for each node that is gone (closed, or dead
	// by the backplane's liveness rule) from now on, until stop is called.
	// Calls are serialized and never made while a backplane lock is held;
	// fn must not block long. A call already under way when stop is called
	// may finish after stop returns; no other call is made after that. The
	// watch also ends when this node is closed. This node itself is never
	// reported to its own watchers.
	WatchNodes(fn func(gone NodeID)) (stop func())

	// Close releases the node and all its subscriptions; after it returns no
	// Receiver of this node is called again, and later calls return
	// ErrClosed. The other nodes learn that this node is gone. Close is
	// idempotent.
	Close() error
}

// NodeID names one incarnation of a node: unique in the cluster, and a
// restarted node gets a new one (e.g. "<name>-<random or start-time
// incarnation>"). It is a valid channel-name fragment: no spaces, no '{' or
// '}'. The hub addresses a node through one channel per node (its inbox,
// whose name it derives from the NodeID); to the backplane that is a channel
// like any other.
type NodeID string

// ValidNodeID reports whether id can be a NodeID: not empty, at most 200
// bytes, without spaces, control characters, '{' or '}'.
func ValidNodeID(id NodeID) bool {
	if id == "" || len(id) > 200 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c == 0x7f || c == '{' || c == '}' {
			return false
		}
	}
	return true
}
