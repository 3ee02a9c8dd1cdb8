package storage

import (
	"sync/atomic"

	"moonstone/codec"
)

// Ready keys: the storage half of blocking commands (BLPOP, BZPOPMIN,
// XREAD BLOCK, ...; the waiters live in server/blocking.go).
//
// A key is "ready" when a write transaction stores metadata of a type that
// blocked clients wait for (list, sorted set, stream) under it: a push, a
// ZADD, a RENAME or RESTORE onto it, a script's or an EXEC's writes alike.
// Readiness is detected in one place, tx.set of a metadata record, so no
// command has to declare it. As with WATCH, tracking costs nothing while
// nobody waits: a transaction records ready keys only while the server has
// declared interest (SetBlockInterest with a count above zero).
//
// The server registers and removes waiters under the write lock or its own
// lock; a transaction reads the interest count at each metadata write, so a
// waiter registered by an earlier transaction is always seen by a later
// one (the write lock orders them).

// ReadyKey is a key a write transaction stored a blockable type under.
// The key may hold another type, or nothing, by the time it is served: the
// server checks.
type ReadyKey struct {
	DB  int
	Key []byte // a copy, owned by the caller
}

// blockInterest is how many clients are blocked; 0 means no tracking.
type blockInterest struct{ n atomic.Int64 }

// AddBlockInterest changes the number of blocked clients the store tracks
// ready keys for (+1 when a client blocks, -1 when it leaves).
func (db *DB) AddBlockInterest(delta int64) { db.blocked.n.Add(delta) }

// blockable reports whether clients may block waiting for type t.
func blockable(t codec.Type) bool {
	return t == codec.TypeList || t == codec.TypeZSet || t == codec.TypeStream
}

// noteReady records key as ready when value is the metadata of a blockable
// type and someone is blocked. Called by set for metadata records.
func (tx *Tx) noteReady(key, value []byte) {
	if len(value) == 0 || !blockable(codec.Type(value[0])) || tx.db.blocked.n.Load() == 0 {
		return
	}
	if tx.readySeen == nil {
		tx.readySeen = make(map[string]struct{})
	}
	if _, ok := tx.readySeen[string(key)]; ok {
		return
	}
	tx.readySeen[string(key)] = struct{}{}
	tx.ready = append(tx.ready, ReadyKey{DB: int(key[1]), Key: append([]byte(nil), key[2:]...)})
}

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

// Shared returns a Pending that waits for the same durability as p without
// owning p's batch: for other replies (a served blocked client's) that
// depend on the same commit. It may be waited for any number of times; p
// itself must still be waited for exactly once.
func (p Pending) Shared() Pending { return Pending{seq: p.seq} }
