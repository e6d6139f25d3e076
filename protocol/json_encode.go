package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
)

// jsonAppendMessage appends the JSON object for m, without the separator.
func jsonAppendMessage(dst []byte, m Message) ([]byte, error) {
	switch m := m.(type) {
	case *Invocation:
		if m != nil {
			return jsonAppendInvocation(dst, TypeInvocation, m.Headers, m.InvocationID, m.Target, m.Arguments, m.StreamIDs)
		}
	case *StreamInvocation:
		if m != nil {
			return jsonAppendInvocation(dst, TypeStreamInvocation, m.Headers, m.InvocationID, m.Target, m.Arguments, m.StreamIDs)
		}
	case *StreamItem:
		if m != nil {
			dst = jsonAppendHeader(dst, TypeStreamItem, m.Headers, m.InvocationID)
			dst = append(dst, `,"item":`...)
			var err error
			dst, err = jsonAppendValue(dst, m.Item)
			return append(dst, '}'), err
		}
	case *Completion:
		if m != nil {
			dst = jsonAppendHeader(dst, TypeCompletion, m.Headers, m.InvocationID)
			var err error
			switch {
			case m.Error != "":
				dst = append(dst, `,"error":`...)
				dst = jsonAppendString(dst, m.Error)
			case m.HasResult:
				dst = append(dst, `,"result":`...)
				dst, err = jsonAppendValue(dst, m.Result)
			}
			return append(dst, '}'), err
		}
	case *CancelInvocation:
		if m != nil {
			dst = jsonAppendHeader(dst, TypeCancelInvocation, m.Headers, m.InvocationID)
			return append(dst, '}'), nil
		}
	case *Ping:
		return append(dst, `{"type":6}`...), nil
	case *Close:
		if m != nil {
			dst = append(dst, `{"type":7`...)
			if m.Error != "" {
				dst = append(dst, `,"error":`...)
				dst = jsonAppendString(dst, m.Error)
			}
			if m.AllowReconnect {
				dst = append(dst, `,"allowReconnect":true`...)
			}
			return append(dst, '}'), nil
		}
	case *Ack:
		if m != nil {
			dst = append(dst, `{"type":8,"sequenceId":`...)
			dst = strconv.AppendUint(dst, m.SequenceID, 10)
			return append(dst, '}'), nil
		}
	case *Sequence:
		if m != nil {
			dst = append(dst, `{"type":9,"sequenceId":`...)
			dst = strconv.AppendUint(dst, m.SequenceID, 10)
			return append(dst, '}'), nil
		}
	default:
		return dst, fmt.Errorf("%w: %T", ErrUnknownMessage, m)
	}
	return dst, fmt.Errorf("%w: nil %T", ErrUnknownMessage, m)
}

// jsonAppendHeader opens the object of a message of types 1 to 5 and writes
// its type, headers and invocation id, which is left out when empty.
func jsonAppendHeader(dst []byte, t MessageType, headers map[string]string, invocationID string) []byte {
	dst = append(dst, `{"type":`...)
	dst = strconv.AppendInt(dst, int64(t), 10)
	if len(headers) > 0 {
		dst = append(dst, `,"headers":{`...)
		if len(headers) == 1 {
			for k, v := range headers {
				dst = jsonAppendString(dst, k)
				dst = append(dst, ':')
				dst = jsonAppendString(dst, v)
			}
		} else {
			// Sorted, so that equal messages encode to equal bytes.
			for i, k := range slices.Sorted(maps.Keys(headers)) {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = jsonAppendString(dst, k)
				dst = append(dst, ':')
				dst = jsonAppendString(dst, headers[k])
			}
		}
		dst = append(dst, '}')
	}
	if invocationID != "" {
		dst = append(dst, `,"invocationId":`...)
		dst = jsonAppendString(dst, invocationID)
	}
	return dst
}

func jsonAppendInvocation(dst []byte, t MessageType, headers map[string]string, invocationID, target string, args []any, streamIDs []string) ([]byte, error) {
	dst = jsonAppendHeader(dst, t, headers, invocationID)
	dst = append(dst, `,"target":`...)
	dst = jsonAppendString(dst, target)
	dst = append(dst, `,"arguments":[`...)
	for i, a := range args {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = jsonAppendValue(dst, a); err != nil {
			return dst, err
		}
	}
	dst = append(dst, ']')
	if len(streamIDs) > 0 {
		dst = append(dst, `,"streamIds":[`...)
		for i, id := range streamIDs {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonAppendString(dst, id)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}'), nil
}

var errJSONRawSeparator = errors.New("protocol: json: raw value contains a record separator")

// jsonAppendValue appends v as encoding/json would encode it, except that
// <, > and & are not escaped (the official server uses relaxed escaping).
// Common types are written directly; RawValue and json.RawMessage are
// trusted to be JSON and written through.
func jsonAppendValue(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case RawValue:
		return jsonAppendRaw(dst, v)
	case json.RawMessage:
		return jsonAppendRaw(dst, v)
	case string:
		return jsonAppendString(dst, v), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	case int:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(dst, v, 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint8:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint16:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint64:
		return strconv.AppendUint(dst, v, 10), nil
	case float64:
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			return jsonAppendFloat(dst, v, 64), nil
		}
	case float32:
		if f := float64(v); !math.IsNaN(f) && !math.IsInf(f, 0) {
			return jsonAppendFloat(dst, f, 32), nil
		}
	case []byte:
		if v == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, v)
		return append(dst, '"'), nil
	}
	return jsonAppendMarshal(dst, v)
}

func jsonAppendRaw(dst, raw []byte) ([]byte, error) {
	if len(raw) == 0 {
		return append(dst, "null"...), nil
	}
	if bytes.IndexByte(raw, RecordSeparator) >= 0 {
		return dst, errJSONRawSeparator
	}
	return append(dst, raw...), nil
}

// jsonAppendFloat formats a finite number the way encoding/json (and
// JavaScript) does: plain decimal notation unless the magnitude is below
// 1e-6 or at least 1e21, and exponents without a leading zero.
func jsonAppendFloat(dst []byte, f float64, bits int) []byte {
	format := byte('f')
	if a := math.Abs(f); a != 0 {
		if bits == 64 && (a < 1e-6 || a >= 1e21) || bits == 32 && (float32(a) < 1e-6 || float32(a) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// "1e-07" -> "1e-7"
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// jsonMarshaler is an encoding/json Encoder with HTML escaping off, writing
// into a reusable buffer.
type jsonMarshaler struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var jsonMarshalerPool = sync.Pool{New: func() any {
	m := &jsonMarshaler{}
	m.enc = json.NewEncoder(&m.buf)
	m.enc.SetEscapeHTML(false)
	return m
}}

// jsonMarshalerKeep is the largest buffer returned to the pool, so that one
// huge value does not stay in memory for good.
const jsonMarshalerKeep = 64 << 10

func jsonAppendMarshal(dst []byte, v any) ([]byte, error) {
	m := jsonMarshalerPool.Get().(*jsonMarshaler)
	m.buf.Reset()
	err := m.enc.Encode(v)
	if err == nil {
		dst = append(dst, bytes.TrimSuffix(m.buf.Bytes(), []byte{'\n'})...)
	} else {
		err = fmt.Errorf("protocol: json: %w", err)
	}
	if m.buf.Cap() <= jsonMarshalerKeep {
		jsonMarshalerPool.Put(m)
	}
	return dst, err
}

const jsonHexDigits = "0123456789abcdef"

// jsonAppendString appends s as a JSON string. It escapes what JSON requires
// (quote, backslash, control characters) plus U+2028 and U+2029, which
// JavaScript source cannot hold; <, > and & are left alone. Invalid UTF-8
// becomes U+FFFD, as with encoding/json.
func jsonAppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', jsonHexDigits[c>>4], jsonHexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', jsonHexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
