package storage

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	"moonstone/codec"
)

// Watch is one connection's set of WATCHed keys. Every committed write
// transaction that touches one of them marks it dirty; EXEC then aborts.
//
// Tracking costs nothing while nobody watches: transactions record what
// they touch only when the watch table is not empty.
type Watch struct {
	db    *DB
	keys  []*watchedKey
	dirty atomic.Bool
}

// watchedKey is one key of one Watch, as it was when WATCH ran.
type watchedKey struct {
	w *Watch
	// metaKey is the key's metadata key with its logical database, dbn.
	metaKey string
	dbn     int
	// live: the key existed and had not expired at WATCH time. A key that
	// was absent (or already expired) and is still absent after a write is
	// logically unchanged, as in Redis.
	live     bool
	version  uint64 // collection version, 0 for strings and absent keys
	expireAt int64
}

// watchTable indexes the watched keys of every connection.
type watchTable struct {
	mu     sync.Mutex
	n      atomic.Int64 // watched entries; 0 means no tracking
	byMeta map[string][]*watchedKey
	byVer  map[uint64][]*watchedKey
}

// touched is what one write transaction changed, recorded only while some
// key is watched. Metadata keys and databases are logical (dbmap.go), as
// in the watch table, translated when the change is recorded: a watched
// key stays in its client's database across SWAPDB.
type touched struct {
	meta     []string
	versions []uint64
	flushDBs []int
	flushAll bool
	// swapped are the watched keys a SWAPDB changed (watchSwap).
	swapped []*watchedKey
}

func (tx *Tx) tracking() bool { return tx.b != nil && tx.db.watch.n.Load() > 0 }

// touch records a point write or delete of a stored record.
func (tx *Tx) touch(key []byte) {
	if len(key) == 0 || !tx.tracking() {
		return
	}
	switch key[0] {
	case codec.TagMeta:
		tx.touchedKeys.meta = append(tx.touchedKeys.meta, string(tx.logicalMetaKey(key)))
	case codec.TagHash, codec.TagList, codec.TagSet, codec.TagZMember, codec.TagZScore:
		if len(key) >= 9 {
			tx.touchedKeys.versions = append(tx.touchedKeys.versions, binary.BigEndian.Uint64(key[1:9]))
		}
	}
}

// touchRange records a range deletion: a whole db's or every db's metadata
// (FLUSHDB, FLUSHALL), or a collection's members.
func (tx *Tx) touchRange(start []byte) {
	if len(start) == 0 || !tx.tracking() {
		return
	}
	switch {
	case start[0] == codec.TagMeta && len(start) == 1:
		tx.touchedKeys.flushAll = true
	case start[0] == codec.TagMeta && len(start) == 2:
		tx.touchedKeys.flushDBs = append(tx.touchedKeys.flushDBs, int(tx.dbs.logical[start[1]]))
	default:
		tx.touch(start)
	}
}

// Watch starts a watch on keys of database dbn. It must run in a write
// transaction, so that no commit falls between reading the keys' state and
// registering them. Keys may be added to an existing watch (w non-nil).
func (tx *Tx) Watch(w *Watch, dbn int, keys [][]byte) (*Watch, error) {
	if tx.b == nil {
		return nil, ErrReadOnlyTx
	}
	if w == nil {
		w = &Watch{db: tx.db}
	}
	t := &tx.db.watch
	var add []*watchedKey
	for _, k := range keys {
		wk := &watchedKey{w: w, metaKey: string(codec.MetaKey(dbn, k)), dbn: dbn}
		raw, ok, err := tx.get(tx.metaKey(dbn, k))
		if err != nil {
			return w, err
		}
		if ok {
			m, err := codec.DecodeMeta(raw)
			if err != nil {
				return w, err
			}
			if !m.Expired(tx.now) {
				wk.live = true
				wk.expireAt = m.ExpireAt
				if m.Type != codec.TypeString {
					wk.version = m.Version
				}
			}
		}
		add = append(add, wk)
	}
	t.mu.Lock()
	if t.byMeta == nil {
		t.byMeta = make(map[string][]*watchedKey)
		t.byVer = make(map[uint64][]*watchedKey)
	}
	for _, wk := range add {
		t.byMeta[wk.metaKey] = append(t.byMeta[wk.metaKey], wk)
		if wk.version != 0 {
			t.byVer[wk.version] = append(t.byVer[wk.version], wk)
		}
		t.n.Add(1)
	}
	w.keys = append(w.keys, add...)
	t.mu.Unlock()
	return w, nil
}

// Changed reports whether a watched key changed since WATCH: written by any
// transaction, or expired by the clock of tx. Call it in the transaction
// that would run the EXEC, so no write can slip in after the check.
func (w *Watch) Changed(tx *Tx) bool {
	if w == nil {
		return false
	}
	if w.dirty.Load() {
		return true
	}
	for _, wk := range w.keys {
		if wk.live && wk.expireAt != 0 && wk.expireAt <= tx.now {
			return true
		}
	}
	return false
}

// Release ends the watch (UNWATCH, EXEC, DISCARD, RESET, disconnect).
func (w *Watch) Release() {
	if w == nil || len(w.keys) == 0 {
		return
	}
	t := &w.db.watch
	t.mu.Lock()
	for _, wk := range w.keys {
		t.byMeta[wk.metaKey] = removeWatched(t.byMeta[wk.metaKey], wk)
		if len(t.byMeta[wk.metaKey]) == 0 {
			delete(t.byMeta, wk.metaKey)
		}
		if wk.version != 0 {
			t.byVer[wk.version] = removeWatched(t.byVer[wk.version], wk)
			if len(t.byVer[wk.version]) == 0 {
				delete(t.byVer, wk.version)
			}
		}
		t.n.Add(-1)
	}
	t.mu.Unlock()
	w.keys = nil
}

func removeWatched(list []*watchedKey, wk *watchedKey) []*watchedKey {
	for i, x := range list {
		if x == wk {
			list[i] = list[len(list)-1]
			return list[:len(list)-1]
		}
	}
	return list
}

// signal marks the watches a transaction touched; exists reports whether a
// key is live once the transaction commits.
func (t *watchTable) signal(tc *touched, exists func(metaKey string) bool) {
	if tc == nil || t.n.Load() == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, mk := range tc.meta {
		list := t.byMeta[mk]
		if len(list) == 0 {
			continue
		}
		now := exists(mk)
		for _, wk := range list {
			if wk.live || now {
				wk.w.dirty.Store(true)
			}
		}
	}
	for _, v := range tc.versions {
		for _, wk := range t.byVer[v] {
			wk.w.dirty.Store(true)
		}
	}
	for _, wk := range tc.swapped {
		wk.w.dirty.Store(true)
	}
	if tc.flushAll || len(tc.flushDBs) > 0 {
		for _, list := range t.byMeta {
			for _, wk := range list {
				if !wk.live {
					continue
				}
				hit := tc.flushAll
				for _, n := range tc.flushDBs {
					hit = hit || n == wk.dbn
				}
				if hit {
					wk.w.dirty.Store(true)
				}
			}
		}
	}
}

// watchSwap records the watches that SWAPDB a b changes, marked if the
// transaction commits. As Redis 7.0's touchAllWatchedKeysInDb does for
// both databases, a watched key of either database changes when it is
// live in either of them before the swap: it then appears, disappears or
// is replaced in its client's database. A key absent or expired on both
// sides is unchanged, whether it was absent or expired when watched (a key
// live when watched that has since expired already fails Changed).
func (tx *Tx) watchSwap(a, b int) error {
	if !tx.tracking() {
		return nil
	}
	t := &tx.db.watch
	var keys []*watchedKey
	t.mu.Lock()
	for mk, list := range t.byMeta {
		if n := int(mk[1]); n == a || n == b {
			keys = append(keys, list...)
		}
	}
	t.mu.Unlock()
	live := make(map[string]bool)
	for _, wk := range keys {
		key := wk.metaKey[2:]
		l, known := live[key]
		if !known {
			var err error
			if l, err = tx.liveIn([]byte(key), a, b); err != nil {
				return err
			}
			live[key] = l
		}
		if l {
			tx.touchedKeys.swapped = append(tx.touchedKeys.swapped, wk)
		}
	}
	return nil
}

// liveIn reports whether key exists, unexpired, in logical database a or
// b. It reads without removing an expired key.
func (tx *Tx) liveIn(key []byte, a, b int) (bool, error) {
	for _, n := range [2]int{a, b} {
		raw, ok, err := tx.get(tx.metaKey(n, key))
		if err != nil {
			return false, err
		}
		if !ok {
			continue
		}
		m, err := codec.DecodeMeta(raw)
		if err != nil {
			return false, err
		}
		if !m.Expired(tx.now) {
			return true, nil
		}
	}
	return false, nil
}
