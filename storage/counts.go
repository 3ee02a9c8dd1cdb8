package storage

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
)

// MaxDatabases is how many logical databases (SELECT numbers) the key
// layout can hold: the db number is one byte.
const MaxDatabases = 256

// countTable keeps, per physical database (dbmap.go), the number of keys
// and of keys with an expiry, so DBSIZE and INFO keyspace are O(1) and a restart reads 256
// small records instead of scanning. Write transactions accumulate deltas;
// Commit folds them in under the write lock and writes the new totals into
// the same batch, so the persisted counts move atomically with the data.
type countTable struct {
	keys    [MaxDatabases]atomic.Int64
	expires [MaxDatabases]atomic.Int64
}

// countKey is the record of database db's counts. The keys are made once:
// every commit that adds or removes keys writes one.
func countKey(db int) []byte { return countRecordKeys[db] }

var countRecordKeys = func() (keys [MaxDatabases][]byte) {
	for db := range keys {
		keys[db] = codec.SystemKey(fmt.Sprintf("count/%03d", db))
	}
	return keys
}()

func (c *countTable) load(pdb *pebble.DB) error {
	for db := 0; db < MaxDatabases; db++ {
		v, closer, err := pdb.Get(countKey(db))
		if err == pebble.ErrNotFound {
			continue
		}
		if err != nil {
			return err
		}
		if len(v) == 16 {
			c.keys[db].Store(int64(binary.BigEndian.Uint64(v)))
			c.expires[db].Store(int64(binary.BigEndian.Uint64(v[8:])))
		}
		closer.Close()
	}
	return nil
}

// countDelta is a transaction's pending change to one database's counts.
type countDelta struct {
	db            int
	keys, expires int64
}

// apply folds deltas into the table and records the totals in b.
// Called under the write lock.
func (c *countTable) apply(b *pebble.Batch, deltas []countDelta) error {
	for _, d := range deltas {
		k := c.keys[d.db].Add(d.keys)
		e := c.expires[d.db].Add(d.expires)
		v := binary.BigEndian.AppendUint64(nil, uint64(k))
		v = binary.BigEndian.AppendUint64(v, uint64(e))
		if err := b.Set(countKey(d.db), v, nil); err != nil {
			return err
		}
	}
	return nil
}

// reset zeroes db's counts (FLUSHDB) in memory; the caller writes the record.
func (c *countTable) reset(db int) {
	c.keys[db].Store(0)
	c.expires[db].Store(0)
}

// KeyCount is the number of keys in logical database n as last committed
// (INFO keyspace), counting keys that have expired but not yet been
// removed, as Redis does.
func (db *DB) KeyCount(n int) int64 { return db.counts.keys[db.dbs.Load().phys[n]].Load() }

// ExpiresCount is the number of keys with an expiry in logical database n.
func (db *DB) ExpiresCount(n int) int64 { return db.counts.expires[db.dbs.Load().phys[n]].Load() }

// KeyCount is DBSIZE: DB.KeyCount of database n as this transaction sees
// it, after its own SWAPDB, but not counting the keys it created or
// deleted (counts move at commit).
func (tx *Tx) KeyCount(n int) int64 { return tx.db.counts.keys[tx.physical(n)].Load() }
