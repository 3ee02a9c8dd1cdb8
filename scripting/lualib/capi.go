package lualib

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The helpers in this file reproduce the observable behaviour of the parts
// of the Lua 5.1 C API and auxiliary library that the Redis libraries lean
// on. gopher-lua's own helpers differ in small ways (argument error
// wording, string/number coercions, number formatting), and scripts can see
// those differences in error texts and results.

// luaMaxCStack is LUAI_MAXCSTACK from Redis's luaconf.h: the number of stack
// slots a C function may hold. Several libraries report "stack overflow"
// errors when they would exceed it, so the emulation keeps the same budget.
const luaMaxCStack = 8000

// where reproduces luaL_where(L, 1): the position of the function that
// called the running Go function, but only when that caller is a Lua
// function (a C caller such as pcall yields no prefix in Lua 5.1).
// gopher-lua's own RaiseError skips over Go frames instead, which would put
// a prefix on errors caught by pcall(cjson.encode, ...).
func where(L *lua.LState) string {
	dbg, ok := L.GetStack(1)
	if !ok {
		return ""
	}
	fn, err := L.GetInfo("Slf", dbg, lua.LNil)
	if err != nil {
		return ""
	}
	if f, ok := fn.(*lua.LFunction); !ok || f.IsG {
		return ""
	}
	if dbg.CurrentLine <= 0 {
		return ""
	}
	return fmt.Sprintf("%s:%d: ", dbg.Source, dbg.CurrentLine)
}

// raise is luaL_error: the message carries the caller's position.
func raise(L *lua.LState, format string, args ...interface{}) {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	// Level 0 stops gopher-lua from adding a position of its own.
	L.Error(lua.LString(where(L)+msg), 0)
}

// funcName is the name luaL_argerror prints for the running function.
func funcName(L *lua.LState) string {
	dbg, ok := L.GetStack(0)
	if !ok {
		return "?"
	}
	if _, err := L.GetInfo("n", dbg, lua.LNil); err != nil {
		return "?"
	}
	// gopher-lua names functions it cannot name "(anonymous)"; Lua 5.1
	// falls back to "?".
	if dbg.Name == "" || dbg.Name == "(anonymous)" || dbg.Name == "?" {
		return "?"
	}
	return dbg.Name
}

// argError is luaL_argerror.
func argError(L *lua.LState, narg int, msg string) {
	raise(L, "bad argument #%d to '%s' (%s)", narg, funcName(L), msg)
}

// typeError is luaL_typerror.
func typeError(L *lua.LState, narg int, expected string) {
	argError(L, narg, expected+" expected, got "+typeNameAt(L, narg))
}

// typeNameAt is luaL_typename: Lua 5.1's names, including "no value" for a
// missing argument.
func typeNameAt(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return typeName(L.Get(n))
}

// typeName is lua_typename(lua_type(v)). Light and full userdata share the
// name "userdata" in Lua 5.1, which is what cjson.null reports.
func typeName(v lua.LValue) string {
	switch v.(type) {
	case *lua.LNilType:
		return "nil"
	case lua.LBool:
		return "boolean"
	case lua.LNumber:
		return "number"
	case lua.LString:
		return "string"
	case *lua.LTable:
		return "table"
	case *lua.LFunction:
		return "function"
	case *lua.LUserData:
		return "userdata"
	case *lua.LState:
		return "thread"
	}
	return v.Type().String()
}

// isNoneOrNil is lua_isnoneornil.
func isNoneOrNil(L *lua.LState, n int) bool {
	return n > L.GetTop() || L.Get(n) == lua.LNil
}

// toNumber is lua_tonumber plus lua_isnumber: numbers, and strings that
// Lua 5.1 would coerce.
func toNumber(v lua.LValue) (float64, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x), true
	case lua.LString:
		return str2number(string(x))
	}
	return 0, false
}

// checkNumber is luaL_checknumber.
func checkNumber(L *lua.LState, n int) float64 {
	d, ok := toNumber(L.Get(n))
	if !ok {
		typeError(L, n, "number")
	}
	return d
}

// checkInteger is luaL_checkinteger (lua_Integer is 64-bit in Redis).
func checkInteger(L *lua.LState, n int) int64 {
	return d2i64(checkNumber(L, n))
}

// optInteger is luaL_optinteger.
func optInteger(L *lua.LState, n int, def int64) int64 {
	if isNoneOrNil(L, n) {
		return def
	}
	return checkInteger(L, n)
}

// checkLString is luaL_checklstring: strings, or numbers rendered the way
// Lua 5.1 renders them.
func checkLString(L *lua.LState, n int) string {
	switch x := L.Get(n).(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		return number2str(float64(x))
	}
	typeError(L, n, "string")
	return ""
}

// cString truncates s at its first NUL byte: the C libraries see Lua
// strings through const char* in these places and stop there.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// d2i64 converts like a C cast from double to a 64-bit integer on x86-64:
// values that do not fit (and NaN) become the "integer indefinite" value.
func d2i64(d float64) int64 {
	if d != d || d >= 9223372036854775808.0 || d < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(d)
}

// d2i32 is the x86-64 C cast from double to int.
func d2i32(d float64) int32 {
	if d != d || d >= 2147483648.0 || d < -2147483648.0 {
		return math.MinInt32
	}
	return int32(d)
}

// d2u64 is the x86-64 C cast from double to an unsigned 64-bit integer as
// GCC emits it: a signed conversion unless d >= 2^63 (so NaN takes the
// signed path), otherwise a conversion of d-2^63 with the top bit flipped.
func d2u64(d float64) uint64 {
	if !(d >= 9223372036854775808.0) {
		return uint64(d2i64(d))
	}
	return uint64(d2i64(d-9223372036854775808.0)) ^ (1 << 63)
}

// number2str is lua_number2str: printf("%.14g").
func number2str(d float64) string {
	return formatG(d, 14)
}

// formatG renders d like C's printf("%.<prec>g") in glibc.
func formatG(d float64, prec int) string {
	switch {
	case math.IsInf(d, 1):
		return "inf"
	case math.IsInf(d, -1):
		return "-inf"
	case d != d:
		if math.Signbit(d) {
			return "-nan"
		}
		return "nan"
	}
	if prec <= 0 {
		prec = 1
	}
	// The exponent C uses to pick a style is the one of the value rounded
	// to prec significant digits, which is exactly what %e yields.
	e := strconv.FormatFloat(d, 'e', prec-1, 64)
	i := strings.LastIndexByte(e, 'e')
	x, _ := strconv.Atoi(e[i+1:])
	if x < -4 || x >= prec {
		return trimFraction(e[:i]) + e[i:]
	}
	return trimFraction(strconv.FormatFloat(d, 'f', prec-1-x, 64))
}

// trimFraction drops trailing zeros of a fraction, and the point itself
// when nothing remains after it, as %g does without the '#' flag.
func trimFraction(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// str2number is luaO_str2d as built for Redis (LUA_ANSI, glibc strtod):
// the whole string, up to its first NUL, must be a number optionally
// surrounded by white space.
func str2number(s string) (float64, bool) {
	s = cString(s)
	d, n := strtod(s)
	if n == 0 {
		return 0, false
	}
	// luaO_str2d retries with strtoul when strtod stops at an 'x', but
	// glibc's strtod already consumes every hexadecimal form that strtoul
	// would accept, so that retry can never succeed and is not modelled.
	for _, c := range []byte(s[n:]) {
		if !isSpace(c) {
			return 0, false
		}
	}
	return d, true
}

func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHexDigit(c byte) bool {
	return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f')
}

func isAlnum(c byte) bool {
	return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// strtod reproduces glibc's strtod in the C locale: it returns the value
// and how many bytes of s form the longest valid prefix (0 when none does).
// Besides plain decimals it accepts hexadecimal floats, "inf", "infinity"
// and "nan(...)", all of which Lua scripts in Redis can reach through
// tonumber-style coercions and cjson.decode.
func strtod(s string) (float64, int) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	sign := func(d float64) float64 {
		if neg {
			return -d
		}
		return d
	}
	rest := s[i:]
	switch {
	case hasPrefixFold(rest, "infinity"):
		return sign(math.Inf(1)), i + 8
	case hasPrefixFold(rest, "inf"):
		return sign(math.Inf(1)), i + 3
	case hasPrefixFold(rest, "nan"):
		return sign(parseNaN(rest[3:])), i + 3 + nanSuffixLen(rest[3:])
	case len(rest) >= 2 && rest[0] == '0' && rest[1]|0x20 == 'x':
		if d, n, ok := parseHexFloat(rest[2:]); ok {
			return sign(d), i + 2 + n
		}
		// "0x" without digits: only the "0" is a number.
		return sign(0), i + 1
	}
	j := 0
	digits := 0
	for j < len(rest) && isDigit(rest[j]) {
		j++
		digits++
	}
	if j < len(rest) && rest[j] == '.' {
		j++
		for j < len(rest) && isDigit(rest[j]) {
			j++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0
	}
	j += exponentLen(rest[j:], 'e')
	d, _ := strconv.ParseFloat(rest[:j], 64)
	return sign(d), i + j
}

// exponentLen measures an exponent part introduced by marker ('e' or 'p')
// that has at least one digit; otherwise the marker is not consumed.
func exponentLen(s string, marker byte) int {
	if len(s) == 0 || s[0]|0x20 != marker {
		return 0
	}
	k := 1
	if k < len(s) && (s[k] == '+' || s[k] == '-') {
		k++
	}
	if k >= len(s) || !isDigit(s[k]) {
		return 0
	}
	for k < len(s) && isDigit(s[k]) {
		k++
	}
	return k
}

// parseHexFloat reads the part of a hexadecimal float after "0x".
func parseHexFloat(s string) (float64, int, bool) {
	j := 0
	digits := 0
	for j < len(s) && isHexDigit(s[j]) {
		j++
		digits++
	}
	mant := s[:j]
	if j < len(s) && s[j] == '.' {
		k := j + 1
		for k < len(s) && isHexDigit(s[k]) {
			k++
			digits++
		}
		if digits > 0 {
			mant = s[:k]
			j = k
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	exp := "p0"
	if n := exponentLen(s[j:], 'p'); n > 0 {
		exp = s[j : j+n]
		j += n
	}
	if strings.HasSuffix(mant, ".") {
		mant += "0"
	}
	if strings.HasPrefix(mant, ".") {
		mant = "0" + mant
	}
	d, _ := strconv.ParseFloat("0x"+mant+exp, 64)
	return d, j, true
}

// nanSuffixLen is the length of a "(n-char-sequence)" after "nan", or 0.
func nanSuffixLen(s string) int {
	if len(s) == 0 || s[0] != '(' {
		return 0
	}
	k := 1
	for k < len(s) && (isAlnum(s[k]) || s[k] == '_') {
		k++
	}
	if k < len(s) && s[k] == ')' {
		return k + 1
	}
	return 0
}

// parseNaN builds the NaN glibc returns for "nan(...)": the sequence, read
// as an integer with C base rules, becomes the payload if it is non-zero.
func parseNaN(s string) float64 {
	const quietNaN = 0x7ff8000000000000
	n := nanSuffixLen(s)
	if n == 0 {
		return math.Float64frombits(quietNaN)
	}
	seq := s[1 : n-1]
	var mant uint64
	var err error
	switch {
	case len(seq) > 1 && seq[0] == '0' && seq[1]|0x20 == 'x':
		mant, err = strconv.ParseUint(seq[2:], 16, 64)
	case len(seq) > 1 && seq[0] == '0':
		mant, err = strconv.ParseUint(seq[1:], 8, 64)
	default:
		mant, err = strconv.ParseUint(seq, 10, 64)
	}
	if err != nil || seq == "" {
		return math.Float64frombits(quietNaN)
	}
	payload := mant & (1<<51 - 1)
	if payload == 0 {
		return math.Float64frombits(quietNaN)
	}
	return math.Float64frombits(quietNaN | payload)
}
