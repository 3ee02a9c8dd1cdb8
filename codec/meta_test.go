package codec

import (
	"bytes"
	"encoding/binary"
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

// A key whose expiry moved later than its expiry-index entry stores the
// entry's time apart: it round-trips with every type's own fields behind
// it, a record that stores none reads as indexed at its expiry, and a
// stored time that no write produces (at or after the expiry, or with no
// expiry) is corruption.
func TestIndexedAtRoundTrips(t *testing.T) {
	for _, m := range []Meta{
		{Type: TypeString, ExpireAt: 5000, IndexedAt: 3000, Value: []byte("v"), StringEnc: StringRaw},
		{Type: TypeZSet, ExpireAt: 5000, IndexedAt: 1, Version: 3, Count: 1, ZInline: true, ZEntries: []byte("entries")},
		{Type: TypeList, ExpireAt: 5000, IndexedAt: 4999, Version: 4, Count: 2, Head: -1, Tail: 1},
	} {
		got, err := DecodeMeta(EncodeMeta(&m))
		if err != nil || got.Type != m.Type || got.ExpireAt != m.ExpireAt || got.IndexedAt != m.IndexedAt ||
			string(got.Value) != string(m.Value) || string(got.ZEntries) != string(m.ZEntries) ||
			got.StringEnc != m.StringEnc || got.Version != m.Version || got.Head != m.Head || got.Tail != m.Tail {
			t.Fatalf("round trip of %+v: %+v, %v", m, got, err)
		}
	}
	plain := EncodeMeta(&Meta{Type: TypeString, ExpireAt: 5000, IndexedAt: 5000, Value: []byte("v")})
	if plain[0]&IndexedFlag != 0 || len(plain) != metaHeader+1 {
		t.Fatalf("an entry at the expiry is stored: %x", plain)
	}
	if m, err := DecodeMeta(plain); err != nil || m.IndexedAt != 5000 {
		t.Fatalf("a record without the time: %+v, %v", m, err)
	}
	for _, at := range []int64{5000, 6000, 0} {
		b := EncodeMeta(&Meta{Type: TypeString, ExpireAt: 5000, Value: []byte("v")})
		b[0] |= IndexedFlag
		b = append(b[:metaHeader], append(binary.BigEndian.AppendUint64(nil, uint64(at)), b[metaHeader:]...)...)
		if _, err := DecodeMeta(b); !errors.Is(err, ErrCorruptMeta) {
			t.Fatalf("indexed at %d for an expiry at 5000: %v", at, err)
		}
	}
	if _, err := DecodeMeta([]byte{byte(TypeString) | IndexedFlag, 0, 0, 0, 0, 0, 0, 0, 9, 1}); !errors.Is(err, ErrCorruptMeta) {
		t.Fatalf("a truncated indexed time: %v", err)
	}
}

// TestInlineListRoundTrips: a list's elements survive the metadata record
// with an expiry and an earlier index entry; a list of records writes no
// flags byte, so its record is as before; a flags byte without the inline
// bit is corrupt.
func TestInlineListRoundTrips(t *testing.T) {
	elems := [][]byte{[]byte("job1"), {}, []byte("job\x00\xff")}
	m := Meta{Type: TypeList, ExpireAt: 9000, IndexedAt: 7000, Version: 6, Count: 3, Tail: 3, LInline: true,
		LEntries: JoinLEntries(nil, elems)}
	got, err := DecodeMeta(EncodeMeta(&m))
	if err != nil || !got.LInline || got.Count != 3 || got.Tail != 3 || got.IndexedAt != 7000 {
		t.Fatalf("round trip of %+v: %+v, %v", m, got, err)
	}
	split, ok := SplitLEntries(nil, got.LEntries)
	if !ok || len(split) != 3 || string(split[0]) != "job1" || len(split[1]) != 0 || string(split[2]) != "job\x00\xff" {
		t.Fatalf("elements %q, %v", split, ok)
	}
	records := EncodeMeta(&Meta{Type: TypeList, Version: 6, Count: 2, Head: -1, Tail: 1})
	if len(records) != metaHeader+32 {
		t.Fatalf("a list of records takes %d bytes", len(records))
	}
	if m, err := DecodeMeta(records); err != nil || m.LInline || m.Head != -1 {
		t.Fatalf("a list of records: %+v, %v", m, err)
	}
	if _, err := DecodeMeta(append(records, 0)); !errors.Is(err, ErrCorruptMeta) {
		t.Fatalf("a flags byte without the inline bit: %v", err)
	}
	if _, ok := SplitLEntries(nil, []byte{5, 'a'}); ok {
		t.Fatal("an element cut short splits")
	}
}

// AppendMeta writes after what dst holds, and MetaLen leaves it room for
// every type: a transaction cuts exactly that much for the record.
func TestAppendMetaFitsMetaLen(t *testing.T) {
	metas := []Meta{
		{Type: TypeString, ExpireAt: 9000, IndexedAt: 5000, Value: []byte("balance"), StringEnc: StringRaw},
		{Type: TypeHash, ExpireAt: 9000, IndexedAt: 100, Version: 3, Count: 2, Ordered: true, NextSeq: 7, HInline: true, HEntries: []byte("abcdef")},
		{Type: TypeList, Version: 4, Count: 2, Tail: 2, LInline: true, LEntries: []byte("xyz")},
		{Type: TypeSet, Version: 5, Count: 1, SetHashtable: true},
		{Type: TypeZSet, ExpireAt: 9000, IndexedAt: 10, Version: 6, Count: 1, ScoreFloor: -1.5, ZInline: true, ZEntries: []byte("member")},
		{Type: TypeStream, ExpireAt: 9000, IndexedAt: 10, Version: 7, Count: 1, Stream: StreamState{EntriesAdded: 3, Groups: 1, Nodes: 1}},
	}
	for _, m := range metas {
		room := MetaLen(&m)
		dst := append(make([]byte, 0, 3+room), "pre"...)
		got := AppendMeta(dst, &m)
		if &got[0] != &dst[:1][0] {
			t.Fatalf("%v: AppendMeta reallocated a buffer with MetaLen's room", m.Type)
		}
		if string(got[:3]) != "pre" || !bytes.Equal(got[3:], EncodeMeta(&m)) {
			t.Fatalf("%v: appended %q, encoded %q", m.Type, got[3:], EncodeMeta(&m))
		}
		back, err := DecodeMeta(got[3:])
		if err != nil || back.Type != m.Type || back.ExpireAt != m.ExpireAt || back.IndexedAt != m.IndexedAt {
			t.Fatalf("%v: decoded %+v, %v", m.Type, back, err)
		}
	}
}
