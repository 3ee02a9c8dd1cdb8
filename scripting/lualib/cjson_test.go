package lualib

import (
	"fmt"
	"strings"
	"testing"
)

func TestCjsonEncodeCompare(t *testing.T) {
	var cases []caseT
	add := func(name, script string) { cases = append(cases, caseT{name, script}) }

	numbers := []string{"0", "-0", "1", "-1", "0.1", "-0.1", "1/3", "2/3", "100", "1e14",
		"1e15", "1e16", "123456789012345", "1234567890123456", "2^53", "2^63", "2^64",
		"1e21", "1e100", "1e300", "1.7976931348623157e308", "1e-4", "1e-5", "0.000123456",
		"5e-324", "2.5", "3.14159265358979", "1.23456789012345678", "-1e-300", "99999999999999.5",
		"0.1 + 0.2", "12345.678", "-2^31", "2^31", "4294967296.5"}
	for i, n := range numbers {
		add(fmt.Sprintf("num/%d", i), fmt.Sprintf("return cjson.encode(%s)", n))
		add(fmt.Sprintf("num-key/%d", i), fmt.Sprintf("return cjson.encode({[%s] = 'v', x = 1})", n))
	}
	for p := 1; p <= 14; p += 3 {
		add(fmt.Sprintf("precision/%d", p), fmt.Sprintf(
			"return A(cjson.encode_number_precision(%d), cjson.encode({1/3, 2/3, 1e15, 123456, 0.5, 100, -1e-7, 2^53}))", p))
	}
	add("precision/string", "return A(cjson.encode_number_precision('5'), cjson.encode(1/3))")

	// Every byte value inside a string.
	add("str/all-bytes", "local t = {} for i = 0, 255 do t[#t + 1] = string.char(i) end return cjson.encode(table.concat(t))")
	add("str/escapes", `return cjson.encode("a\"b\\c/d\be\ff\ng\rh\ti\0j\127k")`)
	add("str/utf8", `return cjson.encode("héllo wörld ✓ 😀")`)
	add("str/invalid-utf8", `return cjson.encode("\255\254\192\128")`)
	add("str/empty", `return cjson.encode("")`)
	add("str/long", `return #cjson.encode(string.rep("a/", 100000))`)

	add("scalars", "return A(cjson.encode(true), cjson.encode(false), cjson.encode(nil), cjson.encode(cjson.null))")
	add("tbl/empty", "return cjson.encode({})")
	add("tbl/array", "return cjson.encode({1, 'two', true, false, cjson.null, {}, {1}})")
	add("tbl/nested", "return cjson.encode({1, {2, {3, {4, {5}}}}})")
	add("tbl/holes", "return cjson.encode({1, nil, 3})")
	add("tbl/holes-end", "local t = {1, 2, 3} t[2] = nil return cjson.encode(t)")
	add("tbl/sparse-safe", "return A(cjson.encode({[10] = 1}), cjson.encode({[1] = 1, [5] = 5}))")
	add("tbl/sparse-ratio", "return A(cjson.encode({[1] = 1, [2] = 2, [3] = 3, [4] = 4, [5] = 5, [6] = 6, [12] = 12}))")
	add("tbl/zero-key", "return cjson.encode({[0] = 'z'})")
	add("tbl/neg-key", "return cjson.encode({[-1] = 'z'})")
	add("tbl/frac-key", "return cjson.encode({[1.5] = 'z'})")
	add("tbl/huge-key", "return cjson.encode({[2^31] = 'z'})")
	add("tbl/huge-key2", "return cjson.encode({[2^40] = 'z'})")
	add("tbl/inf-key", "return cjson.encode({[1/0] = 'z'})")
	add("tbl/inf-key-on", "cjson.encode_invalid_numbers(true) return cjson.encode({[1/0] = 'z'})")
	add("tbl/inf-key-null", "cjson.encode_invalid_numbers('null') return cjson.encode({[-1/0] = 'z'})")
	add("tbl/mixed", "return cjson.encode({1, 2, 3, n = 3})")
	add("tbl/ctor-keys", "return cjson.encode({a = 1, b = 2, c = 3, d = 4, e = 5})")
	add("tbl/ctor-smoke", `return cjson.encode({s1="Some string", n1=100, a1={"Some","String","Array"}, nil1=nil, b1=true, b2=false})`)
	for i, n := range []int{2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16, 20, 33, 64} {
		var kv []string
		for j := 1; j <= n; j++ {
			kv = append(kv, fmt.Sprintf("%s = %d", []string{"id", "name", "age", "value", "type", "status", "count", "data", "key", "ts", "user", "score"}[j%12]+fmt.Sprint(j/12), j))
		}
		add(fmt.Sprintf("tbl/ctor-%d", i), fmt.Sprintf("return cjson.encode({%s})", strings.Join(kv, ", ")))
	}
	add("tbl/deep-ok", "local t = {} local c = t for i = 1, 999 do c[1] = {} c = c[1] end return #cjson.encode(t)")
	add("tbl/object-values", `return cjson.encode({x = {y = {z = "/"}}})`)

	// Configuration.
	add("cfg/defaults", "return A(cjson.encode_sparse_array(), cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_number_precision(), cjson.encode_keep_buffer(), cjson.encode_invalid_numbers(), cjson.decode_invalid_numbers())")
	add("cfg/sparse-convert", "return A(cjson.encode_sparse_array(true), cjson.encode({[1] = 1, [20] = 20}))")
	add("cfg/sparse-convert-on", "return A(cjson.encode_sparse_array('on', 3, 4), cjson.encode({[1] = 1, [7] = 7}), cjson.encode({[1] = 1, [3] = 3}))")
	add("cfg/sparse-ratio-0", "return A(cjson.encode_sparse_array(false, 0), cjson.encode({[1] = 1, [20] = 20}))")
	add("cfg/sparse-ratio-1", "return A(cjson.encode_sparse_array(nil, 1, 0), pcall(cjson.encode, {[1] = 1, [3] = 3}))")
	add("cfg/sparse-partial", "return A(cjson.encode_sparse_array(nil, nil, 50), cjson.encode({[40] = 1}))")
	add("cfg/sparse-off-string", "return A(cjson.encode_sparse_array('off'))")
	add("cfg/invalid-on", "return A(cjson.encode_invalid_numbers(true), cjson.encode({1/0, -1/0, 0/0, -(0/0)}))")
	add("cfg/invalid-on-str", "return A(cjson.encode_invalid_numbers('on'), cjson.encode(0/0))")
	add("cfg/invalid-null", "return A(cjson.encode_invalid_numbers('null'), cjson.encode({1/0, -1/0, 0/0, 1}))")
	add("cfg/invalid-off", "cjson.encode_invalid_numbers('null') return A(cjson.encode_invalid_numbers('off'), pcall(cjson.encode, 1/0))")
	add("cfg/keep-buffer", "return A(cjson.encode_keep_buffer(false), cjson.encode({1}), cjson.encode_keep_buffer('on'), cjson.encode({2}), cjson.encode_keep_buffer('off'))")
	add("cfg/max-depth", "return A(cjson.encode_max_depth(3), cjson.encode({{{1}}}), pcall(cjson.encode, {{{{1}}}}))")
	add("cfg/max-depth-wrap", "return A(cjson.encode_max_depth(2^32 + 2), pcall(cjson.encode, {{{1}}}))")
	add("cfg/max-depth-string", "return A(cjson.encode_max_depth('7'))")
	add("cfg/max-depth-float", "return A(cjson.encode_max_depth(5.9))")
	add("cfg/new", "local c2 = cjson.new() c2.encode_max_depth(1) return A(cjson.encode({{1}}), pcall(c2.encode, {{1}}), c2._NAME, c2._VERSION, c2.null == cjson.null, c2.new ~= nil)")
	add("cfg/fields", "local k = {} for name, v in pairs(cjson) do k[#k + 1] = name .. '=' .. (type(v) == 'string' and v or type(v)) end table.sort(k) return table.concat(k, ',')")
	add("cfg/huge-depth", "cjson.encode_max_depth(100000) local t = {} local c = t for i = 1, 7996 do c[1] = {} c = c[1] end return #cjson.encode(t)")
	add("cfg/huge-depth-overflow", "cjson.encode_max_depth(100000) local t = {} local c = t for i = 1, 7997 do c[1] = {} c = c[1] end return #cjson.encode(t)")
	add("cfg/huge-depth-objects", "cjson.encode_max_depth(100000) local t = {} local c = t for i = 1, 5000 do c.x = {} c = c.x end return #cjson.encode(t)")
	add("cfg/huge-depth-objects-ok", "cjson.encode_max_depth(100000) local t = {} local c = t for i = 1, 3998 do c.x = {} c = c.x end return #cjson.encode(t)")
	add("cfg/huge-depth-objects-edge", "cjson.encode_max_depth(100000) local t = {} local c = t for i = 1, 3999 do c.x = {} c = c.x end return #cjson.encode(t)")

	// Errors.
	add("err/function", "return cjson.encode(function() end)")
	add("err/function-nested", "return cjson.encode({1, {a = type}})")
	add("err/coroutine", "return cjson.encode(coroutine.create(function() end))")
	add("err/nan", "return cjson.encode(0/0)")
	add("err/inf-in-table", "return cjson.encode({x = 1/0})")
	add("err/bool-key", "local t = {} t[true] = 1 return cjson.encode(t)")
	add("err/table-key", "local t = {} t[{}] = 1 return cjson.encode(t)")
	add("err/null-key", "local t = {} t[cjson.null] = 1 return cjson.encode(t)")
	add("err/sparse", "local t = {} t[1] = 1 t[20] = 2 return cjson.encode(t)")
	add("err/sparse-nested", "return cjson.encode({a = {[1] = 1, [100] = 2}})")
	add("err/cycle", "local t = {} t[1] = t return cjson.encode(t)")
	add("err/cycle-map", "local t = {} t.x = t return cjson.encode(t)")
	add("err/deep", "local t = {} local c = t for i = 1, 1000 do c[1] = {} c = c[1] end return cjson.encode(t)")
	add("err/no-args", "return cjson.encode()")
	add("err/two-args", "return cjson.encode(1, 2)")
	add("err/pcall", "return A(pcall(cjson.encode, function() end))")
	add("err/pcall-args", "return A(pcall(cjson.encode))")
	add("err/line", "local x = 1\nlocal y = 2\nreturn cjson.encode({x = type})")
	add("err/local-alias", "local enc = cjson.encode\nreturn enc()")
	add("err/cfg-too-many", "return cjson.encode_max_depth(1, 2)")
	add("err/cfg-too-many-sparse", "return cjson.encode_sparse_array(1, 2, 3, 4)")
	add("err/cfg-range", "return cjson.encode_max_depth(0)")
	add("err/cfg-range-precision", "return cjson.encode_number_precision(15)")
	add("err/cfg-range-precision0", "return cjson.encode_number_precision(0)")
	add("err/cfg-range-sparse-ratio", "return cjson.encode_sparse_array(nil, -1)")
	add("err/cfg-range-sparse-safe", "return cjson.encode_sparse_array(nil, nil, -1)")
	add("err/cfg-range-wrap", "return cjson.decode_max_depth(2^31)")
	add("err/cfg-type", "return cjson.encode_max_depth('x')")
	add("err/cfg-type-table", "return cjson.decode_max_depth({})")
	add("err/cfg-option", "return cjson.encode_keep_buffer('yes')")
	add("err/cfg-option-number", "return cjson.encode_invalid_numbers(1)")
	add("err/cfg-option-table", "return cjson.decode_invalid_numbers({})")
	add("err/cfg-option-nul", "return A(cjson.encode_keep_buffer('on\\0junk'))")
	add("err/cfg-sparse-option", "return cjson.encode_sparse_array('maybe')")
	add("err/cfg-null-option", "return cjson.decode_invalid_numbers('null')")
	runCompare(t, cases)
}

func TestCjsonDecodeCompare(t *testing.T) {
	var cases []caseT
	add := func(name, script string) { cases = append(cases, caseT{name, script}) }
	// dec renders cjson.decode(json) for a JSON text given as a Lua
	// long-bracket string.
	dec := func(name, json string) {
		add(name, fmt.Sprintf("return D(cjson.decode([==[%s]==]))", json))
	}
	dec("lit/true", "true")
	dec("lit/false", "false")
	dec("lit/null", "null")
	dec("lit/ws", " \t\r\n 1 \n")
	dec("str/simple", `"hello"`)
	dec("str/escapes", `"a\"b\\c\/d\be\ff\ng\rh\ti"`)
	dec("str/unicode", `"\u0041\u00e9\u4e2d\uffff\u0000x"`)
	dec("str/surrogates", `"\ud83d\ude00\uD834\uDD1E"`)
	dec("str/raw-bytes", "\"\x01\x1f\x7f\xff\xfe\"")
	dec("str/empty", `""`)
	numbers := []string{"0", "-0", "1", "-1", "1.5", "-1.5", "1e3", "1E3", "1e+3", "1e-3",
		"1.25e-7", "123456789012345678901234567890", "1e400", "-1e400", "1e-400",
		"4.9e-324", "2.4e-324", "0.1", "0.30000000000000004", "9007199254740993",
		"1.7976931348623157e308", "1.7976931348623159e308", "3.", ".5", "1e", "1e+",
		"0x10", "0X1F", "0x1.8p1", "0x.8", "0x", "-0x10", "010", "00", "-01",
		"+1", "inf", "-inf", "Infinity", "-Infinity", "INF", "nan", "-nan", "NaN",
		"nan(123)", "-", "--1", "1.2.3", "1-2", "1..2", "0e0", "1ee2", "-.5", "infinit",
		"infinityx", "nanx", "1x"}
	for i, n := range numbers {
		dec(fmt.Sprintf("num/%d", i), n)
		add(fmt.Sprintf("num-strict/%d", i), fmt.Sprintf("cjson.decode_invalid_numbers(false) return D(cjson.decode([==[%s]==]))", n))
	}
	dec("arr/empty", "[]")
	dec("arr/simple", "[1, 2, 3]")
	dec("arr/nested", `[[], [[]], [1, [2, [3]]]]`)
	dec("arr/nulls", "[null, 1, null]")
	dec("obj/empty", "{}")
	dec("obj/simple", `{"a": 1, "b": [true, false], "c": {"d": null}}`)
	dec("obj/dup", `{"a": 1, "a": 2}`)
	dec("obj/numeric-keys", `{"1": "x", "2": "y"}`)
	dec("obj/ws", " { \"a\" : 1 , \"b\" : 2 } ")
	add("null-identity", `local t = cjson.decode('[null, {"x": null}]') return A(t[1] == cjson.null, t[2].x == cjson.null, type(t[1]))`)
	add("number-arg", "return D(cjson.decode(123))")
	add("number-arg-float", "return D(cjson.decode(1.5))")
	add("embedded-nul", "return D(cjson.decode('[1]\\0garbage'))")
	add("embedded-nul-string", "return D(cjson.decode('\"ab\\0cd\"'))")

	// Round trips through a decoded table, whose key order is Redis's.
	for i, n := range []int{3, 5, 8, 9, 13, 17, 30, 64, 200} {
		var kv []string
		for j := 1; j <= n; j++ {
			kv = append(kv, fmt.Sprintf(`"k%d":%d`, j*3, j))
		}
		add(fmt.Sprintf("roundtrip/%d", i), fmt.Sprintf("return cjson.encode(cjson.decode('{%s}'))", strings.Join(kv, ",")))
		add(fmt.Sprintf("roundtrip-extend/%d", i), fmt.Sprintf("local t = cjson.decode('{%s}') t.added = true t.other = 1 return cjson.encode(t)", strings.Join(kv, ",")))
	}
	add("roundtrip/nested", `return cjson.encode(cjson.decode('{"user":{"name":"x","tags":["a","b"],"age":3,"geo":{"lat":1.5,"lon":-2.25}},"ok":true,"n":null}'))`)
	add("roundtrip/array-extend", `local t = cjson.decode('[1,2,3]') t.x = 1 t.y = 2 t.z = 3 return cjson.encode(t)`)

	// Depth.
	add("depth/ok", "return #cjson.encode(cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000)))")
	add("depth/too-deep", "return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))")
	add("depth/too-deep-obj", "return cjson.decode(string.rep('{\"a\":', 1001) .. '1' .. string.rep('}', 1001))")
	add("depth/limit", "cjson.decode_max_depth(2) return A(pcall(cjson.decode, '[[1]]'), pcall(cjson.decode, '[[[1]]]'), pcall(cjson.decode, '{\"a\":{\"b\":{}}}'))")
	// depth counts nesting without recursing (gopher-lua's call stack is
	// far shallower than the C stack these cases probe).
	const depth = "local function depth(t) local n = 0 while type(t) == 'table' do n = n + 1 t = t[1] or t.a end return n end "
	add("depth/stack-arrays", depth+"cjson.decode_max_depth(100000) local ok, t = pcall(cjson.decode, string.rep('[', 7998) .. string.rep(']', 7998)) return A(ok, ok and depth(t) or t)")
	add("depth/stack-arrays-over", depth+"cjson.decode_max_depth(100000) local ok, t = pcall(cjson.decode, string.rep('[', 7999) .. string.rep(']', 7999)) return A(ok, ok and depth(t) or t)")
	add("depth/stack-objects", depth+"cjson.decode_max_depth(100000) local ok, t = pcall(cjson.decode, string.rep('{\"a\":', 3998) .. '1' .. string.rep('}', 3998)) return A(ok, ok and depth(t) or t)")
	add("depth/stack-objects-over", depth+"cjson.decode_max_depth(100000) local ok, t = pcall(cjson.decode, string.rep('{\"a\":', 3999) .. '1' .. string.rep('}', 3999)) return A(ok, ok and depth(t) or t)")
	add("depth/stack-objects-over2", depth+"cjson.decode_max_depth(100000) local ok, t = pcall(cjson.decode, string.rep('{\"a\":', 4000) .. '1' .. string.rep('}', 4000)) return A(ok, ok and depth(t) or t)")

	// Errors and their positions.
	for i, bad := range []string{"", " ", "[", "]", "{", "}", ",", ":", "[1,]", "[1 2]", "{1:2}",
		`{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1 "b":2}`, "[1]]", "[1] x", "tru", "nul", "falsey",
		"True", "@", "'x'", `"abc`, `"\x"`, `"\u12"`, `"\u12g4"`, `"\ud800"`, `"\ud800x"`,
		`"\ud800\u0041"`, `"\udc00\ud800"`, `"a\`, "[1,2", `{"a":[1,{"b":}]}`, "-", "- 1",
		"[-]", "1 2", "nil", "undefined", "\x00", "{\"a\"\x01:1}", "[\"\x00\"]"} {
		add(fmt.Sprintf("err/%d", i), fmt.Sprintf("return cjson.decode(%q)", bad))
	}
	add("err/utf16", "return cjson.decode('\\0[\\0]')")
	add("err/utf16-second", "return cjson.decode('[\\0]')")
	add("err/one-nul", "return D(cjson.decode('\\0'))")
	add("err/no-args", "return cjson.decode()")
	add("err/two-args", "return cjson.decode('1', 2)")
	add("err/table-arg", "return cjson.decode({})")
	add("err/nil-arg", "return cjson.decode(nil)")
	add("err/pcall", "return A(pcall(cjson.decode, '[1,'))")
	add("err/line", "local a = 1\nreturn cjson.decode('{')")
	runCompare(t, cases)
}
