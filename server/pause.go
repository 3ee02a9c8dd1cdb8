package server

import (
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"moonstone/codec"
	"moonstone/scripting"
	"moonstone/storage"
)

// CLIENT PAUSE and CLIENT UNPAUSE.
//
// CLIENT PAUSE timeout [WRITE|ALL] holds commands until the pause ends:
// after timeout milliseconds, at CLIENT UNPAUSE, whichever comes first. ALL
// holds every command; WRITE holds the commands that may change the data
// set or reach other clients, Redis's is_may_replicate_command: commands
// flagged write or may_replicate (PUBLISH, SPUBLISH, PFCOUNT), a script or
// function that may write (EVAL, EVALSHA and FCALL of one without the
// no-writes flag, and of one without a shebang, which is flagged
// may_replicate), and EXEC of a block holding any of those. A held command
// is not refused: it waits, then is dispatched again from the top, as if
// it had just arrived (Redis processes an unblocked client's command
// afresh). A command with an error found before it would run (unknown,
// wrong arity, NOAUTH, BUSY, OOM, not allowed in MULTI or while
// subscribed) gets it at once, as in Redis, whose pause check comes after
// those.
//
// Invariants, and where they are kept:
//
//   - A server that is not paused pays one atomic load per command
//     (pauseState.active, read by dispatch), and one more per write
//     transaction (beginHeldWrite).
//   - A held command holds nothing: before it waits its connection ends
//     its pipelined write group (which holds the write gate), sends the
//     replies it had buffered and lets go of its output lock, so pub/sub
//     messages still reach it. It waits before its transaction begins.
//   - When CLIENT PAUSE WRITE (or ALL) replies OK, no write commits until
//     the pause ends. Commands run concurrently, so a write may have
//     passed dispatch's check just before the pause began: PAUSE waits
//     for the write gate once (every write that holds it or queues for it
//     before PAUSE commits first), and every write transaction looks at
//     the pause again once it holds the gate (beginHeldWrite), giving the
//     gate back and waiting if the pause now covers it.
//   - Held commands run in the order they were held. When the pause ends
//     they are released one at a time, each once the one before it has
//     run (or blocked, or left); CLIENT UNPAUSE replies after they all
//     have, so a command sent after its reply never runs before them.
//   - Expired keys stay in place while a pause is in force (Redis keeps
//     the data set static): the sweeper skips its passes
//     (storage.DB.HoldExpiry), and EXEC of a block of reads, the one write
//     transaction a WRITE pause lets commit, keeps the expired keys it
//     reads (storage.Tx.KeepExpired). Reads hide them as always. CLIENT
//     UNPAUSE runs one sweep before it replies.
//   - A held client that disconnects, or is killed, is dropped: its
//     command never runs. A watcher peeks at the socket as for a blocked
//     client (blocking.go park); the held command's arguments must not
//     alias the reader's buffer, which the peek may refill (they do not:
//     the reader copies them).
//
// A pause issued inside MULTI takes effect when EXEC's block is done: the
// block's later commands run in its transaction, which already holds the
// write gate, as Redis lets the rest of the transaction run.

type pauseMode int32

const (
	pauseOff pauseMode = iota
	pauseWrite
	pauseAll
)

// covers reports whether a pause of mode holds a command that may write
// (mayWrite) or only reads.
func (m pauseMode) covers(mayWrite bool) bool {
	return m == pauseAll || m == pauseWrite && mayWrite
}

// pauseState is the server's pause. Redis keeps one per purpose (the
// CLIENT command, shutdown, failover); Moonstone has only the first.
type pauseState struct {
	// active is mode, readable without the lock: the one thing dispatch
	// reads when the server is not paused.
	active atomic.Int32

	mu    sync.Mutex
	mode  pauseMode
	end   int64 // unix ms: the pause ends once the clock passes it
	timer *time.Timer
	held  []*heldCommand // in the order they were held
}

// heldCommand is one command waiting for a pause to end.
type heldCommand struct {
	cn       *Conn
	mayWrite bool
	// released is closed by the releaser, turn by the held client once
	// its command ran (or blocked, or will wait again, or never will).
	released, turn chan struct{}
	left           bool // its client left while held (guarded by mu)
}

const (
	errPauseMode    = "ERR CLIENT PAUSE mode must be WRITE or ALL"
	errPauseTimeout = "ERR timeout is not an integer or out of range"
)

// cmdClientPause is CLIENT PAUSE timeout [WRITE|ALL]. As in Redis, the
// mode is checked before the timeout, a timeout of 0 pauses nothing (but
// strengthens a pause in force), and a later PAUSE keeps the later end
// and the stronger mode of the two.
func cmdClientPause(c *Call) {
	if len(c.Args) > 4 {
		subcommandSyntaxError(c)
		return
	}
	mode := pauseAll
	if len(c.Args) == 4 {
		switch {
		case c.ArgIs(3, "write"):
			mode = pauseWrite
		case c.ArgIs(3, "all"):
		default:
			c.Error(errPauseMode)
			return
		}
	}
	ms, ok := codec.ParseInt(c.Args[2])
	if !ok {
		c.Error(errPauseTimeout)
		return
	}
	if ms < 0 {
		c.Error(errTimeoutNegative)
		return
	}
	var end int64
	if ms > 0 {
		// Wraps past math.MaxInt64 as Redis's mstime arithmetic does: a
		// pause that ends before it begins.
		end = nowMs() + ms
	}
	s := c.Srv
	p := &s.pause
	p.mu.Lock()
	prevMode, prevEnd := p.mode, p.end
	if p.mode != pauseOff {
		mode = max(mode, p.mode)
		end = max(end, p.end)
	}
	// Releases nobody, unless the pause in force had just ended.
	out := s.setPauseLocked(mode, end)
	p.mu.Unlock()
	if c.Tx != nil {
		// Inside EXEC the block's transaction holds the write gate: nothing
		// else is writing, and waiting for the gate would wait for ourselves.
		go s.release(out)
		c.OK()
		return
	}
	s.release(out)
	if !s.drainWrites() {
		// A script went past busy-reply-threshold while we waited for it:
		// Redis would have answered this PAUSE with BUSY.
		p.mu.Lock()
		out := s.setPauseLocked(prevMode, prevEnd)
		p.mu.Unlock()
		go s.release(out)
		c.Error(s.busyError())
		return
	}
	c.OK()
}

// cmdClientUnpause is CLIENT UNPAUSE: it ends the pause, runs the held
// commands in order, and one expiry sweep, then replies.
func cmdClientUnpause(c *Call) {
	s := c.Srv
	p := &s.pause
	p.mu.Lock()
	if p.mode == pauseOff {
		p.mu.Unlock()
		c.OK()
		return
	}
	out := s.setPauseLocked(pauseOff, 0)
	p.mu.Unlock()
	if c.Tx != nil {
		// Inside EXEC, which holds the write gate the held writes need.
		go s.release(out)
	} else {
		s.release(out)
		s.db.SweepNow(s.cfg.Databases())
	}
	c.OK()
}

// setPauseLocked makes the pause mode until end (a pause whose end has
// passed is none) and returns the held commands it no longer holds, in
// order. p.mu must be held.
func (s *Server) setPauseLocked(mode pauseMode, end int64) []*heldCommand {
	p := &s.pause
	now := nowMs()
	if mode == pauseOff || end < now {
		mode, end = pauseOff, 0
	}
	p.mode, p.end = mode, end
	p.active.Store(int32(mode))
	s.db.HoldExpiry(mode != pauseOff)
	if mode == pauseOff {
		if p.timer != nil {
			p.timer.Stop()
		}
	} else {
		d := time.Duration(end-now+1) * time.Millisecond
		if p.timer == nil {
			p.timer = time.AfterFunc(d, s.pauseTimedOut)
		} else {
			p.timer.Reset(d)
		}
	}
	var out []*heldCommand
	keep := p.held[:0]
	for _, h := range p.held {
		if mode.covers(h.mayWrite) {
			keep = append(keep, h)
		} else {
			out = append(out, h)
		}
	}
	clear(p.held[len(keep):])
	p.held = keep
	return out
}

// pauseTimedOut ends the pause once its end has passed.
func (s *Server) pauseTimedOut() {
	p := &s.pause
	p.mu.Lock()
	if p.mode == pauseOff {
		p.mu.Unlock()
		return
	}
	if now := nowMs(); now <= p.end {
		// Extended, or the timer fired within the last millisecond.
		p.timer.Reset(time.Duration(p.end-now+1) * time.Millisecond)
		p.mu.Unlock()
		return
	}
	out := s.setPauseLocked(pauseOff, 0)
	p.mu.Unlock()
	s.release(out)
}

// drainWrites waits until every write that holds the write gate, or
// queues for it, has ended: Go queues a channel's senders in order, so
// taking the gate once is enough. It reports false when a script passed
// busy-reply-threshold while it waited.
func (s *Server) drainWrites() bool {
	select {
	case s.writeGate <- struct{}{}:
	case <-s.scripts.Busy():
		return false
	}
	s.endWrite()
	return true
}

// release lets the held commands out, in order, each after the one
// before it took its turn. One that a pause begun since covers again
// stays held, behind the commands held meanwhile.
func (s *Server) release(out []*heldCommand) {
	var tick *time.Ticker
	for _, h := range out {
		p := &s.pause
		p.mu.Lock()
		if h.left {
			p.mu.Unlock()
			continue
		}
		if p.mode.covers(h.mayWrite) {
			p.held = append(p.held, h)
			p.mu.Unlock()
			continue
		}
		p.mu.Unlock()
		close(h.released)
		if tick == nil {
			tick = time.NewTicker(time.Millisecond)
			defer tick.Stop()
		}
		s.awaitHeldTurn(h, tick)
	}
}

// awaitHeldTurn waits until h's command ran, blocked (a blocking pop that
// found nothing), is held again (a pause begun since covers it) or left;
// or until a script holding the write gate went past
// busy-reply-threshold, which answers the next ones BUSY anyway.
func (s *Server) awaitHeldTurn(h *heldCommand, tick *time.Ticker) {
	busy := s.scripts.Busy()
	for {
		select {
		case <-h.turn:
			return
		case <-busy:
			return
		case <-s.done:
			return
		case <-tick.C:
			if s.parked(h.cn.id) || s.isHeld(h.cn.id) {
				return
			}
		}
	}
}

// parked reports whether the client with id is blocked in a blocking
// command.
func (s *Server) parked(id int64) bool {
	s.blocks.mu.Lock()
	defer s.blocks.mu.Unlock()
	return s.blocks.byConn[id] != nil
}

// holdWhilePaused is dispatch's hook while a pause is in force. When the
// pause covers cn's command it holds it, then, once released, dispatches
// it again from the top, as Redis processes a client it unblocks afresh
// (a newer pause may hold it again), and reports true: dispatch is done
// with the request, which also holds when the client left while held and
// the command never ran. It reports false for a command the pause does
// not hold: dispatch goes on with it.
func (s *Server) holdWhilePaused(cn *Conn, cmd *Command, args [][]byte) bool {
	if s.refusedBeforePause(cn, cmd) {
		return false
	}
	mayWrite := s.mayReplicate(cn, cmd, args)
	if !s.pause.covers(mayWrite) {
		return false // most commands during a WRITE pause: no lock taken
	}
	cn.setLastCmd(cmd.Name, time.Now()) // CLIENT LIST names the held command
	h, ok := s.hold(cn, mayWrite, true)
	if h == nil {
		return false // the pause ended meanwhile
	}
	if ok {
		s.stats.commandsProcessed.Add(-1) // counted again by dispatch
		s.dispatch(cn, args)
		close(h.turn)
	}
	return true
}

// refusedBeforePause reports whether dispatch refuses cmd for a reason
// Redis checks before the pause: the client gets that error at once.
func (s *Server) refusedBeforePause(cn *Conn, cmd *Command) bool {
	switch {
	case !cmd.Is(flagNoAuth) && cn.needsAuth():
		return true
	case cn.multi != nil && cmd.Is(flagNoMulti) && !multiControl[cmd.Name]:
		return true
	case cn.resp == 2 && cn.inPubSub() && !allowedWhileSubscribed(cmd.Name):
		return true
	}
	// BUSY: every command but the allow_busy ones, and the reads Moonstone
	// serves from the last commit (rejectWhileBusy); writers get it when
	// they try the write gate.
	return s.scripts.IsBusy() && !cmd.Is(flagAllowBusy|flagReadOnly)
}

// beginHeldWrite is beginWrite for a client's command that writes: once
// it holds the write gate, it looks at the pause again, and if a pause
// begun since dispatch let the command through covers it, gives the gate
// back, waits like any held command and tries again. nil means BUSY, as
// from beginWrite.
func (s *Server) beginHeldWrite(cn *Conn) *storage.Tx {
	return s.beginHeld(cn, false, nil)
}

// beginHeldExec is beginHeldWrite for EXEC of queue, a block that may
// write or only read. During a pause, a block of reads keeps the expired
// keys it reads (keepExpiredInPause).
func (s *Server) beginHeldExec(cn *Conn, queue []queuedCmd) *storage.Tx {
	tx := s.beginHeld(cn, true, queue)
	if tx != nil && s.pause.inForce() && !s.blockMayReplicate(queue) {
		tx.KeepExpired()
	}
	return tx
}

// beginHeld is beginHeldWrite and beginHeldExec (exec). Whether an EXEC
// block may write is worked out only while a pause is in force.
func (s *Server) beginHeld(cn *Conn, exec bool, queue []queuedCmd) *storage.Tx {
	for {
		tx := s.beginWrite()
		if tx == nil || !s.pause.inForce() {
			return tx
		}
		mayWrite := !exec || s.blockMayReplicate(queue)
		if !s.pause.covers(mayWrite) {
			return tx
		}
		tx.Discard()
		s.endWrite()
		// The command is under way: its client may leave, its reply is
		// then lost, as for a client that leaves while any command runs.
		// Its place in the order of release is kept, not its turn.
		if h, ok := s.hold(cn, mayWrite, false); h != nil && ok {
			close(h.turn)
		}
	}
}

// inForce reports whether a pause is in force: one atomic load.
func (p *pauseState) inForce() bool { return p.active.Load() != int32(pauseOff) }

// covers reports whether the pause in force holds a command that may
// write (mayWrite) or only reads.
func (p *pauseState) covers(mayWrite bool) bool {
	return pauseMode(p.active.Load()).covers(mayWrite)
}

// hold waits while the pause covers a command of cn's that may write
// (mayWrite) or only reads. From dispatch (prepare), the connection first
// ends its write group, sends its buffered replies and lets go of its
// output lock, and a watcher notices the client leaving. It returns the
// command's last heldCommand, nil if it was not held after all, and false
// when the client left or the server is shutting down. Once released,
// the caller closes h.turn when the command's turn is over.
func (s *Server) hold(cn *Conn, mayWrite, prepare bool) (h *heldCommand, ok bool) {
	p := &s.pause
	unlocked := false
	defer func() {
		if unlocked {
			cn.out.Lock()
		}
	}()
	for {
		p.mu.Lock()
		if !p.mode.covers(mayWrite) {
			p.mu.Unlock()
			return h, true
		}
		if h != nil {
			// Released, then covered again by a newer pause.
			close(h.turn)
		}
		h = &heldCommand{cn: cn, mayWrite: mayWrite, released: make(chan struct{}), turn: make(chan struct{})}
		p.held = append(p.held, h)
		p.mu.Unlock()
		if prepare && !unlocked {
			unlocked = s.letGoWhileHeld(cn)
		}
		if !s.waitReleased(h, prepare) {
			p.mu.Lock()
			h.left = true
			for i, x := range p.held {
				if x == h {
					p.held = append(p.held[:i], p.held[i+1:]...)
					break
				}
			}
			p.mu.Unlock()
			close(h.turn)
			return h, false
		}
	}
}

// letGoWhileHeld readies cn to wait: its write group commits (it holds the
// write gate), its arrival note ends (arrival.go: others would wait for
// it), its buffered replies go out and its output lock is released, so
// that pub/sub messages reach it meanwhile. Under CLIENT REPLY OFF or
// SKIP the replies stay, and so does the lock. It reports whether it
// released the lock.
func (s *Server) letGoWhileHeld(cn *Conn) bool {
	s.endGroup(cn)
	cn.note.clear()
	if cn.replyMark() >= 0 {
		return false
	}
	if cn.w.Len() > 0 {
		cn.flush()
	}
	cn.out.Unlock()
	return true
}

// waitReleased waits for h's release. It reports false when the client
// left (watched by reading ahead on its socket when watch is set, as
// park does, else by looking for CLIENT KILL now and then) or the
// server is shutting down. A client whose stream ended closes without
// running the requests it sent behind the held one, as Redis frees it.
func (s *Server) waitReleased(h *heldCommand, watch bool) bool {
	cn := h.cn
	var gone, watched chan struct{}
	var poll <-chan time.Time
	if watch {
		gone, watched = make(chan struct{}), make(chan struct{})
		cn.nc.SetReadDeadline(time.Time{})
		go func() {
			defer close(watched)
			if err := cn.rd.awaitEnd(); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				close(gone)
			}
		}()
		defer func() {
			// Stop the watcher: an expired deadline ends its read.
			cn.nc.SetReadDeadline(time.Now())
			<-watched
			cn.nc.SetReadDeadline(time.Time{})
		}()
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	poll = t.C
	for {
		select {
		case <-h.released:
			return true
		case <-gone:
			cn.closeAfterReply = true
			return false
		case <-s.done:
			return false
		case <-poll:
			if cn.killed.Load() {
				return false
			}
		}
	}
}

// heldCount is the number of held commands, for INFO blocked_clients.
func (s *Server) heldCount() int {
	s.pause.mu.Lock()
	defer s.pause.mu.Unlock()
	return len(s.pause.held)
}

// isHeld reports whether the client with id is held (CLIENT LIST flag b).
func (s *Server) isHeld(id int64) bool {
	s.pause.mu.Lock()
	defer s.pause.mu.Unlock()
	for _, h := range s.pause.held {
		if h.cn.id == id {
			return true
		}
	}
	return false
}

// mayReplicate is Redis's is_may_replicate_command for one request: the
// command's write or may_replicate flag, with scripts' and functions'
// declared flags in place of EVAL's and FCALL's own, and for EXEC, any
// command of the block.
func (s *Server) mayReplicate(cn *Conn, cmd *Command, args [][]byte) bool {
	if cmd.Name == "exec" {
		return cn != nil && cn.multi != nil && s.blockMayReplicate(cn.multi.queue)
	}
	if shebang, flags := s.scriptFlags(cmd, args); shebang {
		return flags&scripting.FlagNoWrites == 0
	}
	return cmd.Is(flagWrite | flagMayReplicate)
}

// blockMayReplicate reports whether a MULTI block holds a command that
// may write.
func (s *Server) blockMayReplicate(queue []queuedCmd) bool {
	for _, q := range queue {
		if s.mayReplicate(nil, q.cmd, q.args) {
			return true
		}
	}
	return false
}
