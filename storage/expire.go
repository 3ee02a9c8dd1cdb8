package storage

import (
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
)

// ExpireCond is the NX / XX / GT / LT condition of the EXPIRE family.
type ExpireCond int

const (
	ExpireAlways ExpireCond = iota
	ExpireNX                // only when the key has no expiry
	ExpireXX                // only when the key has an expiry
	ExpireGT                // only when the new expiry is later (none counts as infinite)
	ExpireLT                // only when the new expiry is earlier
)

// Expire sets key's expiry to at (unix ms) under cond and reports whether it
// did. An expiry at or before now deletes the key, as Redis does.
func (tx *Tx) Expire(db int, key []byte, at int64, cond ExpireCond) (bool, error) {
	m, err := tx.meta(db, key)
	if err != nil || m == nil {
		return false, err
	}
	switch cond {
	case ExpireNX:
		if m.ExpireAt != 0 {
			return false, nil
		}
	case ExpireXX:
		if m.ExpireAt == 0 {
			return false, nil
		}
	case ExpireGT:
		if m.ExpireAt == 0 || at <= m.ExpireAt {
			return false, nil
		}
	case ExpireLT:
		if m.ExpireAt != 0 && at >= m.ExpireAt {
			return false, nil
		}
	}
	if at <= tx.now {
		return true, tx.deleteKey(db, key, m)
	}
	next := *m
	next.ExpireAt = at
	return true, tx.putMeta(db, key, m, &next)
}

// Persist removes key's expiry and reports whether it had one.
func (tx *Tx) Persist(db int, key []byte) (bool, error) {
	m, err := tx.meta(db, key)
	if err != nil || m == nil || m.ExpireAt == 0 {
		return false, err
	}
	next := *m
	next.ExpireAt = 0
	return true, tx.putMeta(db, key, m, &next)
}

// ExpireAt returns key's absolute expiry in unix ms: -2 if the key does not
// exist, -1 if it has no expiry (the TTL family's conventions).
func (tx *Tx) ExpireAt(db int, key []byte) (int64, error) {
	m, err := tx.metaHeader(db, key)
	if err != nil {
		return 0, err
	}
	if m == nil {
		return -2, nil
	}
	if m.ExpireAt == 0 {
		return -1, nil
	}
	return m.ExpireAt, nil
}

// SweepExpired removes up to limit expired keys of db, found through the
// expiry index, and returns how many it removed and whether more entries
// have come due. It is the active half of expiry (reads already hide
// expired keys); the caller runs it in its own write transaction and
// commits it when it wrote anything (Writes): an entry that came due for
// a key whose expiry has since moved later is moved to the new expiry.
func (tx *Tx) SweepExpired(db int, limit int) (int, bool, error) {
	due, more, err := tx.dueEntries(db, nil, limit)
	if err != nil {
		return 0, false, err
	}
	n, err := tx.sweepDue(db, due)
	return n, more, err
}

// dueEntry is an expiry-index entry that has come due: its time and key.
type dueEntry struct {
	at  int64
	key []byte
}

// dueEntries lists up to limit entries of db's expiry index that are due
// at tx's clock, from the first one past after (from the start when nil),
// and reports whether more are due.
func (tx *Tx) dueEntries(db int, after *dueEntry, limit int) ([]dueEntry, bool, error) {
	lower := tx.expiryPrefix(db)
	if after != nil {
		// Past after's entry: entries that a pass has swept are deleted or
		// moved, and skipping their tombstones again for every batch would
		// make a pass quadratic.
		lower = append(tx.expiryKey(db, after.at, after.key), 0)
	}
	it, err := tx.iter(lower, tx.expiryBound(db, tx.now+1))
	if err != nil {
		return nil, false, err
	}
	var due []dueEntry
	more := false
	for it.First(); it.Valid(); it.Next() {
		if len(due) == limit {
			more = true
			break
		}
		_, at, key := codec.ParseExpiryKey(it.Key())
		due = append(due, dueEntry{at, append([]byte(nil), key...)})
	}
	if err := it.Close(); err != nil {
		return nil, false, err
	}
	return due, more, nil
}

// sweepDue removes the expired keys of due and moves the entries of keys
// whose expiry has moved later; it returns how many keys it removed. Every
// entry of due is gone from where it was afterwards: an entry that is no
// key's (none is ever left so, but a pass must not stop at one) is
// deleted.
func (tx *Tx) sweepDue(db int, due []dueEntry) (int, error) {
	n := 0
	for _, v := range due {
		// meta removes an expired key, and its entry, as a side effect of
		// looking at it.
		before := tx.db.stats.ExpiredKeys.Load()
		m, err := tx.meta(db, v.key)
		if err != nil {
			return n, err
		}
		switch {
		case tx.db.stats.ExpiredKeys.Load() != before:
			n++
		case m != nil && m.IndexedAt == v.at:
			err = tx.reindex(db, v.key, m)
		default:
			err = tx.write(tx.expiryKey(db, v.at, v.key), nil, false)
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// reindex moves the expiry-index entry of key, a live key whose expiry
// moved past its entry's time, to its expiry. The key's data and expiry do
// not change, so nothing that watches keys hears of it: no WATCH is
// broken, no tracking invalidation or keyspace event is sent.
func (tx *Tx) reindex(db int, key []byte, m *Meta) error {
	if err := tx.write(tx.expiryKey(db, m.IndexedAt, key), nil, false); err != nil {
		return err
	}
	if err := tx.write(tx.expiryKey(db, m.ExpireAt, key), nil, true); err != nil {
		return err
	}
	next := *m
	next.IndexedAt = m.ExpireAt
	return tx.write(tx.metaKey(db, key), tx.encodeMeta(&next), true)
}

// Sweeper runs the active expiry cycle until stop is closed: every tick it
// removes expired keys in bounded batches, like Redis's active expire cycle,
// yielding the write lock between batches so clients are never stalled.
// databases is how many dbs to visit. It skips its ticks while expiry is
// held (HoldExpiry) or switched off (SetActiveExpiry).
func (db *DB) Sweeper(stop <-chan struct{}, databases int, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-db.stop:
			return
		case <-t.C:
		}
		db.maintainKeyFilters()
		if !db.sweep(databases) {
			return
		}
	}
}

// HoldExpiry stops (on) or resumes the removal of expired keys by the
// sweeper, for CLIENT PAUSE: while it is held the data set stays as it was,
// expired keys being only hidden from reads. A batch under way when it is
// held is the last one.
func (db *DB) HoldExpiry(on bool) { db.expiryHeld.Store(on) }

// SetActiveExpiry turns the sweeper off (false) or back on, for DEBUG
// SET-ACTIVE-EXPIRE: expired keys are then removed only by the writes
// that meet them (reads hide them as always). It is a switch of its own,
// apart from HoldExpiry, so that a CLIENT UNPAUSE does not turn back on
// a sweeper DEBUG turned off, nor the reverse.
func (db *DB) SetActiveExpiry(on bool) { db.activeExpiryOff.Store(!on) }

func (db *DB) sweeperOff() bool { return db.expiryHeld.Load() || db.activeExpiryOff.Load() }

// SweepNow runs one pass of the sweeper at once, in the caller's goroutine:
// when a pause that held expiry ends, the keys it kept are removed before
// the server answers.
func (db *DB) SweepNow(databases int) { db.sweep(databases) }

// sweepCursors keeps, for each physical database, the last expiry-index
// entry a pass has swept, so that the next pass starts past it instead of
// stepping again over the tombstones of every entry swept or moved since
// the range was last compacted: with thousands of them a second, that
// took the first batch of each pass 2-6 ms under the write lock.
//
// Nothing is written before a cursor: an entry is written at a time later
// than its transaction's clock, and the cursor's is no later than the clock
// of the pass that set it. A wall clock stepped back could break that, so
// a cursor ahead of the clock is dropped, and every sweepRescan a pass
// starts from the beginning anyway.
type sweepCursors struct {
	mu     sync.Mutex // held for a whole pass: passes do not overlap
	at     [256]*dueEntry
	rescan time.Time // when passes last started from the beginning
}

// sweepRescan bounds how long an entry written behind a cursor could wait.
const sweepRescan = 10 * time.Second

// sweep is one pass of the active expiry cycle over the first databases
// dbs. It reports false once the store is closing.
func (db *DB) sweep(databases int) bool {
	cur := &db.sweeps
	cur.mu.Lock()
	defer cur.mu.Unlock()
	if time.Since(cur.rescan) > sweepRescan {
		cur.at = [256]*dueEntry{}
		cur.rescan = time.Now()
	}
	// A batch sweeps as many entries as a transaction's write set tracks
	// keys (writeSet): past that, every lookup of the batch reads through
	// it instead of the row cache. Under the rate limiter of bench/ (100k
	// keys whose expiry moves at each call), batches of 200 held the
	// write lock for up to 14-19 ms (LATENCY LATEST expire-cycle), those
	// of 64 for up to 6 ms.
	const perBatch = len(writeSet{}.hash)
	// The longest batch is what the pass cost writers, who wait for the
	// lock it holds; between batches they run.
	var longest time.Duration
	defer func() {
		if longest > 0 && db.opts.Latency != nil {
			db.opts.Latency("expire-cycle", longest)
		}
	}()
	for n := 0; n < databases; n++ {
		if db.ExpiresCount(n) == 0 {
			continue
		}
		for !db.sweeperOff() {
			tx := db.BeginWrite()
			start := time.Now()
			select {
			case <-db.stop:
				// Close took the lock between two batches and may
				// have closed Pebble already.
				tx.Discard()
				return false
			default:
			}
			// Read under the lock: SWAPDB changes which physical
			// database n is.
			phys := tx.physical(n)
			after := cur.at[phys]
			if after != nil && after.at > tx.now {
				after, cur.at[phys] = nil, nil
			}
			due, more, err := tx.dueEntries(n, after, perBatch)
			if err == nil {
				_, err = tx.sweepDue(n, due)
			}
			if err != nil || tx.writes == 0 {
				tx.Discard()
				break
			}
			last := due[len(due)-1]
			// Expired keys are gone logically already; losing this batch
			// in a crash only means sweeping them again.
			_, err = tx.commitNoSync()
			if err == nil {
				cur.at[phys] = &last
			}
			longest = max(longest, time.Since(start))
			if err != nil || !more {
				break
			}
		}
	}
	return true
}

// KeepExpired makes tx, a write transaction that will only read, leave the
// expired keys it looks at in place (reported absent as always) instead of
// removing them in its batch: EXEC of a block of reads during CLIENT PAUSE,
// which must not change the data set. A transaction that writes must not
// use it: a write over an expired key needs the old one removed first.
func (tx *Tx) KeepExpired() { tx.keepExpired = true }

// SeeExpired makes tx, a read transaction, report the expired keys that
// are still stored (not yet swept or overwritten) as present, with their
// values, as Redis's DEBUG OBJECT and DEBUG DIGEST-VALUE find logically
// expired keys. Only for a read transaction: a write must never build on
// an expired key.
func (tx *Tx) SeeExpired() {
	if tx.b != nil {
		panic("storage: SeeExpired on a write transaction")
	}
	tx.seeExpired = true
}

// commitNoSync commits without asking for an fsync, for work that a crash
// may safely undo.
func (tx *Tx) commitNoSync() (Pending, error) {
	tx.done = true
	db := tx.db
	defer db.endWrite()
	if err := tx.sealBatch(); err != nil {
		return Pending{}, err
	}
	if err := db.counts.apply(tx.b, tx.deltas); err != nil {
		tx.b.Close()
		return Pending{}, err
	}
	err := db.applyAndCache(tx.b, func(b *pebble.Batch) error { return db.pdb.Apply(b, pebble.NoSync) }, nil)
	tx.b.Close()
	tx.commitFences()
	if err == nil {
		tx.runCommitHook()  // invalidations of expired keys
		tx.runAfterCommit() // "expired" keyspace events
	}
	return Pending{}, err
}
