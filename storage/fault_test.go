package storage_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"moonstone/storage"
)

// Disk faults, injected with Pebble's errorfs between the store and a
// crash-simulating in-memory filesystem. For each fault: writers run under
// appendfsync always and record what was acknowledged (Commit and Wait
// returned); the fault is switched on; then the "process dies" — a crash
// image keeps only what was synced — and the image, reopened on the
// filesystem without faults, must open, pass the offline check, and hold
// every acknowledged write. Whether the store goes fatal or carries on is
// the decision under test (docs/operations.md, "Disk faults").

type fault struct {
	name  string
	match func(op errorfs.Op) bool
	err   error
	// fatal: the store must call Options.Fatal; otherwise it must not, and
	// must keep serving reads and writes while the fault lasts.
	fatal bool
	// flush forces memtable flushes while the fault is on (sstable faults
	// only happen during flushes and compactions).
	flush bool
	// everysec runs the writers under appendfsync everysec: acknowledged
	// writes since the last background sync may be lost, so only the
	// reopen and the check are asserted.
	everysec bool
}

func isWrite(k errorfs.OpKind) bool {
	return k == errorfs.OpFileWrite || k == errorfs.OpFileWriteAt || k == errorfs.OpCreate || k == errorfs.OpFilePreallocate
}

func isSync(k errorfs.OpKind) bool {
	return k == errorfs.OpFileSync || k == errorfs.OpFileSyncData || k == errorfs.OpFileSyncTo
}

var errIO = errors.New("injected I/O error")

var faults = []fault{
	{name: "WAL write", match: func(op errorfs.Op) bool { return isWrite(op.Kind) && strings.HasSuffix(op.Path, ".log") }, err: errIO, fatal: true},
	{name: "WAL sync", match: func(op errorfs.Op) bool { return isSync(op.Kind) && strings.HasSuffix(op.Path, ".log") }, err: errIO, fatal: true},
	{name: "WAL disk full", match: func(op errorfs.Op) bool { return isWrite(op.Kind) && strings.HasSuffix(op.Path, ".log") }, err: syscall.ENOSPC, fatal: true},
	{name: "WAL write everysec", match: func(op errorfs.Op) bool { return isWrite(op.Kind) && strings.HasSuffix(op.Path, ".log") }, err: errIO, fatal: true, everysec: true},
	{name: "MANIFEST write", match: func(op errorfs.Op) bool { return isWrite(op.Kind) && strings.Contains(op.Path, "MANIFEST") }, err: errIO, fatal: true, flush: true},
	{name: "sstable write", match: func(op errorfs.Op) bool { return isWrite(op.Kind) && strings.HasSuffix(op.Path, ".sst") }, err: errIO, flush: true},
	{name: "sstable sync", match: func(op errorfs.Op) bool { return isSync(op.Kind) && strings.HasSuffix(op.Path, ".sst") }, err: errIO, flush: true},
	{name: "sstable disk full", match: func(op errorfs.Op) bool { return isWrite(op.Kind) && strings.HasSuffix(op.Path, ".sst") }, err: syscall.ENOSPC, flush: true},
}

func TestDiskFaults(t *testing.T) {
	for _, f := range faults {
		t.Run(strings.ReplaceAll(f.name, " ", "_"), func(t *testing.T) {
			if f.fatal && os.Getenv("MOONSTONE_FAULT_TESTS") != "all" {
				// In about one run in ten, a writer still committing after
				// the WAL failed reaches Pebble's WAL rotation, whose panic
				// ends in a runtime fatal error ("unlock of unlocked
				// mutex") that kills the whole test binary — the Pebble
				// limitation docs/operations.md lists. The default run
				// covers the fatal path end to end in a child process
				// (server/fault_test.go); set MOONSTONE_FAULT_TESTS=all
				// to run these in-process cases too.
				t.Skip("fatal WAL/MANIFEST faults in-process: MOONSTONE_FAULT_TESTS=all")
			}
			runFault(t, f)
		})
	}
}

func runFault(t *testing.T, f fault) {
	mem := vfs.NewCrashableMem()
	var on atomic.Bool
	var injected atomic.Int64
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if on.Load() && f.match(op) {
			injected.Add(1)
			return f.err
		}
		return nil
	})
	fs := reuseWrappingFS{errorfs.Wrap(mem, inj), inj}
	fatal := make(chan error, 1)
	// The crash image is taken under ackMu, and an acknowledgement counts
	// only if it came before the image: in a real process, replies sent
	// after Fatal was called are synced too, but the image cannot show it.
	var image *vfs.MemFS
	var ackMu sync.RWMutex
	crash := func() {
		ackMu.Lock()
		defer ackMu.Unlock()
		if image == nil {
			image = mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
		}
	}
	memtable := uint64(256 << 10)
	if f.flush && !f.fatal {
		// Room for writes while the flush fails (writes stall only once
		// the memtables are full).
		memtable = 4 << 20
	}
	if !f.flush {
		// No WAL rotation while the fault is being noticed: Pebble panics
		// (an unrecoverable runtime error) when it cannot close the WAL it
		// rotates away from (docs/operations.md), and in this test the
		// writers go on committing while the "process" is exiting.
		memtable = 64 << 20
	}
	logger := newQuietLogger()
	defer func() { t.Logf("Pebble's first errors: %q", logger.first(3)) }()
	db, err := storage.Open(storage.Options{
		Dir: "data", FS: fs, CacheSize: 8 << 20, MemTableSize: memtable,
		Logger: logger,
		Fatal: func(err error) {
			// The process would exit here: take the crash image at once,
			// before anything else reaches the disk, then never return.
			crash()
			fatal <- err
			select {}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.everysec {
		db.SetSyncPolicy(storage.SyncEverySec)
	}

	const writers = 4
	var acked [writers]atomic.Int64 // last acknowledged sequence per writer
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for seq := int64(1); ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				tx := db.BeginWrite()
				key := []byte(fmt.Sprintf("w%d:%08d", w, seq))
				// Values large enough to fill memtables and cause flushes.
				if _, err := tx.Set(0, key, make([]byte, 512), storage.SetOptions{}); err != nil {
					t.Error(err)
					tx.Discard()
					return
				}
				if _, err := tx.IncrBy(0, []byte(fmt.Sprint("count", w)), 1); err != nil {
					t.Error(err)
					tx.Discard()
					return
				}
				p, err := tx.Commit()
				if err != nil {
					return // not acknowledged
				}
				if err := db.Wait(p); err != nil {
					return
				}
				ackMu.RLock()
				if image == nil {
					acked[w].Store(seq)
				}
				ackMu.RUnlock()
			}
		}(w)
	}
	time.Sleep(50 * time.Millisecond)
	on.Store(true)
	flushDone := make(chan error, 1)
	if f.flush {
		go func() { flushDone <- db.Pebble().Flush() }()
	}
	var gotFatal error
	wait := 2 * time.Second
	if !f.fatal {
		wait = 500 * time.Millisecond
	}
	before := acked[0].Load()
	select {
	case gotFatal = <-fatal:
	case <-time.After(wait):
	}
	if f.fatal {
		if gotFatal == nil {
			t.Fatalf("%s: no fatal error after 2s (%d faults injected)", f.name, injected.Load())
		}
		if !errors.Is(gotFatal, storage.ErrFatal) {
			t.Fatalf("fatal error not marked: %v", gotFatal)
		}
		t.Logf("%s: fatal after %d injected faults: %v", f.name, injected.Load(), gotFatal)
		// The writers and Pebble's goroutines are stuck behind the fatal
		// error, as they would be in a process that exits; leave them.
	} else {
		if gotFatal != nil {
			t.Fatalf("%s: fatal: %v", f.name, gotFatal)
		}
		if injected.Load() == 0 {
			t.Fatalf("%s: no fault was injected", f.name)
		}
		// Reads and writes go on during the fault.
		if acked[0].Load() == before {
			t.Fatalf("%s: no write acknowledged during the fault", f.name)
		}
		tx := db.BeginRead()
		if _, ok, err := tx.Get(0, []byte(fmt.Sprintf("w0:%08d", max(before, 1)))); err != nil || (!ok && before > 0) {
			t.Fatalf("read during the fault: %v %v", ok, err)
		}
		tx.Close()
		st := db.FaultStats()
		if st.BackgroundErrors == 0 {
			t.Fatalf("%s: no background error counted", f.name)
		}
		t.Logf("%s: %d faults injected, %d background errors (last: %s), %d write stalls; writes acknowledged during the fault: %d",
			f.name, injected.Load(), st.BackgroundErrors, st.LastBackgroundError, st.WriteStalls, acked[0].Load()-before)
		// The fault clears; the flush Pebble retried succeeds.
		on.Store(false)
		if err := <-flushDone; err != nil {
			t.Fatalf("flush after the fault cleared: %v", err)
		}
		close(stop)
		wg.Wait()
		crash()
	}

	// What a restart finds: every acknowledged write.
	re, err := storage.Open(storage.Options{Dir: "data", FS: image, CacheSize: 8 << 20, Logger: newQuietLogger()})
	if err != nil {
		t.Fatalf("%s: the data directory does not reopen: %v", f.name, err)
	}
	defer re.Close()
	rep, err := re.Check()
	if err != nil || !rep.OK() {
		t.Fatalf("%s: check after reopen: %v %v", f.name, err, rep.Problems)
	}
	if f.everysec {
		t.Logf("%s: reopened, check OK", f.name)
		return
	}
	tx := re.BeginRead()
	defer tx.Close()
	total := int64(0)
	for w := 0; w < writers; w++ {
		n := acked[w].Load()
		total += n
		v, _, err := tx.Get(0, []byte(fmt.Sprint("count", w)))
		if err != nil {
			t.Fatal(err)
		}
		var count int64
		fmt.Sscan(string(v), &count)
		if count < n {
			t.Fatalf("%s: writer %d: %d writes on disk, %d acknowledged", f.name, w, count, n)
		}
		for seq := int64(1); seq <= n; seq++ {
			if _, ok, _ := tx.Get(0, []byte(fmt.Sprintf("w%d:%08d", w, seq))); !ok {
				t.Fatalf("%s: writer %d: acknowledged write %d lost", f.name, w, seq)
			}
		}
	}
	t.Logf("%s: reopened, %d acknowledged writes present, check OK", f.name, total)
}

// reuseWrappingFS is errorfs with faults also in recycled files: errorfs's
// ReuseForWrite returns the file unwrapped, and Pebble writes its WALs into
// recycled files once the first ones are flushed.
type reuseWrappingFS struct {
	*errorfs.FS
	inj errorfs.Injector
}

func (fs reuseWrappingFS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, category)
	if err != nil {
		return nil, err
	}
	return errorfs.WrapFile(f, errorfs.InjectorFunc(func(op errorfs.Op) error {
		op.Path = newname
		return fs.inj.MaybeError(op)
	})), nil
}

// quietLogger keeps Pebble's error messages (goroutines stuck behind a
// fatal error may log after the test ends, so not to t.Log); Fatalf is
// never reached (the store routes it to Options.Fatal).
type quietLogger struct {
	mu    *sync.Mutex
	lines *[]string
}

func newQuietLogger() quietLogger { return quietLogger{mu: new(sync.Mutex), lines: new([]string)} }

func (l quietLogger) Infof(format string, args ...any) {}
func (l quietLogger) Errorf(format string, args ...any) {
	l.mu.Lock()
	*l.lines = append(*l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}
func (l quietLogger) first(n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), (*l.lines)[:min(n, len(*l.lines))]...)
}
func (l quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf("pebble fatal reached the logger: "+format, args...))
}
