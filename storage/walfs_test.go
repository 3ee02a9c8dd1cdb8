package storage_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"moonstone/storage"
)

// What each policy's acknowledgement means, on the crash-simulating
// filesystem: a crash image keeping all unsynced file data is a crash of the
// process (the operating system still has what was written); one keeping
// none is a power loss.
func TestPolicyAcknowledgements(t *testing.T) {
	processCrash := func(fs *vfs.MemFS) *vfs.MemFS {
		return fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 100, RNG: rand.New(rand.NewPCG(1, 2))})
	}
	powerLoss := func(fs *vfs.MemFS) *vfs.MemFS { return fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0}) }
	has := func(image *vfs.MemFS, key string) bool {
		t.Helper()
		db, err := storage.Open(storage.Options{Dir: "data", FS: image, Logger: newQuietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		tx := db.BeginRead()
		defer tx.Close()
		_, ok, err := tx.Get(0, []byte(key))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for _, policy := range []storage.SyncPolicy{storage.SyncAlways, storage.SyncEverySec, storage.SyncNo} {
		t.Run(policy.String(), func(t *testing.T) {
			fs := vfs.NewCrashableMem()
			db, err := storage.Open(storage.Options{Dir: "data", FS: fs, Sync: policy, Logger: newQuietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			syncsBefore, _ := db.WALSyncs()
			for i := 0; i < 10; i++ {
				tx := db.BeginWrite()
				tx.Set(0, batchKey(i), []byte("v"), storage.SetOptions{})
				p, err := tx.Commit()
				if err != nil {
					t.Fatal(err)
				}
				if err := db.Wait(p); err != nil {
					t.Fatal(err)
				}
			}
			syncs, _ := db.WALSyncs()
			// Acknowledged under every policy: a crash of the process loses
			// nothing.
			if !has(processCrash(fs), string(batchKey(9))) {
				t.Fatal("an acknowledged write is not in the WAL file")
			}
			switch policy {
			case storage.SyncAlways:
				if syncs-syncsBefore < 10 {
					t.Fatalf("10 sequential commits, %d fsyncs", syncs-syncsBefore)
				}
				if !has(powerLoss(fs), string(batchKey(9))) {
					t.Fatal("always: an acknowledged write was not fsynced")
				}
			case storage.SyncEverySec:
				// Fsynced by the background loop within about a second.
				deadline := time.Now().Add(3 * time.Second)
				for !has(powerLoss(fs), string(batchKey(9))) {
					if time.Now().After(deadline) {
						t.Fatal("everysec: not fsynced after 3s")
					}
					time.Sleep(200 * time.Millisecond)
				}
			case storage.SyncNo:
				if syncs != syncsBefore {
					t.Fatalf("no: %d fsyncs", syncs-syncsBefore)
				}
				if has(powerLoss(fs), string(batchKey(9))) {
					t.Fatal("no: the write was fsynced (the test cannot tell the policies apart)")
				}
				// Closing the store fsyncs what was deferred.
				db.Close()
				if !has(powerLoss(fs), string(batchKey(9))) {
					t.Fatal("no: not fsynced at close")
				}
			}
		})
	}
}
