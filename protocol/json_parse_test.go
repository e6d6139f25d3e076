package protocol

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonStream is several messages back to back, as one transport unit.
const jsonStream = `{"type":1,"target":"Echo","arguments":["hi",{"a":[1,"\u001e"]}],"invocationId":"0"}` + jsonRS +
	`{"type":6}` + jsonRS +
	`{"type":42}` + jsonRS +
	`{"type":2,"invocationId":"1","item":null}` + jsonRS +
	`{"type":3,"invocationId":"1","headers":{"a":"b"},"result":"done"}` + jsonRS +
	`{"type":7,"error":"bye","allowReconnect":true}` + jsonRS

func TestJSONParseIncremental(t *testing.T) {
	var c JSON
	one := `{"type":6}` + jsonRS

	t.Run("empty", func(t *testing.T) {
		msgs, n, err := c.ParseMessages(nil, nil)
		require.NoError(t, err)
		assert.Zero(t, n)
		assert.Empty(t, msgs)
	})
	t.Run("half a message", func(t *testing.T) {
		msgs, n, err := c.ParseMessages(nil, []byte(one[:5]))
		require.NoError(t, err)
		assert.Zero(t, n)
		assert.Empty(t, msgs)
	})
	t.Run("message without its separator", func(t *testing.T) {
		msgs, n, err := c.ParseMessages(nil, []byte(one[:len(one)-1]))
		require.NoError(t, err)
		assert.Zero(t, n)
		assert.Empty(t, msgs)
	})
	t.Run("exactly one", func(t *testing.T) {
		msgs, n, err := c.ParseMessages(nil, []byte(one))
		require.NoError(t, err)
		assert.Equal(t, len(one), n)
		assert.Equal(t, []Message{&Ping{}}, msgs)
	})
	t.Run("one and a half", func(t *testing.T) {
		msgs, n, err := c.ParseMessages(nil, []byte(one+one[:3]))
		require.NoError(t, err)
		assert.Equal(t, len(one), n)
		assert.Equal(t, []Message{&Ping{}}, msgs)
	})
	t.Run("appends to dst", func(t *testing.T) {
		dst := []Message{&Close{}}
		msgs, n, err := c.ParseMessages(dst, []byte(one+one))
		require.NoError(t, err)
		assert.Equal(t, 2*len(one), n)
		assert.Equal(t, []Message{&Close{}, &Ping{}, &Ping{}}, msgs)
	})
	t.Run("several", func(t *testing.T) {
		msgs, n, err := c.ParseMessages(nil, []byte(jsonStream))
		require.NoError(t, err)
		assert.Equal(t, len(jsonStream), n)
		assert.Equal(t, []Message{
			&Invocation{InvocationID: "0", Target: "Echo", Arguments: []any{RawValue(`"hi"`), RawValue(`{"a":[1,"\u001e"]}`)}},
			&Ping{},
			&StreamItem{InvocationID: "1", Item: RawValue(`null`)},
			&Completion{InvocationID: "1", Headers: map[string]string{"a": "b"}, HasResult: true, Result: RawValue(`"done"`)},
			&Close{Error: "bye", AllowReconnect: true},
		}, msgs)
	})
}

// TestJSONParseEverySplit feeds the stream in two chunks split at every byte
// offset, keeping unconsumed bytes as a transport reader would, and expects
// the same messages as from one chunk.
func TestJSONParseEverySplit(t *testing.T) {
	var c JSON
	want, _, err := c.ParseMessages(nil, []byte(jsonStream))
	require.NoError(t, err)
	for i := 0; i <= len(jsonStream); i++ {
		var pending []byte
		var got []Message
		for _, chunk := range []string{jsonStream[:i], jsonStream[i:]} {
			pending = append(pending, chunk...)
			var n int
			got, n, err = c.ParseMessages(got, pending)
			require.NoError(t, err, "split at %d", i)
			// Copy the rest: parsed messages alias pending.
			pending = append([]byte(nil), pending[n:]...)
		}
		assert.Empty(t, pending, "split at %d", i)
		assert.Equal(t, want, got, "split at %d", i)
	}
}

// TestJSONParseByteByByte feeds one byte at a time.
func TestJSONParseByteByByte(t *testing.T) {
	var c JSON
	want, _, err := c.ParseMessages(nil, []byte(jsonStream))
	require.NoError(t, err)
	var got []Message
	var pending []byte
	for i := 0; i < len(jsonStream); i++ {
		pending = append(pending, jsonStream[i])
		var n int
		got, n, err = c.ParseMessages(got, pending)
		require.NoError(t, err)
		pending = append([]byte(nil), pending[n:]...)
	}
	assert.Equal(t, want, got)
}

// jsonSizedMessage returns a Ping of exactly size bytes, without separator.
func jsonSizedMessage(t *testing.T, size int) string {
	t.Helper()
	base := `{"type":6,"pad":""}`
	require.GreaterOrEqual(t, size, len(base))
	m := `{"type":6,"pad":"` + strings.Repeat("x", size-len(base)) + `"}`
	require.Len(t, m, size)
	return m
}

func TestJSONMaxMessageSize(t *testing.T) {
	const limit = 100
	c := JSON{MaxMessageSize: limit}
	atLimit := jsonSizedMessage(t, limit)
	overLimit := jsonSizedMessage(t, limit+1)

	t.Run("exactly at the limit", func(t *testing.T) {
		msgs, n, err := c.ParseMessages(nil, []byte(atLimit+jsonRS))
		require.NoError(t, err)
		assert.Equal(t, limit+1, n)
		assert.Len(t, msgs, 1)
	})
	t.Run("at the limit without separator waits", func(t *testing.T) {
		msgs, n, err := c.ParseMessages(nil, []byte(atLimit))
		require.NoError(t, err)
		assert.Zero(t, n)
		assert.Empty(t, msgs)
	})
	t.Run("one byte over", func(t *testing.T) {
		msgs, n, err := c.ParseMessages(nil, []byte(`{"type":6}`+jsonRS+overLimit+jsonRS))
		require.Error(t, err)
		assert.True(t, errors.Is(err, ErrMessageTooLarge))
		assert.False(t, errors.Is(err, ErrInvalidMessage))
		var tooLarge *TooLargeError
		require.True(t, errors.As(err, &tooLarge))
		assert.Equal(t, limit, tooLarge.Limit)
		assert.EqualError(t, err, "The maximum message size of 100B was exceeded. The message size can be configured in AddHubOptions.")
		assert.Equal(t, []Message{&Ping{}}, msgs, "messages before the large one are returned")
		assert.Equal(t, len(`{"type":6}`)+1, n)
	})
	t.Run("one byte over without separator", func(t *testing.T) {
		_, n, err := c.ParseMessages(nil, []byte(overLimit))
		require.True(t, errors.Is(err, ErrMessageTooLarge), "%v", err)
		assert.Zero(t, n)
	})
	t.Run("over the limit with the separator far away", func(t *testing.T) {
		_, _, err := c.ParseMessages(nil, []byte(strings.Repeat(" ", 10*limit)+`{"type":6}`+jsonRS))
		require.True(t, errors.Is(err, ErrMessageTooLarge), "%v", err)
	})
	t.Run("default limit", func(t *testing.T) {
		ok := jsonSizedMessage(t, DefaultMaxMessageSize)
		_, n, err := JSON{}.ParseMessages(nil, []byte(ok+jsonRS))
		require.NoError(t, err)
		assert.Equal(t, DefaultMaxMessageSize+1, n)

		big := jsonSizedMessage(t, DefaultMaxMessageSize+1)
		_, _, err = JSON{}.ParseMessages(nil, []byte(big+jsonRS))
		assert.EqualError(t, err, "The maximum message size of 32768B was exceeded. The message size can be configured in AddHubOptions.")
		_, _, err = JSON{MaxMessageSize: -5}.ParseMessages(nil, []byte(big+jsonRS))
		assert.True(t, errors.Is(err, ErrMessageTooLarge))
	})
}

func TestJSONParseErrors(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		in   string
		want string
	}{
		// Required properties, with the official server's texts.
		{`{}`, "Missing required property 'type'."},
		{`{"target":"Echo","arguments":[]}`, "Missing required property 'type'."},
		{`{"type":1,"arguments":[]}`, "Missing required property 'target'."},
		{`{"type":1,"target":"","arguments":[]}`, "Missing required property 'target'."},
		{`{"type":1,"target":"Echo"}`, "Missing required property 'arguments'."},
		{`{"type":4,"invocationId":"1","arguments":[]}`, "Missing required property 'target'."},
		{`{"type":4,"target":"S","arguments":[]}`, "Missing required property 'invocationId'."},
		{`{"type":4,"target":"S","invocationId":"","arguments":[]}`, "Missing required property 'invocationId'."},
		{`{"type":4,"target":"S","invocationId":"1"}`, "Missing required property 'arguments'."},
		{`{"type":4,"target":"","invocationId":"1","arguments":[]}`, "Missing required property 'target'."},
		{`{"type":2,"item":1}`, "Missing required property 'invocationId'."},
		{`{"type":2,"invocationId":"1"}`, "Missing required property 'item'."},
		{`{"type":3}`, "Missing required property 'invocationId'."},
		{`{"type":3,"invocationId":null}`, "Missing required property 'invocationId'."},
		{`{"type":3,"invocationId":"1","error":"e","result":1}`, "The 'error' and 'result' properties are mutually exclusive."},
		{`{"type":3,"invocationId":"1","result":null,"error":""}`, "The 'error' and 'result' properties are mutually exclusive."},
		{`{"type":5}`, "Missing required property 'invocationId'."},
		{`{"type":8}`, "Missing required property 'sequenceId'."},
		{`{"type":9,"sequenceId":null}`, "Missing required property 'sequenceId'."},
		// Wrong JSON types.
		{`{"type":"1"}`, "Expected 'type' to be of type Number."},
		{`{"type":null}`, "Expected 'type' to be of type Number."},
		{`{"type":1.5}`, "Expected 'type' to be a 32-bit integer."},
		{`{"type":1e0}`, "Expected 'type' to be a 32-bit integer."},
		{`{"type":4294967297}`, "Expected 'type' to be a 32-bit integer."},
		{`{"type":1,"target":5,"arguments":[]}`, "Expected 'target' to be of type String."},
		{`{"type":1,"target":null,"arguments":[]}`, "Expected 'target' to be of type String."},
		{`{"type":1,"target":"T","arguments":{}}`, "Expected 'arguments' to be of type Array."},
		{`{"type":1,"target":"T","arguments":null}`, "Expected 'arguments' to be of type Array."},
		{`{"type":1,"target":"T","arguments":[],"invocationId":1}`, "Expected 'invocationId' to be of type String."},
		{`{"type":1,"target":"T","arguments":[],"streamIds":"1"}`, "Expected 'streamIds' to be of type Array."},
		{`{"type":1,"target":"T","arguments":[],"streamIds":["1",2]}`, "Expected 'streamIds' to contain only strings."},
		{`{"type":1,"target":"T","arguments":[],"streamIds":[null]}`, "Null value for 'streamIds' is not valid."},
		{`{"type":1,"target":"T","arguments":[],"headers":[]}`, "Expected 'headers' to be of type StartObject."},
		{`{"type":1,"target":"T","arguments":[],"headers":{"a":"b","c":1}}`, "Expected header 'c' to be of type String."},
		{`{"type":1,"target":"T","arguments":[],"headers":{"a":null}}`, "Expected header 'a' to be of type String."},
		{`{"type":3,"invocationId":"1","error":false}`, "Expected 'error' to be of type String."},
		{`{"type":7,"allowReconnect":"yes"}`, "Expected 'allowReconnect' to be true or false."},
		{`{"type":8,"sequenceId":"5"}`, "Expected 'sequenceId' to be of type Number."},
		{`{"type":8,"sequenceId":-1}`, "Expected 'sequenceId' to be a non-negative integer."},
		{`{"type":8,"sequenceId":1.5}`, "Expected 'sequenceId' to be a non-negative integer."},
		{`{"type":8,"sequenceId":18446744073709551616}`, "Expected 'sequenceId' to be a non-negative integer."},
		// Not an object.
		{`[{"type":6}]`, "Unexpected JSON Token Type 'Array'. Expected a JSON Object."},
		{`"type"`, "Unexpected JSON Token Type 'String'. Expected a JSON Object."},
		{`6`, "Unexpected JSON Token Type 'Number'. Expected a JSON Object."},
		{`null`, "Unexpected JSON Token Type 'Null'. Expected a JSON Object."},
		// Malformed JSON.
		{``, "Error reading JSON."},
		{`   `, "Error reading JSON."},
		{`nul`, "Error reading JSON."},
		{`x`, "Error reading JSON."},
		{`{"type":6`, "Error reading JSON."},
		{`{"type":6,}`, "Error reading JSON."},
		{`{"type" 6}`, "Error reading JSON."},
		{`{type:6}`, "Error reading JSON."},
		{`{'type':6}`, "Error reading JSON."},
		{`{"type":6}}`, "Error reading JSON."},
		{`{"type":6} x`, "Error reading JSON."},
		{`{"type":6}` + "\x00", "Error reading JSON."},
		{"\x00", "Error reading JSON."},
		{`{"type":6}{"type":6}`, "Error reading JSON."},
		{`{"type":06}`, "Error reading JSON."},
		{`{"type":-}`, "Error reading JSON."},
		{`{"type":1,"target":"T","arguments":[1,]}`, "Error reading JSON."},
		{`{"type":1,"target":"T","arguments":[1 2]}`, "Error reading JSON."},
		{`{"type":1,"target":"T","arguments":[01]}`, "Error reading JSON."},
		{`{"type":1,"target":"T","arguments":[1.]}`, "Error reading JSON."},
		{`{"type":1,"target":"T","arguments":[.5]}`, "Error reading JSON."},
		{`{"type":1,"target":"T","arguments":[1e]}`, "Error reading JSON."},
		{`{"type":1,"target":"T","arguments":[NaN]}`, "Error reading JSON."},
		{`{"type":1,"target":"T","arguments":[True]}`, "Error reading JSON."},
		{`{"type":1,"target":"T","arguments":["\x"]}`, "Error reading JSON."},
		{`{"type":1,"target":"T","arguments":["\u12"]}`, "Error reading JSON."},
		{`{"type":1,"target":"T","arguments":["a` + "\n" + `b"]}`, "Error reading JSON."},
		{`{"type":1,"target":"T","arguments":[{"a" 1}]}`, "Error reading JSON."},
		{`{"type":1,"target":"T","arguments":[{1:1}]}`, "Error reading JSON."},
		{`{"type":1,"target":"T","arguments":[` + deep(63) + `]}`, "Error reading JSON."},
		{`{"type":1,"x":` + deep(64) + `}`, "Error reading JSON."},
		{`{"type":6,"x":"` + "\x00" + `"}`, "Error reading JSON."},
		{`{"type":6,"x":tru}`, "Error reading JSON."},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			msgs, n, err := JSON{}.ParseMessages(nil, []byte(tc.in+jsonRS))
			require.Error(t, err)
			assert.EqualError(t, err, tc.want)
			assert.True(t, errors.Is(err, ErrInvalidMessage), "wraps ErrInvalidMessage")
			assert.False(t, errors.Is(err, ErrMessageTooLarge))
			assert.Zero(t, n)
			assert.Empty(t, msgs)
		})
	}
}

func TestJSONParseDepthLimit(t *testing.T) {
	// The message object is level 1, the arguments array level 2: 62 more
	// levels inside an argument reach the limit of 64 exactly.
	arg := strings.Repeat(`{"a":[`, 31) + strings.Repeat(`]}`, 31)
	wire := `{"type":1,"target":"T","arguments":[` + arg + `]}` + jsonRS
	msgs, _, err := JSON{}.ParseMessages(nil, []byte(wire))
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	assert.Equal(t, []any{RawValue(arg)}, msgs[0].(*Invocation).Arguments)
}

func TestJSONParseErrorKeepsEarlierMessages(t *testing.T) {
	good := `{"type":6}` + jsonRS + `{"type":99}` + jsonRS + `{"type":5,"invocationId":"1"}` + jsonRS
	buf := good + `{"type":` + jsonRS + `{"type":6}` + jsonRS
	msgs, n, err := JSON{}.ParseMessages(nil, []byte(buf))
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrInvalidMessage))
	assert.Equal(t, len(good), n)
	assert.Equal(t, []Message{&Ping{}, &CancelInvocation{InvocationID: "1"}}, msgs)
}

func TestJSONParseInvalidUTF8(t *testing.T) {
	wire := "{\"type\":1,\"target\":\"T\xff\",\"arguments\":[\"\xfe\"],\"headers\":{\"k\xc3\":\"v\"}}" + jsonRS
	msgs, _, err := JSON{}.ParseMessages(nil, []byte(wire))
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	inv := msgs[0].(*Invocation)
	assert.Equal(t, "T\ufffd", inv.Target)
	assert.Equal(t, map[string]string{"k\ufffd": "v"}, inv.Headers)
	var s string
	require.NoError(t, JSON{}.Bind(inv.Arguments[0].(RawValue), &s))
	assert.Equal(t, "\ufffd", s)
}

func TestJSONParseManyArguments(t *testing.T) {
	parts := make([]string, 100)
	want := make([]any, 100)
	for i := range parts {
		parts[i] = fmt.Sprint(i)
		want[i] = RawValue(parts[i])
	}
	wire := `{"type":1,"target":"T","arguments":[` + strings.Join(parts, ",") + `]}` + jsonRS
	msgs, _, err := JSON{}.ParseMessages(nil, []byte(wire))
	require.NoError(t, err)
	assert.Equal(t, want, msgs[0].(*Invocation).Arguments)
}

// TestJSONParseDocExampleOfBinding binds the JS client's argument order
// into typed values, as the hub will.
func TestJSONParseBindArguments(t *testing.T) {
	wire := `{"arguments":["list-42","héllo <w>",3,9007199254740993,"AQI="],"target":"SendMessage","invocationId":"5","type":1}` + jsonRS
	msgs, _, err := JSON{}.ParseMessages(nil, []byte(wire))
	require.NoError(t, err)
	args := msgs[0].(*Invocation).Arguments
	require.Len(t, args, 5)
	var (
		list, text string
		n          int
		big        int64
		data       []byte
	)
	for i, v := range []any{&list, &text, &n, &big, &data} {
		require.NoError(t, JSON{}.Bind(args[i].(RawValue), v))
	}
	assert.Equal(t, "list-42", list)
	assert.Equal(t, "héllo <w>", text)
	assert.Equal(t, 3, n)
	assert.Equal(t, int64(9007199254740993), big)
	assert.Equal(t, []byte{1, 2}, data)
}
