package connection

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/http"
)

// A client that closes with an empty close frame (a browser's ws.close()
// without a code) must get close code 1000 back, as from ASP.NET, which
// reads a missing status as NormalClosure; coder/websocket would echo an
// empty frame, which the browser reports as 1005. The library offers no
// hook, so the hijacked connection's input is filtered: an empty masked
// close frame from the client is rewritten into one carrying 1000, which
// the library then echoes. The filter also gives the transport the raw
// net.Conn, whose Close aborts reads, writes and close handshakes at once.

// hijackWriter wraps the ResponseWriter passed to websocket.Accept to
// capture and wrap the hijacked connection.
type hijackWriter struct {
	http.ResponseWriter
	raw net.Conn
}

func (h *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// Bytes the server read ahead belong in front of the socket's stream.
	var src io.Reader = nc
	if n := brw.Reader.Buffered(); n > 0 {
		ahead, _ := brw.Reader.Peek(n)
		src = io.MultiReader(bytes.NewReader(bytes.Clone(ahead)), nc)
		_, _ = brw.Reader.Discard(n)
	}
	h.raw = &filteredConn{Conn: nc, in: closeFixer{src: src}}
	return h.raw, brw, nil
}

func (h *hijackWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// filteredConn is a net.Conn whose reads pass through a closeFixer.
type filteredConn struct {
	net.Conn
	in closeFixer
}

func (c *filteredConn) Read(p []byte) (int, error) { return c.in.Read(p) }

// closeFixer passes a client's WebSocket byte stream through, following
// the frame headers, and rewrites an empty masked close frame into a close
// frame with status 1000. Payload bytes are skipped in bulk.
type closeFixer struct {
	src io.Reader

	skip   uint64 // payload bytes left in the current frame
	pos    int    // header bytes of the current frame seen so far
	size   int    // header size, known once pos >= 2
	extEnd int    // end of the extended length field
	b0     byte
	length uint64
	mask   [4]byte
	fix    bool // the current header is an empty masked close frame

	out  []byte // inserted bytes to return before anything else
	tail []byte // unscanned input that followed a rewritten header
	err  error  // src's error held back while out or tail is pending
}

const (
	closeFrameFinByte = 0x88 // FIN + opcode close
	maskedEmptyLen    = 0x80 // MASK bit, payload length 0
	maskedLen2        = 0x82 // MASK bit, payload length 2
)

func (f *closeFixer) Read(p []byte) (int, error) {
	if len(f.out) > 0 {
		n := copy(p, f.out)
		f.out = f.out[n:]
		return n, nil
	}
	var n int
	var err error
	switch {
	case len(f.tail) > 0:
		n = copy(p, f.tail)
		f.tail = f.tail[n:]
	case f.err != nil:
		return 0, f.err
	default:
		n, err = f.src.Read(p)
	}
	for i := 0; i < n; {
		if f.skip > 0 {
			k := min(f.skip, uint64(n-i))
			i += int(k)
			f.skip -= k
			continue
		}
		b := p[i]
		switch {
		case f.pos == 0:
			f.b0, f.size, f.fix = b, 2, false
		case f.pos == 1:
			l := b & 0x7f
			f.size, f.length = 2, uint64(l)
			switch l {
			case 126:
				f.size, f.length = 4, 0
			case 127:
				f.size, f.length = 10, 0
			}
			f.extEnd = f.size
			if b&0x80 != 0 {
				f.size += 4
			}
			if f.b0 == closeFrameFinByte && b == maskedEmptyLen {
				f.fix = true
				p[i] = maskedLen2
			}
		case f.pos < f.extEnd:
			f.length = f.length<<8 | uint64(b)
		default:
			f.mask[f.pos-f.extEnd] = b
		}
		f.pos++
		i++
		if f.pos < 2 || f.pos < f.size {
			continue
		}
		f.pos = 0
		if !f.fix {
			f.skip = f.length
			continue
		}
		// Insert the masked status 1000 after the header; what followed it
		// is scanned on the next reads.
		var status [2]byte
		binary.BigEndian.PutUint16(status[:], 1000)
		f.out = []byte{status[0] ^ f.mask[0], status[1] ^ f.mask[1]}
		f.tail = append(bytes.Clone(p[i:n]), f.tail...)
		if err != nil {
			f.err = err
		}
		return i, nil
	}
	return n, err
}
