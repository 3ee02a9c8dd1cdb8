package storage_test

import (
	"context"
	"fmt"
	"testing"

	"moonstone/codec"
	"moonstone/internal/testkit"
	"moonstone/storage"
)

// TestHashOldFormatReads seeds a hash in the layout written before hashes
// kept insertion order (plain values, no sequence in the metadata) and
// checks that every reader still sees its values, in field order, and that
// writes to it keep that format.
func TestHashOldFormatReads(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	db := s.Srv.DB()
	tx := db.BeginWrite()
	if err := tx.SeedHash(0, []byte("old"), "z", "26", "a", "1", "m", "13", "n", "12345678901"); err != nil {
		tx.Discard()
		t.Fatal(err)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	c := s.Client
	do := func(want string, args ...any) {
		t.Helper()
		got, err := c.Do(ctx, args...).Result()
		if err != nil {
			got = "error: " + err.Error()
		}
		if fmt.Sprint(got) != want {
			t.Errorf("%v = %v, want %s", args, got, want)
		}
	}
	do("26", "HGET", "old", "z")
	do("[1 26 <nil> 12345678901]", "HMGET", "old", "a", "z", "x", "n")
	do("11", "HSTRLEN", "old", "n")
	do("[a 1 m 13 n 12345678901 z 26]", "HGETALL", "old")
	do("[a m n z]", "HKEYS", "old")
	do("[1 13 12345678901 26]", "HVALS", "old")
	do("[0 [a 1 m 13 n 12345678901 z 26]]", "HSCAN", "old", "0")
	do("[a 1 m 13 n 12345678901 z 26]", "HRANDFIELD", "old", "10", "WITHVALUES")
	do("hashtable", "OBJECT", "ENCODING", "old")
	// Writes keep the old format: the new field and the sums read back
	// plain, in field order.
	do("27", "HINCRBY", "old", "z", "1")
	do("2.5", "HINCRBYFLOAT", "old", "a", "1.5")
	do("1", "HSET", "old", "b", "2")
	do("1", "HSETNX", "old", "c", "3")
	do("[a b c m n z]", "HKEYS", "old")
	do("[2.5 2 3 13 12345678901 27]", "HVALS", "old")
	do("1", "RPUSH", "l", "d")
	do("[27 2.5 12345678901]", "SORT", "l", "BY", "ol*->m", "GET", "ol*->z", "GET", "ol*->a", "GET", "ol*->n")
	// DUMP / RESTORE, COPY and RENAME carry the values over; a restored
	// hash is a new one, in insertion order (the payload's, field order).
	payload, err := c.Dump(ctx, "old").Result()
	if err != nil {
		t.Fatal(err)
	}
	do("OK", "RESTORE", "restored", "0", payload)
	do("[a b c m n z]", "HKEYS", "restored")
	do("listpack", "OBJECT", "ENCODING", "restored")
	do("1", "COPY", "old", "copied")
	do("[2.5 2 3 13 12345678901 27]", "HVALS", "copied")
	do("OK", "RENAME", "copied", "renamed")
	do("27", "HGET", "renamed", "z")
	if r, err := db.Check(); err != nil || !r.OK() {
		t.Fatalf("check: %v %v", err, r)
	}
}

// formatStamp is the format db's directory is stamped with.
func formatStamp(t *testing.T, db *storage.DB) string {
	t.Helper()
	v, closer, err := db.Pebble().Get(codec.SystemKey("format"))
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	return string(v)
}

// TestHashFormatStamp: the first new hash stamps the directory format 5
// (a build that reads only formats up to 4 would show an inline hash
// empty, and one up to 2 its values with their sequence in front, so they
// must refuse the directory); a later SWAPDB does not lower the stamp,
// and a discarded transaction leaves none.
func TestHashFormatStamp(t *testing.T) {
	dir := t.TempDir()
	db, err := storage.Open(storage.Options{Dir: dir, Sync: storage.SyncNo})
	if err != nil {
		t.Fatal(err)
	}
	format := func() string { return formatStamp(t, db) }
	if f := format(); f != "1" {
		t.Fatalf("new directory stamped %q", f)
	}
	tx := db.BeginWrite()
	if _, err := tx.HSet(0, []byte("h"), [][]byte{[]byte("f"), []byte("v")}); err != nil {
		t.Fatal(err)
	}
	tx.Discard()
	if f := format(); f != "1" {
		t.Fatalf("after a discarded HSET: %q", f)
	}
	for i, fn := range []func(tx *storage.Tx) error{
		func(tx *storage.Tx) error { return tx.SwapDB(0, 1) },
		func(tx *storage.Tx) error {
			_, err := tx.HSet(0, []byte("h"), [][]byte{[]byte("f"), []byte("v")})
			return err
		},
		func(tx *storage.Tx) error { return tx.SwapDB(0, 1) },
	} {
		tx := db.BeginWrite()
		if err := fn(tx); err != nil {
			tx.Discard()
			t.Fatal(err)
		}
		if _, err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if want := []string{"2", "5", "5"}[i]; format() != want {
			t.Fatalf("step %d: format %q, want %q", i, format(), want)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = storage.Open(storage.Options{Dir: dir, Sync: storage.SyncNo})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if r, err := db.Check(); err != nil || !r.OK() {
		t.Fatalf("check: %v %v", err, r)
	}
}
