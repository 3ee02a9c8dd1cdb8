package storage

import (
	"bytes"
	"sort"

	"moonstone/codec"
)

// Small sorted sets, and the encoding Redis would give a sorted set.
//
// Redis keeps a sorted set as a listpack while it has at most
// zset-max-listpack-entries members of at most zset-max-listpack-value
// bytes, and converts it to a skiplist, for good, at the first write that
// passes either; a set built whole (ZUNIONSTORE, ZRANGESTORE, RESTORE,
// GEOSEARCHSTORE) is a listpack if it fits. Moonstone follows the same
// rules (Meta.ZSkiplist) for what OBJECT ENCODING and ZSCAN answer.
//
// A listpack set whose entries take at most zsetInlineBytes also keeps its
// members in its metadata record (codec/zinline.go), not in records of
// their own. A rate limiter's window or a job's small queue is then one
// cached point read, and each write rewrites one short record where a
// member would have taken two records to add (after a Get to learn it was
// absent), two to move and two tombstones to remove. The first write that
// takes the entries past the limit, or converts the set, spills them to
// records (zspill); a set never goes back inline, except when rebuilt
// whole. Every range walks inline entries through the same cursor as
// score-index records (zcursor), so the range code knows nothing of where
// a set lives.

// zsetInlineBytes bounds the entries an inline set keeps in its metadata
// record. Every write to the set rewrites them, yet measured against
// records a bigger bound kept winning up to sets of 2 KB (ZADD into 10k
// sets of about 30 members, 700 bytes: 13% less CPU kept inline than
// spilled at 512; sets of 100 members, 2.3 KB: 7% less). The bound keeps
// the record under value-separation-min-size's default (1 KB), so reading
// a set never fetches from a blob file, and under the row cache's entry
// limit (4 KB); it also keeps inline sets far below the rank index's
// threshold.
var zsetInlineBytes = 960

// SetZSetLimits changes zset-max-listpack-entries and -value: the size
// past which a sorted set written from now on is converted to a skiplist.
func (db *DB) SetZSetLimits(entries, value int64) {
	db.zsetEntries.Store(entries)
	db.zsetValue.Store(value)
}

// zsetFits reports whether a set of n members, the longest maxLen bytes,
// is a listpack by Redis's rules.
func (tx *Tx) zsetFits(n int64, maxLen int) bool {
	return n <= tx.db.zsetEntries.Load() && int64(maxLen) <= tx.db.zsetValue.Load()
}

// zgrow is called before member is added to m: it converts the set as
// Redis's zsetAdd does when the member makes it too long or is too long.
func (tx *Tx) zgrow(m *Meta, member []byte) error {
	if m.ZSkiplist || tx.zsetFits(m.Count+1, len(member)) {
		return nil
	}
	m.ZSkiplist = true
	if !m.ZInline {
		return nil
	}
	entries, err := zentries(m)
	if err != nil {
		return err
	}
	return tx.zspill(m, entries)
}

// ZSetEncoding is what OBJECT ENCODING answers for a sorted set.
func (tx *Tx) ZSetEncoding(db int, key []byte) (string, error) {
	m, err := tx.typed(db, key, codec.TypeZSet)
	if err != nil || m == nil {
		return "", err
	}
	if m.ZSkiplist {
		return "skiplist", nil
	}
	return "listpack", nil
}

// zentries splits an inline set's entries (they alias m.ZEntries).
func zentries(m *Meta) ([][]byte, error) {
	entries, ok := codec.SplitZEntries(make([][]byte, 0, m.Count+1), m.ZEntries)
	if !ok {
		return nil, codec.ErrCorruptMeta
	}
	return entries, nil
}

// zsetInline makes m, a new set, inline with members when Redis would make
// it a listpack and they fit; it reports whether it did.
func (tx *Tx) zsetInline(m *Meta, members []ZMember) bool {
	maxLen := 0
	for _, zm := range members {
		maxLen = max(maxLen, len(zm.Member))
	}
	m.ZSkiplist = !tx.zsetFits(int64(len(members)), maxLen)
	if m.ZSkiplist {
		return false
	}
	entries := make([][]byte, len(members))
	for i, zm := range members {
		entries[i] = codec.ZEntry(zm.Score, zm.Member)
		m.ScoreFloor = min(m.ScoreFloor, codec.DecodeFloat64(entries[i]))
	}
	if codec.ZEntriesSize(entries) > zsetInlineBytes {
		return false
	}
	sort.Slice(entries, func(i, j int) bool { return bytes.Compare(entries[i], entries[j]) < 0 })
	m.ZInline = true
	m.ZEntries = codec.JoinZEntries(nil, entries)
	return true
}

// zputInline is zput for an inline set: the entry moves or is inserted in
// order, and the entries spill to records if they outgrow the record.
func (tx *Tx) zputInline(m *Meta, member []byte, score, old float64, existed bool) error {
	entries, err := zentries(m)
	if err != nil {
		return err
	}
	if existed {
		entries = removeZEntry(entries, codec.ZEntry(old, member))
	}
	e := codec.ZEntry(score, member)
	i := sort.Search(len(entries), func(i int) bool { return bytes.Compare(entries[i], e) >= 0 })
	entries = append(entries, nil)
	copy(entries[i+1:], entries[i:])
	entries[i] = e
	m.ScoreFloor = min(m.ScoreFloor, score)
	if size := codec.ZEntriesSize(entries); size <= zsetInlineBytes {
		m.ZEntries = codec.JoinZEntries(make([]byte, 0, size), entries)
		return nil
	}
	return tx.zspill(m, entries)
}

// zremoveInline is zremoveKeys for an inline set.
func zremoveInline(m *Meta, indexKey []byte) error {
	entries, err := zentries(m)
	if err != nil {
		return err
	}
	m.ZEntries = codec.JoinZEntries(nil, removeZEntry(entries, indexKey[9:]))
	return nil
}

// removeZEntry deletes e from entries, in place.
func removeZEntry(entries [][]byte, e []byte) [][]byte {
	i := sort.Search(len(entries), func(i int) bool { return bytes.Compare(entries[i], e) >= 0 })
	if i < len(entries) && bytes.Equal(entries[i], e) {
		entries = append(entries[:i], entries[i+1:]...)
	}
	return entries
}

// zspill moves an inline set's entries to member and score-index records
// under its version, which holds none while the set is inline.
func (tx *Tx) zspill(m *Meta, entries [][]byte) error {
	prefix := codec.MemberPrefix(codec.TagZScore, m.Version)
	for _, e := range entries {
		score, member := codec.ParseZEntry(e)
		if err := tx.set(codec.MemberKey(codec.TagZMember, m.Version, member), codec.ZScoreValue(score)); err != nil {
			return err
		}
		if err := tx.set(append(append([]byte(nil), prefix...), e...), nil); err != nil {
			return err
		}
	}
	m.ZInline, m.ZEntries = false, nil
	return nil
}

// zcursor walks a span of a sorted set's score index: Pebble's records,
// or an inline set's entries read as the keys they would have.
type zcursor interface {
	First() bool
	Last() bool
	Next() bool
	Prev() bool
	// Key is valid until the cursor moves.
	Key() []byte
	Error() error
	Close() error
}

// zcursor opens a cursor over m's score-index keys in [lo, hi).
func (tx *Tx) zcursor(m *Meta, lo, hi []byte) (zcursor, error) {
	if !m.ZInline {
		it, err := tx.iter(lo, hi)
		if err != nil {
			return nil, err
		}
		return it, nil
	}
	entries, err := zentries(m)
	if err != nil {
		return nil, err
	}
	key := append(make([]byte, 0, 9+8+64), codec.MemberPrefix(codec.TagZScore, m.Version)...)
	c := &inlineCursor{entries: entries, key: key}
	c.lo, c.hi = c.search(lo), c.search(hi)
	c.i = c.hi
	return c, nil
}

// inlineCursor is a zcursor over an inline set's entries [lo, hi).
type inlineCursor struct {
	entries   [][]byte
	i, lo, hi int
	key       []byte // tag and version, then the current entry
}

// search is the position of the first entry whose key is at or past
// bound.
func (c *inlineCursor) search(bound []byte) int {
	return sort.Search(len(c.entries), func(i int) bool {
		return bytes.Compare(append(c.key[:9], c.entries[i]...), bound) >= 0
	})
}

func (c *inlineCursor) at(i int) bool {
	c.i = i
	if i < c.lo || i >= c.hi {
		return false
	}
	c.key = append(c.key[:9], c.entries[i]...)
	return true
}

func (c *inlineCursor) First() bool  { return c.at(c.lo) }
func (c *inlineCursor) Last() bool   { return c.at(c.hi - 1) }
func (c *inlineCursor) Next() bool   { return c.at(min(c.i+1, c.hi)) }
func (c *inlineCursor) Prev() bool   { return c.at(max(c.i-1, c.lo-1)) }
func (c *inlineCursor) Key() []byte  { return c.key }
func (c *inlineCursor) Error() error { return nil }
func (c *inlineCursor) Close() error { return nil }
