package hub

import (
	"context"
	"errors"
	"sync"

	"github.com/listhub/listhub/backplane"
)

// channelLocks gives every backplane channel its own lock, made on first use
// and dropped when nobody holds or waits for it. A channel's lock is held
// while its local membership changes together with the Subscribe or
// Unsubscribe that change causes, so the reference count and the
// subscription agree, and joins of different groups never wait for each
// other's backplane round trips. The map's own lock is held only to find a
// channel's lock, never across I/O.
type channelLocks struct {
	mu sync.Mutex
	m  map[string]*channelLock // guarded by mu
}

type channelLock struct {
	sync.Mutex
	users int // goroutines holding or waiting for the lock; guarded by channelLocks.mu
}

func (l *channelLocks) lock(channel string) *channelLock {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]*channelLock)
	}
	cl := l.m[channel]
	if cl == nil {
		cl = new(channelLock)
		l.m[channel] = cl
	}
	cl.users++
	l.mu.Unlock()
	cl.Lock()
	return cl
}

func (l *channelLocks) unlock(channel string, cl *channelLock) {
	cl.Unlock()
	l.mu.Lock()
	if cl.users--; cl.users == 0 {
		delete(l.m, channel)
	}
	l.mu.Unlock()
}

// subscribe makes this node receive channel. A single server, whose
// private backplane no other node shares, needs no subscriptions: its local
// recipients get every message directly.
func (r *registry) subscribe(ctx context.Context, channel string) error {
	if r.srv.solo {
		return ctx.Err()
	}
	err := r.srv.bp.Subscribe(ctx, channel, r.receive)
	if errors.Is(err, backplane.ErrAlreadySubscribed) {
		// Left over from an Unsubscribe that failed: the subscription is
		// the one wanted, with the same Receiver.
		return nil
	}
	return err
}

// unsubscribe stops receiving channel. It runs even when the caller's ctx
// is done, since a subscription nobody needs would stay forever; a failure
// is logged, and the next subscribe finds the channel still subscribed.
func (r *registry) unsubscribe(ctx context.Context, channel string) {
	if r.srv.solo {
		return
	}
	if err := r.srv.bp.Unsubscribe(context.WithoutCancel(ctx), channel); err != nil && !errors.Is(err, backplane.ErrClosed) {
		r.srv.cfg.Logger.Warn("hub: backplane unsubscribe failed", "channel", channel, "error", err)
	}
}
