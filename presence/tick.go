package presence

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Tick runs the node's periodic work once, as the background goroutines do:
// it beats the node's liveness (when Options.BeatInterval has passed), reaps
// dead nodes, expires timed-out and disconnected connections, retries failed
// removals, refreshes the store (every Options.RefreshInterval) and reports
// due diffs. Only needed with Options.ManualTick, where a test drives a fake
// clock.
func (t *Tracker) Tick(ctx context.Context) error {
	t.mu.RLock()
	closed := t.closed
	t.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	return t.tick(ctx, true)
}

func (t *Tracker) tick(ctx context.Context, withBeat bool) error {
	t.tickMu.Lock()
	defer t.tickMu.Unlock()
	var errs []error
	if withBeat {
		if err := t.beat(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	now := t.opts.Now()
	if now.Sub(t.lastReap) >= t.opts.BeatInterval {
		t.lastReap = now
		if err := t.reap(ctx, now); err != nil {
			errs = append(errs, err)
		}
	}
	if err := t.expire(ctx, now.UnixNano()); err != nil {
		errs = append(errs, err)
	}
	if err := t.retryLeaves(ctx); err != nil {
		errs = append(errs, err)
	}
	if now.Sub(t.lastRefresh) >= t.opts.RefreshInterval {
		t.lastRefresh = now
		if err := t.refresh(ctx, now); err != nil {
			errs = append(errs, err)
		}
	}
	t.flushDiffs(now.UnixNano(), false)
	return errors.Join(errs...)
}

// beat records the node's liveness. When the store has reaped the node (it
// was silent too long: a pause, a partition), the node takes a new
// incarnation and joins its connections again, so the store and the events
// agree with what the node really holds.
func (t *Tracker) beat(ctx context.Context) error {
	now := t.opts.Now()
	node := t.Node()
	err := t.store.Beat(ctx, node, now, false)
	if errors.Is(err, ErrNodeGone) {
		return t.reincarnate(ctx, node)
	}
	if err != nil {
		return fmt.Errorf("presence: beat: %w", err)
	}
	return nil
}

func (t *Tracker) reincarnate(ctx context.Context, old string) error {
	node := t.opts.NodeID + "." + randomID()[:8]
	if err := t.store.Beat(ctx, node, t.opts.Now(), true); err != nil {
		return fmt.Errorf("presence: register new incarnation: %w", err)
	}
	t.mu.Lock()
	if t.node != old {
		t.mu.Unlock()
		return nil
	}
	t.node = node
	names := slices.Collect(maps.Keys(t.topics))
	t.mu.Unlock()
	t.opts.Logger.Warn("presence: node was reaped as dead; joining its connections again", "old", old, "node", node)
	var errs []error
	for _, name := range names {
		err := t.withTopic(name, false, func(lt *localTopic) error {
			t.mu.RLock()
			entries := slices.Collect(maps.Values(lt.entries))
			t.mu.RUnlock()
			for _, e := range entries {
				seen := e.seen.Load()
				ch, err := t.store.Join(ctx, Entry{
					Topic: name, ConnID: e.connID, UserID: e.userID, Node: node, Meta: e.meta,
					SeenAt: time.Unix(0, seen), ExpiresAt: t.lease(seen),
				})
				if err != nil {
					return err
				}
				e.flushed = seen
				t.emit(ch, seen)
			}
			return nil
		})
		if err != nil && !errors.Is(err, ErrClosed) {
			errs = append(errs, fmt.Errorf("presence: rejoin %q: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// reap removes the entries of dead nodes and reports their users' leaves.
func (t *Tracker) reap(ctx context.Context, now time.Time) error {
	changes, err := t.store.Reap(ctx, now.Add(-t.opts.DeadAfter))
	for _, ch := range changes {
		t.emit(ch, now.UnixNano())
	}
	if err != nil {
		return fmt.Errorf("presence: reap: %w", err)
	}
	return nil
}

// expire drains the wheel: connections past their deadline leave, one store
// call per topic and reason.
func (t *Tracker) expire(ctx context.Context, now int64) error {
	due := make(map[*localTopic][]*entry)
	t.mu.Lock()
	t.wheel.drain(now, func(e *entry) {
		if d, _ := t.deadline(e); d > now {
			t.wheel.add(e, d)
			return
		}
		due[e.topic] = append(due[e.topic], e)
	})
	t.mu.Unlock()

	var errs []error
	for lt, entries := range due {
		err := t.withTopic(lt.name, false, func(cur *localTopic) error {
			byReason := make(map[LeaveReason][]string)
			t.mu.Lock()
			for _, e := range entries {
				if cur.entries[e.connID] != e {
					continue // left or replaced meanwhile
				}
				d, reason := t.deadline(e)
				if d > now {
					t.wheel.add(e, d) // a heartbeat or join came meanwhile
					continue
				}
				t.removeLocked(e)
				byReason[reason] = append(byReason[reason], e.connID)
			}
			node := t.node
			t.mu.Unlock()
			var errs []error
			for _, reason := range []LeaveReason{Disconnected, TimedOut} {
				if ids := byReason[reason]; len(ids) > 0 {
					if err := t.leave(ctx, pendingLeave{topic: cur.name, node: node, connIDs: ids, reason: reason}); err != nil {
						errs = append(errs, err)
					}
				}
			}
			return errors.Join(errs...)
		})
		if err != nil && !errors.Is(err, ErrClosed) {
			errs = append(errs, fmt.Errorf("presence: expire in %q: %w", lt.name, err))
		}
	}
	return errors.Join(errs...)
}

// retryLeaves sends the removals that failed earlier again, except for
// connections that have joined the topic again since.
func (t *Tracker) retryLeaves(ctx context.Context) error {
	t.mu.Lock()
	pending := t.retry
	t.retry = nil
	t.mu.Unlock()
	var errs []error
	for _, p := range pending {
		err := t.withTopic(p.topic, true, func(lt *localTopic) error {
			t.mu.RLock()
			ids := slices.DeleteFunc(p.connIDs, func(id string) bool { return lt.entries[id] != nil })
			t.mu.RUnlock()
			if len(ids) == 0 {
				return nil
			}
			p.connIDs = ids
			return t.leave(ctx, p)
		})
		if err != nil && !errors.Is(err, ErrClosed) {
			errs = append(errs, fmt.Errorf("presence: retry leave in %q: %w", p.topic, err))
		}
	}
	return errors.Join(errs...)
}

// refresh sends each topic's new heartbeats in one store call per topic, and
// nothing for a topic where no connection beat since the last refresh.
func (t *Tracker) refresh(ctx context.Context, now time.Time) error {
	t.mu.RLock()
	names := slices.Collect(maps.Keys(t.topics))
	t.mu.RUnlock()
	var errs []error
	for _, name := range names {
		err := t.withTopic(name, false, func(lt *localTopic) error {
			var refs []Refresh
			var beat []*entry
			t.mu.RLock()
			node := t.node
			for _, e := range lt.entries {
				if seen := e.seen.Load(); seen != e.flushed {
					refs = append(refs, Refresh{ConnID: e.connID, SeenAt: time.Unix(0, seen), ExpiresAt: t.lease(seen)})
					beat = append(beat, e)
				}
			}
			t.mu.RUnlock()
			if len(refs) == 0 {
				return nil
			}
			ch, err := t.store.Refresh(ctx, name, node, refs, now)
			if err != nil {
				return err
			}
			for i, e := range beat {
				e.flushed = refs[i].SeenAt.UnixNano()
			}
			t.emit(ch, now.UnixNano())
			return nil
		})
		if err != nil && !errors.Is(err, ErrClosed) {
			errs = append(errs, fmt.Errorf("presence: refresh %q: %w", name, err))
		}
	}
	return errors.Join(errs...)
}
