package protocol

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hsRS is the record separator as a string, for building test inputs.
const hsRS = "\x1e"

func TestParseHandshakeRequest(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want HandshakeRequest
	}{
		{"json", `{"protocol":"json","version":1}` + hsRS, HandshakeRequest{"json", 1}},
		{"messagepack v2", `{"protocol":"messagepack","version":2}` + hsRS, HandshakeRequest{"messagepack", 2}},
		{"reversed order and spaces", " { \"version\" : 1 ,\n \"protocol\" : \"json\" } " + hsRS, HandshakeRequest{"json", 1}},
		{"unknown properties skipped", `{"protocol":"json","x":{"a":[1,{"b":null}]},"version":1,"y":"z"}` + hsRS, HandshakeRequest{"json", 1}},
		{"empty protocol", `{"protocol":"","version":10}` + hsRS, HandshakeRequest{"", 10}},
		{"escaped protocol", `{"protocol":"js\u006fn","version":1}` + hsRS, HandshakeRequest{"json", 1}},
		{"last duplicate wins", `{"protocol":"a","protocol":"b","version":1}` + hsRS, HandshakeRequest{"b", 1}},
		{"negative version", `{"protocol":"json","version":-1}` + hsRS, HandshakeRequest{"json", -1}},
		{"max int32 version", `{"protocol":"json","version":2147483647}` + hsRS, HandshakeRequest{"json", 2147483647}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, n, err := ParseHandshakeRequest([]byte(tt.in), 0)
			require.NoError(t, err)
			assert.Equal(t, tt.want, req)
			assert.Equal(t, len(tt.in), n)
		})
	}
}

func TestParseHandshakeRequestErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // exact error text; "" means only check ErrInvalidMessage
	}{
		{"number", `42` + hsRS, "Unexpected JSON Token Type 'Number'. Expected a JSON Object."},
		{"string", `"42"` + hsRS, "Unexpected JSON Token Type 'String'. Expected a JSON Object."},
		{"null", `null` + hsRS, "Unexpected JSON Token Type 'Null'. Expected a JSON Object."},
		{"true", `true` + hsRS, "Unexpected JSON Token Type 'True'. Expected a JSON Object."},
		{"array", `[]` + hsRS, "Unexpected JSON Token Type 'Array'. Expected a JSON Object."},
		{"empty object", `{}` + hsRS, "Missing required property 'protocol'. Message content: {}"},
		{"missing version", `{"protocol":"json"}` + hsRS, `Missing required property 'version'. Message content: {"protocol":"json"}`},
		{"missing protocol", `{"version":1}` + hsRS, `Missing required property 'protocol'. Message content: {"version":1}`},
		{"null version is missing", `{"protocol":"json","version":null}` + hsRS, `Missing required property 'version'. Message content: {"protocol":"json","version":null}`},
		{"hub message instead", `{"type":4,"invocationId":"42","target":"foo","arguments":{}}` + hsRS,
			`Missing required property 'protocol'. Message content: {"type":4,"invocationId":"42","target":"foo","arguments":{}}`},
		{"string version", `{"version":"123"}` + hsRS, "Expected 'version' to be of type Number."},
		{"bool version", `{"protocol":"json","version":true}` + hsRS, "Expected 'version' to be of type Number."},
		{"fractional version", `{"protocol":"json","version":1.5}` + hsRS, "Either the JSON value is not in a supported format, or is out of bounds for an Int32."},
		{"exponent version", `{"protocol":"json","version":1e0}` + hsRS, "Either the JSON value is not in a supported format, or is out of bounds for an Int32."},
		{"version over int32", `{"protocol":"json","version":2147483648}` + hsRS, "Either the JSON value is not in a supported format, or is out of bounds for an Int32."},
		{"null protocol", `{"protocol":null,"version":123}` + hsRS, "Expected 'protocol' to be of type String."},
		{"number protocol", `{"protocol":1,"version":1}` + hsRS, "Expected 'protocol' to be of type String."},
		{"empty", hsRS, "Unexpected end when reading JSON."},
		{"truncated object", `{"protocol":"json"` + hsRS, "Unexpected end when reading JSON."},
		{"invalid json", `{protocol:"json","version":1}` + hsRS, ""},
		{"trailing garbage", `{"protocol":"json","version":1}x` + hsRS, ""},
		{"two objects", `{"protocol":"json","version":1}{}` + hsRS, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, n, err := ParseHandshakeRequest([]byte(tt.in), 0)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidMessage)
			assert.Zero(t, n)
			if tt.want != "" {
				assert.Equal(t, tt.want, err.Error())
			}
		})
	}
}

func TestParseHandshakeRequestNeedsMore(t *testing.T) {
	full := `{"protocol":"json","version":1}` + hsRS
	for i := 0; i < len(full); i++ {
		req, n, err := ParseHandshakeRequest([]byte(full[:i]), 0)
		require.NoError(t, err, "prefix %d", i)
		require.Zero(t, n, "prefix %d", i)
		require.Zero(t, req, "prefix %d", i)
	}
}

// TestParseHandshakeRequestSplit feeds the handshake and the hub messages after
// it in every possible two-chunk split, the way a server accumulates reads.
func TestParseHandshakeRequestSplit(t *testing.T) {
	const messages = `{"type":6}` + hsRS + `{"type":1,"target":"Echo","arguments":["hi"]}` + hsRS
	stream := `{"protocol":"json","version":1}` + hsRS + messages
	for split := 0; split <= len(stream); split++ {
		var buf []byte
		buf = append(buf, stream[:split]...)
		req, n, err := ParseHandshakeRequest(buf, 0)
		require.NoError(t, err)
		if n == 0 {
			buf = append(buf, stream[split:]...)
			req, n, err = ParseHandshakeRequest(buf, 0)
			require.NoError(t, err)
		} else {
			buf = append(buf, stream[split:]...)
		}
		require.Equal(t, HandshakeRequest{"json", 1}, req, "split %d", split)
		require.Equal(t, messages, string(buf[n:]), "split %d", split)
	}
}

func TestParseHandshakeRequestFollowedByMessages(t *testing.T) {
	// A MessagePack Ping frame right after the handshake, in one chunk.
	in := []byte(`{"protocol":"messagepack","version":1}` + hsRS + "\x02\x91\x06")
	req, n, err := ParseHandshakeRequest(in, 0)
	require.NoError(t, err)
	assert.Equal(t, HandshakeRequest{"messagepack", 1}, req)
	assert.Equal(t, []byte("\x02\x91\x06"), in[n:])
}

func TestParseHandshakeRequestSizeLimit(t *testing.T) {
	req := `{"protocol":"json","version":1}` + hsRS // 32 bytes
	require.Len(t, req, 32)

	t.Run("fits exactly", func(t *testing.T) {
		_, n, err := ParseHandshakeRequest([]byte(req+"more"), 32)
		require.NoError(t, err)
		assert.Equal(t, 32, n)
	})
	t.Run("separator beyond the limit", func(t *testing.T) {
		_, n, err := ParseHandshakeRequest([]byte(req), 31)
		var tooLarge *TooLargeError
		require.ErrorAs(t, err, &tooLarge)
		assert.Equal(t, 31, tooLarge.Limit)
		assert.ErrorIs(t, err, ErrMessageTooLarge)
		assert.Zero(t, n)
	})
	t.Run("no separator, at the limit: need more", func(t *testing.T) {
		_, n, err := ParseHandshakeRequest([]byte(strings.Repeat(" ", 31)), 31)
		require.NoError(t, err)
		assert.Zero(t, n)
	})
	t.Run("no separator, over the limit", func(t *testing.T) {
		_, _, err := ParseHandshakeRequest([]byte(strings.Repeat(" ", 32)), 31)
		require.ErrorIs(t, err, ErrMessageTooLarge)
	})
	t.Run("default limit", func(t *testing.T) {
		big := []byte(strings.Repeat(" ", DefaultMaxMessageSize))
		_, _, err := ParseHandshakeRequest(big, 0)
		require.NoError(t, err)
		_, _, err = ParseHandshakeRequest(append(big, ' '), 0)
		var tooLarge *TooLargeError
		require.ErrorAs(t, err, &tooLarge)
		assert.Equal(t, DefaultMaxMessageSize, tooLarge.Limit)
		assert.Equal(t, "The maximum message size of 32768B was exceeded. The message size can be configured in AddHubOptions.", err.Error())
	})
}

func TestAppendHandshakeRequest(t *testing.T) {
	tests := []struct {
		req  HandshakeRequest
		want string
	}{
		{HandshakeRequest{"json", 1}, `{"protocol":"json","version":1}` + hsRS},
		{HandshakeRequest{"messagepack", 2}, `{"protocol":"messagepack","version":2}` + hsRS},
		{HandshakeRequest{`a"b\<ü>`, -3}, `{"protocol":"a\"b\\<ü>","version":-3}` + hsRS},
	}
	for _, tt := range tests {
		got := AppendHandshakeRequest([]byte("prefix"), tt.req)
		assert.Equal(t, "prefix"+tt.want, string(got))

		req, n, err := ParseHandshakeRequest(got[len("prefix"):], 0)
		require.NoError(t, err)
		assert.Equal(t, tt.req, req)
		assert.Equal(t, len(tt.want), n)
	}
}

func TestAppendHandshakeResponse(t *testing.T) {
	tests := []struct {
		errText string
		want    string
	}{
		{"", "{}" + hsRS},
		{"The protocol 'xml' is not supported.", `{"error":"The protocol 'xml' is not supported."}` + hsRS},
		{"quote \" backslash \\ newline \n tab \t hsRS \x1e ü <&>",
			`{"error":"quote \" backslash \\ newline \n tab \t hsRS \u001e ü <&>"}` + hsRS},
	}
	for _, tt := range tests {
		got := AppendHandshakeResponse([]byte("prefix"), tt.errText)
		assert.Equal(t, "prefix"+tt.want, string(got))
		assert.NotContains(t, string(got), "type")

		resp, n, err := ParseHandshakeResponse(got[len("prefix"):])
		require.NoError(t, err)
		assert.Equal(t, HandshakeResponse{Error: tt.errText}, resp)
		assert.Equal(t, len(tt.want), n)
	}
}

func TestParseHandshakeResponse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want HandshakeResponse
	}{
		{"success", "{}" + hsRS, HandshakeResponse{}},
		{"error", `{"error":"dummy"}` + hsRS, HandshakeResponse{Error: "dummy"}},
		{"empty error", `{"error":""}` + hsRS, HandshakeResponse{}},
		{"null error", `{"error":null}` + hsRS, HandshakeResponse{}},
		{"unknown property", `{"unknown":null,"minorVersion":34}` + hsRS, HandshakeResponse{}},
		{"falsy type", `{"type":0,"error":"x"}` + hsRS, HandshakeResponse{Error: "x"}},
		{"null type", `{"type":null}` + hsRS, HandshakeResponse{}},
		{"empty string type", `{"type":""}` + hsRS, HandshakeResponse{}},
		{"last duplicate type wins", `{"type":1,"type":false}` + hsRS, HandshakeResponse{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, n, err := ParseHandshakeResponse([]byte(tt.in + `{"type":6}` + hsRS))
			require.NoError(t, err)
			assert.Equal(t, tt.want, resp)
			assert.Equal(t, len(tt.in), n)
		})
	}
}

func TestParseHandshakeResponseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"ping instead", `{"type":6}` + hsRS, "Expected a handshake response from the server."},
		{"string type", `{"type":"x"}` + hsRS, "Expected a handshake response from the server."},
		{"object type", `{"error":"","type":{}}` + hsRS, "Expected a handshake response from the server."},
		{"type is checked before error", `{"error":2,"type":1}` + hsRS, "Expected a handshake response from the server."},
		{"number", `42` + hsRS, "Unexpected JSON Token Type 'Number'. Expected a JSON Object."},
		{"array", `[]` + hsRS, "Unexpected JSON Token Type 'Array'. Expected a JSON Object."},
		{"number error", `{"error":1}` + hsRS, "Expected 'error' to be of type String."},
		{"empty", hsRS, "Unexpected end when reading JSON."},
		{"invalid json", `{error}` + hsRS, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, n, err := ParseHandshakeResponse([]byte(tt.in))
			require.ErrorIs(t, err, ErrInvalidMessage)
			assert.Zero(t, n)
			if tt.want != "" {
				assert.Equal(t, tt.want, err.Error())
			}
		})
	}
}

func TestParseHandshakeResponseNeedsMore(t *testing.T) {
	stream := `{"error":"nope"}` + hsRS + "\x02\x91\x06"
	for split := 0; split < len(`{"error":"nope"}`+hsRS); split++ {
		resp, n, err := ParseHandshakeResponse([]byte(stream[:split]))
		require.NoError(t, err)
		require.Zero(t, n)
		require.Zero(t, resp)
	}
	resp, n, err := ParseHandshakeResponse([]byte(stream))
	require.NoError(t, err)
	assert.Equal(t, "nope", resp.Error)
	assert.Equal(t, "\x02\x91\x06", stream[n:])
}

func TestHandshakeErrorsAreInvalidMessage(t *testing.T) {
	_, _, err := ParseHandshakeRequest([]byte("{}"+hsRS), 0)
	var target *invalidError
	require.True(t, errors.As(err, &target))
	require.False(t, errors.Is(err, ErrMessageTooLarge))
}
