package protocol

import (
	"unicode/utf16"
	"unicode/utf8"
)

// jsonMaxDepth is how deeply objects and arrays may nest in one message,
// counting the message object itself. System.Text.Json's reader, which the
// official server uses, stops at the same depth.
const jsonMaxDepth = 64

// errJSONSyntax is the error for input that is not well-formed JSON. The
// text is the one ASP.NET Core puts in its InvalidDataException.
var errJSONSyntax error = &invalidError{msg: "Error reading JSON."}

// jsonScanner walks one JSON text (a single hub message without its record
// separator). It validates as it goes and never panics: every read checks
// bounds, and nesting is limited to jsonMaxDepth.
type jsonScanner struct {
	data []byte
	pos  int
}

// skipSpace moves past JSON whitespace.
func (s *jsonScanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next byte after whitespace, or 0 at the end of input.
func (s *jsonScanner) peek() byte {
	s.skipSpace()
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// consume skips whitespace and then the byte c, reporting whether it was there.
func (s *jsonScanner) consume(c byte) bool {
	if s.peek() == c {
		s.pos++
		return true
	}
	return false
}

// literal consumes the keyword lit ("true", "false" or "null") at pos.
func (s *jsonScanner) literal(lit string) error {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return errJSONSyntax
	}
	s.pos += len(lit)
	return nil
}

// scanString consumes a string starting at pos (which holds '"') and returns
// the bytes between the quotes, still escaped, and whether they contain a
// backslash. Raw control characters and unknown escapes are syntax errors.
// Invalid UTF-8 is accepted here; decoding replaces it with U+FFFD.
func (s *jsonScanner) scanString() (raw []byte, escaped bool, err error) {
	start := s.pos + 1
	i := start
	for i < len(s.data) {
		c := s.data[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return s.data[start:i], escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(s.data) {
				return nil, false, errJSONSyntax
			}
			switch s.data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s.data) {
					return nil, false, errJSONSyntax
				}
				for _, h := range s.data[i+2 : i+6] {
					if jsonHexValue(h) < 0 {
						return nil, false, errJSONSyntax
					}
				}
				i += 6
			default:
				return nil, false, errJSONSyntax
			}
		case c < 0x20:
			return nil, false, errJSONSyntax
		default:
			i++
		}
	}
	return nil, false, errJSONSyntax
}

// scanNumber consumes a number at pos and reports whether it is an integer
// (no fraction and no exponent).
func (s *jsonScanner) scanNumber() (raw []byte, integer bool, err error) {
	start := s.pos
	i := s.pos
	d := s.data
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		return nil, false, errJSONSyntax
	}
	integer = true
	if i < len(d) && d[i] == '.' {
		integer = false
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return nil, false, errJSONSyntax
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		integer = false
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return nil, false, errJSONSyntax
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	s.pos = i
	return d[start:i], integer, nil
}

// skipValue consumes one value after optional whitespace and returns its
// bytes. depth is the nesting level of the value's container.
func (s *jsonScanner) skipValue(depth int) ([]byte, error) {
	s.skipSpace()
	start := s.pos
	if s.pos >= len(s.data) {
		return nil, errJSONSyntax
	}
	var err error
	switch c := s.data[s.pos]; {
	case c == '{':
		err = s.skipObject(depth + 1)
	case c == '[':
		err = s.skipArray(depth + 1)
	case c == '"':
		_, _, err = s.scanString()
	case c == 't':
		err = s.literal("true")
	case c == 'f':
		err = s.literal("false")
	case c == 'n':
		err = s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		_, _, err = s.scanNumber()
	default:
		err = errJSONSyntax
	}
	if err != nil {
		return nil, err
	}
	return s.data[start:s.pos], nil
}

func (s *jsonScanner) skipObject(depth int) error {
	if depth > jsonMaxDepth {
		return errJSONSyntax
	}
	s.pos++ // '{'
	if s.consume('}') {
		return nil
	}
	for {
		if s.peek() != '"' {
			return errJSONSyntax
		}
		if _, _, err := s.scanString(); err != nil {
			return err
		}
		if !s.consume(':') {
			return errJSONSyntax
		}
		if _, err := s.skipValue(depth); err != nil {
			return err
		}
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			return nil
		}
		return errJSONSyntax
	}
}

func (s *jsonScanner) skipArray(depth int) error {
	if depth > jsonMaxDepth {
		return errJSONSyntax
	}
	s.pos++ // '['
	if s.consume(']') {
		return nil
	}
	for {
		if _, err := s.skipValue(depth); err != nil {
			return err
		}
		if s.consume(',') {
			continue
		}
		if s.consume(']') {
			return nil
		}
		return errJSONSyntax
	}
}

// nextElement is the loop step of an array the caller walks element by
// element: after the '[' (first=true) or after an element, it consumes the
// ',' or ']' and reports whether another element follows.
func (s *jsonScanner) nextElement(first bool) (more bool, err error) {
	if first {
		if s.consume(']') {
			return false, nil
		}
		return true, nil
	}
	if s.consume(',') {
		return true, nil
	}
	if s.consume(']') {
		return false, nil
	}
	return false, errJSONSyntax
}

// nextMember is nextElement for objects: it consumes the ',' or '}' and, when
// another member follows, its name and the ':' after it. The name is returned
// still escaped, with escaped set when it contains a backslash.
func (s *jsonScanner) nextMember(first bool) (name []byte, escaped, more bool, err error) {
	if first {
		if s.consume('}') {
			return nil, false, false, nil
		}
	} else if !s.consume(',') {
		if s.consume('}') {
			return nil, false, false, nil
		}
		return nil, false, false, errJSONSyntax
	}
	if s.peek() != '"' {
		return nil, false, false, errJSONSyntax
	}
	name, escaped, err = s.scanString()
	if err != nil {
		return nil, false, false, err
	}
	if !s.consume(':') {
		return nil, false, false, errJSONSyntax
	}
	return name, escaped, true, nil
}

// jsonTokenName names the JSON token starting with c as System.Text.Json's
// JsonTokenType does in the official server's error texts, or returns "" if
// c starts no token.
func jsonTokenName(c byte) string {
	switch {
	case c == '{':
		return "Object"
	case c == '[':
		return "Array"
	case c == '"':
		return "String"
	case c == 't':
		return "True"
	case c == 'f':
		return "False"
	case c == 'n':
		return "Null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "Number"
	}
	return ""
}

func jsonHexValue(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// jsonUnquote turns the inside of a string that scanString accepted into a Go
// string. Like encoding/json, it replaces invalid UTF-8 and unpaired
// surrogate escapes with U+FFFD.
func jsonUnquote(raw []byte, escaped bool) string {
	if !escaped && utf8.Valid(raw) {
		return string(raw)
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c == '\\' {
			// scanString guarantees a complete, valid escape here.
			switch raw[i+1] {
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := jsonHex4(raw[i+2:])
				i += 6
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
						r2 = jsonHex4(raw[i+2:])
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				}
				out = utf8.AppendRune(out, r)
				continue
			default: // '"', '\\', '/'
				out = append(out, raw[i+1])
			}
			i += 2
			continue
		}
		if c < utf8.RuneSelf {
			out = append(out, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, raw[i:i+size]...)
		}
		i += size
	}
	return string(out)
}

func jsonHex4(b []byte) rune {
	return jsonHexValue(b[0])<<12 | jsonHexValue(b[1])<<8 | jsonHexValue(b[2])<<4 | jsonHexValue(b[3])
}
