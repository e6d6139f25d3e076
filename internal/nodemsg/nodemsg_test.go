package nodemsg

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/protocol"
)

var codecs = []protocol.Codec{protocol.JSON{}, protocol.MessagePack{}}

func TestMessageRoundTrip(t *testing.T) {
	inv := &protocol.Invocation{Target: "Send", Arguments: []any{"milk", 2}}
	tests := []struct {
		name   string
		except []string
	}{
		{"no exclusions", nil},
		{"exclusions", []string{"a", "", "conn-b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := AppendMessage(nil, "node-1", tc.except, codecs, inv)
			require.NoError(t, err)
			h, body, err := ParseHeader(p)
			require.NoError(t, err)
			assert.Equal(t, Version, h.Version)
			assert.Equal(t, KindMessage, h.Kind)
			assert.Equal(t, "node-1", string(h.Origin))
			m, err := ParseMessage(body)
			require.NoError(t, err)
			assert.Equal(t, len(tc.except) > 0, m.HasExcept())
			for _, id := range tc.except {
				assert.True(t, m.Excludes(id), id)
			}
			assert.False(t, m.Excludes("other"))
			for i, c := range codecs {
				want, err := c.AppendMessage(nil, inv)
				require.NoError(t, err)
				assert.Equal(t, want, m.Frames[i], c.Name())
			}
		})
	}
}

func TestCommandAndReplyRoundTrip(t *testing.T) {
	inv := &protocol.Invocation{InvocationID: "r1", Target: "Ask", Arguments: []any{1}}
	tests := []struct {
		name string
		cmd  Command
		m    protocol.Message
	}{
		{"group add", Command{ID: 1, Op: OpGroupAdd, Target: "conn", Group: "g"}, nil},
		{"group remove", Command{ID: 1 << 40, Op: OpGroupRemove, Target: "conn", Group: ""}, nil},
		{"user leave", Command{ID: 7, Op: OpUserLeave, Target: "ann", Group: "g"}, nil},
		{"invoke", Command{ID: 9, Op: OpInvoke, Target: "conn"}, inv},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cs []protocol.Codec
			if tc.m != nil {
				cs = codecs
			}
			p, err := AppendCommand(nil, "n", &tc.cmd, cs, tc.m)
			require.NoError(t, err)
			h, body, err := ParseHeader(p)
			require.NoError(t, err)
			require.Equal(t, KindCommand, h.Kind)
			got, err := ParseCommand(body)
			require.NoError(t, err)
			want := tc.cmd
			if tc.m != nil {
				for i, c := range codecs {
					want.Frames[i], _ = c.AppendMessage(nil, tc.m)
				}
			}
			assert.Equal(t, want, got)
		})
	}

	r := Reply{ID: 3, Status: StatusDone, Text: []byte("err"), Codec: 1, HasResult: true, Result: []byte{0x2a}}
	h, body, err := ParseHeader(AppendReply(nil, "n", &r))
	require.NoError(t, err)
	require.Equal(t, KindReply, h.Kind)
	got, err := ParseReply(body)
	require.NoError(t, err)
	assert.Equal(t, r, got)
}

func TestParseRejects(t *testing.T) {
	good, err := AppendMessage(nil, "n", []string{"x"}, codecs, &protocol.Invocation{Target: "a"})
	require.NoError(t, err)
	tests := []struct {
		name string
		p    []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"one byte", []byte{Version}, ErrMalformed},
		{"unknown version", append([]byte{2}, good[1:]...), ErrVersion},
		{"ASP.NET MessagePack array", []byte{0x93, 'M', 0}, ErrVersion},
		{"origin too long", []byte{Version, 'M', 10, 'a'}, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseHeader(tc.p)
			require.ErrorIs(t, err, tc.want)
		})
	}
	_, body, err := ParseHeader(good)
	require.NoError(t, err)
	for cut := range len(body) {
		_, err := ParseMessage(body[:cut])
		require.ErrorIs(t, err, ErrMalformed, "message cut at %d", cut)
	}
	_, err = ParseMessage(append(body[:len(body):len(body)], 0))
	require.ErrorIs(t, err, ErrMalformed, "trailing bytes")
	_, err = ParseCommand([]byte{1, 'Z', 0, 0, 0})
	require.ErrorIs(t, err, ErrMalformed, "unknown op")
	_, err = ParseReply([]byte{1, 'Z', 0, 0, 0, 0})
	require.ErrorIs(t, err, ErrMalformed, "unknown status")
	_, err = ParseReply([]byte{1, 'D', 0, 0, 2, 0})
	require.ErrorIs(t, err, ErrMalformed, "hasResult not 0 or 1")
}

func BenchmarkParseMessage(b *testing.B) {
	p, err := AppendMessage(nil, "node-1", []string{"a", "b"}, codecs, &protocol.Invocation{Target: "Send", Arguments: []any{"hello"}})
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		_, body, err := ParseHeader(p)
		if err != nil {
			b.Fatal(err)
		}
		m, err := ParseMessage(body)
		if err != nil || m.Excludes("c") {
			b.Fatal(err)
		}
	}
}
