package presence

// wheel is the tracker's one timer structure: connections hashed by deadline
// into slots of one tick each, drained by the node-wide tick. It is lazy: a
// heartbeat only moves the connection's last-seen time, and when its old slot
// comes due the connection is put back where its new deadline falls, so a
// heartbeat costs no wheel work and each connection is rehashed about once
// per timeout. An entry belongs to the slot in entry.slot; copies of it left
// in other slots are skipped.
type wheel struct {
	tick   int64 // nanoseconds per slot
	cursor int64 // the first slot not yet drained
	slots  map[int64][]*entry
}

// noSlot marks an entry that is in no slot: removed, or being expired.
const noSlot = -1 << 63

func newWheel(tick, now int64) wheel {
	return wheel{tick: tick, cursor: now / tick, slots: make(map[int64][]*entry)}
}

// add files e under the slot of deadline (never one already drained).
func (w *wheel) add(e *entry, deadline int64) {
	s := (deadline + w.tick - 1) / w.tick
	if s < w.cursor {
		s = w.cursor
	}
	if e.slot == s {
		return
	}
	e.slot = s
	w.slots[s] = append(w.slots[s], e)
}

// drain calls fn for every entry filed in a slot that ends by now, taking it
// off the wheel first (fn adds it back if its deadline moved).
func (w *wheel) drain(now int64, fn func(e *entry)) {
	last := now / w.tick
	first := w.cursor
	if last+1 > w.cursor {
		w.cursor = last + 1
	}
	take := func(s int64) {
		list := w.slots[s]
		delete(w.slots, s)
		for _, e := range list {
			if e.slot == s {
				e.slot = noSlot
				fn(e)
			}
		}
	}
	if last-first > int64(len(w.slots)) {
		// A long jump (a stalled process, a test clock): visit the filled
		// slots rather than every empty one in between.
		for s := range w.slots {
			if s <= last {
				take(s)
			}
		}
	} else {
		for s := first; s <= last; s++ {
			take(s)
		}
	}
}
