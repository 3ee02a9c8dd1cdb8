package codec

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// ParseInt parses b the way Redis's string2ll does: optional '-', digits,
// no '+', no spaces, no leading zeros, and within int64.
func ParseInt(b []byte) (int64, bool) {
	n := len(b)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	i := 0
	if b[0] == '-' {
		neg = true
		i = 1
		if n == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// ParseFloat parses b the way Redis's string2d does for scores, weights and
// other double arguments: strtod over the whole string, no leading space,
// NaN rejected, and a result that overflowed to ±inf or underflowed to zero
// rejected (a denormal result is accepted). "inf", "-inf", "+inf",
// "infinity" and C hex floats ("0x10", "0x1p3") are accepted as strtod
// accepts them.
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || isSpace(b[0]) {
		return 0, false
	}
	f, n, erange := strtod(b)
	if n != len(b) || math.IsNaN(f) || erange {
		return 0, false
	}
	return f, true
}

// ParseRangeFloat parses a score-range bound the way Redis's zslParseRange
// does with a bare strtod: leading whitespace is skipped, an empty string
// reads as 0, overflow gives ±inf, and the parse must end at the end of the
// string or at a NUL byte (C stops reading there). NaN is rejected.
func ParseRangeFloat(b []byte) (float64, bool) {
	f, n, _ := strtod(b)
	if (n != len(b) && b[n] != 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// strtod reads the longest prefix of b that C's strtod accepts (C locale)
// and returns its value, its length (0 when no number was read, in which
// case the value is 0) and whether strtod would set ERANGE with a result
// of ±HUGE_VAL or zero, which string2d treats as an error.
func strtod(b []byte) (f float64, n int, erange bool) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	start := i
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	sign := 1.0
	if neg {
		sign = -1
	}
	rest := b[i:]
	switch {
	case hasFold(rest, "infinity"):
		return math.Inf(int(sign)), i + 8, false
	case hasFold(rest, "inf"):
		return math.Inf(int(sign)), i + 3, false
	case hasFold(rest, "nan"):
		n := i + 3
		if j := n; j < len(b) && b[j] == '(' {
			for j++; j < len(b) && (isAlnum(b[j]) || b[j] == '_'); j++ {
			}
			if j < len(b) && b[j] == ')' {
				n = j + 1
			}
		}
		return math.NaN(), n, false
	}
	if len(rest) >= 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X') {
		if m, ok := hexFloat(b[i+2:]); ok {
			lit := "0x" + m.mantissa + "p" + m.exp
			v, err := strconv.ParseFloat(lit, 64)
			erange = (err != nil && math.IsInf(v, 0)) || (v == 0 && m.nonzero)
			return sign * v, i + 2 + m.n, erange
		}
		// "0x" without hex digits: strtod reads the "0".
		return 0 * sign, i + 1, false
	}
	j := i
	digits, nonzero := 0, false
	for ; j < len(b) && isDigit(b[j]); j++ {
		digits++
		nonzero = nonzero || b[j] != '0'
	}
	if j < len(b) && b[j] == '.' {
		j++
		for ; j < len(b) && isDigit(b[j]); j++ {
			digits++
			nonzero = nonzero || b[j] != '0'
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	j = exponent(b, j, 'e')
	v, err := strconv.ParseFloat(string(b[start:j]), 64)
	erange = (err != nil && math.IsInf(v, 0)) || (v == 0 && nonzero)
	return v, j, erange
}

type hexParts struct {
	mantissa, exp string
	n             int // bytes consumed after "0x"
	nonzero       bool
}

// hexFloat reads a C hex float body (after "0x"): hex digits with an
// optional point, then an optional binary exponent.
func hexFloat(b []byte) (hexParts, bool) {
	var h hexParts
	j, digits := 0, 0
	for ; j < len(b) && isHex(b[j]); j++ {
		digits++
		h.nonzero = h.nonzero || b[j] != '0'
	}
	if j < len(b) && b[j] == '.' {
		k := j + 1
		for ; k < len(b) && isHex(b[k]); k++ {
			digits++
			h.nonzero = h.nonzero || b[k] != '0'
		}
		if digits > 0 {
			j = k
		}
	}
	if digits == 0 {
		return h, false
	}
	h.mantissa = string(b[:j])
	h.exp = "0"
	if e := exponent(b, j, 'p'); e > j {
		h.exp = string(b[j+1 : e])
		j = e
	}
	h.n = j
	return h, true
}

// exponent returns the end of an optional exponent (marker, sign, digits)
// starting at j; an exponent without digits is not part of the number.
func exponent(b []byte, j int, marker byte) int {
	if j >= len(b) || (b[j]|0x20) != marker {
		return j
	}
	k := j + 1
	if k < len(b) && (b[k] == '+' || b[k] == '-') {
		k++
	}
	if k >= len(b) || !isDigit(b[k]) {
		return j
	}
	for k < len(b) && isDigit(b[k]) {
		k++
	}
	return k
}

func hasFold(b []byte, word string) bool {
	return len(b) >= len(word) && strings.EqualFold(string(b[:len(word)]), word)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
func isAlnum(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z') }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// FormatInt formats v in decimal.
func FormatInt(v int64) string { return strconv.FormatInt(v, 10) }

// FormatDouble formats f as Redis 7.0 replies with a double in RESP2 (ZSCORE,
// ZINCRBY, WITHSCORES): "%.17g", with "inf", "-inf", and "nan" or "-nan"
// by the sign bit, as glibc prints them.
func FormatDouble(f float64) string {
	if math.IsNaN(f) {
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	}
	if math.IsInf(f, 1) {
		return "inf"
	}
	if math.IsInf(f, -1) {
		return "-inf"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e17 {
		// The exact integer form, which is what %.17g prints here too
		// (every digit, not the shortest form that reads back the same:
		// 72057594037927952, not ...950).
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}

// longDoublePrec is the mantissa width of the x87 long double that Redis
// uses for INCRBYFLOAT and HINCRBYFLOAT.
const longDoublePrec = 64

// ParseLongDouble parses an INCRBYFLOAT operand or stored value the way
// Redis's string2ld does (strtold: no leading space, whole string, no NaN),
// into a float with long double precision.
func ParseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || isSpace(b[0]) || len(b) > 5000 {
		return nil, false
	}
	s := strings.ToLower(string(b))
	switch strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+") {
	case "inf", "infinity":
		return new(big.Float).SetInf(s[0] == '-'), true
	}
	// strtold reads decimal and C99 hexadecimal ("0x1.8p3") numbers; base 0
	// gives both, but also Go's 0b and 0o prefixes, which strtold stops at.
	unsigned := strings.TrimLeft(s, "+-")
	if strings.ContainsAny(s, "_n") || strings.HasPrefix(unsigned, "0b") || strings.HasPrefix(unsigned, "0o") {
		return nil, false
	}
	f, _, err := big.ParseFloat(s, 0, longDoublePrec, big.ToNearestEven)
	if err != nil {
		return nil, false
	}
	// Redis refuses what strtold reports as out of range: an overflow to
	// infinity, or an underflow to zero (below half the smallest long
	// double denormal, 2^-16445).
	if f.Sign() != 0 {
		if exp := f.MantExp(nil); exp > longDoubleMaxExp || exp < longDoubleMinExp {
			return nil, false
		}
	}
	return f, true
}

// The binary exponent range of the x87 long double, as big.Float.MantExp
// reports it (mantissa in [0.5, 1)).
const (
	longDoubleMaxExp = 16384
	longDoubleMinExp = -16445
)

// AddLongDouble adds a and b with long double precision and reports false
// when the result is infinite (Redis refuses to store NaN or Infinity).
func AddLongDouble(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	r := new(big.Float).SetPrec(longDoublePrec).SetMode(big.ToNearestEven).Add(a, b)
	// Beyond the long double range strtold and the x87 unit would overflow.
	if r.MantExp(nil) > longDoubleMaxExp {
		return nil, false
	}
	return r, true
}

// FormatLongDouble formats f as Redis's ld2string in human mode: "%.17Lf"
// with trailing zeros (and a trailing point) removed.
func FormatLongDouble(f *big.Float) string {
	s := f.Text('f', 17)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// FormatHumanDouble formats f as Redis's addReplyHumanLongDouble does for
// a double (GEOPOS's coordinates): its exact value with 17 decimals, then
// trailing zeros and point removed.
func FormatHumanDouble(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return FormatDouble(f)
	}
	return FormatLongDouble(new(big.Float).SetFloat64(f))
}

// FormatFixed4 formats f with four decimals as Redis's
// fixedpoint_d2string(f, 4) does for distances (GEODIST, WITHDIST): f
// times 10^4 rounded half to even (llrint) and written as an integer with
// a point before its last four digits. Zero, and anything that rounds to
// zero, is "0.0000".
func FormatFixed4(f float64) string {
	scaled := f * 10000
	var n int64
	if r := math.RoundToEven(scaled); r >= -9223372036854775808.0 && r < 9223372036854775808.0 {
		n = int64(r)
	} else {
		n = math.MinInt64 // llrint's answer out of range, as on x86-64
	}
	var digits string
	neg := n < 0
	if neg {
		digits = strconv.FormatUint(uint64(-(n+1))+1, 10)
	} else {
		digits = strconv.FormatInt(n, 10)
	}
	for len(digits) < 5 {
		digits = "0" + digits
	}
	cut := len(digits) - 4
	s := digits[:cut] + "." + digits[cut:]
	if neg {
		s = "-" + s
	}
	return s
}

// FormatCFloat is C's printf "%f": six decimals, exact digits, "inf" and
// "-inf" for infinities.
func FormatCFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return FormatDouble(f)
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}
