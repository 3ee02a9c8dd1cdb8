package server

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// MONITOR, as Redis 7.0's: a monitoring connection gets +OK, then one
// status line per command the server runs, from every client, itself
// included:
//
//	+1700000000.123456 [0 127.0.0.1:50000] "set" "k" "v"
//
// What is fed, and when, follows Redis's call():
//   - a command is fed after it ran, whatever it replied (a WRONGTYPE
//     too), with the database selected after it (SELECT 3 shows 3);
//   - a command refused before it runs is not (unknown, wrong arity,
//     NOAUTH, BUSY, OOM, queued in MULTI, the subscribed-mode refusal);
//   - commands flagged admin or skip_monitor are never fed; EVAL, EVALSHA,
//     FCALL and their _RO forms (skip_monitor) feed themselves before
//     their script runs, so the commands the script calls, fed as
//     "[db lua]", come after the line of the script (Call.feedSelf);
//   - MULTI is fed when it runs, the queued commands when EXEC runs them,
//     then EXEC; an EXEC that aborts (EXECABORT) is fed too, so a monitor
//     sees every MULTI closed;
//   - secrets are redacted as in the slow log (redacted, slowlog.go).
//
// A monitoring connection may not touch the keyspace: commands flagged
// write or readonly, and the ones Redis flags may_replicate, get Redis's
// "Replica can't interact with the keyspace"; others (PING, INFO, CLIENT,
// SUBSCRIBE, ...) run. RESET stops monitoring, QUIT closes. A second
// MONITOR is ignored without a reply, as in Redis, and MONITOR inside
// MULTI answers an error when EXEC runs it.
//
// Delivery reuses the pub/sub queue (pubsub.go): each line is pushed to the
// monitor's queue and written by its writer between replies, once the
// commits made before it are durable. The queue counts against the normal
// class of client-output-buffer-limit, as Redis counts a monitor (no limit
// by default). Lines queued when the monitor's own command starts are
// written before that command's reply, as Redis's output buffer would have
// them.
//
// Cost. dispatch loads monitorRegistry.n once per command (Call.fed
// carries the answer to run and endGroup); with no monitor that load is
// all MONITOR costs. So does each command EXEC or a script runs.
//
// Order. Writes, scripts and EXEC feed while they hold the write gate, so
// their lines are in the order they ran, a script's calls right after its
// line, EXEC's commands right before its; commands that take no write
// lock (reads, MULTI, PING, ...) run concurrently in Moonstone and their
// lines may come between those.

type monitorRegistry struct {
	// n is the number of monitoring connections: the one atomic load a
	// command pays when nobody monitors.
	n     atomic.Int32
	mu    sync.RWMutex
	conns []*Conn
	// Limits of the normal client class (client-output-buffer-limit),
	// which Redis applies to monitors.
	limits queueLimits
}

const (
	errMonitorDenyBlocking = "ERR MONITOR isn't allowed for DENY BLOCKING client"
	errMonitorKeyspace     = "ERR Replica can't interact with the keyspace"
)

// active reports whether any connection monitors.
func (m *monitorRegistry) active() bool { return m.n.Load() != 0 }

func (s *Server) startMonitor(cn *Conn) {
	reg := &s.pubsub
	reg.mu.Lock()
	cn.pubsubStateLocked()
	reg.mu.Unlock()
	m := &s.monitors
	m.mu.Lock()
	m.conns = append(m.conns, cn)
	cn.monitor.Store(true)
	m.n.Store(int32(len(m.conns)))
	m.mu.Unlock()
}

// stopMonitor ends cn's monitoring (RESET, disconnect). Once it returns no
// line is pushed to cn any more.
func (s *Server) stopMonitor(cn *Conn) {
	if !cn.monitor.Load() {
		return
	}
	m := &s.monitors
	m.mu.Lock()
	for i, c := range m.conns {
		if c == cn {
			m.conns = append(m.conns[:i:i], m.conns[i+1:]...)
			break
		}
	}
	cn.monitor.Store(false)
	m.n.Store(int32(len(m.conns)))
	m.mu.Unlock()
}

func cmdMonitor(c *Call) {
	cn := c.Conn
	if !c.canBlock {
		// Inside EXEC: a client that expects one reply per command.
		c.Error(errMonitorDenyBlocking)
		return
	}
	if cn.monitor.Load() {
		return
	}
	c.Srv.startMonitor(cn)
	c.OK()
}

// monitorRefuses is dispatch's check for a monitoring connection: it
// writes the pending lines before the command's reply and refuses the
// commands that touch the keyspace, replying and reporting true.
func (s *Server) monitorRefuses(cn *Conn, cmd *Command, args [][]byte) bool {
	cn.drainPushes()
	if s.refuseInPubSub(cn, cmd) {
		// Redis checks subscribed mode first.
		return true
	}
	if !cmd.Is(flagWrite|flagReadOnly|flagMayReplicate) && !mayReplicate[cmd.Name] {
		return false
	}
	s.refuse(cn, cmd, args, errMonitorKeyspace)
	return true
}

// mayReplicate are the commands Redis 7.0 flags may_replicate. The table
// leaves that flag off, because scriptHost.Call reads it as "write" and a
// read-only script may PUBLISH in Moonstone; for a monitor they count as
// touching the keyspace, as in Redis.
var mayReplicate = map[string]bool{
	"eval": true, "evalsha": true, "fcall": true, "publish": true, "spublish": true, "pfcount": true,
}

// feedRun feeds a command that ran: a client's (dispatch, EXEC) or a
// script's, unless Redis keeps it from monitors. The caller has checked
// monitors.active().
func (s *Server) feedRun(db int, from string, cmd *Command, args [][]byte) {
	if !cmd.Is(flagAdmin | flagSkipMonitor) {
		s.feedMonitors(db, from, cmd, args)
	}
}

// feedRun feeds c's command after it ran, once. dispatch sets fed when
// nobody monitored as the command began: then this costs no atomic load.
// Writes are fed holding the write gate (run, endGroup), so monitors see
// them in the order they ran.
func (c *Call) feedRun() {
	if !c.fed {
		c.fed = true
		c.Srv.feedRun(c.Conn.db, c.Conn.addr, c.Cmd, c.Args)
	}
}

// feedSelf is the line of a command that feeds itself, once: EVAL,
// EVALSHA and FCALL (flagged skip_monitor) when their script is about to
// run, holding its transaction, so that the script's calls follow the
// line with no other writer's between them (a script that cannot run
// feeds itself when it fails); EXEC after its commands, before it lets
// other writers in.
func (c *Call) feedSelf() {
	if !c.fed && c.Srv.monitors.active() {
		c.Srv.feedMonitors(c.Conn.db, c.Conn.addr, c.Cmd, c.Args)
	}
	c.fed = true
}

// feedMonitors sends one command to every monitor. from is the client's
// address, or "lua" for a command a script called; db is the database
// selected when it ran.
func (s *Server) feedMonitors(db int, from string, cmd *Command, args [][]byte) {
	now := time.Now()
	line := make([]byte, 0, 64+len(from)+8*len(args))
	line = append(line, '+')
	line = strconv.AppendInt(line, now.Unix(), 10)
	line = append(line, '.')
	us := now.Nanosecond() / 1000
	for d := 100000; d > 1 && us < d; d /= 10 {
		line = append(line, '0')
	}
	line = strconv.AppendInt(line, int64(us), 10)
	line = append(line, " ["...)
	line = strconv.AppendInt(line, int64(db), 10)
	line = append(line, ' ')
	line = append(line, from...)
	line = append(line, "] "...)
	for j, a := range args {
		if j > 0 {
			line = append(line, ' ')
		}
		if redacted(cmd, args, j) {
			a = []byte("(redacted)")
		}
		line = appendRepr(line, a)
	}
	line = append(line, '\r', '\n')
	msg := pushMsg{kind: pushRaw, payload: line}
	m := &s.monitors
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, cn := range m.conns {
		cn.ps.push(cn, msg, &m.limits)
	}
}

// appendRepr appends s quoted as Redis's sdscatrepr does: in double quotes,
// with \\ \" \n \r \t \a \b escaped, other printable ASCII as it is and
// every other byte as \xhh.
func appendRepr(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, c := range s {
		switch c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if c >= 0x20 && c <= 0x7e {
				b = append(b, c)
			} else {
				b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
			}
		}
	}
	return append(b, '"')
}
