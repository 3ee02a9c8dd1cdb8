package lualib

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
	lua "github.com/yuin/gopher-lua"
)

// cmsgpack must speak MessagePack that other implementations read and
// write, not only match Redis byte for byte: scripts exchange these
// payloads with applications. An independent codec (msgpack/v5) decodes
// what cmsgpack.pack builds, and builds what cmsgpack.unpack reads.

// packInLua runs cmsgpack.pack(<expr>) and returns the bytes.
func packInLua(t *testing.T, expr string) []byte {
	t.Helper()
	L := newTestState()
	defer L.Close()
	if err := L.DoString("return cmsgpack.pack(" + expr + ")"); err != nil {
		t.Fatalf("pack %s: %v", expr, err)
	}
	return []byte(L.Get(-1).(lua.LString))
}

func TestCmsgpackPackIsReadableMessagePack(t *testing.T) {
	cases := []struct {
		expr string
		want any
	}{
		{"0", int8(0)},
		{"127", int8(127)},
		{"-1", int8(-1)},
		{"-32", int8(-32)},
		{"255", uint8(255)},
		{"65535", uint16(65535)},
		{"-129", int16(-129)},
		{"4294967296", uint64(4294967296)},
		{"-2147483649", int64(-2147483649)},
		{"1.5", float32(1.5)},
		{"0.1", float64(0.1)},
		{"'hello'", "hello"},
		{"string.rep('x', 300)", strings.Repeat("x", 300)},
		{"true", true},
		{"false", false},
		{"nil", nil},
		{"{1, 2, 3}", []any{int8(1), int8(2), int8(3)}},
		{"{a = 1}", map[string]any{"a": int8(1)}},
		{"{1, {x = 'y'}, {}}", []any{int8(1), map[string]any{"x": "y"}, []any{}}},
	}
	for _, c := range cases {
		b := packInLua(t, c.expr)
		var got any
		dec := msgpack.NewDecoder(strings.NewReader(string(b)))
		dec.SetMapDecoder(func(d *msgpack.Decoder) (any, error) { return d.DecodeMap() })
		dec.UseLooseInterfaceDecoding(false)
		if err := dec.Decode(&got); err != nil {
			t.Errorf("%s: msgpack/v5 cannot decode % x: %v", c.expr, b, err)
			continue
		}
		if !sameValue(got, c.want) {
			t.Errorf("%s: decoded %#v (% x), want %#v", c.expr, got, b, c.want)
		}
	}
}

func TestCmsgpackUnpacksForeignMessagePack(t *testing.T) {
	cases := []struct {
		value any
		want  string // what the Lua side renders
	}{
		{42, "42"},
		{-100000, "-100000"},
		{uint64(1) << 40, "1099511627776"},
		{2.25, "2.25"},
		{float32(0.5), "0.5"},
		{"text", "text"},
		{true, "true"},
		{[]any{1, "two", 3.5}, "1,two,3.5"},
		{map[string]any{"k": "v"}, "k=v"},
	}
	for _, c := range cases {
		b, err := msgpack.Marshal(c.value)
		if err != nil {
			t.Fatal(err)
		}
		L := newTestState()
		L.SetGlobal("payload", lua.LString(b))
		err = L.DoString(`
local v = cmsgpack.unpack(payload)
if type(v) ~= 'table' then return tostring(v) end
local out = {}
for k, x in pairs(v) do
  if type(k) == 'number' then out[#out + 1] = tostring(x) else out[#out + 1] = k .. '=' .. tostring(x) end
end
return table.concat(out, ',')`)
		if err != nil {
			t.Errorf("%v: unpack of % x: %v", c.value, b, err)
			L.Close()
			continue
		}
		if got := L.Get(-1).String(); got != c.want {
			t.Errorf("%v: unpacked as %q, want %q", c.value, got, c.want)
		}
		L.Close()
	}
}

// sameValue compares decoded values, treating numbers by value.
func sameValue(a, b any) bool {
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && (fa == fb || (math.IsNaN(fa) && math.IsNaN(fb)))
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			// An empty Lua table packs as an empty array or map; both are
			// "empty" to a reader.
			if m, isMap := b.(map[string]any); isMap && len(x) == 0 && len(m) == 0 {
				return true
			}
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			if arr, isArr := b.([]any); isArr && len(x) == 0 && len(arr) == 0 {
				return true
			}
			return false
		}
		if len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if !sameValue(v, y[k]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float32:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}
