package storage_test

import (
	"math/rand/v2"
	"runtime"
	"strings"
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
			commitEach(t, db, 0, 10, []byte("v"))
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

// New WAL files start as zeros the size of a memtable (walfs.go, fill), so
// that fsyncs under always do not also write the inode of a growing file.
// Pebble must read the zeroed tail as the end of the log: after a power
// loss at any point, and again after a second one just after recovery,
// every acknowledged write is there.
func TestZeroFilledWALsRecover(t *testing.T) {
	defer storage.FillInMemoryWALs()()
	const memtable = 256 << 10
	open := func(fs *vfs.MemFS) *storage.DB {
		t.Helper()
		db, err := storage.Open(storage.Options{Dir: "data", FS: fs, MemTableSize: memtable, Logger: newQuietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	write := func(db *storage.DB, from, to int) {
		t.Helper()
		commitEach(t, db, from, to, make([]byte, 700))
	}
	check := func(db *storage.DB, n int) {
		t.Helper()
		tx := db.BeginRead()
		defer tx.Close()
		for i := 0; i < n; i++ {
			if _, ok, err := tx.Get(0, batchKey(i)); err != nil || !ok {
				t.Fatalf("acknowledged key %d of %d lost (err %v)", i, n, err)
			}
		}
		if r, err := db.Check(); err != nil || !r.OK() {
			t.Fatalf("check after recovery: %v %v", r, err)
		}
	}
	powerLoss := func(fs *vfs.MemFS) *vfs.MemFS { return fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0}) }

	fs := vfs.NewCrashableMem()
	db := open(fs)
	defer db.Close()
	filled := false
	names, _ := fs.List("data")
	for _, name := range names {
		if st, err := fs.Stat(fs.PathJoin("data", name)); err == nil && strings.HasSuffix(name, ".log") && st.Size() >= memtable {
			filled = true
		}
	}
	if !filled {
		t.Fatalf("no WAL was filled to the memtable size: %v", names)
	}
	// 700-byte values: a memtable holds a few hundred, so the writes below
	// rotate through fresh and recycled WALs.
	written := 0
	for _, n := range []int{1, 150, 400, 900, 1500} {
		write(db, written, n)
		written = n
		image := powerLoss(fs)
		recovered := open(image)
		check(recovered, written)
		// A second power loss right after recovery and one more write.
		write(recovered, written, written+1)
		again := open(powerLoss(image))
		check(again, written+1)
		again.Close()
		recovered.Close()
	}
}

// Under always, a WAL on the real disk is fsynced in place (fsync_linux.go):
// every acknowledged commit was fsynced, and is there after a reopen. The
// other policies defer their fsyncs as before, and a filesystem given in
// Options keeps seeing its own SyncData, which is what fault injection
// relies on.
func TestInPlaceFsyncs(t *testing.T) {
	dir := t.TempDir()
	db, err := storage.Open(storage.Options{Dir: dir, Sync: storage.SyncAlways, Logger: newQuietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if !db.FsyncInPlace() && runtime.GOMAXPROCS(0) > 1 {
		t.Fatal("under always, fsyncs of a WAL on the real disk are not made in place")
	}
	before, _ := db.WALSyncs()
	const n = 50
	commitEach(t, db, 0, n, []byte("v"))
	// One commit at a time: each waits for an fsync of its own.
	if after, _ := db.WALSyncs(); after-before < n {
		t.Fatalf("%d fsyncs for %d acknowledged commits", after-before, n)
	}
	db.Close()
	db, err = storage.Open(storage.Options{Dir: dir, Logger: newQuietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	tx := db.BeginRead()
	for i := 0; i < n; i++ {
		if _, ok, err := tx.Get(0, batchKey(i)); err != nil || !ok {
			t.Fatalf("acknowledged key %d lost (err %v)", i, err)
		}
	}
	tx.Close()
	db.SetSyncPolicy(storage.SyncEverySec)
	if db.FsyncInPlace() {
		t.Fatal("fsyncs in place under everysec")
	}
	db.Close()

	mem, err := storage.Open(storage.Options{Dir: "data", FS: vfs.NewMem(), Sync: storage.SyncAlways, Logger: newQuietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if mem.FsyncInPlace() {
		t.Fatal("a filesystem given in Options would be bypassed by in-place fsyncs")
	}
}

// commitEach sets keys from to to-1 to value, one acknowledged commit each.
func commitEach(t *testing.T, db *storage.DB, from, to int, value []byte) {
	t.Helper()
	for i := from; i < to; i++ {
		tx := db.BeginWrite()
		tx.Set(0, batchKey(i), value, storage.SetOptions{})
		p, err := tx.Commit()
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Wait(p); err != nil {
			t.Fatal(err)
		}
	}
}
