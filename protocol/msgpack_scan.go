package protocol

import (
	"encoding/binary"
	"math"
)

// mpMaxDepth bounds the nesting of arrays and maps inside one value, as
// MessagePack-CSharp's MaximumObjectGraphDepth (500) does. It keeps the
// recursion of the scanner and of Bind's decoder shallow.
const mpMaxDepth = 500

// Errors of the value scanner. Callers add which field they were reading.
var (
	errMsgpackTruncated = invalidf("the data ends in the middle of a value")
	errMsgpackTooDeep   = invalidf("arrays and maps are nested more than %d levels deep", mpMaxDepth)
	errMsgpackBadCode   = invalidf("0xc1 is not a valid MessagePack code")
)

// mpSkip returns the offset just past the MessagePack object that starts at
// b[off]. Every length is checked against the bytes present, and a
// container's element count against the bytes left (each element takes at
// least one byte), so it never reads out of range and runs in O(len(b)).
// depth is the nesting level of the object (0 for a top-level value).
func mpSkip(b []byte, off, depth int) (int, error) {
	if off >= len(b) {
		return 0, errMsgpackTruncated
	}
	c := b[off]
	rest := len(b) - off // bytes from the code on
	var hdr, n int       // header size, then payload bytes or element count
	switch {
	case c <= 0x7f || c >= 0xe0: // positive and negative fixint
		return off + 1, nil
	case c <= 0x8f: // fixmap
		hdr, n = 1, 2*int(c&0x0f)
		return mpSkipElements(b, off+hdr, n, depth)
	case c <= 0x9f: // fixarray
		hdr, n = 1, int(c&0x0f)
		return mpSkipElements(b, off+hdr, n, depth)
	case c <= 0xbf: // fixstr
		hdr, n = 1, int(c&0x1f)
		return mpSkipBytes(b, off, hdr, n)
	}
	switch c {
	case mpNil, mpFalse, mpTrue:
		return off + 1, nil
	case mpUint8, mpInt8:
		return mpSkipBytes(b, off, 1, 1)
	case mpUint16, mpInt16:
		return mpSkipBytes(b, off, 1, 2)
	case mpUint32, mpInt32, mpFloat32:
		return mpSkipBytes(b, off, 1, 4)
	case mpUint64, mpInt64, mpFloat64:
		return mpSkipBytes(b, off, 1, 8)
	case mpFixExt1, mpFixExt1 + 1, mpFixExt4, mpFixExt8, mpFixExt16:
		// One type byte, then 1, 2, 4, 8 or 16 data bytes.
		return mpSkipBytes(b, off, 2, 1<<(c-mpFixExt1))
	case mpStr8, mpBin8:
		if rest < 2 {
			return 0, errMsgpackTruncated
		}
		return mpSkipBytes(b, off, 2, int(b[off+1]))
	case mpStr16, mpBin16:
		if rest < 3 {
			return 0, errMsgpackTruncated
		}
		return mpSkipBytes(b, off, 3, int(binary.BigEndian.Uint16(b[off+1:])))
	case mpStr32, mpBin32:
		if rest < 5 {
			return 0, errMsgpackTruncated
		}
		return mpSkipBytes(b, off, 5, mpLen32(b[off+1:]))
	case mpExt8:
		if rest < 3 {
			return 0, errMsgpackTruncated
		}
		return mpSkipBytes(b, off, 3, int(b[off+1]))
	case mpExt16:
		if rest < 4 {
			return 0, errMsgpackTruncated
		}
		return mpSkipBytes(b, off, 4, int(binary.BigEndian.Uint16(b[off+1:])))
	case mpExt32:
		if rest < 6 {
			return 0, errMsgpackTruncated
		}
		return mpSkipBytes(b, off, 6, mpLen32(b[off+1:]))
	case mpArray16, mpMap16:
		if rest < 3 {
			return 0, errMsgpackTruncated
		}
		n = int(binary.BigEndian.Uint16(b[off+1:]))
		if c == mpMap16 {
			n *= 2
		}
		return mpSkipElements(b, off+3, n, depth)
	case mpArray32, mpMap32:
		if rest < 5 {
			return 0, errMsgpackTruncated
		}
		n = mpLen32(b[off+1:])
		if c == mpMap32 {
			if n > rest/2 {
				return 0, errMsgpackTruncated
			}
			n *= 2
		}
		return mpSkipElements(b, off+5, n, depth)
	}
	return 0, errMsgpackBadCode // 0xc1, the one unused code
}

// mpLen32 reads a big-endian uint32 length. On 32-bit platforms lengths
// that do not fit an int are clamped; they are rejected as truncated anyway.
func mpLen32(b []byte) int {
	n := uint64(binary.BigEndian.Uint32(b))
	if n > math.MaxInt {
		return math.MaxInt
	}
	return int(n)
}

// mpSkipBytes returns the end of an object with an hdr-byte header and n
// payload bytes starting at b[off].
func mpSkipBytes(b []byte, off, hdr, n int) (int, error) {
	if n > len(b)-off-hdr {
		return 0, errMsgpackTruncated
	}
	return off + hdr + n, nil
}

// mpSkipElements skips n objects starting at b[off], the contents of a
// container at nesting level depth.
func mpSkipElements(b []byte, off, n, depth int) (int, error) {
	if n == 0 {
		return off, nil
	}
	if n > len(b)-off {
		return 0, errMsgpackTruncated
	}
	if depth >= mpMaxDepth {
		return 0, errMsgpackTooDeep
	}
	var err error
	for ; n > 0; n-- {
		if off, err = mpSkip(b, off, depth+1); err != nil {
			return 0, err
		}
	}
	return off, nil
}
