package storage

import (
	"bytes"
	"math/rand/v2"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
)

// Del deletes key and reports whether it existed.
func (tx *Tx) Del(db int, key []byte) (bool, error) {
	m, err := tx.metaHeader(db, key)
	if err != nil || m == nil {
		return false, err
	}
	return true, tx.deleteKey(db, key, m)
}

// Exists reports whether key exists (and has not expired).
func (tx *Tx) Exists(db int, key []byte) (bool, error) {
	m, err := tx.metaHeader(db, key)
	return m != nil, err
}

// Type returns the type of key, TypeNone if absent.
func (tx *Tx) Type(db int, key []byte) (codec.Type, error) {
	m, err := tx.metaHeader(db, key)
	if err != nil || m == nil {
		return codec.TypeNone, err
	}
	return m.Type, nil
}

// Rename moves src to dst (in the same db), replacing dst unless nx is set.
// It reports false when nx is set and dst exists. A missing src is
// ErrNoSuchKey. Because members are keyed by version, the move rewrites
// only metadata, whatever the collection's size.
func (tx *Tx) Rename(db int, src, dst []byte, nx bool) (bool, error) {
	m, err := tx.meta(db, src)
	if err != nil {
		return false, err
	}
	if m == nil {
		return false, ErrNoSuchKey
	}
	if bytes.Equal(src, dst) {
		return !nx, nil
	}
	d, err := tx.meta(db, dst)
	if err != nil {
		return false, err
	}
	if d != nil {
		if nx {
			return false, nil
		}
		if err := tx.deleteKey(db, dst, d); err != nil {
			return false, err
		}
	}
	moved := *m
	if err := tx.forget(db, src, m); err != nil {
		return false, err
	}
	return true, tx.putMeta(db, dst, nil, &moved)
}

// forget removes key's metadata and expiry entry but keeps its members, for
// moving the collection to another key.
func (tx *Tx) forget(db int, key []byte, m *Meta) error {
	if err := tx.del(tx.metaKey(db, key)); err != nil {
		return err
	}
	var expires int64
	if m.ExpireAt != 0 {
		expires = -1
	}
	if m.IndexedAt != 0 {
		if err := tx.del(tx.expiryKey(db, m.IndexedAt, key)); err != nil {
			return err
		}
	}
	tx.addCount(tx.physical(db), -1, expires)
	return nil
}

// Move moves key from db to dstDB if it does not exist there.
func (tx *Tx) Move(db int, key []byte, dstDB int) (bool, error) {
	m, err := tx.meta(db, key)
	if err != nil || m == nil {
		return false, err
	}
	d, err := tx.meta(dstDB, key)
	if err != nil || d != nil {
		return false, err
	}
	moved := *m
	if err := tx.forget(db, key, m); err != nil {
		return false, err
	}
	return true, tx.putMeta(dstDB, key, nil, &moved)
}

// Copy copies src in db to dst in dstDB, replacing dst only if replace is
// set. A collection's members are copied under a new version.
func (tx *Tx) Copy(db int, src []byte, dstDB int, dst []byte, replace bool) (bool, error) {
	m, err := tx.meta(db, src)
	if err != nil || m == nil {
		return false, err
	}
	d, err := tx.meta(dstDB, dst)
	if err != nil {
		return false, err
	}
	if d != nil {
		if !replace {
			return false, nil
		}
		if err := tx.deleteKey(dstDB, dst, d); err != nil {
			return false, err
		}
	}
	c := *m
	if m.Type != codec.TypeString {
		nm, err := tx.newCollection(m.Type)
		if err != nil {
			return false, err
		}
		c.Version = nm.Version
		if !m.ZInline && !m.HInline && !m.LInline {
			if err := tx.copyMembers(m.Type, m.Version, c.Version); err != nil {
				return false, err
			}
		}
	}
	return true, tx.putMeta(dstDB, dst, nil, &c)
}

// copyMembers duplicates every member record of version from under to.
func (tx *Tx) copyMembers(t codec.Type, from, to uint64) error {
	for _, tag := range memberTags(t) {
		prefix := codec.MemberPrefix(tag, from)
		it, err := tx.iter(prefix, codec.PrefixEnd(prefix))
		if err != nil {
			return err
		}
		// Collect first: writing into the batch while iterating it would
		// let the iterator see its own copies when from and to are near.
		var keys, vals [][]byte
		for it.First(); it.Valid(); it.Next() {
			k := codec.MemberPrefix(tag, to)
			keys = append(keys, append(k, it.Key()[9:]...))
			vals = append(vals, append([]byte(nil), it.Value()...))
		}
		if err := it.Close(); err != nil {
			return err
		}
		for i := range keys {
			if err := tx.set(keys[i], vals[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// ScanResult is one page of SCAN.
type ScanResult struct {
	Keys [][]byte
	// Next is the user key to resume from, nil when the scan is complete.
	Next []byte
}

// ScanFilter decides which keys a scan returns; nil accepts every key.
type ScanFilter func(key []byte, t codec.Type) bool

// Scan visits up to count live keys of db, starting at key from (inclusive;
// nil for the beginning), in key order.
func (tx *Tx) Scan(db int, from []byte, count int, filter ScanFilter) (ScanResult, error) {
	var res ScanResult
	prefix := tx.metaPrefix(db)
	lower := prefix
	if from != nil {
		lower = tx.metaKey(db, from)
	}
	it, err := tx.iter(lower, codec.PrefixEnd(prefix))
	if err != nil {
		return res, err
	}
	defer it.Close()
	visited := 0
	for it.First(); it.Valid(); it.Next() {
		key := codec.UserKeyFromMeta(it.Key())
		if visited >= count {
			res.Next = append([]byte(nil), key...)
			break
		}
		visited++
		m, err := codec.DecodeMeta(it.Value())
		if err != nil {
			return res, err
		}
		if m.Expired(tx.now) {
			continue
		}
		if filter == nil || filter(key, m.Type) {
			res.Keys = append(res.Keys, append([]byte(nil), key...))
		}
	}
	return res, it.Error()
}

// randomWalkLimit is the database size up to which RandomKey picks by
// walking to a random position: exactly uniform, and cheap at that size.
const randomWalkLimit = 1024

// RandomKey returns a random live key of db, or nil. Up to randomWalkLimit
// keys it walks to a uniformly random position. Beyond, it seeks to a
// random point between the first and the last key: one seek whatever the
// size, every key can come back, but a key after a long gap in key order
// is likelier.
func (tx *Tx) RandomKey(db int) ([]byte, error) {
	prefix := tx.metaPrefix(db)
	it, err := tx.iter(prefix, codec.PrefixEnd(prefix))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	live := func() (bool, error) {
		m, err := codec.DecodeMeta(it.Value())
		if err != nil {
			return false, err
		}
		return !m.Expired(tx.now), nil
	}
	if !it.First() {
		return nil, it.Error()
	}
	first := append([]byte(nil), codec.UserKeyFromMeta(it.Key())...)
	if n := tx.KeyCount(db); n <= randomWalkLimit {
		for attempt := 0; attempt < 8; attempt++ {
			it.First()
			for skip := rand.Int64N(max(n, 1)); skip > 0 && it.Valid(); skip-- {
				it.Next()
			}
			if !it.Valid() {
				continue
			}
			if ok, err := live(); err != nil || ok {
				return append([]byte(nil), codec.UserKeyFromMeta(it.Key())...), err
			}
		}
	} else {
		it.Last()
		last := append([]byte(nil), codec.UserKeyFromMeta(it.Key())...)
		for attempt := 0; attempt < 100; attempt++ {
			if !it.SeekGE(tx.metaKey(db, randomBetween(first, last))) && !it.First() {
				return nil, it.Error()
			}
			if ok, err := live(); err != nil || ok {
				return append([]byte(nil), codec.UserKeyFromMeta(it.Key())...), err
			}
		}
	}
	// Nearly everything has expired: walk for any live key.
	for it.First(); it.Valid(); it.Next() {
		if ok, err := live(); err == nil && ok {
			return append([]byte(nil), codec.UserKeyFromMeta(it.Key())...), nil
		}
	}
	return nil, it.Error()
}

// FlushDB deletes every key of db.
func (tx *Tx) FlushDB(db int) error {
	prefix := tx.metaPrefix(db)
	it, err := tx.iter(prefix, codec.PrefixEnd(prefix))
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		m, err := codec.DecodeMeta(it.Value())
		if err != nil {
			it.Close()
			return err
		}
		if m.Type != codec.TypeString {
			m.Count = smallCollection + 1 // always a range deletion here
			if err := tx.deleteMembers(&m); err != nil {
				it.Close()
				return err
			}
		}
	}
	if err := it.Close(); err != nil {
		return err
	}
	if err := tx.deleteRange(prefix, codec.PrefixEnd(prefix)); err != nil {
		return err
	}
	ep := tx.expiryPrefix(db)
	if err := tx.deleteRange(ep, codec.PrefixEnd(ep)); err != nil {
		return err
	}
	tx.markFlushed(tx.physical(db))
	return nil
}

// FlushAll deletes every key of every db. Scripts and functions stay.
func (tx *Tx) FlushAll() error {
	for _, r := range [][2]byte{
		{codec.TagMeta, codec.TagMeta + 1},
		{codec.TagExpiry, codec.TagExpiry + 1},
		{codec.TagHash, codec.TagHash + 1},
		{codec.TagList, codec.TagList + 1},
		{codec.TagSet, codec.TagSet + 1},
		{codec.TagZMember, codec.TagZMember + 1},
		{codec.TagZScore, codec.TagZScore + 1},
		{codec.TagStreamEntry, codec.TagStreamEntry + 1},
		{codec.TagStreamAux, codec.TagStreamAux + 1},
		{codec.TagZRank, codec.TagZRank + 1},
	} {
		if err := tx.deleteRange([]byte{r[0]}, []byte{r[1]}); err != nil {
			return err
		}
	}
	for _, d := range append([]countDelta(nil), tx.deltas...) {
		tx.markFlushed(d.db)
	}
	for db := 0; db < MaxDatabases; db++ {
		if tx.db.counts.keys[db].Load() != 0 || tx.db.counts.expires[db].Load() != 0 {
			tx.markFlushed(db)
		}
	}
	return nil
}

// markFlushed records that physical database db is now empty: deltas so
// far are void.
func (tx *Tx) markFlushed(db int) {
	kept := tx.deltas[:0]
	for _, d := range tx.deltas {
		if d.db != db {
			kept = append(kept, d)
		}
	}
	tx.deltas = kept
	for _, n := range tx.flushed {
		if n == db {
			return
		}
	}
	tx.flushed = append(tx.flushed, db)
}

var _ = pebble.ErrNotFound
