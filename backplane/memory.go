package backplane

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync"
	"sync/atomic"
)

var _ Backplane = (*Memory)(nil)

// MemoryBus is a set of in-process nodes that reach each other: a message
// published on one node is delivered to every node of the bus subscribed to
// its channel. It serves tests and single-process clusters. The zero value is
// an empty bus ready to use; a MemoryBus must not be copied after first use.
type MemoryBus struct {
	// channels maps a channel name to its *memoryChannel. A sync.Map keeps
	// publishes to different channels from contending on one lock.
	channels sync.Map

	mu       sync.Mutex
	nodes    map[NodeID]*Memory       // the live nodes; guarded by mu
	watchers map[*nodeWatcher]*Memory // every watch and the node it watches from; guarded by mu
	made     uint64                   // nodes made so far, for their ids; guarded by mu
	busID    string                   // random tag in every node id; set once under mu
}

// NewMemoryBus returns an empty bus.
func NewMemoryBus() *MemoryBus {
	return new(MemoryBus)
}

// Node returns a new node on the bus. Its NodeID is "memory-<bus>-<n>",
// unique on the bus and, through a random bus tag, across buses.
func (b *MemoryBus) Node() *Memory {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.nodes == nil {
		b.nodes = make(map[NodeID]*Memory)
		b.watchers = make(map[*nodeWatcher]*Memory)
		var tag [4]byte
		_, _ = rand.Read(tag[:]) // never fails (crypto/rand crashes instead)
		b.busID = hex.EncodeToString(tag[:])
	}
	b.made++
	m := &Memory{
		bus:      b,
		id:       NodeID("memory-" + b.busID + "-" + strconv.FormatUint(b.made, 10)),
		channels: make(map[string]struct{}),
	}
	b.nodes[m.id] = m
	return m
}

// Kill makes the node with the given id die as a crashed process would:
// without a graceful close by its owner. The bus drops its subscriptions,
// every other node's watchers learn that it is gone, and the node's later
// calls return ErrClosed. It reports false when no live node has that id.
// Tests use it to show what a cluster does when a node disappears.
func (b *MemoryBus) Kill(id NodeID) bool {
	b.mu.Lock()
	m := b.nodes[id]
	b.mu.Unlock()
	if m == nil {
		return false
	}
	m.shutdown()
	return true
}

// gone removes m from the live nodes and tells every other node's watchers,
// and stops m's own watchers.
func (b *MemoryBus) gone(m *Memory) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.nodes[m.id] != m {
		return
	}
	delete(b.nodes, m.id)
	for w, owner := range b.watchers {
		if owner == m {
			delete(b.watchers, w)
			w.stop()
			continue
		}
		w.push(m.id)
	}
}

// memoryChannel holds one channel's subscribers. Its lock is held while a
// message is delivered, so every node sees the channel's messages in one
// order and Unsubscribe can wait out a delivery in progress.
type memoryChannel struct {
	mu sync.Mutex
	// subs is copy-on-write: it is replaced, never changed in place, so a
	// slice once read stays valid whatever happens to the subscriptions.
	subs []memorySub
	// dead marks a channel removed from the bus after its last subscriber
	// left. A goroutine that looked it up just before must look again, or a
	// new subscription would land on a channel no publisher can find.
	dead bool
}

type memorySub struct {
	node *Memory
	r    Receiver
}

func (b *MemoryBus) subscribe(channel string, s memorySub) {
	for {
		v, ok := b.channels.Load(channel)
		if !ok {
			v, _ = b.channels.LoadOrStore(channel, new(memoryChannel))
		}
		c := v.(*memoryChannel)
		c.mu.Lock()
		if c.dead {
			c.mu.Unlock()
			continue
		}
		subs := make([]memorySub, len(c.subs), len(c.subs)+1)
		copy(subs, c.subs)
		c.subs = append(subs, s)
		c.mu.Unlock()
		return
	}
}

func (b *MemoryBus) unsubscribe(channel string, node *Memory) {
	v, ok := b.channels.Load(channel)
	if !ok {
		return
	}
	c := v.(*memoryChannel)
	c.mu.Lock()
	defer c.mu.Unlock()
	i := 0
	for i < len(c.subs) && c.subs[i].node != node {
		i++
	}
	if i == len(c.subs) {
		return
	}
	if len(c.subs) == 1 {
		c.subs = nil
		c.dead = true
		b.channels.CompareAndDelete(channel, c)
		return
	}
	subs := make([]memorySub, 0, len(c.subs)-1)
	subs = append(subs, c.subs[:i]...)
	c.subs = append(subs, c.subs[i+1:]...)
}

func (b *MemoryBus) publish(channel string, payload []byte) {
	for {
		v, ok := b.channels.Load(channel)
		if !ok {
			return
		}
		if v.(*memoryChannel).deliver(channel, payload) {
			return
		}
	}
}

// deliver calls every subscriber's Receiver under the channel lock. It
// reports false, delivering nothing, if the channel has left the bus.
func (c *memoryChannel) deliver(channel string, payload []byte) bool {
	c.mu.Lock()
	// Deferred so that a panicking Receiver does not leave the channel locked.
	defer c.mu.Unlock()
	if c.dead {
		return false
	}
	for _, s := range c.subs {
		s.r(channel, payload)
	}
	return true
}

// Memory is a node of a MemoryBus. It implements Backplane in process:
// Publish delivers synchronously, in the publisher's goroutine, to the
// Receiver of every subscribed node, and returns after the last one. Each
// channel's messages are delivered in one global order, identical on every
// node; publishes to different channels proceed in parallel.
//
// Create a Memory with NewMemory or MemoryBus.Node; the zero value is not
// usable.
type Memory struct {
	bus    *MemoryBus
	id     NodeID
	closed atomic.Bool // read without mu by Publish

	mu       sync.Mutex          // serialises Subscribe, Unsubscribe and Close
	channels map[string]struct{} // this node's subscriptions; guarded by mu
}

// NewMemory returns a node on its own private bus: the backplane of a single
// server, where every published message comes back to the same node.
func NewMemory() *Memory {
	return NewMemoryBus().Node()
}

// Publish implements Backplane. It calls the subscribed receivers before
// returning. If ctx is already done it returns ctx.Err() and delivers
// nothing; once delivery has started it is not interrupted, so no node misses
// a message that another node saw.
func (m *Memory) Publish(ctx context.Context, channel string, payload []byte) error {
	if m.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.bus.publish(channel, payload)
	return nil
}

// Subscribe implements Backplane. It panics if r is nil.
func (m *Memory) Subscribe(ctx context.Context, channel string, r Receiver) error {
	if r == nil {
		panic("backplane: Subscribe with nil Receiver")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, ok := m.channels[channel]; ok {
		return ErrAlreadySubscribed
	}
	m.bus.subscribe(channel, memorySub{node: m, r: r})
	m.channels[channel] = struct{}{}
	return nil
}

// Unsubscribe implements Backplane. It waits for a delivery to channel in
// progress on another goroutine to finish.
func (m *Memory) Unsubscribe(ctx context.Context, channel string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, ok := m.channels[channel]; !ok {
		return nil
	}
	m.bus.unsubscribe(channel, m)
	delete(m.channels, channel)
	return nil
}

// Close implements Backplane. It removes all of this node's subscriptions
// and ends its watches; the other nodes of the bus learn at once that it is
// gone.
func (m *Memory) Close() error {
	m.shutdown()
	return nil
}

// Kill makes this node die without a graceful close; see MemoryBus.Kill.
// For the in-memory bus, where nothing is left behind, it has the effect
// of Close; it exists so that tests of a cluster can say what they mean.
func (m *Memory) Kill() {
	m.shutdown()
}

func (m *Memory) shutdown() {
	m.mu.Lock()
	if m.closed.Load() {
		m.mu.Unlock()
		return
	}
	m.closed.Store(true)
	for channel := range m.channels {
		m.bus.unsubscribe(channel, m)
	}
	m.channels = nil
	m.mu.Unlock()
	m.bus.gone(m)
}

// NodeID implements Backplane.
func (m *Memory) NodeID() NodeID { return m.id }

// LiveNodes implements Backplane: the bus knows at once when a node is
// closed or killed.
func (m *Memory) LiveNodes(ctx context.Context) ([]NodeID, error) {
	if m.closed.Load() {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b := m.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	ids := make([]NodeID, 0, len(b.nodes))
	for id := range b.nodes {
		ids = append(ids, id)
	}
	return ids, nil
}

// WatchNodes implements Backplane. Each watch has its own goroutine, which
// calls fn; it ends when stop is called or this node is closed. On a closed
// node WatchNodes does nothing and returns a no-op stop.
func (m *Memory) WatchNodes(fn func(gone NodeID)) (stop func()) {
	if fn == nil {
		panic("backplane: WatchNodes with nil func")
	}
	b := m.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	if m.closed.Load() || b.nodes[m.id] != m {
		return func() {}
	}
	w := &nodeWatcher{fn: fn, wake: make(chan struct{}, 1), done: make(chan struct{})}
	b.watchers[w] = m
	go w.run()
	return func() {
		b.mu.Lock()
		delete(b.watchers, w)
		b.mu.Unlock()
		w.stop()
	}
}

// nodeWatcher is one WatchNodes call: a queue of gone nodes and the
// goroutine that hands them to fn one at a time, with no lock held.
type nodeWatcher struct {
	fn   func(NodeID)
	wake chan struct{} // capacity 1: "the queue is not empty"
	done chan struct{} // closed by stop

	mu      sync.Mutex
	queue   []NodeID // guarded by mu
	stopped bool     // guarded by mu
}

func (w *nodeWatcher) push(id NodeID) {
	w.mu.Lock()
	if !w.stopped {
		w.queue = append(w.queue, id)
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *nodeWatcher) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.stopped = true
		w.queue = nil
		close(w.done)
	}
}

func (w *nodeWatcher) run() {
	for {
		select {
		case <-w.done:
			return
		case <-w.wake:
		}
		for {
			w.mu.Lock()
			if w.stopped || len(w.queue) == 0 {
				w.mu.Unlock()
				break
			}
			id := w.queue[0]
			w.queue = w.queue[1:]
			w.mu.Unlock()
			w.fn(id)
		}
	}
}
