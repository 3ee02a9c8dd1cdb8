package server

import (
	"io"
	"sync"
	"sync/atomic"
)

// A Reader's input buffer, and how an idle connection gives it back.
//
// Redis frees the query buffer of a client idle for 2 seconds
// (clientsCron). Moonstone does the same with a connection's 16 KB input
// buffer and its argument slabs (Reader.argBytes, Reader.argLists): an
// idle connection then costs its goroutine and little else. The
// connection's source marks the Reader idle while it waits on the network
// (idle, busy); every second the server's sampler releases what Readers
// idle for two to three seconds hold (releaseIdle,
// Server.releaseIdleBuffers), counting seconds in epochs so that a wait
// costs no clock read; the connection allocates a new buffer when data
// arrives. Only a source that waits on the netpoller itself
// (stampedReader) marks its waits; a Reader over a plain io.Reader keeps
// its buffer.

// inBufSize is the input buffer's size, Redis's PROTO_IOBUF_LEN.
const inBufSize = 16 << 10

// source is where a Reader's bytes come from.
type source interface {
	// readTo reads once into direct or, when direct is nil, into the
	// Reader's buffer (Reader.dest). A source that waits on the network
	// brackets each wait with r.idle and r.busy and asks for the
	// destination again after it: the buffer may have been released.
	readTo(r *Reader, direct []byte) (int, error)
	// release lets go of the socket: the connection is closing.
	release()
}

// plainSource reads an io.Reader (tests, connections without a socket of
// their own). Its Reader never counts as idle.
type plainSource struct{ io.Reader }

func (s plainSource) readTo(r *Reader, direct []byte) (int, error) {
	return s.Read(r.dest(direct))
}

func (plainSource) release() {}

// inBuf is the buffer part of a Reader.
type inBuf struct {
	buf  []byte // nil until the first read, and once released
	r, w int    // unread bytes are buf[r:w]
	err  error  // a read error held back while data came with it

	// idleMu guards idleSince against releaseIdle, and with it buf, r, w
	// and the slabs while idleSince is set: the Reader's own goroutine
	// uses them without a lock only between busy and idle.
	idleMu    sync.Mutex
	idleSince int64         // the epoch the Reader began waiting in; 0 when busy
	epoch     *atomic.Int64 // the server's release epochs; nil: never idle
	held      atomic.Int64  // len(buf), for CLIENT LIST's qbuf-free
}

// dest is where the next read goes: direct, or the free end of the
// buffer, allocated if there is none.
func (r *Reader) dest(direct []byte) []byte {
	if direct != nil {
		return direct
	}
	if r.buf == nil {
		r.buf = make([]byte, inBufSize)
		r.held.Store(inBufSize)
	}
	return r.buf[r.w:]
}

// idle says the Reader is about to wait for the network.
func (r *Reader) idle() {
	if r.epoch == nil {
		return
	}
	r.idleMu.Lock()
	r.idleSince = r.epoch.Load()
	r.idleMu.Unlock()
}

// busy says the wait is over: the Reader's goroutine owns its buffers
// again, if they are still there.
func (r *Reader) busy() {
	if r.epoch == nil {
		return
	}
	r.idleMu.Lock()
	r.idleSince = 0
	r.idleMu.Unlock()
}

// releaseIdle drops the buffer and slabs of a Reader that has waited with
// nothing buffered since epoch before or earlier, and reports whether
// there was anything to drop. Nothing is reused: arguments carved from a
// slab stay valid for whoever keeps them, and the garbage collector frees
// the rest.
func (r *Reader) releaseIdle(before int64) bool {
	r.idleMu.Lock()
	defer r.idleMu.Unlock()
	if r.idleSince == 0 || r.idleSince > before || r.r != r.w {
		return false
	}
	if r.buf == nil && r.argBytes.Empty() && r.argLists.Empty() {
		return false
	}
	r.buf, r.r, r.w = nil, 0, 0
	r.argBytes.Drop()
	r.argLists.Drop()
	r.held.Store(0)
	return true
}

// Buffered is how many bytes of further requests are already read.
func (r *Reader) Buffered() int { return r.w - r.r }

// fill reads once more into the buffer, after moving what is unread to
// its front.
func (r *Reader) fill() error {
	if r.err != nil {
		err := r.err
		r.err = nil
		return err
	}
	if r.r > 0 {
		copy(r.buf, r.buf[r.r:r.w])
		r.w -= r.r
		r.r = 0
	}
	for range 100 {
		n, err := r.src.readTo(r, nil)
		if n > 0 {
			r.w += n
			r.counted(n)
			r.err = err
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// peek returns the next n bytes without consuming them, reading until they
// are there; n is at most inBufSize. With fewer, it returns what there is
// and the error that stopped the reading.
func (r *Reader) peek(n int) ([]byte, error) {
	for r.w-r.r < n {
		if err := r.fill(); err != nil {
			return r.buf[r.r:r.w], err
		}
	}
	return r.buf[r.r : r.r+n], nil
}

// discard consumes n bytes, reading them first if they are not there yet.
func (r *Reader) discard(n int) error {
	for n > 0 {
		if r.r == r.w {
			if err := r.fill(); err != nil {
				return err
			}
		}
		k := min(n, r.w-r.r)
		r.r += k
		n -= k
	}
	return nil
}

// readFull fills p, from the buffer first. What the buffer cannot hold is
// read straight into p, as bufio does, so a large argument is not copied
// twice.
func (r *Reader) readFull(p []byte) error {
	for len(p) > 0 {
		if r.r == r.w {
			if len(p) >= inBufSize && r.err == nil {
				n, err := r.src.readTo(r, p)
				if n > 0 {
					r.counted(n)
					p = p[n:]
					continue
				}
				if err == nil {
					err = io.ErrNoProgress
				}
				return err
			}
			if err := r.fill(); err != nil {
				return err
			}
		}
		n := copy(p, r.buf[r.r:r.w])
		r.r += n
		p = p[n:]
	}
	return nil
}

func (r *Reader) counted(n int) {
	if r.net != nil {
		r.net.in.Add(int64(n))
		r.net.reads.Add(1)
	}
}

// releaseIdleBuffers is the sampler's pass, once a second: connections
// that have waited two seconds or more for a request give back their input
// buffer and slabs, and their output buffer when it is empty and not in
// use.
func (s *Server) releaseIdleBuffers() {
	before := s.idleEpoch.Add(1) - 3
	for _, cn := range s.clients() {
		if cn.rd.releaseIdle(before) && cn.out.TryLock() {
			cn.w.release()
			cn.out.Unlock()
		}
	}
}
