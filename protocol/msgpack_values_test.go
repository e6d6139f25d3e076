package protocol

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

// mpEncodeValue returns the bytes AppendMessage writes for one value.
func mpEncodeValue(t *testing.T, v any) []byte {
	t.Helper()
	b, err := appendMsgpackValue(nil, v)
	require.NoError(t, err)
	return b
}

type mpPoint struct {
	X, Y int
}

type mpPerson struct {
	FirstName string
	Age       int
	Born      time.Time
	Tags      []string
	Renamed   string `msgpack:"nick"`
	hidden    int
}

func TestMessagePackValueEncoding(t *testing.T) {
	date := time.Date(2002, 4, 1, 10, 20, 15, 0, time.UTC)
	tests := []struct {
		name string
		v    any
		want []byte
	}{
		{"nil", nil, mpBytes(0xc0)},
		{"true", true, mpBytes(0xc3)},
		{"false", false, mpBytes(0xc2)},
		{"fixstr", "hi", mpBytes(0xa2, "hi")},
		{"empty string", "", mpBytes(0xa0)},
		{"str8", strings.Repeat("s", 32), mpBytes(0xd9, 32, strings.Repeat("s", 32))},
		{"str16", strings.Repeat("s", 256), mpBytes(0xda, 1, 0, strings.Repeat("s", 256))},
		{"str32", strings.Repeat("s", 65536), mpBytes(0xdb, 0, 1, 0, 0, strings.Repeat("s", 65536))},
		{"0", 0, mpBytes(0x00)},
		{"127", 127, mpBytes(0x7f)},
		{"255", 255, mpBytes(0xcc, 0xff)},
		{"256 int64", int64(256), mpBytes(0xcd, 0x01, 0x00)},
		{"65536 uint32", uint32(65536), mpBytes(0xce, 0, 1, 0, 0)},
		{"2^40", int64(1) << 40, mpBytes(0xcf, 0, 0, 1, 0, 0, 0, 0, 0)},
		{"MaxUint64", uint64(math.MaxUint64), mpBytes(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)},
		{"uint8", uint8(200), mpBytes(0xcc, 200)},
		{"uint", uint(5), mpBytes(0x05)},
		{"uint16", uint16(5), mpBytes(0x05)},
		{"-1", -1, mpBytes(0xff)},
		{"-32", int8(-32), mpBytes(0xe0)},
		{"-33", int16(-33), mpBytes(0xd0, 0xdf)},
		{"-129", int32(-129), mpBytes(0xd1, 0xff, 0x7f)},
		{"-32769", -32769, mpBytes(0xd2, 0xff, 0xff, 0x7f, 0xff)},
		{"MinInt64", int64(math.MinInt64), mpBytes(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0)},
		{"float64", 1.5, mpBytes(0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0)},
		{"float32", float32(1.5), mpBytes(0xca, 0x3f, 0xc0, 0, 0)},
		{"bin8", []byte{1, 2}, mpBytes(0xc4, 2, 1, 2)},
		{"empty bin", []byte{}, mpBytes(0xc4, 0)},
		{"nil bin", []byte(nil), mpBytes(0xc0)},
		{"bin16", bytes.Repeat([]byte{7}, 300), mpBytes(0xc5, 1, 0x2c, bytes.Repeat([]byte{7}, 300))},
		{"bin32", bytes.Repeat([]byte{7}, 65536), mpBytes(0xc6, 0, 1, 0, 0, bytes.Repeat([]byte{7}, 65536))},
		{"time 32-bit", date, mpBytes(0xd6, 0xff, 0x3c, 0xa8, 0x34, 0x5f)},
		{"time in another zone", date.In(time.FixedZone("X", 3600)), mpBytes(0xd6, 0xff, 0x3c, 0xa8, 0x34, 0x5f)},
		{"time 64-bit", time.Unix(1, 5), mpBytes(0xd7, 0xff, 0, 0, 0, 0x14, 0, 0, 0, 1)},
		{"time 96-bit", time.Unix(-1, 0), mpBytes(0xc7, 12, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)},
		{"RawValue verbatim", mpRaw(0x92, 0x01, 0xa1, "x"), mpBytes(0x92, 0x01, 0xa1, "x")},
		{"nil slice via reflection", []string(nil), mpBytes(0xc0)},
		{"slice", []string{"a"}, mpBytes(0x91, 0xa1, "a")},
		{"struct keyed by Go field names", mpPoint{X: 1, Y: 300}, mpBytes(0x82, 0xa1, "X", 0x01, 0xa1, "Y", 0xcd, 0x01, 0x2c)},
		{"pointer to struct", &mpPoint{X: -1, Y: 2}, mpBytes(0x82, 0xa1, "X", 0xff, 0xa1, "Y", 0x02)},
		{"compact int64 inside a map", map[string]int64{"n": 1}, mpBytes(0x81, 0xa1, "n", 0x01)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, mpEncodeValue(t, tc.v))
		})
	}
}

// The fast time encoder writes exactly what vmihailenco/msgpack writes.
func TestMessagePackTimeMatchesVmihailenco(t *testing.T) {
	times := []time.Time{
		{},
		time.Unix(0, 0),
		time.Unix(1<<32-1, 0),
		time.Unix(1<<32, 0),
		time.Unix(1<<34-1, 999999999),
		time.Unix(1<<34, 0),
		time.Unix(-1, 999999999),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2024, 2, 29, 12, 0, 0, 123000000, time.Local),
	}
	for _, tm := range times {
		want, err := msgpack.Marshal(tm)
		require.NoError(t, err)
		got := mpEncodeValue(t, tm)
		require.Equal(t, want, got, "%v", tm)

		var back time.Time
		require.NoError(t, MessagePack{}.Bind(got, &back))
		assert.True(t, tm.Equal(back), "%v != %v", tm, back)
	}
}

func TestMessagePackStructsAndTimesInside(t *testing.T) {
	date := time.Date(2002, 4, 1, 10, 20, 15, 0, time.UTC)
	p := mpPerson{FirstName: "Ada", Age: 36, Born: date, Tags: []string{"x"}, Renamed: "n", hidden: 1}
	b := mpEncodeValue(t, p)
	// A map of the exported fields, PascalCase, the time as ext -1.
	assert.Equal(t, byte(0x85), b[0])
	for _, key := range []string{"FirstName", "Age", "Born", "Tags", "nick"} {
		assert.Contains(t, string(b), string(appendMsgpackString(nil, key)))
	}
	assert.Contains(t, string(b), string(mpBytes(0xa4, "Born", 0xd6, 0xff, 0x3c, 0xa8, 0x34, 0x5f)))
	assert.Contains(t, string(b), string(mpBytes(0xa3, "Age", 36)))

	var back mpPerson
	require.NoError(t, MessagePack{}.Bind(b, &back))
	assert.True(t, date.Equal(back.Born))
	back.Born = date
	p.hidden = 0
	assert.Equal(t, p, back)

	// .NET-style input: the map a MessagePack-CSharp client writes.
	var pt mpPoint
	require.NoError(t, MessagePack{}.Bind(mpRaw(0x82, 0xa1, "Y", 0x02, 0xa1, "X", 0xd0, 0x80), &pt))
	assert.Equal(t, mpPoint{X: -128, Y: 2}, pt)
}

func TestMessagePackIntegersSurviveIntact(t *testing.T) {
	var c MessagePack
	signed := []int64{1<<53 + 1, math.MaxInt64, math.MinInt64, -1<<53 - 1, 0, -1}
	args := []any{uint64(math.MaxUint64)}
	for _, v := range signed {
		args = append(args, v)
	}
	out, err := c.AppendMessage(nil, &Invocation{Target: "T", Arguments: args})
	require.NoError(t, err)
	msgs := mpParseAll(t, c, out)
	got := msgs[0].(*Invocation).Arguments

	var u uint64
	require.NoError(t, c.Bind(got[0].(RawValue), &u))
	assert.Equal(t, uint64(math.MaxUint64), u)
	var anyU any
	require.NoError(t, c.Bind(got[0].(RawValue), &anyU))
	assert.Equal(t, uint64(math.MaxUint64), anyU)
	for i, want := range signed {
		raw := got[i+1].(RawValue)
		var n int64
		require.NoError(t, c.Bind(raw, &n))
		assert.Equal(t, want, n)
		var ni int
		require.NoError(t, c.Bind(raw, &ni))
		assert.Equal(t, int(want), ni)
		var sl struct{ N int64 }
		require.NoError(t, c.Bind(append(mpRaw(0x81, 0xa1, "N"), raw...), &sl))
		assert.Equal(t, want, sl.N)
	}
}

func TestMessagePackBind(t *testing.T) {
	date := time.Date(2002, 4, 1, 10, 20, 15, 0, time.UTC)
	tests := []struct {
		name   string
		raw    RawValue
		target any // a pointer to the zero value
		want   any // what the target points to afterwards
	}{
		{"string", mpRaw(0xa2, "hi"), new(string), "hi"},
		{"str8", mpRaw(0xd9, 3, "abc"), new(string), "abc"},
		{"nil string", mpRaw(0xc0), new(string), ""},
		{"int fixint", mpRaw(0x05), new(int), 5},
		{"int negative", mpRaw(0xd1, 0xff, 0x7f), new(int), -129},
		{"int from uint16", mpRaw(0xcd, 1, 0), new(int), 256},
		{"int64 uint64 form", mpRaw(0xcf, 0, 0x20, 0, 0, 0, 0, 0, 1), new(int64), int64(1<<53 + 1)},
		{"int from nil", mpRaw(0xc0), new(int), 0},
		{"int32 via reflection", mpRaw(0xd0, 0x80), new(int32), int32(-128)},
		{"uint64", mpRaw(0x07), new(uint64), uint64(7)},
		{"bool", mpRaw(0xc3), new(bool), true},
		{"float64", mpRaw(0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0), new(float64), 1.5},
		{"float64 from float32", mpRaw(0xca, 0x3f, 0xc0, 0, 0), new(float64), 1.5},
		{"float64 from int", mpRaw(0xd0, 0xfe), new(float64), -2.0},
		{"float64 from uint64", mpRaw(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), new(float64), float64(math.MaxUint64)},
		{"bytes", mpRaw(0xc4, 2, 1, 2), new([]byte), []byte{1, 2}},
		{"nil bytes", mpRaw(0xc0), new([]byte), []byte(nil)},
		{"bin16", mpRaw(0xc5, 0, 1, 7), new([]byte), []byte{7}},
		{"bin32", mpRaw(0xc6, 0, 0, 0, 1, 7), new([]byte), []byte{7}},
		{"empty bin", mpRaw(0xc4, 0), new([]byte), []byte{}},
		{"bytes from str", mpRaw(0xa2, "hi"), new([]byte), []byte("hi")},
		{"time", mpRaw(0xd6, 0xff, 0x3c, 0xa8, 0x34, 0x5f), new(time.Time), date.Local()},
		{"any fixint", mpRaw(0x05), new(any), int8(5)},
		{"any uint8", mpRaw(0xcc, 200), new(any), uint8(200)},
		{"any uint16", mpRaw(0xcd, 1, 0), new(any), uint16(256)},
		{"any uint32", mpRaw(0xce, 0, 1, 0, 0), new(any), uint32(65536)},
		{"any int8", mpRaw(0xd0, 0x80), new(any), int8(-128)},
		{"any int16", mpRaw(0xd1, 0xff, 0x7f), new(any), int16(-129)},
		{"any int32", mpRaw(0xd2, 0xff, 0xff, 0x7f, 0xff), new(any), int32(-32769)},
		{"any int64", mpRaw(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0), new(any), int64(math.MinInt64)},
		{"any string", mpRaw(0xa1, "x"), new(any), "x"},
		{"any nil", mpRaw(0xc0), new(any), nil},
		{"any bool", mpRaw(0xc2), new(any), false},
		{"any float64", mpRaw(0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0), new(any), 1.5},
		{"any float32", mpRaw(0xca, 0x3f, 0xc0, 0, 0), new(any), float32(1.5)},
		{"any bin", mpRaw(0xc4, 1, 9), new(any), []byte{9}},
		{"any time", mpRaw(0xd6, 0xff, 0x3c, 0xa8, 0x34, 0x5f), new(any), date.Local()},
		{"any map", mpRaw(0x81, 0xa1, "k", 0x91, 0x01), new(any), map[string]any{"k": []any{int8(1)}}},
		{"slice of ints", mpRaw(0x93, 1, 0xcc, 0xff, 0xff), new([]int), []int{1, 255, -1}},
		{"map", mpRaw(0x81, 0xa1, "a", 0xa1, "b"), new(map[string]string), map[string]string{"a": "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, MessagePack{}.Bind(tc.raw, tc.target))
			got := mpDeref(tc.target)
			if want, ok := tc.want.(time.Time); ok {
				assert.True(t, want.Equal(got.(time.Time)), "%v", got)
				return
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// A bound []byte or string does not alias the receive buffer.
func TestMessagePackBindCopies(t *testing.T) {
	raw := mpRaw(0xc4, 2, 1, 2)
	var b []byte
	require.NoError(t, MessagePack{}.Bind(raw, &b))
	raw[2] = 9
	assert.Equal(t, []byte{1, 2}, b)
}

func TestMessagePackBindErrors(t *testing.T) {
	tests := []struct {
		name   string
		raw    RawValue
		target any
		text   string
	}{
		{"string into int", mpRaw(0xa1, "x"), new(int), "protocol: bind: msgpack:"},
		{"int into string", mpRaw(0x01), new(string), "protocol: bind: msgpack:"},
		{"uint64 overflows int64", mpRaw(0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0), new(int64), "does not fit"},
		{"uint64 overflows int", mpRaw(0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0), new(int), "does not fit"},
		{"negative into uint64", mpRaw(0xff), new(uint64), "does not fit"},
		{"array into struct field", mpRaw(0x81, 0xa1, "X", 0x90), new(mpPoint), "protocol: bind:"},
		{"truncated", mpRaw(0xa3, "ab"), new(string), "the data ends in the middle of a value"},
		{"empty", RawValue{}, new(any), "the data ends in the middle of a value"},
		{"trailing bytes", mpRaw(0x01, 0x02), new(int), "followed by 1 more bytes"},
		{"invalid code", mpRaw(0xc1), new(any), "0xc1"},
		{"non-pointer", mpRaw(0x01), 5, "non-pointer"},
		{"nil target", mpRaw(0x01), nil, "protocol: bind:"},
		{"nil *string", mpRaw(0xa1, "x"), (*string)(nil), "protocol: bind:"},
		{"nil *int", mpRaw(0x01), (*int)(nil), "protocol: bind:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := MessagePack{}.Bind(tc.raw, tc.target)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.text)
			assert.True(t, strings.HasPrefix(err.Error(), "protocol: bind: "), err.Error())
		})
	}
}

func mpDeref(p any) any {
	switch p := p.(type) {
	case *string:
		return *p
	case *int:
		return *p
	case *int32:
		return *p
	case *int64:
		return *p
	case *uint64:
		return *p
	case *bool:
		return *p
	case *float64:
		return *p
	case *[]byte:
		return *p
	case *time.Time:
		return *p
	case *any:
		return *p
	case *[]int:
		return *p
	case *map[string]string:
		return *p
	}
	panic("mpDeref: unexpected type")
}

func TestMessagePackSkipEveryFormat(t *testing.T) {
	objects := [][]byte{
		mpBytes(0x00), mpBytes(0x7f), mpBytes(0xe0), mpBytes(0xff),
		mpBytes(0xc0), mpBytes(0xc2), mpBytes(0xc3),
		mpBytes(0x80), mpBytes(0x81, 0x01, 0x02), mpBytes(0x90), mpBytes(0x92, 0x01, 0x91, 0x02),
		mpBytes(0xa0), mpBytes(0xa3, "abc"),
		mpBytes(0xc4, 1, 9), mpBytes(0xc5, 0, 1, 9), mpBytes(0xc6, 0, 0, 0, 1, 9),
		mpBytes(0xc7, 1, 5, 9), mpBytes(0xc8, 0, 1, 5, 9), mpBytes(0xc9, 0, 0, 0, 1, 5, 9),
		mpBytes(0xca, 1, 2, 3, 4), mpBytes(0xcb, 1, 2, 3, 4, 5, 6, 7, 8),
		mpBytes(0xcc, 1), mpBytes(0xcd, 1, 2), mpBytes(0xce, 1, 2, 3, 4), mpBytes(0xcf, 1, 2, 3, 4, 5, 6, 7, 8),
		mpBytes(0xd0, 1), mpBytes(0xd1, 1, 2), mpBytes(0xd2, 1, 2, 3, 4), mpBytes(0xd3, 1, 2, 3, 4, 5, 6, 7, 8),
		mpBytes(0xd4, 5, 1), mpBytes(0xd5, 5, 1, 2), mpBytes(0xd6, 5, 1, 2, 3, 4),
		mpBytes(0xd7, 5, 1, 2, 3, 4, 5, 6, 7, 8), mpBytes(0xd8, 5, bytes.Repeat([]byte{1}, 16)),
		mpBytes(0xd9, 1, "a"), mpBytes(0xda, 0, 1, "a"), mpBytes(0xdb, 0, 0, 0, 1, "a"),
		mpBytes(0xdc, 0, 2, 1, 2), mpBytes(0xdd, 0, 0, 0, 1, 1),
		mpBytes(0xde, 0, 1, 1, 2), mpBytes(0xdf, 0, 0, 0, 1, 1, 2),
		mpBytes(0xdc, 0, 0), mpBytes(0xdf, 0, 0, 0, 0),
	}
	for _, obj := range objects {
		end, err := mpSkip(append(append([]byte{0xaa}, obj...), 0xbb), 1, 0)
		require.NoError(t, err, "% x", obj)
		assert.Equal(t, 1+len(obj), end, "% x", obj)
		// Every proper prefix is truncated.
		for i := 0; i < len(obj); i++ {
			_, err := mpSkip(obj[:i], 0, 0)
			assert.ErrorIs(t, err, ErrInvalidMessage, "% x cut at %d", obj, i)
		}
	}
	_, err := mpSkip(mpBytes(0x91, 0xc1), 0, 0)
	assert.ErrorIs(t, err, ErrInvalidMessage)
	// Huge announced lengths with little data are truncated, not allocated.
	for _, obj := range [][]byte{
		mpBytes(0xdd, 0xff, 0xff, 0xff, 0xff, 1), mpBytes(0xdf, 0xff, 0xff, 0xff, 0xff, 1, 2),
		mpBytes(0xdb, 0xff, 0xff, 0xff, 0xff, 1), mpBytes(0xc9, 0xff, 0xff, 0xff, 0xff, 1, 2),
		mpBytes(0xdf, 0x80, 0, 0, 0, 1, 2),
	} {
		_, err := mpSkip(obj, 0, 0)
		assert.ErrorIs(t, err, ErrInvalidMessage, "% x", obj)
	}
}

func TestMessagePackSkipDepthLimit(t *testing.T) {
	nested := func(depth int) []byte {
		b := bytes.Repeat([]byte{0x91}, depth)
		return append(b, 0x01)
	}
	end, err := mpSkip(nested(mpMaxDepth), 0, 0)
	require.NoError(t, err)
	assert.Equal(t, mpMaxDepth+1, end)
	_, err = mpSkip(nested(mpMaxDepth+1), 0, 0)
	require.ErrorIs(t, err, ErrInvalidMessage)
	assert.Contains(t, err.Error(), "nested more than 500 levels")

	// Also inside a message and in Bind.
	body := mpBytes(0x94, 2, 0x80, 0xa1, "1", nested(mpMaxDepth+1))
	_, _, err = MessagePack{}.ParseMessages(nil, append(AppendVarint(nil, len(body)), body...))
	require.ErrorIs(t, err, ErrInvalidMessage)
	var v any
	require.Error(t, MessagePack{}.Bind(nested(mpMaxDepth+1), &v))
	require.NoError(t, MessagePack{}.Bind(nested(mpMaxDepth), &v))
}

func TestMessagePackKindNames(t *testing.T) {
	for c, want := range map[byte]string{
		0x01: "an integer", 0xe5: "an integer", 0xd3: "an integer", 0xcc: "an integer",
		0x80: "a map", 0xde: "a map", 0x90: "an array", 0xdd: "an array",
		0xa0: "a string", 0xdb: "a string", 0xc0: "nil", 0xc3: "a boolean",
		0xc5: "binary data", 0xca: "a float", 0xc7: "an extension", 0xd8: "an extension",
		0xc1: "the invalid code 0xc1",
	} {
		assert.Equal(t, want, mpKindName(c), "%#x", c)
	}
}

func TestMessagePackContainerHeaders(t *testing.T) {
	for _, tc := range []struct {
		n          int
		array, obj []byte
	}{
		{0, mpBytes(0x90), mpBytes(0x80)},
		{15, mpBytes(0x9f), mpBytes(0x8f)},
		{16, mpBytes(0xdc, 0, 16), mpBytes(0xde, 0, 16)},
		{65535, mpBytes(0xdc, 0xff, 0xff), mpBytes(0xde, 0xff, 0xff)},
		{65536, mpBytes(0xdd, 0, 1, 0, 0), mpBytes(0xdf, 0, 1, 0, 0)},
	} {
		assert.Equal(t, tc.array, appendMsgpackArrayHeader(nil, tc.n))
		assert.Equal(t, tc.obj, appendMsgpackMapHeader(nil, tc.n))
	}

	// Many arguments round-trip through array16 and array32 headers.
	var c MessagePack
	for _, n := range []int{5, 16, 70000} {
		args := make([]any, n)
		for i := range args {
			args[i] = i % 100
		}
		out, err := c.AppendMessage(nil, &Invocation{Target: "T", Arguments: args})
		require.NoError(t, err)
		msgs := mpParseAll(t, MessagePack{MaxMessageSize: len(out)}, out)
		got := msgs[0].(*Invocation).Arguments
		require.Len(t, got, n)
		assert.Equal(t, mpRaw((n-1)%100), got[n-1])
	}
}

func TestMessagePackIntegerFormats(t *testing.T) {
	tests := []struct {
		wire []byte
		u    uint64
		neg  bool
	}{
		{mpBytes(0x05), 5, false},
		{mpBytes(0xe0), uint64(1<<64 - 32), true},
		{mpBytes(0xcc, 0xff), 255, false},
		{mpBytes(0xcd, 0xff, 0xff), 65535, false},
		{mpBytes(0xce, 0xff, 0xff, 0xff, 0xff), 1<<32 - 1, false},
		{mpBytes(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 1<<64 - 1, false},
		{mpBytes(0xd0, 0x7f), 127, false},
		{mpBytes(0xd0, 0x80), uint64(1<<64 - 128), true},
		{mpBytes(0xd1, 0x80, 0x00), uint64(1<<64 - 32768), true},
		{mpBytes(0xd2, 0x80, 0, 0, 0), uint64(1<<64 - 1<<31), true},
		{mpBytes(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0), 1 << 63, true},
		{mpBytes(0xd3, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 1<<63 - 1, false},
	}
	for _, tc := range tests {
		u, neg, size, ok := mpInteger(tc.wire)
		require.True(t, ok, "% x", tc.wire)
		assert.Equal(t, tc.u, u, "% x", tc.wire)
		assert.Equal(t, tc.neg, neg, "% x", tc.wire)
		assert.Equal(t, len(tc.wire), size)
		for i := 0; i < len(tc.wire); i++ {
			_, _, _, ok := mpInteger(tc.wire[:i])
			assert.False(t, ok, "% x cut at %d", tc.wire, i)
		}
	}
	for _, notInt := range [][]byte{mpBytes(0xc0), mpBytes(0xa1, "1"), mpBytes(0xcb, 0, 0, 0, 0, 0, 0, 0, 0)} {
		_, _, _, ok := mpInteger(notInt)
		assert.False(t, ok)
	}
}
