package main

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/listhub/listhub/hub"
)

// testHub is the functional-test app's TestHub, served on /testhub and
// /testhub-nowebsockets. Method names match the upstream ones
// case-insensitively, which is how clients call them.
type testHub struct{}

// CustomObject is SendCustomObject's argument.
type CustomObject struct {
	Name  string
	Value int
}

// ComplexObject carries the value kinds the clients must round-trip. The Go
// field names are the wire names in both protocols (PascalCase, as the
// upstream app configures its JSON protocol); Guid is a string because
// .NET writes a Guid as its 36-character form in JSON and MessagePack.
type ComplexObject struct {
	String    string
	IntArray  []int
	ByteArray []byte
	Guid      string
	DateTime  time.Time
}

// Echo returns its argument.
func (testHub) Echo(message string) string { return message }

// GetCallerConnectionID returns the caller's public connection id.
func (testHub) GetCallerConnectionID(c *hub.Context) string { return c.ConnectionID() }

// GetNumRedirects returns the numRedirects query parameter of the request
// that opened the transport; /redirect puts it into the URL it hands out.
func (testHub) GetNumRedirects(c *hub.Context) (int, error) {
	v, _ := queryValue(c.Request(), "numRedirects")
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, hub.WithTypeName("FormatException", errors.New("The input string '"+v+"' was not in a correct format.")) //nolint:staticcheck // .NET's text
	}
	return n, nil
}

// ThrowException fails with an InvalidOperationException-style error.
func (testHub) ThrowException(message string) error {
	return hub.WithTypeName("InvalidOperationException", errors.New(message))
}

// InvokeWithString sends "Message"(message) to the caller before the
// invocation completes.
func (testHub) InvokeWithString(c *hub.Context, message string) error {
	return c.Clients().Caller().Send(c, "Message", message)
}

// SendCustomObject sends "CustomObject"(obj) to the caller.
func (testHub) SendCustomObject(c *hub.Context, obj CustomObject) error {
	return c.Clients().Caller().Send(c, "CustomObject", obj)
}

// Stream streams "a", "b", "c".
func (testHub) Stream() iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, s := range []string{"a", "b", "c"} {
			if !yield(s) {
				return
			}
		}
	}
}

// InfiniteStream never yields. When the client cancels it (or leaves), it
// sends "StreamCanceled"() to the caller, as the upstream hub does from a
// cancellation callback through the hub context.
func (testHub) InfiniteStream(c *hub.Context) iter.Seq[string] {
	id := c.ConnectionID()
	clients := c.Clients().Clients
	return func(func(string) bool) {
		<-c.Done()
		// c is done by now, so the send gets a context of its own.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = clients.Client(id).Send(ctx, "StreamCanceled")
	}
}

// StreamingConcat concatenates an upload stream. The client's stream error
// is returned as is, so the caller sees "... HubException: <its text>".
func (testHub) StreamingConcat(stream iter.Seq2[string, error]) (string, error) {
	var sb strings.Builder
	for s, err := range stream {
		if err != nil {
			return "", err
		}
		sb.WriteString(s)
	}
	return sb.String(), nil
}

// EmptyStream is a stream of ints that completes at once.
func (testHub) EmptyStream() iter.Seq[int] {
	return func(func(int) bool) {}
}

// StreamThrowException fails before streaming anything.
func (testHub) StreamThrowException(message string) (iter.Seq[string], error) {
	return nil, hub.WithTypeName("InvalidOperationException", errors.New(message))
}

// GetActiveTransportName returns "WebSockets", "ServerSentEvents" or
// "LongPolling".
func (testHub) GetActiveTransportName(c *hub.Context) string { return c.Transport().String() }

// EchoComplexObject returns its argument.
func (testHub) EchoComplexObject(obj ComplexObject) ComplexObject { return obj }

// SendComplexObject returns the upstream app's fixed ComplexObject.
func (testHub) SendComplexObject() ComplexObject {
	return ComplexObject{
		String:    "hello world",
		IntArray:  []int{1, 2, 3},
		ByteArray: []byte{1, 2, 3},
		Guid:      "00010203-0405-0607-0706-050403020100",
		DateTime:  time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

// GetHeader returns a header of the request that opened the transport, or
// nil (sent as an explicit null result) when it is absent. Names match
// case-insensitively; repeated headers are joined with ",", as .NET's
// StringValues does.
func (testHub) GetHeader(c *hub.Context, name string) *string {
	r := c.Request()
	if strings.EqualFold(name, "Host") {
		return &r.Host
	}
	values := r.Header.Values(name)
	if len(values) == 0 {
		return nil
	}
	v := strings.Join(values, ",")
	return &v
}

// GetCookie returns a cookie of the request that opened the transport, or
// nil when it is absent.
func (testHub) GetCookie(c *hub.Context, name string) *string {
	ck, err := c.Request().Cookie(name)
	if err != nil {
		return nil
	}
	return &ck.Value
}

// authorizedHub is HubWithAuthorization of /authorizedhub.
type authorizedHub struct{}

// Echo returns its argument.
func (authorizedHub) Echo(message string) string { return message }

// errUncreatable is what the upstream UncreatableHub fails with: its
// constructor needs a service that is not registered.
var errUncreatable = hub.WithTypeName("InvalidOperationException",
	errors.New("Unable to resolve service for type 'System.Object' while attempting to activate 'FunctionalTests.UncreatableHub'.")) //nolint:staticcheck // .NET's text

// queryValue looks a query parameter up case-insensitively, as ASP.NET Core
// does.
func queryValue(r *http.Request, key string) (string, bool) {
	for k, vs := range r.URL.Query() {
		if strings.EqualFold(k, key) && len(vs) > 0 {
			return vs[0], true
		}
	}
	return "", false
}

// SendSequence is not part of the upstream app: it sends "Sequence"(i) to
// the caller for i from 0 to count-1 and then completes, so a test can drop
// the transport in the middle of a stream of messages and check that
// stateful reconnect delivers each exactly once, in order.
func (testHub) SendSequence(c *hub.Context, count int) error {
	caller := c.Clients().Caller()
	for i := range count {
		if err := caller.Send(c, "Sequence", i); err != nil {
			return err
		}
	}
	return nil
}
