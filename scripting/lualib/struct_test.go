package lualib

import (
	"fmt"
	"testing"
)

func TestStructCompare(t *testing.T) {
	var cases []caseT
	add := func(name, script string) { cases = append(cases, caseT{name, script}) }

	ints := []string{"0", "1", "-1", "127", "128", "-128", "-129", "255", "256",
		"32767", "32768", "-32768", "-32769", "65535", "65536", "2^31-1", "2^31",
		"-2^31", "-2^31-1", "2^32-1", "2^32", "2^53", "-2^53", "2^63", "-2^63",
		"2^64", "2^64+2^12", "-2^64", "1e300", "-1e300", "1/0", "-1/0", "0/0",
		"1.5", "-1.5", "2.9", "-2.9", "'42'", "'0x20'", "' -7 '", "-0"}
	fmts := []string{"b", "B", "h", "H", "l", "L", "T", "i", "I", "i1", "i2", "i3",
		"I3", "i5", "I7", "i8", "I8", "i9", "I12", "i16", "I16", "i32"}
	for i, v := range ints {
		for _, order := range []string{"<", ">"} {
			for _, f := range fmts {
				add(fmt.Sprintf("int/%d/%s%s", i, order, f), fmt.Sprintf(
					"local s = struct.pack('%[1]s%[2]s', %[3]s) return A(s, struct.unpack('%[1]s%[2]s', s))", order, f, v))
			}
		}
	}
	floats := []string{"0", "-0", "1", "-1", "0.1", "1/3", "1e38", "3.5e38", "1e39", "-1e39",
		"1e-38", "1e-45", "1e-46", "1e300", "1e-300", "2^-1074", "1/0", "-1/0", "0/0",
		"16777217", "123456.789", "'2.5'", "2^128", "2^127*(2-2^-24)", "2^127*(2-2^-25)"}
	for i, v := range floats {
		for _, f := range []string{"<f", ">f", "<d", ">d", "f", "d"} {
			add(fmt.Sprintf("float/%d/%s", i, f), fmt.Sprintf(
				"local s = struct.pack('%[1]s', %[2]s) return A(s, struct.unpack('%[1]s', s))", f, v))
		}
	}
	add("unpack/all-signed", "local s = string.rep('\\255', 32) return A(struct.unpack('<bhlTiI2i3i9i16i32', s .. s .. s))")
	add("unpack/big-signed", "local s = string.rep('\\128', 16) return A(struct.unpack('>i9', s), struct.unpack('>i16', s), struct.unpack('<i12', s), struct.unpack('>I16', s))")
	add("unpack/sign-ext", "return A(struct.unpack('>i3', '\\128\\0\\1'), struct.unpack('<i3', '\\1\\0\\128'), struct.unpack('>I3', '\\128\\0\\1'))")
	add("unpack/u64", "return A(struct.unpack('>L', '\\255\\255\\255\\255\\255\\255\\255\\255'), struct.unpack('>l', '\\128\\0\\0\\0\\0\\0\\0\\0'))")

	// Strings.
	add("str/c", "return A(struct.pack('c', 'abc'), struct.pack('c3', 'abc'), struct.pack('c2', 'abc'), struct.pack('c0', 'hello'), struct.pack('c0', ''))")
	add("str/s", "return A(struct.pack('s', 'abc'), struct.pack('s', ''), struct.pack('s', 'a\\0b'), struct.pack('s', 12.5))")
	add("str/numbers", "return A(struct.pack('c0', 1/3), struct.pack('c0', 1e100), struct.pack('c0', 2^53), struct.pack('s', 1/0), struct.pack('s', -1/0), struct.pack('s', 0/0))")
	// Lua 5.1 shares one constant slot between 0 and -0, so -0 gets its
	// own snippet.
	add("str/negative-zero", "return A(struct.pack('c0', -0))")
	add("str/unpack-c", "return A(struct.unpack('c3', 'abcdef'), struct.unpack('c0', 'abc'))")
	add("str/unpack-c0", "return A(struct.unpack('bc0', '\\3abcdef'))")
	add("str/unpack-c0-string-size", "return A(struct.unpack('c1c0', '3abcdef'))")
	add("str/unpack-c0-string-size2", "return A(struct.unpack('c2c0', ' 2xyz'))")
	add("str/unpack-s", "return A(struct.unpack('ss', 'abc\\0\\0def\\0'))")
	add("str/unpack-s-empty", "return A(struct.unpack('s', '\\0'))")
	add("str/roundtrip", "local s = struct.pack('>!4 b i s c0 d', 1, 2, 'x', 'yz', 0.5) return A(s, struct.unpack('>!4 b i s c2 d', s))")

	// Alignment and padding.
	add("align/default", "return A(struct.pack('bi', 1, 2), struct.pack('!bi', 1, 2), struct.pack('!2bi', 1, 2), struct.pack('!4bd', 1, 2), struct.pack('!8bdbh', 1, 2, 3, 4))")
	add("align/x", "return A(struct.pack('bxxb', 1, 2), struct.pack('!4bxi', 1, 2), struct.unpack('bxxb', '\\1\\0\\0\\2'))")
	add("align/odd-size", "return A(struct.pack('!8 b i3', 1, 2), struct.pack('!8 b i5', 1, 2), struct.pack('!8 bb i6', 1, 2, 3), struct.pack('!4 b i7', 1, 2))")
	add("align/unpack", "local s = struct.pack('!4 b i h d', 1, -2, 3, 4.5) return A(s, struct.unpack('!4 b i h d', s))")
	add("align/c-not-aligned", "return A(struct.pack('!8 b c3 d', 1, 'abc', 2))")
	add("align/s-not-aligned", "return A(struct.pack('!8 b s d', 1, 'abc', 2))")
	add("align/big", "return A(struct.pack('!16 b d', 1, 2), struct.pack('!1 b d', 1, 2))")
	add("space", "return A(struct.pack(' < b  h ', 1, 2))")
	add("endian-switch", "return A(struct.pack('<h>h<i>i', 1, 1, 1, 1))")

	// size.
	add("size/basic", "return A(struct.size('b'), struct.size('bhilTfd'), struct.size('!bhilTfd'), struct.size('!4 b d'), struct.size('c10'), struct.size('i16'), struct.size('xxx'), struct.size(''))")
	add("size/skips-unknown-letters", "return A(struct.size('zbq9'), struct.size('b5'))")
	add("size/align-after", "return A(struct.size('!8 b d b'), struct.size('!2 b d'), struct.size('b!4i'))")
	add("size/number-format", "return A(struct.size(12))")

	// Offsets.
	add("offset/basic", "local s = struct.pack('bbb', 1, 2, 3) return A(struct.unpack('b', s, 1), struct.unpack('b', s, 2), struct.unpack('b', s, 3), struct.unpack('', s, 4))")
	add("offset/string", "return A(struct.unpack('b', '\\1\\2', '2'))")
	add("offset/float", "return A(struct.unpack('b', '\\1\\2', 1.9))")
	add("offset/nil", "return A(struct.unpack('b', '\\5', nil))")
	add("unpack/next-pos", "return A(struct.unpack('', ''), struct.unpack('x', 'a'), struct.unpack('<', 'abc'))")
	add("unpack/extra-args", "return A(struct.unpack('b', '\\1', 1, 'ignored', {}))")
	add("pack/extra-args", "return A(struct.pack('b', 1, 2, 3))")
	add("pack/empty", "return A(struct.pack(''))")
	add("fmt/nul-terminates", "return A(struct.pack('b\\0b', 1, 2), struct.size('b\\0zzz'), struct.unpack('b\\0b', '\\7'))")
	add("fields", "local k = {} for name in pairs(struct) do k[#k + 1] = name end table.sort(k) return table.concat(k, ',')")

	// Errors.
	add("err/bad-option", "return struct.pack('z', 1)")
	add("err/bad-option-digit", "return struct.pack('b5', 1)")
	add("err/bad-option-unpack", "return struct.unpack('q', 'abc')")
	add("err/bad-option-size", "return struct.size('#')")
	add("err/bad-option-high-byte", "return struct.pack('\\200')")
	add("err/align-not-pow2", "return struct.pack('!3 b', 1)")
	add("err/align-zero", "return struct.pack('!0 b', 1)")
	add("err/align-size", "return struct.size('!6')")
	add("err/int-too-big", "return struct.pack('i33', 1)")
	add("err/int-too-big-size", "return struct.size('I40')")
	add("err/size-overflow", "return struct.pack('c99999999999', 'a')")
	add("err/size-overflow2", "return struct.size('c2147483648')")
	add("err/size-max-int", "return struct.size('c2147483647')")
	add("err/size-s", "return struct.size('bs')")
	add("err/size-c0", "return struct.size('c0')")
	add("err/pack-missing-number", "return struct.pack('bb', 1)")
	add("err/pack-bad-number", "return struct.pack('i', 'abc')")
	add("err/pack-bad-number-table", "return struct.pack('d', {})")
	add("err/pack-bad-float", "return struct.pack('f', nil)")
	add("err/pack-string-short", "return struct.pack('c5', 'abc')")
	add("err/pack-string-short-3rd", "return struct.pack('bc5', 1, 'abc')")
	add("err/pack-string-missing", "return struct.pack('s')")
	add("err/pack-string-table", "return struct.pack('c0', {})")
	add("err/pack-fmt-missing", "return struct.pack()")
	add("err/pack-fmt-table", "return struct.pack({})")
	add("err/unpack-short", "return struct.unpack('i', 'abc')")
	add("err/unpack-short-offset", "return struct.unpack('b', 'abc', 4)")
	add("err/unpack-offset-zero", "return struct.unpack('b', 'abc', 0)")
	add("err/unpack-offset-neg", "return struct.unpack('b', 'abc', -1)")
	add("err/unpack-offset-bad", "return struct.unpack('b', 'abc', 'x')")
	add("err/unpack-data-missing", "return struct.unpack('b')")
	add("err/unpack-c0-no-size", "return struct.unpack('c0', 'abc')")
	add("err/unpack-c0-string", "return struct.unpack('c1c0', 'xabc')")
	add("err/unpack-c0-too-long", "return struct.unpack('bc0', '\\9abc')")
	add("err/unpack-c0-negative", "return struct.unpack('bc0', '\\255abc')")
	add("err/unpack-s-unfinished", "return struct.unpack('s', 'abc')")
	add("err/unpack-control-past-end", "return struct.unpack('<', 'ab', 4)")
	add("err/unpack-many-results", "return select('#', struct.unpack(string.rep('b', 7997), string.rep('\\1', 7997)))")
	add("err/unpack-too-many-results", "return select('#', struct.unpack(string.rep('b', 7998), string.rep('\\1', 7998)))")
	add("err/unpack-too-many-results-x", "return select('#', struct.unpack(string.rep('b', 7997) .. 'x', string.rep('\\1', 7998)))")
	add("err/pcall", "return A(pcall(struct.pack, 'z'))")
	add("err/pcall-unpack", "return A(pcall(struct.unpack, 'i', ''))")
	runCompare(t, cases)
}
