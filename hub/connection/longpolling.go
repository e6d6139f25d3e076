package connection

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"
)

// The long-polling transport (§2.3). The first poll activates the
// connection and is answered at once; each later poll waits for queued
// units and takes them all (one per poll with PreserveUnits) in one
// response. Between polls nothing runs for the connection: Write only
// queues and wakes the pending poll, and the heartbeat disposes of a
// connection that has had no poll outstanding for DisconnectTimeout. The
// client's data comes by POST (post.go); its graceful stop is the DELETE
// (endpoint.go).

// longPoll is a long-polling connection's poll state, under Conn.mu.
type longPoll struct {
	poll      *pendingPoll // the poll waiting for data, nil if none
	idleSince int64        // Server.now() when the last poll ended; 0 while one is pending
}

// pendingPoll is one waiting poll.
type pendingPoll struct {
	wake     chan struct{} // buffered 1: data queued, connection ending, or replaced
	replaced bool          // a newer poll took over (under Conn.mu)
}

// wakePoll wakes the pending poll, if any. Caller holds mu.
func (c *Conn) wakePoll() {
	if c.lp == nil || c.lp.poll == nil {
		return
	}
	select {
	case c.lp.poll.wake <- struct{}{}:
	default:
	}
}

// endPoll stops p being the pending poll and starts the idle clock. Caller
// holds mu.
func (c *Conn) endPoll(p *pendingPoll) {
	if c.lp.poll == p {
		c.lp.poll = nil
		c.lp.idleSince = c.s.now()
	}
}

// pollIdle reports how long the long-polling connection has had no poll
// outstanding, 0 when it has one or is not long polling. Caller holds mu.
func (c *Conn) pollIdle(mono int64) time.Duration {
	if c.lp == nil || c.lp.poll != nil {
		return 0
	}
	return time.Duration(mono - c.lp.idleSince)
}

func setPollHeaders(h http.Header) {
	h.Set("Cache-Control", "no-cache, no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", "Thu, 01 Jan 1970 00:00:00 GMT")
}

func (s *Server) servePoll(w http.ResponseWriter, r *http.Request, c *Conn) {
	setPollHeaders(w.Header())
	c.mu.Lock()
	started := c.lp != nil
	c.mu.Unlock()
	if started {
		s.poll(w, r, c)
		return
	}
	answer := func(code int, body string) { writeText(w, code, body) }
	if !s.startTransport(r, c, LongPolling, nil, answer) {
		return
	}
	c.mu.Lock()
	if c.lp.poll == nil {
		c.lp.idleSince = s.now() // Connect may have taken a while
	}
	c.mu.Unlock()
	writeBody(w, http.StatusOK, "application/octet-stream", "")
}

// poll serves a poll after the first: it answers with queued data as soon
// as there is some, 200 empty after LongPollTimeout, 204 when replaced by
// a newer poll or when the connection has ended.
func (s *Server) poll(w http.ResponseWriter, r *http.Request, c *Conn) {
	rc := http.NewResponseController(w)
	// The wait may outlast an http.Server WriteTimeout; the data write
	// gets its own deadline.
	_ = rc.SetWriteDeadline(time.Time{})
	p := &pendingPoll{wake: make(chan struct{}, 1)}
	c.mu.Lock()
	if old := c.lp.poll; old != nil {
		old.replaced = true
		c.wakePoll()
	}
	c.lp.poll = p
	c.mu.Unlock()

	timeout := time.NewTimer(s.opts.LongPollTimeout)
	defer timeout.Stop()
	for {
		c.mu.Lock()
		switch {
		case p.replaced:
			c.mu.Unlock()
			writeText(w, http.StatusNoContent, "")
			return
		case len(c.queue) > 0:
			batch := c.takePoll()
			c.endPoll(p)
			c.mu.Unlock()
			s.writePoll(w, rc, c, batch)
			return
		case c.state != stOpen:
			// Ended, or closing with everything sent: this poll tells the
			// client, and a closing connection ends with it.
			closing := c.state == stClosing
			if closing {
				c.state = stClosed
			}
			c.endPoll(p)
			c.mu.Unlock()
			writeText(w, http.StatusNoContent, "")
			if closing {
				c.finish(nil, true)
			}
			return
		}
		c.mu.Unlock()
		select {
		case <-p.wake:
		case <-timeout.C:
			c.mu.Lock()
			c.endPoll(p)
			c.mu.Unlock()
			writeBody(w, http.StatusOK, "application/octet-stream", "")
			return
		case <-r.Context().Done(): // the client gave up this poll
			c.mu.Lock()
			c.endPoll(p)
			c.mu.Unlock()
			return
		}
	}
}

// takePoll removes what the next poll response carries: every queued
// unit, or only the first with PreserveUnits. Caller holds mu.
func (c *Conn) takePoll() []unit {
	if c.s.opts.PreserveUnits {
		u := c.queue[0]
		n := copy(c.queue, c.queue[1:])
		c.queue[n] = unit{}
		c.queue = c.queue[:n]
		return []unit{u}
	}
	batch := c.queue
	c.queue, c.spare = c.spare, nil
	return batch
}

// writePoll answers a poll with batch. A failed or timed-out write
// (TransportSendTimeout) aborts the connection: the client may have lost
// part of the data.
func (s *Server) writePoll(w http.ResponseWriter, rc *http.ResponseController, c *Conn, batch []unit) {
	n := 0
	for _, u := range batch {
		n += len(u.b)
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.Itoa(n))
	_ = rc.SetWriteDeadline(time.Now().Add(s.opts.TransportSendTimeout))
	w.WriteHeader(http.StatusOK)
	var err error
	for _, u := range batch {
		if _, err = w.Write(u.b); err != nil {
			break
		}
	}
	if err == nil {
		err = rc.Flush()
	}
	// The deadline would outlive this response on a kept-alive connection.
	_ = rc.SetWriteDeadline(time.Time{})
	clear(batch)

	c.mu.Lock()
	c.queued -= n
	if c.spare == nil && !s.opts.PreserveUnits {
		c.spare = reusable(batch)
	}
	c.mu.Unlock()
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = ErrSendTimeout
		} else {
			err = fmt.Errorf("connection: send: %w", err)
		}
		c.Abort(err)
	}
}
