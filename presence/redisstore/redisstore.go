// Package redisstore is a presence.Store shared through Redis, so that the
// trackers of many nodes see one presence.
//
// Every operation is one Lua script, so a user's first join and last leave
// are detected atomically whichever node makes them. All keys of a topic
// share a hash tag ({topic}), so a topic lives in one slot and the store
// works on Redis Cluster; node liveness lives under a tag of its own. The
// lease of each connection is kept in a sorted set per topic (Redis 7.0 has
// no per-field hash expiry). Times come from the trackers' clocks.
//
// Costs: Join, Leave, Refresh and Snapshot are one script call each (a
// node's first join on a topic also adds the topic to the node's set, in the
// same pipeline); a snapshot returns a topic's members in one call however
// many there are. Reap is one call to find dead nodes, one pipeline of one
// script per topic of a dead node, and one call to finish.
//
// Memory: per connection a hash field and a sorted-set member, per user three
// hash fields; a topic's version counter outlives its members (so versions
// never go back), about 60 bytes per topic ever used.
package redisstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/listhub/listhub/presence"
)

// Options configures a Store. The zero value means every default.
type Options struct {
	// Prefix starts every key of the store. Default "listhub:presence:".
	Prefix string
}

// Store is a presence.Store in Redis. It is safe for concurrent use.
type Store struct {
	c      redis.UniversalClient
	prefix string
	nodes  string // the prefix of the node liveness keys

	// registered remembers the (node, topic) pairs already in the node's
	// topic set, so that only a node's first join on a topic adds it.
	mu         sync.Mutex
	registered map[nodeTopic]struct{}
}

type nodeTopic struct{ node, topic string }

var _ presence.Store = (*Store)(nil)

// New returns a store on client: a *redis.Client, a *redis.ClusterClient or
// a failover client. It makes no call.
func New(client redis.UniversalClient, opts Options) (*Store, error) {
	if client == nil {
		return nil, fmt.Errorf("presence/redisstore: nil client: %w", presence.ErrInvalid)
	}
	if opts.Prefix == "" {
		opts.Prefix = "listhub:presence:"
	}
	if strings.ContainsAny(opts.Prefix, "{}") {
		return nil, fmt.Errorf("presence/redisstore: prefix %q holds a brace, which would break the hash tags: %w", opts.Prefix, presence.ErrInvalid)
	}
	return &Store{
		c:          client,
		prefix:     opts.Prefix,
		nodes:      opts.Prefix + "{nodes}:",
		registered: make(map[nodeTopic]struct{}),
	}, nil
}

// base returns the key prefix of a topic: its hash tag is the topic itself,
// or its hex form when the topic holds a brace (or starts with '#', to keep
// the two forms apart).
func (s *Store) base(topic string) string {
	tag := topic
	if strings.ContainsAny(topic, "{}") || strings.HasPrefix(topic, "#") {
		tag = "#" + hex.EncodeToString([]byte(topic))
	}
	return s.prefix + "{" + tag + "}:"
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func encodeMeta(meta map[string]string) (string, error) {
	if len(meta) == 0 {
		return "", nil
	}
	b, err := json.Marshal(meta) // keys sorted: equal maps give equal text
	return string(b), err
}

func decodeMeta(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("presence/redisstore: bad metadata %q: %w", s, err)
	}
	return m, nil
}

// Join implements presence.Store.
func (s *Store) Join(ctx context.Context, e presence.Entry) (presence.Change, error) {
	if e.Topic == "" || e.UserID == "" || e.ConnID == "" || e.Node == "" {
		return presence.Change{}, fmt.Errorf("presence/redisstore: join: empty topic, user, connection or node: %w", presence.ErrInvalid)
	}
	meta, err := encodeMeta(e.Meta)
	if err != nil {
		return presence.Change{}, fmt.Errorf("presence/redisstore: join: %w", err)
	}
	keys := []string{s.base(e.Topic)}
	args := []any{e.ConnID, e.UserID, e.Node, ms(e.SeenAt), ms(e.ExpiresAt), meta}
	nt := nodeTopic{e.Node, e.Topic}
	s.mu.Lock()
	_, known := s.registered[nt]
	s.mu.Unlock()
	var res any
	if known {
		res, err = joinScript.Run(ctx, s.c, keys, args...).Result()
	} else {
		// Register the topic with the node before the entry exists, so a
		// reap after this node's death finds it. One round trip.
		pipe := s.c.Pipeline()
		pipe.SAdd(ctx, s.nodes+"t:"+e.Node, e.Topic)
		cmd := joinScript.Eval(ctx, pipe, keys, args...)
		if _, err = pipe.Exec(ctx); err == nil {
			s.mu.Lock()
			s.registered[nt] = struct{}{}
			s.mu.Unlock()
		}
		res, err = cmd.Result()
	}
	if err != nil {
		return presence.Change{}, fmt.Errorf("presence/redisstore: join %q: %w", e.Topic, err)
	}
	ch, err := parseChange(e.Topic, res)
	ch.Reason = presence.Explicit // a connection that changed user
	return ch, err
}

// Leave implements presence.Store.
func (s *Store) Leave(ctx context.Context, topic, node string, connIDs []string, reason presence.LeaveReason) (presence.Change, error) {
	if len(connIDs) == 0 {
		return presence.Change{Topic: topic, Reason: reason}, nil
	}
	args := make([]any, 0, 1+len(connIDs))
	args = append(args, node)
	for _, id := range connIDs {
		args = append(args, id)
	}
	res, err := leaveScript.Run(ctx, s.c, []string{s.base(topic)}, args...).Result()
	if err != nil {
		return presence.Change{}, fmt.Errorf("presence/redisstore: leave %q: %w", topic, err)
	}
	ch, err := parseChange(topic, res)
	ch.Reason = reason
	return ch, err
}

// Refresh implements presence.Store.
func (s *Store) Refresh(ctx context.Context, topic, node string, refs []presence.Refresh, now time.Time) (presence.Change, error) {
	args := make([]any, 0, 2+3*len(refs))
	args = append(args, node, ms(now))
	for _, r := range refs {
		args = append(args, r.ConnID, ms(r.SeenAt), ms(r.ExpiresAt))
	}
	res, err := refreshScript.Run(ctx, s.c, []string{s.base(topic)}, args...).Result()
	if err != nil {
		return presence.Change{}, fmt.Errorf("presence/redisstore: refresh %q: %w", topic, err)
	}
	ch, err := parseChange(topic, res)
	ch.Reason = presence.TimedOut
	return ch, err
}

// Snapshot implements presence.Store.
func (s *Store) Snapshot(ctx context.Context, topic string) (presence.Snapshot, error) {
	res, err := snapshotScript.Run(ctx, s.c, []string{s.base(topic)}).Slice()
	if err != nil {
		return presence.Snapshot{}, fmt.Errorf("presence/redisstore: snapshot %q: %w", topic, err)
	}
	snap, err := parseSnapshot(topic, res)
	if err != nil {
		return presence.Snapshot{}, fmt.Errorf("presence/redisstore: snapshot %q: %w", topic, err)
	}
	return snap, nil
}

// Beat implements presence.Store.
func (s *Store) Beat(ctx context.Context, node string, now time.Time, register bool) error {
	reg := "0"
	if register {
		reg = "1"
	}
	ok, err := beatScript.Run(ctx, s.c, []string{s.nodes}, node, ms(now), reg).Int()
	if err != nil {
		return fmt.Errorf("presence/redisstore: beat: %w", err)
	}
	if ok == 0 {
		return presence.ErrNodeGone
	}
	return nil
}

// CloseNode implements presence.Store.
func (s *Store) CloseNode(ctx context.Context, node string, lastBeat time.Time) error {
	if err := closeScript.Run(ctx, s.c, []string{s.nodes}, node, ms(lastBeat)).Err(); err != nil {
		return fmt.Errorf("presence/redisstore: close node: %w", err)
	}
	return nil
}

// Reap implements presence.Store.
func (s *Store) Reap(ctx context.Context, cutoff time.Time) ([]presence.Change, error) {
	dead, err := claimScript.Run(ctx, s.c, []string{s.nodes}, ms(cutoff)).Slice()
	if err != nil {
		return nil, fmt.Errorf("presence/redisstore: reap: %w", err)
	}
	var changes []presence.Change
	var errs []error
	for i := 0; i+1 < len(dead); i += 2 {
		node, _ := dead[i].(string)
		reason := presence.NodeDied
		if closing, _ := dead[i+1].(int64); closing == 1 {
			reason = presence.Disconnected
		}
		chs, err := s.purge(ctx, node, reason)
		changes = append(changes, chs...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return changes, errors.Join(errs...)
}

// purge removes a dead node's connections from each of its topics (one
// pipeline), then forgets the node. Should this node die halfway, the dead
// node stays in the dead set and another node purges it again: the scripts
// are idempotent.
func (s *Store) purge(ctx context.Context, node string, reason presence.LeaveReason) ([]presence.Change, error) {
	topics, err := s.c.SMembers(ctx, s.nodes+"t:"+node).Result()
	if err != nil {
		return nil, fmt.Errorf("presence/redisstore: reap %s: %w", node, err)
	}
	var changes []presence.Change
	if len(topics) > 0 {
		pipe := s.c.Pipeline()
		cmds := make([]*redis.Cmd, len(topics))
		for i, tp := range topics {
			cmds[i] = purgeScript.Eval(ctx, pipe, []string{s.base(tp)}, node)
		}
		_, err = pipe.Exec(ctx)
		for i, cmd := range cmds {
			res, cerr := cmd.Result()
			if cerr != nil {
				continue // err (from Exec) says so
			}
			ch, perr := parseChange(topics[i], res)
			if perr != nil {
				err = errors.Join(err, perr)
				continue
			}
			if len(ch.Left) > 0 {
				ch.Reason = reason
				changes = append(changes, ch)
			}
		}
		if err != nil {
			return changes, fmt.Errorf("presence/redisstore: reap %s: %w", node, err)
		}
	}
	if err := finishScript.Run(ctx, s.c, []string{s.nodes}, node).Err(); err != nil {
		return changes, fmt.Errorf("presence/redisstore: reap %s: %w", node, err)
	}
	s.mu.Lock()
	for nt := range s.registered {
		if nt.node == node {
			delete(s.registered, nt)
		}
	}
	s.mu.Unlock()
	return changes, nil
}
