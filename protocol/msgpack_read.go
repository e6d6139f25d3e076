package protocol

import (
	"encoding/binary"
	"math"
)

// mpReader reads the envelope of one message body. Its methods name the
// field they read in their errors, as .NET's InvalidDataException texts do.
type mpReader struct {
	b   []byte
	off int
}

// fail describes why reading field as want failed at r.off.
func (r *mpReader) fail(field, want string) error {
	if r.off >= len(r.b) {
		return invalidf("Reading '%s' as %s failed: the message ends early.", field, want)
	}
	found := mpKindName(r.b[r.off])
	if _, err := mpSkip(r.b, r.off, 0); err == errMsgpackTruncated {
		found += " cut short by the end of the message"
	}
	return invalidf("Reading '%s' as %s failed: found %s.", field, want, found)
}

// readArrayHeader reads an array header. The count is checked against the
// bytes left, so callers may allocate by it.
func (r *mpReader) readArrayHeader(field string) (int, error) {
	n, size, ok := mpContainerHeader(r.b[r.off:], 0x90, mpArray16, mpArray32)
	if !ok {
		return 0, r.fail(field, "Array")
	}
	if n > len(r.b)-r.off-size {
		return 0, invalidf("Reading '%s' failed: the array has %d elements but the message ends early.", field, n)
	}
	r.off += size
	return n, nil
}

// readMapHeader reads a map header, or nil as an empty map. The count is
// checked against the bytes left (two per entry at least).
func (r *mpReader) readMapHeader(field string) (int, error) {
	if r.off < len(r.b) && r.b[r.off] == mpNil {
		r.off++
		return 0, nil
	}
	n, size, ok := mpContainerHeader(r.b[r.off:], 0x80, mpMap16, mpMap32)
	if !ok {
		return 0, r.fail(field, "Map")
	}
	if n > (len(r.b)-r.off-size)/2 {
		return 0, invalidf("Reading '%s' failed: the map has %d entries but the message ends early.", field, n)
	}
	r.off += size
	return n, nil
}

// mpContainerHeader reads the element count of an array or map header with
// the given fix, 16- and 32-bit codes.
func mpContainerHeader(b []byte, fix, code16, code32 byte) (n, size int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	switch c := b[0]; {
	case c&0xf0 == fix:
		return int(c & 0x0f), 1, true
	case c == code16 && len(b) >= 3:
		return int(binary.BigEndian.Uint16(b[1:])), 3, true
	case c == code32 && len(b) >= 5:
		return mpLen32(b[1:]), 5, true
	}
	return 0, 0, false
}

// readString reads a string, or nil (isNil, and s == "").
func (r *mpReader) readString(field string) (s string, isNil bool, err error) {
	b := r.b[r.off:]
	if len(b) > 0 && b[0] == mpNil {
		r.off++
		return "", true, nil
	}
	p, size, ok := mpStringBytes(b)
	if !ok {
		return "", false, r.fail(field, "String")
	}
	r.off += size
	return string(p), false, nil
}

// mpStringBytes returns the bytes of the str object at the start of b and
// the object's size; ok is false if b does not start with a whole str.
func mpStringBytes(b []byte) (p []byte, size int, ok bool) {
	if len(b) == 0 {
		return nil, 0, false
	}
	var hdr, n int
	switch c := b[0]; {
	case c&0xe0 == 0xa0:
		hdr, n = 1, int(c&0x1f)
	case c == mpStr8 && len(b) >= 2:
		hdr, n = 2, int(b[1])
	case c == mpStr16 && len(b) >= 3:
		hdr, n = 3, int(binary.BigEndian.Uint16(b[1:]))
	case c == mpStr32 && len(b) >= 5:
		hdr, n = 5, mpLen32(b[1:])
	default:
		return nil, 0, false
	}
	if n > len(b)-hdr {
		return nil, 0, false
	}
	return b[hdr : hdr+n], hdr + n, true
}

// mpInteger decodes the integer object at the start of b: a signed value
// (neg set when it is negative) or an unsigned one in u. ok is false if b
// does not start with a whole integer.
func mpInteger(b []byte) (u uint64, neg bool, size int, ok bool) {
	if len(b) == 0 {
		return 0, false, 0, false
	}
	c := b[0]
	switch {
	case c <= 0x7f:
		return uint64(c), false, 1, true
	case c >= 0xe0:
		return uint64(int64(int8(c))), true, 1, true
	}
	var v uint64
	switch c {
	case mpUint8, mpInt8:
		if len(b) < 2 {
			return 0, false, 0, false
		}
		v, size = uint64(b[1]), 2
		if c == mpInt8 {
			v = uint64(int64(int8(b[1])))
		}
	case mpUint16, mpInt16:
		if len(b) < 3 {
			return 0, false, 0, false
		}
		x := binary.BigEndian.Uint16(b[1:])
		v, size = uint64(x), 3
		if c == mpInt16 {
			v = uint64(int64(int16(x)))
		}
	case mpUint32, mpInt32:
		if len(b) < 5 {
			return 0, false, 0, false
		}
		x := binary.BigEndian.Uint32(b[1:])
		v, size = uint64(x), 5
		if c == mpInt32 {
			v = uint64(int64(int32(x)))
		}
	case mpUint64, mpInt64:
		if len(b) < 9 {
			return 0, false, 0, false
		}
		v, size = binary.BigEndian.Uint64(b[1:]), 9
	default:
		return 0, false, 0, false
	}
	signed := c == mpInt8 || c == mpInt16 || c == mpInt32 || c == mpInt64
	return v, signed && int64(v) < 0, size, true
}

func (r *mpReader) readInt64(field string) (int64, error) {
	u, neg, size, ok := mpInteger(r.b[r.off:])
	if !ok {
		return 0, r.fail(field, "Int64")
	}
	if !neg && u > math.MaxInt64 {
		return 0, invalidf("Reading '%s' as Int64 failed: %d is too large.", field, u)
	}
	r.off += size
	return int64(u), nil
}

func (r *mpReader) readUint64(field string) (uint64, error) {
	u, neg, size, ok := mpInteger(r.b[r.off:])
	if !ok {
		return 0, r.fail(field, "UInt64")
	}
	if neg {
		return 0, invalidf("Reading '%s' as UInt64 failed: %d is negative.", field, int64(u))
	}
	r.off += size
	return u, nil
}

func (r *mpReader) readBool(field string) (bool, error) {
	if r.off < len(r.b) {
		switch r.b[r.off] {
		case mpFalse:
			r.off++
			return false, nil
		case mpTrue:
			r.off++
			return true, nil
		}
	}
	return false, r.fail(field, "Boolean")
}

// readRaw returns the next object as a RawValue aliasing the body, with
// its capacity cut so that appending to it cannot overwrite the body.
func (r *mpReader) readRaw(field string) (RawValue, error) {
	end, err := mpSkip(r.b, r.off, 0)
	if err != nil {
		return nil, invalidf("Reading '%s' failed: %v.", field, err)
	}
	raw := RawValue(r.b[r.off:end:end])
	r.off = end
	return raw, nil
}

// mpKindName names the kind of object a MessagePack code starts.
func mpKindName(c byte) string {
	switch {
	case c <= 0x7f || c >= 0xe0 || (c >= mpUint8 && c <= mpInt64):
		return "an integer"
	case c <= 0x8f || c == mpMap16 || c == mpMap32:
		return "a map"
	case c <= 0x9f || c == mpArray16 || c == mpArray32:
		return "an array"
	case c <= 0xbf || (c >= mpStr8 && c <= mpStr32):
		return "a string"
	}
	switch c {
	case mpNil:
		return "nil"
	case mpFalse, mpTrue:
		return "a boolean"
	case mpBin8, mpBin16, mpBin32:
		return "binary data"
	case mpFloat32, mpFloat64:
		return "a float"
	case mpExt8, mpExt16, mpExt32, mpFixExt1, mpFixExt1 + 1, mpFixExt4, mpFixExt8, mpFixExt16:
		return "an extension"
	}
	return "the invalid code 0xc1"
}
