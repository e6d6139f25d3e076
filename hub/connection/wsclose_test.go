package connection

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

// clientFrame builds a masked client frame.
func clientFrame(b0 byte, payload []byte, mask [4]byte) []byte {
	f := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n <= 0xffff:
		f = append(f, 0x80|126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	f = append(f, mask[:]...)
	for i, c := range payload {
		f = append(f, c^mask[i%4])
	}
	return f
}

// chunkReader returns its data in random-sized reads.
type chunkReader struct {
	data []byte
	rng  *rand.Rand
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(r.data), 1+r.rng.IntN(20))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

func TestCloseFixer(t *testing.T) {
	m := [4]byte{0x11, 0x22, 0x33, 0x44}
	text := clientFrame(0x81, []byte("hello"), m)
	mid := clientFrame(0x82, bytes.Repeat([]byte{0x88, 0x80}, 200), m) // payload looks like close headers
	large := clientFrame(0x82, bytes.Repeat([]byte{0x88}, 70000), m)
	emptyClose := clientFrame(0x88, nil, m)
	fixedClose := clientFrame(0x88, []byte{0x03, 0xe8}, m)
	codeClose := clientFrame(0x88, []byte{0x03, 0xe9}, m)
	unmaskedEmptyClose := []byte{0x88, 0x00}
	cat := func(fs ...[]byte) []byte { return bytes.Join(fs, nil) }

	tests := []struct {
		name    string
		in, out []byte
	}{
		{"data untouched", cat(text, mid, large), cat(text, mid, large)},
		{"empty close gets 1000", cat(text, large, emptyClose), cat(text, large, fixedClose)},
		{"bytes after the close are still parsed", cat(emptyClose, text, emptyClose), cat(fixedClose, text, fixedClose)},
		{"close with code untouched", cat(mid, codeClose), cat(mid, codeClose)},
		{"unmasked close untouched", cat(text, unmaskedEmptyClose), cat(text, unmaskedEmptyClose)},
	}
	readers := map[string]func(src io.Reader) io.Reader{
		"whole":      func(src io.Reader) io.Reader { return src },
		"one byte":   func(src io.Reader) io.Reader { return iotest.OneByteReader(src) },
		"data error": func(src io.Reader) io.Reader { return iotest.DataErrReader(src) },
	}
	for _, tt := range tests {
		for rname, wrap := range readers {
			for seed := range uint64(5) {
				src := &chunkReader{data: bytes.Clone(tt.in), rng: rand.New(rand.NewPCG(seed, 1))}
				f := &closeFixer{src: wrap(src)}
				var got []byte
				var err error
				if rname == "one byte" {
					got, err = io.ReadAll(iotest.OneByteReader(f))
				} else {
					got, err = io.ReadAll(f)
				}
				require.NoError(t, err, "%s/%s", tt.name, rname)
				require.Equal(t, tt.out, got, "%s/%s seed %d", tt.name, rname, seed)
			}
		}
	}
}
