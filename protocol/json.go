package protocol

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// JSON is the "json" hub protocol: one JSON object per message, each
// followed by the record separator 0x1E, carried in text frames.
//
// Values are encoded with encoding/json semantics (struct tags, Marshaler,
// []byte as base64, time.Time as RFC 3339) except that <, > and & are not
// escaped, like the official server's relaxed escaping. Property names of
// payload structs are whatever their json tags say; the hub messages' own
// properties are the fixed camelCase names of the protocol.
//
// Decoding accepts properties in any order, ignores unknown properties and
// skips messages of unknown types. Arguments, items and results are returned
// as RawValues that are sub-slices of the parsed buffer (no copy). Nesting
// deeper than 64 levels is rejected, as by System.Text.Json.
//
// The zero value is ready to use.
type JSON struct {
	// MaxMessageSize is the largest message ParseMessages accepts, in bytes,
	// not counting the separator. Zero means DefaultMaxMessageSize (32 KiB).
	MaxMessageSize int
}

var _ Codec = JSON{}

// Name returns "json".
func (JSON) Name() string { return "json" }

// TransferFormat returns Text.
func (JSON) TransferFormat() TransferFormat { return Text }

// IsVersionSupported reports whether version is between 0 and 2, the
// versions ASP.NET Core accepts for the JSON protocol.
func (JSON) IsVersionSupported(version int) bool { return version >= 0 && version <= 2 }

// AppendMessage appends m as a JSON object followed by the record separator.
// Invocation ids, stream ids, headers and Close errors are left out when
// empty; a StreamItem always has "item". RawValue and json.RawMessage
// values are written through unchanged and must hold exactly one JSON value
// (one holding a record separator byte is refused; an empty one is written
// as null). On error dst is returned unchanged.
func (JSON) AppendMessage(dst []byte, m Message) ([]byte, error) {
	start := len(dst)
	dst, err := jsonAppendMessage(dst, m)
	if err != nil {
		return dst[:start], err
	}
	return append(dst, RecordSeparator), nil
}

// ParseMessages implements Codec. A message longer than MaxMessageSize, or
// an unterminated run of more than MaxMessageSize bytes, is a
// *TooLargeError. Errors about malformed messages wrap ErrInvalidMessage and
// carry the text the official server puts in its InvalidDataException.
func (c JSON) ParseMessages(dst []Message, buf []byte) ([]Message, int, error) {
	return jsonParseMessages(dst, buf, limitOf(c.MaxMessageSize))
}

// Bind decodes raw into v with encoding/json semantics (json.Unmarshal).
// Strings, integers, float64, bool and any are decoded without reflection.
// Binding to a *RawValue copies raw. Errors are wrapped but do not wrap
// ErrInvalidMessage: a value of the wrong type is the caller's binding
// failure, not a protocol violation.
func (JSON) Bind(raw RawValue, v any) error {
	if jsonBindFast(raw, v) {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("protocol: bind: %w", err)
	}
	return nil
}

// jsonBindFast binds the simplest cases and reports whether it did. Anything
// unusual (null, out-of-range numbers, whitespace, wrong types, nil
// pointers) is left to json.Unmarshal so that results and errors stay
// exactly encoding/json's.
func jsonBindFast(raw RawValue, v any) bool {
	if len(raw) == 0 {
		return false
	}
	switch p := v.(type) {
	case *string:
		return p != nil && jsonBindString(raw, p)
	case *int:
		if n, ok := jsonFastInt(raw, strconv.IntSize); ok && p != nil {
			*p = int(n)
			return true
		}
	case *int64:
		if n, ok := jsonFastInt(raw, 64); ok && p != nil {
			*p = n
			return true
		}
	case *float64:
		if f, ok := jsonFastFloat(raw); ok && p != nil {
			*p = f
			return true
		}
	case *bool:
		if b, ok := jsonFastBool(raw); ok && p != nil {
			*p = b
			return true
		}
	case *any:
		return p != nil && jsonBindInterface(raw, p)
	case *RawValue:
		if p != nil {
			*p = append((*p)[:0], raw...)
			return true
		}
	}
	return false
}

func jsonBindString(raw []byte, p *string) bool {
	s, ok := jsonFastString(raw)
	if ok {
		*p = s
	}
	return ok
}

// jsonBindInterface binds scalars into an any as encoding/json does: bool,
// string, float64 or nil.
func jsonBindInterface(raw []byte, p *any) bool {
	if string(raw) == "null" {
		*p = nil
		return true
	}
	if b, ok := jsonFastBool(raw); ok {
		*p = b
		return true
	}
	if s, ok := jsonFastString(raw); ok {
		*p = s
		return true
	}
	if f, ok := jsonFastFloat(raw); ok {
		*p = f
		return true
	}
	return false
}

func jsonFastBool(raw []byte) (value, ok bool) {
	switch string(raw) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// jsonFastString decodes raw if it is exactly one JSON string.
func jsonFastString(raw []byte) (string, bool) {
	if raw[0] != '"' {
		return "", false
	}
	s := jsonScanner{data: raw}
	inner, escaped, err := s.scanString()
	if err != nil || s.pos != len(raw) {
		return "", false
	}
	return jsonUnquote(inner, escaped), true
}

// jsonFastInt parses raw if it is exactly one JSON integer literal that
// fits in bits.
func jsonFastInt(raw []byte, bits int) (int64, bool) {
	s := jsonScanner{data: raw}
	num, integer, err := s.scanNumber()
	if err != nil || !integer || s.pos != len(raw) {
		return 0, false
	}
	n, perr := strconv.ParseInt(string(num), 10, bits)
	return n, perr == nil
}

// jsonFastFloat parses raw if it is exactly one JSON number in range.
func jsonFastFloat(raw []byte) (float64, bool) {
	s := jsonScanner{data: raw}
	num, _, err := s.scanNumber()
	if err != nil || s.pos != len(raw) {
		return 0, false
	}
	f, perr := strconv.ParseFloat(string(num), 64)
	return f, perr == nil
}
