package server

import (
	"runtime/debug"

	"moonstone/storage"
)

// Pipelined writes share a transaction. When a client sends several simple
// writes at once (redis-benchmark -P 16, a client library's pipeline, a
// bulk load), each would otherwise take the write gate, begin a batch and
// commit it on its own; most of a pipelined SET's time went to that. Instead
// the connection keeps its write transaction open while the next command
// already in its read buffer is another simple write, and commits them all
// as one batch: one gate handoff, one WAL record, one fsync wait for the
// lot. Replies are sent only after the commit is durable, as always, so no
// client can tell the difference, with three cares:
//
//   - The group holds the write lock, so it never waits for the network
//     with it: it ends (commits) before the connection reads a command that
//     is not wholly buffered, before replies are flushed, and after
//     maxGroup commands or maxGroupBytes of batch.
//   - A command that makes a key ready for a blocked client ends the group
//     at once, so the blocked client is served before the pipeline's next
//     command runs, as Redis serves it after each command.
//   - A failing command must leave no effect. The commands grouped here
//     check their arguments and types before they write, so a failure
//     leaves the batch as it was; should one ever write and then fail (or
//     panic), the group is abandoned: its batch is discarded, its replies
//     are taken back, and its commands run again one by one, each in its
//     own transaction, before the failing one.

// groupable lists the commands that may share a pipelined transaction:
// plain writes of one or a few keys that never block and never draw
// random numbers (so running one again gives the same result).
var groupable = map[string]bool{
	"set": true, "setnx": true, "setex": true, "psetex": true, "getset": true, "getdel": true,
	"mset": true, "append": true, "setrange": true,
	"incr": true, "decr": true, "incrby": true, "decrby": true, "incrbyfloat": true,
	"hset": true, "hsetnx": true, "hmset": true, "hdel": true, "hincrby": true, "hincrbyfloat": true,
	"lpush": true, "rpush": true, "lpushx": true, "rpushx": true, "lpop": true, "rpop": true, "lset": true,
	"sadd": true, "srem": true,
	"zadd": true, "zincrby": true, "zrem": true,
	"del": true, "unlink": true,
	"expire": true, "pexpire": true, "expireat": true, "pexpireat": true, "persist": true,
}

const (
	maxGroup      = 64      // commands in one group
	maxGroupBytes = 4 << 20 // batch size past which a group commits
)

// writeGroup is a connection's open pipelined transaction.
type writeGroup struct {
	tx    *storage.Tx
	mark  int // where the group's replies start in the connection's buffer
	calls []*Call
}

// canGroup reports whether cmd, about to run for cn, may join (or start) a
// pipelined transaction.
func (s *Server) canGroup(cn *Conn, cmd *Command) bool {
	if !groupable[cmd.Name] || cn.multi != nil || cn.replyOff || cn.replySkip || cn.replySkipNext {
		return false
	}
	return cn.group != nil || cn.rd.CommandBuffered()
}

// runGrouped runs c, a groupable write, in cn's open group, starting one if
// there is none. It reports false when the write gate was not to be had
// (a script past the busy threshold holds it): c then has not run.
func (s *Server) runGrouped(cn *Conn, c *Call) bool {
	g := cn.group
	if g == nil {
		tx := s.beginHeldWrite(cn)
		if tx == nil {
			return false
		}
		g = &writeGroup{tx: tx, mark: cn.w.Len()}
		cn.group = g
	}
	c.Tx = g.tx
	before := g.tx.Writes()
	if !s.runInGroup(c) || c.failed && g.tx.Writes() != before {
		s.abandonGroup(cn, c)
		return true
	}
	if c.failed {
		// As for any failing write: its reply waits for what it read.
		cn.await(s.db.ReadBarrier())
	}
	g.calls = append(g.calls, c)
	if len(g.calls) >= maxGroup || g.tx.BatchBytes() >= maxGroupBytes || g.tx.HasReady() {
		s.endGroup(cn)
	}
	return true
}

// runInGroup runs c's command, reporting false if it panicked.
func (s *Server) runInGroup(c *Call) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			s.logf(levelWarning, "panic in %s: %v\n%s", c.Cmd.Name, r, debug.Stack())
			ok = false
		}
	}()
	c.exec()
	return true
}

// endGroup commits cn's open group, if any, and releases the write gate.
func (s *Server) endGroup(cn *Conn) {
	g := cn.group
	if g == nil {
		return
	}
	cn.group = nil
	p, err := s.commitWrite(g.tx, cn)
	if err != nil {
		s.logf(levelWarning, "commit failed: %v", err)
	}
	// Monitors see the group's commands once they are committed, before
	// another writer's (an abandoned group's commands are fed when they
	// run again, alone).
	for _, c := range g.calls {
		c.feedRun()
	}
	s.endWrite()
	cn.await(p)
}

// abandonGroup handles a grouped command that failed after writing: the
// shared batch cannot lose just its writes, so the group's batch and
// replies are dropped and its commands run again alone, the failing one
// last, which discards its own transaction as every failing write does.
func (s *Server) abandonGroup(cn *Conn, failed *Call) {
	g := cn.group
	cn.group = nil
	g.tx.Discard()
	s.endWrite()
	cn.w.Truncate(g.mark)
	for _, c := range append(g.calls, failed) {
		c.Tx, c.failed = nil, false
		if c.Tx = s.beginWrite(); c.Tx == nil {
			busy := s.busyError()
			s.countRejected(c.Cmd, busy)
			cn.reply.Error(busy)
			continue
		}
		cn.await(s.run(c))
	}
}
