package storage_test

import (
	"testing"

	"moonstone/storage"
)

// TestStringEncodingFormatStamp: strings written by content leave a new
// directory at format 1, so older builds still open it; the first raw
// string (APPEND to an existing key) stamps format 6, which those builds
// refuse rather than read its type byte as corruption; and the encoding
// survives a reopen.
func TestStringEncodingFormatStamp(t *testing.T) {
	dir := t.TempDir()
	db, err := storage.Open(storage.Options{Dir: dir, Sync: storage.SyncNo})
	if err != nil {
		t.Fatal(err)
	}
	format := func() string { return formatStamp(t, db) }
	write := func(fn func(tx *storage.Tx) error) {
		t.Helper()
		tx := db.BeginWrite()
		if err := fn(tx); err != nil {
			tx.Discard()
			t.Fatal(err)
		}
		if _, err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	k := []byte("k")
	write(func(tx *storage.Tx) error {
		if _, err := tx.Set(0, k, []byte("12"), storage.SetOptions{}); err != nil {
			return err
		}
		_, err := tx.IncrBy(0, k, 1)
		return err
	})
	if f := format(); f != "1" {
		t.Fatalf("after SET and INCR: format %q", f)
	}
	write(func(tx *storage.Tx) error {
		_, err := tx.Append(0, k, []byte("4"))
		return err
	})
	if f := format(); f != "6" {
		t.Fatalf("after APPEND: format %q", f)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = storage.Open(storage.Options{Dir: dir, Sync: storage.SyncNo}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx := db.BeginRead()
	defer tx.Discard()
	if enc, err := tx.StringEncoding(0, k); err != nil || enc != "raw" {
		t.Fatalf("after a reopen: %q, %v", enc, err)
	}
	if r, err := db.Check(); err != nil || !r.OK() {
		t.Fatalf("check: %v %v", err, r)
	}
}
