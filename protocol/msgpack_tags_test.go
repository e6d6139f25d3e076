package protocol

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

// tagItem has only json tags, as most Go application types do.
type tagItem struct {
	Name   string `json:"name"`
	Qty    int    `json:"qty"`
	Note   string `json:"note,omitempty"`
	Secret string `json:"-"`
	Plain  int    // untagged: keyed "Plain" by both protocols
	Both   string `json:"jsonName" msgpack:"mpName"`
	hidden int
}

type tagEmbedded struct {
	ID string `json:"id"`
}

type tagOuter struct {
	tagEmbedded
	Items []tagItem `json:"items"`
	Count *int      `json:"count,omitempty"`
}

// mpResultRaw encodes v as a Completion result with MessagePack and returns
// the raw result value as the parser hands it out.
func mpResultRaw(t *testing.T, v any) RawValue {
	t.Helper()
	var c MessagePack
	buf, err := c.AppendMessage(nil, &Completion{InvocationID: "1", HasResult: true, Result: v})
	require.NoError(t, err)
	msgs, _, err := c.ParseMessages(nil, buf)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	return msgs[0].(*Completion).Result.(RawValue)
}

func TestMessagePackHonoursJSONTagsWhenEncoding(t *testing.T) {
	item := tagItem{Name: "milk", Qty: 2, Secret: "s3cret", Plain: 7, Both: "b", hidden: 1}
	var keys map[string]any
	require.NoError(t, msgpack.Unmarshal(mpResultRaw(t, item), &keys))
	assert.Equal(t, map[string]any{"name": "milk", "qty": int8(2), "Plain": int8(7), "mpName": "b"}, keys,
		"json names, omitempty and \"-\" honoured; msgpack tag wins; untagged keeps the Go name")
}

func TestMessagePackHonoursJSONTagsWhenBinding(t *testing.T) {
	raw, err := msgpack.Marshal(map[string]any{"name": "milk", "qty": 2, "note": "semi", "Secret": "x", "-": "y", "Plain": 7, "mpName": "b"})
	require.NoError(t, err)
	var got tagItem
	require.NoError(t, MessagePack{}.Bind(raw, &got))
	assert.Equal(t, tagItem{Name: "milk", Qty: 2, Note: "semi", Plain: 7, Both: "b"}, got)
}

// TestOneNamingRuleForBothProtocols checks that a value encoded by either
// codec reaches a client with the same keys and values, and binds back.
func TestOneNamingRuleForBothProtocols(t *testing.T) {
	three := 3
	for _, tc := range []struct {
		name  string
		value tagOuter
	}{
		{"tagged, untagged, omitempty and skipped fields", tagOuter{tagEmbedded: tagEmbedded{ID: "l1"},
			Items: []tagItem{{Name: "milk", Qty: 2, Secret: "s", Plain: 1}, {Name: "tea", Note: "green"}}, Count: &three}},
		{"empty values", tagOuter{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var fromMP any
			require.NoError(t, MessagePack{}.Bind(mpResultRaw(t, tc.value), &fromMP))

			jbuf, err := JSON{}.AppendMessage(nil, &Completion{InvocationID: "1", HasResult: true, Result: tc.value})
			require.NoError(t, err)
			msgs, _, err := JSON{}.ParseMessages(nil, jbuf)
			require.NoError(t, err)
			jsonText := msgs[0].(*Completion).Result.(RawValue)

			// The decoders give numbers different Go types; compare the
			// two as JSON documents, where a number is a number. Both's
			// msgpack tag is the one intended difference.
			mpAsJSON, err := json.Marshal(fromMP)
			require.NoError(t, err)
			assert.JSONEq(t, strings.ReplaceAll(string(jsonText), `"jsonName"`, `"mpName"`), string(mpAsJSON))

			want := tc.value
			want.Items = append([]tagItem(nil), tc.value.Items...)
			for i := range want.Items {
				want.Items[i].Secret = "" // "-": not carried
			}
			var back tagOuter
			require.NoError(t, MessagePack{}.Bind(mpResultRaw(t, tc.value), &back))
			assert.Equal(t, want, back)
		})
	}
}
