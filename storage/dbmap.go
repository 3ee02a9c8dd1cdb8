package storage

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
)

// Logical and physical databases: how SWAPDB swaps two databases of any
// size in one small write.
//
// Every record of a user key carries a one-byte database number
// (codec/keys.go: metadata and expiry-index keys). That number is a
// PHYSICAL database. The numbers clients SELECT, and every db argument of
// this package's API, are LOGICAL. A dbMap says which physical database
// each logical one is; it is the identity until the first SWAPDB, which
// swaps two of its entries and nothing else: no record of either database
// is rewritten (the only ones read are watched keys' metadata, for WATCH).
//
// Where each side lives:
//   - Physical: the keys in Pebble; the key counts (counts.go: their
//     records and Tx.deltas / Tx.flushed); the row cache (keyed by record
//     keys); the readySeen and written sets of a transaction.
//   - Logical: every db argument and result of the API; keyspace events
//     (KeyHook); ready keys (ReadyKey.DB); the watch table (watch.go), so a
//     watched key stays in the database its client watched it in.
//
// The translation happens where record keys are built (Tx.metaKey,
// Tx.expiryKey, ... below) and, the other way, where record keys are read
// back into db numbers (ready keys, watch touches, check).
//
// Persistence: the map is one system record (dbMapKey, 256 bytes: the
// physical number of each logical database), absent while it is the
// identity. SWAPDB writes it into its transaction's batch, so it commits
// atomically with whatever else the transaction wrote: after a crash the
// swap happened whole or not at all. The same batch stamps the directory
// format 2 (db.go), so a build that does not know the map refuses the
// directory instead of showing its databases unswapped.
//
// Visibility: each transaction works with one map, taken when it begins.
// A write transaction takes it under the write lock, after every earlier
// write committed; its own SWAPDB changes its copy at once (a MULTI's or a
// script's later commands see the swap), and DB's map changes when the
// batch is applied, under commitMu, like the row cache. A point read holds
// commitMu shared, so its map and the store it reads agree. A snapshot
// read takes its map and its snapshot under a sequence counter that a
// commit changing the map makes odd while it applies (snapshotAndMap), so
// a snapshot never pairs with the other side's map.

// dbMap maps logical databases to physical ones and back. A dbMap is never
// changed once published (DB.dbs, a transaction that began): a swap makes a
// copy.
type dbMap struct {
	phys    [MaxDatabases]byte // logical -> physical
	logical [MaxDatabases]byte // physical -> logical
}

var dbMapKey = codec.SystemKey("dbmap")

func identityDBMap() *dbMap {
	m := new(dbMap)
	for i := range m.phys {
		m.phys[i] = byte(i)
		m.logical[i] = byte(i)
	}
	return m
}

// swapped returns a copy of m with logical databases a and b exchanged.
func (m *dbMap) swapped(a, b int) *dbMap {
	n := *m
	n.phys[a], n.phys[b] = m.phys[b], m.phys[a]
	n.logical[n.phys[a]] = byte(a)
	n.logical[n.phys[b]] = byte(b)
	return &n
}

// decodeDBMap reads a map record: 256 bytes, a permutation of 0..255.
func decodeDBMap(v []byte) (*dbMap, error) {
	if len(v) != MaxDatabases {
		return nil, fmt.Errorf("database map record has %d bytes, want %d", len(v), MaxDatabases)
	}
	m := new(dbMap)
	var seen [MaxDatabases]bool
	for l, p := range v {
		if seen[p] {
			return nil, fmt.Errorf("database map record names physical database %d twice", p)
		}
		seen[p] = true
		m.phys[l] = p
		m.logical[p] = byte(l)
	}
	return m, nil
}

// loadDBMap reads the map from r: the identity when there is no record.
func loadDBMap(r pebble.Reader) (*dbMap, error) {
	v, closer, err := r.Get(dbMapKey)
	if errors.Is(err, pebble.ErrNotFound) {
		return identityDBMap(), nil
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	return decodeDBMap(v)
}

// swapAppliedHook, set only by tests, runs in a commit that changes the
// map, after its batch is applied and before the map is published.
var swapAppliedHook func()

// snapshotAndMap takes a snapshot and the map that goes with it.
func (db *DB) snapshotAndMap() (*pebble.Snapshot, *dbMap) {
	for {
		gen := db.dbsGen.Load()
		if gen&1 == 0 {
			m := db.dbs.Load()
			s := db.pdb.NewSnapshot()
			if db.dbsGen.Load() == gen {
				return s, m
			}
			s.Close()
		}
		// A SWAPDB is being applied: a moment.
		runtime.Gosched()
	}
}

// PhysicalDB is the physical database that logical database db is in the
// transaction's view: what names a key across SWAPDB.
func (tx *Tx) PhysicalDB(db int) int { return int(tx.dbs.phys[db]) }

// Translation for record keys: db is logical, the key physical.

func (tx *Tx) metaKey(db int, key []byte) []byte {
	return codec.MetaKey(int(tx.dbs.phys[db]), key)
}

func (tx *Tx) metaPrefix(db int) []byte { return codec.MetaPrefix(int(tx.dbs.phys[db])) }

func (tx *Tx) expiryKey(db int, at int64, key []byte) []byte {
	return codec.ExpiryKey(int(tx.dbs.phys[db]), at, key)
}

func (tx *Tx) expiryPrefix(db int) []byte { return codec.ExpiryPrefix(int(tx.dbs.phys[db])) }

func (tx *Tx) expiryBound(db int, at int64) []byte {
	return codec.ExpiryBound(int(tx.dbs.phys[db]), at)
}

// physical is the physical database of logical db, for the key counts.
func (tx *Tx) physical(db int) int { return int(tx.dbs.phys[db]) }

// logicalMetaKey turns a physical metadata key into the same key naming
// its logical database. It returns mk itself when they are the same.
func (tx *Tx) logicalMetaKey(mk []byte) []byte {
	l := tx.dbs.logical[mk[1]]
	if l == mk[1] {
		return mk
	}
	out := append([]byte(nil), mk...)
	out[1] = l
	return out
}

// SwapDB swaps the contents of logical databases a and b, as Redis's
// SWAPDB: clients keep their database numbers and see the other data.
// It writes one record, whatever the databases hold. Watches on keys of
// either database are marked as Redis 7.0 marks them (watch.go), and
// clients blocked on keys of either database are offered them (ReadyKey
// with Flushed). Swapping a database with itself does nothing.
func (tx *Tx) SwapDB(a, b int) error {
	if tx.b == nil {
		return ErrReadOnlyTx
	}
	if a == b {
		return nil
	}
	if err := tx.watchSwap(a, b); err != nil {
		return err
	}
	tx.noteSwap(a, b)
	tx.dbs = tx.dbs.swapped(a, b)
	tx.swappedDBs = true
	if err := tx.b.Set(dbMapKey, tx.dbs.phys[:], nil); err != nil {
		return err
	}
	if err := tx.stampFormat(2); err != nil {
		return err
	}
	if tx.db.blocked.n.Load() > 0 {
		tx.ready = append(tx.ready, ReadyKey{DB: a, Flushed: true}, ReadyKey{DB: b, Flushed: true})
	}
	return nil
}
