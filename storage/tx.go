package storage

import (
	"errors"
	"io"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
)

// Tx is one transaction: a write transaction over an indexed batch (holding
// the write lock), or a read transaction over a snapshot.
type Tx struct {
	db   *DB
	r    pebble.Reader
	b    *pebble.Batch // nil for a read transaction
	snap *pebble.Snapshot
	now  int64 // unix ms, fixed for the whole transaction as in a Redis script

	deltas []countDelta
	// flushed lists databases emptied by this transaction (FLUSHDB/FLUSHALL),
	// whose counts Commit resets before applying deltas.
	flushed []int
	done    bool
	// touchedKeys is what this transaction changed, for WATCH (watch.go).
	touchedKeys touched
	// afterCommit runs once the batch is applied (see AfterCommit).
	afterCommit []func()
	// ready are keys made ready for blocked clients (ready.go), readySeen
	// their metadata keys.
	ready     []ReadyKey
	readySeen map[string]struct{}
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
	db.writeMu.Lock()
	b := db.pdb.NewIndexedBatch()
	return &Tx{db: db, r: b, b: b, now: time.Now().UnixMilli()}
}

// TryBeginWrite is BeginWrite without waiting: nil if another write
// transaction holds the lock.
func (db *DB) TryBeginWrite() *Tx {
	if !db.writeMu.TryLock() {
		return nil
	}
	b := db.pdb.NewIndexedBatch()
	return &Tx{db: db, r: b, b: b, now: time.Now().UnixMilli()}
}

// BeginRead starts a read transaction on a consistent snapshot. It takes no
// lock. The caller must Close it.
func (db *DB) BeginRead() *Tx {
	s := db.pdb.NewSnapshot()
	return &Tx{db: db, r: s, snap: s, now: time.Now().UnixMilli()}
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
	defer db.writeMu.Unlock()
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
		tx.runAfterCommit()
		return db.ReadBarrier(), nil
	}
	tx.signalWatches()
	seq := db.pendingSeq.Add(1)
	db.stats.Commits.Add(1)
	if db.SyncPolicy() == SyncAlways {
		if err := db.pdb.ApplyNoSyncWait(tx.b, pebble.Sync); err != nil {
			tx.b.Close()
			return Pending{}, err
		}
		tx.runAfterCommit()
		return Pending{batch: tx.b, seq: seq}, nil
	}
	err := db.pdb.Apply(tx.b, pebble.NoSync)
	tx.b.Close()
	if err == nil {
		tx.runAfterCommit()
	}
	return Pending{}, err
}

// signalWatches marks the watches this transaction touched. It runs under
// the write lock just before the batch is applied, reading the state the
// batch leaves; EXEC checks its watch under the same lock, so it can never
// see the write without the mark.
func (tx *Tx) signalWatches() {
	tc := &tx.touchedKeys
	if len(tc.meta) == 0 && len(tc.versions) == 0 && len(tc.flushDBs) == 0 && !tc.flushAll {
		return
	}
	tx.db.watch.signal(tc, func(mk string) bool {
		v, ok, err := tx.get([]byte(mk))
		if err != nil || !ok {
			return false
		}
		m, err := codec.DecodeMeta(v)
		return err == nil && !m.Expired(tx.now)
	})
}

// Discard throws away a write transaction's batch (nothing it wrote ever
// becomes visible) and releases the write lock; for a read transaction it is
// Close. Discarding an ended transaction does nothing.
func (tx *Tx) Discard() {
	if tx.done {
		return
	}
	tx.done = true
	if tx.b == nil {
		tx.snap.Close()
		return
	}
	tx.b.Close()
	tx.db.writeMu.Unlock()
}

// Close ends a read transaction and returns the barrier its reply must wait
// for.
func (tx *Tx) Close() Pending {
	if tx.b != nil {
		panic("storage: Close of a write transaction")
	}
	if !tx.done {
		tx.done = true
		tx.snap.Close()
	}
	return tx.db.ReadBarrier()
}

// get returns a copy of the value at key, or nil and false.
func (tx *Tx) get(key []byte) ([]byte, bool, error) {
	v, closer, err := tx.r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out := make([]byte, len(v))
	copy(out, v)
	closer.Close()
	return out, true, nil
}

func (tx *Tx) set(key, value []byte) error {
	if tx.b == nil {
		return ErrReadOnlyTx
	}
	tx.touch(key)
	tx.noteReady(key)
	return tx.b.Set(key, value, nil)
}

func (tx *Tx) del(key []byte) error {
	if tx.b == nil {
		return ErrReadOnlyTx
	}
	tx.touch(key)
	tx.noteReady(key)
	return tx.b.Delete(key, nil)
}

func (tx *Tx) deleteRange(start, end []byte) error {
	if tx.b == nil {
		return ErrReadOnlyTx
	}
	tx.touchRange(start)
	tx.noteFlushed(start)
	return tx.b.DeleteRange(start, end, nil)
}

// iter opens an iterator over [lower, upper).
func (tx *Tx) iter(lower, upper []byte) (*pebble.Iterator, error) {
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
