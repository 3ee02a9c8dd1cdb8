package storage_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"moonstone/storage"
)

// On Pebble's crash-simulating filesystem: write numbered batches under a
// sync policy that changes at random, and at random moments take a crash
// image (keeping a random share of the data that was never synced). Every
// image must reopen and hold a prefix of the batches — no gaps, nothing
// reordered — that includes every batch whose Wait returned under
// "always".
func TestCrashImagesHoldASyncedPrefix(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			fs := vfs.NewCrashableMem()
			db, err := storage.Open(storage.Options{Dir: "data", FS: fs, CacheSize: 8 << 20, MemTableSize: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			lastSynced := -1
			const batches = 600
			for i := 0; i < batches; i++ {
				policy := storage.SyncAlways
				if rng.IntN(3) == 0 {
					policy = storage.SyncNo
				}
				db.SetSyncPolicy(policy)
				tx := db.BeginWrite()
				if _, err := tx.Set(0, batchKey(i), []byte(fmt.Sprint(i)), storage.SetOptions{}); err != nil {
					t.Fatal(err)
				}
				// A second key in the same batch: an image never holds half
				// of a batch.
				if _, err := tx.Set(1, batchKey(i), []byte("pair"), storage.SetOptions{}); err != nil {
					t.Fatal(err)
				}
				p, err := tx.Commit()
				if err != nil {
					t.Fatal(err)
				}
				if err := db.Wait(p); err != nil {
					t.Fatal(err)
				}
				if policy == storage.SyncAlways {
					lastSynced = i
				}
				if rng.IntN(40) == 0 || i == batches-1 {
					image := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: rng.IntN(101), RNG: rand.New(rand.NewPCG(rng.Uint64(), 1))})
					checkImage(t, image, i, lastSynced)
				}
			}
		})
	}
}

func batchKey(i int) []byte { return []byte(fmt.Sprintf("batch:%06d", i)) }

// checkImage opens a crash image and checks that it holds batches 0..m-1
// for some m > lastSynced, both keys of each, and nothing after them.
func checkImage(t *testing.T, image *vfs.MemFS, written, lastSynced int) {
	t.Helper()
	db, err := storage.Open(storage.Options{Dir: "data", FS: image, CacheSize: 8 << 20})
	if err != nil {
		t.Fatalf("crash image does not open: %v", err)
	}
	defer db.Close()
	tx := db.BeginRead()
	defer tx.Close()
	present := func(dbn, i int) bool {
		_, ok, err := tx.Get(dbn, batchKey(i))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	m := 0
	for m <= written && present(0, m) {
		m++
	}
	if m <= lastSynced {
		t.Fatalf("image after batch %d holds batches 0..%d, but batch %d was acknowledged under always", written, m-1, lastSynced)
	}
	for i := 0; i <= written; i++ {
		in0, in1 := present(0, i), present(1, i)
		if in0 != in1 {
			t.Fatalf("batch %d is half there (%v, %v)", i, in0, in1)
		}
		if i >= m && in0 {
			t.Fatalf("batch %d survived but batch %d did not: not a prefix", i, m)
		}
	}
}
