package storage

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// fakeCompactions stands in for Pebble's side of the scheduler: some
// compactions waiting, an allowance of how many may run at once.
type fakeCompactions struct {
	mu        sync.Mutex
	allowed   int
	waiting   int
	scheduled int
}

func (f *fakeCompactions) GetAllowedWithoutPermission() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.allowed
}

func (f *fakeCompactions) GetWaitingCompaction() (bool, pebble.WaitingCompaction) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.waiting > 0, pebble.WaitingCompaction{}
}

func (f *fakeCompactions) Schedule(pebble.CompactionGrantHandle) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.waiting == 0 {
		return false
	}
	f.waiting--
	f.scheduled++
	return true
}

func (f *fakeCompactions) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.scheduled
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// No compaction starts before the store is open (so Open does not wait for
// one); then the waiting ones start up to the allowance, and the next when
// one ends.
func TestCompactionGateHoldsCompactionsUntilOpen(t *testing.T) {
	f := &fakeCompactions{allowed: 2, waiting: 3}
	g := newCompactionGate()
	g.Register(1, f)
	defer g.Unregister()

	if ok, _ := g.TrySchedule(); ok {
		t.Fatal("TrySchedule granted a compaction before Open returned")
	}
	g.UpdateGetAllowedWithoutPermission()
	time.Sleep(250 * time.Millisecond) // two ticks of the granter
	if n := f.count(); n != 0 {
		t.Fatalf("%d compactions scheduled before Open returned", n)
	}

	g.opened()
	waitFor(t, "two compactions to start", func() bool { return f.count() == 2 })
	time.Sleep(150 * time.Millisecond)
	if n := f.count(); n != 2 {
		t.Fatalf("%d compactions running, allowance is 2", n)
	}
	if ok, _ := g.TrySchedule(); ok {
		t.Fatal("TrySchedule granted beyond the allowance")
	}
	g.Done()
	waitFor(t, "the third compaction after one ended", func() bool { return f.count() == 3 })
}

func TestCompactionGateStopsAtUnregister(t *testing.T) {
	f := &fakeCompactions{allowed: 4}
	g := newCompactionGate()
	g.Register(1, f)
	g.opened()
	g.Unregister()
	g.Unregister() // Pebble's Close after a failed Open's: harmless
	f.mu.Lock()
	f.waiting = 2
	f.mu.Unlock()
	if ok, _ := g.TrySchedule(); ok {
		t.Fatal("TrySchedule granted after Unregister")
	}
	g.poke()
	time.Sleep(150 * time.Millisecond)
	if n := f.count(); n != 0 {
		t.Fatalf("%d compactions scheduled after Unregister", n)
	}
	newCompactionGate().Unregister() // never registered: returns at once
}

// With the gate as Pebble's scheduler, a store that piles up L0 tables
// still compacts them, before and after a reopen, and keeps its data.
func TestStoreCompactsL0AcrossReopen(t *testing.T) {
	dir := t.TempDir()
	fill := func(db *DB, round int) {
		t.Helper()
		for i := 0; i < 8; i++ {
			b := db.Pebble().NewBatch()
			for k := 0; k < 500; k++ {
				b.Set(fmt.Appendf(nil, "\xfftest/l0/%05d", k), fmt.Appendf(nil, "%d/%d", round, i), nil)
			}
			if err := b.Commit(pebble.Sync); err != nil {
				t.Fatal(err)
			}
			if err := db.Pebble().Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	l0Compacted := func(db *DB) func() bool {
		return func() bool {
			m := db.Pebble().Metrics()
			return m.Compact.Count > 0 && m.Levels[0].TablesCount < 4
		}
	}
	db, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	fill(db, 1)
	waitFor(t, "L0 to be compacted", l0Compacted(db))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v, closer, err := db.Pebble().Get([]byte("\xfftest/l0/00042"))
	if err != nil {
		t.Fatal(err)
	}
	if string(v) != "1/7" {
		t.Fatalf("after reopen read %q, want the last write 1/7", v)
	}
	closer.Close()
	fill(db, 2)
	waitFor(t, "L0 to be compacted after reopen", l0Compacted(db))
}

// A clean Close leaves every write in sstables, so the next Open has no WAL
// to replay (and no replay flush to wait for): a restart after a burst of
// writes is as quick as any other.
func TestCleanCloseLeavesNothingToReplay(t *testing.T) {
	dir := t.TempDir()
	value := []byte("written just before a clean close")
	db, err := Open(Options{Dir: dir, Sync: SyncEverySec})
	if err != nil {
		t.Fatal(err)
	}
	tx := db.BeginWrite()
	if _, err := tx.Set(0, []byte("k"), value, SetOptions{}); err != nil {
		t.Fatal(err)
	}
	p, err := tx.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Wait(p); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Read-only, Pebble replays the WAL into memtables and writes nothing;
	// an iterator reading only flushed data must find the value.
	pdb, err := pebble.Open(dir, &pebble.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pdb.Close()
	it, err := pdb.NewIter(&pebble.IterOptions{OnlyReadGuaranteedDurable: true})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if bytes.Contains(it.Value(), value) {
			return
		}
	}
	t.Fatal("after a clean close the write is only in the WAL: the next start must replay it")
}
