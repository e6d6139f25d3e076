package hub

import (
	"encoding/binary"
	"errors"

	"github.com/listhub/listhub/protocol"
)

// Backplane payloads ("envelopes"). A hub message is encoded once per hub
// protocol when it is published; every node hands each local recipient the
// bytes of its protocol without encoding again.
//
//	message:     'M' uvarint(n) n×(uvarint(len) excludedConnID) uvarint(k) k×(codecIndex uint32(len) bytes)
//	group add:   'A' uvarint(len) connID group
//	group remove 'R' uvarint(len) connID group
//	user leave   'U' uvarint(len) userID group
//
// Codec indexes are positions in Server.codecs (0 JSON, 1 MessagePack); all
// nodes of one deployment run the same listhub version.
const (
	envMessage     byte = 'M'
	envGroupAdd    byte = 'A'
	envGroupRemove byte = 'R'
	envUserLeave   byte = 'U' // every connection of a user leaves a group
)

var errBadEnvelope = errors.New("hub: malformed backplane payload")

// appendMessageEnvelope encodes m with every codec into one envelope.
func appendMessageEnvelope(dst []byte, codecs []protocol.Codec, except []string, m protocol.Message) ([]byte, error) {
	dst = append(dst, envMessage)
	dst = binary.AppendUvarint(dst, uint64(len(except)))
	for _, id := range except {
		dst = binary.AppendUvarint(dst, uint64(len(id)))
		dst = append(dst, id...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(codecs)))
	for i, c := range codecs {
		dst = append(dst, byte(i), 0, 0, 0, 0)
		at := len(dst)
		var err error
		dst, err = c.AppendMessage(dst, m)
		if err != nil {
			return nil, err
		}
		binary.BigEndian.PutUint32(dst[at-4:at], uint32(len(dst)-at))
	}
	return dst, nil
}

// messageEnvelope is a decoded message envelope; its slices alias the payload.
type messageEnvelope struct {
	except  []byte // the raw exclusion list, scanned by excludes
	nExcept int
	frames  [2][]byte // encoded message by codec index
}

func parseMessageEnvelope(p []byte) (messageEnvelope, error) {
	var e messageEnvelope
	if len(p) == 0 || p[0] != envMessage {
		return e, errBadEnvelope
	}
	p = p[1:]
	n, k := binary.Uvarint(p)
	if k <= 0 {
		return e, errBadEnvelope
	}
	p = p[k:]
	start := p
	for i := uint64(0); i < n; i++ {
		l, k := binary.Uvarint(p)
		if k <= 0 || uint64(len(p)-k) < l {
			return e, errBadEnvelope
		}
		p = p[k+int(l):]
	}
	e.except, e.nExcept = start[:len(start)-len(p)], int(n)
	count, k := binary.Uvarint(p)
	if k <= 0 {
		return e, errBadEnvelope
	}
	p = p[k:]
	for i := uint64(0); i < count; i++ {
		if len(p) < 5 {
			return e, errBadEnvelope
		}
		idx, l := int(p[0]), binary.BigEndian.Uint32(p[1:5])
		p = p[5:]
		if uint64(len(p)) < uint64(l) {
			return e, errBadEnvelope
		}
		if idx < len(e.frames) {
			e.frames[idx] = p[:l:l]
		}
		p = p[l:]
	}
	return e, nil
}

// excludes reports whether connID is in the envelope's exclusion list.
func (e *messageEnvelope) excludes(connID string) bool {
	p := e.except
	for i := 0; i < e.nExcept; i++ {
		l, k := binary.Uvarint(p)
		if string(p[k:k+int(l)]) == connID {
			return true
		}
		p = p[k+int(l):]
	}
	return false
}

func appendGroupEnvelope(dst []byte, kind byte, connID, group string) []byte {
	dst = append(dst, kind)
	dst = binary.AppendUvarint(dst, uint64(len(connID)))
	dst = append(dst, connID...)
	return append(dst, group...)
}

func parseGroupEnvelope(p []byte) (kind byte, connID, group string, err error) {
	if len(p) == 0 || (p[0] != envGroupAdd && p[0] != envGroupRemove && p[0] != envUserLeave) {
		return 0, "", "", errBadEnvelope
	}
	l, k := binary.Uvarint(p[1:])
	if k <= 0 || uint64(len(p)-1-k) < l {
		return 0, "", "", errBadEnvelope
	}
	rest := p[1+k:]
	return p[0], string(rest[:l]), string(rest[l:]), nil
}
