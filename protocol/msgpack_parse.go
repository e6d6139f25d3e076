package protocol

// ParseMessages parses the length-prefixed messages at the start of buf and
// appends them to dst. It stops at an incomplete prefix or body, which is
// left unconsumed. A prefix announcing more than MaxMessageSize bytes fails
// with a *TooLargeError at once, before the body arrives; a malformed body
// fails with an error wrapping ErrInvalidMessage. In both cases the
// messages before it are returned and the count stops at the bad one.
// Arguments, items and results are RawValues that alias buf.
func (c MessagePack) ParseMessages(dst []Message, buf []byte) ([]Message, int, error) {
	limit := limitOf(c.MaxMessageSize)
	consumed := 0
	for consumed < len(buf) {
		n, size, err := parseVarint(buf[consumed:])
		if err != nil {
			return dst, consumed, err
		}
		if n > limit {
			// Also for an incomplete prefix, whose bytes so far already
			// announce more than the limit.
			return dst, consumed, &TooLargeError{Limit: limit}
		}
		if size == 0 || n > len(buf)-consumed-size {
			break
		}
		body := buf[consumed+size : consumed+size+n : consumed+size+n]
		m, err := parseMsgpackBody(body)
		if err != nil {
			return dst, consumed, err
		}
		consumed += size + n
		if m != nil {
			dst = append(dst, m)
		}
	}
	return dst, consumed, nil
}

// parseMsgpackBody decodes one message body. It returns a nil Message for
// a message type it does not know, which the caller skips.
func parseMsgpackBody(body []byte) (Message, error) {
	r := mpReader{b: body}
	count, err := r.readArrayHeader("message")
	if err != nil {
		return nil, err
	}
	if count == 0 {
		return nil, invalidf("The message array is empty; its first element must be the message type.")
	}
	t, err := r.readInt64("messageType")
	if err != nil {
		return nil, err
	}
	if t < int64(TypeInvocation) || t > int64(TypeSequence) {
		// Unknown types are for future protocol versions: skip them
		// without looking further.
		return nil, nil
	}
	mt := MessageType(t)
	if count < mpMinElements[mt] {
		return nil, invalidf("The %s message is too short: it has %d of the %d required array elements.", mt, count, mpMinElements[mt])
	}
	var m Message
	used := 0 // elements read, including the type
	switch mt {
	case TypeInvocation, TypeStreamInvocation:
		m, used, err = r.parseInvocation(mt, count)
	case TypeStreamItem:
		m, err = r.parseStreamItem()
		used = 4
	case TypeCompletion:
		m, used, err = r.parseCompletion(count)
	case TypeCancelInvocation:
		m, err = r.parseCancel()
		used = 3
	case TypePing:
		m, used = &Ping{}, 1
	case TypeClose:
		m, used, err = r.parseClose(count)
	case TypeAck, TypeSequence:
		var id uint64
		id, err = r.readUint64("sequenceId")
		if mt == TypeAck {
			m = &Ack{SequenceID: id}
		} else {
			m = &Sequence{SequenceID: id}
		}
		used = 2
	}
	if err != nil {
		return nil, err
	}
	// Extra elements are for future fields: skip them, but they must be
	// well formed.
	for i := used; i < count; i++ {
		if _, err := r.readRaw("extra element"); err != nil {
			return nil, err
		}
	}
	if r.off != len(body) {
		return nil, invalidf("The %s message has %d unexpected bytes after its array.", mt, len(body)-r.off)
	}
	return m, nil
}

// mpMinElements is the smallest array length accepted for each type.
var mpMinElements = [...]int{
	TypeInvocation:       5,
	TypeStreamItem:       4,
	TypeCompletion:       4,
	TypeStreamInvocation: 5,
	TypeCancelInvocation: 3,
	TypePing:             1,
	TypeClose:            2,
	TypeAck:              2,
	TypeSequence:         2,
}

// Invocations are allocated together with room for a few arguments: most
// calls have at most four, which saves an allocation per message.
const mpInlineArgs = 4

type mpInvocation struct {
	Invocation
	args [mpInlineArgs]any
}

func (r *mpReader) parseInvocation(t MessageType, count int) (Message, int, error) {
	headers, id, err := r.readHeadersAndID()
	if err != nil {
		return nil, 0, err
	}
	target, isNil, err := r.readString("target")
	if err != nil {
		return nil, 0, err
	}
	if isNil {
		return nil, 0, invalidf("Reading 'target' as String failed: found nil.")
	}
	n, err := r.readArrayHeader("arguments")
	if err != nil {
		return nil, 0, err
	}
	p := &mpInvocation{Invocation: Invocation{Headers: headers, InvocationID: id, Target: target}}
	var m Message = &p.Invocation
	if t == TypeStreamInvocation {
		m = (*StreamInvocation)(&p.Invocation)
	}
	args, streamIDs, inline := &p.Arguments, &p.StreamIDs, &p.args
	// Never nil, so that a re-encoded message has an arguments array.
	if n <= mpInlineArgs {
		*args = inline[:n:n]
	} else {
		*args = make([]any, n)
	}
	for i := range *args {
		if (*args)[i], err = r.readRaw("arguments"); err != nil {
			return nil, 0, err
		}
	}
	if count <= 5 {
		return m, 5, nil
	}
	if *streamIDs, err = r.readStreamIDs(); err != nil {
		return nil, 0, err
	}
	return m, 6, nil
}

func (r *mpReader) parseStreamItem() (Message, error) {
	headers, id, err := r.readHeadersAndID()
	if err != nil {
		return nil, err
	}
	item, err := r.readRaw("item")
	if err != nil {
		return nil, err
	}
	return &StreamItem{Headers: headers, InvocationID: id, Item: item}, nil
}

func (r *mpReader) parseCompletion(count int) (Message, int, error) {
	headers, id, err := r.readHeadersAndID()
	if err != nil {
		return nil, 0, err
	}
	kind, err := r.readInt64("resultKind")
	if err != nil {
		return nil, 0, err
	}
	m := &Completion{Headers: headers, InvocationID: id}
	switch kind {
	case mpResultVoid:
		return m, 4, nil
	case mpResultError, mpResultValue:
	default:
		return nil, 0, invalidf("Invalid invocation result kind %d; it must be 1 (error), 2 (void) or 3 (result).", kind)
	}
	if count < 5 {
		return nil, 0, invalidf("The Completion message with result kind %d is too short: it has %d of the 5 required array elements.", kind, count)
	}
	if kind == mpResultError {
		m.Error, _, err = r.readString("error")
	} else {
		m.HasResult = true
		m.Result, err = r.readRaw("result")
	}
	if err != nil {
		return nil, 0, err
	}
	return m, 5, nil
}

func (r *mpReader) parseCancel() (Message, error) {
	headers, id, err := r.readHeadersAndID()
	if err != nil {
		return nil, err
	}
	return &CancelInvocation{Headers: headers, InvocationID: id}, nil
}

func (r *mpReader) parseClose(count int) (Message, int, error) {
	text, _, err := r.readString("error")
	if err != nil {
		return nil, 0, err
	}
	m := &Close{Error: text}
	if count < 3 {
		return m, 2, nil
	}
	if m.AllowReconnect, err = r.readBool("allowReconnect"); err != nil {
		return nil, 0, err
	}
	return m, 3, nil
}

// readHeaders reads the headers map: nil or an empty map give a nil map.
// Keys must be strings; a nil value is read as "".
func (r *mpReader) readHeaders() (map[string]string, error) {
	n, err := r.readMapHeader("headers")
	if err != nil || n == 0 {
		return nil, err
	}
	headers := make(map[string]string, n)
	for ; n > 0; n-- {
		k, isNil, err := r.readString("headers")
		if err != nil {
			return nil, err
		}
		if isNil {
			return nil, invalidf("Reading 'headers' failed: a header name is nil.")
		}
		v, _, err := r.readString("headers")
		if err != nil {
			return nil, err
		}
		headers[k] = v
	}
	return headers, nil
}

// readStreamIDs reads the streamIds array; nil or empty give nil.
func (r *mpReader) readStreamIDs() ([]string, error) {
	if r.off < len(r.b) && r.b[r.off] == mpNil {
		r.off++
		return nil, nil
	}
	n, err := r.readArrayHeader("streamIds")
	if err != nil || n == 0 {
		return nil, err
	}
	ids := make([]string, n)
	for i := range ids {
		var isNil bool
		if ids[i], isNil, err = r.readString("streamIds"); err != nil {
			return nil, err
		}
		if isNil {
			return nil, invalidf("Reading 'streamIds' as String failed: found nil.")
		}
	}
	return ids, nil
}

// readHeadersAndID reads the headers and invocationId that open messages
// of types 1 to 5.
func (r *mpReader) readHeadersAndID() (map[string]string, string, error) {
	headers, err := r.readHeaders()
	if err != nil {
		return nil, "", err
	}
	id, _, err := r.readString("invocationId")
	return headers, id, err
}
