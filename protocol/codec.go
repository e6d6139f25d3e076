package protocol

import (
	"errors"
	"fmt"
)

// DefaultMaxMessageSize is the largest message a decoder accepts when its
// MaxMessageSize is zero: 32 KiB, ASP.NET Core's MaximumReceiveMessageSize.
const DefaultMaxMessageSize = 32 * 1024

// TransferFormat is what a transport must carry for a hub protocol.
type TransferFormat int

// Transfer formats. Text protocols (JSON) use text WebSocket frames; binary
// protocols (MessagePack) use binary frames and cannot run over Server-Sent
// Events.
const (
	Text TransferFormat = 1 + iota
	Binary
)

// String returns "Text" or "Binary", the names used in negotiate responses.
func (f TransferFormat) String() string {
	switch f {
	case Text:
		return "Text"
	case Binary:
		return "Binary"
	}
	return fmt.Sprintf("TransferFormat(%d)", int(f))
}

// Codec is a hub protocol. Its methods are safe for concurrent use.
type Codec interface {
	// Name is the protocol name of the handshake: "json" or "messagepack".
	Name() string
	// TransferFormat is Text for JSON and Binary for MessagePack.
	TransferFormat() TransferFormat
	// IsVersionSupported reports whether a handshake version is accepted
	// (versions up to 2, as on ASP.NET Core).
	IsVersionSupported(version int) bool

	// AppendMessage appends m, framed (record separator or length prefix), to
	// dst. The result is complete: it can be written on its own or after other
	// framed messages in one transport unit.
	AppendMessage(dst []byte, m Message) ([]byte, error)

	// ParseMessages parses every whole message at the start of buf, appends
	// them to dst and returns the number of bytes consumed. Bytes of an
	// incomplete last message are left unconsumed. Messages of unknown types
	// are consumed and skipped. A malformed or oversized message returns an
	// error; messages parsed before it are still returned. Decoded messages
	// may refer to buf (RawValue arguments do), so buf must not be reused
	// while they are in use.
	ParseMessages(dst []Message, buf []byte) ([]Message, int, error)

	// Bind decodes a RawValue produced by this codec into v, which must be a
	// non-nil pointer.
	Bind(raw RawValue, v any) error
}

// Errors returned by the codecs. Decoding errors wrap ErrInvalidMessage or
// ErrMessageTooLarge, so callers can tell them apart with errors.Is.
var (
	// ErrInvalidMessage is wrapped by every error about malformed input.
	ErrInvalidMessage = errors.New("protocol: invalid message")
	// ErrMessageTooLarge means a message is larger than the decoder's limit.
	ErrMessageTooLarge = errors.New("protocol: message too large")
	// ErrUnknownMessage is returned by encoders for a Message of a type they
	// do not know.
	ErrUnknownMessage = errors.New("protocol: unknown message type")
)

// TooLargeError is the error for a message over the size limit. It wraps
// ErrMessageTooLarge, and its text is the one ASP.NET Core sends.
type TooLargeError struct {
	// Limit is the decoder's MaxMessageSize in bytes.
	Limit int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("The maximum message size of %dB was exceeded. The message size can be configured in AddHubOptions.", e.Limit)
}

// Unwrap returns ErrMessageTooLarge.
func (e *TooLargeError) Unwrap() error { return ErrMessageTooLarge }

// invalidf returns an error wrapping ErrInvalidMessage whose text is the
// formatted detail, so that it can be shown to a client as the official
// server shows InvalidDataException messages.
func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

type invalidError struct{ msg string }

func (e *invalidError) Error() string { return e.msg }
func (e *invalidError) Unwrap() error { return ErrInvalidMessage }

func limitOf(max int) int {
	if max <= 0 {
		return DefaultMaxMessageSize
	}
	return max
}
