package storage_test

import (
	"testing"

	"moonstone/storage"
)

func watch(t *testing.T, db *storage.DB, dbn int, keys ...string) *storage.Watch {
	t.Helper()
	var ks [][]byte
	for _, k := range keys {
		ks = append(ks, []byte(k))
	}
	tx := db.BeginWrite()
	defer tx.Discard()
	w, err := tx.Watch(nil, dbn, ks)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func changed(db *storage.DB, w *storage.Watch) bool {
	tx := db.BeginWrite()
	defer tx.Discard()
	return w.Changed(tx)
}

func TestWatchTracksWritesToWatchedKeysOnly(t *testing.T) {
	db := openDB(t)
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.HSet(0, []byte("h"), [][]byte{[]byte("f"), []byte("1")})
		return err
	})

	w := watch(t, db, 0, "h", "missing")
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.Set(0, []byte("other"), []byte("x"), storage.SetOptions{})
		return err
	})
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.Set(1, []byte("h"), []byte("x"), storage.SetOptions{})
		return err
	})
	write(t, db, func(tx *storage.Tx) error { return tx.FlushDB(1) })
	if changed(db, w) {
		t.Fatal("writes to other keys and dbs marked the watch")
	}
	// a field overwrite changes a member record only, not the metadata
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.HSet(0, []byte("h"), [][]byte{[]byte("f"), []byte("2")})
		return err
	})
	if !changed(db, w) {
		t.Fatal("a field overwrite did not mark the watch")
	}
	w.Release()

	w = watch(t, db, 0, "missing")
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.Set(0, []byte("missing"), []byte("now"), storage.SetOptions{})
		return err
	})
	if !changed(db, w) {
		t.Fatal("creating a watched key did not mark the watch")
	}
	w.Release()

	w = watch(t, db, 0, "h")
	write(t, db, func(tx *storage.Tx) error { return tx.FlushAll() })
	if !changed(db, w) {
		t.Fatal("FLUSHALL did not mark the watch")
	}
	w.Release()
}
