package codec

import (
	"bytes"
	"encoding/binary"
)

// Small hashes inside their metadata record.
//
// A hash that Redis would keep as a listpack and whose fields and values
// are few and short keeps them in its metadata record (Meta.HEntries)
// instead of value records: reading the hash is one cached point read,
// and a write rewrites one record (storage/hash_inline.go says when a
// hash is inline).
//
// The payload is the entries in insertion order, the order of Redis's
// listpack. Each entry is the field's length (uvarint), the field, the
// value's length (uvarint), the value.

// HEntrySize is the payload length of one entry.
func HEntrySize(field, value []byte) int {
	return uvarintLen(uint64(len(field))) + len(field) + uvarintLen(uint64(len(value))) + len(value)
}

// AppendHEntry appends the entry of field and value to dst.
func AppendHEntry(dst, field, value []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(field)))
	dst = append(dst, field...)
	dst = binary.AppendUvarint(dst, uint64(len(value)))
	return append(dst, value...)
}

// NextHEntry splits the first entry off payload p: its field and value
// (which alias p) and the rest of p. ok is false if p is empty or
// corrupt; valid is false only if it is corrupt.
func NextHEntry(p []byte) (field, value, rest []byte, ok, valid bool) {
	if len(p) == 0 {
		return nil, nil, nil, false, true
	}
	n, w := binary.Uvarint(p)
	if w <= 0 || n > uint64(len(p)-w) {
		return nil, nil, nil, false, false
	}
	field, p = p[w:w+int(n):w+int(n)], p[w+int(n):]
	n, w = binary.Uvarint(p)
	if w <= 0 || n > uint64(len(p)-w) {
		return nil, nil, nil, false, false
	}
	value, p = p[w:w+int(n):w+int(n)], p[w+int(n):]
	return field, value, p, true, true
}

// SplitHEntries appends the fields and values of payload p to fields and
// values (each aliases p); false if p is corrupt.
func SplitHEntries(fields, values [][]byte, p []byte) ([][]byte, [][]byte, bool) {
	for {
		f, v, rest, ok, valid := NextHEntry(p)
		if !valid {
			return nil, nil, false
		}
		if !ok {
			return fields, values, true
		}
		fields, values = append(fields, f), append(values, v)
		p = rest
	}
}

// FindHEntry looks for field among payload p's entries: the offsets of its
// entry, p[start:end], and its value (aliasing p). found is false when
// field is absent; valid is false if p is corrupt (up to the entry found).
func FindHEntry(p, field []byte) (start, end int, value []byte, found, valid bool) {
	off := 0
	for {
		f, v, rest, ok, valid := NextHEntry(p[off:])
		if !valid {
			return 0, 0, nil, false, false
		}
		if !ok {
			return 0, 0, nil, false, true
		}
		next := len(p) - len(rest)
		if bytes.Equal(f, field) {
			return off, next, v, true, true
		}
		off = next
	}
}
