package storage

// KeyHook is told of key changes the store makes on its own, which the
// server turns into keyspace notifications: "expired" when a write
// transaction removes a key because it expired (the sweeper, or a write
// that found the key expired), "new" when a transaction creates a key that
// did not exist. It runs inside the transaction, at the moment of the
// change; it must not block (it typically queues work with AfterCommit).
// key is valid only during the call.
type KeyHook func(tx *Tx, event string, db int, key []byte)

type keyHook struct {
	fn               KeyHook
	expired, created bool
}

// SetKeyHook installs fn for the events asked for; with neither, the hook
// is removed and costs nothing.
func (db *DB) SetKeyHook(fn KeyHook, expired, created bool) {
	if !expired && !created {
		db.keyHook.Store(nil)
		return
	}
	db.keyHook.Store(&keyHook{fn: fn, expired: expired, created: created})
}

func (tx *Tx) keyExpired(db int, key []byte) {
	if h := tx.db.keyHook.Load(); h != nil && h.expired {
		h.fn(tx, "expired", db, key)
	}
}

// keyCreated reports a key created by putMeta, except the re-creation of a
// key deleted just before in the same operation (a store command
// overwriting its destination), which Redis treats as an overwrite.
func (tx *Tx) keyCreated(db int, key []byte) {
	h := tx.db.keyHook.Load()
	if h == nil || !h.created {
		return
	}
	if tx.replaced != nil && tx.replacedDB == db && string(tx.replaced) == string(key) {
		tx.replaced = nil
		return
	}
	h.fn(tx, "new", db, key)
}

// markReplaced remembers the key deleteKey just removed (see keyCreated).
func (tx *Tx) markReplaced(db int, key []byte) {
	if h := tx.db.keyHook.Load(); h != nil && h.created {
		tx.replaced = append(tx.replaced[:0], key...)
		tx.replacedDB = db
	}
}
