package server

import (
	"strings"
	"time"

	"moonstone/storage"
)

// Flags describe a command, as in Redis's command table. They drive
// dispatch (which transaction a command runs in), what scripts and MULTI
// may call, and COMMAND's output.
type Flags uint32

const (
	flagWrite Flags = 1 << iota
	flagReadOnly
	flagDenyOOM
	flagAdmin
	flagPubSub
	flagNoScript
	flagBlocking
	flagLoading
	flagStale
	flagSkipMonitor
	flagSkipSlowlog
	flagFast
	flagNoAuth
	flagMayReplicate
	flagNoMulti
	flagAllowBusy
	flagNoMandatoryKeys
	flagMovableKeys
	flagNoAsyncLoading
	flagAsking
	// flagProtected marks the commands that enable-module-command (and
	// enable-debug-command) guard; like Redis, COMMAND INFO does not show it.
	flagProtected
)

var flagNames = []struct {
	f    Flags
	name string
}{
	{flagWrite, "write"}, {flagReadOnly, "readonly"}, {flagDenyOOM, "denyoom"},
	{flagAdmin, "admin"}, {flagPubSub, "pubsub"}, {flagNoScript, "noscript"},
	{flagBlocking, "blocking"}, {flagLoading, "loading"}, {flagStale, "stale"},
	{flagSkipMonitor, "skip_monitor"}, {flagSkipSlowlog, "skip_slowlog"},
	{flagAsking, "asking"}, {flagFast, "fast"}, {flagNoAuth, "no_auth"}, {flagMayReplicate, "may_replicate"},
	{flagNoMandatoryKeys, "no_mandatory_keys"}, {flagNoAsyncLoading, "no_async_loading"}, {flagNoMulti, "no_multi"},
	{flagMovableKeys, "movablekeys"}, {flagAllowBusy, "allow_busy"},
}

func parseFlags(s string) Flags {
	var f Flags
	for _, w := range strings.Fields(s) {
		if w == "protected" {
			f |= flagProtected
			continue
		}
		found := false
		for _, fn := range flagNames {
			if fn.name == w {
				f |= fn.f
				found = true
			}
		}
		if !found {
			panic("server: unknown command flag " + w)
		}
	}
	return f
}

// Command is one entry of the command table.
type Command struct {
	Name string // lower case; "parent|sub" for subcommands
	// Arity follows Redis: N means exactly N arguments including the name,
	// -N means at least N.
	Arity int
	Flags Flags
	// FirstKey, LastKey and Step locate key arguments (LastKey -1 means the
	// last argument, -2 the one before).
	FirstKey, LastKey, Step int
	Group                   string // Redis's command group: string, generic, ...
	Summary                 string
	Since                   string
	Run                     func(c *Call)
	// Keys, when set, extracts key positions for commands whose keys are
	// not a fixed range (EVAL's numkeys, ZUNIONSTORE, ...).
	Keys        func(args [][]byte) []int
	Subcommands map[string]*Command
	// ACL holds the ACL categories Redis's command table names for the
	// command (acl_categories), set with withACL; without them the
	// category comes from Group. Flags add the rest (aclCategories).
	ACL aclCategorySet

	stats cmdStats
	// touches: a run records the use of its keys (access.go).
	touches bool
	// aclID numbers the entry for ACL's command bitmaps (acl_users.go).
	aclID int
}

// Is reports whether the command has flag f.
func (cmd *Command) Is(f Flags) bool { return cmd.Flags&f != 0 }

func (cmd *Command) arityOK(n int) bool {
	if cmd.Arity >= 0 {
		return n == cmd.Arity
	}
	return n >= -cmd.Arity
}

// KeyPositions returns the indexes of the key arguments in args.
func (cmd *Command) KeyPositions(args [][]byte) []int {
	if cmd.Keys != nil {
		return cmd.Keys(args)
	}
	var out []int
	first, last, step := cmd.keyRange(len(args))
	for i := first; i <= last; i += step {
		out = append(out, i)
	}
	return out
}

// keyRange is where the keys of a command without a Keys function are
// among n arguments: first, first+step, ... up to last (none if first >
// last).
func (cmd *Command) keyRange(n int) (first, last, step int) {
	if cmd.FirstKey == 0 {
		return 1, 0, 1
	}
	last = cmd.LastKey
	if last < 0 {
		last += n
	}
	return cmd.FirstKey, min(last, n-1), max(cmd.Step, 1)
}

// Call is one execution of a command: its arguments, where its reply goes,
// and the transaction it runs in (nil for commands that touch no data).
type Call struct {
	Args [][]byte
	Tx   *storage.Tx
	Conn *Conn
	Srv  *Server
	Cmd  *Command
	r    Reply
	// failed is set when the command replied with an error; a failed
	// standalone write is discarded, so no error leaves a partial effect,
	// unless the command set keepWrites: MIGRATE deletes the keys the
	// target took even when it reports an error for others.
	failed     bool
	keepWrites bool
	// canBlock is set for a client's own request (not inside MULTI or a
	// script), arrived to when it was read; blocked is the wait Block
	// registered (blocking.go).
	canBlock bool
	arrived  time.Time
	blocked  *waiter
	// fed is set once the command fed the monitors itself (EVAL and
	// FCALL before their script runs, EXEC before it lets other writers
	// in), or must not be fed (monitor.go).
	fed bool
	// oom is whether the server was out of memory when the client's
	// command began (Redis's pre_command_oom_state): a script that has
	// not written yet may then not run a denyoom command (oom.go).
	oom bool
	// trackRead is the key registration of a read by a tracking client
	// (tracking.go).
	trackRead *trackedRead
}

// DB is the selected database.
func (c *Call) DB() int { return c.Conn.db }

// exec runs c's command, then records the use of its keys (access.go).
func (c *Call) exec() {
	c.Cmd.Run(c)
	c.Srv.touchKeys(c)
}

// Reply is where the command writes its answer.
func (c *Call) Reply() Reply { return c.r }

// Error replies with msg. The error counts in INFO errorstats, also when
// a script's redis.call or redis.pcall receives it, as in Redis 7.0 (the
// script failing with that same error does not count it again: see
// errorWatch).
func (c *Call) Error(msg string) {
	c.failed = true
	c.r.Error(msg)
	c.Srv.countError(msg)
}

// Err replies with err's text; storage errors carry Redis's texts.
func (c *Call) Err(err error) {
	c.Error(err.Error())
}

// Failed reports whether the command replied with an error.
func (c *Call) Failed() bool { return c.failed }

// OK replies +OK.
func (c *Call) OK() { c.r.Status(replyOK) }

// lookup finds the command named by args[0], and for commands with
// subcommands, the subcommand. It returns the reply to send when the
// request cannot run; a request with the wrong number of arguments still
// returns its command, whose rejected calls INFO commandstats counts.
func (s *Server) lookup(args [][]byte) (*Command, string) {
	cmd := s.command(s.commands, args[0])
	if cmd == nil {
		return nil, errUnknownCommand(args)
	}
	if cmd.Subcommands == nil {
		if !cmd.arityOK(len(args)) {
			return cmd, errArity(cmd.Name)
		}
		return cmd, ""
	}
	if len(args) < 2 {
		// A container with a handler of its own (COMMAND) runs alone.
		if cmd.Run == nil || !cmd.arityOK(len(args)) {
			return cmd, errArity(cmd.Name)
		}
		return cmd, ""
	}
	sub := s.command(cmd.Subcommands, args[1])
	if sub == nil {
		return nil, errUnknownSubcommand(args[1], cmd.Name)
	}
	if !sub.arityOK(len(args)) {
		return sub, errArity(sub.Name)
	}
	return sub, ""
}

// command looks name up in table.
func (s *Server) command(table map[string]*Command, name []byte) *Command {
	return lookupFold(table, name)
}

// lookupFold looks name up, in any case, in a table keyed by lower-case
// names. Clients nearly always send names in one case, so the common
// lookups convert without allocating.
func lookupFold[V any](table map[string]V, name []byte) V {
	if v, ok := table[string(name)]; ok {
		return v
	}
	var buf [32]byte
	if len(name) > len(buf) {
		return table[strings.ToLower(string(name))]
	}
	low := buf[:len(name)]
	for i, b := range name {
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		low[i] = b
	}
	return table[string(low)]
}
