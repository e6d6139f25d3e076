package hub

import (
	"slices"
	"strings"

	"github.com/listhub/listhub/internal/nodemsg"
	"github.com/listhub/listhub/protocol"
)

// messageEnvelope is a message for clients as a connection delivers it:
// the bytes of each hub protocol, encoded once and shared by every
// recipient, and the connections excluded. Payloads between nodes are
// package nodemsg's; this is their decoded form, or a local send's.
type messageEnvelope struct {
	frames   [nodemsg.MaxCodecs][]byte // encoded message by codec index
	nExcept  int                       // > 0 when excludes must be asked
	remote   nodemsg.Message           // the exclusions of a received payload, when isRemote
	isRemote bool
	except   []string // the exclusions of a local send
}

// excludes reports whether connID must not receive the message.
func (e *messageEnvelope) excludes(connID string) bool {
	if e.isRemote {
		return e.remote.Excludes(connID)
	}
	return slices.Contains(e.except, connID)
}

// encodeMessage encodes m once per hub protocol into the payload published
// for the other nodes, and returns the envelope that delivers the same
// bytes to this node's recipients.
func (s *Server) encodeMessage(except []string, m protocol.Message) ([]byte, messageEnvelope, error) {
	payload, err := nodemsg.AppendMessage(nil, s.nodeName, except, s.codecs, m)
	if err != nil {
		return nil, messageEnvelope{}, err
	}
	_, body, err := nodemsg.ParseHeader(payload)
	if err != nil {
		return nil, messageEnvelope{}, err
	}
	msg, err := nodemsg.ParseMessage(body)
	if err != nil {
		return nil, messageEnvelope{}, err
	}
	return payload, messageEnvelope{frames: msg.Frames, nExcept: len(except), except: except}, nil
}

// receive is the backplane Receiver of every channel this node subscribes
// to. Messages from this node itself are dropped: their local recipients
// got them directly. Commands and replies go to the node core. A payload
// of an unknown version, or malformed, is logged and dropped.
func (r *registry) receive(channel string, payload []byte) {
	s := r.srv
	name, ok := strings.CutPrefix(channel, s.cfg.ChannelPrefix)
	if !ok {
		return
	}
	hdr, body, err := nodemsg.ParseHeader(payload)
	if err != nil {
		s.cfg.Logger.Warn("hub: dropping a backplane payload", "channel", channel, "error", err)
		return
	}
	switch hdr.Kind {
	case nodemsg.KindMessage:
		if string(hdr.Origin) == s.nodeName {
			return
		}
		msg, err := nodemsg.ParseMessage(body)
		if err != nil {
			s.cfg.Logger.Warn("hub: dropping a backplane payload", "channel", channel, "error", err)
			return
		}
		env := messageEnvelope{frames: msg.Frames, remote: msg, isRemote: true}
		if msg.HasExcept() {
			env.nExcept = 1
		}
		r.deliverChannel(name, &env)
	case nodemsg.KindCommand, nodemsg.KindReply:
		if name == s.inboxName {
			s.peers.receive(hdr, body)
		}
	default:
		s.cfg.Logger.Warn("hub: dropping a backplane payload of unknown kind", "channel", channel, "kind", hdr.Kind)
	}
}

// deliverChannel hands env to this node's recipients of the channel named
// name (without the prefix). Conn.Write never blocks, so a slow client
// cannot hold it up.
func (r *registry) deliverChannel(name string, env *messageEnvelope) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	switch {
	case name == "all":
		for _, h := range r.conns {
			h.deliver(env)
		}
	case strings.HasPrefix(name, "c:"):
		if h := r.conns[name[2:]]; h != nil {
			h.deliver(env)
		}
	case strings.HasPrefix(name, "u:"):
		for h := range r.users[name[2:]] {
			h.deliver(env)
		}
	case strings.HasPrefix(name, "g:"):
		for h := range r.groups[name[2:]] {
			h.deliver(env)
		}
	}
}
