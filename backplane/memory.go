package backplane

import (
	"context"
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
}

// NewMemoryBus returns an empty bus.
func NewMemoryBus() *MemoryBus {
	return new(MemoryBus)
}

// Node returns a new node on the bus.
func (b *MemoryBus) Node() *Memory {
	return &Memory{bus: b, channels: make(map[string]struct{})}
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

// Close implements Backplane. It removes all of this node's subscriptions;
// the other nodes of the bus are unaffected.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed.Load() {
		return nil
	}
	m.closed.Store(true)
	for channel := range m.channels {
		m.bus.unsubscribe(channel, m)
	}
	m.channels = nil
	return nil
}
