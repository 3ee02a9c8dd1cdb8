package storage

import (
	"encoding/binary"
	"sync/atomic"

	"moonstone/codec"
)

// Changed keys: the storage half of client-side caching (CLIENT TRACKING;
// the tracking table and the invalidation messages live in
// server/tracking.go).
//
// While the server asks for it (RecordChanges), every write transaction
// keeps a log of the user keys it changed, in the order it changed them,
// and hands the log to the server's hook once it has committed. The log
// is kept where every write goes through, the point writes and range
// deletions of tx.set, tx.del and tx.deleteRange, so no command has to
// declare what it modified:
//
//   - a write or delete of a key's metadata record names the key;
//   - a write or delete of a collection member (hash field, list element,
//     set or sorted-set member, stream entry, group or pending entry) names
//     the key whose metadata this transaction loaded with that version
//     (meta). A member written without its metadata having been loaded
//     belongs to a collection this transaction creates, whose metadata
//     write names the key;
//   - a range deletion of a database's metadata (FLUSHDB), of every
//     database's (FLUSHALL), and SWAPDB (one entry for both databases) are
//     flushes: any key may have changed.
//
// The hook runs after the batch is applied and before the write lock is
// released, so hooks run in commit order and never for a discarded
// transaction. Recording costs one atomic load per record written while
// it is off.

// Change is one entry of a transaction's change log: a user key of
// logical database DB, or, with Flush, every key of DB (DB -1: of every
// database). Key is owned by the log; the hook must copy what it keeps.
type Change struct {
	DB    int
	Key   []byte
	Flush bool
}

// CommitHook receives a committed transaction and the keys it changed, in
// order. It runs under the write lock: it must not block or begin
// transactions.
type CommitHook func(tx *Tx, changes []Change)

type changeLog struct {
	hook atomic.Pointer[CommitHook]
}

// collectionKey is the user key behind a collection version.
type collectionKey struct {
	db  int
	key []byte
}

// RecordChanges starts recording changes and calling hook after every
// commit that changed something (or carries an Owner); nil stops both.
// A transaction begun before recording started may have changed keys it
// did not record: WriteBarrier after RecordChanges waits for those.
func (db *DB) RecordChanges(hook CommitHook) {
	if hook == nil {
		db.changes.hook.Store(nil)
		return
	}
	db.changes.hook.Store(&hook)
}

// WriteBarrier returns once every write transaction begun before the call
// has ended. The caller must not hold a write transaction.
func (db *DB) WriteBarrier() {
	db.writeMu.Lock()
	db.writeMu.Unlock() //nolint:staticcheck // an empty critical section is the point
}

// SetOwner attaches v to a write transaction; storage only hands it back
// (Owner), to the commit hook. The server records there whose work the
// transaction is.
func (tx *Tx) SetOwner(v any) { tx.owner = v }

// Owner is what SetOwner attached, or nil.
func (tx *Tx) Owner() any { return tx.owner }

// ChangeCount is the number of changes recorded so far: a position in the
// log, for the server to order its own events (a read's key registration)
// among the transaction's changes.
func (tx *Tx) ChangeCount() int { return len(tx.changes) }

func (tx *Tx) recordingChanges() bool {
	return tx.b != nil && tx.db.changes.hook.Load() != nil
}

// noteChange records a point write or delete of the stored record key.
func (tx *Tx) noteChange(key []byte) {
	if len(key) < 2 || !tx.recordingChanges() {
		return
	}
	switch key[0] {
	case codec.TagMeta:
		tx.appendChange(int(tx.dbs.logical[key[1]]), key[2:])
	case codec.TagHash, codec.TagList, codec.TagSet, codec.TagZMember, codec.TagZScore,
		codec.TagZRank, codec.TagStreamEntry, codec.TagStreamAux:
		if len(key) < 9 {
			return
		}
		if vk, ok := tx.versionKeys[binary.BigEndian.Uint64(key[1:9])]; ok {
			tx.appendChange(vk.db, vk.key)
		}
	}
}

// noteKeyChange records a change to key of logical database db ahead of
// the writes that make it, where Redis reports keys in another order than
// Moonstone writes them.
func (tx *Tx) noteKeyChange(db int, key []byte) {
	if tx.recordingChanges() {
		tx.appendChange(db, key)
	}
}

// noteChangeRange records a range deletion from start: a flush, or a
// collection's members.
func (tx *Tx) noteChangeRange(start []byte) {
	if len(start) == 0 || !tx.recordingChanges() {
		return
	}
	switch {
	case start[0] == codec.TagMeta && len(start) == 1:
		tx.changes = append(tx.changes, Change{DB: -1, Flush: true})
	case start[0] == codec.TagMeta && len(start) == 2:
		tx.changes = append(tx.changes, Change{DB: int(tx.dbs.logical[start[1]]), Flush: true})
	default:
		tx.noteChange(start)
	}
}

// noteSwap records SWAPDB a b: every key of both databases may now hold
// something else. One entry stands for both (DB is a): the server tells
// its clients once.
func (tx *Tx) noteSwap(a, b int) {
	if !tx.recordingChanges() {
		return
	}
	tx.changes = append(tx.changes, Change{DB: a, Flush: true})
}

// appendChange logs key of database db, unless it is the last entry
// already (a command writing many members of one key).
func (tx *Tx) appendChange(db int, key []byte) {
	if n := len(tx.changes); n > 0 {
		if last := tx.changes[n-1]; !last.Flush && last.DB == db && string(last.Key) == string(key) {
			return
		}
	}
	tx.changes = append(tx.changes, Change{DB: db, Key: append([]byte(nil), key...)})
}

// noteVersion remembers which key a collection version belongs to, when
// a write transaction loads the key's metadata.
func (tx *Tx) noteVersion(db int, key []byte, m *Meta) {
	if m.Type == codec.TypeString || !tx.recordingChanges() {
		return
	}
	if vk, ok := tx.versionKeys[m.Version]; ok && vk.db == db && string(vk.key) == string(key) {
		return
	}
	if tx.versionKeys == nil {
		tx.versionKeys = make(map[uint64]collectionKey)
	}
	tx.versionKeys[m.Version] = collectionKey{db: db, key: append([]byte(nil), key...)}
}

// runCommitHook hands a committed transaction's log to the hook.
func (tx *Tx) runCommitHook() {
	if len(tx.changes) == 0 && tx.owner == nil {
		return
	}
	if h := tx.db.changes.hook.Load(); h != nil {
		(*h)(tx, tx.changes)
	}
}
