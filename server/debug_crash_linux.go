package server

import (
	"os"
	"syscall"
	"unsafe"
)

const (
	sigABRT = syscall.SIGABRT
	sigSEGV = syscall.SIGSEGV
)

// crashProcess ends the process the way Redis's DEBUG SEGFAULT and PANIC
// end theirs: killed by sig, with the kernel's default action (a core
// dump where enabled). The Go runtime handles both signals itself, so
// their disposition is first set back to the default (a zeroed
// sigaction is SIG_DFL, no flags, empty mask); the signal is then sent to
// this thread, which cannot go on. Should it somehow return, the process
// exits.
func crashProcess(sig syscall.Signal) {
	var act [4]uint64
	syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	syscall.Tgkill(syscall.Getpid(), syscall.Gettid(), sig)
	os.Exit(128 + int(sig))
}
