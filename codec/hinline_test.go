package codec_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"moonstone/codec"
)

// TestHashMetaInline round-trips hash metadata with and without inline
// entries, and checks that a record written before inline hashes existed
// (no HashInlineFlag, nothing after the flags byte) decodes as before.
func TestHashMetaInline(t *testing.T) {
	var p []byte
	long := strings.Repeat("v", 200) // a two-byte length
	p = codec.AppendHEntry(p, []byte("name"), []byte("x"))
	p = codec.AppendHEntry(p, []byte(""), []byte(""))
	p = codec.AppendHEntry(p, []byte("long"), []byte(long))
	if want := 1 + 4 + 1 + 1 + 1 + 1 + 1 + 4 + 2 + 200; len(p) != want || codec.HEntrySize([]byte("long"), []byte(long)) != 1+4+2+200 {
		t.Fatalf("payload of %d bytes, want %d", len(p), want)
	}
	for _, m := range []codec.Meta{
		{Type: codec.TypeHash, Version: 7, Count: 3, Ordered: true, HInline: true, HEntries: p},
		{Type: codec.TypeHash, Version: 7, Count: 0, Ordered: true, HInline: true, HEntries: []byte{}},
		{Type: codec.TypeHash, ExpireAt: 99, IndexedAt: 99, Version: 8, Count: 5, Ordered: true, NextSeq: 9, HashTable: true},
		{Type: codec.TypeHash, Version: 9, Count: 5, Ordered: true, NextSeq: 5},
	} {
		b := codec.EncodeMeta(&m)
		got, err := codec.DecodeMeta(b)
		if err != nil {
			t.Fatal(err)
		}
		if got.HEntries == nil && m.HInline {
			got.HEntries = []byte{}
		}
		if fmt.Sprint(got) != fmt.Sprint(m) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, m)
		}
	}
	// Written by the build before: next sequence, flags, nothing more.
	old := codec.EncodeMeta(&codec.Meta{Type: codec.TypeHash, Version: 3, Count: 2, Ordered: true, NextSeq: 4, HashTable: true})
	if len(old) != 9+16+9 {
		t.Fatalf("a non-inline hash's record grew to %d bytes", len(old))
	}
	m, err := codec.DecodeMeta(old)
	if err != nil || m.HInline || m.HEntries != nil || !m.HashTable || m.NextSeq != 4 {
		t.Fatalf("old record decodes as %+v, %v", m, err)
	}
}

func TestHEntries(t *testing.T) {
	var p []byte
	want := [][2]string{{"b", "2"}, {"a", ""}, {"", "empty field"}, {"c\x00", strings.Repeat("z", 130)}}
	for _, e := range want {
		p = codec.AppendHEntry(p, []byte(e[0]), []byte(e[1]))
	}
	fields, values, ok := codec.SplitHEntries(nil, nil, p)
	if !ok || len(fields) != len(want) {
		t.Fatalf("split: %q %q %v", fields, values, ok)
	}
	for i, e := range want {
		if string(fields[i]) != e[0] || string(values[i]) != e[1] {
			t.Fatalf("entry %d: %q=%q, want %q=%q", i, fields[i], values[i], e[0], e[1])
		}
		start, end, v, found, valid := codec.FindHEntry(p, []byte(e[0]))
		if !found || !valid || string(v) != e[1] || !bytes.Equal(p[start:end], codec.AppendHEntry(nil, []byte(e[0]), []byte(e[1]))) {
			t.Fatalf("find %q: [%d:%d] %q %v %v", e[0], start, end, v, found, valid)
		}
	}
	if _, _, _, found, valid := codec.FindHEntry(p, []byte("nope")); found || !valid {
		t.Fatalf("find of an absent field: %v %v", found, valid)
	}
	// Every truncation of the payload that cuts an entry is corrupt.
	cuts := map[int]bool{}
	n := 0
	for _, e := range want {
		n += codec.HEntrySize([]byte(e[0]), []byte(e[1]))
		cuts[n] = true
	}
	for i := 1; i < len(p); i++ {
		_, _, ok := codec.SplitHEntries(nil, nil, p[:i])
		if ok != cuts[i] {
			t.Fatalf("payload cut at %d: ok %v", i, ok)
		}
		if _, _, _, _, valid := codec.FindHEntry(p[:i], []byte("nope")); valid != cuts[i] {
			t.Fatalf("find in a payload cut at %d: valid %v", i, valid)
		}
	}
	if _, _, ok := codec.SplitHEntries(nil, nil, []byte{0x80}); ok {
		t.Fatal("an unterminated length splits")
	}
}
