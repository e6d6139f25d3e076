package redis

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/listhub/listhub/backplane"
)

// beatScript records a beat and reads the node set, on Redis's clock so that
// the nodes' clocks need not agree. KEYS[1] is the node set (member: node id,
// score: last beat in Redis milliseconds), KEYS[2] the set of nodes whose
// subscriptions are in place (score: when they last said so). ARGV[1] is the
// node id ("" to only read), ARGV[2] the node timeout in ms, ARGV[3] "1" when
// the node's subscriptions are in place. Entries far older than the timeout
// are removed. It returns {now, {id, score, ...}}.
var beatScript = goredis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[1] ~= '' then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  if ARGV[3] == '1' then redis.call('ZADD', KEYS[2], now, ARGV[1]) end
end
local old = now - 10 * tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', old)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', old)
return {now, redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')}
`)

// readyScript reads Redis's clock and the set of nodes whose subscriptions
// are in place: {now, {id, score, ...}}.
var readyScript = goredis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return {now, redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')}
`)

// awaitPoll is how often awaitSubscribed looks at the other nodes.
const awaitPoll = 20 * time.Millisecond

// nodeWatch keeps this node's beat and the view of the other nodes: a node
// is alive while its last beat is at most NodeTimeout old on Redis's clock.
// Right after Redis returns from an outage (when it may have lost the node
// set) nobody is declared dead for one NodeTimeout, so the nodes have time to
// beat again.
type nodeWatch struct {
	r         *Redis
	keys      []string
	timeoutMs int64
	beatNow   chan struct{}

	mu         sync.Mutex
	live       map[backplane.NodeID]bool
	gone       map[backplane.NodeID]bool
	reachable  bool
	restoredAt time.Time
	lastNow    int64              // Redis time of the last successful beat, ms
	lastNowAt  time.Time          // local time when lastNow was read
	leftQueue  []backplane.NodeID // announced their leaving, to be reported
	watchers   map[uint64]func(backplane.NodeID)
	nextWatch  uint64
	ended      bool

	callMu sync.Mutex // serializes watcher calls
}

func newNodeWatch(r *Redis) *nodeWatch {
	tag := r.opts.Prefix + "{nodes}"
	return &nodeWatch{
		r:         r,
		keys:      []string{tag, tag + ":subscribed"},
		timeoutMs: r.opts.NodeTimeout.Milliseconds(),
		beatNow:   make(chan struct{}, 1),
		live:      map[backplane.NodeID]bool{},
		gone:      map[backplane.NodeID]bool{},
		watchers:  map[uint64]func(backplane.NodeID){},
	}
}

func (n *nodeWatch) run() {
	t := time.NewTicker(n.r.opts.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-n.r.done:
			return
		case <-t.C:
		case <-n.beatNow:
		}
		n.reportLeft()
		ctx, cancel := context.WithTimeout(n.r.ctx, n.r.opts.Heartbeat)
		_ = n.beat(ctx, n.r.linksUp())
		cancel()
	}
}

// beat records this node's beat and updates the view of the others,
// reporting nodes that are gone to the watchers.
func (n *nodeWatch) beat(ctx context.Context, subscribed bool) error {
	flag := "0"
	if subscribed {
		flag = "1"
	}
	now, members, err := n.runScript(ctx, beatScript, string(n.r.id), flag)
	n.mu.Lock()
	if err != nil {
		n.reachable = false
		n.mu.Unlock()
		return err
	}
	if !n.reachable {
		n.reachable, n.restoredAt = true, time.Now()
	}
	n.lastNow, n.lastNowAt = now, time.Now()
	alive := n.aliveLocked(now, members)
	grace := time.Since(n.restoredAt) < n.r.opts.NodeTimeout
	var goneNow []backplane.NodeID
	for id := range n.live {
		if alive[id] || id == n.r.id {
			continue
		}
		if grace {
			alive[id] = true
			continue
		}
		n.gone[id] = true
		goneNow = append(goneNow, id)
	}
	n.live = alive
	n.mu.Unlock()

	for _, id := range goneNow {
		n.r.log.Info("redis backplane: node gone", "node", n.r.id, "gone", id)
		n.notify(id)
	}
	return nil
}

// aliveLocked returns the nodes of members alive at now and not gone.
func (n *nodeWatch) aliveLocked(now int64, members map[backplane.NodeID]int64) map[backplane.NodeID]bool {
	alive := make(map[backplane.NodeID]bool, len(members))
	for id, score := range members {
		if now-score <= n.timeoutMs && !n.gone[id] {
			alive[id] = true
		}
	}
	return alive
}

func (n *nodeWatch) runScript(ctx context.Context, s *goredis.Script, id, flag string) (int64, map[backplane.NodeID]int64, error) {
	res, err := s.Run(ctx, n.r.pub, n.keys, id, n.timeoutMs, flag).Slice()
	if err != nil {
		return 0, nil, fmt.Errorf("redis backplane: node set: %w", err)
	}
	if len(res) != 2 {
		return 0, nil, fmt.Errorf("redis backplane: node set: unexpected reply %v", res)
	}
	now, _ := res[0].(int64)
	flat, _ := res[1].([]any)
	members := make(map[backplane.NodeID]int64, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		id, _ := flat[i].(string)
		score, _ := flat[i+1].(string)
		ms, err := strconv.ParseFloat(score, 64)
		if err != nil || id == "" {
			continue
		}
		members[backplane.NodeID(id)] = int64(ms)
	}
	return now, members, nil
}

// liveNodes reads the node set afresh.
func (n *nodeWatch) liveNodes(ctx context.Context) ([]backplane.NodeID, error) {
	now, members, err := n.runScript(ctx, beatScript, "", "0")
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	alive := n.aliveLocked(now, members)
	for id := range n.live { // nodes in their grace period after an outage
		alive[id] = alive[id] || !n.gone[id]
	}
	n.mu.Unlock()
	alive[n.r.id] = true
	ids := make([]backplane.NodeID, 0, len(alive))
	for id, ok := range alive {
		if ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// redisNow estimates Redis's time now, ms, from the last successful beat
// and the local time passed since (the two clocks run at the same rate). A
// node that says its subscriptions are in place after this moment has them
// back after whatever is going wrong now; after a failover the replica also
// holds the nodes' earlier marks, which must not count.
func (n *nodeWatch) redisNow() int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lastNow + time.Since(n.lastNowAt).Milliseconds()
}

// awaitSubscribed waits, for at most NodeTimeout, until every node known to
// be alive has said after since (Redis time, ms: when the trouble was
// noticed) that its subscriptions are in place again.
func (n *nodeWatch) awaitSubscribed(since int64) {
	n.mu.Lock()
	want := make([]backplane.NodeID, 0, len(n.live)+1)
	for id := range n.live {
		want = append(want, id)
	}
	n.mu.Unlock()
	want = append(want, n.r.id)
	n.requestBeat()

	deadline := time.Now().Add(n.r.opts.NodeTimeout)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(n.r.ctx, n.r.opts.Heartbeat)
		_, ready, err := n.runScript(ctx, readyScript, "", "0")
		cancel()
		if err == nil {
			missing := 0
			for _, id := range want {
				if ready[id] <= since {
					missing++
				}
			}
			if missing == 0 {
				n.r.log.Debug("redis backplane: every node subscribed again", "node", n.r.id, "since", since, "ready", ready)
				return
			}
		}
		if !n.r.sleep(awaitPoll) {
			return
		}
	}
	n.r.log.Warn("redis backplane: flushing the outbox before every node restored its subscriptions",
		"node", n.r.id, "waited", n.r.opts.NodeTimeout)
}

// probeChannels returns the probe channel of every node alive, this one
// included, with classic pub/sub (one link per node).
func (n *nodeWatch) probeChannels() []string {
	prefix := n.r.opts.Prefix + "probe:"
	n.mu.Lock()
	defer n.mu.Unlock()
	probes := []string{prefix + string(n.r.id)}
	for id := range n.live {
		if id != n.r.id {
			probes = append(probes, prefix+string(id))
		}
	}
	return probes
}

func (n *nodeWatch) requestBeat() {
	select {
	case n.beatNow <- struct{}{}:
	default:
	}
}

// event handles a node's announcement: "+<id>" when it started (the next
// beat, asked for now, reads it into the view), "-<id>" when it closed (the
// heartbeat goroutine reports it gone).
func (n *nodeWatch) event(payload string) {
	if len(payload) < 2 {
		return
	}
	id := backplane.NodeID(payload[1:])
	if id == n.r.id || !backplane.ValidNodeID(id) {
		return
	}
	if payload[0] == '-' {
		n.mu.Lock()
		n.leftQueue = append(n.leftQueue, id)
		n.mu.Unlock()
	}
	n.requestBeat()
}

// announce publishes a node event ('+' or '-') for this node.
func (n *nodeWatch) announce(ctx context.Context, kind byte) error {
	ch, msg := n.r.links[0].nodesChannel, string(kind)+string(n.r.id)
	if n.r.sharded {
		return n.r.pub.SPublish(ctx, ch, msg).Err()
	}
	return n.r.pub.Publish(ctx, ch, msg).Err()
}

// markReady records at once that this node's subscriptions are in place, so
// that a node holding messages for it after an outage need not wait for its
// next beat.
func (n *nodeWatch) markReady() {
	// Right after an outage the first call may meet a dead pooled
	// connection: try again rather than wait for the next beat.
	for deadline := time.Now().Add(n.r.opts.NodeTimeout); time.Now().Before(deadline); {
		ctx, cancel := context.WithTimeout(n.r.ctx, n.r.opts.Heartbeat)
		err := n.beat(ctx, true)
		cancel()
		if err == nil || !n.r.sleep(n.r.opts.RetryInterval/4) {
			return
		}
	}
}

func (n *nodeWatch) reportLeft() {
	n.mu.Lock()
	var goneNow []backplane.NodeID
	for _, id := range n.leftQueue {
		if !n.gone[id] {
			n.gone[id] = true
			delete(n.live, id)
			goneNow = append(goneNow, id)
		}
	}
	n.leftQueue = nil
	n.mu.Unlock()
	for _, id := range goneNow {
		n.r.log.Info("redis backplane: node left", "node", n.r.id, "gone", id)
		n.notify(id)
	}
}

// leave removes this node from the node set: the others see it gone at
// their next beat.
func (n *nodeWatch) leave(ctx context.Context) {
	pipe := n.r.pub.TxPipeline()
	pipe.ZRem(ctx, n.keys[0], string(n.r.id))
	pipe.ZRem(ctx, n.keys[1], string(n.r.id))
	_, err := pipe.Exec(ctx)
	if err == nil {
		err = n.announce(ctx, '-')
	}
	if err != nil {
		n.r.log.Warn("redis backplane: could not leave the node set; the others will time this node out",
			"node", n.r.id, "err", err)
	}
}

func (n *nodeWatch) watch(fn func(backplane.NodeID)) func() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ended {
		return func() {}
	}
	n.nextWatch++
	key := n.nextWatch
	n.watchers[key] = fn
	return func() {
		n.mu.Lock()
		delete(n.watchers, key)
		n.mu.Unlock()
	}
}

func (n *nodeWatch) notify(id backplane.NodeID) {
	n.callMu.Lock()
	defer n.callMu.Unlock()
	n.mu.Lock()
	fns := make([]func(backplane.NodeID), 0, len(n.watchers))
	for _, fn := range n.watchers {
		fns = append(fns, fn)
	}
	n.mu.Unlock()
	for _, fn := range fns {
		fn(id)
	}
}

func (n *nodeWatch) endWatches() {
	n.mu.Lock()
	n.ended = true
	clear(n.watchers)
	n.mu.Unlock()
}

// LiveNodes returns the nodes alive by the liveness rule, this one included,
// read from Redis.
func (r *Redis) LiveNodes(ctx context.Context) ([]backplane.NodeID, error) {
	if r.closed.Load() {
		return nil, backplane.ErrClosed
	}
	return r.nodes.liveNodes(ctx)
}

// WatchNodes calls fn once for each node that is gone from now on: closed
// (noticed at the next beat, within Heartbeat) or dead (no beat for
// NodeTimeout). Calls come from the heartbeat goroutine, one at a time.
func (r *Redis) WatchNodes(fn func(gone backplane.NodeID)) (stop func()) {
	if r.closed.Load() {
		return func() {}
	}
	return r.nodes.watch(fn)
}
