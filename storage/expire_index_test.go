package storage_test

import (
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
	"moonstone/storage"
)

// expiryEntries reads db 0's expiry index: each key's entry time.
func expiryEntries(t *testing.T, db *storage.DB) map[string]int64 {
	t.Helper()
	prefix := codec.ExpiryPrefix(0)
	it, err := db.Pebble().NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: codec.ExpiryPrefix(1)})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	entries := map[string]int64{}
	for it.First(); it.Valid(); it.Next() {
		_, at, key := codec.ParseExpiryKey(it.Key())
		if _, dup := entries[string(key)]; dup {
			t.Fatalf("key %q has two expiry-index entries", key)
		}
		entries[string(key)] = at
	}
	return entries
}

// wantEntries fails the test unless db 0's expiry index is exactly want
// and db.Check finds every key's entry where its metadata says.
func wantEntries(t *testing.T, db *storage.DB, step string, want map[string]int64) {
	t.Helper()
	got := expiryEntries(t, db)
	if len(got) != len(want) {
		t.Fatalf("%s: expiry index %v, want %v", step, got, want)
	}
	for k, at := range want {
		if got[k] != at {
			t.Fatalf("%s: expiry index %v, want %v", step, got, want)
		}
	}
	checkClean(t, db)
}

// writes runs fn in a committed write transaction and returns how many
// records it wrote.
func writes(t *testing.T, db *storage.DB, fn func(tx *storage.Tx) error) int {
	t.Helper()
	n := 0
	write(t, db, func(tx *storage.Tx) error {
		err := fn(tx)
		n = tx.Writes()
		return err
	})
	return n
}

// TestExpiryPushedLaterKeepsItsIndexEntry: renewing a key's expiry (a
// sliding window's EXPIRE, a session's SET EX) writes the metadata record
// alone, the index entry staying where it was; an expiry brought before
// the entry moves it; the directory is stamped format 7, so a build that
// expects every entry at its key's expiry refuses it; all of it survives
// a reopen.
func TestExpiryPushedLaterKeepsItsIndexEntry(t *testing.T) {
	dir := t.TempDir()
	db := openNoSync(t, dir)
	t0 := time.Now().UnixMilli()
	s := []byte("session")
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.Set(0, s, []byte("v"), storage.SetOptions{ExpireAt: t0 + 60_000})
		return err
	})
	wantEntries(t, db, "SET EX", map[string]int64{"session": t0 + 60_000})
	if f := formatStamp(t, db); f != "1" {
		t.Fatalf("after SET EX: format %q", f)
	}
	expire := func(at int64) int {
		return writes(t, db, func(tx *storage.Tx) error {
			_, err := tx.Expire(0, s, at, storage.ExpireAlways)
			return err
		})
	}
	if n := expire(t0 + 120_000); n != 1 {
		t.Fatalf("an expiry pushed later wrote %d records, want the metadata alone", n)
	}
	wantEntries(t, db, "pushed later", map[string]int64{"session": t0 + 60_000})
	if f := formatStamp(t, db); f != "7" {
		t.Fatalf("after an expiry pushed later: format %q", f)
	}
	if n := writes(t, db, func(tx *storage.Tx) error {
		_, err := tx.Set(0, s, []byte("v2"), storage.SetOptions{ExpireAt: t0 + 180_000})
		return err
	}); n != 1 {
		t.Fatalf("SET EX renewing the key wrote %d records", n)
	}
	expire(t0 + 90_000) // earlier than the expiry, later than the entry
	wantEntries(t, db, "brought earlier, after the entry", map[string]int64{"session": t0 + 60_000})
	expire(t0 + 30_000)
	wantEntries(t, db, "brought before the entry", map[string]int64{"session": t0 + 30_000})
	expire(t0 + 45_000)

	db = reopen(t, db, dir)
	defer db.Close()
	wantEntries(t, db, "reopened", map[string]int64{"session": t0 + 30_000})
	read(t, db, func(tx *storage.Tx) error {
		if at, err := tx.ExpireAt(0, s); err != nil || at != t0+45_000 {
			t.Fatalf("expiry after a reopen: %d, %v", at, err)
		}
		return nil
	})
}

// TestSweeperMovesAnEntryThatCameDue: when the entry of a key whose expiry
// was pushed later comes due, the sweeper leaves the key alone and moves
// the entry to the expiry, where the key is swept.
func TestSweeperMovesAnEntryThatCameDue(t *testing.T) {
	db := openDB(t)
	t0 := time.Now().UnixMilli()
	k := []byte("window")
	write(t, db, func(tx *storage.Tx) error {
		if _, err := tx.Set(0, k, []byte("v"), storage.SetOptions{ExpireAt: t0 + 100}); err != nil {
			return err
		}
		_, err := tx.Expire(0, k, t0+10_000, storage.ExpireAlways)
		return err
	})
	sweep := func(now int64) (removed, wrote int) {
		write(t, db, func(tx *storage.Tx) error {
			tx.SetNow(now)
			n, _, err := tx.SweepExpired(0, 10)
			removed, wrote = n, tx.Writes()
			return err
		})
		return
	}
	if n, w := sweep(t0 + 200); n != 0 || w != 3 {
		t.Fatalf("sweep past the entry: %d removed, %d records written; want 0 and the entry moved", n, w)
	}
	wantEntries(t, db, "entry came due", map[string]int64{"window": t0 + 10_000})
	if n, w := sweep(t0 + 5_000); n != 0 || w != 0 {
		t.Fatalf("sweep before the expiry: %d removed, %d written", n, w)
	}
	if n, _ := sweep(t0 + 10_000); n != 1 {
		t.Fatalf("sweep at the expiry removed %d keys", n)
	}
	wantEntries(t, db, "swept", map[string]int64{})
	read(t, db, func(tx *storage.Tx) error {
		if at, err := tx.ExpireAt(0, k); err != nil || at != -2 {
			t.Fatalf("the swept key: %d, %v", at, err)
		}
		return nil
	})
}

// TestKeysWithAMovedEntryLeaveNoneBehind: whatever removes or moves a key
// whose entry is earlier than its expiry removes that entry, not one at
// the expiry: DEL, PERSIST, SET without EX, RENAME (the new name is indexed
// at its expiry), MOVE.
func TestKeysWithAMovedEntryLeaveNoneBehind(t *testing.T) {
	db := openDB(t)
	t0 := time.Now().UnixMilli()
	renewed := func(name string) {
		write(t, db, func(tx *storage.Tx) error {
			if _, err := tx.Set(0, []byte(name), []byte("v"), storage.SetOptions{ExpireAt: t0 + 1_000}); err != nil {
				return err
			}
			_, err := tx.Expire(0, []byte(name), t0+5_000, storage.ExpireAlways)
			return err
		})
	}
	for _, name := range []string{"del", "persist", "set", "rename", "move"} {
		renewed(name)
	}
	wantEntries(t, db, "renewed", map[string]int64{"del": t0 + 1_000, "persist": t0 + 1_000, "set": t0 + 1_000, "rename": t0 + 1_000, "move": t0 + 1_000})
	write(t, db, func(tx *storage.Tx) error {
		if _, err := tx.Del(0, []byte("del")); err != nil {
			return err
		}
		if _, err := tx.Persist(0, []byte("persist")); err != nil {
			return err
		}
		if _, err := tx.Set(0, []byte("set"), []byte("v2"), storage.SetOptions{}); err != nil {
			return err
		}
		if _, err := tx.Rename(0, []byte("rename"), []byte("renamed"), false); err != nil {
			return err
		}
		_, err := tx.Move(0, []byte("move"), 1)
		return err
	})
	wantEntries(t, db, "removed or moved", map[string]int64{"renamed": t0 + 5_000})
}

// TestSweepDeletesEntriesOfNoKey: an expiry-index entry that is no key's
// (none is ever written so; here written straight into Pebble) is deleted
// when it comes due, and a pass does not stop at a batch of them: the key
// whose entry lies behind 250 of them is swept in the same pass.
func TestSweepDeletesEntriesOfNoKey(t *testing.T) {
	db := openDB(t)
	t0 := time.Now().UnixMilli()
	for i := range 250 {
		if err := db.Pebble().Set(codec.ExpiryKey(0, t0-1_000+int64(i), []byte("gone")), nil, pebble.Sync); err != nil {
			t.Fatal(err)
		}
	}
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.Set(0, []byte("k"), []byte("v"), storage.SetOptions{ExpireAt: t0 + 20})
		return err
	})
	time.Sleep(40 * time.Millisecond)
	db.SweepNow(1)
	wantEntries(t, db, "swept", map[string]int64{})
	if n := db.KeyCount(0); n != 0 {
		t.Fatalf("%d keys left after the sweep", n)
	}
}

// TestSweepPassesMissNoEntry: a pass starts past the last entry the one
// before it swept, and still finds every entry that comes due later: keys
// written after that pass, and keys whose entry the pass moved.
func TestSweepPassesMissNoEntry(t *testing.T) {
	db := openDB(t)
	setPX := func(prefix string, n int, ms int64) {
		write(t, db, func(tx *storage.Tx) error {
			for i := range n {
				k := []byte(prefix + string(rune('a'+i%26)) + string(rune('a'+i/26)))
				if _, err := tx.Set(0, k, []byte("v"), storage.SetOptions{ExpireAt: time.Now().UnixMilli() + ms}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	setPX("first:", 100, 10)
	setPX("renewed:", 1, 10)
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.Expire(0, []byte("renewed:aa"), time.Now().UnixMilli()+150, storage.ExpireAlways)
		return err
	})
	time.Sleep(30 * time.Millisecond)
	db.SweepNow(1)
	if n := db.KeyCount(0); n != 1 {
		t.Fatalf("after the first pass: %d keys, want the renewed one", n)
	}
	setPX("later:", 100, 10)
	time.Sleep(30 * time.Millisecond)
	db.SweepNow(1)
	if n := db.KeyCount(0); n != 1 {
		t.Fatalf("after the second pass: %d keys, want the renewed one", n)
	}
	time.Sleep(150 * time.Millisecond)
	db.SweepNow(1)
	if n := db.KeyCount(0); n != 0 {
		t.Fatalf("after the renewed key's expiry: %d keys", n)
	}
	wantEntries(t, db, "swept", map[string]int64{})
}
