package hub

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/auth"
	"github.com/listhub/listhub/protocol"
)

// testServer runs a hub on httptest with short timeouts; setup registers
// methods.
func testServer(t testing.TB, cfg Config, setup func(s *Server)) (*Server, string) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	s, err := New(cfg)
	require.NoError(t, err)
	if setup != nil {
		setup(s)
	}
	return s, serve(t, s)
}

// serve mounts s at /hub on an httptest server and closes both when the
// test ends; it returns the hub's URL.
func serve(t testing.TB, s *Server) string {
	mux := http.NewServeMux()
	mux.Handle("/hub", s)
	mux.Handle("/hub/negotiate", s)
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		_ = s.Close()
		hs.Close()
	})
	return hs.URL + "/hub"
}

// testClient is a minimal hub client on a raw WebSocket, speaking our own
// codecs; the official client is exercised by the conformance suite.
type testClient struct {
	t     testing.TB
	ws    *websocket.Conn
	lp    *longPoller // instead of ws for a long-polling client (transport_test.go)
	codec protocol.Codec
	id    string
	buf   []byte
	queue []protocol.Message
	next  int
}

// dial negotiates, opens the WebSocket and completes a version-1 handshake.
func dial(t testing.TB, url string, codec protocol.Codec) *testClient {
	t.Helper()
	c := dialNoHandshake(t, url)
	c.codec = codec
	c.handshake(1)
	return c
}

// dialNoHandshake negotiates and opens the WebSocket; the caller sends the
// handshake.
func dialNoHandshake(t testing.TB, url string) *testClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	base, query, _ := strings.Cut(url, "?")
	res, err := http.Post(base+"/negotiate?negotiateVersion=1&"+query, "text/plain", nil)
	require.NoError(t, err)
	var neg struct {
		ConnectionID    string `json:"connectionId"`
		ConnectionToken string `json:"connectionToken"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&neg))
	res.Body.Close()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"?id="+neg.ConnectionToken+"&"+query, nil)
	require.NoError(t, err)
	ws.SetReadLimit(-1)
	c := &testClient{t: t, ws: ws, id: neg.ConnectionID}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return c
}

// handshake sends the handshake request for c's codec and reads the
// successful response; what follows it is kept for recv.
func (c *testClient) handshake(version int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hs := protocol.AppendHandshakeRequest(nil, protocol.HandshakeRequest{Protocol: c.codec.Name(), Version: version})
	require.NoError(c.t, c.write(ctx, websocket.MessageText, hs))
	data, err := c.read(ctx)
	require.NoError(c.t, err)
	resp, n, err := protocol.ParseHandshakeResponse(data)
	require.NoError(c.t, err)
	require.Empty(c.t, resp.Error)
	c.buf = append(c.buf, data[n:]...)
}

func (c *testClient) send(m protocol.Message) {
	c.t.Helper()
	b, err := c.codec.AppendMessage(nil, m)
	require.NoError(c.t, err)
	typ := websocket.MessageText
	if c.codec.TransferFormat() == protocol.Binary {
		typ = websocket.MessageBinary
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(c.t, c.write(ctx, typ, b))
}

// recv returns the next message that is not a Ping.
func (c *testClient) recv() protocol.Message {
	c.t.Helper()
	m, err := c.tryRecv(10 * time.Second)
	require.NoError(c.t, err)
	return m
}

func (c *testClient) tryRecv(timeout time.Duration) (protocol.Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		for c.next < len(c.queue) {
			m := c.queue[c.next]
			c.next++
			if _, ping := m.(*protocol.Ping); !ping {
				return m, nil
			}
		}
		c.queue, c.next = c.queue[:0], 0
		if len(c.buf) > 0 {
			msgs, n, err := c.codec.ParseMessages(c.queue, c.buf)
			if err != nil {
				return nil, err
			}
			c.queue = msgs
			c.buf = append([]byte(nil), c.buf[n:]...)
			if len(msgs) > 0 {
				continue
			}
		}
		data, err := c.read(ctx)
		if err != nil {
			return nil, err
		}
		c.buf = append(c.buf, data...)
	}
}

// invoke calls a method and returns its Completion.
func (c *testClient) invoke(id, target string, args ...any) *protocol.Completion {
	c.t.Helper()
	c.send(&protocol.Invocation{InvocationID: id, Target: target, Arguments: args})
	for {
		if comp, ok := c.recv().(*protocol.Completion); ok && comp.InvocationID == id {
			return comp
		}
	}
}

// bind decodes a received RawValue.
func (c *testClient) bind(v any, out any) {
	c.t.Helper()
	raw, ok := v.(protocol.RawValue)
	require.True(c.t, ok, "not a RawValue: %T", v)
	require.NoError(c.t, c.codec.Bind(raw, out))
}

var codecs = []protocol.Codec{protocol.JSON{}, protocol.MessagePack{}}

func forEachCodec(t *testing.T, f func(t *testing.T, codec protocol.Codec)) {
	for _, codec := range codecs {
		t.Run(codec.Name(), func(t *testing.T) { f(t, codec) })
	}
}

// userFromQuery authenticates the user named by ?user=, for tests.
var userFromQuery = auth.AuthenticatorFunc(func(r *http.Request) (*auth.Identity, error) {
	if u := r.URL.Query().Get("user"); u != "" {
		return &auth.Identity{UserID: u}, nil
	}
	return nil, auth.ErrNoToken
})
