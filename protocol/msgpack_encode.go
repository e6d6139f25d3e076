package protocol

import (
	"encoding/binary"
	"math"
	"sync"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// MessagePack format codes used by the encoder and the parser.
const (
	mpNil      = 0xc0
	mpFalse    = 0xc2
	mpTrue     = 0xc3
	mpBin8     = 0xc4
	mpBin16    = 0xc5
	mpBin32    = 0xc6
	mpExt8     = 0xc7
	mpExt16    = 0xc8
	mpExt32    = 0xc9
	mpFloat32  = 0xca
	mpFloat64  = 0xcb
	mpUint8    = 0xcc
	mpUint16   = 0xcd
	mpUint32   = 0xce
	mpUint64   = 0xcf
	mpInt8     = 0xd0
	mpInt16    = 0xd1
	mpInt32    = 0xd2
	mpInt64    = 0xd3
	mpFixExt1  = 0xd4
	mpFixExt4  = 0xd6
	mpFixExt8  = 0xd7
	mpFixExt16 = 0xd8
	mpStr8     = 0xd9
	mpStr16    = 0xda
	mpStr32    = 0xdb
	mpArray16  = 0xdc
	mpArray32  = 0xdd
	mpMap16    = 0xde
	mpMap32    = 0xdf

	// mpTimestampExt is the extension type of the MessagePack timestamp.
	mpTimestampExt = 0xff // int8(-1)
)

func appendMsgpackArrayHeader(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x90|byte(n))
	case n <= math.MaxUint16:
		return append(b, mpArray16, byte(n>>8), byte(n))
	}
	return append(b, mpArray32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

func appendMsgpackMapHeader(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x80|byte(n))
	case n <= math.MaxUint16:
		return append(b, mpMap16, byte(n>>8), byte(n))
	}
	return append(b, mpMap32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// appendMsgpackString writes s in the shortest str format (str8 from 32
// bytes on, as MessagePack-CSharp and @msgpack/msgpack do).
func appendMsgpackString(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= math.MaxUint8:
		b = append(b, mpStr8, byte(n))
	case n <= math.MaxUint16:
		b = append(b, mpStr16, byte(n>>8), byte(n))
	default:
		b = append(b, mpStr32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, s...)
}

func appendMsgpackBin(b []byte, p []byte) []byte {
	n := len(p)
	switch {
	case n <= math.MaxUint8:
		b = append(b, mpBin8, byte(n))
	case n <= math.MaxUint16:
		b = append(b, mpBin16, byte(n>>8), byte(n))
	default:
		b = append(b, mpBin32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, p...)
}

func appendMsgpackBool(b []byte, v bool) []byte {
	if v {
		return append(b, mpTrue)
	}
	return append(b, mpFalse)
}

// appendMsgpackUint writes n in its smallest unsigned encoding.
func appendMsgpackUint(b []byte, n uint64) []byte {
	switch {
	case n <= 0x7f:
		return append(b, byte(n))
	case n <= math.MaxUint8:
		return append(b, mpUint8, byte(n))
	case n <= math.MaxUint16:
		return append(b, mpUint16, byte(n>>8), byte(n))
	case n <= math.MaxUint32:
		return append(b, mpUint32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	b = append(b, mpUint64)
	return binary.BigEndian.AppendUint64(b, n)
}

// appendMsgpackInt writes n in its smallest encoding: non-negative values as
// unsigned, negative values in the smallest signed format.
func appendMsgpackInt(b []byte, n int64) []byte {
	if n >= 0 {
		return appendMsgpackUint(b, uint64(n))
	}
	switch {
	case n >= -32:
		return append(b, byte(n))
	case n >= math.MinInt8:
		return append(b, mpInt8, byte(n))
	case n >= math.MinInt16:
		return append(b, mpInt16, byte(n>>8), byte(n))
	case n >= math.MinInt32:
		return append(b, mpInt32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	b = append(b, mpInt64)
	return binary.BigEndian.AppendUint64(b, uint64(n))
}

// appendMsgpackTime writes t as the timestamp extension (type -1) in the
// 32-, 64- or 96-bit form, choosing as @msgpack/msgpack and
// vmihailenco/msgpack do.
func appendMsgpackTime(b []byte, t time.Time) []byte {
	sec := t.Unix()
	nsec := uint64(t.Nanosecond())
	if sec >= 0 && sec>>34 == 0 {
		if nsec == 0 && sec <= math.MaxUint32 {
			b = append(b, mpFixExt4, mpTimestampExt)
			return binary.BigEndian.AppendUint32(b, uint32(sec))
		}
		b = append(b, mpFixExt8, mpTimestampExt)
		return binary.BigEndian.AppendUint64(b, nsec<<34|uint64(sec))
	}
	b = append(b, mpExt8, 12, mpTimestampExt)
	b = binary.BigEndian.AppendUint32(b, uint32(nsec))
	return binary.BigEndian.AppendUint64(b, uint64(sec))
}

// appendMsgpackValue writes one argument, item or result. RawValues are
// copied verbatim after checking that they hold exactly one MessagePack
// object, so a foreign RawValue cannot corrupt the frame.
func appendMsgpackValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, mpNil), nil
	case RawValue:
		end, err := mpSkip(v, 0, 0)
		if err == nil && end != len(v) {
			err = invalidf("the RawValue holds more than one MessagePack object")
		}
		if err != nil {
			return b, err
		}
		return append(b, v...), nil
	case string:
		return appendMsgpackString(b, v), nil
	case bool:
		return appendMsgpackBool(b, v), nil
	case int:
		return appendMsgpackInt(b, int64(v)), nil
	case int8:
		return appendMsgpackInt(b, int64(v)), nil
	case int16:
		return appendMsgpackInt(b, int64(v)), nil
	case int32:
		return appendMsgpackInt(b, int64(v)), nil
	case int64:
		return appendMsgpackInt(b, v), nil
	case uint:
		return appendMsgpackUint(b, uint64(v)), nil
	case uint8:
		return appendMsgpackUint(b, uint64(v)), nil
	case uint16:
		return appendMsgpackUint(b, uint64(v)), nil
	case uint32:
		return appendMsgpackUint(b, uint64(v)), nil
	case uint64:
		return appendMsgpackUint(b, v), nil
	case float64:
		b = append(b, mpFloat64)
		return binary.BigEndian.AppendUint64(b, math.Float64bits(v)), nil
	case float32:
		b = append(b, mpFloat32)
		return binary.BigEndian.AppendUint32(b, math.Float32bits(v)), nil
	case []byte:
		if v == nil {
			return append(b, mpNil), nil
		}
		return appendMsgpackBin(b, v), nil
	case time.Time:
		return appendMsgpackTime(b, v), nil
	}
	return appendMsgpackReflect(b, v)
}

// mpSink lets a msgpack.Encoder append straight to a caller's buffer.
type mpSink struct{ b []byte }

func (s *mpSink) Write(p []byte) (int, error) {
	s.b = append(s.b, p...)
	return len(p), nil
}

func (s *mpSink) WriteByte(c byte) error {
	s.b = append(s.b, c)
	return nil
}

type mpEncoder struct {
	sink mpSink
	enc  *msgpack.Encoder
}

var mpEncoderPool = sync.Pool{New: func() any {
	e := &mpEncoder{}
	e.enc = msgpack.NewEncoder(&e.sink)
	// Smallest integer encodings, like .NET and JavaScript, and struct
	// fields named by the one naming rule of both protocols (see
	// MessagePack): a msgpack tag, else the json tag, else the field name.
	e.enc.UseCompactInts(true)
	e.enc.SetCustomStructTag("json")
	return e
}}

// appendMsgpackReflect encodes v with vmihailenco/msgpack.
func appendMsgpackReflect(b []byte, v any) ([]byte, error) {
	e := mpEncoderPool.Get().(*mpEncoder)
	e.sink.b = b
	err := e.enc.Encode(v)
	b = e.sink.b
	e.sink.b = nil
	mpEncoderPool.Put(e)
	return b, err
}
