//go:build unix

package server

import (
	"net"
	"syscall"
)

// newTrySend returns a write to nc's socket that never waits for it: it
// writes what the socket takes now and returns EAGAIN if that is nothing.
func newTrySend(nc net.Conn) func(p []byte) (int, error) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	var (
		buf  []byte
		n    int
		werr error
	)
	// Made once: a closure per send would be an allocation per reply.
	// The callers hold the output lock, so the variables are not shared.
	write := func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), buf)
			if werr != syscall.EINTR {
				return true // done, or EAGAIN: never wait on the poller
			}
		}
	}
	return func(p []byte) (int, error) {
		buf = p
		if err := rc.Write(write); err != nil {
			buf = nil
			return 0, err // the connection is closed
		}
		buf = nil
		if n < 0 {
			n = 0
		}
		return n, werr
	}
}
