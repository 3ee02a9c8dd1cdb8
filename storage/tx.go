package storage

import (
	"errors"
	"io"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
	"moonstone/internal/slab"
)

// Tx is one transaction: a write transaction over an indexed batch (holding
// the write lock), or a read transaction over a snapshot.
type Tx struct {
	db   *DB
	r    pebble.Reader
	b    *pebble.Batch // nil for a read transaction
	snap *pebble.Snapshot
	now  int64 // unix ms, fixed for the whole transaction as in a Redis script
	// dbs maps the logical databases of the API to the physical ones of
	// the keys (dbmap.go); swappedDBs says this transaction's SWAPDB
	// changed it, so Commit publishes it.
	dbs        *dbMap
	swappedDBs bool

	// deltas and flushed name physical databases, as the counts do.
	deltas []countDelta
	// flushed lists databases emptied by this transaction (FLUSHDB/FLUSHALL),
	// whose counts Commit resets before applying deltas.
	flushed []int
	done    bool
	// touchedKeys is what this transaction changed, for WATCH (watch.go).
	touchedKeys touched
	// afterCommit runs once the batch is applied (see AfterCommit).
	afterCommit []func()
	// replaced is the key deleteKey last removed, for KeyHook's "new".
	replaced   []byte
	replacedDB int
	// ready are keys made ready for blocked clients (ready.go), readySeen
	// their metadata keys.
	ready     []ReadyKey
	readySeen map[string]struct{}
	// reads remembers the records this transaction read or wrote, so that
	// reading one again (a script's GET then DECRBY of one key: every
	// command loads the key's metadata) costs no second lookup in Pebble.
	reads readCache
	// point marks a point read: no snapshot, commits held off instead
	// (BeginPointRead).
	point bool
	// written tracks what the batch wrote, for the row cache (rowcache.go).
	written writeSet
	// metaW are metadata records written but not yet in the batch
	// (metawrites.go); writes counts every write, for Writes.
	metaW  *metaWrites
	writes int
	// fences is what the transaction changed of rank-index fences
	// (zset_fencecache.go).
	fences fencesDirty
	// stamped is the format this transaction's batch stamps, 0 for none
	// (stampFormat).
	stamped int64
	// keyBuf is scratch space for a record key that is only looked up.
	keyBuf []byte
	// scratch and metas are where the values the transaction copies out
	// (read, readCache) and the metadata it decodes (loadMeta) are cut
	// from: a command that reads a few small records costs an allocation
	// per block rather than one per copy (package slab: nothing cut is
	// reused, so a caller may keep what it was given).
	scratch slab.Slab[byte]
	metas   slab.Slab[codec.Meta]
	// keepExpired: expired keys are not removed (KeepExpired).
	keepExpired bool
	// seeExpired: a read transaction reports expired keys that are still
	// stored as present (SeeExpired).
	seeExpired bool
	// views are the Pebble buffers a point read lent out (readView),
	// released at Close.
	views []io.Closer
	// metExpired are the expired keys a read transaction met, removed
	// when it ends (lazyexpire.go).
	metExpired []expiredKey
	// changes, versionKeys and owner serve client-side caching
	// (changes.go).
	changes     []Change
	versionKeys map[uint64]collectionKey
	owner       any
}

// readCache holds, for a few keys, the value a transaction last read or
// wrote (ok false: absent). Lookups in Pebble cost a memtable skiplist
// seek each, microseconds on a full memtable; commands and scripts
// re-read the same metadata records again and again. It holds at most
// readCacheSize keys, the first ones seen: a big transaction reads past
// it. Every write goes through set, del or deleteRange, which keep it
// true, so it never disagrees with the batch.
type readCache struct {
	n       int
	entries [readCacheSize]readCacheEntry
}

const readCacheSize = 4

type readCacheEntry struct {
	key, value []byte
	ok         bool
}

func (c *readCache) find(key []byte) *readCacheEntry {
	for i := 0; i < c.n; i++ {
		if string(c.entries[i].key) == string(key) {
			return &c.entries[i]
		}
	}
	return nil
}

// readCacheMaxValue bounds the values the cache holds: a value is copied
// in and again out, which for a large value (a 1 MB string that SET
// overwrites) costs more than reading it again would.
const readCacheMaxValue = 16 << 10

// put records key's value (copied into s; nil and false for absent). A
// value past readCacheMaxValue is not held, and key's entry is dropped.
func (c *readCache) put(key, value []byte, ok bool, s *slab.Slab[byte]) {
	e := c.find(key)
	if ok && len(value) > readCacheMaxValue {
		if e != nil {
			c.n--
			*e, c.entries[c.n] = c.entries[c.n], readCacheEntry{}
		}
		return
	}
	if e == nil {
		if c.n == readCacheSize {
			return
		}
		e = &c.entries[c.n]
		c.n++
		e.key = s.Copy(key)
	}
	e.value, e.ok = nil, ok
	if ok {
		e.value = s.Copy(value)
	}
}

// forget drops every entry, as a range deletion may cover any of them.
func (c *readCache) forget() {
	for i := 0; i < c.n; i++ {
		c.entries[i] = readCacheEntry{}
	}
	c.n = 0
}

// AfterCommit registers f to run when this write transaction commits, after
// its batch is applied and before the write lock is released, so the
// callbacks of successive transactions run in commit order. A discarded
// transaction never runs them: this is how effects outside the store
// (pub/sub messages, keyspace events) happen only for work that committed.
// Callbacks must not block or begin transactions.
func (tx *Tx) AfterCommit(f func()) { tx.afterCommit = append(tx.afterCommit, f) }

func (tx *Tx) runAfterCommit() {
	for _, f := range tx.afterCommit {
		f()
	}
	tx.afterCommit = nil
}

// BeginWrite takes the write lock and starts a write transaction. The caller
// must end it with Commit or Discard.
func (db *DB) BeginWrite() *Tx {
	db.syncer.beginWrite()
	db.writeMu.Lock()
	b := db.pdb.NewIndexedBatch()
	// Under the write lock: every SWAPDB committed so far is in the map.
	return &Tx{db: db, r: b, b: b, dbs: db.dbs.Load(), now: time.Now().UnixMilli()}
}

// TryBeginWrite is BeginWrite without waiting: nil if another write
// transaction holds the lock.
func (db *DB) TryBeginWrite() *Tx {
	if !db.writeMu.TryLock() {
		return nil
	}
	db.syncer.beginWrite()
	b := db.pdb.NewIndexedBatch()
	return &Tx{db: db, r: b, b: b, dbs: db.dbs.Load(), now: time.Now().UnixMilli()}
}

// BeginRead starts a read transaction on a consistent snapshot. It takes no
// lock. The caller must Close it.
func (db *DB) BeginRead() *Tx {
	s, dbs := db.snapshotAndMap()
	return &Tx{db: db, r: s, snap: s, dbs: dbs, now: time.Now().UnixMilli()}
}

// BeginPointRead starts a read transaction for a command that makes a few
// point reads (GET, HGET, ZSCORE: Redis's "fast" commands): instead of a
// snapshot, which costs a lock and a list entry in Pebble per command, it
// holds commits off until Close, so the store it reads cannot move, and it
// reads through the row cache. It must be short and must be closed, once:
// Close recycles it, so nothing may use it afterwards.
func (db *DB) BeginPointRead() *Tx {
	tx := pointTxs.Get().(*Tx)
	db.commitMu.RLock()
	// The map changes only under commitMu too, so it matches the store.
	tx.db, tx.r, tx.point, tx.dbs, tx.now = db, db.pdb, true, db.dbs.Load(), time.Now().UnixMilli()
	return tx
}

// pointTxs recycles point reads, the transactions of GET and its kind: a
// Tx is a few hundred bytes that would otherwise be allocated and swept
// per command, and its key buffer comes back grown.
var pointTxs = sync.Pool{New: func() any { return new(Tx) }}

// applyAndCache applies a committed batch to Pebble with apply (db.apply,
// or a commit without a sync request) and brings the row cache up to date
// with it, with point reads held off meanwhile. dbs, unless nil, is the
// database map the batch records (a SWAPDB), published with it.
func (db *DB) applyAndCache(b *pebble.Batch, apply func(*pebble.Batch) error, dbs *dbMap) error {
	db.commitMu.Lock()
	defer db.commitMu.Unlock()
	if dbs != nil {
		// Odd while the batch and the map may disagree (snapshotAndMap).
		db.dbsGen.Add(1)
		defer db.dbsGen.Add(1)
	}
	// The cache first: Pebble may take a large batch's contents over when
	// it applies it. Nobody reads the cache until commitMu is released.
	db.updateCaches(b)
	if err := apply(b); err != nil {
		db.clearCaches()
		return err
	}
	if dbs != nil {
		if swapAppliedHook != nil {
			swapAppliedHook()
		}
		db.dbs.Store(dbs)
	}
	return nil
}

// Writable reports whether tx may write.
func (tx *Tx) Writable() bool { return tx.b != nil }

// Now is the transaction's clock in unix milliseconds: expiry decisions made
// in one transaction all use the same instant.
func (tx *Tx) Now() int64 { return tx.now }

// SetNow overrides the transaction's clock (scripts freeze time at start).
func (tx *Tx) SetNow(ms int64) { tx.now = ms }

// DB is the store the transaction belongs to.
func (tx *Tx) DB() *DB { return tx.db }

// Commit applies a write transaction's batch atomically and releases the
// write lock. The returned Pending must be passed to DB.Wait before the
// caller acknowledges the write. An empty batch commits nothing.
func (tx *Tx) Commit() (Pending, error) {
	if tx.done {
		return Pending{}, errors.New("storage: transaction already ended")
	}
	tx.done = true
	db := tx.db
	defer db.endWrite()
	if err := tx.sealBatch(); err != nil {
		return Pending{}, err
	}
	if len(tx.flushed) > 0 {
		for _, n := range tx.flushed {
			db.counts.reset(n)
		}
	}
	if len(tx.deltas) > 0 || len(tx.flushed) > 0 {
		deltas := tx.deltas
		for _, n := range tx.flushed {
			deltas = append(deltas, countDelta{db: n})
		}
		if err := db.counts.apply(tx.b, deltas); err != nil {
			tx.b.Close()
			return Pending{}, err
		}
	}
	if tx.b.Empty() {
		tx.b.Close()
		tx.runCommitHook()
		tx.runAfterCommit()
		return db.ReadBarrier(), nil
	}
	tx.signalWatches()
	seq := db.pendingSeq.Add(1)
	db.stats.Commits.Add(1)
	// Every policy waits for the syncer (groupsync.go): under everysec
	// and no, its sync only writes the record to the file and leaves the
	// fsync for later (walfs.go).
	var dbs *dbMap
	if tx.swappedDBs {
		dbs = tx.dbs
	}
	err := db.applyAndCache(tx.b, db.apply, dbs)
	tx.b.Close()
	tx.commitFences()
	// Even when the apply failed: reads that counted seq must not wait
	// for a sync that nothing will ask for.
	db.appliedSeq.Store(seq)
	if err != nil {
		return Pending{}, err
	}
	signal(db.syncer.wanted)
	tx.runCommitHook()
	tx.runAfterCommit()
	return Pending{seq: seq, fsync: db.SyncPolicy() == SyncAlways, commit: true}, nil
}

// signalWatches marks the watches this transaction touched. It runs under
// the write lock just before the batch is applied, reading the state the
// batch leaves; EXEC checks its watch under the same lock, so it can never
// see the write without the mark.
func (tx *Tx) signalWatches() {
	tc := &tx.touchedKeys
	if len(tc.meta) == 0 && len(tc.versions) == 0 && len(tc.flushDBs) == 0 && !tc.flushAll && len(tc.swapped) == 0 {
		return
	}
	tx.db.watch.signal(tc, func(mk string) bool {
		// mk names a logical database: where is it now?
		v, ok, err := tx.get(tx.metaKey(int(mk[1]), []byte(mk[2:])))
		if err != nil || !ok {
			return false
		}
		m, err := codec.DecodeMeta(v)
		return err == nil && !m.Expired(tx.now)
	})
}

// BatchBytes reports the size of a write transaction's batch, counting
// the metadata records still to enter it.
func (tx *Tx) BatchBytes() int {
	return tx.b.Len() + tx.metaW.bytes()
}

// Writes counts the writes a write transaction has made: it changes
// whenever anything is written, even a record written before.
func (tx *Tx) Writes() int { return tx.writes }

// Discard throws away a write transaction's batch (nothing it wrote ever
// becomes visible) and releases the write lock; for a read transaction it is
// Close. Discarding an ended transaction does nothing.
func (tx *Tx) Discard() {
	if tx.done {
		return
	}
	tx.done = true
	if tx.b == nil {
		tx.endRead()
		return
	}
	tx.b.Close()
	tx.releaseMeta()
	tx.db.endWrite()
}

// Close ends a read transaction and returns the barrier its reply must wait
// for.
func (tx *Tx) Close() Pending {
	if tx.b != nil {
		panic("storage: Close of a write transaction")
	}
	if !tx.done {
		tx.done = true
		tx.endRead()
	}
	p := tx.db.ReadBarrier()
	if tx.point {
		buf := tx.keyBuf[:0]
		if cap(buf) > 1<<10 {
			buf = nil // a long key's buffer is not worth keeping
		}
		// The slabs stay too: what was cut from them is never cut again.
		*tx = Tx{keyBuf: buf, scratch: tx.scratch, metas: tx.metas}
		pointTxs.Put(tx)
	}
	return p
}

func (tx *Tx) endRead() {
	for _, c := range tx.views {
		c.Close()
	}
	tx.views = nil
	if tx.point {
		tx.db.commitMu.RUnlock()
	} else {
		tx.snap.Close()
	}
	if len(tx.metExpired) > 0 {
		keys := tx.metExpired
		tx.metExpired = nil
		tx.db.removeExpired(keys)
	}
}

// get returns a copy of the value at key, or nil and false. The copy is
// the caller's to keep or change.
func (tx *Tx) get(key []byte) ([]byte, bool, error) { return tx.read(key, readCopy) }

// readMode is what read hands back of a record.
type readMode uint8

const (
	// readCopy: a copy of the value, the caller's to keep or change.
	readCopy readMode = iota
	// readHeader: for a caller that does not need a string's value
	// (metaHeader), the row cache may give a long string's record as its
	// header alone (codec.StringHeader). A record the transaction has
	// written is read whole, as is one the cache does not hold.
	readHeader
	// readView: in a point read, a value read from Pebble is Pebble's own
	// memory, valid until Close and not to be changed (GetView).
	readView
)

func (tx *Tx) read(key []byte, mode readMode) ([]byte, bool, error) {
	if tx.metaW.pending() > 0 {
		if e := tx.metaW.find(key); e != nil {
			return tx.copyOut(e.value), true, nil
		}
	}
	if e := tx.reads.find(key); e != nil {
		if !e.ok {
			return nil, false, nil
		}
		return tx.copyOut(e.value), true, nil
	}
	rows := tx.rowsAnswer(key)
	cache := tx.db.cacheFor(key)
	if rows {
		if v, kind, found := cache.get(tx.copyOut, key, mode == readHeader); found {
			if kind == rowHeader {
				return v, true, nil // not the value: not remembered as one
			}
			ok := kind == rowValue
			tx.remember(key, v, ok)
			if !ok {
				return nil, false, nil
			}
			if v == nil {
				v = []byte{}
			}
			return v, true, nil
		}
	}
	if tx.certainlyAbsent(key) {
		tx.remember(key, nil, false)
		if rows {
			cache.fill(key, nil, false)
		}
		return nil, false, nil
	}
	r := tx.reader()
	if rows {
		// Nor does the store: the batch holds nothing of key, so the
		// committed state answers alone, without the batch's iterator.
		r = tx.db.pdb
	}
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		tx.remember(key, nil, false)
		if rows {
			cache.fill(key, nil, false)
		}
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out := v
	if mode == readView && tx.point {
		// A point read holds commits off until Close: Pebble's buffer
		// stays what it is until then, and a large value is not copied
		// once more than the reply copies it.
		tx.views = append(tx.views, closer)
	} else {
		out = tx.copyOut(v)
		closer.Close()
		tx.remember(key, out, true)
	}
	if rows {
		cache.fill(key, out, true)
	}
	return out, true, nil
}

// certainlyAbsent reports whether a key filter (keyfilter.go) tells key
// was never committed, and the transaction's batch holds nothing of it
// either. Not for snapshots: a filter built since may lack a key that a
// snapshot older than it still holds.
func (tx *Tx) certainlyAbsent(key []byte) bool {
	f := tx.db.filters.of(key)
	return f != nil && (tx.point || tx.b != nil && !tx.written.has(key)) && f.absent(key)
}

// reader is what a point read goes to. A write transaction whose batch is
// still empty reads the DB itself: an indexed batch's Get reads the DB's
// latest state plus the batch, so with nothing in the batch the two answer
// alike, and the DB's Get skips the iterator over the batch that
// Batch.Get allocates. (Nothing else commits meanwhile anyway: the
// transaction holds the write lock.)
func (tx *Tx) reader() pebble.Reader {
	if tx.b != nil && tx.b.Empty() {
		return tx.db.pdb
	}
	return tx.r
}

// set writes key's record, and del deletes it, telling whatever follows
// keys (WATCH, client tracking, keyspace events, blocked clients) that the
// key changed.
func (tx *Tx) set(key, value []byte) error {
	if tx.b == nil {
		return ErrReadOnlyTx
	}
	tx.noteWrite(key)
	return tx.write(key, value, true)
}

func (tx *Tx) del(key []byte) error {
	if tx.b == nil {
		return ErrReadOnlyTx
	}
	tx.noteWrite(key)
	return tx.write(key, nil, false)
}

func (tx *Tx) noteWrite(key []byte) {
	tx.touch(key)
	tx.noteChange(key)
	tx.noteReady(key)
}

// write puts key's record with value (exists) or deletes it in the batch,
// and keeps the transaction's own reads of it current, but tells no one
// that follows keys: for a record whose key does not change in any way a
// client can see (reindex).
func (tx *Tx) write(key, value []byte, exists bool) error {
	if tx.b == nil {
		return ErrReadOnlyTx
	}
	tx.written.add(key)
	tx.writes++
	tx.noteFenceWrite(key)
	var err error
	switch {
	case !exists:
		if isMetaKey(key) {
			tx.metaW.drop(key)
		}
		err = tx.b.Delete(key, nil)
	case isMetaKey(key):
		err = tx.setMeta(key, value)
	default:
		err = tx.b.Set(key, value, nil)
	}
	if err != nil {
		tx.reads.forget()
		return err
	}
	if e := tx.reads.find(key); e != nil {
		tx.reads.put(key, value, exists, tx.scratchSlab())
	}
	return nil
}

func (tx *Tx) deleteRange(start, end []byte) error {
	if tx.b == nil {
		return ErrReadOnlyTx
	}
	tx.touchRange(start)
	tx.noteChangeRange(start)
	tx.noteFlushed(start)
	tx.reads.forget()
	if mayHoldCached(start, end) || mayHoldMembers(start, end) {
		// A cache may hold records the range deletes. The key filters
		// need nothing: a deletion makes no key present.
		tx.written.all = true
	}
	tx.writes++
	tx.noteFenceRange(start, end)
	if err := tx.flushMeta(); err != nil {
		return err
	}
	return tx.b.DeleteRange(start, end, nil)
}

// iter opens an iterator over [lower, upper), which sees every write made
// so far.
func (tx *Tx) iter(lower, upper []byte) (*pebble.Iterator, error) {
	if tx.b != nil {
		if err := tx.flushMeta(); err != nil {
			return nil, err
		}
	}
	return tx.r.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
}

func (tx *Tx) addCount(db int, keys, expires int64) {
	for i := range tx.deltas {
		if tx.deltas[i].db == db {
			tx.deltas[i].keys += keys
			tx.deltas[i].expires += expires
			return
		}
	}
	tx.deltas = append(tx.deltas, countDelta{db: db, keys: keys, expires: expires})
}

var _ io.Closer = (*pebble.Snapshot)(nil)

// rowsAnswer reports whether a row cache (cacheFor) may answer a read of
// key. A write transaction sees the committed state plus its batch; for a
// key its batch has not written, that is the committed state, which the
// caches hold exactly, as they do for a point read.
func (tx *Tx) rowsAnswer(key []byte) bool {
	return tx.db.cacheFor(key) != nil && (tx.point || tx.b != nil && !tx.written.has(key))
}

// remember keeps what get found for the rest of the transaction. A point
// read serves one command that reads each record once (its GET, HGET or
// MGET), so it keeps nothing: the copies would cost more than they save.
func (tx *Tx) remember(key, value []byte, ok bool) {
	if !tx.point {
		tx.reads.put(key, value, ok, tx.scratchSlab())
	}
}

// scratchSlab is tx.scratch, set up at first use. Pieces of up to 256
// bytes share blocks of 2 KB: a ledger transfer's reads and writes of two
// balances copy about 200 bytes.
func (tx *Tx) scratchSlab() *slab.Slab[byte] {
	if tx.scratch.Block == 0 {
		tx.scratch = slab.Slab[byte]{Small: 256, Block: 2 << 10}
	}
	return &tx.scratch
}

// copyOut returns a copy of v that is the caller's to keep or change. An
// empty value comes back empty but not nil, as a found record must.
func (tx *Tx) copyOut(v []byte) []byte {
	if len(v) == 0 {
		return []byte{}
	}
	return tx.scratchSlab().Copy(v)
}

// newMeta returns a place for a decoded metadata record, cut from blocks
// of four.
func (tx *Tx) newMeta() *codec.Meta {
	if tx.metas.Block == 0 {
		tx.metas = slab.Slab[codec.Meta]{Small: 1, Block: 4}
	}
	return &tx.metas.Cut(1)[0]
}
