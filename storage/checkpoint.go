package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// ErrCheckpointExists reports a CHECKPOINT into a path that already exists.
var ErrCheckpointExists = errors.New("checkpoint target already exists")

// ErrLocked reports a data directory held by another open store (another
// server process, or this one).
var ErrLocked = errors.New("data directory is in use")

// Checkpoint writes a consistent point-in-time copy of the store into dir,
// which must not exist (its parents are created). Sstables are hard-linked
// where the filesystem allows and copied elsewhere; the WAL is flushed and
// fsynced first, so every write acknowledged before the call is in the copy
// whatever the appendfsync policy. Readers and writers keep running: the
// copy is cut at one Pebble sequence number, and since the key counts and
// the version reservation move in the same batches as the data, the copy is
// a data directory Open accepts as it is.
func (db *DB) Checkpoint(dir string) error {
	if _, err := os.Lstat(dir); err == nil {
		return fmt.Errorf("%w: %s", ErrCheckpointExists, dir)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := db.pdb.Checkpoint(dir, pebble.WithFlushedWAL()); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%w: %s", ErrCheckpointExists, dir)
		}
		return err
	}
	return nil
}

// LockHeld reports whether dir's Pebble LOCK file is held by an open store,
// in this process or another. A directory without a LOCK file is not held.
func LockHeld(dir string) bool {
	path := filepath.Join(dir, "LOCK")
	if _, err := os.Stat(path); err != nil {
		return false
	}
	l, err := vfs.Default.Lock(path)
	if err != nil {
		return true
	}
	l.Close()
	return false
}

// lockedError turns Pebble's failure to take dir's LOCK into an error that
// names the directory, or returns nil if the lock is free (the open failed
// for another reason).
func lockedError(dir string) error {
	if !LockHeld(dir) {
		return nil
	}
	return fmt.Errorf("%w: %s is locked by another Moonstone process (or another open store in this one); stop it, or use another --dir",
		ErrLocked, dir)
}
