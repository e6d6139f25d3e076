package hub

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/hub/connection"
	"github.com/listhub/listhub/protocol"
)

func callStats(st Stats, method, outcome string) CallStats {
	for _, c := range st.Calls {
		if c.Method == method && c.Outcome == outcome {
			return c
		}
	}
	return CallStats{}
}

func openConns(st Stats, transport, protocol string) int64 {
	for _, c := range st.Connections {
		if c.Transport == transport && c.Protocol == protocol {
			return c.Open
		}
	}
	return -1
}

func TestStatsCountConnectionsCallsMessagesAndGroups(t *testing.T) {
	gone := make(chan struct{}, 2)
	s, url := testServer(t, Config{
		Connection:     connection.Options{MaxQueueBytes: 4096},
		OnDisconnected: func(*Context, error) { gone <- struct{}{} },
	}, func(s *Server) {
		require.NoError(t, s.Register("Echo", func(msg string) string { return msg }))
		require.NoError(t, s.Register("Fail", func() error { return errors.New("no") }))
		require.NoError(t, s.Register("Join", func(c *Context, g string) error { return c.Groups().Add(c, c.ConnectionID(), g) }))
	})
	assert.Zero(t, openConns(s.Stats(), "WebSockets", "json"))

	j := dial(t, url, protocol.JSON{})
	m := dial(t, url, protocol.MessagePack{})
	st := s.Stats()
	assert.EqualValues(t, 1, openConns(st, "WebSockets", "json"))
	assert.EqualValues(t, 1, openConns(st, "WebSockets", "messagepack"))
	assert.EqualValues(t, 0, openConns(st, "LongPolling", "json"))
	assert.EqualValues(t, 2, st.ConnectionsOpened)

	for i := range 3 {
		require.Empty(t, j.invoke(string(rune('a'+i)), "Echo", "x").Error)
	}
	require.NotEmpty(t, m.invoke("1", "Fail").Error)
	require.NotEmpty(t, m.invoke("2", "Echo", 42).Error) // does not bind
	require.NotEmpty(t, m.invoke("3", "Nope").Error)
	require.Empty(t, j.invoke("4", "Join", "list").Error)
	require.Empty(t, m.invoke("5", "Join", "list").Error)
	require.Empty(t, m.invoke("6", "Join", "other").Error)
	require.NoError(t, s.Clients().Group("list").Send(t.Context(), "Changed", 1))
	j.recv()
	m.recv()

	st = s.Stats()
	ok := callStats(st, "Echo", OutcomeOK)
	assert.EqualValues(t, 3, ok.Count)
	assert.EqualValues(t, 3, ok.Buckets[len(ok.Buckets)-1], "each call took at most 10 s")
	assert.Positive(t, ok.Duration)
	assert.EqualValues(t, 1, callStats(st, "Fail", OutcomeError).Count)
	assert.EqualValues(t, 1, callStats(st, "Echo", OutcomeRefused).Count)
	assert.EqualValues(t, 0, callStats(st, "Fail", OutcomeOK).Count, "every registered method is listed")
	assert.EqualValues(t, 1, st.UnknownMethodCalls)
	assert.EqualValues(t, 2, st.Groups)
	assert.EqualValues(t, 3, st.GroupMemberships)
	// 9 completions and the group message to its 2 members.
	assert.EqualValues(t, 11, st.MessagesSent)
	assert.Equal(t, BackplaneStats{Type: "*backplane.Memory", Healthy: true}, st.Backplane)

	// A recipient that stops reading is closed as a slow consumer once its
	// backlog passes the send queue's bound (the socket's buffers fill first).
	big := strings.Repeat("x", 8192)
	for i := 0; s.Clients().Client(m.id).Send(t.Context(), "Big", big) == nil; i++ {
		require.Less(t, i, 10_000, "m never read, yet its queue never filled")
	}
	<-gone
	st = s.Stats()
	assert.EqualValues(t, 1, st.SlowConsumerCloses)
	assert.EqualValues(t, 0, openConns(st, "WebSockets", "messagepack"))
	assert.EqualValues(t, 1, openConns(st, "WebSockets", "json"))
	assert.EqualValues(t, 2, st.ConnectionsOpened, "a counter: closing does not lower it")
}

func TestStatsWritePrometheus(t *testing.T) {
	s, url := testServer(t, Config{}, func(s *Server) {
		require.NoError(t, s.Register("Echo", func(msg string) string { return msg }))
	})
	c := dial(t, url, protocol.JSON{})
	require.Empty(t, c.invoke("1", "Echo", "x").Error)
	var b strings.Builder
	require.NoError(t, s.Stats().WritePrometheus(&b))
	out := b.String()
	for _, want := range []string{
		"# TYPE listhub_connections gauge",
		`listhub_connections{transport="WebSockets",protocol="json"} 1`,
		`listhub_calls_total{method="Echo",outcome="ok"} 1`,
		`listhub_call_duration_seconds_bucket{method="Echo",outcome="ok",le="+Inf"} 1`,
		`listhub_call_duration_seconds_count{method="Echo",outcome="ok"} 1`,
		"listhub_messages_sent_total 1",
		`listhub_backplane_healthy{type="*backplane.Memory"} 1`,
	} {
		assert.Contains(t, out, want+"\n")
	}
	assert.NotContains(t, out, `outcome="error",le=`, "no histogram for outcomes that never happened")
}
