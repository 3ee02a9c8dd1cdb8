package storage_test

import (
	"fmt"
	"strings"
	"testing"

	"moonstone/storage"
)

// Ready keys are recorded only while some client is blocked: every key
// whose metadata was written or deleted, once, in order, and flushed
// databases.
func TestReadyKeys(t *testing.T) {
	db, err := storage.Open(storage.Options{Dir: t.TempDir(), Sync: storage.SyncNo})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := func(s string) []byte { return []byte(s) }

	tx := db.BeginWrite()
	if _, err := tx.ListPush(0, b("l"), storage.ListRight, [][]byte{b("x")}, false); err != nil {
		t.Fatal(err)
	}
	if r := tx.TakeReady(); len(r) != 0 {
		t.Fatalf("tracked with nobody blocked: %v", r)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	db.AddBlockInterest(1)
	defer db.AddBlockInterest(-1)
	tx = db.BeginWrite()
	defer tx.Discard()
	if _, err := tx.ZAdd(1, b("z"), storage.ZAddOptions{}, []storage.ZMember{{Member: b("m"), Score: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Set(0, b("s"), b("v"), storage.SetOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.HSet(0, b("h"), [][]byte{b("f"), b("v")}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := tx.ListPush(0, b("l"), storage.ListLeft, [][]byte{b("y")}, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Del(0, b("h")); err != nil {
		t.Fatal(err)
	}
	if err := tx.FlushDB(3); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rk := range tx.TakeReady() {
		got = append(got, fmt.Sprintf("%d/%s/%v", rk.DB, rk.Key, rk.Flushed))
	}
	if want := "1/z/false 0/s/false 0/h/false 0/l/false 3//true"; strings.Join(got, " ") != want {
		t.Fatalf("ready keys: %v, want %s", got, want)
	}
	if r := tx.TakeReady(); len(r) != 0 {
		t.Fatalf("TakeReady twice: %v", r)
	}
}
