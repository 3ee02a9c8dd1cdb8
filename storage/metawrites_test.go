package storage_test

import (
	"fmt"
	"testing"

	"moonstone/storage"
)

// A transaction that rewrites one key's metadata many times (a script's
// INCRs and EXPIREs of a counter) commits its last value once, and what
// it wrote is seen, within the transaction, by every way of reading:
// point reads, SCAN (an iterator over the batch) and FLUSHDB (a range
// deletion that must remove writes made before it, not after).
func TestRepeatedMetadataWritesInOneTransaction(t *testing.T) {
	db := openDB(t)
	commit := func(tx *storage.Tx) {
		t.Helper()
		p, err := tx.Commit()
		if err == nil {
			err = db.Wait(p)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	bytesIn := func() int64 { return int64(db.Pebble().Metrics().WAL.BytesIn) }

	// 100 INCRs of each of 5 counters in one transaction: the batch gets
	// each counter's last value only.
	before := bytesIn()
	tx := db.BeginWrite()
	for i := 0; i < 100; i++ {
		for k := 0; k < 5; k++ {
			if _, err := tx.IncrBy(0, []byte(fmt.Sprint("c", k)), 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	commit(tx)
	if grew := bytesIn() - before; grew > 1000 {
		t.Fatalf("5 counters written 100 times each grew the WAL by %d bytes: the writes were not folded", grew)
	}

	// 100 more of those and of 16 others, with EXPIREs: more keys than
	// wait outside the batch at once.
	tx = db.BeginWrite()
	for i := 0; i < 100; i++ {
		for k := 0; k < 21; k++ {
			want := int64(i + 1)
			if k < 5 {
				want += 100
			}
			if n, err := tx.IncrBy(0, []byte(fmt.Sprint("c", k)), 1); err != nil || n != want {
				t.Fatalf("INCR c%d = %d %v, want %d", k, n, err, want)
			}
		}
		if _, err := tx.Expire(0, []byte("c0"), tx.Now()+int64(60000+i), storage.ExpireAlways); err != nil {
			t.Fatal(err)
		}
	}
	res, err := tx.Scan(0, nil, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Keys) != 21 {
		t.Fatalf("SCAN inside the transaction found %d keys, want 21", len(res.Keys))
	}
	commit(tx)
	rd := db.BeginRead()
	for k := 0; k < 21; k++ {
		v, ok, err := rd.Get(0, []byte(fmt.Sprint("c", k)))
		want := "100"
		if k < 5 {
			want = "200"
		}
		if err != nil || !ok || string(v) != want {
			t.Fatalf("c%d = %q %v %v, want %s", k, v, ok, err, want)
		}
	}
	rd.Close()
	if n := db.KeyCount(0); n != 21 {
		t.Fatalf("DBSIZE %d, want 21", n)
	}

	// Written, flushed, written again: only the last write survives.
	tx = db.BeginWrite()
	if _, err := tx.Set(0, []byte("gone"), []byte("x"), storage.SetOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := tx.FlushDB(0); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Set(0, []byte("kept"), []byte("y"), storage.SetOptions{}); err != nil {
		t.Fatal(err)
	}
	commit(tx)
	rd = db.BeginRead()
	defer rd.Close()
	if _, ok, _ := rd.Get(0, []byte("gone")); ok {
		t.Fatal("a key written before FLUSHDB in the same transaction survived it")
	}
	if _, ok, _ := rd.Get(0, []byte("c0")); ok {
		t.Fatal("FLUSHDB left a key")
	}
	if v, ok, _ := rd.Get(0, []byte("kept")); !ok || string(v) != "y" {
		t.Fatalf("a key written after FLUSHDB: %q %v", v, ok)
	}
	if r, err := db.Check(); err != nil || !r.OK() {
		t.Fatalf("check: %v %v", err, r.Problems)
	}
}
