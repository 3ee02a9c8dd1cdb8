package storage

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Pending is what a reply must wait for before it is sent: a committed batch
// whose fsync may still be under way, or, for a read, the newest batch the
// read could have observed.
type Pending struct {
	batch *pebble.Batch // set for a batch committed with ApplyNoSyncWait
	seq   uint64
	// fsynced: the batch was committed under always, so its sync is an
	// fsync (under everysec and no, only a write: walfs.go).
	fsynced bool
}

// Zero reports whether p requires no wait.
func (p Pending) Zero() bool { return p.batch == nil && p.seq == 0 }

// ReadBarrier returns what a reply built from reads made so far must wait
// for. Call it after the reads: any batch they could have seen was applied
// (and so written to the WAL) before its sequence number was published.
func (db *DB) ReadBarrier() Pending {
	if db.SyncPolicy() != SyncAlways {
		return Pending{}
	}
	seq := db.pendingSeq.Load()
	if seq <= db.syncedSeq.Load() {
		return Pending{}
	}
	return Pending{seq: seq}
}

// Wait blocks until what p stands for is durable under the policy in force
// when it was created, and releases p's batch. Every Pending from Commit must
// be waited for exactly once. A failed sync is fatal (Options.Fatal): Wait
// then never returns, so no caller acknowledges a write that may be lost.
func (db *DB) Wait(p Pending) error {
	if p.batch != nil {
		db.stats.SyncWaits.Add(1)
		err := p.batch.SyncWait()
		if err != nil {
			// Not closed: Pebble may still hold it. Fatal does not return.
			db.fatal.raise(fmt.Errorf("WAL sync failed: %w", err))
		}
		p.batch.Close()
		if p.fsynced {
			db.markSynced(p.seq)
		}
		return nil
	}
	if p.seq == 0 || p.seq <= db.syncedSeq.Load() {
		return nil
	}
	// A read saw a batch that may not be synced yet. It is in the WAL
	// already, so any sync from now on covers it; Pebble groups this one
	// with whatever other syncs are in flight.
	db.stats.ReadBarriers.Add(1)
	if err := db.pdb.LogData(nil, pebble.Sync); err != nil {
		db.fatal.raise(fmt.Errorf("WAL sync failed: %w", err))
	}
	return nil
}

// SyncWAL makes every batch committed so far durable, whatever the
// policy: it asks Pebble for a synced write of nothing, which follows
// every committed record into the WAL file, then fsyncs what walfs
// deferred under everysec and no. For DEBUG RELOAD and LOADAOF, which in
// Redis rewrite and reread the data set. A failed sync is fatal, as in
// Wait.
func (db *DB) SyncWAL() {
	if err := db.pdb.LogData(nil, pebble.Sync); err != nil {
		db.fatal.raise(fmt.Errorf("WAL sync failed: %w", err))
	}
	if err := db.wal.syncDeferred(); err != nil {
		db.fatal.raise(fmt.Errorf("WAL sync failed: %w", err))
	}
}

// Later returns whichever of a and b needs the longer wait, for folding many
// reads into one barrier. It must not be given two batches.
func Later(a, b Pending) Pending {
	if a.batch != nil || b.batch != nil {
		panic("storage: Later of a committed batch")
	}
	if a.seq >= b.seq {
		return a
	}
	return b
}

// IsBatch reports whether p holds a committed batch (which must be passed
// to Wait on its own).
func (p Pending) IsBatch() bool { return p.batch != nil }
