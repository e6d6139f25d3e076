package backplanetest

import (
	"slices"
	"sync"
)

// recorder collects the deliveries of one node, per channel, safely for
// receivers that run on any goroutine.
type recorder struct {
	mu   sync.Mutex
	msgs map[string][]string
}

func newRecorder() *recorder {
	return &recorder{msgs: make(map[string][]string)}
}

// receive is the Receiver under test. It copies the payload, so a backplane
// that reused the buffer afterwards would show up as corrupted messages.
func (r *recorder) receive(channel string, payload []byte) {
	r.mu.Lock()
	r.msgs[channel] = append(r.msgs[channel], string(payload))
	r.mu.Unlock()
}

// get returns a copy of the messages received on channel, in arrival order.
func (r *recorder) get(channel string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs[channel])
}

func (r *recorder) count(channel string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs[channel])
}

// has reports whether msg was received on channel.
func (r *recorder) has(channel, msg string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.msgs[channel], msg)
}
