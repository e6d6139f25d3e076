package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

// Bind decodes raw, which must hold exactly one MessagePack object, into v
// with the semantics of msgpack.Unmarshal from vmihailenco/msgpack/v5,
// except that struct fields are named as MessagePack describes (json tags
// honoured, keys matched exactly): maps bind to structs, the timestamp
// extension to
// time.Time (in the local time zone), bin to []byte. Into an *any,
// integers keep the Go type of their wire format (int8 for a fixint,
// uint64 for uint64, ...) and maps become map[string]any. Integers that do
// not fit an *int, *int64 or *uint64 target are an error rather than
// wrapped. Common targets are decoded without reflection.
func (MessagePack) Bind(raw RawValue, v any) error {
	// Validating first bounds every count the decoder may allocate by
	// to the bytes actually present, and the nesting depth.
	end, err := mpSkip(raw, 0, 0)
	if err == nil && end != len(raw) {
		err = invalidf("the value is followed by %d more bytes", len(raw)-end)
	}
	if err != nil {
		return fmt.Errorf("protocol: bind: %w", err)
	}
	if done, err := mpBindFast(raw, v); done {
		if err != nil {
			return fmt.Errorf("protocol: bind: %w", err)
		}
		return nil
	}
	d := mpDecoderPool.Get().(*mpDecoder)
	d.r.Reset(raw)
	err = d.dec.Decode(v)
	d.r.Reset(nil)
	mpDecoderPool.Put(d)
	if err != nil {
		return fmt.Errorf("protocol: bind: %w", err)
	}
	return nil
}

type mpDecoder struct {
	r   bytes.Reader
	dec *msgpack.Decoder
}

var mpDecoderPool = sync.Pool{New: func() any {
	d := &mpDecoder{}
	// A bytes.Reader is an io.ByteScanner, so the decoder reads it directly
	// without buffering, and no further than the one object.
	d.dec = msgpack.NewDecoder(&d.r)
	d.dec.SetCustomStructTag("json")
	return d
}}

var errMsgpackOverflow = errors.New("the integer does not fit the target type")

// mpBindFast binds raw into the common target types. done is false when it
// left the work to the general decoder (other types, or wire formats that
// need its conversions).
func mpBindFast(raw RawValue, v any) (done bool, err error) {
	switch p := v.(type) {
	case *string:
		if p == nil {
			return false, nil
		}
		if s, _, ok := mpStringBytes(raw); ok {
			*p = string(s)
			return true, nil
		}
	case *int64:
		if p == nil {
			return false, nil
		}
		if u, neg, _, ok := mpInteger(raw); ok {
			if !neg && u > math.MaxInt64 {
				return true, errMsgpackOverflow
			}
			*p = int64(u)
			return true, nil
		}
	case *int:
		if p == nil {
			return false, nil
		}
		if u, neg, _, ok := mpInteger(raw); ok {
			if (!neg && u > math.MaxInt) || (neg && int64(u) < math.MinInt) {
				return true, errMsgpackOverflow
			}
			*p = int(int64(u))
			return true, nil
		}
	case *uint64:
		if p == nil {
			return false, nil
		}
		if u, neg, _, ok := mpInteger(raw); ok {
			if neg {
				return true, errMsgpackOverflow
			}
			*p = u
			return true, nil
		}
	case *bool:
		if p == nil {
			return false, nil
		}
		switch raw[0] {
		case mpFalse, mpTrue:
			*p = raw[0] == mpTrue
			return true, nil
		}
	case *float64:
		if p == nil {
			return false, nil
		}
		switch raw[0] {
		case mpFloat64:
			*p = math.Float64frombits(binary.BigEndian.Uint64(raw[1:]))
			return true, nil
		case mpFloat32:
			*p = float64(math.Float32frombits(binary.BigEndian.Uint32(raw[1:])))
			return true, nil
		}
		if u, neg, _, ok := mpInteger(raw); ok {
			if neg {
				*p = float64(int64(u))
			} else {
				*p = float64(u)
			}
			return true, nil
		}
	case *[]byte:
		if p == nil {
			return false, nil
		}
		if raw[0] == mpNil {
			*p = nil
			return true, nil
		}
		if b, ok := mpBinBytes(raw); ok {
			// Copy: raw aliases the receive buffer.
			*p = append(make([]byte, 0, len(b)), b...)
			return true, nil
		}
	case *any:
		// The general decoder decodes into a non-nil *p's own pointer;
		// only an empty interface is filled here.
		if p == nil || *p != nil {
			return false, nil
		}
		if x, ok := mpScalarInterface(raw); ok {
			*p = x
			return true, nil
		}
	}
	return false, nil
}

// mpBinBytes returns the payload of the bin object raw, which mpSkip has
// already checked.
func mpBinBytes(raw []byte) ([]byte, bool) {
	switch raw[0] {
	case mpBin8:
		return raw[2:], true
	case mpBin16:
		return raw[3:], true
	case mpBin32:
		return raw[5:], true
	}
	return nil, false
}

// mpScalarInterface decodes a scalar into the value vmihailenco's
// DecodeInterface gives for it; ok is false for other objects.
func mpScalarInterface(raw []byte) (any, bool) {
	c := raw[0]
	switch {
	case c <= 0x7f || c >= 0xe0:
		return int8(c), true
	case c&0xe0 == 0xa0 || c == mpStr8 || c == mpStr16 || c == mpStr32:
		s, _, _ := mpStringBytes(raw)
		return string(s), true
	}
	switch c {
	case mpNil:
		return nil, true
	case mpFalse, mpTrue:
		return c == mpTrue, true
	case mpFloat64:
		return math.Float64frombits(binary.BigEndian.Uint64(raw[1:])), true
	case mpFloat32:
		return math.Float32frombits(binary.BigEndian.Uint32(raw[1:])), true
	case mpUint8:
		return raw[1], true
	case mpUint16:
		return binary.BigEndian.Uint16(raw[1:]), true
	case mpUint32:
		return binary.BigEndian.Uint32(raw[1:]), true
	case mpUint64:
		return binary.BigEndian.Uint64(raw[1:]), true
	case mpInt8:
		return int8(raw[1]), true
	case mpInt16:
		return int16(binary.BigEndian.Uint16(raw[1:])), true
	case mpInt32:
		return int32(binary.BigEndian.Uint32(raw[1:])), true
	case mpInt64:
		return int64(binary.BigEndian.Uint64(raw[1:])), true
	}
	return nil, false
}
