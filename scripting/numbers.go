package scripting

import (
	"math"
	"strconv"
	"strings"
)

// Number formatting and parsing as Redis's Lua 5.1 does it. gopher-lua
// formats numbers the Go way (1e15 prints as 1000000000000000, 1/3 with 16
// digits) and its tonumber rejects "1e5"; the functions here are what the
// sandbox's tostring, tonumber and string.format use instead.

// formatLuaNumber is Lua 5.1's tostring of a number: printf("%.14g"), with
// the C library's spelling of infinities and NaNs.
func formatLuaNumber(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e14 {
		if f == 0 && math.Signbit(f) {
			return "-0"
		}
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// appendArgNumber appends how a number passed to redis.call becomes a command
// argument: an integer when it is whole and fits, otherwise the shortest
// form that reads back as the same double (Redis 7.2's rule; 7.0 printed
// %.17g, so 0.1 reached commands as 0.10000000000000001).
func appendArgNumber(dst []byte, f float64) []byte {
	if f >= -(math.MaxInt64/2) && f <= math.MaxInt64/2 && f == math.Trunc(f) {
		return strconv.AppendInt(dst, int64(f), 10)
	}
	return append(dst, fpconvDtoa(f)...)
}

// fpconvDtoa formats f like Redis's fpconv_dtoa: the shortest digits that
// round-trip, written plainly unless the exponent is far from the digits.
func fpconvDtoa(f float64) string {
	var b strings.Builder
	if math.Signbit(f) {
		b.WriteByte('-')
		f = -f
	}
	switch {
	case f == 0:
		b.WriteByte('0')
		return b.String()
	case math.IsInf(f, 0):
		b.WriteString("inf")
		return b.String()
	case math.IsNaN(f):
		b.WriteString("nan")
		return b.String()
	}
	// Shortest digits and decimal exponent from Go's formatter:
	// d.ddddde±XX.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, expPart, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp10, _ := strconv.Atoi(expPart)
	nd := len(digits)
	k := exp10 - (nd - 1) // value = digits × 10^k
	absExp := exp10
	if absExp < 0 {
		absExp = -absExp
	}
	neg := b.Len() > 0
	switch {
	case k >= 0 && absExp < nd+7:
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", k))
	case k < 0 && (k > -7 || absExp < 4):
		offset := nd + k
		if offset <= 0 {
			b.WriteString("0.")
			b.WriteString(strings.Repeat("0", -offset))
			b.WriteString(digits)
		} else {
			b.WriteString(digits[:offset])
			b.WriteByte('.')
			b.WriteString(digits[offset:])
		}
	default:
		limit := 18
		if neg {
			limit = 17
		}
		if nd > limit {
			digits = digits[:limit]
			nd = limit
		}
		b.WriteByte(digits[0])
		if nd > 1 {
			b.WriteByte('.')
			b.WriteString(digits[1:])
		}
		b.WriteByte('e')
		if exp10 < 0 {
			b.WriteByte('-')
		} else {
			b.WriteByte('+')
		}
		b.WriteString(strconv.Itoa(absExp))
	}
	return b.String()
}

// parseLuaNumber is Lua 5.1's string-to-number conversion (luaO_str2d):
// C's strtod, which takes decimal and hexadecimal forms, "inf" and "nan",
// surrounded by optional whitespace.
func parseLuaNumber(s string) (float64, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	n := strtodPrefix(s)
	if n == 0 {
		return 0, false
	}
	rest := strings.TrimLeft(s[n:], " \t\n\v\f\r")
	if rest != "" {
		return 0, false
	}
	return strtodValue(s[:n])
}

// strtodPrefix returns the length of the longest prefix of s that strtod
// accepts, or 0.
func strtodPrefix(s string) int {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	lower := strings.ToLower(s[i:])
	switch {
	case strings.HasPrefix(lower, "infinity"):
		return i + 8
	case strings.HasPrefix(lower, "inf"):
		return i + 3
	case strings.HasPrefix(lower, "nan"):
		return i + 3
	}
	if strings.HasPrefix(lower, "0x") {
		j := i + 2
		digits := 0
		for j < len(s) && isHex(s[j]) {
			j++
			digits++
		}
		if j < len(s) && s[j] == '.' {
			j++
			for j < len(s) && isHex(s[j]) {
				j++
				digits++
			}
		}
		if digits == 0 {
			return i + 1 // "0" of "0x"
		}
		if j < len(s) && (s[j] == 'p' || s[j] == 'P') {
			if k := exponentEnd(s, j+1); k > 0 {
				j = k
			}
		}
		return j
	}
	j := i
	digits := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
			digits++
		}
	}
	if digits == 0 {
		return 0
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		if k := exponentEnd(s, j+1); k > 0 {
			j = k
		}
	}
	return j
}

// exponentEnd returns where an exponent's digits (after the 'e' or 'p' at
// i-1) end, or 0 if there are none.
func exponentEnd(s string, i int) int {
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == start {
		return 0
	}
	return i
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// strtodValue converts a prefix accepted by strtodPrefix.
func strtodValue(s string) (float64, bool) {
	neg := false
	body := s
	if body[0] == '+' || body[0] == '-' {
		neg = body[0] == '-'
		body = body[1:]
	}
	lower := strings.ToLower(body)
	var f float64
	switch {
	case strings.HasPrefix(lower, "inf"):
		f = math.Inf(1)
	case lower == "nan":
		f = math.NaN()
	case strings.HasPrefix(lower, "0x"):
		hex := lower
		if !strings.ContainsAny(hex, "p") {
			hex += "p0"
		}
		v, err := strconv.ParseFloat(hex, 64)
		if err != nil && !isRangeErr(err) {
			return 0, false
		}
		f = v
	default:
		v, err := strconv.ParseFloat(body, 64)
		if err != nil && !isRangeErr(err) {
			return 0, false
		}
		f = v
	}
	if neg {
		f = -f
	}
	return f, true
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// parseLuaInteger is tonumber(s, base) for a base other than 10: an
// unsigned integer in that base (strtoul), surrounded by whitespace.
func parseLuaInteger(s string, base int) (float64, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c >= 'a' && c <= 'z':
			d = int(c-'a') + 10
		case c >= 'A' && c <= 'Z':
			d = int(c-'A') + 10
		default:
			return 0, false
		}
		if d >= base {
			return 0, false
		}
		n = n*uint64(base) + uint64(d)
	}
	f := float64(n)
	if neg {
		f = -f
	}
	return f, true
}
