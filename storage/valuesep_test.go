package storage_test

import (
	"bytes"
	"fmt"
	"testing"

	"moonstone/storage"
)

// Values from ValueSeparationMinSize up go to Pebble's blob files once
// flushed, smaller ones stay in the tables, and every value reads back the
// same after a flush, a full compaction and a restart, also when the
// restart turns separation off.
func TestLargeValuesAreSeparated(t *testing.T) {
	dir := t.TempDir()
	open := func(minSize int) *storage.DB {
		t.Helper()
		db, err := storage.Open(storage.Options{Dir: dir, Sync: storage.SyncNo, ValueSeparationMinSize: minSize, Logger: newQuietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	value := func(i int) []byte {
		n := 100
		if i%2 == 0 {
			n = 4096
		}
		return bytes.Repeat([]byte{byte('a' + i%26)}, n)
	}
	check := func(db *storage.DB) {
		t.Helper()
		tx := db.BeginRead()
		defer tx.Close()
		for i := range 100 {
			v, ok, err := tx.Get(0, fmt.Appendf(nil, "k%d", i))
			if err != nil || !ok || !bytes.Equal(v, value(i)) {
				t.Fatalf("k%d: %d bytes, %v %v", i, len(v), ok, err)
			}
		}
	}
	db := open(1024)
	write(t, db, func(tx *storage.Tx) error {
		for i := range 100 {
			if _, err := tx.Set(0, fmt.Appendf(nil, "k%d", i), value(i), storage.SetOptions{}); err != nil {
				return err
			}
		}
		return nil
	})
	if err := db.Pebble().Flush(); err != nil {
		t.Fatal(err)
	}
	m := db.Pebble().Metrics()
	if m.BlobFiles.LiveCount == 0 || m.BlobFiles.ReferencedValueSize < 50*4096 || m.BlobFiles.ReferencedValueSize >= 50*4096+50*100 {
		t.Errorf("blob files: %d, referenced values %d bytes; want the 50 values of 4 KB only", m.BlobFiles.LiveCount, m.BlobFiles.ReferencedValueSize)
	}
	check(db)
	if err := db.Pebble().Compact(t.Context(), []byte{0}, []byte{0xff}, true); err != nil {
		t.Fatal(err)
	}
	check(db)
	db.Close()
	db = open(0)
	check(db)
	db.Close()
}
