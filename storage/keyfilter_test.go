package storage_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"moonstone/codec"
	"moonstone/storage"
)

// waitKeyFilter waits until a key filter is in use and none is being built.
func waitKeyFilter(t *testing.T, db *storage.DB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for db.KeyFilterStats().Bytes == 0 || db.KeyFilterBuilding() {
		if time.Now().After(deadline) {
			t.Fatalf("no key filter in use after 10 s: %+v", db.KeyFilterStats())
		}
		time.Sleep(time.Millisecond)
	}
}

func commit(t *testing.T, tx *storage.Tx) {
	t.Helper()
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// After a restart the filter is built from the keys on disk, so a write
// over a key of another type still finds it: SET over a hash removes the
// hash's fields and the counts stay right, which a filter that called the
// key absent would break (db.Check finds orphan fields and wrong counts).
// New keys are answered by the filter.
func TestKeyFilterKnowsTheKeysOnDiskAfterARestart(t *testing.T) {
	dir := t.TempDir()
	db, err := storage.Open(storage.Options{Dir: dir, Sync: storage.SyncNo})
	if err != nil {
		t.Fatal(err)
	}
	tx := db.BeginWrite()
	for i := 0; i < 200; i++ {
		fields := [][]byte{}
		for f := 0; f < 100; f++ { // past the inline bound: fields are records of their own
			fields = append(fields, []byte(fmt.Sprint("f", f)), []byte("v"))
		}
		if _, err := tx.HSet(0, []byte(fmt.Sprint("h", i)), fields); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Set(0, []byte(fmt.Sprint("s", i)), []byte("old"), storage.SetOptions{ExpireAt: time.Now().Add(time.Hour).UnixMilli()}); err != nil {
			t.Fatal(err)
		}
	}
	commit(t, tx)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = storage.Open(storage.Options{Dir: dir, Sync: storage.SyncNo})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waitKeyFilter(t, db)
	before := db.KeyFilterStats().Absent
	for i := 0; i < 200; i++ {
		// A transaction each: one that wrote more than 64 keys reads every
		// key through its batch, without the cache or the filter.
		tx := db.BeginWrite()
		// First: replacing a big hash deletes its fields with a range
		// deletion, after which the transaction reads through its batch.
		if _, err := tx.Set(0, []byte(fmt.Sprint("n", i)), []byte("new key"), storage.SetOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Set(0, []byte(fmt.Sprint("h", i)), []byte("now a string"), storage.SetOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Set(0, []byte(fmt.Sprint("s", i)), []byte("new"), storage.SetOptions{}); err != nil {
			t.Fatal(err)
		}
		commit(t, tx)
	}
	if got := db.KeyFilterStats().Absent - before; got < 150 {
		t.Errorf("the filter answered %d of the 200 new keys' lookups, want most", got)
	}
	if n, e := db.KeyCount(0), db.ExpiresCount(0); n != 600 || e != 0 {
		t.Errorf("DBSIZE %d with %d expiring, want 600 and 0", n, e)
	}
	rep, err := db.Check()
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 {
		t.Fatalf("check: %d problems, the first: %v", len(rep.Problems), rep.Problems[:min(3, len(rep.Problems))])
	}
	rd := db.BeginRead()
	defer rd.Close()
	for _, k := range []string{"h7", "s7"} {
		if typ, err := rd.Type(0, []byte(k)); err != nil || typ != codec.TypeString {
			t.Fatalf("TYPE %s = %v, %v; want string", k, typ, err)
		}
	}
}

// A filter built while writers create keys misses none of them: the keys
// committed before its scan began are in the scan, the rest are added by
// their commits.
func TestKeyFilterBuiltUnderWritesMissesNoKey(t *testing.T) {
	// No row cache: it would answer for the keys just written.
	db, err := storage.Open(storage.Options{Dir: t.TempDir(), Sync: storage.SyncNo, RowCacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx := db.BeginWrite()
	for i := 0; i < 50000; i++ { // enough that the scan takes a while
		if _, err := tx.Set(0, []byte(fmt.Sprint("old", i)), []byte("v"), storage.SetOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	commit(t, tx)
	for round := 0; round < 5; round++ {
		var wg sync.WaitGroup
		stop := make(chan struct{})
		var created []string
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprint("r", round, "-", i)
				tx := db.BeginWrite()
				if _, err := tx.Set(0, []byte(k), []byte("v"), storage.SetOptions{}); err != nil {
					t.Error(err)
					tx.Discard()
					return
				}
				if _, err := tx.Commit(); err != nil {
					t.Error(err)
					return
				}
				created = append(created, k)
			}
		}()
		db.DropKeyFilter()
		waitKeyFilter(t, db)
		close(stop)
		wg.Wait()
		tx := db.BeginWrite()
		for _, k := range created {
			if _, ok, err := tx.Get(0, []byte(k)); err != nil || !ok {
				tx.Discard()
				t.Fatalf("round %d: %s, created while the filter was built, reads as absent (%v)", round, k, err)
			}
		}
		tx.Discard()
		if len(created) == 0 {
			t.Fatalf("round %d: no key was written during the build", round)
		}
	}
}

// A store with more keys than the filter may hold builds none, and reads
// as before; one that outgrows its filter drops it.
func TestKeyFilterOnlyForStoresItHolds(t *testing.T) {
	db, err := storage.Open(storage.Options{Dir: t.TempDir(), Sync: storage.SyncNo, KeyFilterSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waitKeyFilter(t, db) // an empty store: the smallest filter
	// 64 KB holds about 80k keys before it is full, and 26k at 20 bits a
	// key: 200k fill it, and are too many for a new one.
	for b := 0; b < 20; b++ {
		tx := db.BeginWrite()
		for i := 0; i < 10000; i++ {
			if _, err := tx.Set(0, []byte(fmt.Sprint("k", b, "-", i)), []byte("v"), storage.SetOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		commit(t, tx)
	}
	if st := db.KeyFilterStats(); st.Bytes != 0 {
		t.Fatalf("a full filter is still in use: %+v", st)
	}
	db.DropKeyFilter() // too many keys: nothing is built
	if db.KeyFilterBuilding() || db.KeyFilterStats().Bytes != 0 {
		t.Fatalf("a filter is built for more keys than it holds: %+v", db.KeyFilterStats())
	}
	tx := db.BeginWrite()
	defer tx.Discard()
	for _, k := range []string{"k0-0", "k19-9999", "k7-1234"} {
		if _, ok, err := tx.Get(0, []byte(k)); err != nil || !ok {
			t.Fatalf("%s reads as absent (%v)", k, err)
		}
	}
}
