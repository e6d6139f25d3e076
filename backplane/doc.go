// Package backplane is how the nodes of a listhub cluster reach each other.
//
// A hub node serves only its own connections. When a message is sent to a
// group, a user or all clients, some recipients may be connected to other
// nodes; the node publishes the encoded message on the backplane, and every
// node that subscribed to the message's channel receives it and writes it to
// its local connections. A Backplane is that exchange: Publish, interest-based
// Subscribe and Unsubscribe, and Close.
//
// # Channels
//
// Channel names are opaque strings. Choosing them is the caller's business:
// the hub uses one channel per group, per user, per connection and one for
// all clients, and subscribes a node only where it has local members. A node
// subscribes a channel at most once (Subscribe again returns
// ErrAlreadySubscribed), so the caller reference-counts its local interest and
// subscribes on the first member, unsubscribes after the last.
//
// # Nodes
//
// Every node has a NodeID that names one incarnation: a restarted node is a
// new node. LiveNodes lists the nodes the backplane knows to be alive, and
// WatchNodes reports each node that is gone, closed or dead by the
// backplane's liveness rule, exactly once. The hub gives every node an inbox
// channel derived from its NodeID for commands between nodes and their
// answers, and fails a wait on a node at once when that node is reported
// gone. Memory knows of a closed node at once; MemoryBus.Kill lets a test
// make a node die without a graceful close.
//
// # Ordering
//
// Every implementation delivers the messages of one publisher on one channel
// in the order they were published. Messages on different channels carry no
// order relative to each other. Memory promises more: the messages of a
// channel are delivered in one global order, seen identically by every node.
// After Unsubscribe returns, the channel's Receiver is not called again.
//
// # Payloads
//
// Payloads are shared, not copied: the publisher hands over a buffer it no
// longer touches, and every receiver of a message may get the same slice, to
// read and keep but never to modify. A broadcast is encoded once and the bytes
// travel unchanged to every node.
//
// # Implementations
//
// Memory is the default: NewMemory returns a node on its own private bus, the
// backplane of a single server, where every published message comes straight
// back to the publishing node. MemoryBus joins several in-process nodes, which
// is how tests run a cluster without a network. Memory delivers synchronously
// in the publisher's goroutine, without allocating.
//
// Package backplanetest holds the behaviour suite that every implementation
// passes.
package backplane
