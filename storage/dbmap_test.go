package storage_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
	"moonstone/storage"
)

// get reads key of logical database dbn, "" when absent.
func get(t *testing.T, tx *storage.Tx, dbn int, key string) string {
	t.Helper()
	v, ok, err := tx.Get(dbn, []byte(key))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return ""
	}
	return string(v)
}

func swap(t *testing.T, db *storage.DB, a, b int) {
	t.Helper()
	write(t, db, func(tx *storage.Tx) error { return tx.SwapDB(a, b) })
}

// TestSwapDBSwapsEverything: data, expiries, counts, scans, random keys and
// flushes follow a swap, and so does what is written after it.
func TestSwapDBSwapsEverything(t *testing.T) {
	db := openDB(t)
	future := time.Now().Add(time.Hour).UnixMilli()
	write(t, db, func(tx *storage.Tx) error {
		for _, k := range []string{"a", "b"} {
			if _, err := tx.Set(0, []byte(k), []byte("zero-"+k), storage.SetOptions{}); err != nil {
				return err
			}
		}
		if _, err := tx.Expire(0, []byte("a"), future, storage.ExpireAlways); err != nil {
			return err
		}
		if _, err := tx.SAdd(1, []byte("s"), bs("x", "y")); err != nil {
			return err
		}
		_, err := tx.Set(2, []byte("c"), []byte("two"), storage.SetOptions{})
		return err
	})
	swap(t, db, 0, 1)
	if db.KeyCount(0) != 1 || db.KeyCount(1) != 2 || db.ExpiresCount(1) != 1 || db.ExpiresCount(0) != 0 || db.KeyCount(2) != 1 {
		t.Fatalf("counts after swap: %d %d %d, expires %d %d", db.KeyCount(0), db.KeyCount(1), db.KeyCount(2), db.ExpiresCount(0), db.ExpiresCount(1))
	}
	read(t, db, func(tx *storage.Tx) error {
		if got := get(t, tx, 1, "a"); got != "zero-a" {
			t.Errorf("db 1 a = %q", got)
		}
		if got := get(t, tx, 0, "a"); got != "" {
			t.Errorf("db 0 a = %q", got)
		}
		if at, err := tx.ExpireAt(1, []byte("a")); err != nil || at != future {
			t.Errorf("db 1 a expires at %d, %v; want %d", at, err, future)
		}
		n, err := tx.SCard(0, []byte("s"))
		if err != nil || n != 2 {
			t.Errorf("db 0 SCARD s = %d, %v", n, err)
		}
		res, err := tx.Scan(1, nil, 100, nil)
		if err != nil || fmt.Sprintf("%s", res.Keys) != "[a b]" {
			t.Errorf("scan of db 1: %s, %v", res.Keys, err)
		}
		k, err := tx.RandomKey(0)
		if err != nil || string(k) != "s" {
			t.Errorf("random key of db 0: %q, %v", k, err)
		}
		if got := get(t, tx, 2, "c"); got != "two" {
			t.Errorf("db 2, not swapped: c = %q", got)
		}
		return nil
	})
	// Writes after the swap land in the logical database they name.
	write(t, db, func(tx *storage.Tx) error {
		if _, err := tx.Set(0, []byte("new"), []byte("n"), storage.SetOptions{}); err != nil {
			return err
		}
		if _, err := tx.Move(1, []byte("b"), 0); err != nil {
			return err
		}
		_, err := tx.Copy(0, []byte("s"), 3, []byte("s"), false)
		return err
	})
	if db.KeyCount(0) != 3 || db.KeyCount(1) != 1 || db.KeyCount(3) != 1 {
		t.Fatalf("counts after writes: %d %d %d", db.KeyCount(0), db.KeyCount(1), db.KeyCount(3))
	}
	write(t, db, func(tx *storage.Tx) error { return tx.FlushDB(1) })
	if db.KeyCount(1) != 0 || db.ExpiresCount(1) != 0 || db.KeyCount(0) != 3 {
		t.Fatalf("counts after FLUSHDB of db 1: %d %d", db.KeyCount(0), db.KeyCount(1))
	}
	read(t, db, func(tx *storage.Tx) error {
		if get(t, tx, 1, "a") != "" || get(t, tx, 0, "b") != "zero-b" || get(t, tx, 0, "new") != "n" {
			t.Error("FLUSHDB of the swapped db 1 did not empty it alone")
		}
		return nil
	})
	if r := check(t, db); !r.OK() {
		t.Fatalf("check after swaps: %v", r.Problems)
	}
}

// TestSwapDBSurvivesReopen: the swap is one committed record, read at open.
func TestSwapDBSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := storage.Open(storage.Options{Dir: dir, Sync: storage.SyncAlways})
	if err != nil {
		t.Fatal(err)
	}
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.Set(0, []byte("k"), []byte("zero"), storage.SetOptions{})
		return err
	})
	swap(t, db, 0, 5)
	swap(t, db, 5, 7)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = storage.Open(storage.Options{Dir: dir, Sync: storage.SyncAlways})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	read(t, db, func(tx *storage.Tx) error {
		for dbn, want := range map[int]string{0: "", 5: "", 7: "zero"} {
			if got := get(t, tx, dbn, "k"); got != want {
				t.Errorf("after reopen, db %d k = %q, want %q", dbn, got, want)
			}
		}
		return nil
	})
	if db.KeyCount(7) != 1 || db.KeyCount(0) != 0 {
		t.Fatalf("counts after reopen: db 7 %d, db 0 %d", db.KeyCount(7), db.KeyCount(0))
	}
	v, closer, err := db.Pebble().Get(codec.SystemKey("format"))
	if err != nil {
		t.Fatal(err)
	}
	if string(v) != "2" {
		t.Fatalf("format after a swap = %q", v)
	}
	closer.Close()
	if r := check(t, db); !r.OK() {
		t.Fatalf("check after reopen: %v", r.Problems)
	}
}

// TestSwapDBInsideTransaction: a transaction's later operations see its own
// swap; a discarded one leaves nothing.
func TestSwapDBInsideTransaction(t *testing.T) {
	db := openDB(t)
	write(t, db, func(tx *storage.Tx) error {
		if _, err := tx.Set(0, []byte("k"), []byte("before"), storage.SetOptions{}); err != nil {
			return err
		}
		if err := tx.SwapDB(0, 1); err != nil {
			return err
		}
		if got := get(t, tx, 1, "k"); got != "before" {
			t.Errorf("after its own swap, db 1 k = %q", got)
		}
		if tx.KeyCount(0) != 0 {
			t.Errorf("after its own swap, DBSIZE of db 0 = %d", tx.KeyCount(0))
		}
		_, err := tx.Set(0, []byte("k"), []byte("after"), storage.SetOptions{})
		return err
	})
	read(t, db, func(tx *storage.Tx) error {
		if get(t, tx, 0, "k") != "after" || get(t, tx, 1, "k") != "before" {
			t.Errorf("db 0 k = %q, db 1 k = %q", get(t, tx, 0, "k"), get(t, tx, 1, "k"))
		}
		return nil
	})
	if db.KeyCount(0) != 1 || db.KeyCount(1) != 1 {
		t.Fatalf("counts: %d %d", db.KeyCount(0), db.KeyCount(1))
	}

	tx := db.BeginWrite()
	if err := tx.SwapDB(0, 1); err != nil {
		t.Fatal(err)
	}
	tx.Discard()
	read(t, db, func(tx *storage.Tx) error {
		if get(t, tx, 0, "k") != "after" {
			t.Error("a discarded swap took effect")
		}
		return nil
	})
}

// TestSwapDBReadersKeepTheirMap: a snapshot or point read begun before a
// swap commits reads the databases as they were, whole.
func TestSwapDBReadersKeepTheirMap(t *testing.T) {
	db := openDB(t)
	write(t, db, func(tx *storage.Tx) error {
		if _, err := tx.Set(0, []byte("k"), []byte("zero"), storage.SetOptions{}); err != nil {
			return err
		}
		_, err := tx.Set(1, []byte("k"), []byte("one"), storage.SetOptions{})
		return err
	})
	snap := db.BeginRead()
	defer snap.Close()
	swap(t, db, 0, 1)
	if got := get(t, snap, 0, "k"); got != "zero" {
		t.Fatalf("snapshot taken before the swap reads db 0 k = %q", got)
	}
	pr := db.BeginPointRead()
	if got := get(t, pr, 0, "k"); got != "one" {
		t.Fatalf("point read after the swap reads db 0 k = %q", got)
	}
	pr.Close()

	// Readers racing transactions that swap and write: each swaps db 0
	// and db 1, then writes k back so that db 0 holds "zero" and db 1
	// "one" again. A reader that saw the swap without the writes, or the
	// writes without the swap, would read them the other way round.
	write(t, db, func(tx *storage.Tx) error {
		if _, err := tx.Set(0, []byte("k"), []byte("zero"), storage.SetOptions{}); err != nil {
			return err
		}
		_, err := tx.Set(1, []byte("k"), []byte("one"), storage.SetOptions{})
		return err
	})
	done := make(chan error, 1)
	go func() {
		for i := 0; i < 500; i++ {
			tx := db.BeginWrite()
			err := tx.SwapDB(0, 1)
			if err == nil {
				_, err = tx.Set(0, []byte("k"), []byte("zero"), storage.SetOptions{})
			}
			if err == nil {
				_, err = tx.Set(1, []byte("k"), []byte("one"), storage.SetOptions{})
			}
			if err != nil {
				tx.Discard()
				done <- err
				return
			}
			p, err := tx.Commit()
			if err == nil {
				err = db.Wait(p)
			}
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = false
		default:
		}
		for _, begin := range []func() *storage.Tx{db.BeginRead, db.BeginPointRead} {
			tx := begin()
			a, b := get(t, tx, 0, "k"), get(t, tx, 1, "k")
			tx.Close()
			if a != "zero" || b != "one" {
				t.Fatalf("a read saw db 0 k = %q and db 1 k = %q", a, b)
			}
		}
	}
}

// TestSwapDBSnapshotWaitsForThePublishedMap holds a commit that swaps and
// writes between applying its batch and publishing its map: a snapshot
// read begun then must not pair the new data with the old map.
func TestSwapDBSnapshotWaitsForThePublishedMap(t *testing.T) {
	db := openDB(t)
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.Set(0, []byte("k"), []byte("zero"), storage.SetOptions{})
		return err
	})
	applied, release := make(chan struct{}), make(chan struct{})
	storage.SetSwapAppliedHook(func() { close(applied); <-release })
	defer storage.SetSwapAppliedHook(nil)
	committed := make(chan error, 1)
	go func() {
		tx := db.BeginWrite()
		err := tx.SwapDB(0, 1)
		if err == nil {
			// db 1 is now the old db 0: k moves to "one" there.
			_, err = tx.Set(1, []byte("k"), []byte("one"), storage.SetOptions{})
		}
		if err != nil {
			tx.Discard()
			committed <- err
			return
		}
		p, err := tx.Commit()
		if err == nil {
			err = db.Wait(p)
		}
		committed <- err
	}()
	<-applied
	type result struct{ a, b string }
	got := make(chan result, 1)
	go func() {
		tx := db.BeginRead()
		defer tx.Close()
		got <- result{get(t, tx, 0, "k"), get(t, tx, 1, "k")}
	}()
	select {
	case r := <-got:
		close(release)
		<-committed
		t.Fatalf("a snapshot began while the swap was half published: db 0 k = %q, db 1 k = %q", r.a, r.b)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-committed; err != nil {
		t.Fatal(err)
	}
	if r := <-got; r.a != "" || r.b != "one" {
		t.Fatalf("after the swap: db 0 k = %q, db 1 k = %q", r.a, r.b)
	}
}

// TestSwapDBWatches: Redis 7.0's rule, a watched key of either database
// changes when it is live in either of them; it stays in its database.
func TestSwapDBWatches(t *testing.T) {
	db := openDB(t)
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.Set(0, []byte("x"), []byte("v"), storage.SetOptions{})
		return err
	})
	inZero := watch(t, db, 0, "x")     // exists in db 0
	inOne := watch(t, db, 1, "x")      // exists in db 0, swapped into db 1
	absent := watch(t, db, 0, "nokey") // exists nowhere
	otherDB := watch(t, db, 2, "x")    // db 2 is not swapped
	swap(t, db, 0, 1)
	for name, w := range map[string]*storage.Watch{"db 0 x": inZero, "db 1 x": inOne} {
		if !changed(db, w) {
			t.Errorf("%s: the swap did not mark the watch", name)
		}
	}
	if changed(db, absent) || changed(db, otherDB) {
		t.Fatal("the swap marked a watch on a key absent from both databases, or of another database")
	}
	// The unmarked watch on db 0 still follows db 0, now physically the
	// old db 1.
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.Set(1, []byte("nokey"), []byte("v"), storage.SetOptions{})
		return err
	})
	if changed(db, absent) {
		t.Fatal("a write to db 1 marked a watch on db 0")
	}
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.Set(0, []byte("nokey"), []byte("v"), storage.SetOptions{})
		return err
	})
	if !changed(db, absent) {
		t.Fatal("a write to db 0 after a swap did not mark its watch")
	}
	for _, w := range []*storage.Watch{inZero, inOne, absent, otherDB} {
		w.Release()
	}

	// A key expired (not yet swept) on one side and absent on the other
	// is no change.
	write(t, db, func(tx *storage.Tx) error {
		if err := tx.FlushAll(); err != nil {
			return err
		}
		_, err := tx.Set(0, []byte("st"), []byte("v"), storage.SetOptions{ExpireAt: time.Now().UnixMilli() + 1})
		return err
	})
	time.Sleep(5 * time.Millisecond)
	stale := watch(t, db, 1, "st")
	swap(t, db, 0, 1)
	if changed(db, stale) {
		t.Fatal("a stale key swapped in marked the watch")
	}
	stale.Release()
}

// TestSwapDBReadyKeys: blocked clients of both databases are offered
// their keys.
func TestSwapDBReadyKeys(t *testing.T) {
	db := openDB(t)
	db.AddBlockInterest(1)
	defer db.AddBlockInterest(-1)
	tx := db.BeginWrite()
	defer tx.Discard()
	if err := tx.SwapDB(3, 9); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(tx.TakeReady())
	if want := "[{3 [] true} {9 [] true}]"; got != want {
		t.Fatalf("ready after SWAPDB 3 9: %s, want %s", got, want)
	}
	if err := tx.SwapDB(4, 4); err != nil || tx.HasReady() {
		t.Fatalf("SWAPDB 4 4: %v, ready %v", err, tx.HasReady())
	}
}

// TestCheckSeesABadDBMap: check validates the map record and names
// logical databases in its problems.
func TestCheckSeesABadDBMap(t *testing.T) {
	expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
		return p.Set(codec.SystemKey("dbmap"), []byte("short"), pebble.Sync)
	}, "database map record has 5 bytes")
	expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
		m := make([]byte, storage.MaxDatabases)
		for i := range m {
			m[i] = byte(i)
		}
		m[0], m[1] = 1, 1
		return p.Set(codec.SystemKey("dbmap"), m, pebble.Sync)
	}, "names physical database 1 twice")
	expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
		m := make([]byte, storage.MaxDatabases)
		for i := range m {
			m[i] = byte(i)
		}
		if err := p.Set(codec.SystemKey("format"), []byte("1"), pebble.Sync); err != nil {
			return err
		}
		return p.Set(codec.SystemKey("dbmap"), m, pebble.Sync)
	}, `database map record in a directory of format "1"`)

	db := healthyStore(t) // db 0 holds h with an expiry
	swap(t, db, 0, 4)
	if err := db.Pebble().Delete(codec.ExpiryKey(0, mustMeta(t, db, 0, "h").ExpireAt, []byte("h")), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	r := check(t, db)
	if !strings.Contains(strings.Join(r.Problems, "\n"), `db 4 key "h": expires at`) {
		t.Fatalf("problems %q do not name logical db 4", r.Problems)
	}
}

func mustMeta(t *testing.T, db *storage.DB, physical int, key string) codec.Meta {
	t.Helper()
	m, err := meta(db.Pebble(), physical, key)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
