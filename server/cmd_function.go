package server

import (
	"strings"

	"moonstone/codec"
	"moonstone/scripting"
	"moonstone/storage"
)

// Functions: FUNCTION LOAD / DELETE / FLUSH / LIST / DUMP / RESTORE /
// STATS / KILL / HELP, FCALL and FCALL_RO.
//
// The libraries are recorded in Pebble (storage/functions.go) by the
// transaction of the command that changes them, and the engine's in-memory
// set (scripting.Functions, compiled) is replaced when that transaction
// commits: a FUNCTION LOAD that fails, or an EXEC that is discarded,
// changes nothing. Commands queued in one MULTI see the libraries the
// earlier ones loaded (pendingFunctions). At start-up every recorded
// library is loaded again (loadFunctions).
//
// FCALL runs a function exactly as EVAL runs a script (runScript): one
// transaction, committed when the function returns and discarded when it
// raises or is killed.

const (
	errBusyFunction   = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	errFunctionNotFnd = "ERR Function not found"
)

// pendingFunctions is the set of libraries a write transaction has made
// and not yet committed. Only the holder of the write lock reads or writes
// it.
type pendingFunctions struct {
	tx  *storage.Tx
	set *scripting.Functions
}

// functionsFor returns the libraries as a command running in tx sees them.
func (s *Server) functionsFor(tx *storage.Tx) *scripting.Functions {
	if tx != nil && tx.Writable() && s.fnPending.tx == tx {
		return s.fnPending.set
	}
	return s.scripts.Functions()
}

// setFunctions makes fs the libraries of tx, installed when tx commits.
func (s *Server) setFunctions(tx *storage.Tx, fs *scripting.Functions) {
	s.fnPending = pendingFunctions{tx: tx, set: fs}
	tx.AfterCommit(func() {
		s.scripts.SetFunctions(fs)
		if s.fnPending.tx == tx {
			s.fnPending = pendingFunctions{}
		}
	})
}

// loadFunctions loads the libraries recorded by earlier runs of the
// server. A library that no longer loads is logged and skipped (its record
// stays, so nothing is lost).
func (s *Server) loadFunctions() {
	fs := scripting.EmptyFunctions()
	err := s.db.ListFunctions(func(name string, code []byte) error {
		_, n, err := s.scripts.LoadLibrary(fs, code, false, 0)
		if err != nil {
			s.logf(levelWarning, "could not load function library %q: %v", name, err)
			return nil
		}
		fs = n
		return nil
	})
	if err != nil {
		s.logf(levelWarning, "could not read the function libraries: %v", err)
	}
	s.scripts.SetFunctions(fs)
}

// busyError is the BUSY reply while a script is past the busy threshold:
// Redis names the command that can stop it.
func (s *Server) busyError() string {
	if info, ok := s.scripts.BusyRun(); ok && info.Function {
		return errBusyFunction
	}
	return errBusy
}

func subcommandSyntaxError(c *Call) {
	c.Error(sanitize("ERR unknown subcommand or wrong number of arguments for '" + truncate(string(c.Args[1]), 128) +
		"'. Try " + strings.ToUpper(string(c.Args[0])) + " HELP."))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func cmdFcall(c *Call)   { fcallGeneric(c, false) }
func cmdFcallRO(c *Call) { fcallGeneric(c, true) }

func fcallGeneric(c *Call, ro bool) {
	defer c.feedSelf()
	f := c.Srv.functionsFor(c.Tx).Function(string(c.Args[1]))
	if f == nil {
		c.Error(errFunctionNotFnd)
		return
	}
	keys, argv, ok := scriptArgs(c, "ERR Bad number of keys provided")
	if !ok {
		return
	}
	if ro && !f.ReadOnly() {
		c.Error(errWriteFlagWithRO)
		return
	}
	runScript(c, ro || f.ReadOnly(), allowsOOM(true, f.Flags), func(h *scriptHost, out scripting.Reply) {
		c.Srv.scripts.RunFunction(f, h, keys, argv, h.writer, c.Args, out)
	})
}

func cmdFunctionLoad(c *Call) {
	replace := false
	i := 2
	for ; i < len(c.Args)-1; i++ {
		if !c.ArgIs(i, "replace") {
			c.Error(sanitize("ERR Unknown option given: " + string(c.Args[i])))
			return
		}
		replace = true
	}
	lib, fs, err := c.Srv.scripts.LoadLibrary(c.Srv.functionsFor(c.Tx), c.Args[i], replace, scripting.LoadTimeout)
	if err != nil {
		c.Error(err.Error())
		return
	}
	if err := c.Tx.PutFunction(lib.Name, lib.Code); err != nil {
		c.Err(err)
		return
	}
	c.Srv.setFunctions(c.Tx, fs)
	c.r.BulkString(lib.Name)
}

func cmdFunctionDelete(c *Call) {
	name := string(c.Args[2])
	fs, ok := c.Srv.functionsFor(c.Tx).Without(name)
	if !ok {
		c.Error("ERR Library not found")
		return
	}
	if err := c.Tx.DeleteFunction(name); err != nil {
		c.Err(err)
		return
	}
	c.Srv.setFunctions(c.Tx, fs)
	c.OK()
}

// cmdFunctionFlush deletes every library. ASYNC and SYNC are the same.
func cmdFunctionFlush(c *Call) {
	if len(c.Args) > 3 {
		subcommandSyntaxError(c)
		return
	}
	if len(c.Args) == 3 && !c.ArgIs(2, "async") && !c.ArgIs(2, "sync") {
		c.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		return
	}
	if err := c.Tx.FlushFunctions(); err != nil {
		c.Err(err)
		return
	}
	c.Srv.setFunctions(c.Tx, scripting.EmptyFunctions())
	c.OK()
}

// cmdFunctionList lists the libraries in name order (Redis: hash order).
func cmdFunctionList(c *Call) {
	withCode := false
	var pattern []byte
	for i := 2; i < len(c.Args); i++ {
		if !withCode && c.ArgIs(i, "withcode") {
			withCode = true
			continue
		}
		if pattern == nil && c.ArgIs(i, "libraryname") {
			if i >= len(c.Args)-1 {
				c.Error("ERR library name argument was not given")
				return
			}
			i++
			pattern = c.Args[i]
			continue
		}
		c.Error(sanitize("ERR Unknown argument " + string(c.Args[i])))
		return
	}
	var libs []*scripting.Library
	for _, l := range c.Srv.functionsFor(c.Tx).Libraries() {
		if pattern == nil || globMatch(pattern, []byte(l.Name), true) {
			libs = append(libs, l)
		}
	}
	c.r.Array(len(libs))
	for _, l := range libs {
		if withCode {
			c.r.Map(4)
		} else {
			c.r.Map(3)
		}
		c.r.BulkString("library_name")
		c.r.BulkString(l.Name)
		c.r.BulkString("engine")
		c.r.BulkString(l.Engine)
		c.r.BulkString("functions")
		c.r.Array(len(l.Functions))
		for _, f := range l.Functions {
			c.r.Map(3)
			c.r.BulkString("name")
			c.r.BulkString(f.Name)
			c.r.BulkString("description")
			if f.HasDescription {
				c.r.BulkString(f.Description)
			} else {
				c.r.Null()
			}
			c.r.BulkString("flags")
			names := f.Flags.Names()
			c.r.Set(len(names))
			for _, n := range names {
				c.r.Status(n)
			}
		}
		if withCode {
			c.r.BulkString("library_code")
			c.r.Bulk(l.Code)
		}
	}
}

// cmdFunctionDump is Redis's payload: per library the RDB_OPCODE_FUNCTION2
// opcode and its code as an RDB string, then the RDB version and CRC64.
func cmdFunctionDump(c *Call) {
	var b []byte
	for _, code := range c.Srv.functionsFor(c.Tx).Dump() {
		b = append(b, codec.RDBOpcodeFunction2)
		b = codec.AppendRDBString(b, code)
	}
	c.r.Bulk(codec.SealPayload(b))
}

func cmdFunctionRestore(c *Call) {
	if len(c.Args) > 4 {
		subcommandSyntaxError(c)
		return
	}
	policy := scripting.RestoreAppend
	if len(c.Args) == 4 {
		switch c.Arg(3) {
		case "append":
		case "replace":
			policy = scripting.RestoreReplace
		case "flush":
			policy = scripting.RestoreFlush
		default:
			c.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	}
	recs, ok := codec.OpenPayload(c.Args[2])
	if !ok {
		c.Error("ERR DUMP payload version or checksum are wrong")
		return
	}
	codes, msg := readFunctionRecords(recs)
	if msg != "" {
		c.Error("ERR " + msg)
		return
	}
	fs, err := c.Srv.scripts.Restore(c.Srv.functionsFor(c.Tx), codes, policy)
	if err != nil {
		c.Error(err.Error())
		return
	}
	if policy == scripting.RestoreFlush {
		if err := c.Tx.FlushFunctions(); err != nil {
			c.Err(err)
			return
		}
	}
	old := c.Srv.functionsFor(c.Tx)
	for _, l := range fs.Libraries() {
		if policy != scripting.RestoreFlush && old.Library(l.Name) == l {
			continue // not restored: kept as it is
		}
		if err := c.Tx.PutFunction(l.Name, l.Code); err != nil {
			c.Err(err)
			return
		}
	}
	c.Srv.setFunctions(c.Tx, fs)
	c.OK()
}

// readFunctionRecords reads the libraries of a payload, in Redis's
// current form (RDB_OPCODE_FUNCTION2: the code) and in the form of the 7.0
// release candidates (RDB_OPCODE_FUNCTION: name, engine, optional
// description, code). It returns Redis's error text on failure.
func readFunctionRecords(recs []byte) ([][]byte, string) {
	r := codec.NewRDBReader(recs)
	var codes [][]byte
	for r.Len() > 0 {
		op, err := r.Byte()
		if err != nil {
			return nil, "can not read data type"
		}
		switch op {
		case codec.RDBOpcodeFunction2:
			code, err := r.String()
			if err != nil {
				return nil, "Failed loading library payload"
			}
			codes = append(codes, code)
		case codec.RDBOpcodeFunction:
			name, err := r.String()
			if err != nil {
				return nil, "Failed loading library name"
			}
			engine, err := r.String()
			if err != nil {
				return nil, "Failed loading engine name"
			}
			hasDesc, err := r.Length()
			if err != nil {
				return nil, "Failed loading library description indicator"
			}
			if hasDesc != 0 {
				if _, err := r.String(); err != nil {
					return nil, "Failed loading library description"
				}
			}
			blob, err := r.String()
			if err != nil {
				return nil, "Failed loading library blob"
			}
			code := append([]byte("#!"+string(engine)+" name="+string(name)+"\n"), blob...)
			codes = append(codes, code)
		default:
			return nil, "given type is not a function"
		}
	}
	return codes, ""
}

// cmdFunctionStats reports the running function and the library counts.
func cmdFunctionStats(c *Call) {
	engine := c.Srv.scripts
	if info, ok := engine.BusyRun(); ok && !info.Function {
		c.Error(errBusy)
		return
	}
	c.r.Map(2)
	c.r.BulkString("running_script")
	if info, ok := engine.RunningFunction(); ok {
		c.r.Map(3)
		c.r.BulkString("name")
		c.r.BulkString(info.Name)
		c.r.BulkString("command")
		c.r.Array(len(info.Command))
		for _, a := range info.Command {
			c.r.Bulk(a)
		}
		c.r.BulkString("duration_ms")
		c.r.Int(info.Duration.Milliseconds())
	} else {
		c.r.Null()
	}
	libs, funcs := c.Srv.functionsFor(c.Tx).Count()
	c.r.BulkString("engines")
	c.r.Map(1)
	c.r.BulkString("LUA")
	c.r.Map(2)
	c.r.BulkString("libraries_count")
	c.r.Int(int64(libs))
	c.r.BulkString("functions_count")
	c.r.Int(int64(funcs))
}

// cmdFunctionKill stops the running functions. As SCRIPT KILL, it also
// stops a function that has written: its transaction is discarded.
func cmdFunctionKill(c *Call) {
	killed, other := c.Srv.scripts.Kill(true)
	switch {
	case killed:
		c.OK()
	case other:
		c.Error(errBusy)
	default:
		c.Error(errNotBusy)
	}
}

func cmdFunctionHelp(c *Call) {
	replyHelp(c, "FUNCTION",
		"LOAD [REPLACE] <FUNCTION CODE>",
		"    Create a new library with the given library name and code.",
		"DELETE <LIBRARY NAME>",
		"    Delete the given library.",
		"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
		"    Return general information on all the libraries:",
		"    * Library name",
		"    * The engine used to run the Library",
		"    * Library description",
		"    * Functions list",
		"    * Library code (if WITHCODE is given)",
		"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
		"STATS",
		"    Return information about the current function running:",
		"    * Function name",
		"    * Command used to run the function",
		"    * Duration in MS that the function is running",
		"    If no function is running, return nil",
		"    In addition, returns a list of available engines.",
		"KILL",
		"    Kill the current running function.",
		"FLUSH [ASYNC|SYNC]",
		"    Delete all the libraries.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the libraries.",
		"    * SYNC: Synchronously flush the libraries.",
		"DUMP",
		"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
		"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
		"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
		"    control how to handle existing libraries (default APPEND):",
		"    * FLUSH: delete all existing libraries.",
		"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
		"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
		"      libraries with the new libraries (notice that even on this option there is a chance of failure",
		"      in case of functions name collision with another library).",
	)
}
