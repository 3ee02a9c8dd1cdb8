package storage_test

import (
	"slices"
	"strings"
	"testing"

	"moonstone/storage"
)

// TestSmallListsLiveInTheirMetadata: a job queue's push and pop each write
// one record; the first new list stamps the directory format 8, so a build
// that expects element records refuses it; a list that outgrows the record
// spills to element records and keeps its order and its later pushes on
// both ends; an emptied list starts inline again; all of it survives a
// reopen.
func TestSmallListsLiveInTheirMetadata(t *testing.T) {
	dir := t.TempDir()
	db := openNoSync(t, dir)
	q, big := []byte("queue"), []byte("big")
	if f := formatStamp(t, db); f != "1" {
		t.Fatalf("new directory stamped %q", f)
	}
	push := func(key []byte, end storage.ListEnd, vals ...string) int {
		return writes(t, db, func(tx *storage.Tx) error {
			_, err := tx.ListPush(0, key, end, bytesOf(vals), false)
			return err
		})
	}
	if n := push(q, storage.ListLeft, "job1"); n != 1 {
		t.Fatalf("LPUSH of a new list wrote %d records, want 1", n)
	}
	if f := formatStamp(t, db); f != "8" {
		t.Fatalf("after the first list: format %q, want 8", f)
	}
	if n := push(q, storage.ListLeft, "job2", "job3"); n != 1 {
		t.Fatalf("LPUSH to an inline list wrote %d records, want 1", n)
	}
	var popped [][]byte
	if n := writes(t, db, func(tx *storage.Tx) error {
		var err error
		popped, _, err = tx.ListPop(0, q, storage.ListRight, 1)
		return err
	}); n != 1 || len(popped) != 1 || string(popped[0]) != "job1" {
		t.Fatalf("RPOP wrote %d records and popped %q, want 1 and job1", n, popped)
	}

	// 20 elements of 30 bytes are past the 512 bytes a list keeps inline.
	var want []string
	for i := range 20 {
		v := strings.Repeat(string(rune('a'+i)), 30)
		want = append(want, v)
		push(big, storage.ListRight, v)
	}
	push(big, storage.ListLeft, "head")
	want = append([]string{"head"}, want...)
	layout := func(key []byte) (head int64, inline bool, records int) {
		tx := db.BeginRead()
		defer tx.Close()
		head, _, _, inline, positions, err := tx.ListLayout(0, key)
		if err != nil {
			t.Fatal(err)
		}
		return head, inline, len(positions)
	}
	if head, inline, records := layout(big); inline || head != -1 || records != 21 {
		t.Fatalf("spilled list: inline %v, head %d, %d records; want records from -1, 21 of them", inline, head, records)
	}
	if _, inline, records := layout(q); !inline || records != 0 {
		t.Fatalf("queue: inline %v with %d records", inline, records)
	}

	db = reopen(t, db, dir)
	defer func() { db.Close() }()
	tx := db.BeginRead()
	got, err := tx.ListRange(0, big, 0, -1)
	if err == nil && !slices.Equal(strs(got), want) {
		t.Errorf("after a reopen the spilled list is %q, want %q", strs(got), want)
	}
	qgot, qerr := tx.ListRange(0, q, 0, -1)
	tx.Close()
	if err != nil || qerr != nil {
		t.Fatal(err, qerr)
	}
	if !slices.Equal(strs(qgot), []string{"job3", "job2"}) {
		t.Fatalf("after a reopen the queue is %q", strs(qgot))
	}
	if r := check(t, db); !r.OK() {
		t.Fatalf("check: %v", r.Problems)
	}

	// Popped down to 6 elements (192 bytes), the spilled list is inline
	// again, its records gone, and a pop rewrites one record.
	write(t, db, func(tx *storage.Tx) error {
		_, _, err := tx.ListPop(0, big, storage.ListLeft, 15)
		return err
	})
	if _, inline, records := layout(big); !inline || records != 0 {
		t.Fatalf("a spilled list popped down to 6 elements: inline %v, %d records", inline, records)
	}
	if n := writes(t, db, func(tx *storage.Tx) error {
		_, _, err := tx.ListPop(0, big, storage.ListRight, 1)
		return err
	}); n != 1 {
		t.Fatalf("RPOP of the list back inline wrote %d records, want 1", n)
	}
	tx = db.BeginRead()
	got, err = tx.ListRange(0, big, 0, -1)
	tx.Close()
	if err != nil || !slices.Equal(strs(got), want[15:20]) {
		t.Fatalf("the list back inline is %q (%v), want %q", strs(got), err, want[15:20])
	}
	if r := check(t, db); !r.OK() {
		t.Fatalf("check: %v", r.Problems)
	}

	// Emptied, the list is gone; the next push makes an inline one.
	write(t, db, func(tx *storage.Tx) error {
		_, _, err := tx.ListPop(0, big, storage.ListLeft, 100)
		return err
	})
	push(big, storage.ListRight, "again")
	if _, inline, records := layout(big); !inline || records != 0 {
		t.Fatalf("a list pushed after it was emptied: inline %v, %d records", inline, records)
	}
}
