package storage_test

import (
	"testing"
	"time"

	"moonstone/storage"
)

// HoldExpiry stops the sweeper; SweepNow removes what it kept. A write
// transaction marked KeepExpired reports an expired key absent without
// removing it.
func TestHoldExpiryAndKeepExpired(t *testing.T) {
	db := openDB(t)
	write(t, db, func(tx *storage.Tx) error {
		for _, k := range []string{"a", "b"} {
			if _, err := tx.Set(0, []byte(k), []byte("v"), storage.SetOptions{ExpireAt: time.Now().UnixMilli() + 20}); err != nil {
				return err
			}
		}
		return nil
	})
	time.Sleep(50 * time.Millisecond)

	db.HoldExpiry(true)
	db.SweepNow(1)
	if n := db.Stats().ExpiredKeys.Load(); n != 0 {
		t.Fatalf("held expiry removed %d keys", n)
	}
	tx := db.BeginWrite()
	tx.KeepExpired()
	if _, ok, err := tx.Get(0, []byte("a")); err != nil || ok {
		t.Fatalf("expired key read as present (%v, %v)", ok, err)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := db.Stats().ExpiredKeys.Load(); n != 0 || db.KeyCount(0) != 2 {
		t.Fatalf("KeepExpired removed keys: expired %d, %d keys left", n, db.KeyCount(0))
	}

	db.HoldExpiry(false)
	db.SweepNow(1)
	if n := db.Stats().ExpiredKeys.Load(); n != 2 || db.KeyCount(0) != 0 {
		t.Fatalf("after the hold: expired %d, %d keys left", n, db.KeyCount(0))
	}
}
