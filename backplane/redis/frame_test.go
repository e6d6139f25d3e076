package redis

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFrameRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		payloads [][]byte
	}{
		{"one", [][]byte{[]byte("hello")}},
		{"empty payload", [][]byte{{}}},
		{"several", [][]byte{[]byte("a"), {}, bytes.Repeat([]byte{0xff}, 300), []byte("z")}},
		{"none", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at := time.Unix(1700000000, 123456789)
			frame := appendFrameHeader(nil, at)
			for _, p := range tc.payloads {
				frame = appendFramePayload(frame, p)
			}
			var got [][]byte
			sent, err := decodeFrame(frame, func(p []byte) { got = append(got, p) })
			require.NoError(t, err)
			assert.True(t, sent.Equal(at))
			require.Len(t, got, len(tc.payloads))
			for i := range got {
				assert.Equal(t, tc.payloads[i], got[i])
			}
		})
	}
}

func TestFrameMalformed(t *testing.T) {
	valid := appendFramePayload(appendFrameHeader(nil, time.Now()), []byte("payload"))
	wrongVersion := append([]byte{}, valid...)
	wrongVersion[0] = 2
	tests := []struct {
		name  string
		frame []byte
	}{
		{"empty", nil},
		{"short header", valid[:5]},
		{"truncated payload", valid[:len(valid)-1]},
		{"length past the end", append(appendFrameHeader(nil, time.Now()), 0x7f, 'x')},
		{"unterminated varint", append(appendFrameHeader(nil, time.Now()), 0x80)},
		{"unknown version", wrongVersion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			_, err := decodeFrame(tc.frame, func([]byte) { calls++ })
			require.Error(t, err)
			assert.Zero(t, calls, "a malformed frame delivers nothing")
		})
	}
}

// FuzzDecodeFrame: no input panics, a frame either fails whole or yields
// payloads that re-encode to the same bytes.
func FuzzDecodeFrame(f *testing.F) {
	f.Add(appendFramePayload(appendFrameHeader(nil, time.Unix(0, 1)), []byte("seed")))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0x80})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var got [][]byte
		_, err := decodeFrame(b, func(p []byte) { got = append(got, p) })
		if err != nil {
			if len(got) != 0 {
				t.Fatal("a malformed frame delivered payloads")
			}
			return
		}
		re := append([]byte{}, b[:frameHeaderSize]...)
		for _, p := range got {
			re = appendFramePayload(re, p)
		}
		// Varints may be encoded non-minimally in the input; the payloads
		// must still cover it exactly.
		if len(re) > len(b) {
			t.Fatalf("payloads longer than the frame: %d > %d", len(re), len(b))
		}
	})
}
