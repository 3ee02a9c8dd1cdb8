package storage_test

import (
	"sync"
	"testing"
	"time"

	"moonstone/storage"
)

// The store tells Options.Latency about the stalls the latency monitor
// reports: each WAL fsync a commit waits for under always, and an active
// expiry pass that removed keys. Under the other policies no commit waits
// for an fsync, so none is reported.
func TestLatencyEventsReported(t *testing.T) {
	for _, policy := range []storage.SyncPolicy{storage.SyncAlways, storage.SyncEverySec} {
		t.Run(policy.String(), func(t *testing.T) {
			var mu sync.Mutex
			seen := map[string]int{}
			db, err := storage.Open(storage.Options{Dir: t.TempDir(), Sync: policy, Logger: newQuietLogger(), Latency: func(event string, d time.Duration) {
				if d <= 0 {
					t.Errorf("%s reported with duration %v", event, d)
				}
				mu.Lock()
				seen[event]++
				mu.Unlock()
			}})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			soon := time.Now().Add(50 * time.Millisecond).UnixMilli()
			for i := range 10 {
				write(t, db, func(tx *storage.Tx) error {
					_, err := tx.Set(0, batchKey(i), []byte("v"), storage.SetOptions{ExpireAt: soon})
					return err
				})
			}
			time.Sleep(100 * time.Millisecond)
			db.SweepNow(1)
			mu.Lock()
			defer mu.Unlock()
			if got := seen["aof-fsync-always"]; (policy == storage.SyncAlways) != (got >= 10) {
				t.Errorf("%d aof-fsync-always events for 10 sequential commits", got)
			}
			if seen["expire-cycle"] != 1 {
				t.Errorf("%d expire-cycle events for one sweep that removed keys", seen["expire-cycle"])
			}
		})
	}
}
