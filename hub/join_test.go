package hub

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/auth"
	"github.com/listhub/listhub/protocol"
)

// A variadic last parameter takes optional trailing arguments, as in
// JoinList(listId) or JoinList(listId, afterSeq).
func TestVariadicTrailingArguments(t *testing.T) {
	// With an Authorizer the call goes through the filter chain.
	for name, cfg := range map[string]Config{"direct": {}, "filtered": {Authorizer: auth.AllowAll}} {
		t.Run(name, func(t *testing.T) { testVariadic(t, cfg) })
	}
}

func testVariadic(t *testing.T, cfg Config) {
	forEachCodec(t, func(t *testing.T, codec protocol.Codec) {
		_, url := testServer(t, cfg, func(s *Server) {
			require.NoError(t, s.Register("Join", func(c *Context, list string, after ...int64) []int64 {
				return append([]int64{int64(len(list))}, after...)
			}))
		})
		c := dial(t, url, codec)
		tests := []struct {
			name string
			args []any
			want []int64
			err  string
		}{
			{"fixed only", []any{"abc"}, []int64{3}, ""},
			{"one optional", []any{"abc", 7}, []int64{3, 7}, ""},
			{"two optional", []any{"ab", 7, 9}, []int64{2, 7, 9}, ""},
			{"too few", nil, nil, "Failed to invoke 'Join' due to an error on the server."},
			{"optional of the wrong type", []any{"abc", "x"}, nil, "Failed to invoke 'Join' due to an error on the server."},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				comp := c.invoke(string(rune('a'+i)), "Join", tt.args...)
				if tt.err != "" {
					assert.Equal(t, tt.err, comp.Error)
					return
				}
				require.Empty(t, comp.Error)
				var got []int64
				c.bind(comp.Result, &got)
				assert.Equal(t, tt.want, got)
			})
		}
	})
}

func TestVariadicRegistration(t *testing.T) {
	s, err := New(Config{})
	require.NoError(t, err)
	defer s.Close()
	assert.NoError(t, s.Register("Ok", func(xs ...string) int { return len(xs) }))
	assert.Error(t, s.Register("Upload", func(xs ...<-chan int) {}))
}

// What a method asks to run after its completion reaches the caller after
// the method's result.
func TestAfterCompletionRunsAfterTheResult(t *testing.T) {
	forEachCodec(t, func(t *testing.T, codec protocol.Codec) {
		_, url := testServer(t, Config{}, func(s *Server) {
			require.NoError(t, s.Register("Join", func(c *Context) string {
				c.AfterCompletion(func() { _ = c.Clients().Caller().Send(c, "State", "second") })
				return "first"
			}))
		})
		c := dial(t, url, codec)
		c.send(&protocol.Invocation{InvocationID: "1", Target: "Join"})
		first := c.recv()
		comp, ok := first.(*protocol.Completion)
		require.True(t, ok, "the result comes first, got %T", first)
		var got string
		c.bind(comp.Result, &got)
		assert.Equal(t, "first", got)
		inv, ok := c.recv().(*protocol.Invocation)
		require.True(t, ok)
		assert.Equal(t, "State", inv.Target)
	})
}
