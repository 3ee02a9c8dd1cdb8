package codec

import (
	"encoding/binary"
	"errors"
	"math"
)

// Type is the Redis type of a key, as stored in its metadata.
type Type byte

// Key types. The values are part of the on-disk format: never renumber.
const (
	TypeNone   Type = 0
	TypeString Type = 1
	TypeHash   Type = 2
	TypeList   Type = 3
	TypeSet    Type = 4
	TypeZSet   Type = 5
	TypeStream Type = 6
)

// String is the name TYPE replies with.
func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeHash:
		return "hash"
	case TypeList:
		return "list"
	case TypeSet:
		return "set"
	case TypeZSet:
		return "zset"
	case TypeStream:
		return "stream"
	}
	return "none"
}

// StringEncoding says what decides OBJECT ENCODING for a string: its
// content, or the command that last wrote it. Redis keeps a string that a
// command edited in place (APPEND to an existing key, SETRANGE, SETBIT,
// BITFIELD, BITOP's destination, the PF* commands) as raw whatever its
// length, and INCRBYFLOAT's result as text even when it reads as an
// integer; SET, INCR, RESTORE and the rest choose by content.
type StringEncoding byte

// String encodings. Stored in the top two bits of a string's type byte
// (0 in records written before they existed): part of the on-disk format.
const (
	// StringByContent: int if the value reads as an integer of up to 20
	// bytes, embstr up to 44 bytes, raw beyond.
	StringByContent StringEncoding = 0
	// StringRaw: raw at any length.
	StringRaw StringEncoding = 1
	// StringText: embstr up to 44 bytes, raw beyond, never int.
	StringText StringEncoding = 2
)

// stringEncodingShift places a StringEncoding in the type byte.
const stringEncodingShift = 6

// IndexedFlag is the bit of the type byte that says the record stores an
// IndexedAt apart from its ExpireAt: part of the on-disk format.
const IndexedFlag = 0x20

// Name is the encoding OBJECT ENCODING reports for value.
func (e StringEncoding) Name(value []byte) string {
	if e == StringRaw {
		return "raw"
	}
	if _, ok := ParseInt(value); ok && e == StringByContent {
		return "int"
	}
	if len(value) <= 44 {
		return "embstr"
	}
	return "raw"
}

// MemberTag is the tag of the member records of a collection type (0 for
// strings, which have none).
func (t Type) MemberTag() byte {
	switch t {
	case TypeHash:
		return TagHash
	case TypeList:
		return TagList
	case TypeSet:
		return TagSet
	case TypeZSet:
		return TagZMember
	case TypeStream:
		return TagStreamEntry
	}
	return 0
}

// Meta is the decoded metadata record of one user key.
//
// Layout: type (1) | expire-at ms (8, BE; 0 = none) | [indexed-at ms (8,
// BE), when the type byte has IndexedFlag] | then
//   - strings: the value (the type byte's top two bits hold the
//     StringEncoding);
//   - collections: version (8) | count (8) | for lists: head (8) | tail (8)
//     | flags (1; ListInlineFlag) | the elements of an inline list
//     (linline.go) (the flags and the elements only in an inline list),
//     for streams: StreamState (see stream.go), for sorted sets: score
//     floor (8, float64 bits) | flags (1; ZSkiplistFlag, ZInlineFlag) |
//     the entries of an inline set (zinline.go) (the floor and the flags
//     are absent in records written before they existed), for hashes:
//     next insertion sequence (8) | flags (1; HashTableFlag,
//     HashInlineFlag) | the entries of an inline hash (hinline.go) (all
//     absent in hashes written before insertion order was kept; the
//     entries, in those written before inline hashes existed), for sets:
//     flags (1; SetHashtableFlag; absent in sets written before it).
//
// Head and tail are list positions: elements occupy [Head, Tail).
type Meta struct {
	Type     Type
	ExpireAt int64
	// IndexedAt is the time of the key's expiry-index entry: 0 when it has
	// none, else at or before ExpireAt. An expiry pushed later keeps the
	// entry it has (an EXPIRE that slides a window, a SET EX that renews a
	// session writes no index records); the sweeper moves the entry when
	// it comes due. Records whose entry is at ExpireAt do not store it:
	// EncodeMeta stores only a time between 0 and ExpireAt, and DecodeMeta
	// gives ExpireAt when none is stored.
	IndexedAt int64
	Value     []byte // strings only
	// StringEnc is what decides a string's OBJECT ENCODING.
	StringEnc StringEncoding
	Version   uint64 // collections only
	Count     int64
	Head      int64 // lists only
	Tail      int64
	// LInline says a list's elements are LEntries (linline.go), head
	// first, rather than records; an inline list has Head 0 and Tail
	// Count.
	LInline  bool
	LEntries []byte
	Stream   StreamState // streams only
	// ScoreFloor is a lower bound of a sorted set's scores, not always the
	// least: adding a member lowers it, removing members leaves it. It lets
	// a ZREMRANGEBYSCORE below every score (a sliding window with nothing
	// to expire) answer without reading the index. -Inf when unknown.
	ScoreFloor float64
	// ZSkiplist says Redis would have converted the sorted set from a
	// listpack to a skiplist (more members than zset-max-listpack-entries,
	// or one longer than zset-max-listpack-value, at some write): OBJECT
	// ENCODING says skiplist and ZSCAN pages; it never goes back. Sets
	// written before the flag existed have it. ZInline says the members
	// are ZEntries (zinline.go) rather than records; only a set that is
	// still a listpack is inline.
	ZSkiplist bool
	ZInline   bool
	ZEntries  []byte
	// SetHashtable says Redis would have converted the set from an intset
	// to a hashtable (a member that is not an integer, or more members
	// than set-max-intset-entries, at some write): OBJECT ENCODING says
	// hashtable, and intset before. Sets written before the flag existed
	// have it.
	SetHashtable bool
	// Hashes. Ordered says the hash keeps insertion order: each field's
	// value record is its insertion sequence (8, BE) then the value, and
	// NextSeq is the sequence the next new field takes. Hashes written
	// before that existed have plain values and no Ordered. HashTable says
	// Redis would have converted the hash from a listpack to a hashtable
	// (a field or value past hash-max-listpack-value, or more fields than
	// hash-max-listpack-entries, at some write): it then answers in field
	// order, as before, and never goes back. HInline says the fields and
	// values are HEntries (hinline.go), in insertion order, rather than
	// records; only an ordered hash that is still a listpack is inline,
	// and while it is, NextSeq is not used.
	Ordered   bool
	NextSeq   uint64
	HashTable bool
	HInline   bool
	HEntries  []byte
}

// Bits of a hash's flags byte.
const (
	HashTableFlag  = 1
	HashInlineFlag = 2
)

// ListInlineFlag is the bit of a list's flags byte that records LInline;
// the byte is written only for an inline list.
const ListInlineFlag = 1

// SetHashtableFlag is the bit of a set's flags byte that records
// SetHashtable.
const SetHashtableFlag = 1

// Bits of a sorted set's flags byte.
const (
	ZSkiplistFlag = 1
	ZInlineFlag   = 2
)

// HashSeqLen is the length of the insertion sequence before an ordered
// hash's values.
const HashSeqLen = 8

const metaHeader = 9

// ErrCorruptMeta reports a metadata record that cannot be decoded.
var ErrCorruptMeta = errors.New("corrupt metadata record")

// EncodeMeta serializes m.
func EncodeMeta(m *Meta) []byte { return AppendMeta(make([]byte, 0, MetaLen(m)), m) }

// MetaLen is the room m's record takes, or a little more: AppendMeta to a
// buffer with this much room left does not reallocate it.
func MetaLen(m *Meta) int {
	n := metaHeader + 8
	if m.Type == TypeString {
		return n + len(m.Value)
	}
	n += 33 + len(m.ZEntries) + len(m.HEntries) + len(m.LEntries)
	if m.Type == TypeStream {
		n += streamStateLen
	}
	return n
}

// AppendMeta appends m's record to dst.
func AppendMeta(dst []byte, m *Meta) []byte {
	start := len(dst)
	b := append(dst, make([]byte, metaHeader)...)
	b[start] = byte(m.Type)
	if m.Type == TypeString {
		b[start] |= byte(m.StringEnc) << stringEncodingShift
	}
	binary.BigEndian.PutUint64(b[start+1:], uint64(m.ExpireAt))
	if m.IndexedAt > 0 && m.IndexedAt < m.ExpireAt {
		b[start] |= IndexedFlag
		b = binary.BigEndian.AppendUint64(b, uint64(m.IndexedAt))
	}
	if m.Type == TypeString {
		return append(b, m.Value...)
	}
	b = binary.BigEndian.AppendUint64(b, m.Version)
	b = binary.BigEndian.AppendUint64(b, uint64(m.Count))
	if m.Type == TypeList {
		b = binary.BigEndian.AppendUint64(b, uint64(m.Head))
		b = binary.BigEndian.AppendUint64(b, uint64(m.Tail))
		if m.LInline {
			b = append(b, ListInlineFlag)
			b = append(b, m.LEntries...)
		}
	}
	if m.Type == TypeStream {
		b = appendStreamState(b, &m.Stream)
	}
	if m.Type == TypeZSet {
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(m.ScoreFloor))
		var flags byte
		if m.ZSkiplist {
			flags |= ZSkiplistFlag
		}
		if m.ZInline {
			flags |= ZInlineFlag
		}
		b = append(b, flags)
		if m.ZInline {
			b = append(b, m.ZEntries...)
		}
	}
	if m.Type == TypeSet {
		var flags byte
		if m.SetHashtable {
			flags |= SetHashtableFlag
		}
		b = append(b, flags)
	}
	if m.Type == TypeHash && m.Ordered {
		b = binary.BigEndian.AppendUint64(b, m.NextSeq)
		var flags byte
		if m.HashTable {
			flags |= HashTableFlag
		}
		if m.HInline {
			flags |= HashInlineFlag
		}
		b = append(b, flags)
		if m.HInline {
			b = append(b, m.HEntries...)
		}
	}
	return b
}

// StringHeader returns the part of an encoded metadata record that comes
// before a string's value (type, encoding, expiry and the expiry index's
// entry), or nil if b is not a string's record. Decoded, it is the string's
// metadata with an empty Value.
func StringHeader(b []byte) []byte {
	if len(b) < metaHeader || Type(b[0]&^(IndexedFlag|3<<stringEncodingShift)) != TypeString {
		return nil
	}
	n := metaHeader
	if b[0]&IndexedFlag != 0 {
		n += 8
	}
	if len(b) < n {
		return nil
	}
	return b[:n:n]
}

// DecodeMeta parses a metadata record. A string's Value and an inline
// sorted set's ZEntries, hash's HEntries or list's LEntries alias b: copy
// them if b is a Pebble buffer that will not outlive the read.
func DecodeMeta(b []byte) (Meta, error) {
	if len(b) < metaHeader {
		return Meta{}, ErrCorruptMeta
	}
	m := Meta{Type: Type(b[0] &^ (IndexedFlag | 3<<stringEncodingShift)), ExpireAt: int64(binary.BigEndian.Uint64(b[1:]))}
	m.IndexedAt = m.ExpireAt
	rest := b[metaHeader:]
	if b[0]&IndexedFlag != 0 {
		if len(rest) < 8 {
			return Meta{}, ErrCorruptMeta
		}
		m.IndexedAt = int64(binary.BigEndian.Uint64(rest))
		rest = rest[8:]
		// An entry after the expiry, or one for a key without expiry, is
		// never written.
		if m.IndexedAt <= 0 || m.IndexedAt >= m.ExpireAt {
			return Meta{}, ErrCorruptMeta
		}
	}
	if enc := StringEncoding(b[0] >> stringEncodingShift); enc != 0 {
		if m.Type != TypeString || enc > StringText {
			return Meta{}, ErrCorruptMeta
		}
		m.StringEnc = enc
	}
	switch m.Type {
	case TypeString:
		m.Value = rest
		return m, nil
	case TypeHash, TypeSet, TypeZSet, TypeStream, TypeList:
		if len(rest) < 16 {
			return Meta{}, ErrCorruptMeta
		}
		m.Version = binary.BigEndian.Uint64(rest)
		m.Count = int64(binary.BigEndian.Uint64(rest[8:]))
		if m.Type == TypeList {
			if len(rest) < 32 {
				return Meta{}, ErrCorruptMeta
			}
			m.Head = int64(binary.BigEndian.Uint64(rest[16:]))
			m.Tail = int64(binary.BigEndian.Uint64(rest[24:]))
			if len(rest) > 32 {
				// Only an inline list has a flags byte.
				if rest[32] != ListInlineFlag {
					return Meta{}, ErrCorruptMeta
				}
				m.LInline, m.LEntries = true, rest[33:]
			}
		}
		if m.Type == TypeStream {
			var ok bool
			if m.Stream, ok = decodeStreamState(rest[16:]); !ok {
				return Meta{}, ErrCorruptMeta
			}
		}
		if m.Type == TypeZSet {
			m.ScoreFloor = math.Inf(-1)
			if len(rest) >= 24 {
				m.ScoreFloor = math.Float64frombits(binary.BigEndian.Uint64(rest[16:]))
			}
			m.ZSkiplist = true
			if len(rest) >= 25 {
				flags := rest[24]
				m.ZSkiplist = flags&ZSkiplistFlag != 0
				m.ZInline = flags&ZInlineFlag != 0
				if m.ZInline {
					m.ZEntries = rest[25:]
				}
			}
		}
		if m.Type == TypeSet {
			m.SetHashtable = len(rest) < 17 || rest[16]&SetHashtableFlag != 0
		}
		if m.Type == TypeHash && len(rest) > 16 {
			if len(rest) < 25 {
				return Meta{}, ErrCorruptMeta
			}
			m.Ordered = true
			m.NextSeq = binary.BigEndian.Uint64(rest[16:])
			m.HashTable = rest[24]&HashTableFlag != 0
			m.HInline = rest[24]&HashInlineFlag != 0
			if m.HInline {
				m.HEntries = rest[25:]
			}
		}
		return m, nil
	}
	return Meta{}, ErrCorruptMeta
}

// Expired reports whether m has an expiry at or before now (unix ms).
func (m *Meta) Expired(now int64) bool { return m.ExpireAt != 0 && m.ExpireAt <= now }
