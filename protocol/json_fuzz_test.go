package protocol

import (
	"testing"
)

// FuzzJSONParse checks that ParseMessages never panics, never claims more
// bytes than it was given, and that every message it returns encodes to
// bytes that parse back to the same message.
func FuzzJSONParse(f *testing.F) {
	for _, tc := range jsonGolden {
		f.Add([]byte(tc.wire + jsonRS))
	}
	f.Add([]byte(jsonStream))
	f.Add([]byte(jsonStream[:len(jsonStream)/2]))
	f.Add([]byte(`{"target":"Echo","arguments":["hi"],"invocationId":"0","type":1}` + jsonRS))
	f.Add([]byte(`{"type":1,"target":"T","arguments":[{"a":[1,2.5e-3,null,true]},"\u00e9\ud83d\ude00"],"streamIds":["1"],"headers":{"k":"v"}}` + jsonRS))
	f.Add([]byte(`{"type":3,"invocationId":"1","error":"e","result":1}` + jsonRS))
	f.Add([]byte(`{"type":7,"error":"x\u2028","allowReconnect":true}` + jsonRS + `{"type":8,"sequenceId":18446744073709551615}` + jsonRS))
	f.Add([]byte("{\"type\":5,\"invocationId\":\"\xff\"}" + jsonRS))
	f.Add([]byte(`[1]` + jsonRS + `{}` + jsonRS + jsonRS))

	f.Fuzz(func(t *testing.T, data []byte) {
		c := JSON{MaxMessageSize: 4096}
		msgs, n, err := c.ParseMessages(nil, data)
		if n < 0 || n > len(data) {
			t.Fatalf("consumed %d of %d bytes", n, len(data))
		}
		if err == nil && n < len(data) {
			// Whatever is left must be an incomplete message.
			for _, b := range data[n:] {
				if b == RecordSeparator {
					t.Fatalf("left a complete message unconsumed: %q", data[n:])
				}
			}
		}
		var wire []byte
		for _, m := range msgs {
			var encErr error
			if wire, encErr = c.AppendMessage(wire, m); encErr != nil {
				t.Fatalf("re-encoding %#v: %v", m, encErr)
			}
		}
		// Re-encoding can grow a message (escapes), so allow more room.
		again, n2, err := JSON{MaxMessageSize: 1 << 20}.ParseMessages(nil, wire)
		if err != nil {
			t.Fatalf("re-parsing %q: %v", wire, err)
		}
		if n2 != len(wire) {
			t.Fatalf("re-parse consumed %d of %d bytes", n2, len(wire))
		}
		if len(again) != len(msgs) {
			t.Fatalf("re-parse gave %d messages, want %d", len(again), len(msgs))
		}
		for i := range msgs {
			// Decoded strings are valid UTF-8 and raw values are written
			// through, so a second round trip is exact.
			if a, b := jsonFuzzEncode(t, msgs[i]), jsonFuzzEncode(t, again[i]); a != b {
				t.Fatalf("message %d changed on round trip:\n%s\n%s", i, a, b)
			}
		}
	})
}

func jsonFuzzEncode(t *testing.T, m Message) string {
	b, err := JSON{}.AppendMessage(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
