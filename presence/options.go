package presence

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"
)

// Options configures a Tracker. The zero value means every default.
type Options struct {
	// Timeout is how long a connection may go without a heartbeat or join
	// before it has left. It counts from the last heartbeat and is never
	// cut short; the leave is announced within about one TickInterval (plus
	// a store call) after it. Default 45 s.
	Timeout time.Duration
	// Grace is the delay before announcing a leave caused by a lost
	// transport (Disconnect) or a graceful node shutdown (Close), so that a
	// page reload or a rolling restart makes no Left/Joined pair. It never
	// extends Timeout. An explicit Leave is announced at once. Default 5 s;
	// a negative value means no grace.
	Grace time.Duration
	// OnEvent is called for each transition, on exactly one node of the
	// cluster, with the calls of one tracker serialized. It runs in the
	// goroutine of the call or tick that caused the change and must not
	// call back into the Tracker; sending to a hub group is fine.
	OnEvent func(Event)
	// Logger receives store errors of the background work. Default
	// slog.Default().
	Logger *slog.Logger

	// TickInterval is the period of the node-wide tick that runs the
	// expiry wheel, refreshes the store and flushes diffs. Default 500 ms.
	TickInterval time.Duration
	// RefreshInterval is how often the tick sends a topic's new heartbeats
	// to the store: at most one store call per topic per interval, and none
	// when no connection of the node beat on it. Default 10 s.
	RefreshInterval time.Duration
	// BeatInterval is how often the node records its liveness in the
	// store. Default 1 s.
	BeatInterval time.Duration
	// DeadAfter is how long a node may go without beating before the
	// others reap its connections and announce its users left (reason
	// NodeDied). Default 3 s.
	DeadAfter time.Duration
	// CoalesceAbove is the number of members from which a topic's joins and
	// leaves are reported as one Diff per CoalesceInterval instead of one
	// event each. Default 100; a negative value turns coalescing off.
	CoalesceAbove int
	// CoalesceInterval is how long a big topic's changes are gathered into
	// one Diff. Default 1 s.
	CoalesceInterval time.Duration

	// NodeID names this node in the store; an incarnation is appended, so a
	// restarted node is a new node. Default: 8 random bytes in hex.
	NodeID string
	// Now is the clock. Default time.Now; tests pass a fake one.
	Now func() time.Time
	// ManualTick turns the background goroutines off: the caller runs the
	// periodic work with Tick. For tests with a fake clock.
	ManualTick bool
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.Timeout, 45*time.Second)
	def(&o.Grace, 5*time.Second)
	if o.Grace < 0 {
		o.Grace = 0
	}
	def(&o.TickInterval, 500*time.Millisecond)
	def(&o.RefreshInterval, 10*time.Second)
	def(&o.BeatInterval, time.Second)
	def(&o.DeadAfter, 3*time.Second)
	def(&o.CoalesceInterval, time.Second)
	if o.CoalesceAbove == 0 {
		o.CoalesceAbove = 100
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NodeID == "" {
		o.NodeID = randomID()
	}
	return o
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
