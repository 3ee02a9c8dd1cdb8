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

// ParseFloat parses b the way Redis's string2d (strtod) does for scores and
// arguments: no leading space, the whole string consumed, "inf"/"-inf"
// accepted, NaN rejected.
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || isSpace(b[0]) {
		return 0, false
	}
	s := string(b)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// strtod returns ±HUGE_VAL on overflow and Redis accepts it; it also
		// accepts denormal underflow.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange && !strings.ContainsAny(s, "_") {
			return f, true
		}
		return 0, false
	}
	if math.IsNaN(f) || strings.ContainsRune(s, '_') {
		return 0, false
	}
	return f, true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// FormatInt formats v in decimal.
func FormatInt(v int64) string { return strconv.FormatInt(v, 10) }

// FormatDouble formats f as Redis 7.0 replies with a double in RESP2 (ZSCORE,
// ZINCRBY, WITHSCORES): "%.17g", with "inf" and "-inf".
func FormatDouble(f float64) string {
	if math.IsInf(f, 1) {
		return "inf"
	}
	if math.IsInf(f, -1) {
		return "-inf"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e17 {
		// The exact integer form, which is what %.17g prints here too.
		return strconv.FormatFloat(f, 'f', -1, 64)
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
