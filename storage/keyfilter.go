package storage

import (
	"bytes"
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
)

// keyFilter answers "is this record certainly absent?" without Pebble: a
// Bloom filter of every record of its kind committed since it was built
// (filterSet: metadata records, and collections' member records).
//
// Why: a key's first touch (a SET of a new key, a script's ZADD to a new
// rate-limit key, a GET of a missing one), or an HSET of a new field,
// misses the row cache and asks Pebble, whose lookup of an absent key
// searches the memtable's skiplist (a cache miss at each of its levels)
// and then checks each level's tables: about 5 us, most of a pipelined
// SET's CPU when half its keys are new. The filter answers most such
// lookups with one cache line.
//
// It holds keys, never their absence, so it may only say "absent" of a key
// that was never committed since it was built, and it must be built from
// the whole store: a scan of every record of its kind (rebuild). Every
// commit adds the keys it sets before Pebble applies it, under commitMu
// (applyAndCache), so a key is in the filter before any reader can see it.
// Deleted keys stay in it; a filter grown too full to answer "absent"
// often is no longer used, and is rebuilt from the keys that remain
// (maintainKeyFilters).
//
// The filter is blocked: a key's bits all fall in one 64-byte block, so
// an answer costs one cache line whatever the number of bits checked.
type keyFilter struct {
	blocks []filterBlock
	set    atomic.Int64 // bits set
	nbits  int64
}

type filterBlock [8]atomic.Uint64 // 512 bits, one cache line

// filterProbes is the number of bits a key sets in its block: with 10
// bits a key, about 1% of absent keys find them all set.
const filterProbes = 6

// filterFullAt is the fraction of bits set past which a filter is dropped:
// an absent key then finds all its bits set about 5% of the time or more,
// and the filter costs a lookup that seldom saves one.
const filterFullAt = 0.6

var filterSeed = maphash.MakeSeed()

func newKeyFilter(bytes int64) *keyFilter {
	n := max(bytes/64, 1)
	return &keyFilter{blocks: make([]filterBlock, n), nbits: n * 512}
}

// probe returns key's block and the mask of the bits it sets in each word.
func (f *keyFilter) probe(key []byte) (*filterBlock, [8]uint64) {
	h := maphash.Bytes(filterSeed, key)
	hi, _ := bits.Mul64(h, uint64(len(f.blocks)))
	b := &f.blocks[hi]
	// The bit positions come from the hash mixed again, so that keys in
	// the same block do not share them.
	m := h * 0x9e3779b97f4a7c15
	var masks [8]uint64
	for i := 0; i < filterProbes; i++ {
		bit := m >> 55 // 9 bits: one of the block's 512
		masks[bit>>6] |= 1 << (bit & 63)
		m = bits.RotateLeft64(m, 9)
	}
	return b, masks
}

// add records key.
func (f *keyFilter) add(key []byte) {
	b, masks := f.probe(key)
	for i, m := range masks {
		// Most commits rewrite keys already there: reading first leaves
		// their block's cache line shared instead of taking it for a
		// locked write.
		if m == 0 || b[i].Load()&m == m {
			continue
		}
		if old := b[i].Or(m); old&m != m {
			f.set.Add(int64(bits.OnesCount64(m &^ old)))
		}
	}
}

// absent reports whether key was certainly never added.
func (f *keyFilter) absent(key []byte) bool {
	b, masks := f.probe(key)
	for i, m := range masks {
		if m != 0 && b[i].Load()&m != m {
			return true
		}
	}
	return false
}

// full reports whether the filter has too many bits set to be worth asking.
func (f *keyFilter) full() bool {
	return float64(f.set.Load()) > filterFullAt*float64(f.nbits)
}

// keyFilters is the filter in use for one kind of record and, while one
// is being built, the next.
type keyFilters struct {
	kind     filterKind
	max      int64                     // bytes a filter may take (key-filter-size); 0: no filter
	active   atomic.Pointer[keyFilter] // nil until one is built, or when full
	building atomic.Pointer[keyFilter]

	absentN atomic.Int64 // lookups answered "absent"
	builds  atomic.Int64 // filters put in use

	mu        sync.Mutex // the fields below, and starting a rebuild
	running   bool       // a rebuild is under way
	closed    bool       // Close has begun: start no goroutine
	notBefore time.Time  // after a store too big for a filter: when to count again
}

// filterKind is a kind of record a filter holds: the tags of their keys,
// and how many the store holds (-1 if more than limit), to size a filter.
type filterKind struct {
	tags  []byte
	count func(db *DB, limit int64) int64
}

// filterSet is the store's two filters: one of metadata records, which
// every command looks up, and one of the member records of hashes, sets
// and sorted sets, which HSET, SADD and ZADD look up before they write (a
// new field or member is absent) and HGET, SISMEMBER and ZSCORE read.
type filterSet struct {
	keys, members keyFilters
}

func newFilterSet(max int64) filterSet {
	return filterSet{
		keys:    keyFilters{kind: filterKind{tags: []byte{codec.TagMeta}, count: countKeys}, max: max},
		members: keyFilters{kind: filterKind{tags: memberFilterTags, count: countMembers}, max: max},
	}
}

// of is the filter that holds key's kind of record, or nil.
func (s *filterSet) of(key []byte) *keyFilters {
	switch {
	case isMetaKey(key):
		return &s.keys
	case filteredMember(key):
		return &s.members
	}
	return nil
}

// memberFilterTags are the tags of the member records the members' filter
// holds: a hash's fields, a set's members, a sorted set's members (not its
// score-index entries, which are found by a scan).
var memberFilterTags = []byte{codec.TagHash, codec.TagSet, codec.TagZMember}

// filteredMember reports whether key is a member record the members'
// filter holds.
func filteredMember(key []byte) bool {
	return len(key) > 0 && bytes.IndexByte(memberFilterTags, key[0]) >= 0
}

// tagIter iterates over every record whose key starts with tag.
func (db *DB) tagIter(tag byte) (*pebble.Iterator, error) {
	return db.pdb.NewIter(&pebble.IterOptions{LowerBound: []byte{tag}, UpperBound: codec.PrefixEnd([]byte{tag})})
}

// filtered reports whether a key filter holds key's kind of record.
func filtered(key []byte) bool { return isMetaKey(key) || filteredMember(key) }

// committed records a key a batch about to be applied sets. The caller
// holds commitMu exclusively.
func (s *filterSet) committed(key []byte) {
	if k := s.of(key); k != nil {
		k.committed(key)
	}
}

// lost drops the filters, for a batch whose keys could not be read: the
// next maintain builds them again.
func (s *filterSet) lost() {
	s.keys.lost()
	s.members.lost()
}

// filterBuildBits is the bits per key a filter is built with: about a
// quarter of its bits are set then, and the store can take twice its
// keys again before the filter is full.
const filterBuildBits = 20

// minFilterBytes is the smallest filter, for an empty or small store: a
// megabyte holds about 1.3M keys before it is full, so a store that
// starts empty is not rescanned while it grows to that.
const minFilterBytes = 1 << 20

// filterRetry is how long a store found with too many records for a
// filter goes before it is counted again.
const filterRetry = time.Minute

// absent reports whether key is certainly not in the store's committed
// state. Not for snapshots: a filter built after one was taken may lack a
// key the snapshot still holds.
func (k *keyFilters) absent(key []byte) bool {
	f := k.active.Load()
	if f != nil && f.absent(key) {
		k.absentN.Add(1)
		return true
	}
	return false
}

// KeyFilterStats is what INFO reports of a key filter.
type KeyFilterStats struct {
	Bytes   int64 // the filter in use; 0 when there is none
	Max     int64 // key-filter-size
	BitsSet int64 // of the filter in use
	Absent  int64 // lookups it answered
	Builds  int64 // filters built and put in use
}

// KeyFilterStats reports on the filter of metadata records (keys) and on
// the one of collections' members.
func (db *DB) KeyFilterStats() (keys, members KeyFilterStats) {
	return db.filters.keys.stats(), db.filters.members.stats()
}

func (k *keyFilters) stats() KeyFilterStats {
	st := KeyFilterStats{Max: k.max, Absent: k.absentN.Load(), Builds: k.builds.Load()}
	if f := k.active.Load(); f != nil {
		st.Bytes = int64(len(f.blocks)) * 64
		st.BitsSet = f.set.Load()
	}
	return st
}

func (k *keyFilters) committed(key []byte) {
	if f := k.active.Load(); f != nil {
		f.add(key)
		if f.full() {
			k.active.Store(nil)
		}
	}
	if f := k.building.Load(); f != nil {
		f.add(key)
	}
}

func (k *keyFilters) lost() {
	k.active.Store(nil)
	if f := k.building.Load(); f != nil {
		f.set.Store(f.nbits) // full: the rebuild will not put it in use
	}
}

// countKeys is the number of keys, from the counts every commit keeps.
func countKeys(db *DB, limit int64) int64 {
	var keys int64
	for i := range MaxDatabases {
		keys += db.counts.keys[i].Load()
	}
	return keys
}

// countMembers is the number of member records, summed over the counts of
// the hashes, sets and sorted sets that keep their members in records of
// their own (inline ones keep them in their metadata), or -1 once past
// limit: a scan of the metadata records. A store with more keys than limit
// is not scanned (-1): counting would read every key at each start.
func countMembers(db *DB, limit int64) int64 {
	if countKeys(db, limit) > limit {
		return -1
	}
	it, err := db.tagIter(codec.TagMeta)
	if err != nil {
		return -1
	}
	defer it.Close()
	var n, seen int64
	for it.First(); it.Valid(); it.Next() {
		if seen++; seen%4096 == 0 {
			select {
			case <-db.stop:
				return -1 // closing: the count does not matter
			default:
			}
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return -1
		}
		m, err := codec.DecodeMeta(v)
		if err != nil {
			return -1
		}
		switch {
		case m.Type == codec.TypeSet,
			m.Type == codec.TypeHash && !m.HInline,
			m.Type == codec.TypeZSet && !m.ZInline:
			n += m.Count
		}
		if n > limit {
			return -1
		}
	}
	return n
}

// rebuild sizes a filter for the records of k's kind in the store, builds
// it from them and puts it in use, unless the store closes first or holds
// too many. Commits add to the new filter from before the scan's snapshot
// is taken (both happen under commitMu), so a record is either in the
// snapshot or added by its commit.
func (db *DB) rebuild(k *keyFilters) {
	defer db.bg.Done()
	built := false
	defer func() {
		k.mu.Lock()
		k.running = false
		if !built {
			k.notBefore = time.Now().Add(filterRetry)
		}
		k.mu.Unlock()
	}()
	n := k.kind.count(db, k.max*8/filterBuildBits)
	if n < 0 || n*filterBuildBits/8 > k.max {
		return // too many records for a filter of the size allowed
	}
	f := newKeyFilter(min(max(n*filterBuildBits/8, minFilterBytes), k.max))
	db.commitMu.RLock()
	k.building.Store(f)
	var its []*pebble.Iterator
	for _, tag := range k.kind.tags {
		it, err := db.tagIter(tag)
		if err != nil {
			break
		}
		its = append(its, it)
	}
	db.commitMu.RUnlock()
	defer k.building.Store(nil)
	defer func() {
		for _, it := range its {
			it.Close()
		}
	}()
	if len(its) != len(k.kind.tags) {
		return
	}
	count := 0
	for _, it := range its {
		for it.First(); it.Valid(); it.Next() {
			f.add(it.Key())
			if count++; count%4096 == 0 {
				select {
				case <-db.stop:
					return
				default:
				}
				if f.full() {
					return // more records than the filter holds well
				}
			}
		}
		if it.Error() != nil {
			return
		}
	}
	// Under commitMu, so that a batch lost meanwhile (lost) either marked
	// f full first or finds it in use and drops it.
	db.commitMu.RLock()
	if !f.full() {
		k.active.Store(f)
		k.builds.Add(1)
		built = true
	}
	db.commitMu.RUnlock()
}

// maintainKeyFilters starts a rebuild of each filter not in use: at Open,
// and when one has filled. Deleted records leave their bits behind, so a
// store whose keys come and go fills its filter in time; a rebuild keeps
// only the records that are there, in a filter sized for them.
func (db *DB) maintainKeyFilters() {
	for _, k := range []*keyFilters{&db.filters.keys, &db.filters.members} {
		if k.max == 0 || k.active.Load() != nil {
			continue
		}
		k.mu.Lock()
		if !k.running && !k.closed && !time.Now().Before(k.notBefore) {
			k.running = true
			db.bg.Add(1)
			go db.rebuild(k)
		}
		k.mu.Unlock()
	}
}

// stopKeyFilters keeps rebuilds from starting once Close has begun.
func (db *DB) stopKeyFilters() {
	for _, k := range []*keyFilters{&db.filters.keys, &db.filters.members} {
		k.mu.Lock()
		k.closed = true
		k.mu.Unlock()
	}
}
