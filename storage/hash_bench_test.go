package storage_test

import (
	"fmt"
	"testing"

	"moonstone/storage"
)

// BenchmarkHGetAll reads a 100-field hash whole: in insertion order
// (listpack) and in field order (converted).
func BenchmarkHGetAll(b *testing.B) {
	db, err := storage.Open(storage.Options{Dir: b.TempDir(), Sync: storage.SyncNo})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var pairs [][]byte
	for i := 1; i <= 100; i++ {
		pairs = append(pairs, []byte(fmt.Sprintf("f%d", i)), []byte(fmt.Sprintf("v%d-xxxxxxxxxx", i)))
	}
	tx := db.BeginWrite()
	if _, err := tx.HSet(0, []byte("listpack"), pairs); err != nil {
		b.Fatal(err)
	}
	db.SetHashLimits(10, 64)
	if _, err := tx.HSet(0, []byte("hashtable"), pairs); err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	for _, key := range []string{"listpack", "hashtable"} {
		b.Run(key, func(b *testing.B) {
			for range b.N {
				tx := db.BeginRead()
				it, err := tx.HIter(0, []byte(key))
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for it.Next() {
					n += len(it.Member()) + len(it.Value())
				}
				it.Close()
				tx.Discard()
			}
		})
	}
}
