package protocol

import (
	"fmt"
)

// MessagePack is the "messagepack" hub protocol (transfer format Binary):
// each message is a VarInt length prefix followed by one MessagePack array,
// laid out as the official clients and ASP.NET Core expect.
//
// Values are written like MessagePack-CSharp's contractless resolver writes
// them: integers in their smallest encoding, time.Time as the timestamp
// extension (type -1), []byte as bin, and structs as maps. Types without a
// fast path are encoded with github.com/vmihailenco/msgpack/v5, and Bind
// decodes with it.
//
// Struct fields follow one naming rule for both hub protocols, so that one
// Go struct reaches a client with the same keys over JSON and MessagePack:
//
//   - a json tag names the field, exactly as encoding/json uses it:
//     `json:"name"` is the key, `json:",omitempty"` leaves out an empty
//     value, `json:"-"` leaves the field out in both directions;
//   - a msgpack tag, when present, wins over the json tag (for a name only
//     MessagePack should use);
//   - an untagged exported field is keyed by its Go name ("Name"), as both
//     encoding/json and .NET (PascalCase property names) write it;
//   - unexported fields are never carried; embedded structs are inlined.
//
// One difference remains: reading JSON, encoding/json also matches a key
// to a field case-insensitively ("name" fills an untagged Name), while
// MessagePack matches keys exactly. Tag the fields of types that JavaScript
// clients send (`json:"name"`) and both protocols agree. The json tag's
// ",string" option is not applied by MessagePack.
//
// The zero value is ready to use. MessagePack is safe for concurrent use.
type MessagePack struct {
	// MaxMessageSize is the largest message body, in bytes, that
	// ParseMessages accepts. Zero means DefaultMaxMessageSize (32 KiB).
	MaxMessageSize int
}

var _ Codec = MessagePack{}

// maxVarint is the largest body length a length prefix can carry
// (2 GiB - 1), and so the largest message the protocol can frame.
const maxVarint = 0x7fffffff

// Name returns "messagepack".
func (MessagePack) Name() string { return "messagepack" }

// TransferFormat returns Binary.
func (MessagePack) TransferFormat() TransferFormat { return Binary }

// IsVersionSupported reports whether version is between 0 and 2.
func (MessagePack) IsVersionSupported(version int) bool { return version >= 0 && version <= 2 }

// AppendVarint appends n as a MessagePack frame length prefix: unsigned,
// little-endian groups of 7 bits, the high bit of each byte set when another
// byte follows (1 to 5 bytes). It panics if n is negative or above
// 2^31 - 1, the largest length a frame can carry.
func AppendVarint(dst []byte, n int) []byte {
	if n < 0 || n > maxVarint {
		panic(fmt.Sprintf("protocol: AppendVarint: length %d out of range", n))
	}
	for n >= 0x80 {
		dst = append(dst, byte(n)|0x80)
		n >>= 7
	}
	return append(dst, byte(n))
}

// varintLen returns how many bytes AppendVarint writes for n.
func varintLen(n int) int {
	size := 1
	for n >= 0x80 {
		n >>= 7
		size++
	}
	return size
}

// parseVarint reads a length prefix at the start of b. It returns the length
// and the prefix size, or size 0 when b ends inside the prefix; n is then
// the value of the bytes seen so far, a lower bound of the final length.
func parseVarint(b []byte) (n, size int, err error) {
	for i := 0; i < 5; i++ {
		if i == len(b) {
			return n, 0, nil
		}
		c := b[i]
		if i == 4 && c > 7 {
			return 0, 0, invalidf("Messages over 2GB in size are not supported.")
		}
		n |= int(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return n, i + 1, nil
		}
	}
	// Unreachable: the fifth byte either ends the prefix or is rejected.
	return 0, 0, invalidf("Messages over 2GB in size are not supported.")
}

// AppendMessage appends m to dst as one length-prefixed MessagePack frame.
// Invocation and StreamInvocation are written with 6 elements and
// Close with 3, as ASP.NET Core writes them. On error dst is returned
// unchanged.
func (MessagePack) AppendMessage(dst []byte, m Message) ([]byte, error) {
	start := len(dst)
	// Reserve one byte for the length prefix: most messages are shorter than
	// 128 bytes, and longer ones are shifted once the length is known.
	out, err := appendMsgpackBody(append(dst, 0), m)
	if err != nil {
		return dst[:start], err
	}
	bodyLen := len(out) - start - 1
	if bodyLen < 0x80 {
		out[start] = byte(bodyLen)
		return out, nil
	}
	if bodyLen > maxVarint {
		return dst[:start], fmt.Errorf("protocol: messagepack: %s message of %d bytes is over the 2 GiB frame limit", m.Type(), bodyLen)
	}
	extra := varintLen(bodyLen) - 1
	out = append(out, mpZeros[:extra]...)
	copy(out[start+1+extra:], out[start+1:start+1+bodyLen])
	AppendVarint(out[:start], bodyLen)
	return out, nil
}

var mpZeros [4]byte

// appendMsgpackBody appends the MessagePack array of m, without the prefix.
func appendMsgpackBody(b []byte, m Message) ([]byte, error) {
	var err error
	switch m := m.(type) {
	case *Invocation:
		if m == nil {
			break
		}
		return appendMsgpackInvocation(b, TypeInvocation, m.Headers, m.InvocationID, m.Target, m.Arguments, m.StreamIDs)
	case *StreamInvocation:
		if m == nil {
			break
		}
		return appendMsgpackInvocation(b, TypeStreamInvocation, m.Headers, m.InvocationID, m.Target, m.Arguments, m.StreamIDs)
	case *StreamItem:
		if m == nil {
			break
		}
		b = append(b, 0x94, byte(TypeStreamItem))
		b = appendMsgpackHeaders(b, m.Headers)
		b = appendMsgpackString(b, m.InvocationID)
		if b, err = appendMsgpackValue(b, m.Item); err != nil {
			return b, fmt.Errorf("protocol: messagepack: StreamItem item: %w", err)
		}
		return b, nil
	case *Completion:
		if m == nil {
			break
		}
		switch {
		case m.Error != "":
			b = append(b, 0x95, byte(TypeCompletion))
			b = appendMsgpackHeaders(b, m.Headers)
			b = appendMsgpackString(b, m.InvocationID)
			b = append(b, mpResultError)
			return appendMsgpackString(b, m.Error), nil
		case m.HasResult:
			b = append(b, 0x95, byte(TypeCompletion))
			b = appendMsgpackHeaders(b, m.Headers)
			b = appendMsgpackString(b, m.InvocationID)
			b = append(b, mpResultValue)
			if b, err = appendMsgpackValue(b, m.Result); err != nil {
				return b, fmt.Errorf("protocol: messagepack: Completion result: %w", err)
			}
			return b, nil
		default:
			b = append(b, 0x94, byte(TypeCompletion))
			b = appendMsgpackHeaders(b, m.Headers)
			b = appendMsgpackString(b, m.InvocationID)
			return append(b, mpResultVoid), nil
		}
	case *CancelInvocation:
		if m == nil {
			break
		}
		b = append(b, 0x93, byte(TypeCancelInvocation))
		b = appendMsgpackHeaders(b, m.Headers)
		return appendMsgpackString(b, m.InvocationID), nil
	case *Ping:
		if m == nil {
			break
		}
		return append(b, 0x91, byte(TypePing)), nil
	case *Close:
		if m == nil {
			break
		}
		b = append(b, 0x93, byte(TypeClose))
		if m.Error == "" {
			b = append(b, mpNil)
		} else {
			b = appendMsgpackString(b, m.Error)
		}
		return appendMsgpackBool(b, m.AllowReconnect), nil
	case *Ack:
		if m == nil {
			break
		}
		b = append(b, 0x92, byte(TypeAck))
		return appendMsgpackUint(b, m.SequenceID), nil
	case *Sequence:
		if m == nil {
			break
		}
		b = append(b, 0x92, byte(TypeSequence))
		return appendMsgpackUint(b, m.SequenceID), nil
	}
	return b, fmt.Errorf("%w: %T", ErrUnknownMessage, m)
}

// Completion result kinds.
const (
	mpResultError = 1
	mpResultVoid  = 2
	mpResultValue = 3
)

// appendMsgpackInvocation writes an Invocation or StreamInvocation with all
// six elements, as .NET does: an empty invocation id is written as nil (a
// non-blocking call) and missing stream ids as an empty array.
func appendMsgpackInvocation(b []byte, t MessageType, headers map[string]string, id, target string, args []any, streamIDs []string) ([]byte, error) {
	b = append(b, 0x96, byte(t))
	b = appendMsgpackHeaders(b, headers)
	if id == "" {
		b = append(b, mpNil)
	} else {
		b = appendMsgpackString(b, id)
	}
	b = appendMsgpackString(b, target)
	b = appendMsgpackArrayHeader(b, len(args))
	for i, arg := range args {
		var err error
		if b, err = appendMsgpackValue(b, arg); err != nil {
			return b, fmt.Errorf("protocol: messagepack: %s argument %d: %w", t, i, err)
		}
	}
	b = appendMsgpackArrayHeader(b, len(streamIDs))
	for _, id := range streamIDs {
		b = appendMsgpackString(b, id)
	}
	return b, nil
}

func appendMsgpackHeaders(b []byte, headers map[string]string) []byte {
	b = appendMsgpackMapHeader(b, len(headers))
	for k, v := range headers {
		b = appendMsgpackString(b, k)
		b = appendMsgpackString(b, v)
	}
	return b
}
