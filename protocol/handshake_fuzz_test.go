package protocol

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzHandshakeParse feeds arbitrary bytes to both handshake parsers. They
// must never panic, must consume nothing when they fail or need more, must
// consume exactly through the first record separator when they succeed, and
// what they accept must survive a round trip through the encoders.
func FuzzHandshakeParse(f *testing.F) {
	seeds := []string{
		`{"protocol":"json","version":1}` + hsRS,
		`{"protocol":"messagepack","version":2}` + hsRS + "\x02\x91\x06",
		`{"protocol":"json","version":1}` + hsRS + `{"type":6}` + hsRS,
		`{"version":1,"protocol":"json","extra":[1,{"a":null}]}` + hsRS,
		`{"protocol":"json"}` + hsRS,
		`{"protocol":null,"version":1}` + hsRS,
		`{"protocol":"json","version":1.5}` + hsRS,
		`{"protocol":"json","version":99999999999}` + hsRS,
		`{"protocol":"\ud800","version":1}` + hsRS,
		`{}` + hsRS,
		`{"error":"The protocol 'x' is not supported."}` + hsRS,
		`{"type":6}` + hsRS,
		`[]` + hsRS,
		hsRS,
		`{"protocol":"json","version":1}`,
		"{\"protocol\":\"\xff\",\"version\":1}" + hsRS,
	}
	for _, s := range seeds {
		f.Add([]byte(s), 0)
		f.Add([]byte(s), 16)
	}
	f.Fuzz(func(t *testing.T, buf []byte, maxSize int) {
		if maxSize > 1<<20 || maxSize < -1 {
			maxSize = 0
		}
		sep := bytes.IndexByte(buf, RecordSeparator)

		req, n, err := ParseHandshakeRequest(buf, maxSize)
		switch {
		case err != nil:
			if n != 0 {
				t.Fatalf("request: error %v with n=%d", err, n)
			}
			if !errors.Is(err, ErrInvalidMessage) && !errors.Is(err, ErrMessageTooLarge) {
				t.Fatalf("request: error %v wraps neither sentinel", err)
			}
		case n == 0:
			if sep >= 0 && sep < limitOf(maxSize) {
				t.Fatalf("request: separator at %d but nothing consumed and no error", sep)
			}
		default:
			if n != sep+1 || n > len(buf) {
				t.Fatalf("request: consumed %d, separator at %d, len %d", n, sep, len(buf))
			}
			again, m, err := ParseHandshakeRequest(AppendHandshakeRequest(nil, req), 0)
			if err != nil || again != req || m == 0 {
				t.Fatalf("request %+v: round trip gave %+v, %d, %v", req, again, m, err)
			}
		}

		resp, n, err := ParseHandshakeResponse(buf)
		switch {
		case err != nil:
			if n != 0 || !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("response: error %v with n=%d", err, n)
			}
		case n == 0:
			if sep >= 0 {
				t.Fatalf("response: separator at %d but nothing consumed and no error", sep)
			}
		default:
			if n != sep+1 || n > len(buf) {
				t.Fatalf("response: consumed %d, separator at %d, len %d", n, sep, len(buf))
			}
			out := AppendHandshakeResponse(nil, resp.Error)
			if bytes.Contains(out, []byte(`"type"`)) {
				t.Fatalf("response %q contains a type", out)
			}
			again, _, err := ParseHandshakeResponse(out)
			if err != nil || again != resp {
				t.Fatalf("response %+v: round trip gave %+v, %v", resp, again, err)
			}
		}
	})
}
