package protocol

import (
	"testing"
)

func BenchmarkMessagePackEncodeInvocation(b *testing.B) {
	var c MessagePack
	msg := &Invocation{Target: "SendMessage", Arguments: []any{"list-42", "hello world", 3}}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = c.AppendMessage(buf[:0], msg)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkMessagePackParseInvocation(b *testing.B) {
	var c MessagePack
	wire, err := c.AppendMessage(nil, &Invocation{InvocationID: "7", Target: "SendMessage", Arguments: []any{"list-42", "hello world", 3}})
	if err != nil {
		b.Fatal(err)
	}
	msgs := make([]Message, 0, 4)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		var n int
		msgs, n, err = c.ParseMessages(msgs[:0], wire)
		if err != nil || n != len(wire) || len(msgs) != 1 {
			b.Fatalf("parse: %v", err)
		}
		args := msgs[0].(*Invocation).Arguments
		var list, text string
		var count int
		if err := c.Bind(args[0].(RawValue), &list); err != nil {
			b.Fatal(err)
		}
		if err := c.Bind(args[1].(RawValue), &text); err != nil {
			b.Fatal(err)
		}
		if err := c.Bind(args[2].(RawValue), &count); err != nil {
			b.Fatal(err)
		}
		if count != 3 || list != "list-42" {
			b.Fatal("bad bind")
		}
	}
}

// Parsing alone, without binding the arguments.
func BenchmarkMessagePackParseInvocationOnly(b *testing.B) {
	var c MessagePack
	wire, err := c.AppendMessage(nil, &Invocation{InvocationID: "7", Target: "SendMessage", Arguments: []any{"list-42", "hello world", 3}})
	if err != nil {
		b.Fatal(err)
	}
	msgs := make([]Message, 0, 4)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		if msgs, _, err = c.ParseMessages(msgs[:0], wire); err != nil {
			b.Fatal(err)
		}
	}
}

// A struct argument goes through vmihailenco/msgpack both ways.
func BenchmarkMessagePackStructRoundTrip(b *testing.B) {
	var c MessagePack
	type item struct {
		ID    string
		Name  string
		Count int
		Done  bool
	}
	msg := &Invocation{Target: "ItemAdded", Arguments: []any{"list-42", item{ID: "i1", Name: "milk", Count: 2}}}
	buf := make([]byte, 0, 256)
	msgs := make([]Message, 0, 4)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = c.AppendMessage(buf[:0], msg)
		if err != nil {
			b.Fatal(err)
		}
		msgs, _, err = c.ParseMessages(msgs[:0], buf)
		if err != nil {
			b.Fatal(err)
		}
		var got item
		if err := c.Bind(msgs[0].(*Invocation).Arguments[1].(RawValue), &got); err != nil {
			b.Fatal(err)
		}
	}
}
