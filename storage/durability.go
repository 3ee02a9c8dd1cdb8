package storage

import (
	"fmt"
)

// Pending is what a reply must wait for before it is sent: every batch up
// to seq written to the WAL file and, if fsync, fsynced. A commit's Pending
// names its own batch; a read's (ReadBarrier) the newest batch the read
// could have observed. Pendings are values: any number of replies may wait
// for the same one (a commit that serves blocked clients), and one that is
// never waited for holds nothing.
type Pending struct {
	seq uint64
	// fsync: the batch was committed (or the read made) under always, so
	// the wait is for an fsync; under everysec and no, for the write of
	// the record to the file (walfs.go).
	fsync bool
	// commit tells a commit's wait from a read barrier, for INFO.
	commit bool
}

// Zero reports whether p requires no wait.
func (p Pending) Zero() bool { return p.seq == 0 }

// ReadBarrier returns what a reply built from reads made so far must wait
// for. Call it after the reads: any batch they could have seen was counted
// in pendingSeq before it was applied. (That count may include a batch
// still being applied, which the read did not see; waiting for it too
// costs at most one more group sync.)
func (db *DB) ReadBarrier() Pending {
	if db.SyncPolicy() != SyncAlways {
		return Pending{}
	}
	seq := db.pendingSeq.Load()
	if seq <= db.syncedSeq.Load() {
		return Pending{}
	}
	return Pending{seq: seq, fsync: true}
}

// Wait blocks until what p stands for is durable: until a group sync
// (groupsync.go) has covered p's batch. A failed sync is fatal
// (Options.Fatal): Wait then never returns, so no caller acknowledges a
// write that may be lost.
func (db *DB) Wait(p Pending) error {
	if p.seq == 0 {
		return nil
	}
	db.countWait(p)
	db.syncer.wait(db, p)
	return nil
}

// countWait counts a wait for INFO: every commit's, and a read's only when
// the read has something to wait for.
func (db *DB) countWait(p Pending) {
	if p.commit {
		db.stats.SyncWaits.Add(1)
	} else if !db.durable(p) {
		db.stats.ReadBarriers.Add(1)
	}
}

// durable reports whether p needs no more waiting. A wait for an fsync
// that began under always settles for the write once the policy is
// weaker: no fsync may be coming, and the weaker policy is what the
// operator asked for (the same race walfs.go describes).
func (db *DB) durable(p Pending) bool {
	if p.fsync && db.SyncPolicy() == SyncAlways {
		return p.seq <= db.syncedSeq.Load()
	}
	return p.seq <= db.writtenSeq.Load()
}

// SyncWAL makes every batch committed so far durable, whatever the
// policy: it asks Pebble for a synced write of nothing, which follows
// every committed record into the WAL file, then fsyncs what walfs
// deferred under everysec and no. For DEBUG RELOAD and LOADAOF, which in
// Redis rewrite and reread the data set. A failed sync is fatal, as in
// Wait.
func (db *DB) SyncWAL() {
	if err := db.syncLog(); err != nil {
		db.fatal.raise(fmt.Errorf("WAL sync failed: %w", err))
	}
	if err := db.wal.syncDeferred(); err != nil {
		db.fatal.raise(fmt.Errorf("WAL sync failed: %w", err))
	}
}

// Later returns a Pending that waits for both a and b, for folding the
// waits of many replies into one.
func Later(a, b Pending) Pending {
	if b.seq > a.seq {
		a.seq = b.seq
	}
	a.fsync = a.fsync || b.fsync
	a.commit = a.commit || b.commit
	return a
}
