package codec_test

import (
	"math"
	"testing"

	"moonstone/codec"
)

// The expected values are what glibc's strtod gives and what Redis 7.0
// does with it (string2d for arguments, zslParseRange for range bounds).
func TestParseFloatIsRedisString2d(t *testing.T) {
	inf := math.Inf(1)
	for _, c := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1", 1, true}, {"-1.5", -1.5, true}, {".5", 0.5, true}, {"5.", 5, true}, {"+.5e1", 5, true},
		{"inf", inf, true}, {"+inf", inf, true}, {"-INF", -inf, true}, {"Infinity", inf, true},
		{"0x10", 16, true}, {"0x1p3", 8, true}, {"0x1.8", 1.5, true}, {"0X.8P1", 1, true},
		{"4e-320", 4e-320, true},                                        // a denormal result is accepted
		{"1e400", 0, false}, {"-1e400", 0, false}, {"1e-400", 0, false}, // ERANGE
		{"nan", 0, false}, {"-nan", 0, false}, {"", 0, false}, {" 1", 0, false}, {"1 ", 0, false},
		{"1_0", 0, false}, {"1e", 0, false}, {"0x", 0, false}, {"infinit", 0, false}, {"-", 0, false},
		{"1\x002", 0, false},
		{"179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.00000000000000000", math.MaxFloat64, true},
	} {
		got, ok := codec.ParseFloat([]byte(c.in))
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("ParseFloat(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseRangeFloatIsRedisStrtod(t *testing.T) {
	inf := math.Inf(1)
	for _, c := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1", 1, true}, {"", 0, true}, {" 1", 1, true}, {"\t-2", -2, true}, {"1e400", inf, true},
		{"-1e400", -inf, true}, {"0x10", 16, true}, {"1\x00junk", 1, true},
		{"1 ", 0, false}, {"nan", 0, false}, {"a", 0, false}, {"(1", 0, false},
	} {
		got, ok := codec.ParseRangeFloat([]byte(c.in))
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("ParseRangeFloat(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestFormatDoubleIsPercent17g(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "-0"}, {1, "1"}, {-2.5, "-2.5"}, {0.1, "0.10000000000000001"},
		{1.5e-7, "1.4999999999999999e-07"}, {1e16, "10000000000000000"}, {1e17, "1e+17"},
		{72057594037927952, "72057594037927952"}, {99999999999999984, "99999999999999984"},
		{3.999955468730732e-320, "3.999955468730732e-320"}, {math.MaxFloat64, "1.7976931348623157e+308"},
		{math.Inf(1), "inf"}, {math.Inf(-1), "-inf"},
	} {
		if got := codec.FormatDouble(c.in); got != c.want {
			t.Errorf("FormatDouble(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}
