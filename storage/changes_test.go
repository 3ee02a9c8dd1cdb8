package storage_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"moonstone/storage"
)

// recordChanges installs a commit hook that collects each committed
// transaction's change log as text: "db:key" or "flush:db".
func recordChanges(t *testing.T, db *storage.DB) *[][]string {
	t.Helper()
	var logs [][]string
	db.RecordChanges(func(tx *storage.Tx, changes []storage.Change) {
		var l []string
		for _, c := range changes {
			if c.Flush {
				l = append(l, fmt.Sprintf("flush:%d", c.DB))
			} else {
				l = append(l, fmt.Sprintf("%d:%s", c.DB, c.Key))
			}
		}
		logs = append(logs, l)
	})
	t.Cleanup(func() { db.RecordChanges(nil) })
	return &logs
}

func TestChangeLogNamesTheKeysEveryWriteChanged(t *testing.T) {
	db := openDB(t)
	write(t, db, func(tx *storage.Tx) error {
		if _, err := tx.HSet(0, []byte("h"), bs("f", "1", "g", "2")); err != nil {
			return err
		}
		if _, err := tx.ListPush(0, []byte("l"), storage.ListLeft, bs("a", "b"), false); err != nil {
			return err
		}
		if _, err := tx.ZAdd(0, []byte("z"), storage.ZAddOptions{}, []storage.ZMember{{Member: []byte("m"), Score: 1}}); err != nil {
			return err
		}
		_, err := tx.SAdd(3, []byte("s"), bs("x"))
		return err
	})
	logs := recordChanges(t, db)
	cases := []struct {
		name string
		run  func(tx *storage.Tx) error
		want string // the log, entries joined by spaces; "" for no commit hook call
	}{
		{"a new string", func(tx *storage.Tx) error {
			_, err := tx.Set(0, []byte("k"), []byte("v"), storage.SetOptions{})
			return err
		}, "0:k"},
		// Overwriting an existing field writes no metadata: the member's
		// version names the key.
		{"a hash field overwritten", func(tx *storage.Tx) error {
			_, err := tx.HSet(0, []byte("h"), bs("f", "9"))
			return err
		}, "0:h"},
		{"a score updated", func(tx *storage.Tx) error {
			_, err := tx.ZAdd(0, []byte("z"), storage.ZAddOptions{}, []storage.ZMember{{Member: []byte("m"), Score: 2}})
			return err
		}, "0:z"},
		{"a set member already there", func(tx *storage.Tx) error {
			_, err := tx.SAdd(3, []byte("s"), bs("x"))
			return err
		}, ""},
		{"keys in the order written, database by database", func(tx *storage.Tx) error {
			if _, err := tx.SRem(3, []byte("s"), bs("x")); err != nil {
				return err
			}
			if _, err := tx.Set(1, []byte("k"), []byte("v"), storage.SetOptions{}); err != nil {
				return err
			}
			_, err := tx.ListPush(0, []byte("l"), storage.ListRight, bs("c"), false)
			return err
		}, "3:s 1:k 0:l"},
		{"a rename names both keys", func(tx *storage.Tx) error {
			_, err := tx.Rename(0, []byte("h"), []byte("h2"), false)
			return err
		}, "0:h 0:h2"},
		{"flushdb", func(tx *storage.Tx) error {
			if _, err := tx.Set(0, []byte("k"), []byte("w"), storage.SetOptions{}); err != nil {
				return err
			}
			return tx.FlushDB(1)
		}, "0:k flush:1"},
		{"swapdb", func(tx *storage.Tx) error { return tx.SwapDB(0, 2) }, "flush:0"},
		{"flushall", func(tx *storage.Tx) error { return tx.FlushAll() }, "flush:-1"},
	}
	for _, c := range cases {
		*logs = nil
		write(t, db, c.run)
		got := ""
		if len(*logs) > 0 {
			got = strings.Join((*logs)[0], " ")
			if got == "" {
				got = "(empty log)"
			}
		}
		if got != c.want && !(c.want == "" && got == "(empty log)") {
			t.Errorf("%s: log %q, want %q", c.name, got, c.want)
		}
	}
}

func TestChangeLogSkipsDiscardedWritesAndReportsExpiry(t *testing.T) {
	db := openDB(t)
	logs := recordChanges(t, db)
	tx := db.BeginWrite()
	if _, err := tx.Set(0, []byte("gone"), []byte("v"), storage.SetOptions{}); err != nil {
		t.Fatal(err)
	}
	tx.Discard()
	if len(*logs) != 0 {
		t.Fatalf("a discarded transaction reached the hook: %q", *logs)
	}

	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.Set(0, []byte("short"), []byte("v"), storage.SetOptions{ExpireAt: time.Now().UnixMilli() + 20})
		return err
	})
	*logs = nil
	time.Sleep(40 * time.Millisecond)
	sweep := db.BeginWrite()
	if n, _, err := sweep.SweepExpired(0, 10); err != nil || n != 1 {
		sweep.Discard()
		t.Fatalf("sweep: %d, %v", n, err)
	}
	if _, err := sweep.Commit(); err != nil {
		t.Fatal(err)
	}
	if len(*logs) != 1 || strings.Join((*logs)[0], " ") != "0:short" {
		t.Fatalf("expiry: %q", *logs)
	}
}
