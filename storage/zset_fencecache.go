package storage

import (
	"bytes"
	"encoding/binary"
	"sort"

	"moonstone/codec"
)

// fenceCache keeps, for the rank indexes of a few big sorted sets, the
// suffixes of every fence, so that a write finds the path of fences over
// an entry by binary search in memory instead of a reverse seek per level
// in Pebble. Every ZADD of an existing member into a big set finds two
// paths (its old and new score), and those seeks, each through the
// memtable and every level, were a sixth of the command's CPU.
//
// Only write transactions use it, and only write transactions change it,
// so the write lock guards it. It holds the committed fences: a
// transaction that makes or drops a fence of a set (a split, a new level,
// building or dropping an index, deleting the set) stops using the cache
// for that set, and its commit removes the set from it; a discarded one
// leaves it as it was. Counts are not cached here (the row cache has
// them): fences change a few times per hundred writes, counts at every
// one.
type fenceCache struct {
	sets   map[uint64]*fenceSet // by collection version
	fences int                  // suffixes held, over all sets
	// tooBig are sets found to have more fences than one may keep: their
	// writes seek as before, without a scan to find that out each time.
	tooBig map[uint64]struct{}
}

// fenceSet is one index's fence suffixes, sorted, level by level.
type fenceSet struct {
	levels [][][]byte
	n      int
}

// fenceCacheMax bounds the suffixes kept (about 40 bytes each with their
// slice headers): enough for the fences of sets of some millions of
// members at ZSetRankBlock 64. One set may hold a quarter of them.
const fenceCacheMax = 1 << 18

// tooBigMax bounds the sets remembered as too big.
const tooBigMax = 1 << 10

// fencesDirty is what a transaction changed of rank-index fences: the
// versions whose fences it wrote or deleted, or all of them (a range
// deletion that may cover any).
type fencesDirty struct {
	all      bool
	versions []uint64
}

func (d *fencesDirty) has(ver uint64) bool {
	if d.all {
		return true
	}
	for _, v := range d.versions {
		if v == ver {
			return true
		}
	}
	return false
}

// noteFenceWrite records a write or delete of key if it is a fence record
// (the counts records change at every write and are not cached).
func (tx *Tx) noteFenceWrite(key []byte) {
	if len(key) < 10 || key[0] != codec.TagZRank || key[9]&countLevel != 0 {
		return
	}
	if ver := binary.BigEndian.Uint64(key[1:9]); !tx.fences.has(ver) {
		tx.fences.versions = append(tx.fences.versions, ver)
	}
}

// noteFenceRange records a range deletion over [start, end): within one
// set's rank records it dirties that set, otherwise every set whose
// records it may cover.
func (tx *Tx) noteFenceRange(start, end []byte) {
	if len(start) >= 9 && len(end) >= 9 && start[0] == codec.TagZRank && bytes.Equal(start[:9], end[:9]) {
		if ver := binary.BigEndian.Uint64(start[1:9]); !tx.fences.has(ver) {
			tx.fences.versions = append(tx.fences.versions, ver)
		}
		return
	}
	lo, hi := byte(0), byte(0xff)
	if len(start) > 0 {
		lo = start[0]
	}
	if len(end) > 0 {
		hi = end[0]
	}
	if lo <= codec.TagZRank && codec.TagZRank <= hi {
		tx.fences.all = true
	}
}

// commitFences drops from the cache the sets whose fences tx changed; it
// runs once tx's batch is applied, under the write lock.
func (tx *Tx) commitFences() {
	c := &tx.db.fences
	if tx.fences.all {
		*c = fenceCache{}
		return
	}
	for _, v := range tx.fences.versions {
		if s := c.sets[v]; s != nil {
			c.fences -= s.n
			delete(c.sets, v)
		}
	}
}

// cachedFences returns x's fences for a write transaction that has not
// changed them, loading them on first use; nil when the cache cannot
// serve (a read transaction, changed fences, too many).
func (tx *Tx) cachedFences(x *zrankIndex) (*fenceSet, error) {
	if tx.b == nil || tx.fences.has(x.ver) {
		return nil, nil
	}
	c := &tx.db.fences
	if s := c.sets[x.ver]; s != nil && len(s.levels) == int(x.levels) {
		return s, nil
	}
	if _, big := c.tooBig[x.ver]; big {
		return nil, nil
	}
	fc, err := tx.fenceIter(x)
	if err != nil {
		return nil, err
	}
	defer fc.it.Close()
	s := &fenceSet{levels: make([][][]byte, x.levels)}
	for ok := fc.it.First(); ok; ok = fc.it.Next() {
		k := fc.it.Key()
		if len(k) < 10 {
			return nil, errCorruptRank
		}
		l, suffix := codec.ParseZRankFenceKey(k)
		if int64(l) >= x.levels {
			return nil, errCorruptRank
		}
		if s.n++; s.n > fenceCacheMax/4 {
			if c.tooBig == nil || len(c.tooBig) >= tooBigMax {
				c.tooBig = map[uint64]struct{}{}
			}
			c.tooBig[x.ver] = struct{}{}
			return nil, nil
		}
		s.levels[l] = append(s.levels[l], append([]byte(nil), suffix...))
	}
	if err := fc.it.Error(); err != nil {
		return nil, err
	}
	if c.sets == nil || c.fences+s.n > fenceCacheMax {
		c.sets, c.fences = map[uint64]*fenceSet{}, 0
	}
	if old := c.sets[x.ver]; old != nil {
		c.fences -= old.n
	}
	c.sets[x.ver] = s
	c.fences += s.n
	return s, nil
}

// path is zrankPath from cached fences: on each level, the last fence at
// or below s.
func (s *fenceSet) path(tx *Tx, x *zrankIndex, suffix []byte) ([]zfence, error) {
	path := make([]zfence, x.levels)
	for l := range path {
		lv := s.levels[l]
		i := sort.Search(len(lv), func(i int) bool { return bytes.Compare(lv[i], suffix) > 0 }) - 1
		if i < 0 {
			return nil, errCorruptRank
		}
		f, err := tx.fenceAt(x, int64(l), lv[i])
		if err != nil {
			return nil, err
		}
		path[l] = f
	}
	return path, nil
}
