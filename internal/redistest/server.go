package redistest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

const (
	// startTimeout bounds the wait for a started server to answer PING. It
	// is generous because the test machines are shared and slow.
	startTimeout = 20 * time.Second
	// startAttempts is how often Start picks new ports when a server could
	// not bind the ones it was given (another process took them meanwhile).
	startAttempts = 5
	// clusterBusOffset is the distance from a cluster node's port to its
	// cluster bus port, fixed by Redis.
	clusterBusOffset = 10000
)

// Server is one redis-server child process on 127.0.0.1.
type Server struct {
	t       testing.TB
	port    int
	dir     string
	cluster bool
	extra   []string // more arguments: replication, sentinel mode
	// sentinelConf, when set, is the config file of a Sentinel: the
	// process runs in sentinel mode.
	sentinelConf string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	out    *syncBuffer   // the server's log, shown when it fails to start
}

// Start starts a redis-server on a free port with persistence off. It is
// stopped by t.Cleanup. Start skips the test when redis-server is missing,
// unless LISTHUB_REQUIRE_REDIS=1.
func Start(t testing.TB) *Server {
	t.Helper()
	requireBinary(t, "redis-server")
	return start(t, false)
}

func start(t testing.TB, cluster bool, extra ...string) *Server {
	t.Helper()
	s := &Server{t: t, dir: t.TempDir(), cluster: cluster, extra: extra}
	t.Cleanup(s.stop)
	var lastErr error
	for range startAttempts {
		s.port = freePort(t, cluster)
		if lastErr = s.run(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("redistest: %v", lastErr)
	return nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Port is the server's port.
func (s *Server) Port() int { return s.port }

// Kill ends the server with SIGKILL, as a crash would, and waits until the
// process is gone. Clients see their connections drop. Kill of a server that
// is not running does nothing.
func (s *Server) Kill() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killLocked()
}

// Restart starts the server again on the same port, after Kill, and waits
// until it answers. Its data is gone (there is no persistence). It fails the
// test if the server cannot be started.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	var err error
	// The port can be briefly unavailable; a few quick retries cover that.
	for range startAttempts {
		if err = s.run(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("redistest: restart on port %d: %v", s.port, err)
}

// Do sends one command and returns its reply as text (for integers and
// simple strings their value, for bulk strings their content). A Redis error
// reply is returned as an error.
func (s *Server) Do(args ...string) (string, error) {
	return do(s.Addr(), args...)
}

func (s *Server) run() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var args []string
	if s.sentinelConf != "" {
		args = append(args, s.sentinelConf, "--sentinel")
	}
	args = append(args,
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--protected-mode", "no",
		"--dir", s.dir,
		"--logfile", "",
		"--daemonize", "no",
	)
	if s.sentinelConf == "" {
		// No persistence; a replica gets its first sync at once.
		args = append(args, "--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0")
	}
	args = append(args, s.extra...)
	if s.cluster {
		args = append(args,
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes-"+strconv.Itoa(s.port)+".conf",
			"--cluster-node-timeout", "5000",
		)
	}
	out := &syncBuffer{}
	cmd := exec.Command("redis-server", args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.cmd, s.exited, s.out = cmd, exited, out

	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-exited:
			s.cmd = nil
			return fmt.Errorf("redis-server on port %d exited at start:\n%s", s.port, out.String())
		default:
		}
		if reply, err := do(s.Addr(), "PING"); err == nil && reply == "PONG" {
			return nil
		}
		if time.Now().After(deadline) {
			s.killLocked()
			return fmt.Errorf("redis-server on port %d did not answer PING within %v:\n%s",
				s.port, startTimeout, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) killLocked() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

func (s *Server) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killLocked()
}

// requireBinary skips (or, under LISTHUB_REQUIRE_REDIS=1, fails) the test
// when name is not on PATH.
func requireBinary(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err == nil {
		return
	}
	if os.Getenv("LISTHUB_REQUIRE_REDIS") == "1" {
		t.Fatalf("redistest: %s not found on PATH (LISTHUB_REQUIRE_REDIS=1); install Debian's redis-server", name)
	}
	t.Skipf("redistest: skipping: %s not found on PATH (install Debian's redis-server, or set LISTHUB_REQUIRE_REDIS=1 to fail instead)", name)
}

// freePort returns a port on 127.0.0.1 that is free now; for a cluster node
// its bus port (port+10000) is free too. Another process may still take it
// before the server binds it, which Start answers by trying again.
func freePort(t testing.TB, cluster bool) int {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("redistest: find a free port: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if !cluster {
			_ = l.Close()
			return port
		}
		if port+clusterBusOffset > 65535 {
			_ = l.Close()
			continue
		}
		bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+clusterBusOffset))
		_ = l.Close()
		if err != nil {
			continue
		}
		_ = bus.Close()
		return port
	}
	t.Fatalf("redistest: no free port pair (port, port+%d) found", clusterBusOffset)
	return 0
}

// syncBuffer is a bytes.Buffer safe for the child's writes and our reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
