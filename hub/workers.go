package hub

import (
	"sync"
	"time"
)

// workerIdle is how long a worker goroutine waits for the next call before
// it exits.
const workerIdle = time.Second

// workers runs hub calls on goroutines that wait a moment for the next
// call before exiting. A fresh goroutine starts with a small stack, and a
// hub call (the filters, reflect.Value.Call, the method) grows it at once:
// profiling the echo benchmark showed the stack copies costing ~12 % of the
// server's CPU when every call started its own goroutine. A worker that
// stays for the next call keeps its grown stack. Idle workers are not
// counted or capped: there are never more than the calls that ran at once
// in the last workerIdle.
//
// Owned by the Server; release closes it.
type workers struct {
	tasks chan func() // unbuffered: a send succeeds only when a worker waits
	done  chan struct{}
	once  sync.Once
}

func newWorkers() *workers {
	return &workers{tasks: make(chan func()), done: make(chan struct{})}
}

// run runs f on an idle worker, or on a new one when none waits. It never
// blocks.
func (w *workers) run(f func()) {
	select {
	case w.tasks <- f:
	default:
		go w.work(f)
	}
}

func (w *workers) work(f func()) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		f()
		idle.Reset(workerIdle)
		select {
		case f = <-w.tasks:
		case <-idle.C:
			return
		case <-w.done:
			return
		}
	}
}

// close makes idle workers exit at once and busy ones after their call. It
// may be called more than once.
func (w *workers) close() { w.once.Do(func() { close(w.done) }) }
