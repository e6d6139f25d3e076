package main

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRunDeliversEveryItem runs a small load against the real server and
// checks that the viewers' client received every ItemAdded.
func TestRunDeliversEveryItem(t *testing.T) {
	res, err := run(5, 2, 20, 500*time.Millisecond, 0, "", profiles{})
	http.DefaultClient.CloseIdleConnections()
	require.NoError(t, err)
	require.Equal(t, int64(5*10), res.expected)
	require.Equal(t, res.expected, res.delivered)
}

func TestWSClientRead(t *testing.T) {
	frame := func(b0 byte, payload string) []byte {
		return append([]byte{b0, byte(len(payload))}, payload...)
	}
	long := bytes.Repeat([]byte("x"), 300)
	tests := []struct {
		name  string
		input []byte
		want  []string // messages in order; then an error
	}{
		{"one text frame", frame(0x81, "a\x1e"), []string{"a\x1e"}},
		{"fragments joined", append(frame(0x01, "ab"), frame(0x80, "cd")...), []string{"abcd"}},
		{"ping between fragments", append(append(frame(0x01, "ab"), frame(0x89, "p")...), frame(0x80, "cd")...), []string{"abcd"}},
		{"16-bit length", append([]byte{0x81, 126, 1, 44}, long...), []string{string(long)}},
		{"two messages", append(frame(0x81, "a"), frame(0x82, "b")...), []string{"a", "b"}},
		{"close ends", append(frame(0x81, "a"), frame(0x88, "")...), []string{"a"}},
		{"masked frame refused", []byte{0x81, 0x81, 0, 0, 0, 0, 'a'}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &wsClient{conn: discardConn{}, br: bufio.NewReader(bytes.NewReader(tt.input))}
			for _, w := range tt.want {
				got, err := c.read()
				require.NoError(t, err)
				require.Equal(t, w, string(got))
			}
			_, err := c.read()
			require.Error(t, err)
		})
	}
}

func TestParseDigits(t *testing.T) {
	n, ok := parseDigits([]byte(`1764300000123456789"`))
	require.True(t, ok)
	require.Equal(t, int64(1764300000123456789), n)
	_, ok = parseDigits([]byte(`"x`))
	require.False(t, ok)
}

// FuzzWSClientRead: any bytes from the server give messages or an error,
// never a panic or an unbounded allocation.
func FuzzWSClientRead(f *testing.F) {
	f.Add([]byte{0x81, 2, 'h', 'i'})
	f.Add([]byte{0x01, 1, 'a', 0x89, 0, 0x80, 1, 'b'})
	f.Add([]byte{0x81, 127, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &wsClient{conn: discardConn{}, br: bufio.NewReader(bytes.NewReader(data))}
		for range 100 {
			if _, err := c.read(); err != nil {
				return
			}
		}
	})
}

// discardConn is a net.Conn whose writes (pong answers) go nowhere.
type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error) { return len(p), nil }
func (discardConn) Close() error                { return nil }
