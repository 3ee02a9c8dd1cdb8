package server

import (
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"moonstone/storage"
)

// serverStats are the counters INFO stats reports.
type serverStats struct {
	connectionsReceived atomic.Int64
	rejectedConns       atomic.Int64
	commandsProcessed   atomic.Int64
	keyspaceHits        atomic.Int64
	keyspaceMisses      atomic.Int64
	errorReplies        atomic.Int64
	lazyfreed           atomic.Int64 // INFO lazyfreed_objects (lazyfree.go)

	mu       sync.Mutex
	perError map[string]int64
}

// cmdStats are one command's INFO commandstats counters. They live on the
// command's table entry and are atomics, so counting takes no lock shared
// by every client.
type cmdStats struct {
	calls, usec, rejected, failed atomic.Int64
	latency                       latencyHistogram
}

func (st *cmdStats) reset() {
	st.calls.Store(0)
	st.usec.Store(0)
	st.rejected.Store(0)
	st.failed.Store(0)
	st.latency.reset()
}

// dispatch runs one client request: lookup, checks, execution, stats.
func (s *Server) dispatch(cn *Conn, args [][]byte) {
	s.stats.commandsProcessed.Add(1)
	// However the command ends, its arrival note goes (arrival.go).
	defer cn.note.clear()
	// Whether anyone monitors, loaded once: with no monitor, this load
	// is all MONITOR costs a command (monitor.go).
	mon := s.monitors.active()
	cmd, reject := s.lookup(args)
	if reject == "" && cmd.Is(flagProtected) {
		reject = s.refuseProtected(cn, cmd)
	}
	if reject == "" && !cn.aclOpen() {
		reject = s.aclRefuse(cn, cmd, args) // acl_check.go
	}
	if cn.group != nil && (reject != "" || !s.canGroup(cn, cmd)) {
		// What follows a group sees it committed.
		s.endGroup(cn)
	}
	if reject != "" {
		if cmd != nil && cmd.Name == "exec" {
			// EXEC with arguments: Redis's arity error has no ERR
			// before it inside EXECABORT (see refuse).
			s.refuse(cn, cmd, args, strings.TrimPrefix(reject, "ERR "))
			return
		}
		if cn.multi != nil {
			// dispatch replies with the error; the block is void.
			cn.multi.failed = true
		}
		s.countRejected(cmd, reject)
		cn.reply.Error(reject)
		return
	}
	if cn.multi != nil && !cmd.Is(flagAllowBusy) && s.scripts.IsBusy() {
		s.refuse(cn, cmd, args, s.busyError())
		return
	}
	if s.refusedForMemory(cn, cmd, args) {
		s.refuse(cn, cmd, args, errOOM)
		return
	}
	if s.refusedForReplicas(cn, cmd, args) {
		s.refuse(cn, cmd, args, errNoReplicas)
		return
	}
	if mon && cn.monitor.Load() && s.monitorRefuses(cn, cmd, args) {
		return
	}
	if s.pause.inForce() && s.holdWhilePaused(cn, cmd, args) {
		return // held, then run from the top; or dropped (pause.go)
	}
	start := time.Now()
	if cn.multi != nil && s.queueInMulti(cn, cmd, args) {
		cn.setLastCmd(cmd.Name, start)
		return
	}
	cn.setLastCmd(cmd.Name, start)
	if !cmd.Is(flagNoAuth) && cn.needsAuth() {
		s.refuse(cn, cmd, args, errNoAuth)
		return
	}
	if s.refuseInPubSub(cn, cmd) {
		return
	}
	if s.rejectWhileBusy(cmd) {
		s.refuse(cn, cmd, args, s.busyError())
		return
	}
	c := &Call{Args: args, Conn: cn, Srv: s, Cmd: cmd, r: cn.reply, canBlock: true, arrived: start, oom: s.outOfMemory(), fed: !mon}
	s.awaitTurn(c)
	if cmd.Is(flagWrite) && s.canGroup(cn, cmd) {
		if !s.runGrouped(cn, c) {
			busy := s.busyError()
			s.countRejected(cmd, busy)
			cn.reply.Error(busy)
			return
		}
		s.countCall(cmd, time.Since(start), c.failed)
		s.slowlogCall(cn, cmd, args, start)
		return
	}
	if cmd.Is(flagWrite) {
		// Taken here, not in run, so that BUSY is a rejection.
		c.Tx = s.beginHeldWrite(cn)
		cn.note.clear()
		if c.Tx == nil {
			busy := s.busyError()
			s.countRejected(cmd, busy)
			cn.reply.Error(busy)
			return
		}
	}
	cn.await(s.run(c))
	c.feedRun()
	if c.blocked != nil {
		// As in Redis, a command that blocks is logged when it is served,
		// after the write that served it, and not at all if it times out;
		// so is its latency (park).
		c.blocked.took = time.Since(start)
		s.countBlockedCall(cmd, c.blocked.took, c.failed)
		s.park(c.blocked)
		return
	}
	s.countCall(cmd, time.Since(start), c.failed)
	s.slowlogCall(cn, cmd, args, start)
}

// refuse answers a command refused before it runs, as Redis's
// rejectCommand does: inside MULTI the refusal voids the block, and a
// refused EXEC, in MULTI or not, answers EXECABORT with the reason, ends
// the block and drops the watched keys (Redis's execCommandAbort: the
// error counted is EXECABORT, and monitors see the EXEC, so that every
// MULTI they saw is closed).
func (s *Server) refuse(cn *Conn, cmd *Command, args [][]byte, msg string) {
	if cmd.Name == "exec" {
		cmd.stats.rejected.Add(1)
		cn.setMulti(nil)
		cn.unwatch()
		abort := "EXECABORT Transaction discarded because of: " + msg
		s.countError(abort)
		cn.reply.Error(abort)
		if s.monitors.active() {
			s.feedMonitors(cn.db, cn.addr, cmd, args)
		}
		return
	}
	s.countRejected(cmd, msg)
	if cn.multi != nil {
		cn.multi.failed = true
	}
	cn.reply.Error(msg)
}

// awaitTurn puts c in arrival order (arrival.go): a blocking pop takes
// the kernel's receive time as its arrival and waits for the requests
// that arrived before it; an ordered command (orderedCommands) keeps its
// note until it holds the write gate or has run. A write or PUBLISH waits
// for the ordered commands that arrived before it (waitsFor), while they
// are in use. Any other command just clears its note.
func (s *Server) awaitTurn(c *Call) {
	cn := c.Conn
	t := cn.note.at.Load()
	kind := orderKindOf(c.Cmd.Name, cn.watching.Load())
	waits := waitsFor(c.Cmd)
	s.sockets.mark(cn, kind != 0 || waits == 0)
	if cn.group != nil || kind == 0 {
		cn.note.clear()
		if t != 0 && cn.group == nil && waits != 0 {
			s.awaitOrderTurn(cn, t, c.arrived, waits)
		}
		return
	}
	s.orderSeen.note(kind, c.arrived.UnixNano())
	cn.note.kind.Store(uint32(kind))
	if t != 0 && blockingCommands[c.Cmd.Name] {
		c.arrived = time.Unix(0, t)
		s.awaitArrivalTurn(cn, t)
	}
}

// run executes c in the transaction its command's flags ask for: a write
// transaction for writes (begun by the caller, with beginWrite), a snapshot
// for reads, none for the rest. It returns what the reply must wait for to
// be durable. A write that replies with an error is discarded: a failing
// command leaves no partial effect.
func (s *Server) run(c *Call) (p storage.Pending) {
	if c.Cmd.Is(flagWrite) {
		// Deferred first, so it runs last: after the transaction ended,
		// also when the command panics.
		defer s.endWrite()
	}
	defer func() {
		// A bug in one command must not take the server down with every
		// other client's work: discard its transaction, report, go on.
		if r := recover(); r != nil {
			if c.Tx != nil {
				c.Tx.Discard()
			}
			s.logf(levelWarning, "panic in %s: %v\n%s", c.Cmd.Name, r, debug.Stack())
			c.Error("ERR internal error in '" + c.Cmd.Name + "' (logged)")
			p = storage.Pending{}
		}
	}()
	switch {
	case c.Cmd.Is(flagWrite):
		tx := c.Tx
		c.exec()
		if c.failed && !c.keepWrites {
			tx.Discard()
			c.feedRun()
			return s.db.ReadBarrier()
		}
		p, err := s.commitWrite(tx, c.Conn)
		if err != nil {
			s.logf(levelWarning, "commit failed: %v", err)
		}
		// Fed holding the write gate, so monitors see writes in the
		// order they ran.
		c.feedRun()
		return p
	case c.Cmd.Is(flagReadOnly):
		rd := s.trackReadBegin(c)
		var tx *storage.Tx
		if c.Cmd.Is(flagFast) && len(c.Args) <= maxPointArgs {
			// A few point reads: commits wait for it instead of it
			// paying for a snapshot (storage.BeginPointRead).
			tx = s.db.BeginPointRead()
		} else {
			tx = s.db.BeginRead()
		}
		c.Tx = tx
		c.exec()
		s.trackReadEnd(rd)
		return tx.Close()
	default:
		c.exec()
		return storage.Pending{}
	}
}

// maxPointArgs bounds the fast read commands (MGET, EXISTS, HMGET, ...)
// that run as point reads, holding commits off while they read: a longer
// one takes a snapshot instead.
const maxPointArgs = 64

// The write gate: every write transaction the server begins for a client
// (a write command, a script that may write) first takes the gate, a
// one-slot semaphore, then the store's write lock. Waiting on a channel
// instead of the lock lets a waiting writer give up with BUSY the moment a
// script holding the gate passes busy-reply-threshold, as Redis answers
// every writer during a slow script. Plain reads never wait: they run on
// snapshots, so a slow script does not stop them.

// beginWrite takes the write gate and begins a write transaction, or
// returns nil when a script past the busy threshold holds the gate. The
// caller ends the transaction, then calls endWrite.
func (s *Server) beginWrite() *storage.Tx {
	select {
	case s.writeGate <- struct{}{}:
	default:
		select {
		case s.writeGate <- struct{}{}:
		case <-s.scripts.Busy():
			return nil
		}
	}
	return s.db.BeginWrite()
}

// rejectWhileBusy reports whether cmd gets BUSY because a script is past
// busy-reply-threshold. As in Redis, every command does except the ones
// flagged allow_busy (SCRIPT KILL, SHUTDOWN, AUTH, ...), with Moonstone's
// exception: commands that only read data (flagged readonly, EVAL_RO among
// them) are served from the last committed state, since they never need
// the lock. EVAL, EVALSHA and FCALL decide for themselves once they know
// whether their script or function is read-only; writers waiting in
// beginWrite get BUSY there.
func (s *Server) rejectWhileBusy(cmd *Command) bool {
	if !s.scripts.IsBusy() || cmd.Is(flagReadOnly|flagAllowBusy|flagWrite) {
		return false
	}
	return cmd.Name != "eval" && cmd.Name != "evalsha" && cmd.Name != "fcall"
}

// endWrite releases the write gate after the transaction ended.
func (s *Server) endWrite() { <-s.writeGate }

// countCall counts one call of cmd in INFO commandstats and its latency
// histogram (latency.go).
func (s *Server) countCall(cmd *Command, d time.Duration, failed bool) {
	s.countBlockedCall(cmd, d, failed)
	s.recordLatency(cmd, d)
}

// countBlockedCall counts a call that blocked: its latency is recorded
// if and when it is served.
func (s *Server) countBlockedCall(cmd *Command, d time.Duration, failed bool) {
	cmd.stats.calls.Add(1)
	cmd.stats.usec.Add(d.Microseconds())
	if failed {
		cmd.stats.failed.Add(1)
	}
}

func (s *Server) countRejected(cmd *Command, msg string) {
	if cmd != nil {
		cmd.stats.rejected.Add(1)
	}
	s.countError(msg)
}

// countError records an error reply's code for INFO errorstats.
func (s *Server) countError(msg string) {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	code := msg
	for i := 0; i < len(msg); i++ {
		if msg[i] == ' ' {
			code = msg[:i]
			break
		}
	}
	if s.stats.perError == nil {
		s.stats.perError = make(map[string]int64)
	}
	s.stats.perError[code]++
	s.stats.errorReplies.Add(1)
}
