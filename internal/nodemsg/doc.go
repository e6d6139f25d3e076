// Package nodemsg is the versioned payload that hub nodes exchange over a
// backplane: messages for clients, commands between nodes and their
// answers. It is internal: only the hub writes and reads it, and all nodes
// of a deployment speak it.
//
// # Format
//
// Every payload starts with a version byte, a kind byte and the id of the
// node that published it, so a node can drop its own copies and a rolling
// upgrade can tell old payloads from new:
//
//	payload  = version(1) kind(1) uvarint(len) origin body
//	message  ('M'): uvarint(n) n×(uvarint(len) excludedConnID) uvarint(k) k×(codecIndex(1) uint32be(len) frame)
//	command  ('C'): uvarint(requestID) op(1) uvarint(len) target uvarint(len) group uvarint(k) k×(codecIndex(1) uint32be(len) frame)
//	reply    ('R'): uvarint(requestID) status(1) uvarint(len) text codecIndex(1) hasResult(1) uvarint(len) result
//
// Version 1 is the only version. Versions 0x80 and above are reserved for
// foreign formats, so that a later mode compatible with ASP.NET Core's
// Redis backplane (whose payloads are MessagePack arrays, 0x90–0x9f) can sit
// beside this one. Parse rejects anything else with ErrVersion and any
// malformed payload with ErrMalformed; it never panics and allocates nothing
// for a message.
package nodemsg
