package redis

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// A link is one subscription connection: all channels of classic pub/sub,
// or the channels of one slot tag with sharded pub/sub. Three goroutines
// share it: callers queue subscribe and unsubscribe operations; the writer
// sends them in batches followed by a PING whose PONG proves that Redis
// processed them; the reader dispatches messages and PONGs.
type link struct {
	r     *Redis
	index int
	// prefix starts every Redis channel of the link: "" for classic pub/sub,
	// the slot tag "{tag}" for sharded pub/sub.
	prefix string
	probe  string // the Redis channel this node probes the link with
	// nodesChannel carries "+<id>" when a node starts and "-<id>" when it
	// closes gracefully; only the first link subscribes it.
	nodesChannel string

	lastProbe atomic.Int64 // Unix nanoseconds of the last probe received

	mu      sync.Mutex
	ps      *goredis.PubSub
	ops     []subOp
	waiting []chan struct{} // Subscribe calls waiting for their batch's PONG
	// inflight are the waiters of batches whose PING was sent, oldest first.
	inflight []pingWaiters
	seq      uint64 // last PING token sent
	// downSeq is the first token that can prove the link is back up: a PONG
	// for an earlier token may come from before the connection was lost.
	downSeq  uint64
	up       bool
	upSince  time.Time
	recreate bool // the writer replaces ps (the link was silent)
	wake     chan struct{}
	closed   bool
	firstUp  chan struct{} // closed when the link is up for the first time
}

type subOp struct {
	subscribe bool
	name      string
}

type pingWaiters struct {
	token   uint64
	waiters []chan struct{}
}

func newLink(r *Redis, index int, prefix string) *link {
	l := &link{
		r:       r,
		index:   index,
		prefix:  prefix,
		probe:   prefix + r.opts.Prefix + "probe:" + string(r.id),
		wake:    make(chan struct{}, 1),
		firstUp: make(chan struct{}),
	}
	if index == 0 {
		l.nodesChannel = prefix + r.opts.Prefix + "nodes:events"
	}
	l.ps = l.newPubSub()
	return l
}

// newPubSub opens a pub/sub handle subscribed to the probe channel and
// channels, in one command: a probe channel with a subscriber tells the
// other nodes that all the link's channels are in place (see
// outbox.awaitSubscribers). go-redis dials the connection lazily and, after
// losing it, restores all its channels with one SUBSCRIBE too.
func (l *link) newPubSub(channels ...string) *goredis.PubSub {
	ctx := l.r.ctx
	names := append([]string{l.probe}, channels...)
	if l.nodesChannel != "" {
		names = append(names, l.nodesChannel)
	}
	if l.r.sharded {
		return l.r.client.SSubscribe(ctx, names...)
	}
	return l.r.client.Subscribe(ctx, names...)
}

func (l *link) start() {
	l.r.wg.Go(l.readLoop)
	l.r.wg.Go(l.writeLoop)
}

// enqueue queues a subscribe or unsubscribe of a Redis channel. For a
// subscribe it returns a channel closed when Redis has processed it, or when
// the link went down (the subscription is then restored on reconnect).
func (l *link) enqueue(subscribe bool, name string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ops = append(l.ops, subOp{subscribe: subscribe, name: name})
	var done chan struct{}
	if subscribe {
		done = make(chan struct{})
		if l.up && !l.closed {
			l.waiting = append(l.waiting, done)
		} else {
			close(done)
		}
	}
	select {
	case l.wake <- struct{}{}:
	default:
	}
	return done
}

func (l *link) writeLoop() {
	retry := time.NewTicker(l.r.opts.RetryInterval)
	defer retry.Stop()
	for {
		select {
		case <-l.r.done:
			return
		case <-l.wake:
		case <-retry.C:
		}
		l.mu.Lock()
		ops, waiting, up, recreate := l.ops, l.waiting, l.up, l.recreate
		l.ops, l.waiting, l.recreate = nil, nil, false
		ps := l.ps
		l.mu.Unlock()

		if recreate {
			ps = l.replacePubSub(ps)
		}
		err := l.send(ps, ops)
		if !up || err != nil {
			// A link that is down is restored as a whole on reconnect;
			// waiting for it would stall callers through an outage.
			release(waiting)
			if !up {
				l.ping(ps, nil) // proves the link up again once it answers
			}
			continue
		}
		if len(ops) > 0 || len(waiting) > 0 {
			l.ping(ps, waiting)
		}
	}
}

// send writes ops as few commands as possible, keeping their order: each run
// of subscribes or of unsubscribes is one command.
func (l *link) send(ps *goredis.PubSub, ops []subOp) error {
	var firstErr error
	for len(ops) > 0 {
		n := 1
		for n < len(ops) && ops[n].subscribe == ops[0].subscribe {
			n++
		}
		names := make([]string, n)
		for i, op := range ops[:n] {
			names[i] = op.name
		}
		var err error
		switch {
		case ops[0].subscribe && l.r.sharded:
			err = ps.SSubscribe(l.r.ctx, names...)
		case ops[0].subscribe:
			err = ps.Subscribe(l.r.ctx, names...)
		case l.r.sharded:
			err = ps.SUnsubscribe(l.r.ctx, names...)
		default:
			err = ps.Unsubscribe(l.r.ctx, names...)
		}
		// go-redis records the channels even when the write fails and
		// restores them on reconnect, so carry on with the rest.
		if err != nil && firstErr == nil {
			firstErr = err
		}
		ops = ops[n:]
	}
	return firstErr
}

// ping sends a PING whose PONG releases waiters (and marks the link up).
func (l *link) ping(ps *goredis.PubSub, waiters []chan struct{}) {
	l.mu.Lock()
	l.seq++
	token := l.seq
	l.inflight = append(l.inflight, pingWaiters{token: token, waiters: waiters})
	l.mu.Unlock()
	if err := ps.Ping(l.r.ctx, "p"+strconv.FormatUint(token, 10)); err != nil {
		l.mu.Lock()
		for i, pw := range l.inflight {
			if pw.token == token {
				l.inflight = append(l.inflight[:i], l.inflight[i+1:]...)
				break
			}
		}
		l.mu.Unlock()
		release(waiters)
	}
}

// replacePubSub closes a silent connection and opens a new one subscribed to
// every channel the old one had.
func (l *link) replacePubSub(old *goredis.PubSub) *goredis.PubSub {
	ps := l.newPubSub(l.r.redisChannels(l)...)
	l.mu.Lock()
	l.ps = ps
	l.mu.Unlock()
	_ = old.Close() // the reader sees the error and moves to the new one
	return ps
}

func (l *link) readLoop() {
	for {
		l.mu.Lock()
		ps := l.ps
		l.mu.Unlock()
		msg, err := ps.Receive(l.r.ctx)
		if err != nil {
			select {
			case <-l.r.done:
				return
			default:
			}
			l.setDown(err)
			l.mu.Lock()
			replaced := l.ps != ps
			l.mu.Unlock()
			if !replaced && !l.r.sleep(l.r.opts.RetryInterval) {
				return
			}
			continue
		}
		switch m := msg.(type) {
		case *goredis.Message:
			l.dispatch(m)
		case *goredis.Pong:
			l.pong(m.Payload)
		}
	}
}

func (l *link) dispatch(m *goredis.Message) {
	if m.Channel == l.probe {
		l.lastProbe.Store(time.Now().UnixNano())
		return
	}
	if m.Channel == l.nodesChannel && l.nodesChannel != "" {
		l.r.nodes.event(m.Payload)
		return
	}
	channel, ok := strings.CutPrefix(m.Channel, l.prefix)
	if !ok {
		return
	}
	l.r.deliver(channel, []byte(m.Payload))
}

func (l *link) pong(payload string) {
	token, err := strconv.ParseUint(strings.TrimPrefix(payload, "p"), 10, 64)
	if err != nil {
		return
	}
	var released []pingWaiters
	l.mu.Lock()
	for len(l.inflight) > 0 && l.inflight[0].token <= token {
		released = append(released, l.inflight[0])
		l.inflight = l.inflight[1:]
	}
	becameUp := !l.up && token >= l.downSeq
	if becameUp {
		l.up, l.upSince = true, time.Now()
		l.lastProbe.Store(time.Now().UnixNano())
		select {
		case <-l.firstUp:
		default:
			close(l.firstUp)
		}
	}
	l.mu.Unlock()
	for _, pw := range released {
		release(pw.waiters)
	}
	if becameUp {
		l.r.linkChanged(l, true, nil)
	}
}

// setDown marks the link down after a connection error and releases every
// waiter: the subscriptions come back with the connection.
func (l *link) setDown(err error) {
	l.mu.Lock()
	wasUp := l.up
	l.up = false
	l.downSeq = l.seq + 1
	inflight, waiting := l.inflight, l.waiting
	l.inflight, l.waiting = nil, nil
	l.mu.Unlock()
	for _, pw := range inflight {
		release(pw.waiters)
	}
	release(waiting)
	if wasUp {
		l.r.linkChanged(l, false, err)
	}
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// markSilent asks the writer to replace the connection.
func (l *link) markSilent() {
	l.mu.Lock()
	l.recreate = true
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// status reports whether the link is up, and since when.
func (l *link) status() (up bool, since time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.up, l.upSince
}

func (l *link) close() {
	l.mu.Lock()
	l.closed = true
	ps, inflight, waiting := l.ps, l.inflight, l.waiting
	l.inflight, l.waiting = nil, nil
	l.mu.Unlock()
	_ = ps.Close()
	for _, pw := range inflight {
		release(pw.waiters)
	}
	release(waiting)
}

func release(waiters []chan struct{}) {
	for _, w := range waiters {
		close(w)
	}
}

// deliver hands one Redis message to the channel's Receiver.
func (r *Redis) deliver(channel string, frame []byte) {
	r.subMu.RLock()
	defer r.subMu.RUnlock()
	s := r.subs[channel]
	if s == nil {
		return // unsubscribed meanwhile
	}
	sent, err := decodeFrame(frame, func(p []byte) { s.recv(channel, p) })
	if err != nil {
		r.stats.badFrame(r.log, channel, err)
		return
	}
	r.stats.lag.Store(int64(time.Since(sent)))
}

// redisChannels lists the Redis channels of l's current subscriptions.
func (r *Redis) redisChannels(l *link) []string {
	r.subMu.RLock()
	defer r.subMu.RUnlock()
	var names []string
	for ch := range r.subs {
		if r.linkOf(ch) == l {
			names = append(names, l.prefix+ch)
		}
	}
	return names
}

// probeLoop publishes a probe on every link each ProbeInterval and replaces
// a link whose probes stopped arriving although Redis answers.
func (r *Redis) probeLoop() {
	t := time.NewTicker(r.opts.ProbeInterval)
	defer t.Stop()
	silentAfter := silentProbes * r.opts.ProbeInterval
	for {
		select {
		case <-r.done:
			return
		case <-t.C:
		}
		for _, l := range r.links {
			up, since := l.status()
			if !up {
				continue
			}
			ctx, cancel := context.WithTimeout(r.ctx, r.opts.ProbeInterval)
			var err error
			if r.sharded {
				err = r.client.SPublish(ctx, l.probe, "").Err()
			} else {
				err = r.client.Publish(ctx, l.probe, "").Err()
			}
			cancel()
			last := time.Unix(0, l.lastProbe.Load())
			if err == nil && time.Since(since) > silentAfter && time.Since(last) > silentAfter {
				r.stats.silentLinks.Add(1)
				r.log.Warn("redis backplane: subscription connection silent, replacing it",
					"node", r.id, "link", l.index, "last_probe", last)
				l.markSilent()
			}
		}
	}
}

func (l *link) wakeUp() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}
