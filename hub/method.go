package hub

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// A method is a registered hub method. Its signature is inspected once, at
// registration; a call binds each argument straight into a value of the
// parameter's type and calls through the prepared reflect.Value.
type method struct {
	name string
	fn   reflect.Value

	ctxParam ctxKind
	// params lists the positions of the Go parameters after the context:
	// value arguments and upload streams, in declaration order.
	params   []param
	nArgs    int // value arguments the client must send
	nUploads int // upload streams the client must send
	// variadic is the element type of a variadic last parameter: the
	// client may send any number of further arguments of this type.
	variadic reflect.Type

	result   resultKind
	resultT  reflect.Type // the result's type, or the stream's item type
	hasError bool

	stats *callMetrics
}

type ctxKind int

const (
	ctxNone ctxKind = iota
	ctxHub          // *hub.Context
	ctxStd          // context.Context
)

type param struct {
	typ    reflect.Type // the parameter's type
	upload uploadKind   // non-zero for an upload stream parameter
	elem   reflect.Type // an upload stream's item type
}

type uploadKind int

const (
	notUpload  uploadKind = iota
	uploadChan            // <-chan T
	uploadSeq             // iter.Seq[T]
	uploadSeq2            // iter.Seq2[T, error]
)

type resultKind int

const (
	resultNone  resultKind = iota
	resultValue            // R
	streamChan             // <-chan T or chan T
	streamSeq              // iter.Seq[T]
	streamSeq2             // iter.Seq2[T, error]
)

func (m *method) streaming() bool { return m.result >= streamChan }

var (
	hubContextType = reflect.TypeFor[*Context]()
	stdContextType = reflect.TypeFor[context.Context]()
	errorType      = reflect.TypeFor[error]()
)

// newMethod inspects fn. Accepted shapes:
//
//	func([ctx,] args...) [R] [error]
//
// where ctx is *hub.Context or context.Context; a variadic last parameter
// (...T) takes any number of optional trailing arguments; an argument of type <-chan T,
// iter.Seq[T] or iter.Seq2[T, error] is an upload stream fed by the client;
// and a result of type <-chan T, chan T, iter.Seq[T] or iter.Seq2[T, error]
// makes the method a server-to-client stream.
func newMethod(name string, fn any) (*method, error) {
	if name == "" {
		return nil, errors.New("hub: method name is empty")
	}
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.IsNil() {
		return nil, fmt.Errorf("hub: method %q: %T is not a function", name, fn)
	}
	t := v.Type()
	m := &method{name: name, fn: v, stats: new(callMetrics)}
	first := 0
	if t.NumIn() > 0 {
		switch t.In(0) {
		case hubContextType:
			m.ctxParam, first = ctxHub, 1
		case stdContextType:
			m.ctxParam, first = ctxStd, 1
		}
	}
	last := t.NumIn()
	if t.IsVariadic() {
		// The variadic parameter binds the client's optional trailing
		// arguments, e.g. JoinList(listId) or JoinList(listId, afterSeq).
		last--
		if last < first {
			return nil, fmt.Errorf("hub: method %q: a variadic parameter cannot stand for the context", name)
		}
		elem := t.In(last).Elem()
		if kind, _ := uploadOf(elem); kind != notUpload || elem == hubContextType || elem == stdContextType {
			return nil, fmt.Errorf("hub: method %q: a variadic parameter cannot be an upload stream or a context", name)
		}
		if err := carriable(elem, fromClient); err != nil {
			return nil, fmt.Errorf("hub: method %q: variadic parameter (%s): %w", name, t.In(last), err)
		}
		m.variadic = elem
	}
	for i := first; i < last; i++ {
		pt := t.In(i)
		if pt == hubContextType || pt == stdContextType {
			return nil, fmt.Errorf("hub: method %q: the context must be the first parameter", name)
		}
		p := param{typ: pt}
		if kind, elem := uploadOf(pt); kind != notUpload {
			p.upload, p.elem = kind, elem
			m.nUploads++
		} else {
			m.nArgs++
		}
		what, typ := "parameter", pt
		if p.upload != notUpload {
			what, typ = "upload stream item", p.elem
		}
		if err := carriable(typ, fromClient); err != nil {
			return nil, fmt.Errorf("hub: method %q: %s %d (%s): %w", name, what, i+1, pt, err)
		}
		m.params = append(m.params, p)
	}
	switch t.NumOut() {
	case 0:
	case 1:
		if t.Out(0) == errorType {
			m.hasError = true
		} else {
			m.setResult(t.Out(0))
		}
	case 2:
		if t.Out(1) != errorType {
			return nil, fmt.Errorf("hub: method %q: the second result must be error", name)
		}
		m.hasError = true
		m.setResult(t.Out(0))
	default:
		return nil, fmt.Errorf("hub: method %q: at most two results (value, error)", name)
	}
	if m.result != resultNone {
		what := "result"
		if m.streaming() {
			what = "stream item"
		}
		if err := carriable(m.resultT, toClient); err != nil {
			return nil, fmt.Errorf("hub: method %q: %s (%s): %w", name, what, t.Out(0), err)
		}
	}
	return m, nil
}

func (m *method) setResult(rt reflect.Type) {
	m.result, m.resultT = resultValue, rt
	if kind, elem := streamOf(rt); kind != resultNone {
		m.result, m.resultT = kind, elem
	}
}

// uploadOf reports whether t is an upload stream parameter type.
func uploadOf(t reflect.Type) (uploadKind, reflect.Type) {
	if t.Kind() == reflect.Chan && t.ChanDir() == reflect.RecvDir {
		return uploadChan, t.Elem()
	}
	if elem, ok := seqElem(t); ok {
		return uploadSeq, elem
	}
	if elem, ok := seq2Elem(t); ok {
		return uploadSeq2, elem
	}
	return notUpload, nil
}

// streamOf reports whether t is a streaming result type.
func streamOf(t reflect.Type) (resultKind, reflect.Type) {
	if t.Kind() == reflect.Chan && t.ChanDir()&reflect.RecvDir != 0 {
		return streamChan, t.Elem()
	}
	if elem, ok := seqElem(t); ok {
		return streamSeq, elem
	}
	if elem, ok := seq2Elem(t); ok {
		return streamSeq2, elem
	}
	return resultNone, nil
}

// seqElem matches iter.Seq[T]: func(yield func(T) bool).
func seqElem(t reflect.Type) (reflect.Type, bool) {
	if t.Kind() != reflect.Func || t.NumIn() != 1 || t.NumOut() != 0 {
		return nil, false
	}
	y := t.In(0)
	if y.Kind() != reflect.Func || y.NumIn() != 1 || y.NumOut() != 1 || y.Out(0).Kind() != reflect.Bool {
		return nil, false
	}
	return y.In(0), true
}

// seq2Elem matches iter.Seq2[T, error]: func(yield func(T, error) bool).
func seq2Elem(t reflect.Type) (reflect.Type, bool) {
	if t.Kind() != reflect.Func || t.NumIn() != 1 || t.NumOut() != 0 {
		return nil, false
	}
	y := t.In(0)
	if y.Kind() != reflect.Func || y.NumIn() != 2 || y.NumOut() != 1 || y.Out(0).Kind() != reflect.Bool || y.In(1) != errorType {
		return nil, false
	}
	return y.In(0), true
}

// methodTable maps names to methods, under both the registered and the
// lower-cased name, so the usual exact-case call finds its method without
// allocating. It is replaced, never mutated, so calls read it without a
// lock.
type methodTable map[string]*method

func methodKey(name string) string { return strings.ToLower(name) }

func (t methodTable) lookup(name string) *method {
	if m, ok := t[name]; ok {
		return m
	}
	return t[methodKey(name)]
}

// methodsOf returns the exported methods of receiver as hub methods, each
// under its Go name, leaving out those of well-known interfaces (see
// Server.RegisterMethods).
func methodsOf(receiver any) ([]*method, error) {
	v := reflect.ValueOf(receiver)
	if !v.IsValid() || (v.Kind() == reflect.Pointer && v.IsNil()) {
		return nil, fmt.Errorf("hub: RegisterMethods: the receiver is nil (%T)", receiver)
	}
	t := v.Type()
	var out []*method
	for i := 0; i < t.NumMethod(); i++ {
		mt := t.Method(i)
		if !mt.IsExported() || notHubMethod(mt) {
			continue
		}
		if mt.Name == "OnConnected" || mt.Name == "OnDisconnected" {
			return nil, fmt.Errorf("hub: RegisterMethods: %T has a method %s, which clients could call: "+
				"connection hooks are Config.%s (or a Filter); rename or unexport the method", receiver, mt.Name, mt.Name)
		}
		m, err := newMethod(mt.Name, v.Method(i).Interface())
		if err != nil {
			return nil, fmt.Errorf("%w (RegisterMethods exposes every exported method of %T: "+
				"unexport a helper, or move it to another type)", err, receiver)
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("hub: RegisterMethods: %T has no exported methods", receiver)
	}
	return out, nil
}

// wellKnown lists the methods of standard interfaces that a hub type may
// implement for its own sake (printing, encoding, closing); RegisterMethods
// does not expose them.
var wellKnown = map[string]reflect.Type{
	"String":          reflect.TypeFor[func() string](),
	"GoString":        reflect.TypeFor[func() string](),
	"Error":           reflect.TypeFor[func() string](),
	"Format":          reflect.TypeFor[func(fmt.State, rune)](),
	"MarshalJSON":     reflect.TypeFor[func() ([]byte, error)](),
	"UnmarshalJSON":   reflect.TypeFor[func([]byte) error](),
	"MarshalText":     reflect.TypeFor[func() ([]byte, error)](),
	"UnmarshalText":   reflect.TypeFor[func([]byte) error](),
	"MarshalBinary":   reflect.TypeFor[func() ([]byte, error)](),
	"UnmarshalBinary": reflect.TypeFor[func([]byte) error](),
	"Close":           reflect.TypeFor[func() error](),
}

// notHubMethod reports whether mt, a method of a receiver's method set
// (its Type has the receiver as first parameter), is a well-known
// interface method.
func notHubMethod(mt reflect.Method) bool {
	want, ok := wellKnown[mt.Name]
	if !ok {
		return false
	}
	ft := mt.Type
	if ft.NumIn() != want.NumIn()+1 || ft.NumOut() != want.NumOut() {
		return false
	}
	for i := 0; i < want.NumIn(); i++ {
		if ft.In(i+1) != want.In(i) {
			return false
		}
	}
	for i := 0; i < want.NumOut(); i++ {
		if ft.Out(i) != want.Out(i) {
			return false
		}
	}
	return true
}
