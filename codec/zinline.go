package codec

import (
	"bytes"
	"encoding/binary"
)

// Small sorted sets inside their metadata record.
//
// A sorted set that Redis would keep as a listpack and whose members are
// few and short keeps them in its metadata record (Meta.ZEntries) instead
// of member and score-index records: reading the set is one cached point
// read, and a write rewrites one record instead of adding, moving and
// deleting several (storage/zset_inline.go says when a set is inline).
//
// The payload is the members in score-index order. Each entry is the tail
// of the member's score-index key, ZScoreKey without its tag and version
// (score, 8 bytes ordered, then the member), behind its length as a
// uvarint. So an entry compares with a score-index key's tail byte for
// byte, and the range code walks the two forms alike.

// ZEntry is the entry of member with score: the tail of its score-index
// key.
func ZEntry(score float64, member []byte) []byte {
	return append(AppendFloat64(make([]byte, 0, 8+len(member)), score), member...)
}

// ParseZEntry splits an entry; member aliases e.
func ParseZEntry(e []byte) (score float64, member []byte) {
	return DecodeFloat64(e[:8]), e[8:]
}

// SplitZEntries appends the entries of payload p to dst (each aliases p);
// false if p is corrupt.
func SplitZEntries(dst [][]byte, p []byte) ([][]byte, bool) {
	return splitEntries(dst, p, 8)
}

// JoinZEntries appends the payload of entries, which must be in order, to
// dst.
func JoinZEntries(dst []byte, entries [][]byte) []byte { return joinEntries(dst, entries) }

// ZEntriesSize is the payload length of entries.
func ZEntriesSize(entries [][]byte) int { return entriesSize(entries) }

// splitEntries appends the length-prefixed entries of payload p to dst
// (each aliases p); false if p is corrupt or an entry is shorter than
// minLen.
func splitEntries(dst [][]byte, p []byte, minLen uint64) ([][]byte, bool) {
	for len(p) > 0 {
		n, w := binary.Uvarint(p)
		if w <= 0 || n < minLen || n > uint64(len(p)-w) {
			return nil, false
		}
		dst = append(dst, p[w:w+int(n):w+int(n)])
		p = p[w+int(n):]
	}
	return dst, true
}

// joinEntries appends entries to dst, each behind its length as a uvarint.
func joinEntries(dst []byte, entries [][]byte) []byte {
	for _, e := range entries {
		dst = binary.AppendUvarint(dst, uint64(len(e)))
		dst = append(dst, e...)
	}
	return dst
}

// entriesSize is the payload length of entries.
func entriesSize(entries [][]byte) int {
	n := 0
	for _, e := range entries {
		n += uvarintLen(uint64(len(e))) + len(e)
	}
	return n
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// ZEntryScore finds member among payload p's entries without splitting
// it: its score and whether it is there; valid is false if p is corrupt.
func ZEntryScore(p, member []byte) (score float64, ok, valid bool) {
	for len(p) > 0 {
		n, w := binary.Uvarint(p)
		if w <= 0 || n < 8 || n > uint64(len(p)-w) {
			return 0, false, false
		}
		e := p[w : w+int(n)]
		if bytes.Equal(e[8:], member) {
			return DecodeFloat64(e[:8]), true, true
		}
		p = p[w+int(n):]
	}
	return 0, false, true
}
