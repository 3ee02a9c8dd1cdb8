package storage_test

import (
	"bytes"
	"fmt"
	"testing"

	"moonstone/codec"
	"moonstone/storage"
)

// A transaction re-reads what it wrote, deleted and range-deleted, over
// more keys than it remembers: every read agrees with the writes before it,
// as a script's GET after its own DECRBY must.
func TestTxReadsSeeOwnWrites(t *testing.T) {
	db, err := storage.Open(storage.Options{Dir: t.TempDir(), Sync: storage.SyncNo})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key := func(i int) []byte { return []byte(fmt.Sprintf("k%d", i)) }
	get := func(tx *storage.Tx, i int) string {
		v, ok, err := tx.Get(0, key(i))
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return "(nil)"
		}
		return string(v)
	}

	tx := db.BeginWrite()
	for i := 0; i < 20; i++ {
		if get(tx, i) != "(nil)" {
			t.Fatalf("k%d exists before it was set", i)
		}
		if _, err := tx.Set(0, key(i), []byte("100"), storage.SetOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 20; i++ {
		if _, err := tx.IncrBy(0, key(i), int64(i)); err != nil {
			t.Fatal(err)
		}
		if got, want := get(tx, i), fmt.Sprint(100+i); got != want {
			t.Fatalf("k%d = %s after INCRBY in the same transaction, want %s", i, got, want)
		}
	}
	if _, err := tx.Del(0, key(3)); err != nil {
		t.Fatal(err)
	}
	if get(tx, 3) != "(nil)" {
		t.Fatal("k3 still there after DEL in the same transaction")
	}
	// A hash large enough to be deleted with a range deletion, then a
	// string in its place: the type read afterwards is the string's.
	var pairs [][]byte
	for i := 0; i < 2000; i++ {
		pairs = append(pairs, []byte(fmt.Sprint("f", i)), []byte("v"))
	}
	if _, err := tx.HSet(0, []byte("h"), pairs); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := tx.HGet(0, []byte("h"), []byte("f7")); !ok {
		t.Fatal("HGET misses a field HSET wrote in the same transaction")
	}
	if _, err := tx.Del(0, []byte("h")); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := tx.HGet(0, []byte("h"), []byte("f7")); ok {
		t.Fatal("HGET finds a field of a hash deleted in the same transaction")
	}
	if typ, err := tx.Type(0, []byte("h")); err != nil || typ != codec.TypeNone {
		t.Fatalf("TYPE h = %v, %v after DEL, want none", typ, err)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	// A discarded transaction's writes are not seen by the next one.
	tx = db.BeginWrite()
	if get(tx, 5) != "105" {
		t.Fatalf("k5 = %s after commit, want 105", get(tx, 5))
	}
	tx.Set(0, key(5), []byte("gone"), storage.SetOptions{})
	tx.Discard()
	rt := db.BeginRead()
	defer rt.Close()
	if got := get(rt, 5); got != "105" {
		t.Fatalf("k5 = %s after a discarded SET, want 105", got)
	}
}

// A transaction's reads of a large value, which it does not remember, agree
// with its writes as small ones do: a value read, then overwritten by a
// large one (the remembered small one must go), a large one overwritten by
// a small one, then deleted; for a string (its metadata record) and a hash
// field kept in a record of its own.
func TestTxReadsOfLargeValuesSeeOwnWrites(t *testing.T) {
	db := openDB(t)
	big := func(c byte) []byte { return bytes.Repeat([]byte{c}, 64<<10) }
	k, h, f := []byte("k"), []byte("h"), []byte("f")
	small := bytes.Repeat([]byte("s"), 100) // past a listpack's values: the hash keeps records
	write(t, db, func(tx *storage.Tx) error {
		if _, err := tx.Set(0, k, small, storage.SetOptions{}); err != nil {
			return err
		}
		_, err := tx.HSet(0, h, [][]byte{f, small})
		return err
	})
	tx := db.BeginWrite()
	defer tx.Discard()
	reads := map[string]func() ([]byte, bool, error){
		"string":     func() ([]byte, bool, error) { return tx.Get(0, k) },
		"hash field": func() ([]byte, bool, error) { return tx.HGet(0, h, f) },
	}
	writes := map[string]func(v []byte) error{
		"string": func(v []byte) error {
			if v == nil {
				_, err := tx.Del(0, k)
				return err
			}
			_, err := tx.Set(0, k, v, storage.SetOptions{})
			return err
		},
		"hash field": func(v []byte) error {
			if v == nil {
				_, err := tx.HDel(0, h, [][]byte{f})
				return err
			}
			_, err := tx.HSet(0, h, [][]byte{f, v})
			return err
		},
	}
	for name, read := range reads {
		want := func(step string, v []byte) {
			t.Helper()
			got, ok, err := read()
			if err != nil || ok != (v != nil) || !bytes.Equal(got, v) {
				tx.Discard()
				t.Fatalf("%s, %s: %d bytes (%v, %v), want %d", name, step, len(got), ok, err, len(v))
			}
		}
		want("committed", small)
		for _, step := range []struct {
			name string
			v    []byte
		}{{"small overwritten by large", big('a')}, {"large overwritten by small", []byte("tiny")},
			{"small overwritten by large again", big('b')}, {"deleted", nil}} {
			if err := writes[name](step.v); err != nil {
				tx.Discard()
				t.Fatal(err)
			}
			want(step.name, step.v)
		}
	}
}
