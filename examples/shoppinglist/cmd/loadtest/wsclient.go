package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// wsClient is the viewers' WebSocket client: the RFC 6455 handshake and
// frames over a plain net.Conn, with one reused read buffer. It exists so
// that the load generator costs little next to the server it measures: a
// general client (coder/websocket's Conn.Read with a cancellable context)
// registers a context callback and allocates a fresh slice for every
// message, which at 100,000 messages a second was about a third of the
// process's CPU. It reads server frames (never masked) and writes masked
// text frames; it is not a general client (no compression, no
// extensions).
type wsClient struct {
	conn net.Conn
	br   *bufio.Reader
	buf  []byte // the last message read; reused
	hdr  [14]byte
}

// dialWS opens a WebSocket to rawURL (ws://host/path?query).
func dialWS(ctx context.Context, rawURL string) (*wsClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	var key [16]byte
	_, _ = rand.Read(key[:])
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
		u.RequestURI(), u.Host, base64.StdEncoding.EncodeToString(key[:]))
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if _, err := io.WriteString(conn, req); err != nil {
		conn.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(conn, 4096)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		conn.Close()
		return nil, fmt.Errorf("websocket upgrade: %s", res.Status)
	}
	_ = conn.SetDeadline(time.Time{})
	return &wsClient{conn: conn, br: br, buf: make([]byte, 0, 4096)}, nil
}

// writeText sends p as one masked text frame.
func (c *wsClient) writeText(p []byte) error {
	frame := make([]byte, 0, len(p)+14)
	frame = append(frame, 0x81) // FIN, text
	switch n := len(p); {
	case n < 126:
		frame = append(frame, 0x80|byte(n))
	case n <= 0xffff:
		frame = append(frame, 0x80|126)
		frame = binary.BigEndian.AppendUint16(frame, uint16(n))
	default:
		frame = append(frame, 0x80|127)
		frame = binary.BigEndian.AppendUint64(frame, uint64(n))
	}
	var key [4]byte
	_, _ = rand.Read(key[:])
	frame = append(frame, key[:]...)
	start := len(frame)
	frame = append(frame, p...)
	for i := range frame[start:] {
		frame[start+i] ^= key[i&3]
	}
	_, err := c.conn.Write(frame)
	return err
}

// errWSClosed is returned by read when the server sent a close frame.
var errWSClosed = errors.New("websocket closed")

// read returns the next data message; the slice is valid until the next
// call. Pings are answered; a close frame ends reading.
func (c *wsClient) read() ([]byte, error) {
	c.buf = c.buf[:0]
	for {
		if _, err := io.ReadFull(c.br, c.hdr[:2]); err != nil {
			return nil, err
		}
		fin, opcode := c.hdr[0]&0x80 != 0, c.hdr[0]&0x0f
		if c.hdr[1]&0x80 != 0 {
			return nil, errors.New("websocket: masked server frame")
		}
		n := uint64(c.hdr[1] & 0x7f)
		switch n {
		case 126:
			if _, err := io.ReadFull(c.br, c.hdr[2:4]); err != nil {
				return nil, err
			}
			n = uint64(binary.BigEndian.Uint16(c.hdr[2:4]))
		case 127:
			if _, err := io.ReadFull(c.br, c.hdr[2:10]); err != nil {
				return nil, err
			}
			n = binary.BigEndian.Uint64(c.hdr[2:10])
		}
		if n > 1<<20 {
			return nil, fmt.Errorf("websocket: frame of %d bytes", n)
		}
		start := len(c.buf)
		c.buf = append(c.buf, make([]byte, n)...) // grows without allocating when it fits
		if _, err := io.ReadFull(c.br, c.buf[start:]); err != nil {
			return nil, err
		}
		switch opcode {
		case 0x8: // close
			return nil, errWSClosed
		case 0x9: // ping: answer, drop its payload
			// A control frame may arrive between fragments; answer it
			// and keep what came before.
			payload := append([]byte(nil), c.buf[start:]...)
			c.buf = c.buf[:start]
			if err := c.writeControl(0xA, payload); err != nil {
				return nil, err
			}
			continue
		case 0xA: // pong
			c.buf = c.buf[:start]
			continue
		}
		if fin {
			return c.buf, nil
		}
	}
}

// writeControl sends a masked control frame (payload < 126 bytes).
func (c *wsClient) writeControl(opcode byte, p []byte) error {
	frame := []byte{0x80 | opcode, 0x80 | byte(len(p)), 0, 0, 0, 0}
	frame = append(frame, p...) // zero mask key: the payload goes as is
	_, err := c.conn.Write(frame)
	return err
}

func (c *wsClient) close() { _ = c.conn.Close() }
