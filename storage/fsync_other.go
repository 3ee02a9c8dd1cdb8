//go:build !linux

package storage

import "errors"

// fdatasyncInPlace is Linux-only (fsync_linux.go); elsewhere WAL fsyncs
// go through the scheduler as any system call does.
func fdatasyncInPlace(fd uintptr) error { return errors.ErrUnsupported }
