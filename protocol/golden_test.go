package protocol

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The golden tests check our codecs against the official JavaScript client's
// own protocol code (conformance/golden/golden.mjs, @microsoft/signalr and
// @microsoft/signalr-protocol-msgpack from npm), in both directions. The case
// table below and the one in golden.mjs describe the same messages by name.
// They need node and conformance/node_modules (npm ci in conformance/); without
// them the tests skip, unless LISTHUB_REQUIRE_NODE=1.

// goldenItem is the nested object of the cases; golden.mjs spells it
// {name, qty, done, price, tags, meta: {aisle, note}}.
type goldenItem struct {
	Name  string     `json:"name" msgpack:"name"`
	Qty   int        `json:"qty" msgpack:"qty"`
	Done  bool       `json:"done" msgpack:"done"`
	Price float64    `json:"price" msgpack:"price"`
	Tags  []string   `json:"tags" msgpack:"tags"`
	Meta  goldenMeta `json:"meta" msgpack:"meta"`
}

type goldenMeta struct {
	Aisle int     `json:"aisle" msgpack:"aisle"`
	Note  *string `json:"note" msgpack:"note"`
}

// goldenTagged has only json tags, as most application types do: one naming
// rule for both protocols (see MessagePack). golden.mjs spells it
// {name, qty, Plain}: note is omitted when empty, Secret never sent.
type goldenTagged struct {
	Name   string `json:"name"`
	Qty    int    `json:"qty"`
	Note   string `json:"note,omitempty"`
	Secret string `json:"-"`
	Plain  int
}

var (
	goldenTaggedVal = goldenTagged{Name: "Milk", Qty: 2, Plain: 7}
	goldenUnicode   = "Grüße, 世界 🛒 \"quoted\" \\ back\nslash\ttab \u0001 </script>"
	goldenItemVal   = goldenItem{
		Name: "Milk 🥛", Qty: 2, Done: false, Price: 1.25,
		Tags: []string{"dairy", "cold"},
		Meta: goldenMeta{Aisle: 3},
	}
	goldenHeaders = map[string]string{
		"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"x-grüße":     "wert ü",
	}
)

// goldenScalars are the arguments of "invocation/scalars". Each value's Go type
// is the type a raw argument is bound to before comparing.
func goldenScalars() []any {
	return []any{goldenUnicode, "", 0, -1, 42, 255, 65536, -129,
		int64(1 << 40), int64(-(1 << 40)), int64(1<<53 - 1),
		1.5, -0.25, math.Pi, true, false, nil}
}

// goldenObjects are the arguments of "invocation/objects". JSON carries the
// times as ISO 8601 strings and the bytes as base64, which bind to time.Time
// and []byte; MessagePack carries a timestamp extension and bin.
func goldenObjects() []any {
	return []any{goldenItemVal, []int{1, 2, 3}, []string{"a", "b"}, [][]int{{1}, {2, 3}}, []int{},
		time.Date(2002, 4, 1, 10, 20, 15, 0, time.UTC),
		time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC),
		time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC),
		[]byte{0, 1, 2, 253, 254, 255}}
}

type goldenCase struct {
	name     string
	protocol string
	request  *HandshakeRequest  // written before the messages
	response *HandshakeResponse // written before the messages
	messages []Message
	// fromJS: the JS client writes this case (TestGoldenFromOfficialClient).
	// Every case is also written by us and read by the JS client
	// (TestGoldenToOfficialClient).
	fromJS bool
}

func (c goldenCase) key() string { return c.protocol + ":" + c.name }

func goldenCodec(protocol string) Codec {
	if protocol == "json" {
		return JSON{}
	}
	return MessagePack{}
}

func goldenCases() []goldenCase {
	var cases []goldenCase
	for _, p := range []string{"json", "messagepack"} {
		add := func(name string, msgs ...Message) {
			cases = append(cases, goldenCase{name: name, protocol: p, messages: msgs, fromJS: true})
		}
		add("invocation/blocking", &Invocation{InvocationID: "0", Target: "Echo", Arguments: []any{"hi"}})
		add("invocation/non-blocking", &Invocation{Target: "Echo", Arguments: []any{"hi"}})
		add("invocation/scalars", &Invocation{InvocationID: "1", Target: "Scalars", Arguments: goldenScalars()})
		add("invocation/objects", &Invocation{InvocationID: "2", Target: "Objects", Arguments: goldenObjects()})
		add("invocation/no arguments", &Invocation{InvocationID: "3", Target: "NoArgs", Arguments: []any{}})
		add("invocation/stream ids", &Invocation{InvocationID: "0", Target: "StreamingConcat", Arguments: []any{5}, StreamIDs: []string{"1", "2"}})
		add("invocation/non-blocking stream ids", &Invocation{Target: "Upload", Arguments: []any{}, StreamIDs: []string{"1"}})
		add("invocation/headers", &Invocation{Headers: goldenHeaders, InvocationID: "7", Target: "Echo", Arguments: []any{"hi"}})
		add("stream invocation", &StreamInvocation{InvocationID: "3", Target: "Counter", Arguments: []any{10, "x"}})
		add("stream invocation/stream ids", &StreamInvocation{InvocationID: "4", Target: "Echoes", Arguments: []any{}, StreamIDs: []string{"5"}})
		add("stream invocation/headers", &StreamInvocation{Headers: goldenHeaders, InvocationID: "6", Target: "Counter", Arguments: []any{1}})
		add("invocation/json tags", &Invocation{InvocationID: "8", Target: "AddItem", Arguments: []any{goldenTaggedVal}})
		add("stream item/string", &StreamItem{InvocationID: "1", Item: goldenUnicode})
		add("stream item/null", &StreamItem{InvocationID: "1", Item: nil})
		add("stream item/object", &StreamItem{InvocationID: "1", Item: goldenItemVal})
		add("stream item/headers", &StreamItem{Headers: goldenHeaders, InvocationID: "1", Item: 7})
		add("completion/void", &Completion{InvocationID: "1"})
		add("completion/result", &Completion{InvocationID: "1", HasResult: true, Result: 42})
		add("completion/object result", &Completion{InvocationID: "1", HasResult: true, Result: goldenItemVal})
		add("completion/json tags", &Completion{InvocationID: "1", HasResult: true, Result: goldenTaggedVal})
		// Go -> JS only: a "-" field is not written even when set.
		cases = append(cases, goldenCase{name: "completion/json tags skip", protocol: p, messages: []Message{
			&Completion{InvocationID: "1", HasResult: true, Result: goldenTagged{Name: "Tea", Secret: "s3cret"}}}})
		add("completion/null result", &Completion{InvocationID: "1", HasResult: true, Result: nil})
		add("completion/false result", &Completion{InvocationID: "1", HasResult: true, Result: false})
		add("completion/error", &Completion{InvocationID: "1", Error: "Something bad ü"})
		add("completion/headers", &Completion{Headers: goldenHeaders, InvocationID: "1", HasResult: true, Result: "ok"})
		add("cancel invocation", &CancelInvocation{InvocationID: "3"})
		add("ping", &Ping{})
		add("close/plain", &Close{})
		add("close/error", &Close{Error: "Server closed ü"})
		add("close/allow reconnect", &Close{AllowReconnect: true})
		add("close/error and allow reconnect", &Close{Error: "Going away", AllowReconnect: true})
		if p == "messagepack" {
			// The MessagePack JS client always writes [7, nil]: these are
			// checked in the Go -> JS direction only.
			for i := len(cases) - 3; i < len(cases); i++ {
				cases[i].fromJS = false
			}
		}
		add("ack", &Ack{SequenceID: 5})
		add("sequence", &Sequence{SequenceID: 1 << 40})
		add("batch",
			&Ping{},
			&Invocation{InvocationID: "9", Target: "Add", Arguments: []any{"a", 1}},
			&Completion{InvocationID: "9", HasResult: true, Result: "done"},
			&Ack{SequenceID: 3})

		// Handshakes: the client writes requests, the server responses.
		cases = append(cases,
			goldenCase{name: "handshake/request", protocol: p, request: &HandshakeRequest{p, 1}, fromJS: true},
			goldenCase{name: "handshake/request v2", protocol: p, request: &HandshakeRequest{p, 2}, fromJS: true},
			goldenCase{name: "handshake/request then ping", protocol: p, request: &HandshakeRequest{p, 1}, messages: []Message{&Ping{}}, fromJS: true},
			goldenCase{name: "handshake/response ok", protocol: p, response: &HandshakeResponse{}},
			goldenCase{name: "handshake/response ok then messages", protocol: p, response: &HandshakeResponse{},
				messages: []Message{&Ping{}, &Invocation{Target: "Greet", Arguments: []any{"welcome"}}}},
		)
		// The JS client reads a binary handshake response as Latin-1, so the
		// non-ASCII text is only for JSON.
		errText := "The protocol 'xml' is not supported."
		if p == "json" {
			errText = "The protocol 'x\"ü' is not supported."
		}
		cases = append(cases, goldenCase{name: "handshake/response error", protocol: p, response: &HandshakeResponse{Error: errText}})
	}
	return cases
}

// goldenDoc is the document golden.mjs reads and writes.
type goldenDoc struct {
	Cases []goldenWire `json:"cases"`
}

type goldenWire struct {
	Name     string `json:"name"`
	Protocol string `json:"protocol"`
	Bytes    []byte `json:"bytes"` // base64 in the document
}

// goldenNode returns the repository root, or skips the test when node or the
// npm packages are missing (fails instead under LISTHUB_REQUIRE_NODE=1).
func goldenNode(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	var missing string
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not on PATH"
	} else if _, err := os.Stat(filepath.Join(root, "conformance", "node_modules", "@microsoft", "signalr-protocol-msgpack")); err != nil {
		missing = "conformance/node_modules is missing; run npm ci in conformance/"
	}
	if missing != "" {
		if os.Getenv("LISTHUB_REQUIRE_NODE") == "1" {
			t.Fatalf("golden tests need the official JS client: %s (LISTHUB_REQUIRE_NODE=1)", missing)
		}
		t.Skipf("skipping golden tests against the official JS client: %s (set LISTHUB_REQUIRE_NODE=1 to fail instead)", missing)
	}
	// go test caches results by the files a test opens, and node's reads are
	// invisible to it: stat the script and the lockfile so that changing
	// either reruns the test.
	for _, f := range []string{"golden/golden.mjs", "package-lock.json"} {
		_, err := os.Stat(filepath.Join(root, "conformance", f))
		require.NoError(t, err)
	}
	return root
}

func goldenRunNode(t *testing.T, root string, args ...string) (stdout []byte, output string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{filepath.Join("conformance", "golden", "golden.mjs")}, args...)...)
	cmd.Dir = root
	var out, errOut bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	err = cmd.Run()
	return out.Bytes(), out.String() + errOut.String(), err
}

func TestGoldenFromOfficialClient(t *testing.T) {
	root := goldenNode(t)
	stdout, output, err := goldenRunNode(t, root, "encode")
	require.NoError(t, err, "node golden.mjs encode:\n%s", output)
	var doc goldenDoc
	require.NoError(t, json.Unmarshal(stdout, &doc))

	want := map[string]goldenCase{}
	for _, c := range goldenCases() {
		if c.fromJS {
			want[c.key()] = c
		}
	}
	for _, w := range doc.Cases {
		c, ok := want[w.Protocol+":"+w.Name]
		if !assert.True(t, ok, "golden.mjs wrote %s:%s, which the Go table does not expect from JS", w.Protocol, w.Name) {
			continue
		}
		delete(want, c.key())
		t.Run(c.key(), func(t *testing.T) {
			goldenCheckDecode(t, c, w.Bytes)
		})
	}
	for k := range want {
		t.Errorf("golden.mjs did not write %s", k)
	}
	t.Logf("decoded %d cases written by the official JS client", len(doc.Cases))
}

// goldenCheckDecode parses what the JS client wrote and compares it to the
// case's messages, binding each raw value to the Go type of the expected one.
func goldenCheckDecode(t *testing.T, c goldenCase, buf []byte) {
	codec := goldenCodec(c.protocol)
	if c.request != nil {
		req, n, err := ParseHandshakeRequest(buf, 0)
		require.NoError(t, err)
		require.NotZero(t, n, "handshake request incomplete")
		assert.Equal(t, *c.request, req)
		buf = buf[n:]
	}
	msgs, n, err := codec.ParseMessages(nil, buf)
	require.NoError(t, err, "bytes: %s", goldenShow(c.protocol, buf))
	assert.Equal(t, len(buf), n, "consumed bytes; input: %s", goldenShow(c.protocol, buf))
	require.Len(t, msgs, len(c.messages), "input: %s", goldenShow(c.protocol, buf))
	for i, want := range c.messages {
		goldenCompareMessage(t, codec, fmt.Sprintf("message %d", i), want, msgs[i])
	}
}

func goldenCompareMessage(t *testing.T, codec Codec, at string, want, got Message) {
	t.Helper()
	require.IsType(t, want, got, at)
	switch w := want.(type) {
	case *Invocation:
		g := got.(*Invocation)
		goldenCompareInvocation(t, codec, at, w.Headers, w.InvocationID, w.Target, w.Arguments, w.StreamIDs,
			g.Headers, g.InvocationID, g.Target, g.Arguments, g.StreamIDs)
	case *StreamInvocation:
		g := got.(*StreamInvocation)
		goldenCompareInvocation(t, codec, at, w.Headers, w.InvocationID, w.Target, w.Arguments, w.StreamIDs,
			g.Headers, g.InvocationID, g.Target, g.Arguments, g.StreamIDs)
	case *StreamItem:
		g := got.(*StreamItem)
		goldenCompareHeaders(t, at, w.Headers, g.Headers)
		assert.Equal(t, w.InvocationID, g.InvocationID, at+" invocationId")
		goldenCompareValue(t, codec, at+" item", w.Item, g.Item)
	case *Completion:
		g := got.(*Completion)
		goldenCompareHeaders(t, at, w.Headers, g.Headers)
		assert.Equal(t, w.InvocationID, g.InvocationID, at+" invocationId")
		assert.Equal(t, w.Error, g.Error, at+" error")
		if assert.Equal(t, w.HasResult, g.HasResult, at+" hasResult") && w.HasResult {
			goldenCompareValue(t, codec, at+" result", w.Result, g.Result)
		}
	default: // no values to bind
		assert.Equal(t, want, got, at)
	}
}

func goldenCompareInvocation(t *testing.T, codec Codec, at string,
	wantHeaders map[string]string, wantID, wantTarget string, wantArgs []any, wantStreams []string,
	gotHeaders map[string]string, gotID, gotTarget string, gotArgs []any, gotStreams []string) {
	t.Helper()
	goldenCompareHeaders(t, at, wantHeaders, gotHeaders)
	assert.Equal(t, wantID, gotID, at+" invocationId")
	assert.Equal(t, wantTarget, gotTarget, at+" target")
	if len(wantStreams) == 0 {
		assert.Empty(t, gotStreams, at+" streamIds")
	} else {
		assert.Equal(t, wantStreams, gotStreams, at+" streamIds")
	}
	if !assert.Len(t, gotArgs, len(wantArgs), at+" arguments") {
		return
	}
	for i := range wantArgs {
		goldenCompareValue(t, codec, fmt.Sprintf("%s argument %d", at, i), wantArgs[i], gotArgs[i])
	}
}

func goldenCompareHeaders(t *testing.T, at string, want, got map[string]string) {
	t.Helper()
	if len(want) == 0 {
		assert.Empty(t, got, at+" headers")
	} else {
		assert.Equal(t, want, got, at+" headers")
	}
}

// goldenCompareValue binds got, a RawValue, to the Go type of want and
// compares. A nil want binds to an any, which must stay nil.
func goldenCompareValue(t *testing.T, codec Codec, at string, want, got any) {
	t.Helper()
	raw, ok := got.(RawValue)
	if !assert.True(t, ok, "%s: decoded as %T, want a RawValue", at, got) {
		return
	}
	if want == nil {
		var v any
		if assert.NoError(t, codec.Bind(raw, &v), "%s: raw %x", at, []byte(raw)) {
			assert.Nil(t, v, "%s: raw %x", at, []byte(raw))
		}
		return
	}
	ptr := reflect.New(reflect.TypeOf(want))
	if !assert.NoError(t, codec.Bind(raw, ptr.Interface()), "%s: bind %q to %T", at, []byte(raw), want) {
		return
	}
	v := ptr.Elem().Interface()
	switch w := want.(type) {
	case time.Time:
		assert.True(t, w.Equal(v.(time.Time)), "%s: got %v, want %v", at, v, w)
	default:
		if rv := reflect.ValueOf(want); rv.Kind() == reflect.Slice && rv.Len() == 0 {
			assert.Zero(t, ptr.Elem().Len(), "%s: got %#v, want empty", at, v)
			return
		}
		assert.Equal(t, want, v, "%s: raw %q", at, []byte(raw))
	}
}

func goldenShow(protocol string, b []byte) string {
	if protocol == "json" {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("% x", b)
}

func TestGoldenToOfficialClient(t *testing.T) {
	root := goldenNode(t)
	var doc goldenDoc
	for _, c := range goldenCases() {
		codec := goldenCodec(c.protocol)
		var buf []byte
		if c.request != nil {
			buf = AppendHandshakeRequest(buf, *c.request)
		}
		if c.response != nil {
			buf = AppendHandshakeResponse(buf, c.response.Error)
		}
		for _, m := range c.messages {
			var err error
			buf, err = codec.AppendMessage(buf, m)
			require.NoError(t, err, "%s: %T", c.key(), m)
		}
		doc.Cases = append(doc.Cases, goldenWire{Name: c.name, Protocol: c.protocol, Bytes: buf})
	}
	data, err := json.MarshalIndent(doc, "", " ")
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "golden-go.json")
	require.NoError(t, os.WriteFile(file, data, 0o644))

	_, output, err := goldenRunNode(t, root, "decode", file)
	if err != nil {
		t.Fatalf("the official JS client disagrees with our encoders (node golden.mjs decode: %v):\n%s", err, output)
	}
	summary := fmt.Sprintf("golden: %d passed, 0 failed", len(doc.Cases))
	require.Contains(t, strings.Split(strings.TrimSpace(output), "\n"), summary, output)
	t.Log(summary)
}
