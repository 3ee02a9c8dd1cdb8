package storage

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// walFS sits between Pebble and the filesystem and sees every WAL file. It
// does two things:
//
//   - It counts WAL fsyncs and their time (Pebble's metrics say how much the
//     WAL wrote, not how often it synced; fsyncs per commit is the figure
//     that shows group commit at work).
//   - Under appendfsync everysec and no it defers them, which is how those
//     policies keep Redis's promise: every commit's reply waits for a sync
//     request made after it (DB.Wait, groupsync.go), and Pebble's WAL writer
//     answers sync requests only after it has written the records before
//     them to the file, so an acknowledged write has reached the operating system and
//     survives a crash of the process, as Redis's AOF write() before the
//     reply does. Only the fsync itself is deferred: to the once-a-second
//     sync loop (everysec), to the operating system (no), and to the file's
//     close (a WAL Pebble rotates away from, or at shutdown), which always
//     fsyncs what was deferred. Under always, fsyncs happen as Pebble asks.
//
// A commit racing a CONFIG SET appendfsync from always to a weaker policy
// may get the weaker one: the fsync is decided when the WAL is synced, not
// when the batch was committed.
type walFS struct {
	vfs.FS
	w *walFiles
}

// walFiles is the set of open WAL files and their counters.
type walFiles struct {
	deferSync atomic.Bool
	inPlace   atomic.Bool  // waited fsyncs keep their P (setPolicy)
	osFiles   bool         // the files are the OS's own: no FS in Options
	fillSize  int64        // zeros written into each new WAL (fill)
	count     atomic.Int64 // fsyncs done
	usec      atomic.Int64
	latency   func(event string, d time.Duration) // Options.Latency

	mu   sync.Mutex
	open map[*walFile]struct{}
}

// fillInMemoryWALs makes fill fill WALs without a descriptor too (tests).
var fillInMemoryWALs = false

func isWAL(name string) bool { return strings.HasSuffix(name, ".log") }

func (fs walFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, category)
	if err != nil || !isWAL(name) {
		return f, err
	}
	if !fs.w.deferSync.Load() {
		fs.w.fill(f)
	}
	return fs.w.add(f), nil
}

// fill writes fillSize bytes of zeros into a new WAL file and fsyncs them,
// before Pebble writes its first record. A WAL that grows makes every
// fdatasync also write the file's inode, for its new size: one more device
// round trip per commit group under always (about a third of each fsync
// on the disks measured; docs/operations.md). Over the zeros the file keeps
// its size, as a WAL Pebble recycles does. Pebble reads a zeroed tail as the
// end of the log (its own preallocation and recycling leave the same), and
// its replay at open flushes what it read, so only the newest WAL can end
// that way. Files are filled only while commits wait for fsyncs (always),
// and only files with a descriptor: an in-memory filesystem has no inode to
// spare writing, and Pebble's grows a file a byte at a time (tests opt in
// with fillInMemoryWALs). A fill that fails leaves a file that grows as
// before.
func (w *walFiles) fill(f vfs.File) {
	if w.fillSize <= 0 || (f.Fd() == vfs.InvalidFd && !fillInMemoryWALs) {
		return
	}
	zeros := make([]byte, 256<<10)
	for off := int64(0); off < w.fillSize; off += int64(len(zeros)) {
		if _, err := f.WriteAt(zeros[:min(int64(len(zeros)), w.fillSize-off)], off); err != nil {
			return
		}
	}
	_ = f.SyncData()
}

func (fs walFS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, category)
	if err != nil || !isWAL(newname) {
		return f, err
	}
	return fs.w.add(f), nil
}

// setPolicy sets how WAL syncs are made under the durability policy p.
// Under always, the fsyncs commits wait for keep their goroutine's P
// (fsync_linux.go), when the files are the OS's own (a filesystem given in
// Options, for tests and fault injection, sees every SyncData) and the
// process has another P to run everything else meanwhile.
func (w *walFiles) setPolicy(p SyncPolicy) {
	w.deferSync.Store(p != SyncAlways)
	w.inPlace.Store(p == SyncAlways && w.osFiles && runtime.GOMAXPROCS(0) > 1)
}

func (w *walFiles) add(f vfs.File) *walFile {
	wf := &walFile{File: f, w: w}
	w.mu.Lock()
	if w.open == nil {
		w.open = make(map[*walFile]struct{})
	}
	w.open[wf] = struct{}{}
	w.mu.Unlock()
	return wf
}

// syncDeferred fsyncs every WAL file with deferred syncs.
func (w *walFiles) syncDeferred() error {
	w.mu.Lock()
	files := make([]*walFile, 0, len(w.open))
	for f := range w.open {
		files = append(files, f)
	}
	w.mu.Unlock()
	var errs []error
	for _, f := range files {
		errs = append(errs, f.syncIfDeferred())
	}
	return errors.Join(errs...)
}

type walFile struct {
	vfs.File
	w *walFiles
	// deferred is set when a sync was skipped; closeMu keeps a background
	// fsync and Close apart.
	deferred atomic.Bool
	closeMu  sync.RWMutex
	closed   bool
}

// fsync syncs the file for real and counts it. waited says a commit
// waits for it (the always policy), which makes its time a latency event.
func (f *walFile) fsync(sync func() error, waited bool) error {
	start := time.Now()
	f.deferred.Store(false)
	err := sync()
	d := time.Since(start)
	f.w.count.Add(1)
	f.w.usec.Add(d.Microseconds())
	if waited && f.w.latency != nil {
		f.w.latency("aof-fsync-always", d)
	}
	return err
}

func (f *walFile) Sync() error {
	if f.w.deferSync.Load() {
		f.deferred.Store(true)
		return nil
	}
	return f.fsync(f.File.Sync, true)
}

func (f *walFile) SyncData() error {
	if f.w.deferSync.Load() {
		f.deferred.Store(true)
		return nil
	}
	return f.fsync(f.syncWaited, true)
}

// syncWaited is the fdatasync a commit waits for (SyncData, SyncTo).
func (f *walFile) syncWaited() error {
	if f.w.inPlace.Load() {
		if fd := f.File.Fd(); fd != vfs.InvalidFd {
			// Yield first: goroutines readied onto this P (the commits the
			// WAL writer just woke) would wait for the whole fsync in its
			// queue, since a busy P does not steal from another's. After
			// the yield the P runs them, and this goroutine is run again
			// by whichever P gets to it first.
			runtime.Gosched()
			if err := fdatasyncInPlace(fd); err != errors.ErrUnsupported {
				return err
			}
		}
	}
	return f.File.SyncData()
}

func (f *walFile) SyncTo(length int64) (bool, error) {
	if f.w.deferSync.Load() {
		f.deferred.Store(true)
		return true, nil
	}
	return true, f.fsync(f.syncWaited, true)
}

func (f *walFile) syncIfDeferred() error {
	f.closeMu.RLock()
	defer f.closeMu.RUnlock()
	if f.closed || !f.deferred.Load() {
		return nil
	}
	return f.fsync(f.File.SyncData, false)
}

// Close fsyncs what was deferred first: Pebble closes a WAL when it rotates
// to a new one, and relies on the old one being durable from then on.
func (f *walFile) Close() error {
	f.closeMu.Lock()
	defer f.closeMu.Unlock()
	var err error
	if f.deferred.Load() {
		err = f.fsync(f.File.SyncData, false)
	}
	f.closed = true
	f.w.mu.Lock()
	delete(f.w.open, f)
	f.w.mu.Unlock()
	return errors.Join(err, f.File.Close())
}

// WALSyncs reports how many times the WAL was fsynced and the total time
// those fsyncs took, in microseconds.
func (db *DB) WALSyncs() (count, usec int64) {
	return db.wal.count.Load(), db.wal.usec.Load()
}
