package storage

import (
	"bytes"
	"errors"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
)

// The rank index of a large sorted set: a counted B-tree of fences laid
// over the score index (layout in codec's package comment).
//
//	r | version                          -> levels, fences on the top level
//	r | version | level | suffix         -> empty: a fence
//	r | version | 0x80+level | suffix    -> the fence's counts: entries
//	                                        covered, children
//
// A level-0 fence covers the score-index entries from its suffix (the
// tail, score | member, of a score-index key; empty for the first fence)
// up to the next level-0 fence; a level l+1 fence covers the level-l
// fences from its suffix up to the next level-(l+1) fence, and each level's
// first fence has the empty suffix, so every entry lies under exactly one
// fence of each level. With B = ZSetRankBlock, no level-0 fence covers more
// than 2B entries and no higher fence more than 2B children, and the top
// level holds at most 2B fences, so:
//   - rank of a key: descend from the top, summing the fences left of the
//     key's path on each level (at most 2B per level), then count the
//     key's level-0 block (at most 2B entries): O(levels x B);
//   - entry at a rank: the same descent, choosing the fence whose count
//     holds the rank: O(levels x B);
//   - insert: one reverse seek per level to find the path, one write per
//     level; a fence past 2B splits in two (a walk over its block), which
//     adds a child to its parent and may split it in turn, and a top level
//     past 2B fences gets a new level above it: O(levels) amortized;
//   - delete: the same path, counts minus one; an emptied level-0 fence is
//     dropped unless its suffix also starts a higher fence. Blocks are not
//     merged, so after heavy deletion fences may be small or empty, but
//     the per-fence bounds above hold, and with them the costs.
//
// A set gets its index when it reaches ZSetRankThreshold members (one scan,
// in the write that crossed it; also a set written before the index
// existed), and loses it when it falls below half of that; smaller sets
// walk the score index, which is cheap at that size. The records are
// members of the set as far as DEL, expiry, COPY, RENAME and MOVE go, and
// every change happens in the writing transaction's batch, so the index is
// as durable and atomic as the entries it counts.

// ZSetRankThreshold is the size at which a sorted set gets a rank index.
// It is a variable so that tests can exercise the index on small sets; a
// set indexed under one value must not be written under another.
var ZSetRankThreshold int64 = 512

// ZSetRankBlock is B: fences split when they cover more than 2B entries
// (level 0) or fences (above).
var ZSetRankBlock int64 = 64

// errCorruptRank reports a rank index that disagrees with itself.
var errCorruptRank = errors.New("storage: corrupt sorted-set rank index")

// zrankIndex is a loaded rank-index header.
type zrankIndex struct {
	ver         uint64
	levels, top int64
}

// zfence is one fence as read: its suffix (owned), entries and children.
type zfence struct {
	suffix            []byte
	entries, children int64
}

// zrankLoad reads m's rank-index header: nil when the set has no index.
// A set under half the threshold has none (zrankResize drops it at the end
// of the command that shrinks the set below that, and a set only gains one
// at the end of a command that grows it past the threshold), so for small
// sets, a rate limiter's window or a set being filled by ZUNIONSTORE, no
// lookup is made. Within a command that shrinks a set, updates to an index
// about to be dropped may stop early; the drop does not depend on them.
func (tx *Tx) zrankLoad(m *Meta) (*zrankIndex, error) {
	if m.Count < ZSetRankThreshold/2 || m.ZInline {
		return nil, nil
	}
	return tx.zrankRead(m)
}

// zrankRead reads m's rank-index header whatever the set's size.
func (tx *Tx) zrankRead(m *Meta) (*zrankIndex, error) {
	v, ok, err := tx.get(codec.ZRankHeaderKey(m.Version))
	if err != nil || !ok {
		return nil, err
	}
	levels, top, ok := codec.DecodeZRankHeader(v)
	if !ok || levels < 1 || levels > 255 || top < 1 {
		return nil, errCorruptRank
	}
	return &zrankIndex{ver: m.Version, levels: levels, top: top}, nil
}

func (x *zrankIndex) fenceKey(level int64, suffix []byte) []byte {
	return codec.ZRankFenceKey(x.ver, int(level), suffix)
}

// countLevel is added to a level to name the record holding the counts
// of its fences; the fence record itself (level below countLevel) is
// empty. The counts change with every write to the set, so their records
// collect many versions in the memtable, which an iterator would have to
// step over; they are only ever read with point reads, which find the
// newest version directly. Iterators walk the fence records, which are
// written only when a fence is made or dropped.
const countLevel = 0x80

func (x *zrankIndex) countKey(level int64, suffix []byte) []byte {
	return codec.ZRankFenceKey(x.ver, int(level)|countLevel, suffix)
}

// fenceIter opens an iterator over every fence record of the index.
func (tx *Tx) fenceIter(x *zrankIndex) (*fenceCursor, error) {
	lo := codec.ZRankFenceKey(x.ver, 0, nil)
	it, err := tx.iter(lo, codec.ZRankFenceKey(x.ver, countLevel, nil))
	if err != nil {
		return nil, err
	}
	return &fenceCursor{tx: tx, x: x, it: it}, nil
}

// fenceCursor reads fences off an iterator over fence records.
type fenceCursor struct {
	tx *Tx
	x  *zrankIndex
	it *pebble.Iterator
}

// fence reads the fence under the iterator and its counts.
func (c *fenceCursor) fence() (level int64, f zfence, err error) {
	k := c.it.Key()
	if len(k) < 10 {
		return -1, f, errCorruptRank
	}
	l, suffix := codec.ParseZRankFenceKey(k)
	f, err = c.tx.fenceAt(c.x, int64(l), suffix)
	return int64(l), f, err
}

// fenceAt reads the counts of the fence of level at suffix.
func (tx *Tx) fenceAt(x *zrankIndex, level int64, suffix []byte) (zfence, error) {
	v, ok, err := tx.get(x.countKey(level, suffix))
	if err != nil {
		return zfence{}, err
	}
	e, ch, valid := codec.DecodeZRankFence(v)
	if !ok || !valid {
		return zfence{}, errCorruptRank
	}
	return zfence{suffix: append([]byte(nil), suffix...), entries: e, children: ch}, nil
}

// zrankPath returns, for each level from 0 up, the fence covering the
// score-index key whose suffix is s (the last fence at or below s).
func (tx *Tx) zrankPath(x *zrankIndex, s []byte) ([]zfence, error) {
	if fs, err := tx.cachedFences(x); err != nil || fs != nil {
		if err != nil {
			return nil, err
		}
		return fs.path(tx, x, s)
	}
	fc, err := tx.fenceIter(x)
	if err != nil {
		return nil, err
	}
	defer fc.it.Close()
	return fc.path(s)
}

// path is zrankPath on an open cursor, which may serve several paths.
func (c *fenceCursor) path(s []byte) ([]zfence, error) {
	path := make([]zfence, c.x.levels)
	for l := range path {
		if !c.it.SeekLT(append(c.x.fenceKey(int64(l), s), 0)) {
			return nil, errCorruptRank
		}
		level, f, err := c.fence()
		if err != nil {
			return nil, err
		}
		if level != int64(l) {
			return nil, errCorruptRank
		}
		path[l] = f
	}
	return path, nil
}

func (tx *Tx) putFence(x *zrankIndex, level int64, f *zfence) error {
	return tx.set(x.countKey(level, f.suffix), codec.ZRankFence(f.entries, f.children))
}

// newFence writes a fence that did not exist, with its counts.
func (tx *Tx) newFence(x *zrankIndex, level int64, f *zfence) error {
	if err := tx.set(x.fenceKey(level, f.suffix), nil); err != nil {
		return err
	}
	return tx.putFence(x, level, f)
}

func (tx *Tx) putRankHeader(x *zrankIndex) error {
	return tx.set(codec.ZRankHeaderKey(x.ver), codec.ZRankHeader(x.levels, x.top))
}

// zrankInsert counts a score-index entry (suffix s) just written.
func (tx *Tx) zrankInsert(x *zrankIndex, s []byte) error {
	path, err := tx.zrankPath(x, s)
	if err != nil {
		return err
	}
	limit := 2 * ZSetRankBlock
	grew := false // the level below gained a fence
	for l := range path {
		f := &path[l]
		f.entries++
		if grew {
			f.children++
		}
		size := f.entries
		if l > 0 {
			size = f.children
		}
		grew = false
		if size > limit {
			if err := tx.splitFence(x, int64(l), f); err != nil {
				return err
			}
			grew = true
			continue
		}
		if err := tx.putFence(x, int64(l), f); err != nil {
			return err
		}
	}
	if !grew {
		return nil
	}
	x.top++
	if x.top > limit {
		// A new top level: one fence over the old top's fences.
		total, err := tx.levelEntries(x, x.levels-1)
		if err != nil {
			return err
		}
		root := zfence{entries: total, children: x.top}
		if err := tx.newFence(x, x.levels, &root); err != nil {
			return err
		}
		x.levels++
		x.top = 1
	}
	return tx.putRankHeader(x)
}

// levelEntries sums the entries of a level's fences.
func (tx *Tx) levelEntries(x *zrankIndex, level int64) (int64, error) {
	lo := x.fenceKey(level, nil)
	it, err := tx.iter(lo, codec.PrefixEnd(lo[:10]))
	if err != nil {
		return 0, err
	}
	fc := &fenceCursor{tx: tx, x: x, it: it}
	defer it.Close()
	var total int64
	for ok := it.First(); ok; ok = it.Next() {
		_, f, err := fc.fence()
		if err != nil {
			return 0, err
		}
		total += f.entries
	}
	return total, it.Error()
}

// splitFence writes f (of level, already counting the new entry or child)
// as two fences: the first half of its block under its own suffix, the
// rest under the suffix of the entry (level 0) or fence (above) in the
// middle of the block.
func (tx *Tx) splitFence(x *zrankIndex, level int64, f *zfence) error {
	var left, right zfence
	if level == 0 {
		half := f.entries / 2
		prefix := codec.MemberPrefix(codec.TagZScore, x.ver)
		it, err := tx.iter(append(append([]byte(nil), prefix...), f.suffix...), codec.PrefixEnd(prefix))
		if err != nil {
			return err
		}
		ok := it.First()
		for i := int64(0); ok && i < half; i++ {
			ok = it.Next()
		}
		if !ok {
			it.Close()
			return errCorruptRank
		}
		mid := append([]byte(nil), it.Key()[9:]...)
		if err := it.Close(); err != nil {
			return err
		}
		left = zfence{suffix: f.suffix, entries: half}
		right = zfence{suffix: mid, entries: f.entries - half}
	} else {
		half := f.children / 2
		lo := x.fenceKey(level-1, f.suffix)
		it, err := tx.iter(lo, codec.PrefixEnd(lo[:10]))
		if err != nil {
			return err
		}
		fc := &fenceCursor{tx: tx, x: x, it: it}
		var sum int64
		ok := it.First()
		for i := int64(0); ok && i < half; i++ {
			_, c, err := fc.fence()
			if err != nil {
				it.Close()
				return err
			}
			sum += c.entries
			ok = it.Next()
		}
		if !ok {
			it.Close()
			return errCorruptRank
		}
		_, c, err := fc.fence()
		it.Close()
		if err != nil {
			return err
		}
		left = zfence{suffix: f.suffix, entries: sum, children: half}
		right = zfence{suffix: c.suffix, entries: f.entries - sum, children: f.children - half}
	}
	if err := tx.putFence(x, level, &left); err != nil {
		return err
	}
	return tx.newFence(x, level, &right)
}

// zrankMove recounts an entry whose suffix changed from old to s (both
// written already): nothing changes when both lie in one level-0 block.
func (tx *Tx) zrankMove(x *zrankIndex, old, s []byte) error {
	a, b, err := tx.zrankPaths(x, old, s)
	if err != nil {
		return err
	}
	if bytes.Equal(a[0].suffix, b[0].suffix) {
		return nil
	}
	if a[0].entries > 1 && b[0].entries < 2*ZSetRankBlock {
		// The entry leaves a block it does not empty for one it does not
		// overfill: no fence is dropped or split, and only the fences
		// where the two paths differ (a prefix of levels: once they meet
		// they share every fence above) change, by one entry each. Half
		// the work of a delete and an insert, which would each walk the
		// index again.
		for l := range a {
			if bytes.Equal(a[l].suffix, b[l].suffix) {
				break
			}
			a[l].entries--
			b[l].entries++
			if err := tx.putFence(x, int64(l), &a[l]); err != nil {
				return err
			}
			if err := tx.putFence(x, int64(l), &b[l]); err != nil {
				return err
			}
		}
		return nil
	}
	if err := tx.zrankDelete(x, old); err != nil {
		return err
	}
	return tx.zrankInsert(x, s)
}

// zrankPaths returns the paths of two suffixes, read with one iterator:
// opening one costs about as much as a path's seeks.
func (tx *Tx) zrankPaths(x *zrankIndex, s1, s2 []byte) (a, b []zfence, err error) {
	if fs, err := tx.cachedFences(x); err != nil || fs != nil {
		if err != nil {
			return nil, nil, err
		}
		if a, err = fs.path(tx, x, s1); err != nil {
			return nil, nil, err
		}
		b, err = fs.path(tx, x, s2)
		return a, b, err
	}
	fc, err := tx.fenceIter(x)
	if err != nil {
		return nil, nil, err
	}
	defer fc.it.Close()
	if a, err = fc.path(s1); err != nil {
		return nil, nil, err
	}
	b, err = fc.path(s2)
	return a, b, err
}

// zrankDelete uncounts a score-index entry (suffix s) just deleted.
func (tx *Tx) zrankDelete(x *zrankIndex, s []byte) error {
	path, err := tx.zrankPath(x, s)
	if err != nil {
		return err
	}
	for l := range path {
		if path[l].entries--; path[l].entries < 0 {
			return errCorruptRank
		}
	}
	start := 0
	if f := &path[0]; f.entries == 0 && len(f.suffix) > 0 && (x.levels == 1 || !bytes.Equal(path[1].suffix, f.suffix)) {
		// Drop the emptied fence: its block joins the one before.
		if err := tx.del(x.fenceKey(0, f.suffix)); err != nil {
			return err
		}
		if err := tx.del(x.countKey(0, f.suffix)); err != nil {
			return err
		}
		start = 1
		if x.levels == 1 {
			x.top--
			if err := tx.putRankHeader(x); err != nil {
				return err
			}
		} else {
			path[1].children--
		}
	}
	for l := start; l < len(path); l++ {
		if err := tx.putFence(x, int64(l), &path[l]); err != nil {
			return err
		}
	}
	return nil
}

// zrankBefore counts the score-index entries below the key with suffix s
// (which need not exist).
func (tx *Tx) zrankBefore(x *zrankIndex, s []byte) (int64, error) {
	fc, err := tx.fenceIter(x)
	if err != nil {
		return 0, err
	}
	it := fc.it
	var acc int64
	var lo []byte
	for l := x.levels - 1; l >= 0; l-- {
		end := append(x.fenceKey(l, s), 0)
		var last *zfence
		for ok := it.SeekGE(x.fenceKey(l, lo)); ok && bytes.Compare(fc.it.Key(), end) < 0; ok = it.Next() {
			level, f, err := fc.fence()
			if err != nil || level != l {
				fc.it.Close()
				return 0, errCorruptRank
			}
			if last != nil {
				acc += last.entries
			}
			last = &f
		}
		if last == nil {
			fc.it.Close()
			return 0, errCorruptRank
		}
		lo = last.suffix
	}
	if err := fc.it.Close(); err != nil {
		return 0, err
	}
	prefix := codec.MemberPrefix(codec.TagZScore, x.ver)
	in, err := tx.iter(append(append([]byte(nil), prefix...), lo...), append(append([]byte(nil), prefix...), s...))
	if err != nil {
		return 0, err
	}
	defer in.Close()
	for ok := in.First(); ok; ok = in.Next() {
		acc++
	}
	return acc, in.Error()
}

// zrankSelect returns (a copy of) the score-index key at rank r, 0 <= r <
// the set's size.
func (tx *Tx) zrankSelect(x *zrankIndex, r int64) ([]byte, error) {
	fc, err := tx.fenceIter(x)
	if err != nil {
		return nil, err
	}
	it := fc.it
	var lo []byte
	for l := x.levels - 1; l >= 0; l-- {
		found := false
		for ok := it.SeekGE(x.fenceKey(l, lo)); ok; ok = it.Next() {
			level, f, err := fc.fence()
			if err != nil || level != l {
				break
			}
			if r < f.entries {
				lo, found = f.suffix, true
				break
			}
			r -= f.entries
		}
		if !found {
			fc.it.Close()
			return nil, errCorruptRank
		}
	}
	if err := fc.it.Close(); err != nil {
		return nil, err
	}
	prefix := codec.MemberPrefix(codec.TagZScore, x.ver)
	in, err := tx.iter(append(append([]byte(nil), prefix...), lo...), codec.PrefixEnd(prefix))
	if err != nil {
		return nil, err
	}
	defer in.Close()
	ok := in.First()
	for ; ok && r > 0; r-- {
		ok = in.Next()
	}
	if !ok {
		if err := in.Error(); err != nil {
			return nil, err
		}
		return nil, errCorruptRank
	}
	return append([]byte(nil), in.Key()...), nil
}

// zrankOfKey counts m's score-index entries below k, any key (clamped to
// the set's index range).
func (tx *Tx) zrankOfKey(x *zrankIndex, m *Meta, k []byte) (int64, error) {
	blo, bhi := zindexBounds(m)
	switch {
	case bytes.Compare(k, blo) <= 0:
		return 0, nil
	case bytes.Compare(k, bhi) >= 0:
		return m.Count, nil
	}
	return tx.zrankBefore(x, k[len(blo):])
}

// zrankBuild gives m (whose score index is complete in this batch) a rank
// index, in one walk over the index.
func (tx *Tx) zrankBuild(m *Meta) error {
	b := ZSetRankBlock
	var level []zfence
	lo, hi := zindexBounds(m)
	var n int64
	err := tx.walkSpan(m, lo, hi, false, 0, -1, func(k []byte) error {
		if n%b == 0 {
			var suffix []byte
			if n > 0 {
				suffix = append([]byte(nil), k[len(lo):]...)
			}
			level = append(level, zfence{suffix: suffix})
		}
		level[len(level)-1].entries++
		n++
		return nil
	})
	if err != nil || n == 0 {
		return err
	}
	x := &zrankIndex{ver: m.Version}
	for {
		for i := range level {
			if err := tx.newFence(x, x.levels, &level[i]); err != nil {
				return err
			}
		}
		x.levels++
		if int64(len(level)) <= 2*b {
			x.top = int64(len(level))
			return tx.putRankHeader(x)
		}
		var up []zfence
		for i, f := range level {
			if int64(i)%b == 0 {
				up = append(up, zfence{suffix: f.suffix})
			}
			up[len(up)-1].entries += f.entries
			up[len(up)-1].children++
		}
		level = up
	}
}

// zrankDrop removes m's rank index.
func (tx *Tx) zrankDrop(x *zrankIndex) error {
	p := codec.MemberPrefix(codec.TagZRank, x.ver)
	end := codec.PrefixEnd(p)
	if x.levels > 1 {
		return tx.deleteRange(p, end)
	}
	it, err := tx.iter(p, end)
	if err != nil {
		return err
	}
	var keys [][]byte
	for ok := it.First(); ok; ok = it.Next() {
		keys = append(keys, append([]byte(nil), it.Key()...))
	}
	if err := it.Close(); err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.del(k); err != nil {
			return err
		}
	}
	return nil
}

// zrankResize builds or drops m's rank index as its size (m.Count, after
// the write) asks; before is the set's size before the command (0 for a
// new set). A set that was under half the threshold had no index, so
// one that still is needs no lookup.
func (tx *Tx) zrankResize(m *Meta, before int64) error {
	if m.Count == 0 || m.ZInline || (m.Count >= ZSetRankThreshold/2 && m.Count < ZSetRankThreshold) {
		return nil
	}
	if m.Count < ZSetRankThreshold/2 && before < ZSetRankThreshold/2 {
		return nil
	}
	x, err := tx.zrankRead(m)
	if err != nil {
		return err
	}
	switch {
	case x == nil && m.Count >= ZSetRankThreshold:
		return tx.zrankBuild(m)
	case x != nil && m.Count < ZSetRankThreshold/2:
		return tx.zrankDrop(x)
	}
	return nil
}
