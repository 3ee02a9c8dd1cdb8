package storage_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"moonstone/storage"
)

// Concurrent writers under always, each acknowledging a write only once
// DB.Wait returns or the function given to DB.WhenDurable runs (half of
// them each way, as the server's connections do), and readers
// acknowledging what they read the same way: a power loss right after (a
// crash image keeping no unsynced data) holds every acknowledged write and
// every value a reader was answered with. Writers share fsyncs (the group
// sync), so there are fewer fsyncs than commits.
func TestGroupSyncAcknowledgesOnlySyncedWrites(t *testing.T) {
	fs := vfs.NewCrashableMem()
	db, err := storage.Open(storage.Options{Dir: "data", FS: fs, Sync: storage.SyncAlways, Logger: newQuietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	syncsBefore, _ := db.WALSyncs()
	const writers, perWriter = 16, 40
	var mu sync.Mutex
	acked := map[string]bool{}
	seen := map[string]bool{} // values readers were answered with
	var wg sync.WaitGroup
	var later atomic.Int64 // acknowledgements WhenDurable made
	wait := func(w int, p storage.Pending) error {
		if w%2 == 1 {
			return db.Wait(p)
		}
		done := make(chan struct{})
		if !db.WhenDurable(p, func() { close(done) }) {
			return db.Wait(p) // nothing to wait for, WhenDurable says
		}
		<-done
		later.Add(1)
		return nil
	}
	for w := 0; w < writers; w++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				key := fmt.Sprintf("w%02d:%03d", w, i)
				tx := db.BeginWrite()
				if _, err := tx.Set(0, []byte(key), []byte("v"), storage.SetOptions{}); err != nil {
					t.Error(err)
					tx.Discard()
					return
				}
				p, err := tx.Commit()
				if err == nil {
					err = wait(w, p)
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked[key] = true
				mu.Unlock()
			}
		}()
		go func() {
			defer wg.Done()
			// A reader polls another writer's keys: a read that finds a
			// write is answered only after that write is synced.
			for i, tries := 0, 0; i < perWriter && tries < 100*perWriter; tries++ {
				key := fmt.Sprintf("w%02d:%03d", (w+1)%writers, i)
				tx := db.BeginRead()
				_, ok, err := tx.Get(0, []byte(key))
				p := tx.Close()
				if err != nil {
					t.Error(err)
					return
				}
				if err := wait(w, p); err != nil {
					t.Error(err)
					return
				}
				if ok {
					mu.Lock()
					seen[key] = true
					mu.Unlock()
					i++
				}
			}
		}()
	}
	wg.Wait()
	syncs, _ := db.WALSyncs()
	image := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if len(acked) != writers*perWriter {
		t.Fatalf("%d writes acknowledged, want %d", len(acked), writers*perWriter)
	}
	commits := int64(writers * perWriter)
	if n := syncs - syncsBefore; n < 1 || n >= commits {
		t.Fatalf("%d commits, %d fsyncs: no fsync was shared", commits, n)
	}
	if later.Load() == 0 {
		t.Fatal("no acknowledgement came through WhenDurable")
	}
	t.Logf("%d commits, %d fsyncs, %d reads found a write, %d acknowledgements through WhenDurable",
		commits, syncs-syncsBefore, len(seen), later.Load())

	re, err := storage.Open(storage.Options{Dir: "data", FS: image, Logger: newQuietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer re.Close()
	tx := re.BeginRead()
	defer tx.Close()
	for _, keys := range []map[string]bool{acked, seen} {
		for key := range keys {
			if _, ok, err := tx.Get(0, []byte(key)); err != nil || !ok {
				t.Fatalf("%s acknowledged but lost in a power loss (err %v)", key, err)
			}
		}
	}
}

// The function given to WhenDurable runs only once the write is on disk: a
// power loss at the moment it runs keeps the write. It does not run for
// a wait that is over already, as after Close, which syncs every commit. (A commit asks
// the syncer for a sync itself, so WhenDurable may find the write durable
// already: the loop goes on until ten commits were waited for.)
func TestWhenDurableRunsAfterTheSync(t *testing.T) {
	fs := vfs.NewCrashableMem()
	db, err := storage.Open(storage.Options{Dir: "data", FS: fs, Sync: storage.SyncAlways, Logger: newQuietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	const want, most = 10, 500
	images := make(chan *vfs.MemFS, 1)
	n, waited := 0, 0
	for ; waited < want && n < most; n++ {
		tx := db.BeginWrite()
		tx.Set(0, batchKey(n), []byte("v"), storage.SetOptions{})
		p, err := tx.Commit()
		if err != nil {
			t.Fatal(err)
		}
		if !db.WhenDurable(p, func() { images <- fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0}) }) {
			continue // synced already: nothing to see
		}
		waited++
		image := <-images
		re, err := storage.Open(storage.Options{Dir: "data", FS: image, Logger: newQuietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		rtx := re.BeginRead()
		_, ok, err := rtx.Get(0, batchKey(n))
		rtx.Close()
		re.Close()
		if err != nil || !ok {
			t.Fatalf("commit %d: not in a power-loss image taken when WhenDurable ran (err %v)", n, err)
		}
		if db.WhenDurable(p, func() { t.Error("ran for a write already durable") }) {
			t.Fatalf("commit %d: WhenDurable waits for a write already durable", n)
		}
	}
	if waited < want {
		t.Fatalf("WhenDurable waited for %d of %d commits", waited, n)
	}
	tx := db.BeginWrite()
	tx.Set(0, batchKey(n), []byte("v"), storage.SetOptions{})
	p, err := tx.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db.WhenDurable(p, func() { t.Error("ran after Close") }) {
		t.Fatal("WhenDurable waits after Close")
	}
}
