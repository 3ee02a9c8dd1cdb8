package storage_test

import (
	"testing"

	"moonstone/storage"
)

// Effects outside the store (pub/sub messages, keyspace events, wake-ups)
// hang on AfterCommit: they must happen for committed work only.
func TestAfterCommitRunsOnlyForCommittedTransactions(t *testing.T) {
	db, err := storage.Open(storage.Options{Dir: t.TempDir(), Sync: storage.SyncAlways})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ran []string
	for _, tc := range []struct {
		name   string
		write  bool
		commit bool
	}{
		{"write-commit", true, true},
		{"empty-commit", false, true},
		{"write-discard", true, false},
	} {
		tx := db.BeginWrite()
		if tc.write {
			if _, err := tx.Set(0, []byte("k"), []byte(tc.name), storage.SetOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		name := tc.name
		tx.AfterCommit(func() { ran = append(ran, name) })
		if tc.commit {
			p, err := tx.Commit()
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Wait(p); err != nil {
				t.Fatal(err)
			}
		} else {
			tx.Discard()
		}
	}
	if len(ran) != 2 || ran[0] != "write-commit" || ran[1] != "empty-commit" {
		t.Fatalf("callbacks ran for %v, want [write-commit empty-commit]", ran)
	}
}
