package hub

import (
	"context"
	"errors"
	"sync"

	"github.com/listhub/listhub/protocol"
)

// replay is the stateful-reconnect state of one connection (protocol notes
// §6): the sequence numbers of the trackable messages (types 1 to 5) sent
// and received, and the serialized bytes of every message sent but not yet
// acknowledged, to be sent again after the client reconnects.
type replay struct {
	mu   sync.Mutex
	room chan struct{} // closed (and replaced) when an Ack frees room
	done chan struct{} // closed when the connection ends

	limit int // StatefulReconnectBufferSize
	hard  int // beyond this, a write that must not wait closes the connection

	sent    uint64    // sequence id of the last trackable message sent
	pending []sentMsg // unacknowledged, in order
	bytes   int       // total size of pending
	ended   bool

	next     uint64 // sequence id expected for the next incoming message
	latest   uint64 // highest incoming sequence id processed
	ackedOut uint64 // the latest value we acknowledged
	detached bool
}

type sentMsg struct {
	seq   uint64
	frame []byte
}

// errReplayOverflow closes a connection whose unacknowledged messages
// outgrew the hard limit while it could not be made to wait.
var errReplayOverflow = errors.New("hub: stateful reconnect buffer overflow (client does not acknowledge)")

// newReplay keeps up to limit unacknowledged bytes before waiting writers
// wait. maxQueue is the connection's send-queue bound: the whole buffer is
// queued again on resume, so it never grows past three quarters of it.
func newReplay(limit, maxQueue int) *replay {
	hard := min(max(2*limit, maxQueue/2), maxQueue*3/4)
	return &replay{limit: min(limit, hard), hard: hard, next: 1, room: make(chan struct{}), done: make(chan struct{})}
}

// write numbers and buffers a trackable frame and queues it on the
// connection, under one lock so sequence ids follow queue order. A writer
// with a non-nil wait (a hub method's Completion or stream item) waits while
// the buffer is over its limit, as on ASP.NET Core, until ctx ends; every
// other writer never waits, and the connection overflows only at the hard
// limit.
func (r *replay) write(wait context.Context, h *hubConn, frame []byte, trackable bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if trackable {
		// A waiting reader cannot read Acks: do not wait for them then.
		for wait != nil && r.bytes >= r.limit && !r.ended && !h.readerWaiting.Load() {
			room := r.room
			r.mu.Unlock()
			select {
			case <-room:
			case <-r.done:
			case <-wait.Done():
				r.mu.Lock()
				return wait.Err()
			}
			r.mu.Lock()
		}
		if r.ended {
			return errConnectionClosed
		}
		// Like the send queue's, the hard limit bounds the backlog, not
		// one message: a large one is kept when the backlog is below it.
		if r.bytes >= r.hard {
			return errReplayOverflow
		}
		r.sent++
		r.pending = append(r.pending, sentMsg{seq: r.sent, frame: frame})
		r.bytes += len(frame)
	}
	if r.detached {
		return nil // kept for the replay; the transport is gone for now
	}
	return h.conn.Write(frame, h.binary)
}

// wake makes waiting writers check again (the reader started waiting).
func (r *replay) wake() {
	r.mu.Lock()
	close(r.room)
	r.room = make(chan struct{})
	r.mu.Unlock()
}

// ack drops the messages the client has acknowledged.
func (r *replay) ack(seq uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for n < len(r.pending) && r.pending[n].seq <= seq {
		r.bytes -= len(r.pending[n].frame)
		r.pending[n] = sentMsg{}
		n++
	}
	if n > 0 {
		r.pending = r.pending[n:]
		close(r.room)
		r.room = make(chan struct{})
	}
}

// received applies the receive-side numbering to an incoming message and
// reports whether it is new (true) or a replayed duplicate to drop.
func (r *replay) received(t protocol.MessageType) bool {
	if !t.Trackable() {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.next
	r.next++
	if id <= r.latest {
		return false
	}
	r.latest = id
	return true
}

// sequence handles the client's Sequence after a reconnect.
func (r *replay) sequence(seq uint64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if seq > r.next {
		return errors.New("Sequence ID greater than amount of messages we've received.") //nolint:staticcheck // the official text
	}
	r.next = seq
	return nil
}

// ackDue returns the sequence id to acknowledge, if it advanced since the
// last Ack; the heartbeat sends at most one Ack a second.
func (r *replay) ackDue() (uint64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.detached || r.latest == r.ackedOut {
		return 0, false
	}
	r.ackedOut = r.latest
	return r.latest, true
}

func (r *replay) detach() {
	r.mu.Lock()
	r.detached = true
	r.mu.Unlock()
}

// resume sends Sequence and then every unacknowledged message again, before
// anything written after it.
func (r *replay) resume(h *hubConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.detached = false
	first := r.sent + 1
	if len(r.pending) > 0 {
		first = r.pending[0].seq
	}
	seq, err := h.codec.AppendMessage(nil, &protocol.Sequence{SequenceID: first})
	if err != nil {
		return
	}
	if h.conn.Write(seq, h.binary) != nil {
		return
	}
	for _, m := range r.pending {
		if h.conn.Write(m.frame, h.binary) != nil {
			return
		}
	}
}

// end releases every waiting writer; later trackable writes fail.
func (r *replay) end() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.ended {
		r.ended = true
		close(r.done)
	}
}
