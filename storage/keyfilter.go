package storage

import (
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
)

// keyFilter answers "is this key certainly absent?" without Pebble: a
// Bloom filter of every metadata record committed since it was built.
//
// Why: a key's first touch (a SET of a new key, a script's ZADD to a new
// rate-limit key, a GET of a missing one) misses the row cache and asks
// Pebble, whose lookup of an absent key searches the memtable's skiplist
// (a cache miss at each of its levels) and then checks each level's
// tables: about 5 us, most of a pipelined SET's CPU when half its keys are
// new. The filter answers most such lookups with one cache line.
//
// It holds keys, never their absence, so it may only say "absent" of a key
// that was never committed since it was built, and it must be built from
// the whole store: an empty store at Open, or a scan of every metadata
// record (rebuild). Every commit adds the metadata keys it sets before
// Pebble applies it, under commitMu (applyAndCache), so a key is in the
// filter before any reader can see it. Deleted keys stay in it; a filter
// grown too full to answer "absent" often is no longer used, and is
// rebuilt from the keys that remain (keyFilters.maintain).
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

// keyFilters is the filter in use and, while one is being built, the next.
type keyFilters struct {
	max      int64                     // bytes a filter may take (key-filter-size); 0: no filter
	active   atomic.Pointer[keyFilter] // nil until one is built, or when full
	building atomic.Pointer[keyFilter]

	absentN atomic.Int64 // lookups answered "absent"
	builds  atomic.Int64 // filters put in use

	mu      sync.Mutex // running and closed, and starting a rebuild
	running bool       // a rebuild is under way
	closed  bool       // Close has begun: start no goroutine
}

// filterBuildBits is the bits per key a filter is built with: about a
// quarter of its bits are set then, and the store can take twice its
// keys again before the filter is full.
const filterBuildBits = 20

// minFilterBytes is the smallest filter, for an empty or small store: a
// megabyte holds about 1.3M keys before it is full, so a store that
// starts empty is not rescanned while it grows to that.
const minFilterBytes = 1 << 20

// absent reports whether the metadata record key is certainly not in the
// store's committed state. Not for snapshots: a filter built after one was
// taken may lack a key the snapshot still holds.
func (k *keyFilters) absent(key []byte) bool {
	f := k.active.Load()
	if f != nil && f.absent(key) {
		k.absentN.Add(1)
		return true
	}
	return false
}

// KeyFilterStats is what INFO reports of the key filter.
type KeyFilterStats struct {
	Bytes   int64 // the filter in use; 0 when there is none
	Max     int64 // key-filter-size
	BitsSet int64 // of the filter in use
	Absent  int64 // lookups it answered
	Builds  int64 // filters built and put in use
}

// KeyFilterStats reports on the key filter.
func (db *DB) KeyFilterStats() KeyFilterStats {
	k := &db.keys
	st := KeyFilterStats{Max: k.max, Absent: k.absentN.Load(), Builds: k.builds.Load()}
	if f := k.active.Load(); f != nil {
		st.Bytes = int64(len(f.blocks)) * 64
		st.BitsSet = f.set.Load()
	}
	return st
}

// committed records the metadata keys a batch about to be applied sets.
// The caller holds commitMu exclusively.
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

// lost drops the filters, for a batch whose keys could not be read: the
// next maintainKeyFilter builds one again.
func (k *keyFilters) lost() {
	k.active.Store(nil)
	if f := k.building.Load(); f != nil {
		f.set.Store(f.nbits) // full: the rebuild will not put it in use
	}
}

// rebuildKeyFilter builds a filter of size bytes from every metadata
// record in the store and puts it in use, unless the store closes first.
// Commits add to the new filter from before the scan's snapshot is taken
// (both happen under commitMu), so a key is either in the snapshot or
// added by its commit.
func (db *DB) rebuildKeyFilter(size int64) {
	k := &db.keys
	defer db.bg.Done()
	defer func() {
		k.mu.Lock()
		k.running = false
		k.mu.Unlock()
	}()
	f := newKeyFilter(size)
	db.commitMu.RLock()
	k.building.Store(f)
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: []byte{codec.TagMeta}, UpperBound: []byte{codec.TagMeta + 1}})
	db.commitMu.RUnlock()
	defer k.building.Store(nil)
	if err != nil {
		return
	}
	n := 0
	for it.First(); it.Valid(); it.Next() {
		f.add(it.Key())
		if n++; n%4096 == 0 {
			select {
			case <-db.stop:
				it.Close()
				return
			default:
			}
			if f.full() {
				it.Close()
				return // more keys than the filter holds well
			}
		}
	}
	if it.Close() != nil {
		return
	}
	// Under commitMu, so that a batch lost meanwhile (lost) either marked
	// f full first or finds it in use and drops it.
	db.commitMu.RLock()
	if !f.full() {
		k.active.Store(f)
		k.builds.Add(1)
	}
	db.commitMu.RUnlock()
}

// maintainKeyFilter starts a rebuild when no filter is in use and a new
// one would hold the store's keys: at Open, and when the one in use has
// filled. Deleted keys leave their bits behind, so a store whose keys come
// and go fills its filter in time; a rebuild keeps only the keys that are
// there, in a filter sized for them.
func (db *DB) maintainKeyFilter() {
	k := &db.keys
	if k.max == 0 || k.active.Load() != nil {
		return
	}
	var keys int64
	for i := range MaxDatabases {
		keys += db.counts.keys[i].Load()
	}
	size := keys * filterBuildBits / 8
	if size > k.max {
		return // too many keys for a filter of the size allowed
	}
	size = min(max(size, minFilterBytes), k.max)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.running || k.closed {
		return
	}
	k.running = true
	db.bg.Add(1)
	go db.rebuildKeyFilter(size)
}

// stopKeyFilter keeps rebuilds from starting once Close has begun.
func (db *DB) stopKeyFilter() {
	db.keys.mu.Lock()
	db.keys.closed = true
	db.keys.mu.Unlock()
}
