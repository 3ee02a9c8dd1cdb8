package storage

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// What the store does when the disk fails (measured with Pebble's errorfs in
// fault_test.go; the table is in docs/operations.md):
//
//   - A failed WAL write or MANIFEST write/sync: Pebble calls its logger's
//     Fatalf and cannot go on (its commit pipeline is wedged). A failed WAL
//     sync: the syncer sees the error from its synced LogData (groupsync.go),
//     and the WAL writer keeps the error, so the next commit is fatal too. After a
//     failed fsync the page cache can no longer be trusted (the kernel may
//     have dropped the dirty pages), so the only safe way on is a restart
//     that replays the WAL from disk. All three end in Options.Fatal, once;
//     no reply for the failed write is ever sent, because replies wait for
//     their sync (DB.Wait), and Fatal does not return.
//   - A failed sstable write during a flush or compaction: Pebble reports a
//     background error and retries; reads and writes go on (writes stall
//     only if memtables pile up). The store counts these errors for INFO.

// ErrFatal marks the error passed to Options.Fatal.
var ErrFatal = errors.New("storage: fatal error")

// fatalState runs the fatal handler once and counts background errors.
type fatalState struct {
	handler func(error)
	once    sync.Once
	// raised is set before the handler runs: no commit starts after it,
	// since Pebble, its WAL broken, could panic unrecoverably on the next
	// WAL rotation before the process is gone.
	raised atomic.Bool

	backgroundErrors atomic.Int64
	lastBackground   atomic.Value // string
	writeStalls      atomic.Int64
	stalled          atomic.Bool
	// Pebble retries a failing flush at once, thousands of times a second
	// on a full disk, and a stream of large values stalls writes many
	// times a second while flushes catch up: the log gets a line a second
	// of each at most.
	errorLog, stallLog logLimit
}

// logLimit lets one log line a second through and counts the others.
type logLimit struct {
	last       atomic.Int64 // unix ns
	suppressed atomic.Int64
}

// allow reports whether a line may be logged now and, if so, how many
// were held back since the last one.
func (l *logLimit) allow() (ok bool, heldBack int64) {
	now, last := time.Now().UnixNano(), l.last.Load()
	if now-last < int64(time.Second) || !l.last.CompareAndSwap(last, now) {
		l.suppressed.Add(1)
		return false, 0
	}
	return true, l.suppressed.Swap(0)
}

// raise hands err to the fatal handler, once; later callers block, since
// the handler does not return and nothing after a fatal error may proceed.
func (f *fatalState) raise(err error) {
	f.raised.Store(true)
	err = fmt.Errorf("%w: %w", ErrFatal, err)
	f.once.Do(func() { f.handler(err) })
	// The handler returned (it must not), or another goroutine is in it.
	select {}
}

// apply commits b, without a sync: the syncer's next one covers it
// (groupsync.go). Pebble panics
// inside its commit pipeline when it cannot write a batch to a WAL that
// failed earlier, leaving its commit lock held: that is fatal too.
func (db *DB) apply(b *pebble.Batch) error {
	if db.fatal.raised.Load() {
		select {} // the process is exiting
	}
	defer func() {
		if r := recover(); r != nil {
			db.fatal.raise(fmt.Errorf("commit failed: %v", r))
		}
	}()
	return db.pdb.Apply(b, pebble.NoSync)
}

func exitOnFatal(err error) {
	fmt.Fprintf(os.Stderr, "moonstone: %v; exiting (restart to recover the data directory from its WAL)\n", err)
	os.Exit(1)
}

// fatalLogger is Pebble's logger with Fatalf routed to the fatal handler
// instead of Pebble's default os.Exit.
type fatalLogger struct {
	pebble.Logger
	fatal *fatalState
}

func (l fatalLogger) Fatalf(format string, args ...any) {
	l.fatal.raise(fmt.Errorf("pebble: "+format, args...))
}

// listener records background errors and write stalls, and logs them as
// Pebble would.
func (f *fatalState) listener(logger pebble.Logger) *pebble.EventListener {
	return &pebble.EventListener{
		BackgroundError: func(err error) {
			f.backgroundErrors.Add(1)
			f.lastBackground.Store(err.Error())
			ok, n := f.errorLog.allow()
			switch {
			case !ok:
			case n > 0:
				logger.Errorf("background error (Pebble retries; %d more since the last report): %s", n, err)
			default:
				logger.Errorf("background error (Pebble retries): %s", err)
			}
		},
		WriteStallBegin: func(info pebble.WriteStallBeginInfo) {
			f.writeStalls.Add(1)
			f.stalled.Store(true)
			ok, n := f.stallLog.allow()
			switch {
			case !ok:
			case n > 0:
				logger.Errorf("write stall (%d more since the last report): %s", n, info.Reason)
			default:
				logger.Errorf("write stall: %s", info.Reason)
			}
		},
		WriteStallEnd: func() {
			f.stalled.Store(false)
		},
		DiskSlow: func(info pebble.DiskSlowInfo) {
			logger.Errorf("%s", info)
		},
	}
}

// FaultStats are the store's error counters, for INFO.
type FaultStats struct {
	BackgroundErrors    int64
	LastBackgroundError string
	WriteStalls         int64
	Stalled             bool
}

// FaultStats reports background errors and write stalls so far.
func (db *DB) FaultStats() FaultStats {
	last, _ := db.fatal.lastBackground.Load().(string)
	return FaultStats{
		BackgroundErrors:    db.fatal.backgroundErrors.Load(),
		LastBackgroundError: last,
		WriteStalls:         db.fatal.writeStalls.Load(),
		Stalled:             db.fatal.stalled.Load(),
	}
}
