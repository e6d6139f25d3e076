package presence

import "time"

// pendingDiff gathers a big topic's transitions until the next Diff.
type pendingDiff struct {
	since   int64
	version uint64
	joins   map[string]Member
	leaves  map[string]Member
}

// emit reports a change's transitions: one event each, or, for a topic with
// at least Options.CoalesceAbove members (or a diff already gathering), into
// the topic's next Diff.
func (t *Tracker) emit(ch Change, now int64) {
	if ch.empty() || t.opts.OnEvent == nil {
		return
	}
	t.emitMu.Lock()
	defer t.emitMu.Unlock()
	d := t.diffs[ch.Topic]
	big := t.opts.CoalesceAbove > 0 && ch.Members+len(ch.Left) >= t.opts.CoalesceAbove
	if d == nil && !big {
		for _, m := range ch.Left {
			t.opts.OnEvent(Event{Kind: Left, Topic: ch.Topic, Version: ch.Version, Member: m, Reason: ch.Reason})
		}
		for _, m := range ch.Joined {
			t.opts.OnEvent(Event{Kind: Joined, Topic: ch.Topic, Version: ch.Version, Member: m})
		}
		return
	}
	if d == nil {
		d = &pendingDiff{since: now, joins: make(map[string]Member), leaves: make(map[string]Member)}
		t.diffs[ch.Topic] = d
	}
	d.version = max(d.version, ch.Version)
	for _, m := range ch.Left {
		delete(d.joins, m.UserID)
		d.leaves[m.UserID] = m
	}
	for _, m := range ch.Joined {
		d.joins[m.UserID] = m
	}
}

// flushDiffs reports the diffs gathered for Options.CoalesceInterval (all of
// them with force).
func (t *Tracker) flushDiffs(now int64, force bool) {
	t.emitMu.Lock()
	defer t.emitMu.Unlock()
	for topic, d := range t.diffs {
		if !force && time.Duration(now-d.since) < t.opts.CoalesceInterval {
			continue
		}
		delete(t.diffs, topic)
		if len(d.joins) == 0 && len(d.leaves) == 0 {
			continue
		}
		ev := Event{Kind: Diff, Topic: topic, Version: d.version}
		for _, m := range d.joins {
			ev.Joins = append(ev.Joins, m)
		}
		for _, m := range d.leaves {
			ev.Leaves = append(ev.Leaves, m)
		}
		SortMembers(ev.Joins)
		SortMembers(ev.Leaves)
		t.opts.OnEvent(ev)
	}
}
