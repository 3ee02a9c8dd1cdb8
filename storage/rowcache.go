package storage

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
)

// rowCache holds the latest committed value of metadata records (every
// key has one: a string's value, a collection's type, count and expiry)
// and of sorted sets' rank-index headers, so that a script's GET, INCRBY or ZADD, or a client's GET, finds its key
// without a Pebble lookup. Pebble has no row cache of its own: a point read
// seeks the memtable's skiplist (cache misses all the way down) and then
// each level's filter and index, microseconds that were a fifth of a
// ledger transfer's CPU and half of a GET's.
//
// The cache is never behind the store, because nothing reads it while the
// store moves: a commit holds DB.commitMu exclusively while it brings every
// cached record its batch writes up to date (commitBatch) and applies the
// batch, and the only readers are write transactions (which hold the write
// lock, so no commit happens under them) and point reads (which hold
// commitMu shared). What any of them finds in Pebble and puts into the
// cache (fill) is therefore the committed state too. The shards' mutexes
// only keep the maps whole under concurrent use.
//
// Each shard keeps two generations (rowindex.go), each a byte arena of
// entries indexed by a table from the key's hash to the entry's offset.
// Neither holds a pointer, so the garbage collector never scans them
// however many entries there are. When the current arena fills, it becomes
// the old one and the old one is dropped; a hit in the old generation is
// copied forward. That keeps what is in use, at a table probe per read,
// with a hard bound on memory.
type rowCache struct {
	shards [rowShards]rowShard
}

const rowShards = 16

type rowShard struct {
	mu       sync.Mutex
	half     int // arena bytes per generation; 0 disables the cache
	cur, old rowGen
	// hits and misses count get's answers, under mu: plain integers on a
	// cache line the shard already owns cost nothing next to the lookup.
	hits, misses int64
	_            [64]byte // keep shards' mutexes off each other's cache lines
}

// maxRowValue bounds the values the cache keeps: metadata records are small
// except for long strings, which are read rarely enough per byte that a
// copy is not worth the memory. Of a longer string the cache keeps the
// header (type, encoding, expiry) without the string: all that a SET
// overwriting it needs, which would otherwise fetch the old string (from a
// blob file, past value-separation-min-size) only to replace it.
const maxRowValue = 4 << 10

// rowKind is what an entry holds of its record.
type rowKind uint8

const (
	rowAbsent rowKind = iota // the record does not exist
	rowValue                 // the record's value
	rowHeader                // a long string's header (codec.StringHeader)
)

// entryFor is what the cache keeps of a record: the value, the header of a
// string too long to keep whole, or nothing (ok false for none).
func entryFor(key, value []byte, exists bool) (v []byte, kind rowKind, ok bool) {
	switch {
	case !exists:
		return nil, rowAbsent, true
	case len(value) <= maxRowValue:
		return value, rowValue, true
	case key[0] == codec.TagMeta:
		if h := codec.StringHeader(value); h != nil {
			return h, rowHeader, true
		}
	}
	return nil, 0, false
}

var rowSeed = maphash.MakeSeed()

func newRowCache(budget int64) *rowCache {
	half := budget / 2 / rowShards
	if half > 1<<31 {
		half = 1 << 31 // offsets are 32-bit
	}
	c := new(rowCache)
	for i := range c.shards {
		c.shards[i].half = int(half)
	}
	return c
}

func (c *rowCache) shard(h uint64) *rowShard { return &c.shards[h%rowShards] }

// cacheable reports whether key is a record the cache keeps: metadata, which
// every command reads; the rank-index header of a sorted set, which every
// write to the set looks up and which small sets do not have (an absence
// is cached like a value); and the fence counts of rank indexes, a few
// hundred of which every rank of a big set sums (zset_rank.go: about 6 MB
// for a set of 10M members, point reads of 2-3 us each from Pebble). Not
// the members of collections: those go to a cache of their own (cacheFor).
func cacheable(key []byte) bool {
	if len(key) == 0 {
		return false
	}
	switch key[0] {
	case codec.TagMeta:
		return true
	case codec.TagZRank:
		return len(key) == zrankHeaderLen || len(key) > zrankHeaderLen && key[zrankHeaderLen]&countLevel != 0
	}
	return false
}

// cacheFor is the cache that keeps key's record: rows for the records
// cacheable accepts, members for member records (hash fields, set members,
// sorted-set members' scores: the ones the members' key filter holds), nil
// for the rest. Members have a cache, and a budget, of their own because
// there are many more of them: a big hash read at random would otherwise
// push out the metadata that every command reads.
func (db *DB) cacheFor(key []byte) *rowCache {
	switch {
	case cacheable(key):
		return db.rows
	case filteredMember(key):
		return db.members
	}
	return nil
}

// cachedTags are the first bytes of the keys cacheable accepts: keys of
// other tags never are.
var cachedTags = [...]byte{codec.TagMeta, codec.TagZRank}

// mayHoldCached reports whether the range [start, end) may hold a record
// the cache keeps: whether it meets the key space of a tag in cachedTags.
// Clearing the whole cache for a range deletion that holds none would
// make every read miss until it filled again: deleting a 100-field hash
// 100 times a second kept GET's hit rate under 1% (73% more CPU per GET).
func mayHoldCached(start, end []byte) bool { return meetsTags(start, end, cachedTags[:]) }

// meetsTags reports whether [start, end) meets the key space of one of tags.
func meetsTags(start, end []byte, tags []byte) bool {
	for _, tag := range tags {
		if bytes.Compare(start, []byte{tag + 1}) < 0 && bytes.Compare(end, []byte{tag}) > 0 {
			return true
		}
	}
	return false
}

// mayHoldMembers reports whether the range [start, end) may hold a member
// record the members' cache keeps. The range of one collection's members
// does not count: it is deleted with its collection, whose version is
// never used again, so nothing reads its cached members any more. By the
// same argument no range deletion could leave a member that is still
// read behind; clearing the cache for the other ones (FLUSHALL's) is a
// precaution that costs nothing in practice.
func mayHoldMembers(start, end []byte) bool {
	if len(start) == 9 && filteredMember(start) && bytes.Equal(end, codec.PrefixEnd(start)) {
		return false
	}
	return meetsTags(start, end, memberFilterTags)
}

// zrankHeaderLen is the length of a rank-index header key: tag, version.
var zrankHeaderLen = len(codec.ZRankHeaderKey(0))

// lookup finds key in g: the value (aliasing the arena), what it is of the
// record, and whether g has an entry for it at all.
func (g *rowGen) lookup(h uint64, key []byte) (value []byte, kind rowKind, found bool) {
	slot := g.find(h, key)
	if slot < 0 {
		return nil, rowAbsent, false
	}
	value, kind = g.valueAt(g.offAt(slot))
	return value, kind, true
}

// get returns a copy (made by copyOut) of the cached value of key and
// reports what it is of the record and whether the cache has an entry at
// all. A long string's header is not its value: it counts only when the
// caller asks for headers.
func (c *rowCache) get(copyOut func([]byte) []byte, key []byte, headers bool) (value []byte, kind rowKind, found bool) {
	h := maphash.Bytes(rowSeed, key)
	sh := c.shard(h)
	if sh.half == 0 {
		return nil, rowAbsent, false
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	v, kind, found := sh.cur.lookup(h, key)
	if !found {
		if v, kind, found = sh.old.lookup(h, key); found {
			v = sh.put(h, key, v, kind)
		}
	}
	if found && kind == rowHeader && !headers {
		found = false
	}
	if !found {
		sh.misses++
		return nil, rowAbsent, false
	}
	sh.hits++
	return copyOut(v), kind, true
}

// RowCacheStats is what INFO reports of the row cache.
type RowCacheStats struct {
	Hits, Misses int64
	Entries      int64 // records held, in both generations
	Bytes        int64 // arena bytes in use
	Max          int64 // the budget (row-cache-size, member-cache-size)
}

// RowCacheStats sums the row cache's counters over its shards.
func (db *DB) RowCacheStats() RowCacheStats { return db.rows.stats() }

// MemberCacheStats is RowCacheStats for the members' cache.
func (db *DB) MemberCacheStats() RowCacheStats { return db.members.stats() }

func (c *rowCache) stats() RowCacheStats {
	var st RowCacheStats
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		st.Hits += sh.hits
		st.Misses += sh.misses
		st.Entries += int64(sh.cur.live + sh.old.live)
		st.Bytes += int64(len(sh.cur.arena) + len(sh.old.arena))
		st.Max += 2 * int64(sh.half)
		sh.mu.Unlock()
	}
	return st
}

// fill records what a read of the committed state found.
func (c *rowCache) fill(key, value []byte, ok bool) {
	h := maphash.Bytes(rowSeed, key)
	sh := c.shard(h)
	v, kind, keep := entryFor(key, value, ok)
	if sh.half == 0 || !keep {
		return
	}
	sh.mu.Lock()
	sh.put(h, key, v, kind)
	sh.mu.Unlock()
}

// put makes value key's entry in the current generation, turning
// generations over first if it is full, and returns the value's copy in
// the arena. A value as long as the one the generation holds is written
// over it: a SET or INCR of a string of the same length, or a count that
// moved, takes no arena space.
func (sh *rowShard) put(h uint64, key, value []byte, kind rowKind) []byte {
	slot := sh.cur.find(h, key)
	if slot >= 0 {
		if v, was := sh.cur.valueAt(sh.cur.offAt(slot)); was == kind && len(v) == len(value) {
			copy(v, value)
			return v
		}
	}
	need := 2*binary.MaxVarintLen32 + len(key) + len(value)
	if sh.cur.arena == nil || len(sh.cur.arena)+need > cap(sh.cur.arena) {
		sh.old = sh.cur
		sh.cur = rowGen{arena: make([]byte, 0, sh.half)}
		sh.cur.slots = make([]uint64, max(minRowSlots, 1<<bits.Len(uint(sh.old.live*2))))
		slot = -1
		if need > sh.half {
			return value
		}
	}
	a := sh.cur.arena
	off := uint32(len(a))
	a = binary.AppendUvarint(a, uint64(len(key)))
	a = append(a, key...)
	a = appendValueWord(a, len(value), kind)
	start := len(a)
	a = append(a, value...)
	sh.cur.arena = a
	if slot >= 0 {
		sh.cur.point(slot, off)
	} else {
		sh.cur.insert(h, off)
	}
	return a[start:len(a):len(a)]
}

// clear drops everything (a range deletion may cover any record).
func (c *rowCache) clear() {
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		sh.cur, sh.old = rowGen{}, rowGen{}
		sh.mu.Unlock()
	}
}

// updateCaches brings the cached records a batch about to be committed
// writes up to date, in both caches, and adds the keys it sets to the key
// filters. Records a cache does not hold stay out of it: a write is not a
// read. The caller holds commitMu exclusively.
func (db *DB) updateCaches(b *pebble.Batch) {
	// false once the cache was cleared: nothing left to update
	rows, members := true, true
	r := b.Reader()
	for {
		kind, key, value, more, err := r.Next()
		if err != nil {
			// Cannot tell what it wrote: trust nothing.
			db.clearCaches()
			db.filters.lost()
			return
		}
		if !more {
			return
		}
		switch kind {
		case pebble.InternalKeyKindSet, pebble.InternalKeyKindDelete, pebble.InternalKeyKindSingleDelete:
			if kind == pebble.InternalKeyKindSet {
				db.filters.committed(key)
			}
			switch {
			case rows && cacheable(key):
				db.rows.update(key, value, kind == pebble.InternalKeyKindSet)
			case members && filteredMember(key):
				db.members.update(key, value, kind == pebble.InternalKeyKindSet)
			}
		case pebble.InternalKeyKindLogData:
		case pebble.InternalKeyKindRangeDelete:
			// The members of a big collection deleted whole, a list's
			// trimmed run: nothing that is still read. FLUSHDB and
			// FLUSHALL, and a dropped rank index, cover cached records.
			if rows && mayHoldCached(key, value) {
				db.rows.clear()
				rows = false
			}
			if members && mayHoldMembers(key, value) {
				db.members.clear()
				members = false
			}
		default:
			db.clearCaches()
			rows, members = false, false
		}
	}
}

// clearCaches empties both caches.
func (db *DB) clearCaches() {
	db.rows.clear()
	db.members.clear()
}

// update replaces key's entry, if the cache has one, with a new value.
func (c *rowCache) update(key, value []byte, ok bool) {
	h := maphash.Bytes(rowSeed, key)
	sh := c.shard(h)
	if sh.half == 0 {
		return
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	inCur := sh.cur.find(h, key)
	inOld := sh.old.find(h, key)
	if inCur < 0 && inOld < 0 {
		return
	}
	if inOld >= 0 {
		sh.old.remove(inOld)
	}
	v, kind, keep := entryFor(key, value, ok)
	if !keep {
		if inCur >= 0 {
			sh.cur.remove(inCur)
		}
		return
	}
	sh.put(h, key, v, kind)
}

// writeSet remembers which keys a write transaction's batch wrote, so that
// its reads of other keys may still use the row cache and the key filters:
// metadata records, rank-index headers, and collections' member records. It
// holds the hashes of the first few; past that, or after a range deletion,
// the transaction reads through its batch as before. A hash collision only
// costs a Pebble read.
type writeSet struct {
	n    int
	all  bool       // too many to track, or a range deletion: assume any key
	hash [64]uint64 // a group of pipelined writes (up to 64 commands) writes as many metadata records
}

func (w *writeSet) add(key []byte) {
	if w.all || !cacheable(key) && !filtered(key) {
		return
	}
	h := maphash.Bytes(rowSeed, key)
	for _, x := range w.hash[:w.n] {
		if x == h {
			return // pipelined HSETs to one hash write its metadata each
		}
	}
	if w.n == len(w.hash) {
		w.all = true
		return
	}
	w.hash[w.n] = h
	w.n++
}

func (w *writeSet) has(key []byte) bool {
	if w.all {
		return true
	}
	if w.n == 0 {
		return false
	}
	h := maphash.Bytes(rowSeed, key)
	for _, x := range w.hash[:w.n] {
		if x == h {
			return true
		}
	}
	return false
}
