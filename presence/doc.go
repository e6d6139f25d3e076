// Package presence tracks who is looking at each topic (a list, a document, a
// room) across the nodes of a cluster, one entry per user however many
// connections (tabs, devices, nodes) they have there.
//
// Each node runs one Tracker over a shared Store. Clients join a topic with a
// user id, a connection id and the user's metadata (display name, avatar...),
// beat every 30 s, and leave explicitly or by disconnecting:
//
//	tr, err := presence.NewTracker(store, presence.Options{OnEvent: publish})
//	err = tr.Join(ctx, "list-42", "alice", connID, map[string]string{"displayName": "Alice"})
//	tr.Heartbeat("list-42", connID)          // node-local, no network call
//	snap, err := tr.Snapshot(ctx, "list-42") // one store call
//	err = tr.Disconnect(ctx, connID)         // on transport loss: leave after the grace
//
// The package imports neither hub nor backplane: applications wire it to a
// hub (see the Example): a hub method joins and sends the snapshot to the
// caller, OnDisconnected calls Disconnect, and OnEvent sends each event to the
// topic's group.
//
// # Events
//
// Joined is reported when a user's first live connection on a topic appears
// anywhere in the cluster; Left when the last one goes: an explicit Leave, a
// Disconnect (after the grace), no heartbeat for the timeout, or the death of
// its node. Exactly one Joined and one Left per transition cluster-wide, never
// a Left for a user still present through another connection or node: the
// Store detects first and last connections atomically, and only the node
// whose store call made the transition reports it. Each change bumps the
// topic's Version, carried by events and snapshots, so a client drops events
// not newer than its snapshot.
//
// For topics with at least Options.CoalesceAbove members (default 100) a node
// reports joins and leaves as one Diff per topic per Options.CoalesceInterval
// (default 1 s) instead of one event each. There is no member cap.
//
// # Timing
//
// A connection with no heartbeat or join for Options.Timeout (default 45 s)
// has left. The timeout counts from the last heartbeat, is never cut short,
// and the leave follows within one tick (default 500 ms) plus a store call.
// A lost transport (Disconnect) or a graceful shutdown (Close) is announced
// only after Options.Grace (default 5 s), and not at all if the user comes
// back meanwhile, so page reloads and rolling restarts make no Left/Joined
// pairs; the grace never extends the timeout. An explicit Leave is announced
// at once.
//
// Expiry runs on one timing wheel per node, drained by the node-wide tick:
// no timer per entry, and a heartbeat does no wheel work at all.
//
// # Node death
//
// Every node beats into the store every second (Options.BeatInterval); a node
// silent for Options.DeadAfter (3 s) is dead. Every node reaps dead nodes on
// its tick: the store removes their connections (idempotently, each
// transition to exactly one reaper) and the reaper reports the leaves with
// reason NodeDied. From kill -9 to Left on the survivors takes at most
// DeadAfter plus a beat interval and a tick: under 5 s. A node id carries an
// incarnation, so a restarted node is a new node; a live node that was
// reaped (a long pause) takes a new incarnation and joins its connections
// again.
//
// # Cost
//
// A heartbeat touches node-local memory only. The tick sends a topic's new
// heartbeats in one store call per Options.RefreshInterval (10 s), none when
// nothing beat. A snapshot is one store call, however many members.
//
// # Stores
//
// MemoryStore serves one node, or several trackers in one process. Package
// presence/redisstore shares presence between nodes through Redis (one Lua
// script per operation, each topic's keys in one hash slot so Redis Cluster
// works, a sorted-set expiry index). Package presencetest holds the behaviour
// suite every Store passes, and the property test that checks trackers over a
// store against a simple model.
package presence
