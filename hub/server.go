package hub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/listhub/listhub/auth"
	"github.com/listhub/listhub/backplane"
	"github.com/listhub/listhub/hub/connection"
	"github.com/listhub/listhub/protocol"
)

// Server is a SignalR hub: an http.Handler that the official clients connect
// to. Mount it at the hub's path for both the path itself and its
// "/negotiate" child, e.g.
//
//	mux.Handle("/chat", srv)
//	mux.Handle("/chat/negotiate", srv)
//
// or under a prefix pattern that covers both. Register methods before the
// first client calls them.
type Server struct {
	cfg     Config
	conns   *connection.Server
	methods atomic.Pointer[methodTable]
	codecs  []protocol.Codec
	pings   [][]byte // the encoded Ping of each codec, by codec index

	bp     backplane.Backplane
	ownsBP bool
	// solo is set when the Server owns a private backplane that no other
	// node can share: it then subscribes and publishes nothing.
	solo      bool
	nodeID    backplane.NodeID
	nodeName  string // nodeID as a string, the origin of every payload
	nodeTag   string // short hash of nodeID, in the ids of remote client results
	inboxName string // the inbox channel without the prefix
	peers     *peers
	local     *registry
	clients   *Clients
	groups    *Groups

	chains  chains      // Filters, composed by New
	flog    *failureLog // rate-limited failure logs
	metrics metrics

	regMu   sync.Mutex // serializes Register calls
	closing atomic.Bool
	streams atomic.Int64 // streams running on this node (Config.MaxStreams)
	workers *workers     // goroutines that run calls
}

// New returns a Server for cfg, or an error naming every field of cfg it
// cannot accept (see Config). It subscribes to the backplane's hub-wide
// channel and starts the connection layer's heartbeat; Close or Shutdown
// releases them.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if cfg.Connection.Logger == nil {
		cfg.Connection.Logger = cfg.Logger
	}
	if cfg.ClientTimeoutInterval <= officialClientKeepAlive {
		cfg.Logger.Warn("hub: Config.ClientTimeoutInterval is not longer than the official clients' default keep-alive (15 s): "+
			"idle clients will be closed unless they ping more often (withKeepAliveInterval)", "clientTimeout", cfg.ClientTimeoutInterval)
	}
	s := &Server{cfg: cfg, flog: newFailureLog(cfg.Logger), workers: newWorkers()}
	s.buildChains()
	s.codecs = []protocol.Codec{
		protocol.JSON{MaxMessageSize: cfg.MaxMessageSize},
		protocol.MessagePack{MaxMessageSize: cfg.MaxMessageSize},
	}
	for _, c := range s.codecs {
		ping, err := c.AppendMessage(nil, &protocol.Ping{})
		if err != nil {
			return nil, fmt.Errorf("hub: encoding ping: %w", err)
		}
		s.pings = append(s.pings, ping)
	}
	empty := methodTable{}
	s.methods.Store(&empty)

	s.bp = cfg.Backplane
	if s.bp == nil {
		s.bp, s.ownsBP, s.solo = backplane.NewMemory(), true, true
	}
	s.nodeID = s.bp.NodeID()
	if !backplane.ValidNodeID(s.nodeID) {
		s.closeBackplane()
		return nil, fmt.Errorf("hub: the backplane's node id %q is not valid", s.nodeID)
	}
	s.nodeName = string(s.nodeID)
	s.nodeTag = strconv.FormatUint(uint64(fnv32(s.nodeName)), 36)
	s.inboxName = "node:" + s.nodeName
	s.local = newRegistry(s)
	s.peers = newPeers(s)
	s.clients = &Clients{srv: s}
	s.groups = &Groups{srv: s}
	if !s.solo {
		if err := s.bp.Subscribe(context.Background(), s.channelAll(), s.local.receive); err != nil {
			s.closeBackplane()
			return nil, fmt.Errorf("hub: subscribing to the backplane: %w", err)
		}
	}
	if err := s.peers.start(); err != nil {
		s.release()
		return nil, fmt.Errorf("hub: subscribing to the backplane: %w", err)
	}
	conns, err := connection.NewServer((*app)(s), cfg.Connection)
	if err != nil {
		s.release()
		return nil, err
	}
	s.conns = conns
	return s, nil
}

// Register adds a hub method under name, matched case-insensitively. fn is a
// function of the form
//
//	func([ctx,] args...) [R] [error]
//
// where ctx, if present, is a *hub.Context or a context.Context; args are
// bound from the client's arguments by the connection's hub protocol (a
// variadic last parameter ...T binds any number of optional trailing
// arguments, e.g. JoinList(listId) and JoinList(listId, afterSeq)); an
// argument of type <-chan T, iter.Seq[T] or iter.Seq2[T, error] receives an
// upload stream from the client (iter.Seq2 also reports the client's stream
// error); and a result of type <-chan T, iter.Seq[T] or iter.Seq2[T, error]
// makes the method a server-to-client stream. Returning an *Error sends its
// text to the client. The signature is inspected once, here: a parameter,
// result or stream item type that the hub protocols cannot carry (a
// channel or function that is not a stream, *http.Request, hub.Context by
// value, a complex number, a map with non-string keys, a struct with no
// exported fields, looking through pointers, slices, maps and fields) is
// an error naming the method and the parameter. Types with their own
// encoding (json.Marshaler, encoding.TextMarshaler, ...) are trusted.
func (s *Server) Register(name string, fn any) error {
	m, err := newMethod(name, fn)
	if err != nil {
		return err
	}
	return s.add(m)
}

// RegisterMethods registers every exported method of receiver under its Go
// name, as Register does for each: the methods of its method set, so a
// value receiver exposes only value methods and a pointer exposes both.
// Methods of well-known interfaces are left out: String, GoString, Error,
// Format, MarshalJSON, UnmarshalJSON, MarshalText, UnmarshalText,
// MarshalBinary, UnmarshalBinary and Close, with their standard
// signatures. Every other exported method becomes callable by clients, so
// keep helpers unexported or on another type; one whose signature cannot be
// a hub method makes RegisterMethods fail, naming it, and nothing is
// registered. So do methods named OnConnected and OnDisconnected, which
// ASP.NET Core users may expect to be hooks: the hooks are
// Config.OnConnected and Config.OnDisconnected. A nil receiver is an error.
func (s *Server) RegisterMethods(receiver any) error {
	ms, err := methodsOf(receiver)
	if err != nil {
		return err
	}
	return s.add(ms...)
}

func (s *Server) add(ms ...*method) error {
	s.regMu.Lock()
	defer s.regMu.Unlock()
	old := *s.methods.Load()
	next := make(methodTable, len(old)+2*len(ms))
	for k, v := range old {
		next[k] = v
	}
	for _, m := range ms {
		key := methodKey(m.name)
		if _, dup := next[key]; dup {
			return fmt.Errorf("hub: method %q is already registered", m.name)
		}
		next[key] = m
		next[m.name] = m
	}
	s.methods.Store(&next)
	return nil
}

func (s *Server) lookup(name string) *method {
	return s.methods.Load().lookup(name)
}

// Clients returns the hub-wide send targets, for use outside hub methods,
// e.g. in an HTTP handler after a database write.
func (s *Server) Clients() *Clients { return s.clients }

// Groups returns the hub's group manager.
func (s *Server) Groups() *Groups { return s.groups }

// ServeHTTP serves negotiate and the connection endpoint. Every request is
// authenticated (Config.Authenticator); requests that create a connection
// are also authorized and counted against the connection limits.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r = s.admit(w, r); r != nil {
		s.conns.ServeHTTP(w, r)
	}
}

// Shutdown closes the hub gracefully: it stops accepting connections, sends
// every connected client a Close message that allows it to reconnect (to
// another server), and waits until the connections have ended or ctx is
// done (then it aborts those left). It then releases the connection
// layer's heartbeat, the backplane subscription and, when the Server owns
// it, the backplane: no Close is needed after it.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	for _, c := range s.local.all() {
		c.closeWithMessage("", true, nil)
	}
	err := s.conns.Shutdown(ctx)
	_ = s.conns.Close() // stops the heartbeat; the connections have ended
	s.release()
	return err
}

// Close ends every connection at once and releases the Server's resources.
func (s *Server) Close() error {
	s.closing.Store(true)
	err := s.conns.Close()
	s.release()
	return err
}

func (s *Server) release() {
	s.workers.close()
	s.peers.close()
	if !s.solo {
		_ = s.bp.Unsubscribe(context.Background(), s.channelAll())
	}
	s.closeBackplane()
}

// NodeID returns the id of this node on the backplane (Config.Backplane's
// NodeID).
func (s *Server) NodeID() backplane.NodeID { return s.nodeID }

func (s *Server) closeBackplane() {
	if s.ownsBP {
		_ = s.bp.Close()
	}
}

// app adapts Server to connection.App without exporting Connect.
type app Server

func (a *app) Connect(c *connection.Conn) (connection.Session, error) {
	s := (*Server)(a)
	defer s.local.unreserve(c.ID()) // if admitConn did not take it over
	if s.closing.Load() {
		return nil, ErrServerClosed
	}
	req := c.Request()
	id, _ := auth.IdentityFrom(req.Context())
	if err := s.authorize(req.Context(), id, auth.Action{Kind: auth.Connect}); err != nil {
		s.logRefusal(req, "hub: connection denied by the Authorizer", "connection", c.ID(), "user", userIDOf(id), "reason", err)
		return nil, err
	}
	h := newHubConn(s, c, id, s.clientIP(req))
	if !s.local.admitConn(h) {
		s.logRefusal(req, "hub: connection over hub.Config.MaxConnectionsPerUser or MaxConnectionsPerIP refused", "connection", c.ID(), "user", userIDOf(id))
		return nil, errTooManyConnections
	}
	return h, nil
}

func (s *Server) codecFor(name string) (int, protocol.Codec) {
	for i, c := range s.codecs {
		if c.Name() == name {
			return i, c
		}
	}
	return -1, nil
}

// officialClientKeepAlive is how often the official clients ping by default.
const officialClientKeepAlive = 15 * time.Second

var errTooManyConnections = errors.New("hub: too many connections")
