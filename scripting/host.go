package scripting

// Reply is where a command writes its answer; server.Reply is this same
// interface. The server's command handlers write into a script's redis.call
// through it, and a script's return value is written to a client's
// connection through it. Aggregates are announced with their length (Array,
// Map, Set) and followed by exactly that many elements (for Map, twice as
// many: key then value); Null is RESP2's null bulk string, NullArray its *-1
// (both RESP3's null). Resp is the protocol the reply is written in (2 or
// 3: the client's HELLO, the script's redis.setresp), for the few replies
// whose shape depends on it beyond the types below (WITHSCORES pairs).
// Map, Set, Double, Bool, BigNumber, Verbatim and Push are RESP3 types,
// written in their RESP2 forms under RESP2, as Redis does. HumanDouble is
// a double written as Redis's addReplyHumanLongDouble writes it (GEOPOS's
// coordinates): the exact value to 17 decimals, trailing zeros trimmed,
// as a bulk string under RESP2 and a RESP3 double in that text.
type Reply interface {
	Resp() int
	Status(s string)
	Error(msg string)
	Int(n int64)
	Bulk(b []byte)
	BulkString(s string)
	Null()
	NullArray()
	Array(n int)
	Map(n int)
	Set(n int)
	Double(f float64)
	HumanDouble(f float64)
	Bool(b bool)
	BigNumber(s string)
	Verbatim(format, s string)
	Push(n int)
}

// CountedErrorWriter is implemented by a Reply that keeps error statistics
// (the server's, for INFO errorstats). A script's error reply that a
// command it called already gave, and that was counted then (redis.call's
// raised error, redis.pcall's returned table), arrives through
// CountedError instead of Error, so it is not counted twice; it is still
// the command's failure.
type CountedErrorWriter interface {
	CountedError(msg string)
}

// Host is what one script run needs from the server. The server makes one
// per run: it holds the run's storage transaction and the script's own
// connection state (its selected database), so the engine never touches
// storage or the network itself.
type Host interface {
	// Call runs one command for redis.call / redis.pcall inside the run's
	// transaction and writes its reply, or an error reply, to out. It
	// enforces everything the server decides: unknown commands, arity,
	// commands not allowed from scripts, writes from read-only scripts.
	Call(args [][]byte, out Reply)
	// ACLCheckCmd reports, for redis.acl_check_cmd, whether args name a
	// command (and subcommand), and whether the script's user may run it
	// with these arguments.
	ACLCheckCmd(args [][]byte) (exists, allowed bool)
	// Log writes msg to the server log at a Redis log level
	// (0 debug, 1 verbose, 2 notice, 3 warning).
	Log(level int, msg string)
	// Finish ends the run's transaction: commit when ok (the script
	// returned normally, error replies included), discard otherwise (it
	// raised, was killed, or went over its memory budget). An error from
	// the commit is sent to the client instead of the script's reply.
	Finish(ok bool) error
}

// Store persists script bodies, so EVALSHA works after a restart and in a
// restored backup. *storage.DB implements it.
type Store interface {
	// PutScript records a body under its SHA1; loaded is true for SCRIPT
	// LOAD, false for a body that arrived through EVAL (evictable).
	PutScript(sha string, body []byte, loaded bool) error
	// GetScript returns a recorded body.
	GetScript(sha string) (body []byte, loaded bool, found bool, err error)
	// DeleteScripts removes the given records.
	DeleteScripts(shas []string) error
	// FlushScripts removes every record.
	FlushScripts() error
	// ListScripts calls fn for every record, with the body's size.
	ListScripts(fn func(sha string, loaded bool, size int) error) error
}
