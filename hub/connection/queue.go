package connection

import (
	"fmt"
)

// The send queue and its writer. Write appends a unit under the Conn's
// mutex and never blocks on the socket. There is no long-lived writer
// goroutine: the Write that finds no writer running starts one, which
// drains the queue until it is empty and exits, so an idle connection
// costs only its reader goroutine. Units are never copied on the way in
// and never split; consecutive units of one type are joined into one
// transport unit up to MaxFrameBytes unless PreserveUnits is set. Long
// polling has no writer: Write wakes the pending poll, which takes the
// queued units itself.

// Write enqueues one transport unit holding one or more whole messages.
// It does not block and does not copy: the caller must not modify unit
// afterwards (so one encoded broadcast can be shared by all recipients).
// binary selects the WebSocket message type; only consecutive units of the
// same type are joined. It returns ErrClosed once the connection has ended
// or started closing, and ErrQueueFull when the bytes already queued have
// reached MaxQueueBytes, in which case the connection is aborted with
// ErrQueueFull. The bound limits the backlog, not the size of a unit: a
// unit of any size is accepted onto a smaller backlog, so a large message
// is sent when the client keeps up, and a queue holds at most
// MaxQueueBytes plus one unit. Server-Sent Events carry text only: a binary
// unit there is refused with ErrBinaryUnsupported and the connection is
// left as it was. While the connection is detached, waiting for a
// stateful reconnect, units are discarded and Write returns nil.
func (c *Conn) Write(unit []byte, binary bool) error {
	c.mu.Lock()
	if c.state != stOpen {
		detached := c.state == stDetached
		c.mu.Unlock()
		if detached {
			return nil
		}
		return ErrClosed
	}
	if binary && c.kind == ServerSentEvents {
		c.mu.Unlock()
		return ErrBinaryUnsupported
	}
	if c.queued >= c.s.opts.MaxQueueBytes {
		c.mu.Unlock()
		c.Abort(ErrQueueFull)
		return ErrQueueFull
	}
	c.queued += len(unit)
	c.queue = append(c.queue, newUnit(unit, binary))
	start := c.startWriter()
	c.mu.Unlock()
	if start {
		go c.writeLoop()
	}
	return nil
}

func newUnit(b []byte, binary bool) unit { return unit{b: b, binary: binary} }

// startWriter reports whether the caller must start a writer goroutine,
// and if so counts it. Long polling has no writer: the pending poll is
// woken instead. Caller holds mu.
func (c *Conn) startWriter() bool {
	if c.lp != nil {
		c.wakePoll()
		return false
	}
	if c.writing || c.t == nil || c.broken {
		return false
	}
	c.writing = true
	c.wg.Add(1)
	return true
}

// dropQueue forgets queued units. Caller holds mu.
func (c *Conn) dropQueue() {
	for _, u := range c.queue {
		c.queued -= len(u.b)
	}
	clear(c.queue)
	c.queue = reusable(c.queue)
}

// maxKeptUnits bounds the queue array an idle connection keeps for reuse;
// a larger one, left by a burst, is dropped.
const maxKeptUnits = 256

// reusable returns units emptied for reuse, or nil when it is too large to
// keep on an idle connection.
func reusable(units []unit) []unit {
	if cap(units) > maxKeptUnits {
		return nil
	}
	return units[:0]
}

// drain is the writer goroutine (c.writeLoop): it drains the queue, then
// performs a requested graceful close, then exits.
func (c *Conn) drain() {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		if c.state == stClosed {
			c.writing = false
			c.mu.Unlock()
			return
		}
		if len(c.queue) == 0 {
			if c.state == stClosing && !c.outClosed {
				c.outClosed = true
				t := c.t
				c.mu.Unlock()
				t.close(false)
				continue
			}
			c.writing = false
			c.mu.Unlock()
			return
		}
		batch := c.queue
		c.queue, c.spare = c.spare, nil
		t := c.t
		c.mu.Unlock()

		n, err := c.sendBatch(t, batch)
		clear(batch) // let the units' memory go

		c.mu.Lock()
		c.queued -= n
		c.spare = reusable(batch)
		c.mu.Unlock()
		if err != nil {
			if c.transportFailed(t) {
				return
			}
			c.Abort(fmt.Errorf("connection: send: %w", err))
		}
	}
}

// transportFailed handles a failed send on t and reports whether the
// writer must just exit: t is no longer the connection's (it was detached
// for a stateful reconnect), or the connection can wait for one, in which
// case only t is aborted and its reader detaches the connection.
// Otherwise the caller aborts the connection.
func (c *Conn) transportFailed(t transport) bool {
	c.mu.Lock()
	current := c.t == t
	if current && !(c.resumable && c.state == stOpen) {
		c.mu.Unlock()
		return false
	}
	c.broken = c.broken || current
	c.writing = false
	c.mu.Unlock()
	if current {
		t.abort()
	}
	return true
}

// sendBatch writes batch in order and returns the number of bytes it
// held. Consecutive units of one type are joined up to MaxFrameBytes.
func (c *Conn) sendBatch(t transport, batch []unit) (int, error) {
	total := 0
	for _, u := range batch {
		total += len(u.b)
	}
	var buf *[]byte
	defer func() {
		if buf != nil {
			*buf = (*buf)[:0]
			c.s.frameBufs.Put(buf)
		}
	}()
	maxFrame := c.s.opts.MaxFrameBytes
	for i := 0; i < len(batch); {
		first := batch[i]
		j, size := i+1, len(first.b)
		if !c.s.opts.PreserveUnits {
			for j < len(batch) && batch[j].binary == first.binary && size+len(batch[j].b) <= maxFrame {
				size += len(batch[j].b)
				j++
			}
		}
		payload := first.b
		if j > i+1 {
			if buf == nil {
				buf = c.s.frameBufs.Get().(*[]byte)
			}
			p := (*buf)[:0]
			for _, u := range batch[i:j] {
				p = append(p, u.b...)
			}
			*buf = p
			payload = p
		}
		c.sendStart.Store(c.s.now())
		err := t.send(payload, first.binary)
		c.sendStart.Store(0)
		if err != nil {
			return total, err
		}
		i = j
	}
	return total, nil
}
