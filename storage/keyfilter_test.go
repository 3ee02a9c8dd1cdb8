package storage_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"moonstone/codec"
	"moonstone/storage"
)

func keyStats(db *storage.DB) storage.KeyFilterStats    { k, _ := db.KeyFilterStats(); return k }
func memberStats(db *storage.DB) storage.KeyFilterStats { _, m := db.KeyFilterStats(); return m }

// waitKeyFilter waits until both key filters are in use and none is being
// built.
func waitKeyFilter(t *testing.T, db *storage.DB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for keyStats(db).Bytes == 0 || memberStats(db).Bytes == 0 || db.KeyFilterBuilding() {
		if time.Now().After(deadline) {
			t.Fatalf("no key filters in use after 10 s: keys %+v, members %+v", keyStats(db), memberStats(db))
		}
		time.Sleep(time.Millisecond)
	}
}

// openNoSync opens the store in dir for a test.
func openNoSync(t *testing.T, dir string) *storage.DB {
	t.Helper()
	db, err := storage.Open(storage.Options{Dir: dir, Sync: storage.SyncNo})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// reopen closes db and opens its directory again, with the key filters
// built from what is on disk.
func reopen(t *testing.T, db *storage.DB, dir string) *storage.DB {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openNoSync(t, dir)
	waitKeyFilter(t, db)
	return db
}

// checkClean fails the test if db.Check finds problems.
func checkClean(t *testing.T, db *storage.DB) {
	t.Helper()
	rep, err := db.Check()
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 {
		t.Fatalf("check: %d problems, the first: %v", len(rep.Problems), rep.Problems[:min(3, len(rep.Problems))])
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
	db := openNoSync(t, dir)
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
	db = reopen(t, db, dir)
	defer db.Close()
	// A failure leaves the write lock to Discard, not to Close.
	defer func() { tx.Discard() }()
	before := keyStats(db).Absent
	for i := 0; i < 200; i++ {
		// A transaction each: one that wrote more than 64 keys reads every
		// key through its batch, without the cache or the filter.
		tx = db.BeginWrite()
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
	if got := keyStats(db).Absent - before; got < 150 {
		t.Errorf("the filter answered %d of the 200 new keys' lookups, want most", got)
	}
	if n, e := db.KeyCount(0), db.ExpiresCount(0); n != 600 || e != 0 {
		t.Errorf("DBSIZE %d with %d expiring, want 600 and 0", n, e)
	}
	checkClean(t, db)
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
	rebuildUnderWrites(t, db, func(tx *storage.Tx, k []byte) error {
		_, err := tx.Set(0, k, []byte("v"), storage.SetOptions{})
		return err
	}, func(tx *storage.Tx, k []byte) (bool, error) {
		_, ok, err := tx.Get(0, k)
		return ok, err
	})
}

// rebuildUnderWrites rebuilds db's key filters five times while a writer
// adds records with write, one transaction each, and then checks with
// present that every one of them reads as there.
func rebuildUnderWrites(t *testing.T, db *storage.DB, write func(*storage.Tx, []byte) error, present func(*storage.Tx, []byte) (bool, error)) {
	t.Helper()
	for round := 0; round < 5; round++ {
		var wg sync.WaitGroup
		stop := make(chan struct{})
		var created [][]byte
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := []byte(fmt.Sprint("r", round, "-", i))
				tx := db.BeginWrite()
				if err := write(tx, k); err != nil {
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
			if ok, err := present(tx, k); err != nil || !ok {
				tx.Discard()
				t.Fatalf("round %d: %s, written while the filters were built, reads as absent (%v)", round, k, err)
			}
		}
		tx.Discard()
		if len(created) == 0 {
			t.Fatalf("round %d: nothing was written during the build", round)
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
	if st := keyStats(db); st.Bytes != 0 {
		t.Fatalf("a full filter is still in use: %+v", st)
	}
	builds := keyStats(db).Builds
	db.DropKeyFilter() // too many keys: nothing is built
	for db.KeyFilterBuilding() {
		time.Sleep(time.Millisecond)
	}
	if st := keyStats(db); st.Bytes != 0 || st.Builds != builds {
		t.Fatalf("a filter is built for more keys than it holds: %+v", keyStats(db))
	}
	tx := db.BeginWrite()
	defer tx.Discard()
	for _, k := range []string{"k0-0", "k19-9999", "k7-1234"} {
		if _, ok, err := tx.Get(0, []byte(k)); err != nil || !ok {
			t.Fatalf("%s reads as absent (%v)", k, err)
		}
	}
}

// The members' filter is built from the fields and members on disk after a
// restart, so writes of ones already there still find them: HSET and SADD
// of existing ones add nothing, and ZADD of an existing member with a new
// score moves its score-index entry instead of leaving the old one behind
// (db.Check would find it). New fields and members are answered by the
// filter.
func TestMemberFilterKnowsTheMembersOnDiskAfterARestart(t *testing.T) {
	dir := t.TempDir()
	db := openNoSync(t, dir)
	tx := db.BeginWrite()
	var fields, members [][]byte
	var zmembers []storage.ZMember
	for f := 0; f < 300; f++ { // past every inline bound: members are records of their own
		fields = append(fields, []byte(fmt.Sprint("f", f)), []byte("v"))
		members = append(members, []byte(fmt.Sprint("m", f)))
		zmembers = append(zmembers, storage.ZMember{Member: []byte(fmt.Sprint("z", f)), Score: float64(f)})
	}
	if _, err := tx.HSet(0, []byte("h"), fields); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.SAdd(0, []byte("s"), members); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ZAdd(0, []byte("z"), storage.ZAddOptions{}, zmembers); err != nil {
		t.Fatal(err)
	}
	commit(t, tx)
	db = reopen(t, db, dir)
	defer db.Close()
	// A failure leaves the write lock to Discard, not to Close.
	defer func() { tx.Discard() }()
	before := memberStats(db).Absent
	for i := 0; i < 300; i++ {
		tx = db.BeginWrite()
		if n, err := tx.HSet(0, []byte("h"), [][]byte{[]byte(fmt.Sprint("f", i)), []byte("w"), []byte(fmt.Sprint("new", i)), []byte("v")}); err != nil || n != 1 {
			t.Fatalf("HSET of f%d and new%d added %d (%v), want 1", i, i, n, err)
		}
		if n, err := tx.SAdd(0, []byte("s"), [][]byte{[]byte(fmt.Sprint("m", i)), []byte(fmt.Sprint("new", i))}); err != nil || n != 1 {
			t.Fatalf("SADD of m%d and new%d added %d (%v), want 1", i, i, n, err)
		}
		res, err := tx.ZAdd(0, []byte("z"), storage.ZAddOptions{}, []storage.ZMember{{Member: []byte(fmt.Sprint("z", i)), Score: float64(1000 + i)}})
		if err != nil || res.Added != 0 {
			t.Fatalf("ZADD of z%d added %d (%v), want 0", i, res.Added, err)
		}
		commit(t, tx)
	}
	// A field or member new to the store but written earlier in the same
	// transaction is found in the batch, not called absent by the filter.
	tx = db.BeginWrite()
	if n, err := tx.HSet(0, []byte("h"), [][]byte{[]byte("twice"), []byte("1"), []byte("twice"), []byte("2")}); err != nil || n != 1 {
		t.Fatalf("HSET of one new field twice added %d (%v), want 1", n, err)
	}
	if n, err := tx.SAdd(0, []byte("s"), [][]byte{[]byte("twice"), []byte("twice")}); err != nil || n != 1 {
		t.Fatalf("SADD of one new member twice added %d (%v), want 1", n, err)
	}
	if res, err := tx.ZAdd(0, []byte("z"), storage.ZAddOptions{}, []storage.ZMember{{Member: []byte("twice"), Score: 1}, {Member: []byte("twice"), Score: 2}}); err != nil || res.Added != 1 {
		t.Fatalf("ZADD of one new member twice added %d (%v), want 1", res.Added, err)
	}
	commit(t, tx)
	if got := memberStats(db).Absent - before; got < 500 {
		t.Errorf("the members' filter answered %d of the 600 new fields' and members' lookups, want most", got)
	}
	rd := db.BeginRead()
	defer rd.Close()
	if n, _ := rd.HLen(0, []byte("h")); n != 601 {
		t.Errorf("HLEN = %d, want 601", n)
	}
	if n, _ := rd.SCard(0, []byte("s")); n != 601 {
		t.Errorf("SCARD = %d, want 601", n)
	}
	if n, _ := rd.ZCard(0, []byte("z")); n != 301 {
		t.Errorf("ZCARD = %d, want 301", n)
	}
	if sc, ok, _ := rd.ZScore(0, []byte("z"), []byte("z7")); !ok || sc != 1007 {
		t.Errorf("ZSCORE z7 = %v %v, want 1007", sc, ok)
	}
	checkClean(t, db)
}

// A members' filter built while writers add fields misses none of them.
func TestMemberFilterBuiltUnderWritesMissesNoField(t *testing.T) {
	db, err := storage.Open(storage.Options{Dir: t.TempDir(), Sync: storage.SyncNo})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx := db.BeginWrite()
	var fields [][]byte
	for i := 0; i < 50000; i++ { // enough that the scan takes a while
		fields = append(fields, []byte(fmt.Sprint("old", i)), []byte("v"))
	}
	if _, err := tx.HSet(0, []byte("h"), fields); err != nil {
		t.Fatal(err)
	}
	commit(t, tx)
	rebuildUnderWrites(t, db, func(tx *storage.Tx, f []byte) error {
		_, err := tx.HSet(0, []byte("h"), [][]byte{f, []byte("v")})
		return err
	}, func(tx *storage.Tx, f []byte) (bool, error) {
		_, ok, err := tx.HGet(0, []byte("h"), f)
		return ok, err
	})
}
