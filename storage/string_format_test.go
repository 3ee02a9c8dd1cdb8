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
	db := openNoSync(t, dir)
	k := []byte("k")
	write(t, db, func(tx *storage.Tx) error {
		if _, err := tx.Set(0, k, []byte("12"), storage.SetOptions{}); err != nil {
			return err
		}
		_, err := tx.IncrBy(0, k, 1)
		return err
	})
	if f := formatStamp(t, db); f != "1" {
		t.Fatalf("after SET and INCR: format %q", f)
	}
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.Append(0, k, []byte("4"))
		return err
	})
	if f := formatStamp(t, db); f != "6" {
		t.Fatalf("after APPEND: format %q", f)
	}
	db = reopen(t, db, dir)
	defer db.Close()
	read(t, db, func(tx *storage.Tx) error {
		if enc, err := tx.StringEncoding(0, k); err != nil || enc != "raw" {
			t.Fatalf("after a reopen: %q, %v", enc, err)
		}
		return nil
	})
	checkClean(t, db)
}
