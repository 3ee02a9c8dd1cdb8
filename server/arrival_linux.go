package server

import (
	"encoding/binary"
	"io"
	"iter"
	"net"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// stampedReader reads a TCP connection with recvmsg, noting when each
// read's data arrived by the kernel's receive timestamp (SO_TIMESTAMPNS),
// not when its goroutine got to run (arrival.go).
//
// Its reads run in a coroutine (iter.Pull) that stays inside one
// RawConn.Read for as long as they succeed, handing each read's bytes to
// the connection and waiting there for the next call. RawConn.Read forgets
// the poller's readiness when it starts, so it must try a read before it
// may wait; staying inside it keeps that readiness between requests. When
// a read leaves the socket empty (it filled less than its buffer), the
// next one waits for the poller first, as an event loop does, instead of
// paying a recvmsg that would find nothing: a client at pipeline 1 sends
// its next request only after the reply. Data that arrived meanwhile has
// made the poller ready, and the wait returns at once.
type stampedReader struct {
	rc  syscall.RawConn
	oob []byte
	cn  *Conn
	// The coroutine (started by the first read), its yield, and the
	// recvmsg attempt RawConn.Read calls, made once: a closure per read
	// would be an allocation per request.
	next  func() (struct{}, bool)
	stop  func()
	yield func(struct{}) bool
	recv  func(fd uintptr) bool
	// The caller's arguments and the results, handed over by the switch.
	rd      *Reader
	direct  []byte
	waited  bool // the last attempt found nothing, or was skipped: rd is idle
	drained bool // the last read left the socket empty: wait before the next
	stopped bool // the connection is closing: leave RawConn.Read
	n, oobn int
	recvErr error // recvmsg's
	readErr error // RawConn.Read's: an expired deadline, a Close
}

// newConnSource returns what to read cn's socket through: a stampedReader
// when the kernel timestamps its data, the connection itself otherwise.
func newConnSource(nc net.Conn, o *sockets, cn *Conn) source {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return plainSource{nc}
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return plainSource{nc}
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); serr == nil {
			o.watch(cn, int(fd))
		}
	}); err != nil || serr != nil {
		return plainSource{nc}
	}
	r := &stampedReader{rc: rc, oob: make([]byte, unix.CmsgSpace(16)), cn: cn}
	r.recv = r.recvmsg
	return r
}

// reads is the coroutine: one RawConn.Read after another, each until a
// read fails, ends the stream or the connection closes.
func (r *stampedReader) reads(yield func(struct{}) bool) {
	r.yield = yield
	for !r.stopped {
		r.drained = false // a new RawConn.Read has forgotten readiness
		r.readErr = r.rc.Read(r.recv)
		if r.stopped || !yield(struct{}{}) {
			return
		}
	}
}

// recvmsg is RawConn.Read's callback: it reads, hands the bytes over and,
// once asked for more, reads again or returns false to wait on the poller.
// After a wait it takes the Reader back from idle and asks again where to
// read: the buffer may have been released.
func (r *stampedReader) recvmsg(fd uintptr) bool {
	for {
		if r.drained {
			r.drained = false
			r.rd.idle()
			r.waited = true
			return false
		}
		if r.waited {
			r.rd.busy()
			r.waited = false
		}
		p := r.rd.dest(r.direct)
		if r.cn.srv.orderSeen.used() {
			r.cn.note.reading.Store(true) // until readTo notes what arrived
		}
		n, oobn, _, _, err := unix.Recvmsg(int(fd), p, r.oob, 0)
		switch err {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			r.cn.note.reading.Store(false)
			r.rd.idle()
			r.waited = true
			return false
		}
		r.n, r.oobn, r.recvErr, r.readErr = n, oobn, err, nil
		if err != nil || n == 0 {
			return true // the result goes over once RawConn.Read returns
		}
		r.drained = n < len(p)
		if !r.yield(struct{}{}) {
			r.stopped = true
			return true
		}
	}
}

func (r *stampedReader) readTo(rd *Reader, direct []byte) (int, error) {
	if r.next == nil {
		r.next, r.stop = iter.Pull(r.reads)
	}
	r.rd, r.direct = rd, direct
	_, ok := r.next()
	if r.waited { // the wait ended in an error: a deadline, a Close
		rd.busy()
		r.waited = false
	}
	r.rd, r.direct = nil, nil
	defer r.cn.note.reading.Store(false)
	if !ok {
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}
	}
	n, oobn, rerr := r.n, r.oobn, r.recvErr
	r.n, r.recvErr = 0, nil
	if err := r.readErr; err != nil {
		r.readErr = nil
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: err}
	}
	if rerr != nil {
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("recvmsg", rerr)}
	}
	if n == 0 {
		return 0, io.EOF
	}
	if t, ok := receiveTime(r.oob[:oobn]); ok && r.cn.note.at.Load() == 0 {
		// The request this read begins (the first one not yet consumed)
		// is classified now, not when dispatch gets to it: a write
		// arriving meanwhile on another connection must know whether to
		// wait for it.
		var kind orderKind
		if direct == nil && r.cn.srv.orderSeen.used() {
			kind = requestKind(rd.buf[rd.r:rd.w+n], r.cn.watching.Load())
		}
		r.cn.note.arrived(t, kind)
	}
	return n, nil
}

// release ends the coroutine, which holds the socket while it waits for the
// next call: a Close waits until no read is under way.
func (r *stampedReader) release() {
	if r.stop != nil {
		r.stop()
	}
}

// receiveTime finds the SO_TIMESTAMPNS time (unix ns) in control
// messages, without allocating on 64-bit systems (their layout: a 16-byte
// header of length, level and type, then the timespec's two int64s).
func receiveTime(oob []byte) (int64, bool) {
	if unix.SizeofCmsghdr != 16 {
		return receiveTimeParsed(oob)
	}
	for len(oob) >= 16 {
		l := int(binary.NativeEndian.Uint64(oob[0:8]))
		level := int32(binary.NativeEndian.Uint32(oob[8:12]))
		typ := int32(binary.NativeEndian.Uint32(oob[12:16]))
		if l < 16 || l > len(oob) {
			return 0, false
		}
		if level == unix.SOL_SOCKET && typ == unix.SCM_TIMESTAMPNS && l >= 32 {
			sec := int64(binary.NativeEndian.Uint64(oob[16:24]))
			nsec := int64(binary.NativeEndian.Uint64(oob[24:32]))
			return sec*1e9 + nsec, true
		}
		oob = oob[min(len(oob), (l+7)&^7):]
	}
	return 0, false
}

func receiveTimeParsed(oob []byte) (int64, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
			sec := int64(binary.NativeEndian.Uint64(m.Data[0:8]))
			nsec := int64(binary.NativeEndian.Uint64(m.Data[8:16]))
			return sec*1e9 + nsec, true
		}
	}
	return 0, false
}

// sockets is an epoll set of the connections' sockets, level-triggered
// and apart from Go's own: it answers which sockets hold unread data now,
// whether or not their goroutines have been woken.
type sockets struct {
	smu  sync.RWMutex // shared: orderedBefore, which uses no buffer of s
	epfd int          // 0 until the first watch; -1 if epoll is unavailable
	byFD map[int32]*Conn
	evs  [64]unix.EpollEvent
	buf  [1]byte
	oob  []byte
	// cand are the connections a write looks at for earlier blocking
	// commands (Conn.blockingCandidate).
	cand map[*Conn]struct{}
}

func (s *sockets) watch(cn *Conn, fd int) {
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.epfd == 0 {
		s.epfd = -1
		if epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC); err == nil {
			s.epfd = epfd
			s.byFD = make(map[int32]*Conn)
			s.cand = make(map[*Conn]struct{})
			s.oob = make([]byte, unix.CmsgSpace(16))
		}
	}
	if s.epfd < 0 {
		return
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
	if unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, fd, &ev) == nil {
		s.byFD[int32(fd)] = cn
		cn.fd = fd
		s.cand[cn] = struct{}{}
		cn.blockingCandidate.Store(true)
	}
}

// mark records whether cn may send a blocking command next
// (Conn.blockingCandidate); the lock is taken only when that changes.
func (s *sockets) mark(cn *Conn, blocking bool) {
	if cn.blockingCandidate.Load() == blocking {
		return
	}
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.cand == nil || s.byFD[int32(cn.fd)] != cn {
		return
	}
	if blocking {
		s.cand[cn] = struct{}{}
	} else {
		delete(s.cand, cn)
	}
	cn.blockingCandidate.Store(blocking)
}

// orderedBefore reports whether another connection that may send a
// command of kinds holds one that arrived between horizon and t: read and
// noted, or unread in its socket. It peeks at each candidate's socket
// directly rather than asking the epoll set, which would also list every
// busy writer, and holds the lock shared, so that concurrent writers do
// not queue on it.
func (s *sockets) orderedBefore(cn *Conn, t, horizon int64, kinds orderKind) bool {
	s.smu.RLock()
	defer s.smu.RUnlock()
	if len(s.cand) == 0 {
		return false
	}
	var buf [64]byte
	var oob [32]byte // unix.CmsgSpace(16) for the timestamp
	for c := range s.cand {
		if c == cn {
			continue
		}
		if at := c.note.at.Load(); at < t && at > horizon && orderKind(c.note.kind.Load())&kinds != 0 {
			return true
		}
		watching := c.watching.Load()
		if kinds == orderExec && !watching {
			continue // it has no EXEC to wait for: no need to peek
		}
		got, oobn, _, _, err := unix.Recvmsg(c.fd, buf[:], oob[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		if err != nil || got == 0 {
			// Nothing unread, but a read may have taken it since the note
			// was looked at. A read sets the flag before it starts and
			// clears it once it has noted what arrived: so the flag is
			// looked at after the peek, and the note again after that.
			if c.note.reading.Load() && c.note.at.Load() == 0 {
				return true // under way: wait for its note
			}
			if at := c.note.at.Load(); at < t && at > horizon && orderKind(c.note.kind.Load())&kinds != 0 {
				return true
			}
			continue
		}
		if requestKind(buf[:got], watching)&kinds == 0 {
			continue
		}
		if at, ok := receiveTime(oob[:oobn]); ok && at < t && at > horizon {
			return true
		}
	}
	return false
}

// close releases the epoll set when the server shuts down.
func (s *sockets) close() {
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.epfd > 0 {
		unix.Close(s.epfd)
	}
	s.epfd, s.byFD = -1, nil
}

func (s *sockets) unwatch(cn *Conn) {
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.epfd <= 0 || cn.fd <= 0 || s.byFD[int32(cn.fd)] != cn {
		return
	}
	// A socket already closed (CLIENT KILL) left the set by itself; then
	// this fails, harmlessly.
	unix.EpollCtl(s.epfd, unix.EPOLL_CTL_DEL, cn.fd, nil)
	delete(s.byFD, int32(cn.fd))
	delete(s.cand, cn)
}

// unreadBefore reports whether another connection's socket holds unread
// data that arrived between horizon and t.
func (s *sockets) unreadBefore(cn *Conn, t, horizon int64) bool {
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.epfd <= 0 {
		return false
	}
	n, err := unix.EpollWait(s.epfd, s.evs[:], 0)
	if err != nil {
		return false
	}
	for _, ev := range s.evs[:n] {
		if c := s.byFD[ev.Fd]; c == nil || c == cn {
			continue
		}
		// A peek leaves the data for the connection's own read.
		got, oobn, _, _, err := unix.Recvmsg(int(ev.Fd), s.buf[:1], s.oob, unix.MSG_PEEK|unix.MSG_DONTWAIT)
		if err != nil || got == 0 {
			continue
		}
		if at, ok := receiveTime(s.oob[:oobn]); ok && at < t && at > horizon {
			return true
		}
	}
	return false
}
