package hub

import "testing"

// TestWorkersReuseAnIdleWorker: a call that finds a worker waiting runs on
// it (the send only succeeds when one waits), and run never blocks, even
// while every worker is busy or after close.
func TestWorkersReuseAnIdleWorker(t *testing.T) {
	w := newWorkers()
	defer w.close()

	// One worker runs the first task and then waits for the next.
	first := make(chan struct{})
	w.run(func() { close(first) })
	<-first
	// Wait until it is idle: a handoff then succeeds.
	handed := make(chan struct{})
	for sent := false; !sent; {
		select {
		case w.tasks <- func() { close(handed) }:
			sent = true
		default:
		}
	}
	<-handed

	// A busy worker does not make run wait: a second goroutine starts.
	release := make(chan struct{})
	busy := make(chan struct{})
	w.run(func() { close(busy); <-release })
	<-busy
	second := make(chan struct{})
	w.run(func() { close(second) })
	<-second
	close(release)
}

// TestWorkersRunAfterClose: a call after the Server is released still runs.
func TestWorkersRunAfterClose(t *testing.T) {
	w := newWorkers()
	w.close()
	w.close() // idempotent
	done := make(chan struct{})
	w.run(func() { close(done) })
	<-done // it ran on a fresh goroutine, which exits after it (goleak in TestMain)
}
