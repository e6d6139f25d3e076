package protocol

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
)

// RecordSeparator ends every JSON message and the handshake.
const RecordSeparator = 0x1E

// HandshakeRequest is the client's first message:
// {"protocol":"json","version":1}␞.
type HandshakeRequest struct {
	Protocol string
	Version  int
}

// HandshakeResponse is the server's answer: {}␞ on success, or
// {"error":"..."}␞.
type HandshakeResponse struct {
	Error string
}

// ParseHandshakeRequest parses the handshake request at the start of buf. It
// reads up to and including the first record separator and returns the number
// of bytes consumed; the rest of buf holds hub messages that arrived in the
// same chunk. While buf holds no separator it returns n == 0 and a nil error
// (read more), unless buf is already larger than maxSize (zero means
// DefaultMaxMessageSize), which is a *TooLargeError. The request must be a
// JSON object with a string "protocol" and an integer "version"; other
// properties are skipped. Errors wrap ErrInvalidMessage and carry the texts
// ASP.NET Core uses, e.g. "Missing required property 'protocol'. Message
// content: {}".
func ParseHandshakeRequest(buf []byte, maxSize int) (req HandshakeRequest, n int, err error) {
	limit := limitOf(maxSize)
	end := bytes.IndexByte(buf, RecordSeparator)
	// Like ASP.NET Core, look for the separator only within the first limit
	// bytes: the request, separator included, must fit in the limit.
	if end < 0 || end >= limit {
		if len(buf) > limit {
			return HandshakeRequest{}, 0, &TooLargeError{Limit: limit}
		}
		return HandshakeRequest{}, 0, nil
	}
	payload := buf[:end]
	content := func() string { return strings.ToValidUTF8(string(payload), "\uFFFD") }

	var protocol *string
	var version *int
	err = walkHandshakeObject(payload, "request", func(key string, value json.RawMessage) error {
		switch key {
		case "protocol":
			s, ok := handshakeString(value)
			if !ok {
				return invalidf("Expected 'protocol' to be of type String.")
			}
			protocol = &s
		case "version":
			switch value[0] {
			case 'n':
				// ASP.NET Core reads a null version as absent.
				version = nil
			case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
				v, perr := strconv.ParseInt(string(value), 10, 32)
				if perr != nil {
					return invalidf("Either the JSON value is not in a supported format, or is out of bounds for an Int32.")
				}
				iv := int(v)
				version = &iv
			default:
				return invalidf("Expected 'version' to be of type Number.")
			}
		}
		return nil
	})
	if err != nil {
		return HandshakeRequest{}, 0, err
	}
	if protocol == nil {
		return HandshakeRequest{}, 0, invalidf("Missing required property 'protocol'. Message content: %s", content())
	}
	if version == nil {
		return HandshakeRequest{}, 0, invalidf("Missing required property 'version'. Message content: %s", content())
	}
	return HandshakeRequest{Protocol: *protocol, Version: *version}, end + 1, nil
}

// ParseHandshakeResponse parses the server's handshake response at the start
// of buf, for the client side. Like ParseHandshakeRequest it consumes up to
// and including the first record separator, returns n == 0 and a nil error
// while there is none, and leaves any hub messages after it in buf. It has no
// size limit: the caller bounds what it buffers. A response carrying a truthy
// "type" is a hub message, not a handshake response, and is rejected as the
// JS client rejects it. A null or empty "error" means success.
func ParseHandshakeResponse(buf []byte) (resp HandshakeResponse, n int, err error) {
	end := bytes.IndexByte(buf, RecordSeparator)
	if end < 0 {
		return HandshakeResponse{}, 0, nil
	}
	// Like the JS client: the last of duplicate properties counts, and a
	// truthy type is reported before anything else is looked at.
	typed, badError := false, false
	err = walkHandshakeObject(buf[:end], "response", func(key string, value json.RawMessage) error {
		switch key {
		case "type":
			typed = handshakeTruthy(value)
		case "error":
			var ok bool
			resp.Error, ok = handshakeString(value)
			badError = !ok && value[0] != 'n' // null means no error
		}
		return nil
	})
	switch {
	case err != nil:
	case typed:
		err = invalidf("Expected a handshake response from the server.")
	case badError:
		err = invalidf("Expected 'error' to be of type String.")
	}
	if err != nil {
		return HandshakeResponse{}, 0, err
	}
	return resp, end + 1, nil
}

// AppendHandshakeRequest appends req as the official clients write it,
// {"protocol":"json","version":1}␞, to dst.
func AppendHandshakeRequest(dst []byte, req HandshakeRequest) []byte {
	dst = append(dst, `{"protocol":`...)
	dst = jsonAppendString(dst, req.Protocol)
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendInt(dst, int64(req.Version), 10)
	return append(dst, '}', RecordSeparator)
}

// AppendHandshakeResponse appends a handshake response to dst: exactly {}␞
// when errText is empty, otherwise {"error":"<errText>"}␞. It never writes a
// "type" property, which would make the JS client fail the handshake.
func AppendHandshakeResponse(dst []byte, errText string) []byte {
	if errText == "" {
		return append(dst, '{', '}', RecordSeparator)
	}
	dst = append(dst, `{"error":`...)
	dst = jsonAppendString(dst, errText)
	return append(dst, '}', RecordSeparator)
}

// walkHandshakeObject checks that payload is exactly one JSON object and calls
// visit for each of its properties, in order, with the undecoded value
// (leading whitespace trimmed, never empty). Later duplicates win, as in
// ASP.NET Core, because visit simply runs again.
func walkHandshakeObject(payload []byte, what string, visit func(key string, value json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return handshakeSyntaxError(what, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return invalidf("Unexpected JSON Token Type '%s'. Expected a JSON Object.", handshakeTokenName(tok))
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return handshakeSyntaxError(what, err)
		}
		key, _ := tok.(string) // inside an object, the decoder only yields string keys
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return handshakeSyntaxError(what, err)
		}
		if err := visit(key, bytes.TrimLeft(value, " \t\r\n")); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return handshakeSyntaxError(what, err)
	}
	// ASP.NET Core stops reading at the closing brace; we also refuse
	// anything but whitespace after it, which no client sends.
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return invalidf("Error reading handshake %s JSON: unexpected data after the object.", what)
		}
		return handshakeSyntaxError(what, err)
	}
	return nil
}

func handshakeSyntaxError(what string, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return invalidf("Unexpected end when reading JSON.")
	}
	return invalidf("Error reading handshake %s JSON: %v", what, err)
}

// handshakeTokenName names a top-level token as System.Text.Json's JsonTokenType
// does in ASP.NET Core's "Unexpected JSON Token Type" error.
func handshakeTokenName(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return "Array"
		}
	case string:
		return "String"
	case json.Number:
		return "Number"
	case bool:
		if t {
			return "True"
		}
		return "False"
	case nil:
		return "Null"
	}
	return "None"
}

// handshakeString decodes value if it is a JSON string.
func handshakeString(value json.RawMessage) (string, bool) {
	if value[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(value, &s); err != nil {
		return "", false
	}
	return s, true
}

// handshakeTruthy reports whether value is truthy in JavaScript: anything but
// false, null, 0 and "".
func handshakeTruthy(value json.RawMessage) bool {
	switch value[0] {
	case 'f', 'n':
		return false
	case '"':
		s, _ := handshakeString(value)
		return s != ""
	case '{', '[', 't':
		return true
	}
	// A number; out-of-range values parse to ±Inf or 0 as in JavaScript.
	f, _ := strconv.ParseFloat(string(value), 64)
	return f != 0
}
