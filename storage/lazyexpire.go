package storage

// Lazy expiry of the keys reads meet. A read hides an expired key at once
// but cannot remove it: it has no batch. Redis removes such a key when a
// command looks it up, so DBSIZE, INFO keyspace and the "expired" event
// follow reads even with the active cycle off. Moonstone does the same
// just after the read: the read transaction notes the expired keys its
// lookups met, and when it ends they are removed in a write transaction
// of their own, at once if no write holds the lock, else by a goroutine
// that waits for it (so a long script never makes a reader wait). The
// removal is not synced: the keys are gone logically already, and a crash
// that undid it would only leave them for the sweeper.

// expiredKey is an expired key a read met, in its logical database.
type expiredKey struct {
	db  int
	key []byte
}

// maxMetExpired bounds what one read notes; the sweeper finds the rest.
const maxMetExpired = 16

// noteExpired records an expired key a read transaction met.
func (tx *Tx) noteExpired(db int, key []byte) {
	if len(tx.metExpired) < maxMetExpired {
		tx.metExpired = append(tx.metExpired, expiredKey{db, append([]byte(nil), key...)})
	}
}

// removeExpired removes the expired keys a read met (see above). Nothing
// is removed while expiry is held (CLIENT PAUSE).
func (db *DB) removeExpired(keys []expiredKey) {
	if db.expiryHeld.Load() {
		return
	}
	if tx := db.TryBeginWrite(); tx != nil {
		db.removeExpiredIn(tx, keys)
		return
	}
	select {
	case db.lazyExpired <- keys:
	default:
		// The queue is full: the sweeper will find them.
	}
}

// removeExpiredIn removes keys, those still expired, in tx and commits it.
func (db *DB) removeExpiredIn(tx *Tx, keys []expiredKey) {
	select {
	case <-db.stop:
		// Closing: Pebble may be gone once the lock is released.
		tx.Discard()
		return
	default:
	}
	for _, k := range keys {
		// meta removes an expired key as a side effect of looking at it.
		if _, err := tx.meta(k.db, k.key); err != nil {
			tx.Discard()
			return
		}
	}
	if tx.Writes() == 0 {
		tx.Discard()
		return
	}
	tx.commitNoSync()
}

// lazyExpiryLoop removes the expired keys that reads met while a write
// held the lock, until the store closes.
func (db *DB) lazyExpiryLoop() {
	defer db.bg.Done()
	for {
		select {
		case <-db.stop:
			return
		case keys := <-db.lazyExpired:
			if !db.expiryHeld.Load() {
				db.removeExpiredIn(db.BeginWrite(), keys)
			}
		}
	}
}
