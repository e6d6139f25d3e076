package main

import (
	"context"
	"errors"
	"io"

	"github.com/coder/websocket"
)

// wsClient is the viewers' WebSocket client: coder/websocket with one
// reused read buffer. The generator runs in the server's process, so it
// must cost little next to the server: it reads each message into the same
// buffer (no slice per message) and reads without a cancellable context
// (the connection is closed to stop a reader instead).
type wsClient struct {
	conn *websocket.Conn
	buf  []byte // the last message read; reused
}

// maxMessage bounds one message from the server.
const maxMessage = 1 << 20

// dialWS opens a WebSocket to rawURL (ws://host/path?query).
func dialWS(ctx context.Context, rawURL string) (*wsClient, error) {
	c, _, err := websocket.Dial(ctx, rawURL, nil)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(maxMessage)
	return &wsClient{conn: c, buf: make([]byte, 0, 4096)}, nil
}

// read returns the next message. The slice is valid until the next read.
func (c *wsClient) read() ([]byte, error) {
	_, r, err := c.conn.Reader(context.Background())
	if err != nil {
		return nil, err
	}
	c.buf = c.buf[:0]
	for {
		if len(c.buf) == cap(c.buf) {
			c.buf = append(c.buf, 0)[:len(c.buf)]
		}
		n, err := r.Read(c.buf[len(c.buf):cap(c.buf)])
		c.buf = c.buf[:len(c.buf)+n]
		if errors.Is(err, io.EOF) {
			return c.buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// writeText sends one text message.
func (c *wsClient) writeText(p []byte) error {
	return c.conn.Write(context.Background(), websocket.MessageText, p)
}

// close ends the connection at once.
func (c *wsClient) close() { _ = c.conn.CloseNow() }
