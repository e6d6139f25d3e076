package hub

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/hub/connection"
	"github.com/listhub/listhub/protocol"
)

// statefulClient negotiated stateful reconnect; it numbers what it
// receives as the JS client does and can drop and reopen its WebSocket.
type statefulClient struct {
	*testClient
	url, token string
	seqNext    uint64 // sequence id of the next trackable message
	seqLatest  uint64 // highest sequence id processed
}

func dialStateful(t *testing.T, url string, codec protocol.Codec) *statefulClient {
	t.Helper()
	res, err := http.Post(url+"/negotiate?negotiateVersion=1&useStatefulReconnect=true", "text/plain", nil)
	require.NoError(t, err)
	var neg struct {
		ConnectionID         string `json:"connectionId"`
		ConnectionToken      string `json:"connectionToken"`
		UseStatefulReconnect bool   `json:"useStatefulReconnect"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&neg))
	res.Body.Close()
	require.True(t, neg.UseStatefulReconnect)
	c := &statefulClient{testClient: &testClient{t: t, codec: codec, id: neg.ConnectionID}, url: url, token: neg.ConnectionToken, seqNext: 1}
	c.open()
	c.handshake(2)
	return c
}

// open (re)opens the WebSocket with the connection's token; no negotiate,
// no handshake, as the JS client does on a stateful reconnect.
func (c *statefulClient) open() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(c.url, "http")+"?id="+c.token, nil)
	require.NoError(c.t, err)
	ws.SetReadLimit(-1)
	c.ws, c.buf, c.queue, c.next = ws, nil, nil, 0
	c.t.Cleanup(func() { _ = ws.CloseNow() })
}

// recvNew returns the next message that is new under the sequence rules,
// applying Sequence messages.
func (c *statefulClient) recvNew() protocol.Message {
	for {
		m := c.recv()
		if s, ok := m.(*protocol.Sequence); ok {
			c.seqNext = s.SequenceID
			continue
		}
		if !m.Type().Trackable() {
			return m
		}
		id := c.seqNext
		c.seqNext++
		if id > c.seqLatest {
			c.seqLatest = id
			return m
		}
	}
}

func TestStatefulReconnectDeliversEveryMessageExactlyOnce(t *testing.T) {
	const n = 300
	forEachCodec(t, func(t *testing.T, codec protocol.Codec) {
		s, url := testServer(t, Config{Connection: connection.Options{AllowStatefulReconnects: true}}, func(s *Server) {
			require.NoError(t, s.Register("WhoAmI", func(c *Context) string { return c.ConnectionID() }))
		})
		c := dialStateful(t, url, codec)
		ctx := context.Background()
		client := s.Clients().Client(c.id)
		got := func() int {
			inv := c.recvNew().(*protocol.Invocation)
			var i int
			c.bind(inv.Arguments[0], &i)
			return i
		}
		for i := range n / 2 {
			require.NoError(t, client.Send(ctx, "Seq", i))
		}
		for want := range 100 {
			require.Equal(t, want, got())
		}
		c.send(&protocol.Ack{SequenceID: 50})

		// Drop the socket without a close frame, in the middle of the stream.
		require.NoError(t, c.ws.CloseNow())
		for i := n / 2; i < n; i++ {
			require.NoError(t, client.Send(ctx, "Seq", i))
		}
		c.open()
		seq, ok := c.recv().(*protocol.Sequence)
		require.True(t, ok, "the server sends Sequence first after a reconnect")
		assert.LessOrEqual(t, seq.SequenceID, uint64(101), "everything not received is replayed")
		c.seqNext = seq.SequenceID
		c.send(&protocol.Sequence{SequenceID: 1})
		for want := 100; want < n; want++ {
			require.Equal(t, want, got(), "exactly once, in order")
		}
		comp := c.invoke("w", "WhoAmI")
		var id string
		c.bind(comp.Result, &id)
		assert.Equal(t, c.id, id, "the connection id is unchanged")
	})
}

func TestStatefulReconnectIsOffUnlessAllowed(t *testing.T) {
	_, url := testServer(t, Config{}, nil)
	res, err := http.Post(url+"/negotiate?negotiateVersion=1&useStatefulReconnect=true", "text/plain", nil)
	require.NoError(t, err)
	var neg map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&neg))
	res.Body.Close()
	assert.NotContains(t, neg, "useStatefulReconnect")
}
