package redisstore

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/listhub/listhub/presence"
)

var errReply = errors.New("presence/redisstore: unexpected script reply")

func str(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	}
	return "", fmt.Errorf("%w: %T", errReply, v)
}

func msTime(v any) (time.Time, error) {
	s, err := str(v)
	if err != nil {
		return time.Time{}, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: time %q", errReply, s)
	}
	return time.UnixMilli(n), nil
}

// members reads (user, meta, joined, seen) quadruples.
func members(vs []any) ([]presence.Member, error) {
	if len(vs)%4 != 0 {
		return nil, fmt.Errorf("%w: %d member fields", errReply, len(vs))
	}
	var out []presence.Member
	for i := 0; i < len(vs); i += 4 {
		user, err := str(vs[i])
		if err != nil {
			return nil, err
		}
		metaText, err := str(vs[i+1])
		if err != nil {
			return nil, err
		}
		meta, err := decodeMeta(metaText)
		if err != nil {
			return nil, err
		}
		joined, err := msTime(vs[i+2])
		if err != nil {
			return nil, err
		}
		seen, err := msTime(vs[i+3])
		if err != nil {
			return nil, err
		}
		out = append(out, presence.Member{UserID: user, Meta: meta, JoinedAt: joined, LastSeenAt: seen})
	}
	return out, nil
}

// parseChange reads a topic script's reply: {version, members, joined...,
// '|', left...}.
func parseChange(topic string, res any) (presence.Change, error) {
	ch := presence.Change{Topic: topic}
	vs, ok := res.([]any)
	if !ok || len(vs) < 3 {
		return ch, fmt.Errorf("%w: %v", errReply, res)
	}
	v, ok1 := vs[0].(int64)
	n, ok2 := vs[1].(int64)
	if !ok1 || !ok2 {
		return ch, fmt.Errorf("%w: %v", errReply, res)
	}
	ch.Version, ch.Members = uint64(v), int(n)
	bar := -1
	for i := 2; i < len(vs); i++ {
		if s, _ := vs[i].(string); s == "|" {
			bar = i
			break
		}
	}
	if bar < 0 {
		return ch, fmt.Errorf("%w: no separator", errReply)
	}
	var err error
	if ch.Joined, err = members(vs[2:bar]); err != nil {
		return ch, err
	}
	if ch.Left, err = members(vs[bar+1:]); err != nil {
		return ch, err
	}
	presence.SortMembers(ch.Left)
	return ch, nil
}

// parseSnapshot reads {version, joined pairs, meta pairs, connection records}.
func parseSnapshot(topic string, vs []any) (presence.Snapshot, error) {
	snap := presence.Snapshot{Topic: topic}
	if len(vs) != 4 {
		return snap, fmt.Errorf("%w: %d parts", errReply, len(vs))
	}
	v, ok := vs[0].(int64)
	joined, ok1 := vs[1].([]any)
	metas, ok2 := vs[2].([]any)
	conns, ok3 := vs[3].([]any)
	if !ok || !ok1 || !ok2 || !ok3 || len(joined)%2 != 0 || len(metas)%2 != 0 {
		return snap, fmt.Errorf("%w: snapshot", errReply)
	}
	snap.Version = uint64(v)
	byUser := make(map[string]int, len(joined)/2)
	snap.Members = make([]presence.Member, 0, len(joined)/2)
	for i := 0; i < len(joined); i += 2 {
		user, err := str(joined[i])
		if err != nil {
			return snap, err
		}
		at, err := msTime(joined[i+1])
		if err != nil {
			return snap, err
		}
		byUser[user] = len(snap.Members)
		snap.Members = append(snap.Members, presence.Member{UserID: user, JoinedAt: at})
	}
	for i := 0; i < len(metas); i += 2 {
		user, _ := str(metas[i])
		text, _ := str(metas[i+1])
		if j, ok := byUser[user]; ok {
			meta, err := decodeMeta(text)
			if err != nil {
				return snap, err
			}
			snap.Members[j].Meta = meta
		}
	}
	for _, c := range conns {
		rec, _ := c.(string)
		user, seen, ok := parseRecord(rec)
		if j, found := byUser[user]; ok && found && seen.After(snap.Members[j].LastSeenAt) {
			snap.Members[j].LastSeenAt = seen
		}
	}
	presence.SortMembers(snap.Members)
	return snap, nil
}

// parseRecord splits a connection record "node \n seen \n user".
func parseRecord(rec string) (user string, seen time.Time, ok bool) {
	_, rest, ok1 := strings.Cut(rec, "\n")
	seenText, user, ok2 := strings.Cut(rest, "\n")
	n, err := strconv.ParseInt(seenText, 10, 64)
	if !ok1 || !ok2 || err != nil {
		return "", time.Time{}, false
	}
	return user, time.UnixMilli(n), true
}
