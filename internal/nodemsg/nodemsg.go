package nodemsg

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/listhub/listhub/protocol"
)

// Version is the payload version this package writes.
const Version byte = 1

// MaxCodecs is how many hub protocols a payload carries frames for; codec
// indexes at or above it are skipped when parsing.
const MaxCodecs = 2

// Kind says what a payload carries.
type Kind byte

// The kinds of payload.
const (
	KindMessage Kind = 'M' // a hub message for clients
	KindCommand Kind = 'C' // a command for the node that owns a connection or user
	KindReply   Kind = 'R' // the answer to a command
)

// Errors of Parse.
var (
	ErrVersion   = errors.New("nodemsg: unknown payload version")
	ErrMalformed = errors.New("nodemsg: malformed payload")
)

// Header is the start of every payload.
type Header struct {
	Version byte
	Kind    Kind
	// Origin is the id of the node that published the payload; it aliases
	// the payload.
	Origin []byte
}

// ParseHeader reads a payload's header and returns the body after it.
func ParseHeader(p []byte) (Header, []byte, error) {
	var h Header
	if len(p) < 2 {
		return h, nil, ErrMalformed
	}
	if p[0] != Version {
		return h, nil, fmt.Errorf("%w %d", ErrVersion, p[0])
	}
	h.Version, h.Kind = p[0], Kind(p[1])
	origin, rest, ok := readString(p[2:])
	if !ok {
		return h, nil, ErrMalformed
	}
	h.Origin = origin
	return h, rest, nil
}

func appendHeader(dst []byte, kind Kind, origin string) []byte {
	dst = append(dst, Version, byte(kind))
	return appendString(dst, origin)
}

// Message is a decoded message payload; its slices alias the payload.
type Message struct {
	except  []byte // the raw exclusion list, scanned by Excludes
	nExcept int
	// Frames holds the message encoded by each hub protocol, by codec
	// index; nil for a protocol the payload does not carry.
	Frames [MaxCodecs][]byte
}

// AppendMessage appends a message payload: m encoded once by each codec,
// and the connections that must not receive it.
func AppendMessage(dst []byte, origin string, except []string, codecs []protocol.Codec, m protocol.Message) ([]byte, error) {
	dst = appendHeader(dst, KindMessage, origin)
	dst = binary.AppendUvarint(dst, uint64(len(except)))
	for _, id := range except {
		dst = appendString(dst, id)
	}
	return appendFrames(dst, codecs, m)
}

// ParseMessage decodes a message body (what ParseHeader returned).
func ParseMessage(body []byte) (Message, error) {
	var e Message
	n, k := binary.Uvarint(body)
	if k <= 0 {
		return e, ErrMalformed
	}
	p := body[k:]
	start := p
	for i := uint64(0); i < n; i++ {
		var ok bool
		if _, p, ok = readString(p); !ok {
			return e, ErrMalformed
		}
	}
	e.except, e.nExcept = start[:len(start)-len(p)], int(n)
	p, ok := readFrames(p, &e.Frames)
	if !ok || len(p) != 0 {
		return e, ErrMalformed
	}
	return e, nil
}

// Excludes reports whether connID is in the message's exclusion list.
func (e *Message) Excludes(connID string) bool {
	p := e.except
	for i := 0; i < e.nExcept; i++ {
		var s []byte
		s, p, _ = readString(p) // validated by ParseMessage
		if string(s) == connID {
			return true
		}
	}
	return false
}

// HasExcept reports whether the message excludes any connection.
func (e *Message) HasExcept() bool { return e.nExcept > 0 }

// Op is what a command asks of the owner of its target.
type Op byte

// The commands.
const (
	OpGroupAdd    Op = 'A' // add connection Target to Group
	OpGroupRemove Op = 'R' // remove connection Target from Group
	OpUserLeave   Op = 'U' // every connection of user Target leaves Group
	OpInvoke      Op = 'I' // send connection Target the invocation in Frames and return its result
)

func (o Op) valid() bool {
	return o == OpGroupAdd || o == OpGroupRemove || o == OpUserLeave || o == OpInvoke
}

// Command asks the node that owns a connection (or a user's connections)
// to act on it. Target and Group are copies; Frames alias the payload.
type Command struct {
	// ID names the request so the answer can find its caller.
	ID     uint64
	Op     Op
	Target string
	Group  string
	// Frames holds, for OpInvoke, the Invocation encoded by each hub
	// protocol, by codec index.
	Frames [MaxCodecs][]byte
}

// AppendCommand appends a command payload. For OpInvoke, codecs and m give
// the invocation to carry; otherwise they are nil.
func AppendCommand(dst []byte, origin string, c *Command, codecs []protocol.Codec, m protocol.Message) ([]byte, error) {
	dst = appendHeader(dst, KindCommand, origin)
	dst = binary.AppendUvarint(dst, c.ID)
	dst = append(dst, byte(c.Op))
	dst = appendString(dst, c.Target)
	dst = appendString(dst, c.Group)
	if m == nil {
		return binary.AppendUvarint(dst, 0), nil
	}
	return appendFrames(dst, codecs, m)
}

// ParseCommand decodes a command body.
func ParseCommand(body []byte) (Command, error) {
	var c Command
	id, k := binary.Uvarint(body)
	if k <= 0 || len(body) <= k {
		return c, ErrMalformed
	}
	c.ID, c.Op = id, Op(body[k])
	if !c.Op.valid() {
		return c, ErrMalformed
	}
	target, p, ok := readString(body[k+1:])
	if !ok {
		return c, ErrMalformed
	}
	group, p, ok := readString(p)
	if !ok {
		return c, ErrMalformed
	}
	if p, ok = readFrames(p, &c.Frames); !ok || len(p) != 0 {
		return c, ErrMalformed
	}
	c.Target, c.Group = string(target), string(group)
	return c, nil
}

// Status is the outcome a reply reports.
type Status byte

// The outcomes.
const (
	StatusDone     Status = 'D' // applied; for OpInvoke, the client's Completion
	StatusNotFound Status = 'N' // this node does not own the target
	StatusAccepted Status = 'A' // OpInvoke: the invocation was sent; the result follows
	StatusDenied   Status = 'X' // the Authorizer refused the join
	StatusFailed   Status = 'F' // applying failed; Text says why
)

func (s Status) valid() bool {
	return s == StatusDone || s == StatusNotFound || s == StatusAccepted || s == StatusDenied || s == StatusFailed
}

// Reply answers a command. Text and Result alias the payload.
type Reply struct {
	ID     uint64
	Status Status
	// Text is the failure, or for OpInvoke the client's error.
	Text []byte
	// Codec is the index of the protocol Result is encoded in.
	Codec     byte
	HasResult bool
	Result    []byte
}

// AppendReply appends a reply payload.
func AppendReply(dst []byte, origin string, r *Reply) []byte {
	dst = appendHeader(dst, KindReply, origin)
	dst = binary.AppendUvarint(dst, r.ID)
	dst = append(dst, byte(r.Status))
	dst = appendBytes(dst, r.Text)
	has := byte(0)
	if r.HasResult {
		has = 1
	}
	dst = append(dst, r.Codec, has)
	return appendBytes(dst, r.Result)
}

// ParseReply decodes a reply body.
func ParseReply(body []byte) (Reply, error) {
	var r Reply
	id, k := binary.Uvarint(body)
	if k <= 0 || len(body) <= k {
		return r, ErrMalformed
	}
	r.ID, r.Status = id, Status(body[k])
	if !r.Status.valid() {
		return r, ErrMalformed
	}
	text, p, ok := readString(body[k+1:])
	if !ok || len(p) < 2 || p[1] > 1 {
		return r, ErrMalformed
	}
	r.Text, r.Codec, r.HasResult = text, p[0], p[1] == 1
	result, p, ok := readString(p[2:])
	if !ok || len(p) != 0 {
		return r, ErrMalformed
	}
	r.Result = result
	return r, nil
}

func appendFrames(dst []byte, codecs []protocol.Codec, m protocol.Message) ([]byte, error) {
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

func readFrames(p []byte, frames *[MaxCodecs][]byte) ([]byte, bool) {
	count, k := binary.Uvarint(p)
	if k <= 0 {
		return nil, false
	}
	p = p[k:]
	for i := uint64(0); i < count; i++ {
		if len(p) < 5 {
			return nil, false
		}
		idx, l := int(p[0]), binary.BigEndian.Uint32(p[1:5])
		p = p[5:]
		if uint64(len(p)) < uint64(l) {
			return nil, false
		}
		if idx < MaxCodecs {
			frames[idx] = p[:l:l]
		}
		p = p[l:]
	}
	return p, true
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendBytes(dst []byte, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// readString reads a uvarint length and that many bytes.
func readString(p []byte) (s, rest []byte, ok bool) {
	l, k := binary.Uvarint(p)
	if k <= 0 || uint64(len(p)-k) < l {
		return nil, nil, false
	}
	return p[k : k+int(l) : k+int(l)], p[k+int(l):], true
}
