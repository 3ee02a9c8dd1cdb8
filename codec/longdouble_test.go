package codec_test

import (
	"testing"

	"moonstone/codec"
)

// ParseLongDouble must accept and refuse what Redis's string2ld (strtold)
// does; the expected texts are what redis-server 7.0.15's INCRBYFLOAT k v
// stores for a fresh key.
func TestParseLongDoubleLikeStrtold(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" = refused
	}{
		{"1.5", "1.5"},
		{"+1", "1"},
		{".5", "0.5"},
		{"5.", "5"},
		{"1e3", "1000"},
		{"0x10", "16"},
		{"-0x10", "-16"},
		{"0X1A", "26"},
		{"0x1p3", "8"},
		{"0x.8", "0.5"},
		{"1e-4940", "0"}, // a denormal: in range
		{"0e-5000", "0"},
		{"1e5000", ""},  // overflows to infinity
		{"1e-5000", ""}, // underflows to zero
		{"0x", ""},
		{"0b1", ""},
		{"0o7", ""},
		{" 1", ""},
		{"1 ", ""},
		{"", ""},
		{"1_0", ""},
		{"nan", ""},
		{"abc", ""},
	} {
		f, ok := codec.ParseLongDouble([]byte(tc.in))
		if tc.want == "" {
			if ok {
				t.Errorf("ParseLongDouble(%q) = %v, want refused", tc.in, f)
			}
			continue
		}
		if !ok {
			t.Errorf("ParseLongDouble(%q) refused, want %s", tc.in, tc.want)
			continue
		}
		if got := codec.FormatLongDouble(f); got != tc.want {
			t.Errorf("ParseLongDouble(%q) formats as %s, want %s", tc.in, got, tc.want)
		}
	}
}
