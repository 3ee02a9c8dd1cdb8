package codec

import (
	"errors"
	"testing"
)

// A string's encoding rides in its type byte's top bits: it round-trips,
// records written before it existed read as StringByContent, and those
// bits on any other type, or an encoding this build does not know, are
// corruption rather than a string.
func TestStringEncodingInTheTypeByte(t *testing.T) {
	for _, enc := range []StringEncoding{StringByContent, StringRaw, StringText} {
		b := EncodeMeta(&Meta{Type: TypeString, ExpireAt: 42, Value: []byte("12"), StringEnc: enc})
		m, err := DecodeMeta(b)
		if err != nil || m.Type != TypeString || m.StringEnc != enc || m.ExpireAt != 42 || string(m.Value) != "12" {
			t.Fatalf("encoding %d: %+v, %v", enc, m, err)
		}
	}
	old := append([]byte{byte(TypeString)}, make([]byte, 8)...)
	if m, err := DecodeMeta(append(old, "7"...)); err != nil || m.StringEnc != StringByContent {
		t.Fatalf("a record from before encodings: %+v, %v", m, err)
	}
	set := EncodeMeta(&Meta{Type: TypeSet, Version: 1, Count: 1})
	set[0] |= byte(StringRaw) << stringEncodingShift
	if _, err := DecodeMeta(set); !errors.Is(err, ErrCorruptMeta) {
		t.Fatalf("a set with encoding bits: %v", err)
	}
	bad := EncodeMeta(&Meta{Type: TypeString, Value: []byte("x")})
	bad[0] |= 3 << stringEncodingShift
	if _, err := DecodeMeta(bad); !errors.Is(err, ErrCorruptMeta) {
		t.Fatalf("an unknown encoding: %v", err)
	}
}

func TestStringEncodingNames(t *testing.T) {
	long := make([]byte, 45)
	for _, tc := range []struct {
		enc   StringEncoding
		value string
		want  string
	}{
		{StringByContent, "12", "int"},
		{StringByContent, "-9223372036854775808", "int"},
		{StringByContent, "01", "embstr"},
		{StringByContent, "9223372036854775808", "embstr"},
		{StringByContent, string(long[:44]), "embstr"},
		{StringByContent, string(long), "raw"},
		{StringRaw, "12", "raw"},
		{StringRaw, "", "raw"},
		{StringText, "3", "embstr"},
		{StringText, string(long), "raw"},
	} {
		if got := tc.enc.Name([]byte(tc.value)); got != tc.want {
			t.Errorf("encoding %d of %q: %s, want %s", tc.enc, tc.value, got, tc.want)
		}
	}
}
