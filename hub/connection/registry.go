package connection

import (
	"time"
)

// The registry maps connection tokens to connections, from negotiate (or
// a WebSocket without negotiation) until the connection has ended. The
// heartbeat walks it once per tick.

func (s *Server) register(c *Conn) {
	s.mu.Lock()
	s.conns[c.token] = c
	s.mu.Unlock()
}

func (s *Server) lookup(token string) *Conn {
	s.mu.RLock()
	c := s.conns[token]
	s.mu.RUnlock()
	return c
}

func (s *Server) unregister(c *Conn) {
	s.mu.Lock()
	if s.conns[c.token] == c {
		delete(s.conns, c.token)
	}
	s.mu.Unlock()
	c.ungate(true)
}

// snapshot appends every registered connection to dst.
func (s *Server) snapshot(dst []*Conn) []*Conn {
	s.mu.RLock()
	for _, c := range s.conns {
		dst = append(dst, c)
	}
	s.mu.RUnlock()
	return dst
}

// heartbeat is the server's one timer goroutine: every interval it ticks
// the open sessions, enforces TransportSendTimeout and DisconnectTimeout
// (negotiated connections that never started, long-polling connections
// without a poll, WebSockets not reconnected in time).
func (s *Server) heartbeat(interval time.Duration) {
	defer close(s.hbDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	var conns []*Conn
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			conns = s.snapshot(conns[:0])
			s.beat(now, conns)
			clear(conns) // do not keep ended connections reachable
		}
	}
}

func (s *Server) beat(now time.Time, conns []*Conn) {
	mono := s.now()
	sendTimeout := int64(s.opts.TransportSendTimeout)
	var pending int64
	defer func() { s.pending.Store(pending) }()
	for _, c := range conns {
		c.mu.Lock()
		state, sess, created := c.state, c.session, c.created
		switch {
		case state == stNew:
			c.mu.Unlock()
			if time.Duration(mono-created) > s.opts.DisconnectTimeout {
				c.expire(ErrClosed)
			} else {
				pending++
			}
			continue
		case state == stDetached:
			expired := time.Duration(mono-c.detachedAt) > s.opts.DisconnectTimeout
			c.mu.Unlock()
			if expired {
				c.expireDetached()
			}
			continue
		case (state == stOpen || state == stClosing) && c.pollIdle(mono) > s.opts.DisconnectTimeout:
			c.abortLocked(ErrDisconnectTimeout) // the client stopped polling
			continue
		}
		c.mu.Unlock()
		if start := c.sendStart.Load(); start != 0 && mono-start > sendTimeout {
			c.sendTimedOut()
			continue
		}
		if state == stOpen && sess != nil && c.tickMu.TryLock() {
			// TryLock: Closed holds tickMu; skip rather than wait for it.
			if !c.ended {
				sess.Tick(now)
			}
			c.tickMu.Unlock()
		}
	}
}
