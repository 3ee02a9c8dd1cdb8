package storage

import (
	"sync/atomic"

	"moonstone/codec"
)

// Ready keys: the storage half of blocking commands (BLPOP, BZPOPMIN,
// XREAD BLOCK, ...; the waiters live in server/blocking.go).
//
// A key is "ready" when a write transaction writes or deletes its metadata
// record: a push, a ZADD, an XADD, a RENAME or RESTORE onto it, a DEL or a
// SET over it, by a command, a script or an EXEC alike. Readiness is
// detected in one place, the metadata writes of tx.set, tx.del and
// tx.deleteRange (FLUSHDB, FLUSHALL), so no command has to declare it; the
// server then looks at what the key holds when the write unit ends. As
// with WATCH, tracking costs nothing while nobody waits: a transaction
// records ready keys only while the server has declared blocked clients
// (AddBlockInterest).
//
// The server registers waiters under the write lock; a transaction reads
// the interest count at each metadata write, so a waiter registered by an
// earlier transaction is always seen by a later one (the write lock orders
// them).

// ReadyKey is a key whose metadata a write transaction wrote or deleted.
// Flushed means any key of database DB may have changed, with Key nil:
// every key was deleted (FLUSHDB; DB -1: FLUSHALL, of every database) or
// the database was swapped with another (SWAPDB). DB is a logical
// database (dbmap.go).
type ReadyKey struct {
	DB      int
	Key     []byte // a copy, owned by the caller
	Flushed bool
}

// blockInterest is how many clients are blocked; 0 means no tracking.
type blockInterest struct{ n atomic.Int64 }

// AddBlockInterest changes the number of blocked clients the store tracks
// ready keys for (+1 when a client blocks, -1 when it leaves).
func (db *DB) AddBlockInterest(delta int64) { db.blocked.n.Add(delta) }

// noteReady records the metadata key mk as ready if someone is blocked.
func (tx *Tx) noteReady(mk []byte) {
	if len(mk) < 2 || mk[0] != codec.TagMeta || tx.db.blocked.n.Load() == 0 {
		return
	}
	if tx.readySeen == nil {
		tx.readySeen = make(map[string]struct{})
	}
	if _, ok := tx.readySeen[string(mk)]; ok {
		return
	}
	tx.readySeen[string(mk)] = struct{}{}
	tx.ready = append(tx.ready, ReadyKey{DB: int(tx.dbs.logical[mk[1]]), Key: append([]byte(nil), mk[2:]...)})
}

// noteFlushed records a range deletion of metadata: a whole database's
// (start is its prefix) or every database's.
func (tx *Tx) noteFlushed(start []byte) {
	if len(start) == 0 || len(start) > 2 || start[0] != codec.TagMeta || tx.db.blocked.n.Load() == 0 {
		return
	}
	db := -1
	if len(start) == 2 {
		db = int(tx.dbs.logical[start[1]])
	}
	tx.ready = append(tx.ready, ReadyKey{DB: db, Flushed: true})
}

// HasReady reports whether this transaction made a key ready for a blocked
// client that TakeReady has not returned yet.
func (tx *Tx) HasReady() bool { return len(tx.ready) > 0 }

// TakeReady returns the keys this transaction made ready since the last
// call, in the order they first became ready, and forgets them. The server
// calls it before Commit, serving waiters in the same transaction; what the
// serving writes (a BLMOVE's push) is reported by the next call.
func (tx *Tx) TakeReady() []ReadyKey {
	r := tx.ready
	tx.ready = nil
	clear(tx.readySeen)
	return r
}

// Shared returns a Pending that waits for the same durability as p, for
// other replies (a served blocked client's) that depend on the same
// commit.
func (p Pending) Shared() Pending { p.commit = false; return p }
