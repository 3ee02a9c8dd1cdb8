//go:build !linux

package server

import (
	"os"
	"syscall"
)

const (
	sigABRT = syscall.SIGABRT
	sigSEGV = syscall.SIGSEGV
)

// crashProcess ends the process for DEBUG SEGFAULT, PANIC, ASSERT and
// OOM: at once, with the exit status of a death by sig.
func crashProcess(sig syscall.Signal) {
	os.Exit(128 + int(sig))
}
