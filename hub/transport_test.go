package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/listhub/listhub/protocol"
)

// longPoller is a test client's long-polling transport: polls read, POSTs
// write, a DELETE ends the connection.
type longPoller struct {
	url string // the hub's URL with ?id=<token>
}

// write sends b over the client's transport.
func (c *testClient) write(ctx context.Context, typ websocket.MessageType, b []byte) error {
	if c.lp == nil {
		return c.ws.Write(ctx, typ, b)
	}
	res, err := c.lp.do(ctx, http.MethodPost, b)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("POST: %s", res.Status)
	}
	return nil
}

// read returns the next bytes from the client's transport: a WebSocket
// message, or the body of the next poll that carries data.
func (c *testClient) read(ctx context.Context) ([]byte, error) {
	if c.lp == nil {
		_, data, err := c.ws.Read(ctx)
		return data, err
	}
	for {
		res, err := c.lp.do(ctx, http.MethodGet, nil)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		switch {
		case err != nil:
			return nil, err
		case res.StatusCode == http.StatusNoContent:
			return nil, io.EOF // the server ended the connection
		case res.StatusCode != http.StatusOK:
			return nil, fmt.Errorf("poll: %s", res.Status)
		case len(body) > 0:
			return body, nil
		}
	}
}

// closeNow ends the client's connection at once, as a closed tab would.
func (c *testClient) closeNow() {
	if c.lp == nil {
		_ = c.ws.CloseNow()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if res, err := c.lp.do(ctx, http.MethodDelete, nil); err == nil {
		res.Body.Close()
	}
}

func (l *longPoller) do(ctx context.Context, method string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, l.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if method != http.MethodGet {
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	return res, nil
}

// dialLongPolling negotiates, starts long polling and completes a
// version-1 handshake.
func dialLongPolling(t testing.TB, url string, codec protocol.Codec) *testClient {
	t.Helper()
	base, query, _ := strings.Cut(url, "?")
	res, err := http.Post(base+"/negotiate?negotiateVersion=1&"+query, "text/plain", nil)
	require.NoError(t, err)
	var neg struct {
		ConnectionID    string `json:"connectionId"`
		ConnectionToken string `json:"connectionToken"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&neg))
	res.Body.Close()
	lp := &longPoller{url: base + "?id=" + neg.ConnectionToken + "&" + query}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	first, err := lp.do(ctx, http.MethodGet, nil) // activates the connection
	require.NoError(t, err)
	first.Body.Close()
	require.Equal(t, http.StatusOK, first.StatusCode)
	c := &testClient{t: t, lp: lp, id: neg.ConnectionID, codec: codec}
	t.Cleanup(c.closeNow)
	c.handshake(1)
	return c
}

// transport names how a test client connects.
type transport string

const (
	webSockets  transport = "ws"
	longPolling transport = "lp"
)

// dial connects a client of m's codec and transport.
func (m mode) dial(t testing.TB, url string) *testClient {
	t.Helper()
	if m.transport == longPolling {
		return dialLongPolling(t, url, m.codec)
	}
	return dial(t, url, m.codec)
}
