package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonRS is the record separator as a string, for building wire text.
const jsonRS = "\x1e"

func TestJSONCodecIdentity(t *testing.T) {
	var c JSON
	assert.Equal(t, "json", c.Name())
	assert.Equal(t, Text, c.TransferFormat())
	for v, want := range map[int]bool{-1: false, 0: true, 1: true, 2: true, 3: false} {
		assert.Equal(t, want, c.IsVersionSupported(v), "version %d", v)
	}
}

// jsonGolden are messages in the exact bytes this encoder writes (the
// official server's property order: type, headers, invocationId, then the
// rest), which the decoder must also read back to the same message.
var jsonGolden = []struct {
	name string
	wire string
	msg  Message
}{
	{"blocking invocation", `{"type":1,"invocationId":"0","target":"Echo","arguments":["hi"]}`,
		&Invocation{InvocationID: "0", Target: "Echo", Arguments: []any{RawValue(`"hi"`)}}},
	{"non-blocking invocation", `{"type":1,"target":"Echo","arguments":["hi"]}`,
		&Invocation{Target: "Echo", Arguments: []any{RawValue(`"hi"`)}}},
	{"invocation with upload stream", `{"type":1,"invocationId":"0","target":"StreamingConcat","arguments":[],"streamIds":["1"]}`,
		&Invocation{InvocationID: "0", Target: "StreamingConcat", Arguments: []any{}, StreamIDs: []string{"1"}}},
	{"invocation with headers", `{"type":1,"headers":{"a":"1","traceparent":"00-x"},"target":"T","arguments":[1,{"k":[true,null]}]}`,
		&Invocation{Headers: map[string]string{"a": "1", "traceparent": "00-x"}, Target: "T",
			Arguments: []any{RawValue(`1`), RawValue(`{"k":[true,null]}`)}}},
	{"stream invocation", `{"type":4,"invocationId":"1","target":"Stream","arguments":[]}`,
		&StreamInvocation{InvocationID: "1", Target: "Stream", Arguments: []any{}}},
	{"stream invocation with stream ids", `{"type":4,"invocationId":"1","target":"S","arguments":[5],"streamIds":["2","3"]}`,
		&StreamInvocation{InvocationID: "1", Target: "S", Arguments: []any{RawValue(`5`)}, StreamIDs: []string{"2", "3"}}},
	{"stream item", `{"type":2,"invocationId":"1","item":"a"}`,
		&StreamItem{InvocationID: "1", Item: RawValue(`"a"`)}},
	{"stream item null", `{"type":2,"invocationId":"1","item":null}`,
		&StreamItem{InvocationID: "1", Item: RawValue(`null`)}},
	{"completion void", `{"type":3,"invocationId":"1"}`,
		&Completion{InvocationID: "1"}},
	{"completion result", `{"type":3,"invocationId":"1","result":10}`,
		&Completion{InvocationID: "1", HasResult: true, Result: RawValue(`10`)}},
	{"completion null result", `{"type":3,"invocationId":"1","result":null}`,
		&Completion{InvocationID: "1", HasResult: true, Result: RawValue(`null`)}},
	{"completion error", `{"type":3,"invocationId":"1","error":"Something bad"}`,
		&Completion{InvocationID: "1", Error: "Something bad"}},
	{"cancel", `{"type":5,"invocationId":"1"}`, &CancelInvocation{InvocationID: "1"}},
	{"ping", `{"type":6}`, &Ping{}},
	{"close", `{"type":7}`, &Close{}},
	{"close with error", `{"type":7,"error":"Connection closed with an error.","allowReconnect":true}`,
		&Close{Error: "Connection closed with an error.", AllowReconnect: true}},
	{"ack", `{"type":8,"sequenceId":5}`, &Ack{SequenceID: 5}},
	{"sequence", `{"type":9,"sequenceId":18446744073709551615}`, &Sequence{SequenceID: math.MaxUint64}},
}

func TestJSONGoldenEncode(t *testing.T) {
	for _, tc := range jsonGolden {
		t.Run(tc.name, func(t *testing.T) {
			got, err := JSON{}.AppendMessage([]byte("prefix"), tc.msg)
			require.NoError(t, err)
			assert.Equal(t, "prefix"+tc.wire+jsonRS, string(got))
		})
	}
}

func TestJSONGoldenDecode(t *testing.T) {
	for _, tc := range jsonGolden {
		t.Run(tc.name, func(t *testing.T) {
			msgs, n, err := JSON{}.ParseMessages(nil, []byte(tc.wire+jsonRS))
			require.NoError(t, err)
			assert.Equal(t, len(tc.wire)+1, n)
			assert.Equal(t, []Message{tc.msg}, msgs)
		})
	}
}

// TestJSONDecodeDocExamples reads the examples of the protocol notes (§4.3)
// as written there, including the JS client's order with "type" last.
func TestJSONDecodeDocExamples(t *testing.T) {
	echo := &Invocation{InvocationID: "0", Target: "Echo", Arguments: []any{RawValue(`"hi"`)}}
	tests := []struct {
		wire string
		want Message
	}{
		{`{"type":1,"target":"Echo","arguments":["hi"],"invocationId":"0"}`, echo},
		{`{"target":"Echo","arguments":["hi"],"invocationId":"0","type":1}`, echo},
		{`{"arguments":["hi"],"type":1,"invocationId":"0","target":"Echo"}`, echo},
		{" \r\n\t{ \"type\" : 1 ,\n \"target\" : \"Echo\" , \"arguments\" : [ \"hi\" ] , \"invocationId\":\"0\" } \n", echo},
		{`{"type":1,"target":"Echo","arguments":["hi"]}`, &Invocation{Target: "Echo", Arguments: []any{RawValue(`"hi"`)}}},
		{`{"type":1,"target":"Echo","arguments":["hi"],"invocationId":null}`, &Invocation{Target: "Echo", Arguments: []any{RawValue(`"hi"`)}}},
		{`{"type":1,"target":"Echo","arguments":["hi"],"invocationId":""}`, &Invocation{Target: "Echo", Arguments: []any{RawValue(`"hi"`)}}},
		{`{"type":1,"target":"StreamingConcat","arguments":[],"invocationId":"0","streamIds":["1"]}`,
			&Invocation{InvocationID: "0", Target: "StreamingConcat", Arguments: []any{}, StreamIDs: []string{"1"}}},
		{`{"type":2,"invocationId":"1","item":"a"}`, &StreamItem{InvocationID: "1", Item: RawValue(`"a"`)}},
		{`{"item":"a","invocationId":"1","type":2}`, &StreamItem{InvocationID: "1", Item: RawValue(`"a"`)}},
		{`{"type":3,"invocationId":"1"}`, &Completion{InvocationID: "1"}},
		{`{"type":3,"invocationId":"1","error":"Something bad"}`, &Completion{InvocationID: "1", Error: "Something bad"}},
		{`{"result":{"a":1},"type":3,"invocationId":"1"}`, &Completion{InvocationID: "1", HasResult: true, Result: RawValue(`{"a":1}`)}},
		{`{"type":3,"invocationId":"1","error":null,"result":2}`, &Completion{InvocationID: "1", HasResult: true, Result: RawValue(`2`)}},
		{`{"type":5,"invocationId":"1"}`, &CancelInvocation{InvocationID: "1"}},
		{`{"type":6}`, &Ping{}},
		{`{"type":7}`, &Close{}},
		{`{"type":7,"error":"x","allowReconnect":false}`, &Close{Error: "x"}},
		{`{"type":8,"sequenceId":5}`, &Ack{SequenceID: 5}},
		{`{"type":9,"sequenceId":5}`, &Sequence{SequenceID: 5}},
		{`{"\u0074ype":6}`, &Ping{}},
		{`{"type":6,"headers":{"a":"b"}}`, &Ping{}},
		{`{"type":5,"invocationId":"\u00e9\ud83d\ude00\n","headers":{"k\"":"v\\"}}`,
			&CancelInvocation{InvocationID: "é😀\n", Headers: map[string]string{`k"`: `v\`}}},
		{`{"type":1,"target":"Echo","arguments":["a"],"arguments":["b"]}`, &Invocation{Target: "Echo", Arguments: []any{RawValue(`"b"`)}}},
		{`{"type":1,"target":"T","arguments":[1,2,3,4,5,6]}`, &Invocation{Target: "T", Arguments: []any{
			RawValue(`1`), RawValue(`2`), RawValue(`3`), RawValue(`4`), RawValue(`5`), RawValue(`6`)}}},
	}
	for _, tc := range tests {
		t.Run(tc.wire, func(t *testing.T) {
			msgs, n, err := JSON{}.ParseMessages(nil, []byte(tc.wire+jsonRS))
			require.NoError(t, err)
			assert.Equal(t, len(tc.wire)+1, n)
			assert.Equal(t, []Message{tc.want}, msgs)
		})
	}
}

func TestJSONUnknownFieldsIgnored(t *testing.T) {
	wire := `{"type":1,"x":{"a":[1,2.5e-3,{"b":null}],"c":"\u0041"},"target":"Echo","arguments":["hi"],"y":[[]],"z":true,"invocationId":"7","w":-0}` + jsonRS
	msgs, n, err := JSON{}.ParseMessages(nil, []byte(wire))
	require.NoError(t, err)
	assert.Equal(t, len(wire), n)
	assert.Equal(t, []Message{&Invocation{InvocationID: "7", Target: "Echo", Arguments: []any{RawValue(`"hi"`)}}}, msgs)
}

func TestJSONUnknownTypeSkipped(t *testing.T) {
	wire := `{"type":99,"foo":[1]}` + jsonRS + `{"type":6}` + jsonRS + `{"type":-1}` + jsonRS + `{"type":0}` + jsonRS + `{"type":10,"invocationId":"1"}` + jsonRS
	msgs, n, err := JSON{}.ParseMessages(nil, []byte(wire))
	require.NoError(t, err)
	assert.Equal(t, len(wire), n)
	assert.Equal(t, []Message{&Ping{}}, msgs)
}

func TestJSONEncodeNonBlockingOmitsInvocationID(t *testing.T) {
	got, err := JSON{}.AppendMessage(nil, &Invocation{Target: "Notify", Arguments: []any{"x"}})
	require.NoError(t, err)
	assert.Equal(t, `{"type":1,"target":"Notify","arguments":["x"]}`+jsonRS, string(got))
	assert.NotContains(t, string(got), "invocationId")

	got, err = JSON{}.AppendMessage(nil, &Invocation{Target: "Notify"})
	require.NoError(t, err)
	assert.Equal(t, `{"type":1,"target":"Notify","arguments":[]}`+jsonRS, string(got), "nil arguments are an empty array")
}

func TestJSONEncodeMessageVariants(t *testing.T) {
	tests := []struct {
		name string
		msg  Message
		want string
	}{
		{"stream item nil", &StreamItem{InvocationID: "1"}, `{"type":2,"invocationId":"1","item":null}`},
		{"stream item with headers", &StreamItem{InvocationID: "1", Item: 3, Headers: map[string]string{"h": "v"}},
			`{"type":2,"headers":{"h":"v"},"invocationId":"1","item":3}`},
		{"completion nil result", &Completion{InvocationID: "1", HasResult: true}, `{"type":3,"invocationId":"1","result":null}`},
		{"completion error wins", &Completion{InvocationID: "1", Error: "e", HasResult: true, Result: 1}, `{"type":3,"invocationId":"1","error":"e"}`},
		{"completion result without HasResult is void", &Completion{InvocationID: "1", Result: 1}, `{"type":3,"invocationId":"1"}`},
		{"close reconnect only", &Close{AllowReconnect: true}, `{"type":7,"allowReconnect":true}`},
		{"empty headers omitted", &CancelInvocation{InvocationID: "1", Headers: map[string]string{}}, `{"type":5,"invocationId":"1"}`},
		{"empty stream ids omitted", &StreamInvocation{InvocationID: "1", Target: "S", StreamIDs: []string{}}, `{"type":4,"invocationId":"1","target":"S","arguments":[]}`},
		{"escaped envelope strings", &Invocation{InvocationID: "a\"b", Target: "<T>&\u2028", Arguments: []any{nil}},
			`{"type":1,"invocationId":"a\"b","target":"<T>&\u2028","arguments":[null]}`},
		{"ack zero", &Ack{}, `{"type":8,"sequenceId":0}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := JSON{}.AppendMessage(nil, tc.msg)
			require.NoError(t, err)
			assert.Equal(t, tc.want+jsonRS, string(got))
		})
	}
}

type jsonPayload struct {
	Name  string    `json:"name"`
	HTML  string    `json:"html"`
	When  time.Time `json:"when"`
	Data  []byte    `json:"data"`
	Count int64     `json:"count"`
	Skip  string    `json:"-"`
}

func TestJSONEncodeValues(t *testing.T) {
	y2k := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"nil", nil, `null`},
		{"string", "hello", `"hello"`},
		{"html not escaped", `<a href="x">&amp;</a>`, `"<a href=\"x\">&amp;</a>"`},
		{"control characters", "a\b\f\n\r\t\x00\x1f\x7f", `"a\b\f\n\r\t\u0000\u001f` + "\x7f" + `"`},
		{"line separators", "\u2028\u2029", `"\u2028\u2029"`},
		{"unicode kept", "é😀", `"é😀"`},
		{"invalid utf8", "a\xffb\xc3", `"a\ufffdb\ufffd"`},
		{"record separator escaped", "\x1e", `"\u001e"`},
		{"true", true, `true`},
		{"int", -42, `-42`},
		{"int8", int8(-8), `-8`},
		{"uint16", uint16(65535), `65535`},
		{"int64 max", int64(math.MaxInt64), `9223372036854775807`},
		{"uint64 max", uint64(math.MaxUint64), `18446744073709551615`},
		{"float", 1.5, `1.5`},
		{"float integral", 3.0, `3`},
		{"float big", 1e21, `1e+21`},
		{"float small", 1e-7, `1e-7`},
		{"float32", float32(0.1), `0.1`},
		{"negative zero", math.Copysign(0, -1), `-0`},
		{"bytes", []byte{1, 2, 3, 250}, `"AQID+g=="`},
		{"nil bytes", []byte(nil), `null`},
		{"empty bytes", []byte{}, `""`},
		{"time", y2k, `"2000-01-01T00:00:00Z"`},
		{"raw value", RawValue(`{"a": [1, 2]}`), `{"a": [1, 2]}`},
		{"empty raw value", RawValue(nil), `null`},
		{"raw message", json.RawMessage(`[true]`), `[true]`},
		{"struct", jsonPayload{Name: "n", HTML: "<b>&</b>", When: y2k, Data: []byte("hi"), Count: 1 << 60, Skip: "x"},
			`{"name":"n","html":"<b>&</b>","when":"2000-01-01T00:00:00Z","data":"aGk=","count":1152921504606846976}`},
		{"map sorted", map[string]int{"b": 2, "a": 1}, `{"a":1,"b":2}`},
		{"slice", []string{"x", "<"}, `["x","<"]`},
		{"named int", time.Month(3), `3`},
		{"duration", 2 * time.Second, `2000000000`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := JSON{}.AppendMessage(nil, &StreamItem{InvocationID: "1", Item: tc.v})
			require.NoError(t, err)
			assert.Equal(t, `{"type":2,"invocationId":"1","item":`+tc.want+`}`+jsonRS, string(got))
		})
	}
}

// TestJSONFastPathsMatchEncodingJSON checks that the hand-written value and
// string encoders agree with encoding/json with HTML escaping off.
func TestJSONFastPathsMatchEncodingJSON(t *testing.T) {
	values := []any{
		"", "plain", "quote\" backslash\\ slash/", "<>&", "\u2028x\u2029", "\x00\x01\x08\x0c\x1f\x7f",
		"\xff\xfe", "é\xe2\x82", "\xed\xa0\x80", "😀", strings.Repeat("ab\n", 50),
		true, false, 0, -1, math.MaxInt64, math.MinInt64, uint64(math.MaxUint64), int32(-5), uint8(200),
		0.0, 1.0, -1.5, 0.1, 1e20, 1e21, 1e-6, 1e-7, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64,
		5e-324, 1.7976931348623157e308, float32(1e21), float32(1e-7), float32(3.4028235e38), float32(-0.3),
		[]byte{}, []byte{0}, []byte("hello, world"),
	}
	for _, v := range values {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		require.NoError(t, enc.Encode(v))
		want := strings.TrimSuffix(buf.String(), "\n")
		got, err := jsonAppendValue(nil, v)
		require.NoError(t, err)
		assert.Equal(t, want, string(got), "%#v", v)
		if s, ok := v.(string); ok {
			assert.Equal(t, want, string(jsonAppendString(nil, s)), "%q", s)
		}
	}
}

type jsonUnknownMessage struct{}

func (jsonUnknownMessage) Type() MessageType { return 42 }

func TestJSONEncodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		msg     Message
		unknown bool
	}{
		{"unknown message type", jsonUnknownMessage{}, true},
		{"nil message", nil, true},
		{"nil invocation", (*Invocation)(nil), true},
		{"nil completion", (*Completion)(nil), true},
		{"unsupported argument", &Invocation{Target: "T", Arguments: []any{make(chan int)}}, false},
		{"NaN argument", &Invocation{Target: "T", Arguments: []any{math.NaN()}}, false},
		{"infinite item", &StreamItem{InvocationID: "1", Item: float32(math.Inf(1))}, false},
		{"bad result", &Completion{InvocationID: "1", HasResult: true, Result: func() {}}, false},
		{"raw value with separator", &Invocation{Target: "T", Arguments: []any{RawValue("\"\x1e\"")}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("keep")
			got, err := JSON{}.AppendMessage(dst, tc.msg)
			require.Error(t, err)
			assert.Equal(t, "keep", string(got), "dst is returned unchanged")
			assert.Equal(t, tc.unknown, errors.Is(err, ErrUnknownMessage), "%v", err)
		})
	}
}

// jsonNormalize maps every argument, item and result of m to the generic
// value encoding/json gives it, so that a message of Go values can be
// compared with one of RawValues.
func jsonNormalize(t *testing.T, m Message) Message {
	t.Helper()
	norm := func(v any) any {
		var raw []byte
		if r, ok := v.(RawValue); ok {
			raw = r
		} else {
			var err error
			raw, err = json.Marshal(v)
			require.NoError(t, err)
		}
		var out any
		require.NoError(t, JSON{}.Bind(raw, &out))
		return out
	}
	normArgs := func(args []any) []any {
		out := make([]any, len(args))
		for i, a := range args {
			out[i] = norm(a)
		}
		return out
	}
	switch m := m.(type) {
	case *Invocation:
		c := *m
		c.Arguments = normArgs(m.Arguments)
		return &c
	case *StreamInvocation:
		c := *m
		c.Arguments = normArgs(m.Arguments)
		return &c
	case *StreamItem:
		c := *m
		c.Item = norm(m.Item)
		return &c
	case *Completion:
		c := *m
		if c.HasResult {
			c.Result = norm(m.Result)
		}
		return &c
	}
	return m
}

func TestJSONRoundTrip(t *testing.T) {
	y2k := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	msgs := []Message{
		&Invocation{InvocationID: "1", Target: "SendMessage", Arguments: []any{"list-42", "hello <world> & \"you\"", 3, 2.5, true, nil}},
		&Invocation{Target: "Broadcast", Arguments: []any{[]int{1, 2}, map[string]any{"a": "b"}}, StreamIDs: []string{"s1", "s2"},
			Headers: map[string]string{"traceparent": "00-abc-01", "k": "v\n"}},
		&StreamInvocation{InvocationID: "s1", Target: "Counter", Arguments: []any{10, 100}},
		&StreamItem{InvocationID: "s1", Item: jsonPayload{Name: "x", When: y2k, Data: []byte{9, 8}}},
		&StreamItem{InvocationID: "s1", Item: nil},
		&Completion{InvocationID: "1", HasResult: true, Result: []string{"a"}},
		&Completion{InvocationID: "1", HasResult: true},
		&Completion{InvocationID: "1", Error: "An unexpected error occurred invoking 'X' on the server."},
		&Completion{InvocationID: "1"},
		&CancelInvocation{InvocationID: "s1"},
		&Ping{},
		&Close{},
		&Close{Error: "bye\u2028", AllowReconnect: true},
		&Ack{SequenceID: 1 << 62},
		&Sequence{SequenceID: 1},
	}
	var wire []byte
	for _, m := range msgs {
		var err error
		wire, err = JSON{}.AppendMessage(wire, m)
		require.NoError(t, err)
	}
	got, n, err := JSON{}.ParseMessages(nil, wire)
	require.NoError(t, err)
	require.Equal(t, len(wire), n)
	require.Len(t, got, len(msgs))
	for i := range msgs {
		assert.Equal(t, jsonNormalize(t, msgs[i]), jsonNormalize(t, got[i]), "message %d", i)
	}
}

func TestJSONBind(t *testing.T) {
	var c JSON

	var b []byte
	require.NoError(t, c.Bind(RawValue(`"AQID+g=="`), &b))
	assert.Equal(t, []byte{1, 2, 3, 250}, b)

	var tm time.Time
	require.NoError(t, c.Bind(RawValue(`"2000-01-01T00:00:00Z"`), &tm))
	assert.True(t, tm.Equal(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)))

	var big int64
	require.NoError(t, c.Bind(RawValue(`9007199254740993`), &big))
	assert.Equal(t, int64(1<<53+1), big)

	var p jsonPayload
	require.NoError(t, c.Bind(RawValue(`{"name":"n","count":9223372036854775807,"extra":1}`), &p))
	assert.Equal(t, jsonPayload{Name: "n", Count: math.MaxInt64}, p)

	var raw RawValue
	src := RawValue(`[1]`)
	require.NoError(t, c.Bind(src, &raw))
	src[1] = '2'
	assert.Equal(t, RawValue(`[1]`), raw, "binding to a RawValue copies")

	var n int
	err := c.Bind(RawValue(`"seven"`), &n)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "protocol: bind: "), err.Error())
	assert.False(t, errors.Is(err, ErrInvalidMessage))
	var typeErr *json.UnmarshalTypeError
	assert.True(t, errors.As(err, &typeErr))

	require.Error(t, c.Bind(RawValue(`1`), nil))
	require.Error(t, c.Bind(RawValue(`1`), n))
	require.Error(t, c.Bind(RawValue(`"s"`), (*string)(nil)))
	require.Error(t, c.Bind(RawValue(`1`), (*int)(nil)))
	require.Error(t, c.Bind(RawValue(`1`), (*int64)(nil)))
	require.Error(t, c.Bind(RawValue(`1`), (*float64)(nil)))
	require.Error(t, c.Bind(RawValue(`true`), (*bool)(nil)))
	require.Error(t, c.Bind(RawValue(`true`), (*any)(nil)))
	require.Error(t, c.Bind(RawValue(`true`), (*RawValue)(nil)))
}

// TestJSONBindFastPathsMatchUnmarshal compares the reflection-free binding
// of simple types with json.Unmarshal, values and errors alike.
func TestJSONBindFastPathsMatchUnmarshal(t *testing.T) {
	raws := []string{
		`"s"`, `""`, `"a\"b\\c\/\u00e9\ud83d\ude00"`, `"\ud800"`, "\"\xff\"", `"unterminated`, `"a"x`,
		`0`, `-0`, `42`, `-7`, `9223372036854775807`, `9223372036854775808`, `-9223372036854775809`,
		`1.5`, `1e3`, `-2.5E-3`, `1e400`, `01`, `1.`, `.5`, `+1`, `0x10`, `Infinity`, `NaN`,
		`true`, `false`, `null`, `tru`, ` 1`, `1 `, `[1]`, `{"a":1}`, ``,
	}
	type target struct {
		name string
		mk   func() any
	}
	targets := []target{
		{"string", func() any { s := "old"; return &s }},
		{"int", func() any { n := 99; return &n }},
		{"int64", func() any { n := int64(99); return &n }},
		{"float64", func() any { f := 9.5; return &f }},
		{"bool", func() any { b := true; return &b }},
		{"any", func() any { var a any = "old"; return &a }},
	}
	for _, tg := range targets {
		for _, raw := range raws {
			want, got := tg.mk(), tg.mk()
			wantErr := json.Unmarshal([]byte(raw), want)
			gotErr := JSON{}.Bind(RawValue(raw), got)
			assert.Equal(t, wantErr != nil, gotErr != nil, "%s <- %q: %v / %v", tg.name, raw, wantErr, gotErr)
			if wantErr == nil && gotErr == nil {
				assert.Equal(t, want, got, "%s <- %q", tg.name, raw)
			}
		}
	}
}
