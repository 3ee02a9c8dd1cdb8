package server

import (
	"errors"
	"io"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"moonstone/storage"
)

// Conn is one client connection and its state.
type Conn struct {
	srv *Server
	nc  net.Conn
	w   *outBuffer
	rd  *Reader
	// note is the arrival of the request being read or run, fd the
	// socket's descriptor while in the server's epoll set (arrival.go).
	note arrivalNote
	fd   int
	// blockingCandidate: the connection has sent nothing yet, or its last
	// command was neither a plain write nor a PUBLISH (it was a read, or
	// one of orderedCommands), so a write or PUBLISH peeks at what it holds
	// unread (arrival.go): writers do not peek at each other. Stored under
	// the epoll set's lock.
	blockingCandidate atomic.Bool
	// net counts the connection's traffic for INFO stats (netstats.go).
	net netCounts

	id      int64
	created time.Time
	addr    string
	laddr   string

	// mu guards the fields other clients read (CLIENT LIST, KILL).
	mu       sync.Mutex
	name     string
	libName  string
	libVer   string
	lastCmd  string
	lastUsed time.Time

	db     int
	authed atomic.Bool
	// user is the ACL user the connection runs as (acl_users.go).
	user atomic.Pointer[aclUser]
	resp int

	reply Reply

	// multi is the open MULTI block, watch the WATCHed keys (cmd_multi.go).
	// multiLen and multiMem are, for CLIENT LIST on other connections, the
	// number of commands queued plus one (0 outside MULTI) and their size
	// (setMulti, queueInMulti).
	multi    *multiState
	multiLen atomic.Int32
	multiMem atomic.Int64
	watch    *storage.Watch
	// watching is whether watch holds keys, for other connections'
	// writes, which wait for this one's EXEC if it arrived first
	// (arrival.go).
	watching atomic.Bool

	// barrier is what this connection's buffered replies wait for: the
	// newest batch any of its writes committed or its reads may have seen.
	barrier storage.Pending
	// group is the open transaction of pipelined writes (group.go).
	group *writeGroup

	closeAfterReply bool
	killed          atomic.Bool
	// monitor is set while the connection monitors (monitor.go).
	monitor atomic.Bool

	// out is the output lock: held by serve from the start of a command
	// until its replies are flushed, and by the pub/sub writer while it
	// writes messages (pubsub.go), so messages land between replies. Replies
	// handed off to the syncer take it with them (handoff.go).
	out sync.Mutex
	// sendLater and trySend are made once per connection (handoff.go):
	// sendLater is sendHandedOff; trySend, nil when the socket offers no
	// write that does not wait, writes what the socket takes now.
	sendLater func()
	trySend   func(p []byte) (int, error)
	// ps is the pub/sub side, nil until the connection subscribes.
	ps *connPubSub
	// CLIENT REPLY OFF / SKIP; kept holds the push frames (subscription
	// confirmations) of a command whose replies are dropped.
	replyOff, replySkip, replySkipNext bool
	kept                               []byte

	// tracking is CLIENT TRACKING's state; trackq the queue of its
	// messages while the connection has no pub/sub queue; leaving is set
	// once it answered QUIT or is closing, when it stops receiving them
	// (tracking.go).
	tracking trackingMode
	trackq   atomic.Pointer[connPubSub]
	leaving  atomic.Bool
}

func (s *Server) newConn(nc net.Conn) *Conn {
	cn := &Conn{
		srv:      s,
		nc:       nc,
		id:       s.nextClientID.Add(1),
		created:  time.Now(),
		lastUsed: time.Now(),
		addr:     nc.RemoteAddr().String(),
		laddr:    nc.LocalAddr().String(),
		resp:     2,
	}
	cn.w = newOutBuffer(countedWriter{nc, &cn.net})
	cn.reply = &respWriter{w: cn.w, resp: &cn.resp}
	cn.rd = newConnReader(newConnSource(nc, &s.sockets, cn), s.limits(), &cn.net, &s.idleEpoch)
	cn.rd.authed = cn.authed.Load
	cn.sendLater = cn.sendHandedOff
	if try := newTrySend(nc); try != nil {
		cn.trySend = func(p []byte) (int, error) {
			n, err := try(p)
			cn.net.out.Add(int64(n))
			cn.net.writes.Add(1)
			return n, err
		}
	}
	cn.user.Store(s.acl.def)
	cn.authed.Store(s.acl.defaultOpen())
	return cn
}

// errReadPanic ends a connection whose request the reader failed on.
var errReadPanic = errors.New("panic reading a request")

// readCommand reads the next request. A bug in the reader, which holds no
// lock, closes this connection, logged, instead of taking the server down
// with every other client (commands have the same guard in Server.run).
func (cn *Conn) readCommand() (args [][]byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			cn.srv.logf(levelWarning, "panic reading a request from %s: %v\n%s", cn.addr, r, debug.Stack())
			args, err = nil, errReadPanic
		}
	}()
	return cn.rd.ReadCommand()
}

// serve reads and runs commands until the client leaves, errs, or is killed.
func (cn *Conn) serve() {
	s := cn.srv
	defer cn.close()
	held := false // cn.out
	defer func() {
		if held {
			cn.out.Unlock()
		}
	}()
	for {
		if t := s.cfg.Timeout(); t > 0 {
			cn.nc.SetReadDeadline(time.Now().Add(t))
		}
		args, err := cn.readCommand()
		if err != nil {
			s.endGroup(cn) // before any reply goes out
			var pe *ProtocolError
			if errors.As(err, &pe) {
				if !held {
					cn.out.Lock()
					held = true
				}
				cn.reply.Error(pe.Error())
				s.logf(levelVerbose, "protocol error from client %s: %s", cn.addr, pe.msg)
				cn.flush()
			} else if errors.Is(err, errQueryLimit) {
				s.logf(levelWarning, "closing client %s that reached max query buffer length", cn.addr)
			}
			return
		}
		if cn.killed.Load() {
			// Killed while its request arrived: Close runs on its own
			// goroutine (kill), so the socket may still have let it in.
			// A killed client is served nothing more.
			s.endGroup(cn)
			return
		}
		if len(args) > 0 {
			if !held {
				cn.out.Lock()
				held = true
				if cn.ps != nil || cn.trackq.Load() != nil {
					cn.drainPushes()
				}
			}
			mark := cn.replyMark()
			s.dispatch(cn, args)
			cn.dropReplies(mark)
			if cn.tracking.caching {
				cn.trackingCommandDone(args)
			}
		}
		// Replies go out once no whole request is waiting: a request
		// still arriving (a pipeline split across packets) may take a
		// while, and the replies before it must not wait for it.
		more := cn.rd.CommandBuffered()
		if cn.group != nil && (cn.closeAfterReply || cn.killed.Load() || cn.w.Len() > 1<<20 || !more) {
			// Never wait for the network, or flush, holding the write lock.
			s.endGroup(cn)
		}
		if held {
			// The invalidations of keys this client tracks that its own
			// writes (or any write meanwhile) queued follow the reply in
			// the same buffer, as Redis 7 sends them: a client-side cache
			// that resolves the write on its reply must not answer the
			// next read before the push arrives.
			if q := cn.trackq.Load(); q != nil {
				cn.drainQueue(q)
			}
		}
		if cn.closeAfterReply || cn.killed.Load() {
			cn.leaving.Store(true)
			// QUIT's and a self-kill's reply goes out; a client killed
			// by another gets nothing more, as Redis frees it.
			if held && !cn.killed.Load() {
				cn.flush()
			}
			return
		}
		if held && !more && cn.handOff() {
			held = false
			continue
		}
		if held && (!more || cn.w.Len() > 1<<20) {
			err := cn.flush()
			cn.out.Unlock()
			held = false
			if err != nil {
				return
			}
		}
	}
}

// await records what the pending reply must wait for.
func (cn *Conn) await(p storage.Pending) {
	if !p.Zero() {
		cn.barrier = storage.Later(cn.barrier, p)
	}
}

// waitDurable waits until every write and read behind the buffered
// replies is durable. On failure it logs and returns the error: the
// replies must then be dropped, never acknowledging what may not be on disk.
func (cn *Conn) waitDurable() error {
	db := cn.srv.db
	var failed error
	if !cn.barrier.Zero() {
		if err := db.Wait(cn.barrier); err != nil {
			failed = err
		}
		cn.barrier = storage.Pending{}
	}
	if failed != nil {
		cn.srv.logf(levelWarning, "sync failed, dropping replies to %s: %v", cn.addr, failed)
	}
	return failed
}

// flush makes every write and read behind the buffered replies durable,
// then sends the replies.
func (cn *Conn) flush() error {
	if failed := cn.waitDurable(); failed != nil {
		cn.w.Truncate(0)
		return failed
	}
	return cn.w.Flush()
}

func (cn *Conn) close() {
	// Replies still buffered (QUIT's) go out once what they report is durable.
	cn.out.Lock()
	cn.srv.endGroup(cn) // serve ends groups before it can fail; just in case
	cn.flush()
	cn.out.Unlock()
	cn.resetMulti()
	cn.srv.sockets.unwatch(cn)
	cn.rd.src.release() // before Close, which waits for reads to end
	cn.nc.Close()
	cn.srv.stopMonitor(cn)
	cn.closePubSub()
	cn.srv.trackingClosed(cn)
	cn.srv.retireNet(cn)
	cn.srv.removeConn(cn)
}

// kill closes the connection from another goroutine; its loop ends after
// its current command.
func (cn *Conn) kill() {
	cn.killed.Store(true)
	cn.leaving.Store(true)
	// A blocked client leaves its wait now, as Redis frees it: a push
	// must not be served to it. (Its watcher would notice the Close, but
	// a client with 16 KB of requests behind the block has none.)
	if w := cn.srv.waiterOf(cn.id); w != nil {
		cn.srv.cancelWaiter(w, blockGone)
	}
	// Close wakes the connection's reads and writes at once, but returns
	// only when no read is under way, and the connection's reader stays
	// inside one between its commands (stampedReader): the caller, which
	// may hold locks the connection's goroutine waits for, must not wait.
	go cn.nc.Close()
}

// setLastCmd records the command a connection last ran (CLIENT LIST's cmd
// and idle), at time at: dispatch passes the time it measures the call's
// latency from, so that a command reads the clock once.
func (cn *Conn) setLastCmd(name string, at time.Time) {
	cn.mu.Lock()
	cn.lastCmd = name
	cn.lastUsed = at
	cn.mu.Unlock()
}

// write sends buf outside the reply buffer (pub/sub messages, replies
// before a block), counted like replies.
func (cn *Conn) write(buf []byte) (int, error) {
	return countedWriter{cn.nc, &cn.net}.Write(buf)
}

// isClosedErr reports errors that just mean the peer went away.
func isClosedErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(err.Error(), "connection reset")
}
