package protocol

import (
	"testing"
)

func jsonBenchInvocation() *Invocation {
	return &Invocation{InvocationID: "1", Target: "SendMessage", Arguments: []any{"list-42", "hello world", 3}}
}

func BenchmarkJSONEncodeInvocation(b *testing.B) {
	m := jsonBenchInvocation()
	buf := make([]byte, 0, 256)
	var c JSON
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = c.AppendMessage(buf[:0], m)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkJSONParseInvocation(b *testing.B) {
	var c JSON
	wire, err := c.AppendMessage(nil, jsonBenchInvocation())
	if err != nil {
		b.Fatal(err)
	}
	msgs := make([]Message, 0, 4)
	var (
		list, text string
		n          int
	)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		msgs, _, err = c.ParseMessages(msgs[:0], wire)
		if err != nil {
			b.Fatal(err)
		}
		args := msgs[0].(*Invocation).Arguments
		if err := c.Bind(args[0].(RawValue), &list); err != nil {
			b.Fatal(err)
		}
		if err := c.Bind(args[1].(RawValue), &text); err != nil {
			b.Fatal(err)
		}
		if err := c.Bind(args[2].(RawValue), &n); err != nil {
			b.Fatal(err)
		}
	}
	if list != "list-42" || text != "hello world" || n != 3 {
		b.Fatalf("bound %q %q %d", list, text, n)
	}
}
