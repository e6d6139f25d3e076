package redisstore

import (
	"strconv"
	"strings"
	"testing"
)

// reply builds a script reply from text: groups split by '\x01' become
// nested arrays, fields split by '\x00' become integers when they parse as
// one, strings otherwise.
func reply(text string) []any {
	var out []any
	for i, group := range strings.Split(text, "\x01") {
		var fields []any
		for _, f := range strings.Split(group, "\x00") {
			if n, err := strconv.ParseInt(f, 10, 64); err == nil {
				fields = append(fields, n)
			} else {
				fields = append(fields, f)
			}
		}
		if i == 0 {
			out = append(out, fields...)
		} else {
			out = append(out, fields)
		}
	}
	return out
}

// FuzzParseReply: no script reply, however malformed (a Redis server of
// another version, a key written by something else), panics the decoders.
func FuzzParseReply(f *testing.F) {
	f.Add("3\x002\x00-1\x00alice\x00{\"a\":\"b\"}\x001800000000000\x001800000000000\x00|")
	f.Add("3\x001\x000\x00|\x00bob\x00\x00100\x00200")
	f.Add("7\x01alice\x00100\x01alice\x00{}\x01n1\n100\nalice")
	f.Add("x\n\n")
	f.Fuzz(func(t *testing.T, text string) {
		r := reply(text)
		ch, _, err := parseChangeMine("topic", r)
		if err == nil && (ch.Members < 0 || len(ch.Joined) > len(r) || len(ch.Left) > len(r)) {
			t.Fatalf("implausible change %+v from %q", ch, text)
		}
		_, _ = parseSnapshot("topic", r)
		_, _, _ = parseRecord(text)
		_, _ = decodeMeta(text)
	})
}
