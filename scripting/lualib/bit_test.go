package lualib

import (
	"fmt"
	"testing"
)

var bitNumbers = []string{
	"0", "1", "-1", "2", "7", "-7", "0.5", "1.5", "2.5", "-0.5", "-1.5", "-2.5",
	"0.49999999999999994", "255", "256", "65535", "65536", "2147483647",
	"2147483648", "-2147483648", "-2147483649", "4294967295", "4294967296",
	"4294967297", "1e10", "-1e10", "2^52", "2^52+1", "2^53", "2^53+2", "2^63",
	"-2^63", "2^64", "1e300", "-1e300", "1/0", "-1/0", "0/0", "-0",
	"0x7fffffff", "0xffffffff", "0x12345678", "1234567.89", "-1234567.89",
	"'12'", "'0x10'", "' 42 '", "'1e3'", "'-3.5'", "2^31+0.5", "2^32-0.5",
	"4503599627370495.5", "6755399441055744", "-6755399441055744",
}

func TestBitCompare(t *testing.T) {
	var cases []caseT
	add := func(name, script string) { cases = append(cases, caseT{name, script}) }
	for i, n := range bitNumbers {
		add(fmt.Sprintf("tobit/%d", i), fmt.Sprintf("return A(bit.tobit(%s), bit.bnot(%s), bit.bswap(%s), bit.tohex(%s))", n, n, n, n))
	}
	shifts := []string{"0", "1", "4", "31", "32", "33", "-1", "-31", "100", "7.5", "2^32+3"}
	for i, n := range shifts {
		for j, v := range []string{"1", "-1", "0x80000000", "0x12345678", "-0x12345678", "2^40+5"} {
			add(fmt.Sprintf("shift/%d/%d", i, j), fmt.Sprintf(
				"return A(bit.lshift(%[1]s, %[2]s), bit.rshift(%[1]s, %[2]s), bit.arshift(%[1]s, %[2]s), bit.rol(%[1]s, %[2]s), bit.ror(%[1]s, %[2]s))", v, n))
		}
	}
	for i, n := range []string{"0", "1", "2", "7", "8", "9", "100", "-1", "-4", "-8", "-9", "2^32+4", "-2^31+1", "'3'"} {
		add(fmt.Sprintf("tohex/%d", i), fmt.Sprintf("return A(bit.tohex(0x1234abcd, %[1]s), bit.tohex(-1, %[1]s), bit.tohex(255, %[1]s))", n))
	}
	add("ops/multi", "return A(bit.band(0xff, 0x0f, 0x3c), bit.bor(1, 2, 4, 8, 2^31), bit.bxor(0xff, 0x0f, 1), bit.band(), bit.bor(5), bit.bxor(-1, 1))")
	add("ops/strings", "return A(bit.band('255', '15'), bit.bor(' 1 ', '0x10'))")
	add("ops/fractions", "return A(bit.band(3.7, 7), bit.bor(0.5, 1.5), bit.bxor(-0.5, 0))")
	add("ops/mixed-width", "return A(bit.band(2^40 + 0xff, 0x0f), bit.bor(-2^40, 1))")
	add("fields", "local k = {} for name in pairs(bit) do k[#k + 1] = name end table.sort(k) return table.concat(k, ',')")

	add("err/tobit-string", "return bit.tobit('x')")
	add("err/tobit-none", "return bit.tobit()")
	add("err/tobit-nil", "return bit.tobit(nil)")
	add("err/tobit-table", "return bit.tobit({})")
	add("err/tobit-bool", "return bit.tobit(true)")
	add("err/bnot-fn", "return bit.bnot(type)")
	add("err/band-second", "return bit.band(1, 'x')")
	add("err/band-order", "return bit.band(1, 'x', {})")
	add("err/band-first", "return bit.band('y', {})")
	add("err/lshift-none", "return bit.lshift(1)")
	add("err/lshift-first", "return bit.lshift(nil, 'a')")
	add("err/tohex-nil", "return bit.tohex(1, nil)")
	add("err/tohex-str", "return bit.tohex('z')")
	add("err/pcall", "return A(pcall(bit.tobit, 'x'))")
	add("err/local-alias", "local f = bit.bor\nreturn f(1, {})")
	add("err/line", "local x = 1\n\nreturn bit.bxor(x, 'q')")
	add("err/userdata", "return bit.tobit(cjson.null)")
	add("err/empty-string", "return bit.tobit('')")
	add("tohex/minint", "return A(bit.tohex(0xabcdef, -2^31), bit.tohex(0xabcdef, 2^31))")
	add("tohex/minint-pcall", "return A(pcall(bit.tohex, 1, 2^31))")
	// Lua 5.1 string-to-number coercion (luaO_str2d over glibc strtod).
	for i, str := range []string{"0x", "0x1p4", "0X1P-2", "0x.8", "0x1.", "1e", "1e+", "1e5", ".5", "5.", ".",
		"inf", "-inf", "Infinity", "nan", "-nan", "nan(7)", "1 2", "\\t5\\n", "5\\0x", " ", "", "+5", "++5",
		"0b101", "1_000", "0o17", "017", "1e400", "-1e400", "0x7fffffffffffffff", "infinityx", "  -0x10  ", "\\v7\\f"} {
		add(fmt.Sprintf("coerce/%d", i), fmt.Sprintf("return A(pcall(bit.tobit, '%s'))", str))
	}
	add("zero-string-ok", "return A(bit.tobit('0'), bit.tobit(' 0x0 '), bit.tobit('-0'))")
	runCompare(t, cases)
}
