package storage

import "syscall"

// fdatasyncInPlace fsyncs a file's data without telling the Go scheduler
// that its goroutine is in a system call, so the goroutine keeps its P
// (a slot for running Go code) through the fsync. A system call the
// scheduler knows of lets the runtime's monitor thread hand the P to
// another thread once the call has lasted 20 µs, which every WAL fsync
// does; under appendfsync always that happens thousands of times a
// second, and the handoffs, and the monitor's own wake-ups at its shortest
// period that follow them, cost more CPU than the fsyncs (docs/operations.md,
// "WAL fsyncs keep their P"). The price: one P fewer for other goroutines
// while the disk works, and a stop-the-world pause of the garbage
// collector that begins meanwhile waits for the fsync to end.
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
