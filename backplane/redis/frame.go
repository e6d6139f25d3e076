package redis

import (
	"encoding/binary"
	"errors"
	"time"
)

// A frame is the body of one Redis message: every payload one publisher sent
// to one channel in one batch.
//
//	byte 0      frame version (frameVersion)
//	bytes 1..8  send time, Unix nanoseconds, big endian (for the lag metric)
//	then, per payload: its length as a uvarint, then its bytes
//
// The payloads themselves are the hub's (with their own version byte); the
// backplane never looks inside them.
const (
	frameVersion    = 1
	frameHeaderSize = 9
)

var errBadFrame = errors.New("redis backplane: malformed frame")

// appendFrameHeader starts a frame sent at now.
func appendFrameHeader(dst []byte, now time.Time) []byte {
	dst = append(dst, frameVersion)
	return binary.BigEndian.AppendUint64(dst, uint64(now.UnixNano()))
}

// appendFramePayload adds one payload to a frame.
func appendFramePayload(dst, payload []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(payload)))
	return append(dst, payload...)
}

// decodeFrame checks a whole frame, then calls fn for each payload in order.
// The payloads passed to fn are sub-slices of b. A malformed frame delivers
// nothing: the error says so, and the caller counts it.
func decodeFrame(b []byte, fn func(payload []byte)) (sent time.Time, err error) {
	if len(b) < frameHeaderSize {
		return time.Time{}, errBadFrame
	}
	if b[0] != frameVersion {
		return time.Time{}, errors.New("redis backplane: unknown frame version")
	}
	sent = time.Unix(0, int64(binary.BigEndian.Uint64(b[1:frameHeaderSize])))
	body := b[frameHeaderSize:]
	for rest := body; len(rest) > 0; {
		n, size := binary.Uvarint(rest)
		if size <= 0 || n > uint64(len(rest)-size) {
			return time.Time{}, errBadFrame
		}
		rest = rest[size+int(n):]
	}
	for rest := body; len(rest) > 0; {
		n, size := binary.Uvarint(rest)
		end := size + int(n)
		fn(rest[size:end:end])
		rest = rest[end:]
	}
	return sent, nil
}
