package redis

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// publishTimeout bounds one publishing round trip, so a connection that
// stopped answering is noticed.
const publishTimeout = 5 * time.Second

// outbox holds the messages waiting to be published, in order, and its
// goroutine sends them: everything queued, up to MaxBatch messages, goes in
// one pipelined round trip, the messages of one channel packed into frames.
// While a round trip is under way new messages queue up for the next one,
// so batches grow with the load and a lone message goes out at once.
type outbox struct {
	r    *Redis
	wake chan struct{}
	// sendMu serializes sendBatch between the goroutine and Close's drain;
	// it guards conn and hadConn.
	sendMu sync.Mutex

	// With classic pub/sub on a *redis.Client (one server, or Sentinel) the
	// outbox publishes over one connection of its own, conn, taken from
	// single, and never through a connection it has not checked: a new
	// connection may reach a Redis that restarted (or a new master) before
	// every node noticed and subscribed again there, and what is published
	// then is lost to those nodes. See awaitSubscribers.
	single  *goredis.Client
	conn    *goredis.Conn
	hadConn bool
	// gating is true while awaitSubscribers waits (the tests watch it).
	gating atomic.Bool

	mu    sync.Mutex
	items []outItem // items[head:] are waiting
	head  int
	bytes int

	// The sender's scratch space, reused across batches.
	batch  []outItem
	frames []outFrame
	index  map[string]int
	cmds   []*goredis.IntCmd
}

type outItem struct {
	channel string
	payload []byte
	at      time.Time
}

type outFrame struct {
	channel string
	buf     []byte
	items   []int // indexes into batch
}

func newOutbox(r *Redis) *outbox {
	o := &outbox{r: r, wake: make(chan struct{}, 1), index: make(map[string]int)}
	if c, ok := r.pub.(*goredis.Client); ok && !r.sharded {
		o.single = c
	}
	return o
}

func (o *outbox) push(channel string, payload []byte) error {
	opts := &o.r.opts
	o.mu.Lock()
	if len(o.items)-o.head >= opts.OutboxMessages || o.bytes+len(payload) > opts.OutboxBytes {
		o.mu.Unlock()
		o.r.stats.drop(o.r.log, 1, "outbox full")
		return ErrOutboxFull
	}
	o.items = append(o.items, outItem{channel: channel, payload: payload, at: time.Now()})
	o.bytes += len(payload)
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return nil
}

// depth reports the messages and bytes waiting.
func (o *outbox) depth() (int, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.items) - o.head, o.bytes
}

func (o *outbox) run() {
	for {
		select {
		case <-o.r.done:
			return
		case <-o.wake:
		}
		for {
			if !o.r.linksUp() {
				// A subscription connection is down, so Redis probably
				// is: publishing now could reach Redis the moment it
				// returns, before the nodes have subscribed again. Wait
				// as after a failed publish.
				if !o.awaitRedis(true) {
					return
				}
				continue
			}
			sent, err := o.sendBatch(o.r.ctx)
			if err != nil {
				o.r.pubChanged(false, err)
				if !o.awaitRedis(false) {
					return
				}
				o.r.pubChanged(true, nil)
				continue
			}
			if sent == 0 {
				break
			}
		}
	}
}

// drain sends what is queued until the outbox is empty, ctx ends or Redis
// fails. Close uses it.
func (o *outbox) drain(ctx context.Context) {
	for ctx.Err() == nil {
		if sent, err := o.sendBatch(ctx); err != nil || sent == 0 {
			return
		}
	}
}

// sendBatch publishes the oldest waiting messages, up to MaxBatch, and
// removes those Redis took. It returns how many were taken.
func (o *outbox) sendBatch(ctx context.Context) (int, error) {
	o.sendMu.Lock()
	defer o.sendMu.Unlock()
	o.mu.Lock()
	o.dropAgedLocked()
	n := min(len(o.items)-o.head, o.r.opts.MaxBatch)
	o.batch = append(o.batch[:0], o.items[o.head:o.head+n]...)
	o.mu.Unlock()
	if n == 0 {
		return 0, nil
	}

	o.buildFrames()
	pipe, err := o.pipeline(ctx)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	o.cmds = o.cmds[:0]
	for i := range o.frames {
		f := &o.frames[i]
		name := o.r.linkOf(f.channel).prefix + f.channel
		if o.r.sharded {
			o.cmds = append(o.cmds, pipe.SPublish(ctx, name, f.buf))
		} else {
			o.cmds = append(o.cmds, pipe.Publish(ctx, name, f.buf))
		}
	}
	_, err = pipe.Exec(ctx)
	if err == nil {
		o.remove(n, nil)
		return n, nil
	}
	o.dropConn()
	// Keep what Redis did not take, in order; drop the rest from the queue.
	taken := make([]bool, n)
	count := 0
	for i, cmd := range o.cmds {
		if cmd.Err() == nil {
			for _, it := range o.frames[i].items {
				taken[it] = true
				count++
			}
		}
	}
	o.remove(n, taken)
	return count, err
}

// pipeline returns the pipeline a batch is published with: on the outbox's
// own connection when it has one (a new one once the nodes' subscriptions
// are in place on the Redis it reaches), else on the publishing client.
func (o *outbox) pipeline(ctx context.Context) (goredis.Pipeliner, error) {
	if o.single == nil {
		return o.r.pub.Pipeline(), nil
	}
	if o.conn == nil {
		conn := o.single.Conn()
		// The first connection is made as the node starts, when the others
		// are subscribed already or are not nodes yet.
		if o.hadConn {
			if err := o.awaitSubscribers(ctx, conn); err != nil {
				_ = conn.Close()
				return nil, err
			}
		}
		o.conn, o.hadConn = conn, true
	}
	return o.conn.Pipeline(), nil
}

// dropConn closes the outbox's connection after an error, so the next batch
// goes out on a new, checked one. A connection that failed once is never used
// again: go-redis would not replace it silently, but the outbox cannot tell a
// Redis that went away from one that merely answered late.
func (o *outbox) dropConn() {
	if o.conn != nil {
		_ = o.conn.Close()
		o.conn = nil
	}
}

// closeConn closes the outbox's connection when the node closes.
func (o *outbox) closeConn() {
	o.sendMu.Lock()
	defer o.sendMu.Unlock()
	o.dropConn()
}

// awaitSubscribers waits, for at most NodeTimeout, until the Redis that conn
// reaches has the subscription connection of every node alive (this one
// included) subscribed, as PUBSUB NUMSUB of the nodes' probe channels tells:
// a link subscribes its probe channel in the same SUBSCRIBE as all its other
// channels, so a probe channel with a subscriber means that node's channels
// are all in place on this very server. Unlike the nodes' readiness marks,
// which live in Redis's data and may survive a restart, this cannot be
// fooled by anything from before the trouble. A node that died but is not
// declared dead yet never subscribes: after NodeTimeout the outbox goes on
// without it. It returns an error when conn fails (Redis is away again) or
// ctx ends.
func (o *outbox) awaitSubscribers(ctx context.Context, conn *goredis.Conn) error {
	r := o.r
	probes := r.nodes.probeChannels()
	o.gating.Store(true)
	defer o.gating.Store(false)
	deadline := time.Now().Add(r.opts.NodeTimeout)
	for {
		cctx, cancel := context.WithTimeout(ctx, r.opts.Heartbeat)
		counts, err := conn.PubSubNumSub(cctx, probes...).Result()
		cancel()
		if err != nil {
			return err
		}
		missing := 0
		for _, p := range probes {
			if counts[p] == 0 {
				missing++
			}
		}
		if missing == 0 {
			return nil
		}
		if !time.Now().Before(deadline) {
			r.log.Warn("redis backplane: publishing before every node restored its subscriptions",
				"node", r.id, "missing", missing, "waited", r.opts.NodeTimeout)
			return nil
		}
		t := time.NewTimer(awaitPoll)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// buildFrames packs o.batch into frames. With classic pub/sub a frame is a
// run of consecutive messages for one channel, so the frames go out in the
// order of the messages and one subscription connection receives them in
// that order: a publisher's order holds across channels. With sharded
// pub/sub, where channels live on different connections anyway, a frame
// takes every message of its channel in the batch, keeping only each
// channel's order. A frame never passes MaxFrameBytes unless a single
// payload does.
func (o *outbox) buildFrames() {
	for i := range o.frames {
		o.frames[i].items = o.frames[i].items[:0]
	}
	frames := o.frames[:0]
	clear(o.index)
	now := time.Now()
	for i, it := range o.batch {
		fi, ok := o.index[it.channel]
		if ok && !o.r.sharded && fi != len(frames)-1 {
			ok = false // another channel came in between
		}
		if ok && len(frames[fi].items) > 0 && len(frames[fi].buf)+len(it.payload) > o.r.opts.MaxFrameBytes {
			ok = false
		}
		if !ok {
			fi = len(frames)
			if fi < cap(frames) {
				frames = frames[:fi+1]
			} else {
				frames = append(frames, outFrame{})
			}
			f := &frames[fi]
			f.channel = it.channel
			f.buf = appendFrameHeader(f.buf[:0], now)
			f.items = f.items[:0]
			o.index[it.channel] = fi
		}
		f := &frames[fi]
		f.buf = appendFramePayload(f.buf, it.payload)
		f.items = append(f.items, i)
	}
	o.frames = frames
}

// remove takes the first n waiting items off the queue, except those not
// taken (when taken is not nil), which stay at the head in their order.
func (o *outbox) remove(n int, taken []bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	// Walk backwards, moving kept items towards the end of the n: a kept item
	// never lands on one not yet looked at.
	w := o.head + n
	for i := n - 1; i >= 0; i-- {
		it := o.items[o.head+i]
		if taken == nil || taken[i] {
			o.bytes -= len(it.payload)
			continue
		}
		w--
		o.items[w] = it
	}
	clear(o.items[o.head:w])
	o.head = w
	if o.head == len(o.items) {
		o.items, o.head = o.items[:0], 0
	} else if o.head > len(o.items)/2 && o.head > 1024 {
		m := copy(o.items, o.items[o.head:])
		clear(o.items[m:])
		o.items, o.head = o.items[:m], 0
	}
}

// dropAgedLocked drops waiting messages older than OutboxAge: after that
// long they would surprise more than help.
func (o *outbox) dropAgedLocked() {
	cutoff := time.Now().Add(-o.r.opts.OutboxAge)
	n := 0
	for o.head+n < len(o.items) && o.items[o.head+n].at.Before(cutoff) {
		o.bytes -= len(o.items[o.head+n].payload)
		n++
	}
	if n > 0 {
		clear(o.items[o.head : o.head+n])
		o.head += n
		o.r.stats.drop(o.r.log, n, "older than OutboxAge")
	}
}

// awaitRedis waits until Redis answers again and, when it had been
// unreachable, until the other nodes have restored their subscriptions, so
// that the outbox is not flushed into channels nobody listens to yet (outage
// says that it was unreachable before the first attempt). It reports false
// when the node closes meanwhile.
func (o *outbox) awaitRedis(outage bool) bool {
	r := o.r
	// Redis's time now, when the trouble is noticed: a node that says its
	// subscriptions are in place after it has them back.
	since := r.nodes.redisNow()
	for {
		ctx, cancel := context.WithTimeout(r.ctx, publishTimeout)
		err := r.pub.Ping(ctx).Err()
		cancel()
		if err == nil {
			break
		}
		outage = true
		if !r.sleep(r.opts.RetryInterval) {
			return false
		}
	}
	if outage {
		r.nodes.awaitSubscribed(since)
	}
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}
