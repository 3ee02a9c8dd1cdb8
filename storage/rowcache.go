package storage

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
)

// rowCache holds the latest committed value of the metadata records that
// write transactions read, so that a script's GET, INCRBY or ZADD finds its
// key without a Pebble lookup. Pebble has no row cache of its own: a point
// read seeks the memtable's skiplist (cache misses all the way down on a
// full memtable) and then each level's filter, microseconds that were a
// fifth of a ledger transfer's CPU.
//
// Only write transactions and commits touch it, and both hold the write
// lock, so it needs no lock and it is never behind the store: a commit
// brings every cached record it wrote up to date (commitBatch) before the
// lock is released. Read transactions work on snapshots and do not use it.
//
// Entries live in two generations, each an append-only byte arena indexed
// by a map from the key's hash to the entry's offset. Neither holds a
// pointer, so the garbage collector never scans them however many entries
// there are. When the current arena fills, it becomes the old one and the
// old one is dropped; a hit in the old generation is copied forward. That
// keeps what is in use, at a map lookup per read, with a hard bound on
// memory.
type rowCache struct {
	half     int // arena bytes per generation; 0 disables the cache
	cur, old rowGen
}

// rowGen is one generation. An entry at off is: key length (uvarint), key,
// value length + 1 (uvarint; 0 means the record is absent), value.
type rowGen struct {
	arena []byte
	index map[uint64]uint32
}

// maxRowValue bounds the values the cache keeps: metadata records are small
// except for long strings, which are read rarely enough per byte that a
// copy is not worth the memory.
const maxRowValue = 4 << 10

var rowSeed = maphash.MakeSeed()

func newRowCache(budget int64) *rowCache {
	half := budget / 2
	if half > 1<<31 {
		half = 1 << 31 // offsets are 32-bit
	}
	return &rowCache{half: int(half)}
}

// cacheable reports whether key is a record the cache keeps: metadata, which
// every command reads, not the members of collections, which are many and
// mostly read once.
func cacheable(key []byte) bool { return len(key) > 0 && key[0] == codec.TagMeta }

// lookup finds key in g: the value (aliasing the arena), whether the record
// exists, and whether g has an entry for it at all.
func (g *rowGen) lookup(h uint64, key []byte) (value []byte, ok, found bool) {
	off, hit := g.index[h]
	if !hit {
		return nil, false, false
	}
	b := g.arena[off:]
	kl, n := binary.Uvarint(b)
	b = b[n:]
	if !bytes.Equal(b[:kl], key) {
		return nil, false, false // another key with this hash
	}
	b = b[kl:]
	vl, n := binary.Uvarint(b)
	if vl == 0 {
		return nil, false, true
	}
	return b[n : n+int(vl-1)], true, true
}

// get returns the cached value of key (aliasing the cache: copy it before
// the next call), whether the record exists, and whether it was cached.
func (c *rowCache) get(key []byte) (value []byte, ok, found bool) {
	if c.half == 0 {
		return nil, false, false
	}
	h := maphash.Bytes(rowSeed, key)
	if v, ok, found := c.cur.lookup(h, key); found {
		return v, ok, true
	}
	v, ok, found := c.old.lookup(h, key)
	if found {
		v = c.put(h, key, v, ok)
	}
	return v, ok, found
}

// fill records what a read of the committed state found.
func (c *rowCache) fill(key, value []byte, ok bool) {
	if c.half == 0 || len(value) > maxRowValue {
		return
	}
	c.put(maphash.Bytes(rowSeed, key), key, value, ok)
}

// put appends an entry to the current generation, turning generations over
// first if it is full, and returns the value's copy in the arena.
func (c *rowCache) put(h uint64, key, value []byte, ok bool) []byte {
	need := 2*binary.MaxVarintLen32 + len(key) + len(value)
	if c.cur.arena == nil || len(c.cur.arena)+need > cap(c.cur.arena) {
		c.old = c.cur
		c.cur = rowGen{arena: make([]byte, 0, c.half), index: make(map[uint64]uint32, len(c.old.index))}
		if need > c.half {
			return value
		}
	}
	a := c.cur.arena
	off := len(a)
	a = binary.AppendUvarint(a, uint64(len(key)))
	a = append(a, key...)
	vl := uint64(0)
	if ok {
		vl = uint64(len(value)) + 1
	}
	a = binary.AppendUvarint(a, vl)
	start := len(a)
	a = append(a, value...)
	c.cur.arena = a
	c.cur.index[h] = uint32(off)
	return a[start:len(a):len(a)]
}

// clear drops everything (a range deletion may cover any record).
func (c *rowCache) clear() {
	if len(c.cur.index) > 0 || len(c.old.index) > 0 {
		c.cur, c.old = rowGen{}, rowGen{}
	}
}

// commitBatch brings the cached records a committed batch wrote up to date.
// Records the cache does not hold stay out of it: a write is not a read.
func (c *rowCache) commitBatch(b *pebble.Batch) {
	if c.half == 0 || (len(c.cur.index) == 0 && len(c.old.index) == 0) {
		return
	}
	r := b.Reader()
	for {
		kind, key, value, more, err := r.Next()
		if !more || err != nil {
			if err != nil {
				c.clear() // cannot tell what it wrote: trust nothing
			}
			return
		}
		switch kind {
		case pebble.InternalKeyKindSet, pebble.InternalKeyKindDelete, pebble.InternalKeyKindSingleDelete:
			if !cacheable(key) {
				continue
			}
			h := maphash.Bytes(rowSeed, key)
			_, _, inCur := c.cur.lookup(h, key)
			_, _, inOld := c.old.lookup(h, key)
			if !inCur && !inOld {
				continue
			}
			if inOld {
				delete(c.old.index, h)
			}
			if kind == pebble.InternalKeyKindSet && len(value) > maxRowValue {
				delete(c.cur.index, h)
				continue
			}
			c.put(h, key, value, kind == pebble.InternalKeyKindSet)
		case pebble.InternalKeyKindLogData:
		default:
			// Range deletions (FLUSHDB, FLUSHALL) and anything else.
			c.clear()
			return
		}
	}
}

// writeSet remembers which keys a write transaction's batch wrote, so that
// its reads of other keys may still use the row cache. It holds the hashes
// of the first few; past that, or after a range deletion, the transaction
// reads through its batch as before. A hash collision only costs a Pebble
// read.
type writeSet struct {
	n    int
	all  bool // too many to track, or a range deletion: assume any key
	hash [8]uint64
}

func (w *writeSet) add(key []byte) {
	if w.all || !cacheable(key) {
		return
	}
	if w.n == len(w.hash) {
		w.all = true
		return
	}
	w.hash[w.n] = maphash.Bytes(rowSeed, key)
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
