package protocol

import (
	"testing"
)

func FuzzMessagePackParse(f *testing.F) {
	var all []byte
	for _, tc := range mpJSExamples {
		f.Add(tc.wire)
		all = append(all, tc.wire...)
	}
	f.Add(all)
	f.Add(mpFrame(0x96, 1, 0x81, 0xa1, "k", 0xa1, "v", 0xa1, "0", 0xa4, "Echo",
		0x93, 0xd6, 0xff, 0x3c, 0xa8, 0x34, 0x5f, 0xc4, 2, 1, 2, 0x82, 0xa1, "X", 0x01, 0xa1, "Y", 0x92, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0,
		0x91, 0xa1, "1"))
	f.Add(mpFrame(0x93, 7, 0xa3, "bye", 0xc3))
	f.Add(mpFrame(0x93, 10, 0x80, 0xc0))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x07})

	c := MessagePack{MaxMessageSize: 4096}
	f.Fuzz(func(t *testing.T, data []byte) {
		msgs, n, err := c.ParseMessages(nil, data)
		if n < 0 || n > len(data) {
			t.Fatalf("consumed %d of %d bytes", n, len(data))
		}
		for _, m := range msgs {
			out, err := c.AppendMessage(nil, m)
			if err != nil {
				t.Fatalf("re-encoding %#v: %v", m, err)
			}
			again, n2, err := MessagePack{MaxMessageSize: len(out)}.ParseMessages(nil, out)
			if err != nil {
				t.Fatalf("re-parsing %x: %v", out, err)
			}
			if n2 != len(out) || len(again) != 1 {
				t.Fatalf("re-parsing %x: %d messages, %d of %d bytes", out, len(again), n2, len(out))
			}
			// Re-parsing is stable: encoding the re-parsed message gives
			// the same bytes (header maps aside, whose order varies).
			if len(mpHeadersOf(m)) <= 1 {
				out2, err := c.AppendMessage(nil, again[0])
				if err != nil || string(out2) != string(out) {
					t.Fatalf("unstable encoding: %x then %x (%v)", out, out2, err)
				}
			}
			for _, raw := range mpRawsOf(again[0]) {
				var v any
				_ = c.Bind(raw, &v) // must not panic
			}
		}
		_ = err
	})
}

func mpHeadersOf(m Message) map[string]string {
	switch m := m.(type) {
	case *Invocation:
		return m.Headers
	case *StreamInvocation:
		return m.Headers
	case *StreamItem:
		return m.Headers
	case *Completion:
		return m.Headers
	case *CancelInvocation:
		return m.Headers
	}
	return nil
}

func mpRawsOf(m Message) []RawValue {
	var raws []RawValue
	add := func(v any) {
		if r, ok := v.(RawValue); ok {
			raws = append(raws, r)
		}
	}
	switch m := m.(type) {
	case *Invocation:
		for _, a := range m.Arguments {
			add(a)
		}
	case *StreamInvocation:
		for _, a := range m.Arguments {
			add(a)
		}
	case *StreamItem:
		add(m.Item)
	case *Completion:
		add(m.Result)
	}
	return raws
}

func FuzzMessagePackVarint(f *testing.F) {
	for _, seed := range [][]byte{{0x35}, {0x80, 0x29}, {0xff, 0xff, 0xff, 0xff, 0x07}, {0xff, 0xff, 0xff, 0xff, 0x08}, {0x80}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, size, err := parseVarint(data)
		if err != nil || size == 0 {
			return
		}
		if n < 0 || n > maxVarint || size > len(data) || size > 5 {
			t.Fatalf("parseVarint(%x) = %d, %d", data, n, size)
		}
		// Re-encoding gives the minimal form of the same number.
		enc := AppendVarint(nil, n)
		m, size2, err := parseVarint(enc)
		if err != nil || m != n || size2 != len(enc) || len(enc) > size {
			t.Fatalf("round trip of %d: %x -> %d, %d, %v", n, enc, m, size2, err)
		}
	})
}
