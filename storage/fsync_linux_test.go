package storage

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// An fsync that fails must say so: Pebble treats a WAL sync error as fatal,
// and a commit must never be acknowledged on a sync that did not happen.
func TestFdatasyncInPlaceReportsErrors(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "wal"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("record")); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := fdatasyncInPlace(f.Fd()); err != nil {
		t.Fatalf("fdatasync of an open file: %v", err)
	}
	// A descriptor far above any the process has open.
	if err := fdatasyncInPlace(1 << 30); err != syscall.EBADF {
		t.Fatalf("fdatasync of a descriptor not open: %v, want EBADF", err)
	}
}
