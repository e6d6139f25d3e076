package protocol

import "fmt"

// MessageType is the numeric "type" of a hub message.
type MessageType int

// The hub message types, numbered as on the wire.
const (
	TypeInvocation       MessageType = 1
	TypeStreamItem       MessageType = 2
	TypeCompletion       MessageType = 3
	TypeStreamInvocation MessageType = 4
	TypeCancelInvocation MessageType = 5
	TypePing             MessageType = 6
	TypeClose            MessageType = 7
	TypeAck              MessageType = 8
	TypeSequence         MessageType = 9
)

// String returns the message type's name, e.g. "Invocation".
func (t MessageType) String() string {
	switch t {
	case TypeInvocation:
		return "Invocation"
	case TypeStreamItem:
		return "StreamItem"
	case TypeCompletion:
		return "Completion"
	case TypeStreamInvocation:
		return "StreamInvocation"
	case TypeCancelInvocation:
		return "CancelInvocation"
	case TypePing:
		return "Ping"
	case TypeClose:
		return "Close"
	case TypeAck:
		return "Ack"
	case TypeSequence:
		return "Sequence"
	}
	return fmt.Sprintf("MessageType(%d)", int(t))
}

// Trackable reports whether messages of this type are numbered, buffered and
// acknowledged under stateful reconnect (types 1 to 5).
func (t MessageType) Trackable() bool { return t >= TypeInvocation && t <= TypeCancelInvocation }

// Message is one hub message. The concrete types are the pointer types
// *Invocation, *StreamItem, *Completion, *StreamInvocation,
// *CancelInvocation, *Ping, *Close, *Ack and *Sequence.
type Message interface {
	// Type returns the message's wire type number.
	Type() MessageType
}

// RawValue is one argument, stream item or result as it arrived: the
// undecoded bytes of that single value in the encoding of the codec that
// parsed it (JSON text, or one MessagePack object). Bind it to a Go value with
// that codec's Bind. A RawValue passed to an encoder of the same codec is
// written through unchanged.
type RawValue []byte

// Invocation (type 1) calls a method on the other side. An empty InvocationID
// makes it non-blocking: the callee sends nothing back, and encoders omit the
// id (JSON) or write nil (MessagePack).
type Invocation struct {
	Headers      map[string]string
	InvocationID string
	Target       string
	// Arguments are Go values to encode, or RawValues when decoded.
	Arguments []any
	// StreamIDs name the upload streams the caller will feed with StreamItem
	// and Completion messages.
	StreamIDs []string
}

// StreamInvocation (type 4) starts a server-to-client stream; InvocationID is
// required. It has the fields of Invocation, so one converts to the other.
type StreamInvocation Invocation

// StreamItem (type 2) carries one item of a stream. Item may be nil; the
// JSON encoder still writes "item":null because clients require the key.
type StreamItem struct {
	Headers      map[string]string
	InvocationID string
	// Item is a Go value to encode, or a RawValue when decoded.
	Item any
}

// Completion (type 3) ends an invocation or a stream. It carries an Error
// (non-empty), a Result (HasResult, Result may be nil), or neither (void).
type Completion struct {
	Headers      map[string]string
	InvocationID string
	Error        string
	// HasResult distinguishes a nil result from a void completion.
	HasResult bool
	// Result is a Go value to encode, or a RawValue when decoded.
	Result any
}

// CancelInvocation (type 5) asks the callee to stop a stream or invocation.
type CancelInvocation struct {
	Headers      map[string]string
	InvocationID string
}

// Ping (type 6) keeps the connection alive. It has no fields.
type Ping struct{}

// Close (type 7) ends the connection, optionally with an error text, and tells
// the client whether it may reconnect.
type Close struct {
	Error          string
	AllowReconnect bool
}

// Ack (type 8) acknowledges every trackable message up to SequenceID
// (stateful reconnect).
type Ack struct {
	SequenceID uint64
}

// Sequence (type 9) announces the sequence id of the next trackable message
// after a stateful reconnect.
type Sequence struct {
	SequenceID uint64
}

// Type implements Message.
func (*Invocation) Type() MessageType { return TypeInvocation }

// Type implements Message.
func (*StreamItem) Type() MessageType { return TypeStreamItem }

// Type implements Message.
func (*Completion) Type() MessageType { return TypeCompletion }

// Type implements Message.
func (*StreamInvocation) Type() MessageType { return TypeStreamInvocation }

// Type implements Message.
func (*CancelInvocation) Type() MessageType { return TypeCancelInvocation }

// Type implements Message.
func (*Ping) Type() MessageType { return TypePing }

// Type implements Message.
func (*Close) Type() MessageType { return TypeClose }

// Type implements Message.
func (*Ack) Type() MessageType { return TypeAck }

// Type implements Message.
func (*Sequence) Type() MessageType { return TypeSequence }
