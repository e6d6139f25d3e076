package nodemsg

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/protocol"
)

// FuzzParse feeds arbitrary payloads to the parsers: they must answer with
// an error or a value, never panic, and a command or reply that parses
// must encode back to a payload that parses to the same value.
func FuzzParse(f *testing.F) {
	msg, _ := AppendMessage(nil, "node-1", []string{"a", "b"}, codecs, &protocol.Invocation{Target: "Send", Arguments: []any{"x"}})
	cmd, _ := AppendCommand(nil, "node-2", &Command{ID: 5, Op: OpInvoke, Target: "c"}, codecs, &protocol.Invocation{InvocationID: "r1", Target: "Ask"})
	add, _ := AppendCommand(nil, "node-2", &Command{ID: 6, Op: OpGroupAdd, Target: "c", Group: "g"}, nil, nil)
	f.Add(msg)
	f.Add(cmd)
	f.Add(add)
	f.Add(AppendReply(nil, "node-3", &Reply{ID: 5, Status: StatusDone, Codec: 1, HasResult: true, Result: []byte{1}}))
	f.Add([]byte{})
	f.Add([]byte{0x93, 0xa1, 'x'})
	f.Fuzz(func(t *testing.T, p []byte) {
		h, body, err := ParseHeader(p)
		if err != nil {
			return
		}
		origin := string(h.Origin)
		switch h.Kind {
		case KindMessage:
			m, err := ParseMessage(body)
			if err == nil {
				_ = m.Excludes("a")
			}
		case KindCommand:
			c, err := ParseCommand(body)
			if err != nil {
				return
			}
			// Re-encoding carries no frames; compare the rest.
			c.Frames = [MaxCodecs][]byte{}
			again, err := AppendCommand(nil, origin, &c, nil, nil)
			require.NoError(t, err)
			_, body2, err := ParseHeader(again)
			require.NoError(t, err)
			c2, err := ParseCommand(body2)
			require.NoError(t, err)
			require.Equal(t, c, c2)
		case KindReply:
			r, err := ParseReply(body)
			if err != nil {
				return
			}
			_, body2, err := ParseHeader(AppendReply(nil, origin, &r))
			require.NoError(t, err)
			r2, err := ParseReply(body2)
			require.NoError(t, err)
			require.Equal(t, normalize(r), normalize(r2))
		}
	})
}

// normalize makes empty and nil byte slices compare equal.
func normalize(r Reply) Reply {
	if len(r.Text) == 0 {
		r.Text = nil
	}
	if len(r.Result) == 0 {
		r.Result = nil
	}
	return r
}
