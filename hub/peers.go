package hub

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/listhub/listhub/backplane"
	"github.com/listhub/listhub/internal/nodemsg"
	"github.com/listhub/listhub/protocol"
)

// ErrNodeTimeout is returned when the node that owns a connection did not
// answer a command within Config.RemoteCommandTimeout.
var ErrNodeTimeout = errors.New("hub: node did not answer")

const (
	// commandWorkers is how many goroutines per node apply the commands of
	// other nodes. A command goes to the worker its target hashes to, so
	// the commands for one target are applied one at a time, in order.
	commandWorkers = 4
	// maxQueuedCommands bounds each worker's queue; a command beyond it is
	// dropped and logged, and its sender times out.
	maxQueuedCommands = 10_000
	// maxKnownOwners bounds the cache of which node owns which connection.
	maxKnownOwners = 10_000
	// maxGoneNodes bounds the memory of nodes reported gone.
	maxGoneNodes = 1024
)

// Statuses of an answer that never travel between nodes.
const (
	statusGone   nodemsg.Status = 0   // the owner is gone, and the connection with it
	statusClosed nodemsg.Status = 255 // this server closed while waiting
)

// peers is this node's side of the conversation between nodes. Every node
// has an inbox channel; to act on a connection of another node (a group
// change, a client result) a node sends a command to the inbox of the
// connection's owner, or, while it does not know the owner, to every live
// node, and waits for the answers in its own inbox. The owner applies the
// commands of each target in the order they arrived, which is the order
// they were sent by each node, and answers when it has applied them. A
// node that the backplane reports gone fails every wait on it at once.
type peers struct {
	srv       *Server
	ctx       context.Context // ends at close
	cancel    context.CancelFunc
	stopWatch func()
	invokeID  atomic.Uint64

	mu        sync.Mutex
	nextID    uint64
	waits     map[uint64]*waiter
	owners    map[string]backplane.NodeID // connection → owning node, learned from answers
	gone      map[backplane.NodeID]struct{}
	goneOrder []backplane.NodeID // the gone nodes, oldest first, to bound gone
	closed    bool

	workers [commandWorkers]commandWorker
	wg      sync.WaitGroup // the workers and the waits for client results
}

// waiter is one command waiting for its answers.
type waiter struct {
	id       uint64
	op       nodemsg.Op
	target   string
	pending  map[backplane.NodeID]struct{} // nodes yet to answer
	owner    backplane.NodeID              // OpInvoke: the node that accepted it
	accepted chan struct{}                 // closed when an owner accepted an OpInvoke
	done     chan answer                   // capacity 1, written once by finish
}

// answer is the outcome of a command.
type answer struct {
	status    nodemsg.Status
	from      backplane.NodeID
	text      string
	codec     byte
	hasResult bool
	result    []byte
}

type commandWorker struct {
	wake  chan struct{} // capacity 1: "the queue is not empty"
	mu    sync.Mutex
	queue []queuedCommand // guarded by mu
}

type queuedCommand struct {
	from backplane.NodeID
	cmd  nodemsg.Command
}

func newPeers(s *Server) *peers {
	ctx, cancel := context.WithCancel(context.Background())
	return &peers{
		srv:    s,
		ctx:    ctx,
		cancel: cancel,
		waits:  make(map[uint64]*waiter),
		owners: make(map[string]backplane.NodeID),
		gone:   make(map[backplane.NodeID]struct{}),
	}
}

// inboxOf is the channel of node id's inbox.
func (s *Server) inboxOf(id backplane.NodeID) string {
	return s.cfg.ChannelPrefix + "node:" + string(id)
}

// start subscribes this node's inbox, watches for nodes that are gone and
// starts the command workers. A single server has no peers and starts
// nothing.
func (p *peers) start() error {
	s := p.srv
	if s.solo {
		return nil
	}
	if err := s.bp.Subscribe(p.ctx, s.inboxOf(s.nodeID), s.local.receive); err != nil {
		return err
	}
	p.stopWatch = s.bp.WatchNodes(p.nodeGone)
	for i := range p.workers {
		w := &p.workers[i]
		w.wake = make(chan struct{}, 1)
		p.wg.Add(1)
		go p.work(w)
	}
	return nil
}

// close fails every wait with ErrServerClosed and stops the workers.
func (p *peers) close() {
	p.mu.Lock()
	p.closed = true
	for _, w := range p.waits {
		p.finish(w, answer{status: statusClosed})
	}
	p.mu.Unlock()
	if p.stopWatch != nil {
		p.stopWatch()
	}
	p.cancel()
	p.wg.Wait()
	if !p.srv.solo {
		_ = p.srv.bp.Unsubscribe(context.Background(), p.srv.inboxOf(p.srv.nodeID))
	}
}

// request sends a command about target and waits for its answer: the
// owner's, or NotFound when every node that could own target said it does
// not (or is gone). OpUserLeave waits for every node instead. For OpInvoke,
// inv is the invocation to carry, and once an owner accepted it the wait
// has no deadline but ctx.
func (p *peers) request(ctx context.Context, op nodemsg.Op, target, group string, inv protocol.Message) (answer, error) {
	s := p.srv
	if s.solo {
		return answer{status: nodemsg.StatusNotFound}, nil
	}
	p.mu.Lock()
	owner, known := p.owners[target]
	p.mu.Unlock()
	var to []backplane.NodeID
	if known && op != nodemsg.OpUserLeave {
		to = []backplane.NodeID{owner}
	} else {
		live, err := s.bp.LiveNodes(ctx)
		if err != nil {
			return answer{}, fmt.Errorf("hub: listing live nodes: %w", err)
		}
		for _, id := range live {
			if id != s.nodeID {
				to = append(to, id)
			}
		}
	}

	w := &waiter{op: op, target: target, pending: make(map[backplane.NodeID]struct{}, len(to)),
		accepted: make(chan struct{}), done: make(chan answer, 1)}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return answer{}, ErrServerClosed
	}
	to = filterGone(to, p.gone)
	if len(to) == 0 {
		p.mu.Unlock()
		return answer{status: nodemsg.StatusNotFound}, nil
	}
	for _, id := range to {
		w.pending[id] = struct{}{}
	}
	p.nextID++
	w.id = p.nextID
	p.waits[w.id] = w
	p.mu.Unlock()

	var codecs []protocol.Codec
	if inv != nil {
		codecs = s.codecs
	}
	payload, err := nodemsg.AppendCommand(nil, s.nodeName, &nodemsg.Command{ID: w.id, Op: op, Target: target, Group: group}, codecs, inv)
	if err != nil {
		p.forget(w)
		return answer{}, err
	}
	for _, id := range to {
		if err := s.bp.Publish(ctx, s.inboxOf(id), payload); err != nil {
			p.forget(w)
			return answer{}, fmt.Errorf("hub: sending to node %s: %w", id, err)
		}
	}

	timer := time.NewTimer(s.cfg.RemoteCommandTimeout)
	defer timer.Stop()
	deadline, accepted := timer.C, w.accepted
	for {
		select {
		case a := <-w.done:
			if a.status == statusClosed {
				return a, ErrServerClosed
			}
			return a, nil
		case <-accepted:
			deadline, accepted = nil, nil
		case <-deadline:
			p.forget(w)
			return answer{}, fmt.Errorf("%w within %v", ErrNodeTimeout, s.cfg.RemoteCommandTimeout)
		case <-ctx.Done():
			p.forget(w)
			return answer{}, ctx.Err()
		}
	}
}

func filterGone(ids []backplane.NodeID, gone map[backplane.NodeID]struct{}) []backplane.NodeID {
	out := ids[:0]
	for _, id := range ids {
		if _, dead := gone[id]; !dead {
			out = append(out, id)
		}
	}
	return out
}

func (p *peers) forget(w *waiter) {
	p.mu.Lock()
	delete(p.waits, w.id)
	p.mu.Unlock()
}

// finish ends w's wait with a. Caller holds mu; w is in waits.
func (p *peers) finish(w *waiter, a answer) {
	delete(p.waits, w.id)
	w.done <- a
}

// learn remembers that node owns connection id. Caller holds mu.
func (p *peers) learn(id string, node backplane.NodeID) {
	if len(p.owners) >= maxKnownOwners {
		clear(p.owners)
	}
	p.owners[id] = node
}

// receive takes a command or an answer from the inbox. It runs in the
// backplane's Receiver, so it never calls the backplane: commands go to a
// worker, answers to their waiter.
func (p *peers) receive(hdr nodemsg.Header, body []byte) {
	from := backplane.NodeID(hdr.Origin)
	switch hdr.Kind {
	case nodemsg.KindCommand:
		cmd, err := nodemsg.ParseCommand(body)
		if err != nil {
			p.srv.cfg.Logger.Warn("hub: dropping a malformed command", "node", from, "error", err)
			return
		}
		p.enqueue(queuedCommand{from: from, cmd: cmd})
	case nodemsg.KindReply:
		r, err := nodemsg.ParseReply(body)
		if err != nil {
			p.srv.cfg.Logger.Warn("hub: dropping a malformed answer", "node", from, "error", err)
			return
		}
		p.answer(from, &r)
	}
}

func (p *peers) answer(from backplane.NodeID, r *nodemsg.Reply) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w := p.waits[r.ID]
	if w == nil {
		return // given up, or answered already
	}
	switch r.Status {
	case nodemsg.StatusNotFound:
		delete(w.pending, from)
		if p.owners[w.target] == from {
			delete(p.owners, w.target)
		}
		if len(w.pending) == 0 && w.owner == "" {
			p.finish(w, answer{status: nodemsg.StatusNotFound})
		}
	case nodemsg.StatusAccepted:
		if w.owner == "" {
			w.owner = from
			p.learn(w.target, from)
			close(w.accepted)
		}
	default:
		if w.op == nodemsg.OpUserLeave {
			delete(w.pending, from)
			if len(w.pending) == 0 {
				p.finish(w, answer{status: nodemsg.StatusDone})
			}
			return
		}
		if r.Status == nodemsg.StatusDone {
			p.learn(w.target, from)
		}
		p.finish(w, answer{status: r.Status, from: from, text: string(r.Text),
			codec: r.Codec, hasResult: r.HasResult, result: append([]byte(nil), r.Result...)})
	}
}

// nodeGone is the WatchNodes callback: a wait for a node that is gone ends
// now rather than at its deadline.
func (p *peers) nodeGone(id backplane.NodeID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, seen := p.gone[id]; !seen {
		if len(p.goneOrder) >= maxGoneNodes {
			delete(p.gone, p.goneOrder[0])
			p.goneOrder = p.goneOrder[1:]
		}
		p.gone[id] = struct{}{}
		p.goneOrder = append(p.goneOrder, id)
	}
	for conn, owner := range p.owners {
		if owner == id {
			delete(p.owners, conn)
		}
	}
	for _, w := range p.waits {
		if w.owner == id {
			p.finish(w, answer{status: statusGone, from: id})
			continue
		}
		if _, ok := w.pending[id]; !ok {
			continue
		}
		delete(w.pending, id)
		if len(w.pending) == 0 && w.owner == "" {
			st := nodemsg.StatusNotFound
			if w.op == nodemsg.OpUserLeave {
				st = nodemsg.StatusDone
			}
			p.finish(w, answer{status: st})
		}
	}
}

func (p *peers) enqueue(q queuedCommand) {
	w := &p.workers[fnv32(q.cmd.Target)%commandWorkers]
	if w.wake == nil {
		return // not started: a single server has no inbox
	}
	w.mu.Lock()
	if len(w.queue) >= maxQueuedCommands {
		w.mu.Unlock()
		p.srv.cfg.Logger.Warn("hub: dropping a command, too many queued", "node", q.from)
		return
	}
	w.queue = append(w.queue, q)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (p *peers) work(w *commandWorker) {
	defer p.wg.Done()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-w.wake:
		}
		for {
			w.mu.Lock()
			if len(w.queue) == 0 {
				w.queue = nil // let a burst's backing array go
				w.mu.Unlock()
				break
			}
			q := w.queue[0]
			w.queue[0] = queuedCommand{}
			w.queue = w.queue[1:]
			w.mu.Unlock()
			if p.ctx.Err() != nil {
				return
			}
			p.apply(q)
		}
	}
}

// apply runs a command of another node on this node and answers it.
func (p *peers) apply(q queuedCommand) {
	s := p.srv
	ctx, cancel := context.WithTimeout(p.ctx, s.cfg.RemoteCommandTimeout)
	defer cancel()
	cmd := &q.cmd
	r := nodemsg.Reply{ID: cmd.ID, Status: nodemsg.StatusNotFound}
	switch cmd.Op {
	case nodemsg.OpGroupAdd:
		if h := s.local.get(cmd.Target); h != nil {
			setStatus(&r, s.local.join(ctx, h, cmd.Group))
		}
	case nodemsg.OpGroupRemove:
		if h := s.local.get(cmd.Target); h != nil {
			setStatus(&r, s.local.leave(ctx, h, cmd.Group))
		}
	case nodemsg.OpUserLeave:
		for _, h := range s.local.userConns(cmd.Target) {
			_ = s.local.leave(ctx, h, cmd.Group)
		}
		r.Status = nodemsg.StatusDone
	case nodemsg.OpInvoke:
		if h := s.local.get(cmd.Target); h != nil {
			p.invokeLocal(q.from, h, cmd)
			return
		}
	}
	p.reply(q.from, &r)
}

func setStatus(r *nodemsg.Reply, err error) {
	switch {
	case err == nil:
		r.Status = nodemsg.StatusDone
	case errors.Is(err, ErrConnectionNotFound):
		r.Status = nodemsg.StatusNotFound
	case errors.Is(err, ErrAccessDenied):
		r.Status = nodemsg.StatusDenied
	default:
		r.Status, r.Text = nodemsg.StatusFailed, []byte(err.Error())
	}
}

func (p *peers) reply(to backplane.NodeID, r *nodemsg.Reply) {
	s := p.srv
	if err := s.bp.Publish(p.ctx, s.inboxOf(to), nodemsg.AppendReply(nil, s.nodeName, r)); err != nil && p.ctx.Err() == nil {
		s.cfg.Logger.Warn("hub: answering a node failed", "node", to, "error", err)
	}
}

// invokeLocal sends the invocation of another node's client result to h
// and answers twice: Accepted at once, then the client's Completion (or
// the disconnect) whenever it comes.
func (p *peers) invokeLocal(from backplane.NodeID, h *hubConn, cmd *nodemsg.Command) {
	id := cmd.Group // for OpInvoke, the invocation id
	r := nodemsg.Reply{ID: cmd.ID, Status: nodemsg.StatusDone, Codec: byte(h.codecIndex)}
	frame := cmd.Frames[h.codecIndex]
	ch, err := h.expectResult(id)
	switch {
	case err != nil:
		r.Text = []byte(err.Error())
	case frame == nil:
		h.forgetResult(id)
		r.Status, r.Text = nodemsg.StatusFailed, []byte("hub: the invocation lacks the connection's protocol")
	default:
		if err := h.write(nil, frame, true); err != nil {
			h.forgetResult(id)
			r.Text = []byte(disconnectedText(h.id))
			break
		}
		p.reply(from, &nodemsg.Reply{ID: cmd.ID, Status: nodemsg.StatusAccepted})
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			select {
			case c := <-ch:
				r.Text = []byte(c.Error)
				if raw, ok := c.Result.(protocol.RawValue); ok && c.HasResult {
					r.HasResult, r.Result = true, raw
				}
				p.reply(from, &r)
			case <-p.ctx.Done():
				h.forgetResult(id)
			}
		}()
		return
	}
	p.reply(from, &r)
}

// invoke is ClientProxy.Invoke for a connection this node does not have.
func (p *peers) invoke(ctx context.Context, connID string, out any, method string, args []any) error {
	s := p.srv
	id := "r" + strconv.FormatUint(p.invokeID.Add(1), 10) + "." + s.nodeTag
	a, err := p.request(ctx, nodemsg.OpInvoke, connID, id, &protocol.Invocation{InvocationID: id, Target: method, Arguments: args})
	if err != nil {
		return fmt.Errorf("hub: invoking %q: %w", method, err)
	}
	switch a.status {
	case nodemsg.StatusNotFound:
		return fmt.Errorf("Connection '%s' does not exist.", connID) //nolint:staticcheck // the official text
	case statusGone:
		return errors.New(disconnectedText(connID))
	case nodemsg.StatusDone:
		if a.text != "" {
			return errors.New(a.text)
		}
		if out == nil || !a.hasResult {
			return nil
		}
		if int(a.codec) >= len(s.codecs) {
			return fmt.Errorf("hub: invoking %q: a result in unknown protocol %d", method, a.codec)
		}
		return s.codecs[a.codec].Bind(protocol.RawValue(a.result), out)
	default:
		return fmt.Errorf("hub: invoking %q on node %s: %s", method, a.from, a.text)
	}
}

// command runs a group command for a connection or user of another node
// and turns its answer into the error Groups returns.
func (p *peers) command(ctx context.Context, op nodemsg.Op, target, group string) error {
	a, err := p.request(ctx, op, target, group, nil)
	if err != nil {
		return err
	}
	switch a.status {
	case nodemsg.StatusDone:
		return nil
	case nodemsg.StatusNotFound, statusGone:
		if op == nodemsg.OpUserLeave {
			return nil
		}
		return fmt.Errorf("hub: connection %q: %w", target, ErrConnectionNotFound)
	case nodemsg.StatusDenied:
		return ErrAccessDenied
	default:
		return fmt.Errorf("hub: node %s: %s", a.from, a.text)
	}
}

func disconnectedText(connID string) string {
	return fmt.Sprintf("Connection '%s' disconnected.", connID)
}

// fnv32 is FNV-1a, to spread targets over the command workers.
func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
