package server

import (
	"runtime/debug"
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

	mu       sync.Mutex
	perCmd   map[string]*cmdStats
	perError map[string]int64
}

type cmdStats struct {
	calls, usec, rejected, failed int64
}

// dispatch runs one client request: lookup, checks, execution, stats.
func (s *Server) dispatch(cn *Conn, args [][]byte) {
	s.stats.commandsProcessed.Add(1)
	cmd, reject := s.lookup(args)
	if cn.multi != nil && s.queueInMulti(cn, cmd, args) {
		cn.setLastCmd(cmd.Name)
		return
	}
	if cmd == nil {
		s.countRejected(nil, reject)
		cn.reply.Error(reject)
		return
	}
	cn.setLastCmd(cmd.Name)
	if !cn.authed.Load() && !cmd.Is(flagNoAuth) {
		s.countRejected(cmd, errNoAuth)
		cn.reply.Error(errNoAuth)
		return
	}
	start := time.Now()
	c := &Call{Args: args, Conn: cn, Srv: s, Cmd: cmd, r: cn.reply}
	cn.await(s.run(c))
	s.countCall(cmd, time.Since(start), c.failed)
}

// run executes c in the transaction its command's flags ask for: a write
// transaction for writes, a snapshot for reads, none for the rest. It
// returns what the reply must wait for to be durable. A write that replies
// with an error is discarded: a failing command leaves no partial effect.
func (s *Server) run(c *Call) (p storage.Pending) {
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
		tx := s.db.BeginWrite()
		c.Tx = tx
		c.Cmd.Run(c)
		if c.failed {
			tx.Discard()
			return s.db.ReadBarrier()
		}
		p, err := tx.Commit()
		if err != nil {
			s.logf(levelWarning, "commit failed: %v", err)
		}
		return p
	case c.Cmd.Is(flagReadOnly):
		tx := s.db.BeginRead()
		c.Tx = tx
		c.Cmd.Run(c)
		return tx.Close()
	default:
		c.Cmd.Run(c)
		return storage.Pending{}
	}
}

func (s *Server) countCall(cmd *Command, d time.Duration, failed bool) {
	s.stats.mu.Lock()
	st := s.cmdStatsLocked(cmd.Name)
	st.calls++
	st.usec += d.Microseconds()
	if failed {
		st.failed++
	}
	s.stats.mu.Unlock()
}

func (s *Server) countRejected(cmd *Command, msg string) {
	s.stats.mu.Lock()
	if cmd != nil {
		s.cmdStatsLocked(cmd.Name).rejected++
	}
	s.countErrorLocked(msg)
	s.stats.mu.Unlock()
}

// countError records an error reply's code for INFO errorstats.
func (s *Server) countErrorLocked(msg string) {
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

func (s *Server) cmdStatsLocked(name string) *cmdStats {
	if s.stats.perCmd == nil {
		s.stats.perCmd = make(map[string]*cmdStats)
	}
	st := s.stats.perCmd[name]
	if st == nil {
		st = &cmdStats{}
		s.stats.perCmd[name] = st
	}
	return st
}
