package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/listhub/listhub/backplane"
)

var _ backplane.Backplane = (*Redis)(nil)

// ErrOutboxFull is returned by Publish when the messages waiting to be sent
// already fill Options.OutboxMessages or Options.OutboxBytes, typically
// because Redis has been unreachable for a while. The message is dropped and
// counted in Health.
var ErrOutboxFull = errors.New("redis backplane: outbox full, message dropped")

// publishingPoolSize is the pool size of the publishing client.
const publishingPoolSize = 256

// closeTimeout bounds what Close spends on flushing the outbox and leaving
// the node set.
const closeTimeout = 2 * time.Second

// Redis is one node of a cluster whose nodes reach each other through Redis
// pub/sub. It is safe for concurrent use. See the package documentation for
// the channel and key layout and the outage guarantees.
type Redis struct {
	client goredis.UniversalClient
	// pub is the client the outbox publishes with (see publishingClient);
	// ownPub says the backplane made it and closes it.
	pub     goredis.UniversalClient
	ownPub  bool
	opts    Options
	log     *slog.Logger
	id      backplane.NodeID
	sharded bool
	links   []*link

	// subMu guards subs; it is held for reading while a Receiver runs, so
	// Unsubscribe (which takes it for writing) waits out a delivery.
	subMu sync.RWMutex
	subs  map[string]*subscription

	out   *outbox
	nodes *nodeWatch
	stats stats

	closed    atomic.Bool
	done      chan struct{} // closed by Close or kill
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

type subscription struct {
	recv backplane.Receiver
}

// New starts a node on client: it registers the node in Redis's node set
// (which fails if Redis cannot be reached) and starts its heartbeat,
// subscription and publishing goroutines. The caller keeps ownership of
// client and closes it after Close. opts may be nil for every default.
func New(ctx context.Context, client goredis.UniversalClient, opts *Options) (*Redis, error) {
	if client == nil {
		return nil, errors.New("redis backplane: nil client")
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	var inc [8]byte
	_, _ = rand.Read(inc[:])
	r := &Redis{
		client: client,
		opts:   o,
		log:    o.Logger,
		id:     backplane.NodeID(o.NodeName + "-" + hex.EncodeToString(inc[:])),
		subs:   make(map[string]*subscription),
		done:   make(chan struct{}),
	}
	r.pub, r.ownPub = publishingClient(client)
	_, isCluster := client.(*goredis.ClusterClient)
	r.sharded = o.Sharding == ShardingOn || (o.Sharding == ShardingAuto && isCluster)
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.out = newOutbox(r)
	r.nodes = newNodeWatch(r)

	if r.sharded {
		for i, tag := range slotTags(o.Shards) {
			r.links = append(r.links, newLink(r, i, "{"+tag+"}"))
		}
	} else {
		r.links = []*link{newLink(r, 0, "")}
	}
	// The first beat both checks that Redis is there and makes this node
	// visible to LiveNodes of the others before New returns.
	if err := r.nodes.beat(ctx, false); err != nil {
		r.cancel()
		if r.ownPub {
			_ = r.pub.Close()
		}
		return nil, fmt.Errorf("redis backplane: register node: %w", err)
	}
	r.stats.since = time.Now()
	for _, l := range r.links {
		l.start()
		l.wakeUp()
	}
	for _, l := range r.links {
		select {
		case <-l.firstUp:
		case <-ctx.Done():
			r.shutdown(false)
			return nil, fmt.Errorf("redis backplane: subscription connection: %w", ctx.Err())
		}
	}
	// The others add this node to their view at once, rather than at their
	// next beat: a node holding an outbox after an outage waits for every
	// node in its view.
	if err := r.nodes.announce(ctx, '+'); err != nil {
		r.shutdown(false)
		return nil, fmt.Errorf("redis backplane: announce node: %w", err)
	}
	r.wg.Go(r.out.run)
	r.wg.Go(r.nodes.run)
	r.wg.Go(r.probeLoop)
	return r, nil
}

// NodeID is this node's id: Options.NodeName and a random incarnation.
func (r *Redis) NodeID() backplane.NodeID { return r.id }

// Publish queues payload for channel and returns; the publishing goroutine
// sends queued messages in batches, one pipelined round trip per batch, in
// the order they were published: with classic pub/sub the other nodes see
// one publisher's messages in that order across channels, with sharded
// pub/sub per channel. While Redis is unreachable messages wait in the outbox
// (see Options.OutboxMessages); when it is full Publish returns
// ErrOutboxFull.
func (r *Redis) Publish(ctx context.Context, channel string, payload []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redis backplane: publish: %w", err)
	}
	if r.closed.Load() {
		return backplane.ErrClosed
	}
	return r.out.push(channel, payload)
}

// Subscribe makes this node receive channel's messages through recv. When
// Redis is reachable it returns once Redis confirmed the subscription; when
// it is not, it returns at once and the subscription is made with the others
// when Redis returns.
func (r *Redis) Subscribe(ctx context.Context, channel string, recv backplane.Receiver) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redis backplane: subscribe: %w", err)
	}
	if recv == nil {
		return errors.New("redis backplane: subscribe: nil Receiver")
	}
	s := &subscription{recv: recv}
	l := r.linkOf(channel)
	r.subMu.Lock()
	if r.closed.Load() {
		r.subMu.Unlock()
		return backplane.ErrClosed
	}
	if _, ok := r.subs[channel]; ok {
		r.subMu.Unlock()
		return backplane.ErrAlreadySubscribed
	}
	r.subs[channel] = s
	// Queued under subMu, so Redis sees the operations on one channel in
	// the order the map saw them.
	confirmed := l.enqueue(true, l.prefix+channel)
	r.subMu.Unlock()

	select {
	case <-confirmed:
		return nil
	case <-ctx.Done():
		r.unsubscribe(channel, s)
		return fmt.Errorf("redis backplane: subscribe: %w", ctx.Err())
	case <-r.done:
		return backplane.ErrClosed
	}
}

// Unsubscribe stops delivery of channel to this node. It does not wait for
// Redis: the UNSUBSCRIBE is batched with others, and messages still arriving
// for channel are dropped.
func (r *Redis) Unsubscribe(ctx context.Context, channel string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redis backplane: unsubscribe: %w", err)
	}
	if r.closed.Load() {
		return backplane.ErrClosed
	}
	r.unsubscribe(channel, nil)
	if r.closed.Load() {
		return backplane.ErrClosed
	}
	return nil
}

// unsubscribe removes channel's subscription if it is s (or any, for nil).
func (r *Redis) unsubscribe(channel string, s *subscription) {
	r.subMu.Lock()
	defer r.subMu.Unlock()
	cur, ok := r.subs[channel]
	if !ok || (s != nil && cur != s) {
		return
	}
	delete(r.subs, channel)
	l := r.linkOf(channel)
	l.enqueue(false, l.prefix+channel)
}

// linkOf returns the subscription connection that carries channel.
func (r *Redis) linkOf(channel string) *link {
	if len(r.links) == 1 {
		return r.links[0]
	}
	return r.links[shardOf(channel, len(r.links))]
}

// Close leaves the cluster: it sends what the outbox holds (for at most 2 s),
// removes the node from the node set so the other nodes learn at once that
// it is gone, and stops every goroutine. No Receiver is called after Close
// returns. It does not close the client.
func (r *Redis) Close() error {
	r.shutdown(true)
	return nil
}

// kill stops the node as a crash would: no flush, no goodbye. The other
// nodes learn of it by the liveness rule. Tests use it.
func (r *Redis) kill() {
	r.shutdown(false)
}

func (r *Redis) shutdown(graceful bool) {
	r.closeOnce.Do(func() {
		r.subMu.Lock()
		r.closed.Store(true)
		clear(r.subs)
		r.subMu.Unlock()

		if graceful {
			ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
			r.out.drain(ctx)
			r.nodes.leave(ctx)
			cancel()
		}
		close(r.done)
		r.cancel()
		for _, l := range r.links {
			l.close()
		}
		r.wg.Wait()
		r.out.closeConn()
		r.nodes.endWatches()
		if r.ownPub {
			_ = r.pub.Close()
		}
	})
}

// publishingClient returns the client the outbox publishes with (and the
// node set is kept with): for a
// *redis.Client (single server or Sentinel) or a *redis.ClusterClient, a
// client with the same settings but no command retries and a single dial
// attempt, so that a publish fails at once while Redis is unreachable rather
// than succeeding after go-redis's retries, seconds later, when Redis is back
// but the other nodes have not subscribed again (the outbox waits for them).
// Other clients are used as they are.
func publishingClient(c goredis.UniversalClient) (goredis.UniversalClient, bool) {
	// go-redis stops dialling for a second once as many dials as PoolSize
	// have failed in a row; a pool of publishingPoolSize (connections are
	// made only when used: the outbox uses one at a time) keeps that from
	// delaying the return after an outage of less than about 20 s.
	// The copy gets no push-notification processor or maintenance
	// notifications of its own: those are the original client's, which it
	// set up, and sharing them fails.
	switch c := c.(type) {
	case *goredis.Client:
		o := *c.Options()
		o.MaxRetries, o.DialerRetries, o.PoolSize = -1, 1, publishingPoolSize
		o.PushNotificationProcessor = nil
		o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
		return goredis.NewClient(&o), true
	case *goredis.ClusterClient:
		o := *c.Options()
		o.MaxRetries, o.DialerRetries, o.PoolSize = -1, 1, publishingPoolSize
		o.PushNotificationProcessor = nil
		o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
		return goredis.NewClusterClient(&o), true
	}
	return c, false
}

// sleep waits d or until the node closes; it reports whether the node is
// still open.
func (r *Redis) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.done:
		return false
	}
}
