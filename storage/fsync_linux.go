package storage

import "syscall"

// fdatasyncInPlace fsyncs a file's data without telling the Go scheduler
// that its goroutine is in a system call, so the goroutine keeps its P
// (a slot for running Go code) through the fsync. A system call the
// scheduler knows of lets the runtime's monitor thread hand the P to
// another thread once the call has lasted 20 µs, which every WAL fsync
// does; under appendfsync always that happens thousands of times a
// second, and the handoffs, and the monitor's own wake-ups that follow
// them, cost more CPU than the fsyncs. The price is one P held while the
// disk works, and a stop-the-world pause of the garbage collector waiting
// for the fsync to end: SetFsyncInPlace says when that is paid for.
func fdatasyncInPlace(fd uintptr) error {
	for {
		_, _, e := syscall.RawSyscall(syscall.SYS_FDATASYNC, fd, 0, 0)
		if e != syscall.EINTR {
			if e != 0 {
				return e
			}
			return nil
		}
	}
}
