package server

import (
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"moonstone/codec"
	"moonstone/scripting"
	"moonstone/storage"
)

// Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT.
//
// A script runs in one storage transaction. A script that may write takes
// the write gate and the write lock for its whole run (Redis's isolation),
// and its batch commits when it returns, error replies included, or is
// discarded when it raises, is killed, or goes over its memory budget:
// nothing of a failed script survives. A read-only script (EVAL_RO,
// EVALSHA_RO, or "#!lua flags=no-writes") runs on a snapshot without the
// lock, in parallel with writers. Commands the script calls run through
// the same table and handlers as a client's, inside that transaction.

const (
	errNotAllowedFromScript = "ERR This Redis command is not allowed from script"
	errUnknownFromScript    = "ERR Unknown Redis command called from script"
	errArityFromScript      = "ERR Wrong number of args calling Redis command from script"
	errWriteFromReadOnly    = "ERR Write commands are not allowed from read-only scripts."
	errWriteFlagWithRO      = "ERR Can not execute a script with write flag using *_ro command."
	errNotBusy              = "NOTBUSY No scripts in execution right now."
)

func cmdEval(c *Call) {
	defer c.feedSelf()
	evalGeneric(c, false)
}

func cmdEvalSHA(c *Call) {
	defer c.feedSelf()
	if len(c.Args[1]) != 40 {
		c.Error(scripting.ErrNoScript.Error())
		return
	}
	evalGeneric(c, true)
}

// scriptArgs splits the arguments after a script call's numkeys (args[2])
// into KEYS and ARGV, with Redis's errors. notNumber is the reply when
// numkeys is not an integer, which EVAL and FCALL word differently.
func scriptArgs(c *Call, notNumber string) (keys, argv [][]byte, ok bool) {
	numkeys, ok := codec.ParseInt(c.Args[2])
	switch {
	case !ok:
		c.Error(notNumber)
	case numkeys > int64(len(c.Args)-3):
		c.Error("ERR Number of keys can't be greater than number of args")
	case numkeys < 0:
		c.Error("ERR Number of keys can't be negative")
	default:
		return c.Args[3 : 3+numkeys], c.Args[3+numkeys:], true
	}
	return nil, nil, false
}

func evalGeneric(c *Call, bySHA bool) {
	keys, argv, ok := scriptArgs(c, errNotInteger)
	if !ok {
		return
	}
	engine := c.Srv.scripts
	var s *scripting.Script
	var err error
	if bySHA {
		s, err = engine.BySHA(string(c.Args[1]))
	} else {
		s, err = engine.ForEval(c.Args[1])
	}
	if err != nil {
		c.Error(err.Error())
		return
	}
	roCommand := c.Cmd.Name == "eval_ro" || c.Cmd.Name == "evalsha_ro"
	if roCommand && s.Shebang && !s.ReadOnly() {
		c.Error(errWriteFlagWithRO)
		return
	}
	runScript(c, roCommand || s.ReadOnly(), allowsOOM(s.Shebang, s.Flags), func(h *scriptHost, out scripting.Reply) {
		engine.Run(s, h, keys, argv, h.writer, out)
	})
}

// runScript runs a script or a function (run) in its own transaction: a
// snapshot when readOnly, else the write gate and lock for the whole run
// (BUSY if a script past the busy threshold holds them). Inside MULTI or
// for *_RO commands the transaction dispatch opened is used. allowOOM is
// the script's allow-oom flag.
func runScript(c *Call, readOnly, allowOOM bool, run func(h *scriptHost, out scripting.Reply)) {
	sr := new(scriptRun)
	h := &sr.host
	*h = scriptHost{srv: c.Srv, readOnly: readOnly, oom: c.oom && !allowOOM, caller: c, conn: &sr.conn}
	sr.conn = Conn{srv: c.Srv, id: c.Conn.id, db: c.Conn.db, resp: 2, addr: c.Conn.addr, laddr: c.Conn.laddr, created: c.Conn.created}
	h.conn.authed.Store(true)
	h.conn.user.Store(c.Conn.user.Load())
	switch {
	case c.Tx != nil:
		// EVAL_RO and EVALSHA_RO are flagged readonly: dispatch opened
		// their snapshot and closes it.
		h.tx = c.Tx
	case h.readOnly:
		defer c.Srv.trackReadEnd(c.Srv.trackReadBegin(c))
		h.tx = c.Srv.db.BeginRead()
		defer func() { c.Conn.await(h.tx.Close()) }()
	default:
		if h.tx = c.Srv.beginHeldWrite(c.Conn); h.tx == nil {
			// Refused, as Redis refuses a script while another is
			// busy, before it runs: not fed.
			c.fed = true
			c.Error(c.Srv.busyError())
			return
		}
		h.writer = true
		// Should the engine panic, the lock must not stay taken.
		defer h.abort()
	}
	c.feedSelf()
	h.track = c.Srv.trackScript(c)
	out := &sr.out
	*out = errorWatch{Reply: c.r, srv: c.Srv}
	run(h, out)
	if out.failed {
		c.failed = true
	}
	if h.writer {
		c.Conn.await(h.pending)
	}
}

// scriptRun is what a script run needs of its own, allocated in one
// piece: the host, the script's connection state, the watch on its reply.
type scriptRun struct {
	host scriptHost
	conn Conn
	out  errorWatch
}

// errorWatch keeps the statistics of a script's reply, as Redis 7.0 does:
// every error in it (nested ones too) makes the call a failed one and
// counts in INFO errorstats, except an error a command the script called
// gave (scripting.CountedErrorWriter): that one was counted when the
// command replied (Call.Error).
type errorWatch struct {
	Reply
	srv    *Server
	failed bool
}

func (w *errorWatch) Error(msg string) {
	w.failed = true
	w.srv.countError(msg)
	w.Reply.Error(msg)
}

// CountedError is scripting.CountedErrorWriter.
func (w *errorWatch) CountedError(msg string) {
	w.failed = true
	w.Reply.Error(msg)
}

// scriptHost is the server side of one script run (scripting.Host): it
// holds the run's transaction and the script's own connection state, so a
// SELECT inside the script does not change the caller's database.
type scriptHost struct {
	srv      *Server
	conn     *Conn
	caller   *Call // the EVAL or FCALL that runs the script
	tx       *storage.Tx
	writer   bool // holds the write gate and lock
	readOnly bool // write commands are refused
	ended    bool // Finish ran
	poisoned bool // a command panicked: the batch must not commit
	// oom: the server was out of memory when the script began and it
	// may not ignore that, so its denyoom commands are refused until
	// one of its writes has run (Redis's scriptVerifyOOM: a script is
	// not stopped halfway).
	oom     bool
	wrote   bool
	pending storage.Pending
	// track registers the caller's keys when the script calls a read
	// command and the caller tracks them (tracking.go); nil otherwise.
	track *trackedRead
	// call is the Call that each redis.call reuses: nothing keeps a Call
	// past its command (no command blocks in a script, and what commands
	// defer to their commit holds keys and values, not the Call).
	call Call
}

// abort discards a writer's transaction that Finish never ended.
func (h *scriptHost) abort() {
	if h.writer && !h.ended {
		h.Finish(false)
	}
}

// Call runs one command for redis.call / redis.pcall, with Redis's checks
// (script.c scriptCall) before it.
func (h *scriptHost) Call(args [][]byte, out scripting.Reply) {
	s := h.srv
	s.stats.commandsProcessed.Add(1)
	cmd, reject := s.scriptLookup(args)
	if cmd == nil {
		s.countRejected(nil, reject)
		out.Error(reject)
		return
	}
	if !cmd.Is(flagNoScript) && !h.conn.aclOpen() {
		reject = h.aclRefuse(cmd, args) // acl_check.go
	}
	switch {
	case cmd.Is(flagNoScript) && !s.scriptMayCall(cmd):
		reject = errNotAllowedFromScript
	case reject != "":
	case h.readOnly && cmd.Is(flagWrite|flagMayReplicate):
		reject = errWriteFromReadOnly
	case !h.wrote && cmd.Is(flagWrite) && s.noReplicas.Load():
		reject = errNoReplicas
	case h.oom && !h.wrote && cmd.Is(flagDenyOOM):
		reject = errOOM
	}
	if reject != "" {
		s.countRejected(cmd, reject)
		out.Error(reject)
		return
	}
	if cmd.Is(flagWrite) {
		h.wrote = true
	}
	c := &h.call
	*c = Call{Args: args, Tx: h.tx, Conn: h.conn, Srv: s, Cmd: cmd, r: out}
	start := time.Now()
	defer func() {
		// A bug in a command must not commit whatever half of its work
		// is in the batch, even if the script catches the error.
		if r := recover(); r != nil {
			h.poisoned = true
			s.logf(levelWarning, "panic in %s called from a script: %v\n%s", cmd.Name, r, debug.Stack())
			// Counted like any error a command gives a script.
			c.Error("ERR internal error in '" + cmd.Name + "' (logged)")
			s.countCall(cmd, time.Since(start), true)
		}
	}()
	c.exec()
	if h.track != nil && cmd.Is(flagReadOnly) {
		s.trackScriptRead(h)
	}
	s.countCall(cmd, time.Since(start), c.failed)
	s.slowlogCall(nil, cmd, args, start)
	if s.monitors.active() {
		s.feedRun(h.conn.db, "lua", cmd, args)
	}
}

// scriptLookup finds the command a script calls, with the error texts
// Redis gives scripts.
func (s *Server) scriptLookup(args [][]byte) (*Command, string) {
	cmd := s.command(s.commands, args[0])
	if cmd == nil {
		return nil, errUnknownFromScript
	}
	if cmd.Subcommands != nil && len(args) > 1 {
		if cmd = s.command(cmd.Subcommands, args[1]); cmd == nil {
			return nil, errUnknownFromScript
		}
	}
	if !cmd.arityOK(len(args)) || cmd.Run == nil {
		return nil, errArityFromScript
	}
	return cmd, ""
}

// ACLCheckCmd is redis.acl_check_cmd: whether args name a command, and
// whether the script's user may run it so.
func (h *scriptHost) ACLCheckCmd(args [][]byte) (exists, allowed bool) {
	cmd := h.srv.command(h.srv.commands, args[0])
	if cmd != nil && cmd.Subcommands != nil && len(args) > 1 {
		cmd = h.srv.command(cmd.Subcommands, args[1])
	}
	if cmd == nil {
		return false, false
	}
	res, _ := h.conn.user.Load().current().check(cmd, args)
	return true, res == aclOK
}

func (h *scriptHost) Log(level int, msg string) { h.srv.logf(level, "%s", msg) }

// Finish commits a writer's batch when the script returned (the reply then
// waits for its fsync like any write's), or discards it when the script
// raised or was stopped.
func (h *scriptHost) Finish(ok bool) error {
	if !h.writer || h.ended {
		return nil
	}
	h.ended = true
	defer h.srv.endWrite()
	if !ok || h.poisoned {
		h.tx.Discard()
		h.pending = h.srv.db.ReadBarrier()
		if h.poisoned {
			return errors.New("ERR the script's writes were discarded: a command it called failed internally (logged)")
		}
		return nil
	}
	p, err := h.srv.commitWrite(h.tx, h.conn)
	if err != nil {
		h.srv.logf(levelWarning, "script commit failed: %v", err)
		h.pending = h.srv.db.ReadBarrier()
		return errors.New("ERR the script's writes could not be committed: " + err.Error())
	}
	h.pending = p
	return nil
}

// RunningScripts is the number of scripts running now.
func (s *Server) RunningScripts() int { return s.scripts.Running() }

// evalKeys locates EVAL's keys: numkeys of them after the script.
func evalKeys(args [][]byte) []int {
	if len(args) < 3 {
		return nil
	}
	n, ok := codec.ParseInt(args[2])
	if !ok || n < 0 || n > int64(len(args)-3) {
		return nil
	}
	out := make([]int, n)
	for i := range out {
		out[i] = 3 + i
	}
	return out
}

func cmdScriptLoad(c *Call) {
	s, err := c.Srv.scripts.Load(c.Args[2])
	if err != nil {
		c.Error(err.Error())
		return
	}
	c.r.BulkString(s.SHA)
}

func cmdScriptExists(c *Call) {
	c.r.Array(len(c.Args) - 2)
	for _, sha := range c.Args[2:] {
		if c.Srv.scripts.Exists(string(sha)) {
			c.r.Int(1)
		} else {
			c.r.Int(0)
		}
	}
}

func cmdScriptFlush(c *Call) {
	if len(c.Args) > 3 || len(c.Args) == 3 && !c.ArgIs(2, "sync") && !c.ArgIs(2, "async") {
		c.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
		return
	}
	if err := c.Srv.scripts.Flush(); err != nil {
		c.Error("ERR " + err.Error())
		return
	}
	c.OK()
}

// cmdScriptKill stops every running script. Unlike Redis, which answers
// UNKILLABLE once a script has written, Moonstone can stop any script: its
// writes are in a batch that is thrown away. Functions are stopped with
// FUNCTION KILL.
func cmdScriptKill(c *Call) {
	killed, other := c.Srv.scripts.Kill(false)
	switch {
	case killed:
		c.OK()
	case other:
		c.Error(errBusyFunction)
	default:
		c.Error(errNotBusy)
	}
}

func cmdScriptDebug(c *Call) {
	switch c.Arg(2) {
	case "no":
		c.OK()
	case "yes", "sync":
		c.Error("ERR SCRIPT DEBUG is not supported: Moonstone has no Lua debugger")
	default:
		c.Error("ERR Use SCRIPT DEBUG YES/SYNC/NO")
	}
}

func cmdScriptHelp(c *Call) {
	replyHelp(c, "SCRIPT",
		"DEBUG (YES|SYNC|NO)",
		"    Set the debug mode for subsequent scripts executed.",
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.",
	)
}

// replyHelp writes a HELP reply as Redis's addReplyHelp does.
func replyHelp(c *Call, name string, lines ...string) {
	c.r.Array(len(lines) + 3)
	c.r.Status(fmt.Sprintf("%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", name))
	for _, l := range lines {
		c.r.Status(l)
	}
	c.r.Status("HELP")
	c.r.Status("    Prints this help.")
}
