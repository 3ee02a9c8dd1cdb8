package storage

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// walCountingFS counts the fsyncs of WAL files and the time they take:
// Pebble's metrics say how much the WAL wrote, not how often it synced, and
// fsyncs per commit is the figure that shows group commit at work.
type walCountingFS struct {
	vfs.FS
	m *walSyncs
}

type walSyncs struct {
	count atomic.Int64
	usec  atomic.Int64
}

func isWAL(name string) bool { return strings.HasSuffix(name, ".log") }

func (fs walCountingFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, category)
	if err != nil || !isWAL(name) {
		return f, err
	}
	return walFile{f, fs.m}, nil
}

func (fs walCountingFS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, category)
	if err != nil || !isWAL(newname) {
		return f, err
	}
	return walFile{f, fs.m}, nil
}

type walFile struct {
	vfs.File
	m *walSyncs
}

func (f walFile) timed(start time.Time) {
	f.m.count.Add(1)
	f.m.usec.Add(time.Since(start).Microseconds())
}

func (f walFile) Sync() error {
	defer f.timed(time.Now())
	return f.File.Sync()
}

func (f walFile) SyncData() error {
	defer f.timed(time.Now())
	return f.File.SyncData()
}

func (f walFile) SyncTo(length int64) (bool, error) {
	defer f.timed(time.Now())
	return f.File.SyncTo(length)
}

// WALSyncs reports how many times the WAL was fsynced and the total time
// those fsyncs took, in microseconds.
func (db *DB) WALSyncs() (count, usec int64) {
	return db.walSyncs.count.Load(), db.walSyncs.usec.Load()
}
