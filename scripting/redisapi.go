package scripting

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The redis table: redis.call and friends, as Redis 7.0 defines them
// (script_lua.c, eval.c).

const (
	// RedisVersionNum is REDIS_VERSION_NUM for 7.0.15.
	redisVersionNum = 7<<16 | 0<<8 | 15
	redisVersion    = "7.0.15"

	replNone    = 0
	replAOF     = 1
	replReplica = 2
	replAll     = replAOF | replReplica
)

func (v *vm) redisTable() *lua.LTable {
	L := v.L
	t := newTable()
	set := func(name string, fn lua.LGFunction) { t.RawSetString(name, L.NewFunction(fn)) }
	num := func(name string, n int) { t.RawSetString(name, lua.LNumber(n)) }

	set("call", func(L *lua.LState) int { return v.redisCall(L, true) })
	set("pcall", func(L *lua.LState) int { return v.redisCall(L, false) })
	set("log", v.redisLog)
	num("LOG_DEBUG", 0)
	num("LOG_VERBOSE", 1)
	num("LOG_NOTICE", 2)
	num("LOG_WARNING", 3)
	num("REDIS_VERSION_NUM", redisVersionNum)
	t.RawSetString("REDIS_VERSION", lua.LString(redisVersion))
	set("setresp", func(L *lua.LState) int {
		r := v.mustRun(L, "redis.setresp")
		if L.GetTop() != 1 {
			v.raiseErr(L, "redis.setresp() requires one argument.")
		}
		n := toNumber(L.Get(1))
		if n != 2 && n != 3 {
			v.raiseErr(L, "RESP version must be 2 or 3.")
		}
		r.resp = int(n)
		return 0
	})
	set("sha1hex", func(L *lua.LState) int {
		if L.GetTop() != 1 {
			v.raiseErr(L, "wrong number of arguments")
		}
		s := ""
		if isStringy(L.Get(1)) {
			s = luaString(L.Get(1))
		}
		L.Push(lua.LString(SHA1Hex([]byte(s))))
		return 1
	})
	set("error_reply", func(L *lua.LState) int {
		s, ok := L.Get(1).(lua.LString)
		if L.GetTop() != 1 || !ok {
			L.Push(errorTable("ERR wrong number or type of arguments"))
			return 1
		}
		msg := string(s)
		if !strings.HasPrefix(msg, "-") {
			msg = "-" + msg
		}
		L.Push(errorTable(msg[1:]))
		return 1
	})
	set("status_reply", func(L *lua.LState) int {
		s, ok := L.Get(1).(lua.LString)
		if L.GetTop() != 1 || !ok {
			L.Push(errorTable("ERR wrong number or type of arguments"))
			return 1
		}
		r := newTable()
		r.RawSetString("ok", s)
		L.Push(r)
		return 1
	})
	set("set_repl", func(L *lua.LState) int {
		v.mustRun(L, "redis.set_repl")
		if L.GetTop() != 1 {
			v.raiseErr(L, "redis.set_repl() requires two arguments.")
		}
		flags := int(toNumber(L.Get(1)))
		if flags&^replAll != 0 {
			v.raiseErr(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
		}
		// Moonstone has no replication: the setting is accepted and has
		// no effect.
		return 0
	})
	num("REPL_NONE", replNone)
	num("REPL_AOF", replAOF)
	num("REPL_SLAVE", replReplica)
	num("REPL_REPLICA", replReplica)
	num("REPL_ALL", replAll)
	set("replicate_commands", func(L *lua.LState) int {
		L.Push(lua.LTrue)
		return 1
	})
	set("breakpoint", func(L *lua.LState) int {
		// The Lua debugger (SCRIPT DEBUG) is not available.
		L.Push(lua.LFalse)
		return 1
	})
	set("debug", func(L *lua.LState) int { return 0 })
	set("acl_check_cmd", func(L *lua.LState) int {
		r := v.mustRun(L, "redis.acl_check_cmd")
		args, msg := v.luaArgs(L)
		if msg != "" {
			v.raiseErr(L, msg)
		}
		exists, allowed := r.host.ACLCheckCmd(args)
		if !exists {
			v.raiseErr(L, "Invalid command passed to redis.acl_check_cmd()")
		}
		L.Push(lua.LBool(allowed))
		return 1
	})
	return t
}

// mustRun returns the current run; redis.* functions are only usable while
// a script runs.
func (v *vm) mustRun(L *lua.LState, name string) *runState {
	if v.run == nil {
		v.raiseErr(L, name+" can only be called inside a script invocation")
	}
	return v.run
}

// raiseErr raises msg as Redis's luaPushError + luaError do: an
// {err="ERR msg"} table, whose position is reported in the final reply.
func (v *vm) raiseErr(L *lua.LState, msg string) {
	t := newTable()
	t.RawSetString("err", lua.LString("ERR "+msg))
	v.recordRaise(L, t)
	L.Error(t, 0)
}

// redisCall is redis.call (raise) and redis.pcall: run the command through
// the host, convert its reply to a Lua value.
func (v *vm) redisCall(L *lua.LState, raise bool) int {
	r := v.mustRun(L, "redis.call/pcall")
	args, msg := v.luaArgs(L)
	if msg != "" {
		t := errorTable("ERR " + msg)
		if raise {
			v.recordRaise(L, t)
			L.Error(t, 0)
		}
		L.Push(t)
		return 1
	}
	v.checkStop(L)
	v.reply.reset(r.resp)
	r.host.Call(args, &v.reply)
	val := v.reply.value()
	v.checkStop(L)
	if raise {
		if t, ok := isErrorTable(val); ok {
			v.recordRaise(L, t)
			L.Error(t, 0)
		}
	}
	L.Push(val)
	return 1
}

// luaArgs converts redis.call's arguments to a command line: strings as
// they are, numbers as integers when whole, anything else is an error.
// The list and the arguments' bytes are cut from the state's slabs
// (package slab): a call costs no allocation of its own, and since no
// piece is cut twice, a command may keep whatever it was given.
func (v *vm) luaArgs(L *lua.LState) ([][]byte, string) {
	n := L.GetTop()
	if n == 0 {
		return nil, "Please specify at least one argument for this redis lib call"
	}
	args := v.argLists.Cut(n)
	for i := 1; i <= n; i++ {
		switch x := L.Get(i).(type) {
		case lua.LString:
			args[i-1] = v.argBytes.Cut(len(x))
			copy(args[i-1], x)
		case lua.LNumber:
			var num [32]byte
			args[i-1] = v.argBytes.Copy(appendArgNumber(num[:0], float64(x)))
		default:
			L.SetTop(0)
			return nil, "Lua redis lib command arguments must be strings or integers"
		}
	}
	L.SetTop(0)
	return args, ""
}

// redisLog is redis.log(level, message, ...).
func (v *vm) redisLog(L *lua.LState) int {
	argc := L.GetTop()
	if argc < 2 {
		v.raiseErr(L, "redis.log() requires two arguments or more.")
	}
	if _, ok := L.Get(1).(lua.LNumber); !ok {
		if s, isStr := L.Get(1).(lua.LString); !isStr || !isNumeric(string(s)) {
			v.raiseErr(L, "First argument must be a number (log level).")
		}
	}
	level := int(toNumber(L.Get(1)))
	if level < 0 || level > 3 {
		v.raiseErr(L, "Invalid debug level.")
	}
	var parts []string
	for i := 2; i <= argc; i++ {
		if isStringy(L.Get(i)) {
			parts = append(parts, luaString(L.Get(i)))
		}
	}
	switch {
	case v.fn.loading != nil:
		// A library's top level logs when FUNCTION LOAD runs it, not when
		// a state instantiates it again.
		if !v.fn.loading.quiet {
			v.e.logf(level, "%s", strings.Join(parts, " "))
		}
	case v.run != nil:
		v.run.host.Log(level, strings.Join(parts, " "))
	}
	return 0
}

func isNumeric(s string) bool {
	_, ok := parseLuaNumber(s)
	return ok
}

// toNumber is lua_tonumber: numbers, numeric strings, else 0.
func toNumber(lv lua.LValue) float64 {
	switch x := lv.(type) {
	case lua.LNumber:
		return float64(x)
	case lua.LString:
		if f, ok := parseLuaNumber(string(x)); ok {
			return f
		}
	}
	return 0
}
