package protocol

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mpBytes builds test input: an int is one byte, a string its bytes, a
// []byte itself.
func mpBytes(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch p := p.(type) {
		case int:
			b = append(b, byte(p))
		case string:
			b = append(b, p...)
		case []byte:
			b = append(b, p...)
		default:
			panic(fmt.Sprintf("mpBytes: %T", p))
		}
	}
	return b
}

// mpFrame prefixes body with its VarInt length.
func mpFrame(body ...any) []byte {
	b := mpBytes(body...)
	return append(AppendVarint(nil, len(b)), b...)
}

func mpRaw(parts ...any) RawValue { return RawValue(mpBytes(parts...)) }

func mpParseAll(t *testing.T, c MessagePack, buf []byte) []Message {
	t.Helper()
	msgs, n, err := c.ParseMessages(nil, buf)
	require.NoError(t, err)
	require.Equal(t, len(buf), n, "consumed")
	return msgs
}

func TestMessagePackCodecInfo(t *testing.T) {
	var c MessagePack
	assert.Equal(t, "messagepack", c.Name())
	assert.Equal(t, Binary, c.TransferFormat())
	for v, want := range map[int]bool{-1: false, 0: true, 1: true, 2: true, 3: false} {
		assert.Equal(t, want, c.IsVersionSupported(v), "version %d", v)
	}
}

// The bytes the JS 10.0.11 client sends (§4.4 of the protocol notes).
var mpJSExamples = []struct {
	name string
	wire []byte
	want Message
}{
	{"blocking Echo", mpBytes(0x0e, 0x95, 1, 0x80, 0xa1, "0", 0xa4, "Echo", 0x91, 0xa2, "hi"),
		&Invocation{InvocationID: "0", Target: "Echo", Arguments: []any{mpRaw(0xa2, "hi")}}},
	{"non-blocking Echo", mpBytes(0x0d, 0x95, 1, 0x80, 0xc0, 0xa4, "Echo", 0x91, 0xa2, "hi"),
		&Invocation{Target: "Echo", Arguments: []any{mpRaw(0xa2, "hi")}}},
	{"upload stream", mpBytes(0x19, 0x96, 1, 0x80, 0xa1, "0", 0xaf, "StreamingConcat", 0x90, 0x91, 0xa1, "1"),
		&Invocation{InvocationID: "0", Target: "StreamingConcat", Arguments: []any{}, StreamIDs: []string{"1"}}},
	{"StreamInvocation", mpBytes(0x0d, 0x95, 4, 0x80, 0xa1, "1", 0xa6, "Stream", 0x90),
		&StreamInvocation{InvocationID: "1", Target: "Stream", Arguments: []any{}}},
	{"StreamItem", mpBytes(0x07, 0x94, 2, 0x80, 0xa1, "1", 0xa1, "a"),
		&StreamItem{InvocationID: "1", Item: mpRaw(0xa1, "a")}},
	{"Completion void", mpBytes(0x06, 0x94, 3, 0x80, 0xa1, "1", 2),
		&Completion{InvocationID: "1"}},
	{"Completion 10", mpBytes(0x07, 0x95, 3, 0x80, 0xa1, "1", 3, 0x0a),
		&Completion{InvocationID: "1", HasResult: true, Result: mpRaw(0x0a)}},
	{"Completion error", mpBytes(0x14, 0x95, 3, 0x80, 0xa1, "1", 1, 0xad, "Something bad"),
		&Completion{InvocationID: "1", Error: "Something bad"}},
	{"Cancel", mpBytes(0x05, 0x93, 5, 0x80, 0xa1, "1"),
		&CancelInvocation{InvocationID: "1"}},
	{"Ping", mpBytes(0x02, 0x91, 0x06), &Ping{}},
	{"Close", mpBytes(0x03, 0x92, 0x07, 0xc0), &Close{}},
	{"Ack", mpBytes(0x03, 0x92, 0x08, 0x05), &Ack{SequenceID: 5}},
	{"Sequence", mpBytes(0x03, 0x92, 0x09, 0x05), &Sequence{SequenceID: 5}},
}

func TestMessagePackParseJSBytes(t *testing.T) {
	var c MessagePack
	for _, tc := range mpJSExamples {
		t.Run(tc.name, func(t *testing.T) {
			msgs := mpParseAll(t, c, tc.wire)
			require.Len(t, msgs, 1)
			assert.Equal(t, tc.want, msgs[0])

			// Our encoding of the same message parses back equal.
			out, err := c.AppendMessage(nil, msgs[0])
			require.NoError(t, err)
			again := mpParseAll(t, c, out)
			require.Len(t, again, 1)
			assert.Equal(t, tc.want, again[0])
		})
	}
}

func TestMessagePackParseAllJSBytesInOneBuffer(t *testing.T) {
	var buf []byte
	var want []Message
	for _, tc := range mpJSExamples {
		buf = append(buf, tc.wire...)
		want = append(want, tc.want)
	}
	assert.Equal(t, want, mpParseAll(t, MessagePack{}, buf))
}

// The bytes ASP.NET Core writes: Invocation always has 6 elements, Close 3.
func TestMessagePackEncodeNETBytes(t *testing.T) {
	tests := []struct {
		name string
		msg  Message
		want []byte
	}{
		{"blocking Invocation", &Invocation{InvocationID: "0", Target: "Echo", Arguments: []any{"hi"}},
			mpFrame(0x96, 1, 0x80, 0xa1, "0", 0xa4, "Echo", 0x91, 0xa2, "hi", 0x90)},
		{"non-blocking Invocation", &Invocation{Target: "Echo", Arguments: []any{"hi", 255, nil}},
			mpFrame(0x96, 1, 0x80, 0xc0, 0xa4, "Echo", 0x93, 0xa2, "hi", 0xcc, 0xff, 0xc0, 0x90)},
		{"Invocation without arguments", &Invocation{Target: "Go"},
			mpFrame(0x96, 1, 0x80, 0xc0, 0xa2, "Go", 0x90, 0x90)},
		{"Invocation with header and stream", &Invocation{Headers: map[string]string{"k": "v"}, InvocationID: "0", Target: "Up", StreamIDs: []string{"1", "2"}},
			mpFrame(0x96, 1, 0x81, 0xa1, "k", 0xa1, "v", 0xa1, "0", 0xa2, "Up", 0x90, 0x92, 0xa1, "1", 0xa1, "2")},
		{"StreamInvocation", &StreamInvocation{InvocationID: "1", Target: "Stream", Arguments: []any{mpRaw(0x05)}},
			mpFrame(0x96, 4, 0x80, 0xa1, "1", 0xa6, "Stream", 0x91, 0x05, 0x90)},
		{"StreamItem", &StreamItem{InvocationID: "1", Item: "a"},
			mpFrame(0x94, 2, 0x80, 0xa1, "1", 0xa1, "a")},
		{"StreamItem nil", &StreamItem{InvocationID: "1"},
			mpFrame(0x94, 2, 0x80, 0xa1, "1", 0xc0)},
		{"Completion void", &Completion{InvocationID: "1"},
			mpBytes(0x06, 0x94, 3, 0x80, 0xa1, "1", 2)},
		{"Completion nil result", &Completion{InvocationID: "1", HasResult: true},
			mpBytes(0x07, 0x95, 3, 0x80, 0xa1, "1", 3, 0xc0)},
		{"Completion 10", &Completion{InvocationID: "1", HasResult: true, Result: 10},
			mpBytes(0x07, 0x95, 3, 0x80, 0xa1, "1", 3, 0x0a)},
		{"Completion error wins", &Completion{InvocationID: "1", Error: "Something bad", HasResult: true, Result: 1},
			mpBytes(0x14, 0x95, 3, 0x80, 0xa1, "1", 1, 0xad, "Something bad")},
		{"Cancel", &CancelInvocation{InvocationID: "1"}, mpBytes(0x05, 0x93, 5, 0x80, 0xa1, "1")},
		{"Ping", &Ping{}, mpBytes(0x02, 0x91, 0x06)},
		{"Close", &Close{}, mpBytes(0x04, 0x93, 7, 0xc0, 0xc2)},
		{"Close with error", &Close{Error: "bye", AllowReconnect: true}, mpFrame(0x93, 7, 0xa3, "bye", 0xc3)},
		{"Ack", &Ack{SequenceID: 5}, mpBytes(0x03, 0x92, 8, 5)},
		{"Sequence large", &Sequence{SequenceID: 1 << 40}, mpFrame(0x92, 9, 0xcf, 0, 0, 1, 0, 0, 0, 0, 0)},
	}
	var c MessagePack
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte("keep")
			out, err := c.AppendMessage(prefix, tc.msg)
			require.NoError(t, err)
			assert.Equal(t, "keep", string(out[:4]))
			assert.Equal(t, tc.want, out[4:])
			// And it parses back.
			msgs := mpParseAll(t, c, out[4:])
			require.Len(t, msgs, 1)
			assert.Equal(t, tc.msg.Type(), msgs[0].Type())
		})
	}
}

func TestMessagePackLongBodiesGetLongerPrefixes(t *testing.T) {
	c := MessagePack{MaxMessageSize: 1 << 20}
	for _, size := range []int{100, 120, 127, 128, 200, 5000, 20000, 70000} {
		arg := strings.Repeat("x", size)
		out, err := c.AppendMessage([]byte{0xee}, &Invocation{Target: "T", Arguments: []any{arg}})
		require.NoError(t, err)
		require.Equal(t, byte(0xee), out[0])
		n, k, err := parseVarint(out[1:])
		require.NoError(t, err)
		require.Equal(t, len(out)-1-k, n, "size %d", size)
		require.Equal(t, varintLen(n), k)
		msgs := mpParseAll(t, c, out[1:])
		require.Len(t, msgs, 1)
		var got string
		require.NoError(t, c.Bind(msgs[0].(*Invocation).Arguments[0].(RawValue), &got))
		require.Equal(t, arg, got)
	}
}

func TestMessagePackHeadersRoundTrip(t *testing.T) {
	headers := map[string]string{"traceparent": "00-abc-01", "empty": "", "x": strings.Repeat("y", 40)}
	for i := 0; i < 20; i++ {
		headers[fmt.Sprintf("k%02d", i)] = "v"
	}
	msgs := []Message{
		&Invocation{Headers: headers, Target: "T", Arguments: []any{}},
		&StreamInvocation{Headers: headers, InvocationID: "1", Target: "T", Arguments: []any{}},
		&StreamItem{Headers: headers, InvocationID: "1", Item: mpRaw(0xc0)},
		&Completion{Headers: headers, InvocationID: "1"},
		&CancelInvocation{Headers: headers, InvocationID: "1"},
	}
	var c MessagePack
	var buf []byte
	for _, m := range msgs {
		var err error
		buf, err = c.AppendMessage(buf, m)
		require.NoError(t, err)
	}
	assert.Equal(t, msgs, mpParseAll(t, c, buf))

	// nil in place of the headers map, and a nil header value.
	got := mpParseAll(t, c, mpFrame(0x93, 5, 0xc0, 0xa1, "1"))
	assert.Equal(t, []Message{&CancelInvocation{InvocationID: "1"}}, got)
	got = mpParseAll(t, c, mpFrame(0x93, 5, 0x81, 0xa1, "k", 0xc0, 0xa1, "1"))
	assert.Equal(t, []Message{&CancelInvocation{InvocationID: "1", Headers: map[string]string{"k": ""}}}, got)
}

func TestMessagePackVarint(t *testing.T) {
	tests := []struct {
		n    int
		wire []byte
	}{
		{0, mpBytes(0x00)},
		{53, mpBytes(0x35)},
		{127, mpBytes(0x7f)},
		{128, mpBytes(0x80, 0x01)},
		{5248, mpBytes(0x80, 0x29)},
		{16383, mpBytes(0xff, 0x7f)},
		{16384, mpBytes(0x80, 0x80, 0x01)},
		{0x7fffffff, mpBytes(0xff, 0xff, 0xff, 0xff, 0x07)},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.wire, AppendVarint(nil, tc.n), "encode %d", tc.n)
		assert.Equal(t, len(tc.wire), varintLen(tc.n))
		n, size, err := parseVarint(append(tc.wire, 0xaa))
		require.NoError(t, err)
		assert.Equal(t, tc.n, n)
		assert.Equal(t, len(tc.wire), size)
		// Every proper prefix is incomplete.
		for i := range tc.wire {
			_, size, err := parseVarint(tc.wire[:i])
			require.NoError(t, err)
			assert.Zero(t, size)
		}
	}
	// A non-minimal prefix is accepted, like .NET does.
	n, size, err := parseVarint(mpBytes(0x80, 0x00))
	require.NoError(t, err)
	assert.Equal(t, 0, n)
	assert.Equal(t, 2, size)

	for _, bad := range [][]byte{mpBytes(0xff, 0xff, 0xff, 0xff, 0x08), mpBytes(0x80, 0x80, 0x80, 0x80, 0x80)} {
		_, _, err := parseVarint(bad)
		require.ErrorIs(t, err, ErrInvalidMessage)
		_, consumed, err := MessagePack{MaxMessageSize: maxVarint}.ParseMessages(nil, append(bad, 0))
		require.ErrorIs(t, err, ErrInvalidMessage)
		assert.Zero(t, consumed)
	}
	assert.Panics(t, func() { AppendVarint(nil, -1) })
	assert.Panics(t, func() { AppendVarint(nil, maxVarint+1) })
}

// Feeding a stream in two chunks, split at every offset, gives the same
// messages as parsing it whole.
func TestMessagePackIncrementalParsing(t *testing.T) {
	var c MessagePack
	var stream []byte
	for _, tc := range mpJSExamples {
		stream = append(stream, tc.wire...)
	}
	long, err := c.AppendMessage(nil, &StreamItem{InvocationID: "9", Item: strings.Repeat("z", 300)})
	require.NoError(t, err)
	stream = append(stream, long...)
	want := mpParseAll(t, c, stream)
	require.Len(t, want, len(mpJSExamples)+1)

	for split := 0; split <= len(stream); split++ {
		got, n, err := c.ParseMessages(nil, stream[:split])
		require.NoError(t, err, "split %d", split)
		require.LessOrEqual(t, n, split)
		rest := append(append([]byte(nil), stream[n:split]...), stream[split:]...)
		got, n2, err := c.ParseMessages(got, rest)
		require.NoError(t, err, "split %d", split)
		require.Equal(t, len(rest), n2, "split %d", split)
		require.Equal(t, want, got, "split %d", split)
	}
}

func TestMessagePackMaxMessageSize(t *testing.T) {
	body := func(size int) []byte {
		// A Completion whose str8 result pads the body to size bytes.
		head := mpBytes(0x95, 3, 0x80, 0xa1, "1", 3, 0xd9)
		pad := size - len(head) - 1
		return append(append(head, byte(pad)), strings.Repeat("p", pad)...)
	}
	c := MessagePack{MaxMessageSize: 100}
	ok := append(AppendVarint(nil, 100), body(100)...)
	msgs := mpParseAll(t, c, ok)
	require.Len(t, msgs, 1)

	tooBig := append(AppendVarint(nil, 101), body(101)...)
	buf := append(append([]byte(nil), ok...), tooBig...)
	msgs, n, err := c.ParseMessages(nil, buf)
	require.ErrorIs(t, err, ErrMessageTooLarge)
	var tle *TooLargeError
	require.ErrorAs(t, err, &tle)
	assert.Equal(t, 100, tle.Limit)
	assert.Len(t, msgs, 1, "the message before is returned")
	assert.Equal(t, len(ok), n)

	// Reported as soon as the prefix arrives, even a partial one.
	_, n, err = c.ParseMessages(nil, tooBig[:1])
	require.ErrorIs(t, err, ErrMessageTooLarge)
	assert.Zero(t, n)
	_, _, err = MessagePack{}.ParseMessages(nil, mpBytes(0x80, 0x80, 0x04))
	require.ErrorIs(t, err, ErrMessageTooLarge, "64 KiB prefix over the default limit")
	_, _, err = MessagePack{}.ParseMessages(nil, mpBytes(0xff, 0xff, 0x03))
	require.ErrorIs(t, err, ErrMessageTooLarge, "incomplete prefix already over the limit")
	assert.Equal(t, "The maximum message size of 32768B was exceeded. The message size can be configured in AddHubOptions.", err.Error())

	// The default limit is DefaultMaxMessageSize.
	_, n, err = MessagePack{}.ParseMessages(nil, AppendVarint(nil, DefaultMaxMessageSize))
	require.NoError(t, err, "at the limit: wait for the body")
	assert.Zero(t, n)
	_, _, err = MessagePack{}.ParseMessages(nil, AppendVarint(nil, DefaultMaxMessageSize+1))
	require.ErrorIs(t, err, ErrMessageTooLarge)
}

func TestMessagePackUnknownTypesAreSkipped(t *testing.T) {
	buf := mpBytes(
		mpFrame(0x93, 10, 0x80, 0xc1), // unknown type; its body is not even checked
		mpFrame(0x91, 0x00),           // type 0
		mpFrame(0x91, 0xcd, 0x01, 0x00),
		mpFrame(0x92, 0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0, 0xc0),
		0x02, 0x91, 0x06,
	)
	assert.Equal(t, []Message{&Ping{}}, mpParseAll(t, MessagePack{}, buf))
}

func TestMessagePackExtraElementsAreIgnored(t *testing.T) {
	tests := []struct {
		name string
		wire []byte
		want Message
	}{
		{"Invocation with 7", mpFrame(0x97, 1, 0x80, 0xc0, 0xa1, "T", 0x90, 0x90, 0x92, 1, 2),
			&Invocation{Target: "T", Arguments: []any{}}},
		{"StreamItem with 5", mpFrame(0x95, 2, 0x80, 0xa1, "1", 0x01, 0x81, 0xa1, "x", 0xc0),
			&StreamItem{InvocationID: "1", Item: mpRaw(0x01)}},
		{"void Completion with 5", mpFrame(0x95, 3, 0x80, 0xa1, "1", 2, 0xa1, "x"),
			&Completion{InvocationID: "1"}},
		{"Completion with 6", mpFrame(0x96, 3, 0x80, 0xa1, "1", 3, 0xc3, 0xc0),
			&Completion{InvocationID: "1", HasResult: true, Result: mpRaw(0xc3)}},
		{"Cancel with 4", mpFrame(0x94, 5, 0x80, 0xa1, "1", 0x90), &CancelInvocation{InvocationID: "1"}},
		{"Ping with 2", mpFrame(0x92, 6, 0xc0), &Ping{}},
		{"Close with 4", mpFrame(0x94, 7, 0xa1, "e", 0xc3, 0x00), &Close{Error: "e", AllowReconnect: true}},
		{"Ack with 3 and uint16", mpFrame(0x93, 8, 0xcd, 0x01, 0x00, 0xc0), &Ack{SequenceID: 256}},
		{"Sequence as int8", mpFrame(0x92, 9, 0xd0, 0x05), &Sequence{SequenceID: 5}},
		{"array16 body", mpFrame(0xdc, 0, 2, 8, 7), &Ack{SequenceID: 7}},
		{"type as uint8", mpFrame(0x92, 0xcc, 8, 7), &Ack{SequenceID: 7}},
		{"empty invocation id", mpFrame(0x95, 1, 0x80, 0xa0, 0xa1, "T", 0x90), &Invocation{Target: "T", Arguments: []any{}}},
		{"nil streamIds", mpFrame(0x96, 1, 0x80, 0xc0, 0xa1, "T", 0x90, 0xc0), &Invocation{Target: "T", Arguments: []any{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, []Message{tc.want}, mpParseAll(t, MessagePack{}, tc.wire))
		})
	}
}

func TestMessagePackParseErrors(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		text string
	}{
		{"empty body", nil, "Reading 'message' as Array failed: the message ends early."},
		{"not an array", mpBytes(0x81, 0xa1, "t", 1), "Reading 'message' as Array failed: found a map."},
		{"empty array", mpBytes(0x90), "The message array is empty"},
		{"type not an integer", mpBytes(0x91, 0xa1, "1"), "Reading 'messageType' as Int64 failed: found a string."},
		{"type too large", mpBytes(0x91, 0xcf, 0xff, 0, 0, 0, 0, 0, 0, 0), "Reading 'messageType' as Int64 failed: 18374686479671623680 is too large."},
		{"array longer than body", mpBytes(0x95, 1, 0x80), "the array has 5 elements but the message ends early"},
		{"Invocation with 4", mpBytes(0x94, 1, 0x80, 0xc0, 0xa1, "T"), "The Invocation message is too short: it has 4 of the 5 required array elements."},
		{"StreamInvocation with 4", mpBytes(0x94, 4, 0x80, 0xa1, "1", 0xa1, "T"), "The StreamInvocation message is too short: it has 4 of the 5 required array elements."},
		{"StreamItem with 3", mpBytes(0x93, 2, 0x80, 0xa1, "1"), "The StreamItem message is too short: it has 3 of the 4 required array elements."},
		{"Completion with 3", mpBytes(0x93, 3, 0x80, 0xa1, "1"), "The Completion message is too short: it has 3 of the 4 required array elements."},
		{"Completion result with 4", mpBytes(0x94, 3, 0x80, 0xa1, "1", 3), "with result kind 3 is too short: it has 4 of the 5 required array elements."},
		{"Completion error with 4", mpBytes(0x94, 3, 0x80, 0xa1, "1", 1), "with result kind 1 is too short: it has 4 of the 5 required array elements."},
		{"bad result kind", mpBytes(0x95, 3, 0x80, 0xa1, "1", 4, 0xc0), "Invalid invocation result kind 4"},
		{"result kind not int", mpBytes(0x95, 3, 0x80, 0xa1, "1", 0xc0, 0xc0), "Reading 'resultKind' as Int64 failed: found nil."},
		{"error not a string", mpBytes(0x95, 3, 0x80, 0xa1, "1", 1, 0x05), "Reading 'error' as String failed: found an integer."},
		{"Cancel with 2", mpBytes(0x92, 5, 0x80), "The CancelInvocation message is too short: it has 2 of the 3 required array elements."},
		{"Close with 1", mpBytes(0x91, 7), "The Close message is too short: it has 1 of the 2 required array elements."},
		{"Close bad allowReconnect", mpBytes(0x93, 7, 0xc0, 0x01), "Reading 'allowReconnect' as Boolean failed: found an integer."},
		{"Ack with 1", mpBytes(0x91, 8), "The Ack message is too short: it has 1 of the 2 required array elements."},
		{"Ack negative", mpBytes(0x92, 8, 0xff), "Reading 'sequenceId' as UInt64 failed: -1 is negative."},
		{"Sequence not int", mpBytes(0x92, 9, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0), "Reading 'sequenceId' as UInt64 failed: found a float."},
		{"non-string target", mpBytes(0x95, 1, 0x80, 0xc0, 0x05, 0x90), "Reading 'target' as String failed: found an integer."},
		{"nil target", mpBytes(0x95, 1, 0x80, 0xc0, 0xc0, 0x90), "Reading 'target' as String failed: found nil."},
		{"invocation id not a string", mpBytes(0x95, 1, 0x80, 0x01, 0xa1, "T", 0x90), "Reading 'invocationId' as String failed: found an integer."},
		{"headers not a map", mpBytes(0x95, 1, 0x90, 0xc0, 0xa1, "T", 0x90), "Reading 'headers' as Map failed: found an array."},
		{"header key not a string", mpBytes(0x93, 5, 0x81, 0x01, 0xa1, "v", 0xa1, "1"), "Reading 'headers' as String failed: found an integer."},
		{"header key nil", mpBytes(0x93, 5, 0x81, 0xc0, 0xa1, "v", 0xa1, "1"), "a header name is nil"},
		{"map longer than body", mpBytes(0x93, 5, 0x8f, 0xa1, "1"), "the map has 15 entries but the message ends early"},
		{"arguments not an array", mpBytes(0x95, 1, 0x80, 0xc0, 0xa1, "T", 0xc0), "Reading 'arguments' as Array failed: found nil."},
		{"truncated argument", mpBytes(0x95, 1, 0x80, 0xc0, 0xa1, "T", 0x91, 0xa5, "ab"), "Reading 'arguments' failed: the data ends in the middle of a value."},
		{"truncated item", mpBytes(0x94, 2, 0x80, 0xa1, "1", 0xcd, 0x01), "Reading 'item' failed: the data ends in the middle of a value."},
		{"invalid code in result", mpBytes(0x95, 3, 0x80, 0xa1, "1", 3, 0xc1), "0xc1 is not a valid MessagePack code"},
		{"truncated string", mpBytes(0x95, 1, 0x80, 0xc0, 0xa5, "T", 0x90), "Reading 'target' as String failed: found a string cut short by the end of the message."},
		{"streamIds not strings", mpBytes(0x96, 1, 0x80, 0xc0, 0xa1, "T", 0x90, 0x91, 0x01), "Reading 'streamIds' as String failed: found an integer."},
		{"streamIds not an array", mpBytes(0x96, 1, 0x80, 0xc0, 0xa1, "T", 0x90, 0x01), "Reading 'streamIds' as Array failed: found an integer."},
		{"StreamItem headers", mpBytes(0x94, 2, 0x01, 0xa1, "1", 0xc0), "Reading 'headers' as Map failed: found an integer."},
		{"StreamItem id", mpBytes(0x94, 2, 0x80, 0x01, 0xc0), "Reading 'invocationId' as String failed: found an integer."},
		{"Completion headers", mpBytes(0x94, 3, 0x01, 0xa1, "1", 2), "Reading 'headers' as Map failed"},
		{"Completion id", mpBytes(0x94, 3, 0x80, 0x01, 2), "Reading 'invocationId' as String failed"},
		{"Completion truncated result", mpBytes(0x95, 3, 0x80, 0xa1, "1", 3, 0x92, 0x01), "Reading 'result' failed"},
		{"Cancel headers", mpBytes(0x93, 5, 0x01, 0xa1, "1"), "Reading 'headers' as Map failed"},
		{"Cancel id", mpBytes(0x93, 5, 0x80, 0x01), "Reading 'invocationId' as String failed"},
		{"Close error not a string", mpBytes(0x92, 7, 0x01), "Reading 'error' as String failed: found an integer."},
		{"Invocation headers", mpBytes(0x95, 1, 0x01, 0xc0, 0xa1, "T", 0x90), "Reading 'headers' as Map failed"},
		{"header value not a string", mpBytes(0x93, 5, 0x81, 0xa1, "k", 0x01, 0xa1, "1"), "Reading 'headers' as String failed: found an integer."},
		{"truncated type", mpBytes(0x91, 0xcd, 0x01), "Reading 'messageType' as Int64 failed: found an integer cut short by the end of the message."},
		{"streamIds longer than body", mpBytes(0x96, 1, 0x80, 0xc0, 0xa1, "T", 0x90, 0x93, 0xa1, "1"), "the array has 3 elements but the message ends early"},
		{"bad extra element", mpBytes(0x93, 6, 0xc0, 0xd9), "Reading 'extra element' failed"},
		{"trailing bytes", mpBytes(0x91, 6, 0xc0), "The Ping message has 1 unexpected bytes after its array."},
	}
	var c MessagePack
	good := mpBytes(0x02, 0x91, 0x06)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			buf := append(append(append([]byte(nil), good...), AppendVarint(nil, len(tc.body))...), tc.body...)
			buf = append(buf, good...)
			msgs, n, err := c.ParseMessages(nil, buf)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidMessage)
			assert.Contains(t, err.Error(), tc.text)
			assert.Equal(t, []Message{&Ping{}}, msgs, "the message before the bad one")
			assert.Equal(t, len(good), n)
		})
	}
}

type mpUnknownMessage struct{}

func (mpUnknownMessage) Type() MessageType { return 42 }

func TestMessagePackAppendErrors(t *testing.T) {
	tests := []struct {
		name string
		msg  Message
		is   error
	}{
		{"unknown type", mpUnknownMessage{}, ErrUnknownMessage},
		{"nil", nil, ErrUnknownMessage},
		{"typed nil", (*Invocation)(nil), ErrUnknownMessage},
		{"typed nil Ping", (*Ping)(nil), ErrUnknownMessage},
		{"typed nil StreamInvocation", (*StreamInvocation)(nil), ErrUnknownMessage},
		{"typed nil StreamItem", (*StreamItem)(nil), ErrUnknownMessage},
		{"typed nil Completion", (*Completion)(nil), ErrUnknownMessage},
		{"typed nil CancelInvocation", (*CancelInvocation)(nil), ErrUnknownMessage},
		{"typed nil Close", (*Close)(nil), ErrUnknownMessage},
		{"typed nil Ack", (*Ack)(nil), ErrUnknownMessage},
		{"typed nil Sequence", (*Sequence)(nil), ErrUnknownMessage},
		{"unencodable argument", &Invocation{Target: "T", Arguments: []any{1, make(chan int)}}, nil},
		{"unencodable item", &StreamItem{InvocationID: "1", Item: func() {}}, nil},
		{"unencodable result", &Completion{InvocationID: "1", HasResult: true, Result: make(chan int)}, nil},
		{"truncated RawValue", &StreamItem{InvocationID: "1", Item: mpRaw(0xa3, "ab")}, ErrInvalidMessage},
		{"two objects in a RawValue", &Completion{InvocationID: "1", HasResult: true, Result: mpRaw(0x01, 0x02)}, ErrInvalidMessage},
		{"empty RawValue", &Invocation{Target: "T", Arguments: []any{RawValue{}}}, ErrInvalidMessage},
		{"JSON RawValue", &Invocation{Target: "T", Arguments: []any{RawValue(`"hi"`)}}, ErrInvalidMessage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := make([]byte, 3, 64)
			copy(dst, "abc")
			out, err := MessagePack{}.AppendMessage(dst, tc.msg)
			require.Error(t, err)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			assert.Equal(t, []byte("abc"), out, "dst is returned unchanged")
		})
	}
}

func TestMessagePackParseKeepsEarlierMessagesOnIncompleteTail(t *testing.T) {
	buf := mpBytes(0x02, 0x91, 0x06, 0x03, 0x92, 0x08)
	msgs, n, err := MessagePack{}.ParseMessages([]Message{&Close{}}, buf)
	require.NoError(t, err)
	assert.Equal(t, []Message{&Close{}, &Ping{}}, msgs)
	assert.Equal(t, 3, n)

	msgs, n, err = MessagePack{}.ParseMessages(nil, nil)
	require.NoError(t, err)
	assert.Empty(t, msgs)
	assert.Zero(t, n)
}

// RawValues alias the input but cannot be appended over it.
func TestMessagePackRawValuesAreCapped(t *testing.T) {
	buf := mpBytes(0x0e, 0x95, 1, 0x80, 0xa1, "0", 0xa4, "Echo", 0x91, 0xa2, "hi", 0x02, 0x91, 0x06)
	msgs := mpParseAll(t, MessagePack{}, buf)
	raw := msgs[0].(*Invocation).Arguments[0].(RawValue)
	assert.Equal(t, len(raw), cap(raw))
	_ = append(raw, 0xff)
	assert.Equal(t, byte(0x02), buf[15])
	var s string
	require.NoError(t, MessagePack{}.Bind(raw, &s))
	assert.Equal(t, "hi", s)
}
