package hub

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/vmihailenco/msgpack/v5"
)

// direction is which way a value crosses the wire.
type direction int

const (
	fromClient direction = iota // a parameter: decoded from the client
	toClient                    // a result or stream item: encoded for it
)

var (
	jsonUnmarshaler   = reflect.TypeFor[json.Unmarshaler]()
	jsonMarshaler     = reflect.TypeFor[json.Marshaler]()
	textUnmarshaler   = reflect.TypeFor[encoding.TextUnmarshaler]()
	textMarshaler     = reflect.TypeFor[encoding.TextMarshaler]()
	msgpackDecoder    = reflect.TypeFor[msgpack.CustomDecoder]()
	msgpackEncoder    = reflect.TypeFor[msgpack.CustomEncoder]()
	httpRequestType   = reflect.TypeFor[http.Request]()
	responseWriter    = reflect.TypeFor[http.ResponseWriter]()
	hubContextValType = reflect.TypeFor[Context]()
)

// carriable reports why values of t cannot cross the wire in direction d
// with both hub protocols (JSON and MessagePack), or nil when they can. It
// looks through pointers, slices, arrays, maps and exported struct fields;
// a type with its own encoding (json.Marshaler, encoding.TextMarshaler, a
// msgpack custom coder and the reverse for parameters) is trusted.
func carriable(t reflect.Type, d direction) error {
	return carriableAt(t, d, map[reflect.Type]bool{}, "")
}

func carriableAt(t reflect.Type, d direction, seen map[reflect.Type]bool, path string) error {
	fail := func(format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		if path != "" {
			msg = fmt.Sprintf("field %s: %s", strings.TrimPrefix(path, "."), msg)
		}
		return errors.New(msg)
	}
	switch t {
	case hubContextValType:
		return fail("a hub.Context is passed by pointer, as the first parameter: use *hub.Context")
	case hubContextType, stdContextType:
		return fail("a context is only the first parameter, never carried")
	case httpRequestType, reflect.PointerTo(httpRequestType):
		return fail("clients cannot send an HTTP request: take *hub.Context and use its Request method")
	case responseWriter:
		return fail("clients cannot send an http.ResponseWriter")
	}
	if seen[t] {
		return nil // a recursive type: checked where it started
	}
	if ownEncoding(t, d) {
		return nil
	}
	switch t.Kind() {
	case reflect.Chan:
		if d == fromClient {
			return fail("channels cannot be sent; an upload stream parameter is <-chan T, iter.Seq[T] or iter.Seq2[T, error]")
		}
		return fail("channels cannot be sent; a streaming result is <-chan T, iter.Seq[T] or iter.Seq2[T, error]")
	case reflect.Func:
		return fail("functions cannot be sent")
	case reflect.UnsafePointer, reflect.Uintptr:
		return fail("%s cannot be sent", t)
	case reflect.Complex64, reflect.Complex128:
		return fail("complex numbers cannot be sent (JSON has none)")
	case reflect.Interface:
		if t.NumMethod() > 0 && d == fromClient {
			return fail("a value of interface type %s cannot be decoded (which concrete type?); use a concrete type or any", t)
		}
		return nil
	case reflect.Pointer, reflect.Slice, reflect.Array:
		seen[t] = true
		return carriableAt(t.Elem(), d, seen, path)
	case reflect.Map:
		seen[t] = true
		k := t.Key()
		switch k.Kind() {
		case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		default:
			if !ownEncoding(k, d) {
				return fail("map keys of type %s cannot be sent: JSON keys are strings (use a string or integer key)", k)
			}
		}
		return carriableAt(t.Elem(), d, seen, path)
	case reflect.Struct:
		seen[t] = true
		exported := 0
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				continue
			}
			if tag := f.Tag.Get("json"); tag == "-" && f.Tag.Get("msgpack") == "" {
				continue
			}
			if !f.IsExported() && f.Type.Kind() != reflect.Struct {
				continue
			}
			exported++
			if err := carriableAt(f.Type, d, seen, path+"."+f.Name); err != nil {
				return err
			}
		}
		if exported == 0 && t.NumField() > 0 {
			return fail("%s has no exported fields, so it would always be sent as {}", t)
		}
	}
	return nil
}

// ownEncoding reports whether t (or *t) encodes (toClient) or decodes
// (fromClient) itself in both protocols' libraries' eyes.
func ownEncoding(t reflect.Type, d direction) bool {
	implements := func(iface reflect.Type) bool {
		return t.Implements(iface) || reflect.PointerTo(t).Implements(iface)
	}
	if d == fromClient {
		return implements(jsonUnmarshaler) || implements(textUnmarshaler) || implements(msgpackDecoder)
	}
	return implements(jsonMarshaler) || implements(textMarshaler) || implements(msgpackEncoder)
}
