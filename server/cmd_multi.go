package server

import (
	"runtime/debug"
	"time"
)

// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//
// Between MULTI and EXEC a connection queues commands instead of running
// them. EXEC runs the queue in ONE storage write transaction, so the block
// commits as one Pebble batch: atomic on disk, like a script. As in Redis, a
// command that fails at run time (WRONGTYPE, ...) does not undo the others:
// EXEC is the one place where a failed write keeps its neighbours' effects.
// WATCH registers keys with storage's watch table (storage/watch.go); any
// committed change to one of them, or its expiry, makes EXEC reply with a
// null array.

// multiState is a connection's open MULTI block.
type multiState struct {
	queue []queuedCmd
	// failed is set when a command was refused at queue time: EXEC then
	// discards the whole block with EXECABORT.
	failed bool
}

type queuedCmd struct {
	cmd  *Command
	args [][]byte
}

// holds reports whether a command queued in the block satisfies f: the
// checks dispatch makes of an EXEC (refusedForMemory, refusedForReplicas).
func (m *multiState) holds(f func(cmd *Command, args [][]byte) bool) bool {
	for _, q := range m.queue {
		if f(q.cmd, q.args) {
			return true
		}
	}
	return false
}

const (
	errMultiNested  = "ERR MULTI calls can not be nested"
	errExecNoMulti  = "ERR EXEC without MULTI"
	errDiscardNoMul = "ERR DISCARD without MULTI"
	errWatchInMulti = "ERR WATCH inside MULTI is not allowed"
	errExecAbort    = "EXECABORT Transaction discarded because of previous errors."
	errNotInMulti   = "ERR Command not allowed inside a transaction"
)

// multiControl are the commands that run, not queue, inside MULTI.
var multiControl = map[string]bool{
	"exec": true, "discard": true, "multi": true, "watch": true, "quit": true, "reset": true,
}

// queueInMulti is dispatch's hook while cn is inside MULTI: it queues the
// request and answers +QUEUED, or refuses it (marking the block failed). It
// reports whether it handled the request; false leaves it to dispatch.
func (s *Server) queueInMulti(cn *Conn, cmd *Command, args [][]byte) bool {
	m := cn.multi
	if m == nil {
		return false
	}
	if !cmd.Is(flagNoAuth) && cn.needsAuth() {
		// dispatch replies with the error; the block is void.
		m.failed = true
		return false
	}
	if multiControl[cmd.Name] {
		return false
	}
	if cmd.Is(flagNoMulti) {
		m.failed = true
		s.countRejected(cmd, errNotInMulti)
		cn.reply.Error(errNotInMulti)
		return true
	}
	cp := make([][]byte, len(args))
	for i, a := range args {
		cp[i] = append([]byte(nil), a...)
	}
	m.queue = append(m.queue, queuedCmd{cmd: cmd, args: cp})
	cn.multiLen.Store(int32(len(m.queue) + 1))
	// Redis's multi-mem: the arguments' bytes plus a pointer each.
	size := int64(8 * len(args))
	for _, a := range args {
		size += int64(len(a))
	}
	cn.multiMem.Add(size)
	cn.reply.Status("QUEUED")
	return true
}

func cmdMulti(c *Call) {
	if c.Conn.multi != nil {
		c.Error(errMultiNested)
		return
	}
	c.Conn.setMulti(&multiState{})
	c.r.Status("OK")
}

func cmdDiscard(c *Call) {
	if c.Conn.multi == nil {
		c.Error(errDiscardNoMul)
		return
	}
	c.Conn.resetMulti()
	c.r.Status("OK")
}

func cmdExec(c *Call) {
	cn := c.Conn
	m := cn.multi
	if m == nil {
		c.Error(errExecNoMulti)
		return
	}
	cn.setMulti(nil)
	if m.failed {
		cn.unwatch()
		c.Error(errExecAbort)
		return
	}
	s := c.Srv
	// Through the write gate, like every writer: a script past the busy
	// threshold makes EXEC answer BUSY instead of waiting behind it.
	tx := s.beginHeldExec(cn, m.queue)
	if tx == nil {
		cn.unwatch()
		c.Error(s.busyError())
		return
	}
	defer s.endWrite()
	if cn.watch.Changed(tx) {
		tx.Discard()
		cn.unwatch()
		c.r.NullArray()
		return
	}
	cn.unwatch()
	c.r.Array(len(m.queue))
	for _, q := range m.queue {
		sub := &Call{Args: q.args, Conn: cn, Srv: s, Cmd: q.cmd, r: c.r, Tx: tx, oom: c.oom}
		if msg := s.aclRefuseQueued(sub); msg != "" {
			sub.Error(msg)
			continue
		}
		start := time.Now()
		s.runQueued(sub)
		s.trackQueuedRead(sub)
		s.countCall(q.cmd, time.Since(start), sub.failed)
		s.slowlogCall(cn, q.cmd, q.args, start)
		if s.monitors.active() {
			s.feedRun(cn.db, cn.addr, q.cmd, q.args)
		}
	}
	c.feedSelf()
	s.commitAndWait(tx, cn)
}

// runQueued runs one queued command on EXEC's transaction. Unlike a
// standalone write, an error reply does not discard anything: Redis keeps
// the effects of the other commands of the block.
func (s *Server) runQueued(c *Call) {
	defer func() {
		if r := recover(); r != nil {
			s.logf(levelWarning, "panic in %s: %v\n%s", c.Cmd.Name, r, debug.Stack())
			c.Error("ERR internal error in '" + c.Cmd.Name + "' (logged)")
		}
	}()
	c.exec()
}

func cmdWatch(c *Call) {
	cn := c.Conn
	if cn.multi != nil {
		c.Error(errWatchInMulti)
		return
	}
	tx := c.Srv.beginWrite()
	if tx == nil {
		c.Error(c.Srv.busyError())
		return
	}
	w, err := tx.Watch(cn.watch, c.DB(), c.Args[1:])
	tx.Discard()
	c.Srv.endWrite()
	cn.watch = w
	cn.watching.Store(w != nil)
	// From now on writes keep arrival order with this connection's EXEC.
	c.Srv.orderSeen.note(orderExec, time.Now().UnixNano())
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Status("OK")
}

func cmdUnwatch(c *Call) {
	c.Conn.unwatch()
	c.r.Status("OK")
}

// resetMulti ends an open MULTI block and every watch (DISCARD, RESET).
func (cn *Conn) resetMulti() {
	cn.setMulti(nil)
	cn.unwatch()
}

// setMulti opens (m) or ends (nil) a MULTI block.
func (cn *Conn) setMulti(m *multiState) {
	cn.multi = m
	cn.multiMem.Store(0)
	if m == nil {
		cn.multiLen.Store(0)
	} else {
		cn.multiLen.Store(int32(len(m.queue) + 1))
	}
}

func (cn *Conn) unwatch() {
	cn.watch.Release()
	cn.watch = nil
	cn.watching.Store(false)
}
