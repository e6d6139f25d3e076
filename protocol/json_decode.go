package protocol

import (
	"bytes"
	"strconv"
)

// jsonFields collects the properties of one hub message in whatever order
// they arrive (the JS client writes "type" last). Values that are bound
// later (arguments, item, result) are kept as sub-slices of the input.
type jsonFields struct {
	typ            int
	hasType        bool
	invocationID   string
	target         string
	hasTarget      bool
	errorText      string
	hasError       bool
	allowReconnect bool
	sequenceID     uint64
	hasSequenceID  bool
	hasArguments   bool
	argCount       int
	// args holds the first few argument spans without allocating; the rest
	// go to moreArgs.
	args      [4][]byte
	moreArgs  [][]byte
	item      []byte
	hasItem   bool
	result    []byte
	hasResult bool
	streamIDs []string
	headers   map[string]string
}

// jsonDecodeMessage parses one message (without its record separator). It
// returns nil, nil for a message of an unknown type, which is skipped.
func jsonDecodeMessage(data []byte) (Message, error) {
	s := jsonScanner{data: data}
	c := s.peek()
	if c != '{' {
		// Like System.Text.Json, read the first token before complaining
		// about its type: a broken token is a syntax error.
		name := jsonTokenName(c)
		if name == "" || (c != '[' && !jsonValidToken(s)) {
			return nil, errJSONSyntax
		}
		return nil, invalidf("Unexpected JSON Token Type '%s'. Expected a JSON Object.", name)
	}
	s.pos++
	var f jsonFields
	for first := true; ; first = false {
		name, escaped, more, err := s.nextMember(first)
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		if escaped {
			name = []byte(jsonUnquote(name, true))
		}
		if err := f.readProperty(&s, name); err != nil {
			return nil, err
		}
	}
	if s.skipSpace(); s.pos != len(s.data) {
		// Something other than whitespace follows the object.
		return nil, errJSONSyntax
	}
	return f.message()
}

// jsonValidToken reports whether a scalar value starts at s's position.
func jsonValidToken(s jsonScanner) bool {
	_, err := s.skipValue(0)
	return err == nil
}

// readProperty reads the value of the property called name.
func (f *jsonFields) readProperty(s *jsonScanner, name []byte) error {
	switch string(name) {
	case "type":
		return f.readType(s)
	case "invocationId":
		v, _, err := readOptionalString(s, "invocationId")
		f.invocationID = v
		return err
	case "target":
		if s.peek() != '"' {
			if _, err := s.skipValue(1); err != nil {
				return err
			}
			return invalidf("Expected 'target' to be of type String.")
		}
		raw, escaped, err := s.scanString()
		if err != nil {
			return err
		}
		f.target, f.hasTarget = jsonUnquote(raw, escaped), true
		return nil
	case "error":
		v, ok, err := readOptionalString(s, "error")
		f.errorText, f.hasError = v, ok
		return err
	case "allowReconnect":
		switch s.peek() {
		case 't':
			f.allowReconnect = true
			return s.literal("true")
		case 'f':
			f.allowReconnect = false
			return s.literal("false")
		}
		if _, err := s.skipValue(1); err != nil {
			return err
		}
		return invalidf("Expected 'allowReconnect' to be true or false.")
	case "sequenceId":
		return f.readSequenceID(s)
	case "arguments":
		return f.readArguments(s)
	case "item":
		v, err := s.skipValue(1)
		f.item, f.hasItem = v, true
		return err
	case "result":
		v, err := s.skipValue(1)
		f.result, f.hasResult = v, true
		return err
	case "streamIds":
		return f.readStreamIDs(s)
	case "headers":
		return f.readHeaders(s)
	}
	_, err := s.skipValue(1)
	return err
}

// readOptionalString reads a string property that may also be null, which
// counts as absent (a null invocationId marks a non-blocking invocation).
func readOptionalString(s *jsonScanner, prop string) (string, bool, error) {
	switch s.peek() {
	case '"':
		raw, escaped, err := s.scanString()
		if err != nil {
			return "", false, err
		}
		return jsonUnquote(raw, escaped), true, nil
	case 'n':
		return "", false, s.literal("null")
	}
	if _, err := s.skipValue(1); err != nil {
		return "", false, err
	}
	return "", false, invalidf("Expected '%s' to be of type String.", prop)
}

// scanNumberProp scans the number value of property prop.
func scanNumberProp(s *jsonScanner, prop string) (raw []byte, integer bool, err error) {
	if c := s.peek(); c != '-' && (c < '0' || c > '9') {
		if _, err := s.skipValue(1); err != nil {
			return nil, false, err
		}
		return nil, false, invalidf("Expected '%s' to be of type Number.", prop)
	}
	return s.scanNumber()
}

func (f *jsonFields) readType(s *jsonScanner) error {
	raw, integer, err := scanNumberProp(s, "type")
	if err != nil {
		return err
	}
	n, perr := strconv.ParseInt(string(raw), 10, 32)
	if !integer || perr != nil {
		return invalidf("Expected 'type' to be a 32-bit integer.")
	}
	f.typ, f.hasType = int(n), true
	return nil
}

func (f *jsonFields) readSequenceID(s *jsonScanner) error {
	if s.peek() == 'n' {
		// null counts as absent, as on the official server.
		f.hasSequenceID = false
		return s.literal("null")
	}
	raw, integer, err := scanNumberProp(s, "sequenceId")
	if err != nil {
		return err
	}
	n, perr := strconv.ParseUint(string(raw), 10, 64)
	if !integer || perr != nil {
		return invalidf("Expected 'sequenceId' to be a non-negative integer.")
	}
	f.sequenceID, f.hasSequenceID = n, true
	return nil
}

func (f *jsonFields) readArguments(s *jsonScanner) error {
	if err := expectOpen(s, '[', "arguments", "Array"); err != nil {
		return err
	}
	// A repeated property replaces the earlier one, as on .NET.
	f.hasArguments, f.argCount, f.moreArgs = true, 0, f.moreArgs[:0]
	for first := true; ; first = false {
		more, err := s.nextElement(first)
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
		v, err := s.skipValue(2)
		if err != nil {
			return err
		}
		if f.argCount < len(f.args) {
			f.args[f.argCount] = v
		} else {
			f.moreArgs = append(f.moreArgs, v)
		}
		f.argCount++
	}
}

// fillArguments stores the argument spans as RawValues in args, which has
// argCount elements.
func (f *jsonFields) fillArguments(args []any) []any {
	for i := range args {
		if i < len(f.args) {
			args[i] = RawValue(f.args[i])
		} else {
			args[i] = RawValue(f.moreArgs[i-len(f.args)])
		}
	}
	return args
}

// Invocations with few arguments are allocated together with their
// argument slice: one allocation less on the hot path.
type jsonInvocationBlock struct {
	m    Invocation
	args [4]any
}

func (f *jsonFields) invocation() *Invocation {
	var m *Invocation
	var args []any
	if f.argCount <= 4 {
		b := &jsonInvocationBlock{}
		m, args = &b.m, b.args[:f.argCount:f.argCount]
	} else {
		m, args = &Invocation{}, make([]any, f.argCount)
	}
	*m = Invocation{
		Headers:      f.headers,
		InvocationID: f.invocationID,
		Target:       f.target,
		Arguments:    f.fillArguments(args),
		StreamIDs:    f.streamIDs,
	}
	return m
}

func (f *jsonFields) streamInvocation() *StreamInvocation {
	return (*StreamInvocation)(f.invocation())
}

func (f *jsonFields) readStreamIDs(s *jsonScanner) error {
	if err := expectOpen(s, '[', "streamIds", "Array"); err != nil {
		return err
	}
	f.streamIDs = nil
	for first := true; ; first = false {
		more, err := s.nextElement(first)
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
		switch s.peek() {
		case '"':
			raw, escaped, err := s.scanString()
			if err != nil {
				return err
			}
			f.streamIDs = append(f.streamIDs, jsonUnquote(raw, escaped))
		case 'n':
			if err := s.literal("null"); err != nil {
				return err
			}
			return invalidf("Null value for 'streamIds' is not valid.")
		default:
			if _, err := s.skipValue(2); err != nil {
				return err
			}
			return invalidf("Expected 'streamIds' to contain only strings.")
		}
	}
}

func (f *jsonFields) readHeaders(s *jsonScanner) error {
	if err := expectOpen(s, '{', "headers", "StartObject"); err != nil {
		return err
	}
	f.headers = nil
	for first := true; ; first = false {
		name, escaped, more, err := s.nextMember(first)
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
		key := jsonUnquote(name, escaped)
		if s.peek() != '"' {
			if _, err := s.skipValue(2); err != nil {
				return err
			}
			return invalidf("Expected header '%s' to be of type String.", key)
		}
		raw, escaped, err := s.scanString()
		if err != nil {
			return err
		}
		if f.headers == nil {
			f.headers = make(map[string]string, 1)
		}
		f.headers[key] = jsonUnquote(raw, escaped)
	}
}

var errMissingInvocationID = &invalidError{msg: "Missing required property 'invocationId'."}

// message checks the required properties of the message type, in the order
// the official server checks them, and builds the message.
func (f *jsonFields) message() (Message, error) {
	if !f.hasType {
		return nil, invalidf("Missing required property 'type'.")
	}
	switch MessageType(f.typ) {
	case TypeInvocation:
		if f.target == "" {
			return nil, invalidf("Missing required property 'target'.")
		}
		if !f.hasArguments {
			return nil, invalidf("Missing required property 'arguments'.")
		}
		return f.invocation(), nil
	case TypeStreamInvocation:
		if !f.hasTarget {
			return nil, invalidf("Missing required property 'target'.")
		}
		if f.invocationID == "" {
			return nil, errMissingInvocationID
		}
		if !f.hasArguments {
			return nil, invalidf("Missing required property 'arguments'.")
		}
		if f.target == "" {
			return nil, invalidf("Missing required property 'target'.")
		}
		return f.streamInvocation(), nil
	case TypeStreamItem:
		if f.invocationID == "" {
			return nil, errMissingInvocationID
		}
		if !f.hasItem {
			return nil, invalidf("Missing required property 'item'.")
		}
		return &StreamItem{Headers: f.headers, InvocationID: f.invocationID, Item: RawValue(f.item)}, nil
	case TypeCompletion:
		if f.invocationID == "" {
			return nil, errMissingInvocationID
		}
		if f.hasError && f.hasResult {
			return nil, invalidf("The 'error' and 'result' properties are mutually exclusive.")
		}
		m := &Completion{Headers: f.headers, InvocationID: f.invocationID, Error: f.errorText}
		if f.hasResult {
			m.HasResult, m.Result = true, RawValue(f.result)
		}
		return m, nil
	case TypeCancelInvocation:
		if f.invocationID == "" {
			return nil, errMissingInvocationID
		}
		return &CancelInvocation{Headers: f.headers, InvocationID: f.invocationID}, nil
	case TypePing:
		return &Ping{}, nil
	case TypeClose:
		return &Close{Error: f.errorText, AllowReconnect: f.allowReconnect}, nil
	case TypeAck:
		if !f.hasSequenceID {
			return nil, invalidf("Missing required property 'sequenceId'.")
		}
		return &Ack{SequenceID: f.sequenceID}, nil
	case TypeSequence:
		if !f.hasSequenceID {
			return nil, invalidf("Missing required property 'sequenceId'.")
		}
		return &Sequence{SequenceID: f.sequenceID}, nil
	}
	// A type from a future protocol version: skip it, as .NET and JS do.
	return nil, nil
}

// jsonParseMessages is JSON.ParseMessages with the limit resolved.
func jsonParseMessages(dst []Message, buf []byte, limit int) ([]Message, int, error) {
	consumed := 0
	for consumed < len(buf) {
		rest := buf[consumed:]
		// Look no further than one byte past the limit: a separator beyond
		// that ends a message that is too large anyway.
		window := rest
		if len(window) > limit+1 {
			window = window[:limit+1]
		}
		end := bytes.IndexByte(window, RecordSeparator)
		if end < 0 {
			if len(rest) > limit {
				return dst, consumed, &TooLargeError{Limit: limit}
			}
			break // incomplete: wait for more bytes
		}
		m, err := jsonDecodeMessage(rest[:end])
		if err != nil {
			return dst, consumed, err
		}
		if m != nil {
			dst = append(dst, m)
		}
		consumed += end + 1
	}
	return dst, consumed, nil
}

// expectOpen consumes the opening bracket of property prop's value, or
// skips the value and reports that it is not of type typ.
func expectOpen(s *jsonScanner, open byte, prop, typ string) error {
	if s.consume(open) {
		return nil
	}
	if _, err := s.skipValue(1); err != nil {
		return err
	}
	return invalidf("Expected '%s' to be of type %s.", prop, typ)
}
