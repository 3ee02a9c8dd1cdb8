package scripting

import (
	"context"
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"moonstone/internal/slab"
)

// The sandbox: what a script can see, and how that is kept read-only.
//
// Scripts get exactly Redis 7's globals: the base library without dofile,
// loadfile, print, getfenv, setfenv and newproxy; table, string, math and
// coroutine; cjson, cmsgpack, struct and bit; redis; KEYS and ARGV. Every
// table reachable from the globals is read-only, with Redis's error texts,
// so a script can neither define globals nor change a library, and nothing
// one script does is visible to the next script run on the same pooled
// state.
//
// gopher-lua has no read-only tables (Redis patched its Lua for that), so
// each protected table is replaced by an empty proxy whose metatable reads
// through to the real table (__index) and refuses every write
// (__newindex). Assignments to any field, existing or not, reach
// __newindex because the proxy itself is always empty. The functions that
// could write past a metatable or hand out a real table are replaced by
// versions that know about proxies: rawset, rawget, setmetatable,
// getmetatable, next, pairs, ipairs, unpack and the table library. The
// string metatable (getmetatable('').__index) is protected the same way.
// The real tables are never reachable from Lua.

const (
	errReadonly      = "Attempt to modify a readonly table"
	errNoSuchGlobal  = "Script attempted to access nonexistent global variable '%s'"
	luaMaxCStack     = 8000 // LUAI_MAXCSTACK: Lua 5.1's bound on values a call may push
	luaVersionString = "Lua 5.1"
)

// requireable are the libraries require() hands out (a Moonstone addition:
// Redis has no require at all).
var requireable = []string{"cjson", "cmsgpack", "struct", "bit", "string", "table", "math"}

// cjsonSettings are the cjson functions that change the library's
// configuration. A state whose configuration a script changed is not
// reused (see vm.tainted).
var cjsonSettings = []string{
	"encode_keep_buffer", "encode_max_depth", "decode_max_depth", "encode_invalid_numbers",
	"decode_invalid_numbers", "encode_number_precision", "encode_sparse_array",
}

// newVM builds one sandboxed Lua state. It costs 100-200µs, so states are
// pooled (Engine.getVM) and never built on the EVALSHA path once warm.
func (e *Engine) newVM() *vm {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:        true,
		CallStackSize:       luaCallStackSize,
		RegistrySize:        1024 * 4,
		RegistryMaxSize:     luaRegistryMaxSize,
		MinimizeStackMemory: true,
	})
	v := &vm{
		e:       e,
		L:       L,
		proxies: make(map[*lua.LTable]*lua.LTable),
		proxyOf: make(map[*lua.LTable]*lua.LTable),
		visible: make(map[*lua.LTable]lua.LValue),
		// Command lines are short: a few hundred calls share a block.
		argBytes: slab.Slab[byte]{Small: 256, Block: 8 << 10},
		argLists: slab.Slab[[]byte]{Small: 32, Block: 256},
	}
	v.ctx, v.cancel = context.WithCancel(context.Background())
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{"", lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath}, {lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	openRedisLibs(L)

	g := L.G.Global
	v.globals = g
	for _, name := range []string{"dofile", "loadfile", "print", "_printregs", "getfenv", "setfenv",
		"newproxy", "module", "require", "_GOPHER_LUA_VERSION", "channel"} {
		g.RawSetString(name, lua.LNil)
	}
	v.installBase(g)
	strlib := g.RawGetString("string").(*lua.LTable)
	strlib.RawSetString("__index", lua.LNil) // gopher-lua's, not Lua's
	v.installString(strlib)
	v.installTable(g.RawGetString("table").(*lua.LTable))
	v.installMath(g.RawGetString("math").(*lua.LTable))
	if cj, ok := g.RawGetString("cjson").(*lua.LTable); ok {
		for _, name := range cjsonSettings {
			if orig, ok := cj.RawGetString(name).(*lua.LFunction); ok {
				cj.RawSetString(name, v.tainting(orig))
			}
		}
	}
	v.boundEncoders(g)
	g.RawSetString("redis", v.redisTable())

	// Reading a missing global is an error, as in Redis. require is the
	// one exception: Moonstone's addition is reachable by name but kept out
	// of the globals table, so pairs(_G) lists exactly Redis's globals.
	require := L.NewFunction(v.require)
	gmt := newTable()
	gmt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		if name, ok := L.Get(2).(lua.LString); ok && name == "require" {
			L.Push(require)
			return 1
		}
		L.RaiseError(errNoSuchGlobal, lua.LVAsString(L.Get(2)))
		return 0
	}))
	g.Metatable = gmt

	v.readonlyFn = L.NewFunction(func(L *lua.LState) int {
		L.RaiseError(errReadonly)
		return 0
	})
	// getmetatable(_G) shows a protected view of the globals' metatable.
	v.env = v.protect(g, v.protect(gmt, lua.LNil))
	g.RawSetString("_G", v.env)
	// The string metatable, seen through getmetatable(''), and used for
	// method calls ("x"):upper().
	smt := newTable()
	smt.RawSetString("__index", g.RawGetString("string")) // the proxy, by now
	L.SetMetatable(lua.LString(""), smt)
	v.stringMT = v.protect(smt, lua.LNil)

	v.trampoline = L.NewFunction(func(L *lua.LState) int {
		L.Panic = quietPanic
		L.Call(L.GetTop()-1, lua.MultRet)
		return L.GetTop()
	})

	// Every function the script creates (its chunk, loadstring, nested
	// closures, coroutines) sees the protected globals.
	L.Env = v.env
	vmsByGlobal.Store(L.G, v)
	return v
}

// close releases the state for good.
func (v *vm) close() {
	vmsByGlobal.Delete(v.L.G)
	v.L.Close()
}

// protect returns the read-only proxy of real, creating it (and proxies of
// every table reachable from real) on first use. visible is what
// getmetatable returns for the proxy.
func (v *vm) protect(real *lua.LTable, visible lua.LValue) *lua.LTable {
	if p, ok := v.proxyOf[real]; ok {
		return p
	}
	if _, ok := v.proxies[real]; ok {
		return real // already a proxy
	}
	p := newTable()
	mt := newTable()
	mt.RawSetString("__index", real)
	mt.RawSetString("__newindex", v.readonlyFn)
	p.Metatable = mt
	v.proxies[p] = real
	v.proxyOf[real] = p
	v.visible[p] = visible
	var nested []lua.LValue
	real.ForEach(func(k, val lua.LValue) {
		if _, ok := val.(*lua.LTable); ok {
			nested = append(nested, k)
		}
	})
	for _, k := range nested {
		t := real.RawGet(k).(*lua.LTable)
		real.RawSet(k, v.protect(t, lua.LNil))
	}
	return p
}

// realTable returns the table a proxy stands for, or t itself.
func (v *vm) realTable(t *lua.LTable) *lua.LTable {
	if r, ok := v.proxies[t]; ok {
		return r
	}
	return t
}

// isProtected reports whether t is a read-only table (a proxy, or a real
// table behind one, which Lua code should never hold).
func (v *vm) isProtected(t *lua.LTable) bool {
	if _, ok := v.proxies[t]; ok {
		return true
	}
	_, ok := v.proxyOf[t]
	return ok
}

// tainting wraps a function whose effect outlives the run (cjson's
// settings): the state that ran it is dropped instead of pooled.
func (v *vm) tainting(fn *lua.LFunction) *lua.LFunction {
	return v.L.NewFunction(func(L *lua.LState) int {
		v.tainted = true
		L.Insert(fn, 1)
		L.Call(L.GetTop()-1, lua.MultRet)
		return L.GetTop()
	})
}

// installBase replaces the base functions whose gopher-lua versions differ
// from Redis's Lua in ways scripts observe, or that would reach around the
// read-only protection.
func (v *vm) installBase(g *lua.LTable) {
	L := v.L
	set := func(name string, fn lua.LGFunction) { g.RawSetString(name, L.NewFunction(fn)) }

	origToString := g.RawGetString("tostring")
	set("tostring", func(L *lua.LState) int {
		val := L.CheckAny(1)
		if n, ok := val.(lua.LNumber); ok {
			L.Push(lua.LString(formatLuaNumber(float64(n))))
			return 1
		}
		L.Push(origToString)
		L.Push(val)
		L.Call(1, 1)
		return 1
	})
	set("tonumber", luaToNumber)
	set("pcall", v.pcall)
	set("xpcall", v.xpcall)
	set("error", v.errorFn)
	set("rawset", func(L *lua.LState) int {
		t := L.CheckTable(1)
		k, val := L.CheckAny(2), L.CheckAny(3)
		if v.isProtected(t) {
			v.raiseNoPos(L, errReadonly)
		}
		L.RawSet(t, k, val)
		L.SetTop(1)
		return 1
	})
	set("rawget", func(L *lua.LState) int {
		t := v.realTable(L.CheckTable(1))
		L.Push(t.RawGet(L.CheckAny(2)))
		return 1
	})
	set("setmetatable", func(L *lua.LState) int {
		t := L.CheckTable(1)
		mt := L.Get(2)
		if mt != lua.LNil {
			if _, ok := mt.(*lua.LTable); !ok {
				L.ArgError(2, "nil or table expected")
			}
		}
		if v.isProtected(t) {
			v.raiseNoPos(L, errReadonly)
		}
		if cur, ok := t.Metatable.(*lua.LTable); ok && cur.RawGetString("__metatable") != lua.LNil {
			L.RaiseError("cannot change a protected metatable")
		}
		t.Metatable = mt
		L.SetTop(1)
		return 1
	})
	set("getmetatable", func(L *lua.LState) int {
		obj := L.CheckAny(1)
		if t, ok := obj.(*lua.LTable); ok {
			if vis, ok := v.visible[t]; ok {
				L.Push(vis)
				return 1
			}
		}
		if _, ok := obj.(lua.LString); ok {
			L.Push(v.stringMT)
			return 1
		}
		mt := L.GetMetatable(obj)
		if t, ok := mt.(*lua.LTable); ok {
			if protected := t.RawGetString("__metatable"); protected != lua.LNil {
				L.Push(protected)
				return 1
			}
		}
		L.Push(mt)
		return 1
	})
	next := L.NewFunction(func(L *lua.LState) int {
		t := v.realTable(L.CheckTable(1))
		k, val := t.Next(L.Get(2))
		if k == lua.LNil {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(k)
		L.Push(val)
		return 2
	})
	g.RawSetString("next", next)
	set("pairs", func(L *lua.LState) int {
		t := L.CheckTable(1)
		L.Push(next)
		L.Push(t)
		L.Push(lua.LNil)
		return 3
	})
	ipairsAux := L.NewFunction(func(L *lua.LState) int {
		t := v.realTable(L.CheckTable(1))
		i := L.CheckInt(2) + 1
		val := t.RawGetInt(i)
		if val == lua.LNil {
			return 0
		}
		L.Push(lua.LNumber(i))
		L.Push(val)
		return 2
	})
	set("ipairs", func(L *lua.LState) int {
		t := L.CheckTable(1)
		L.Push(ipairsAux)
		L.Push(t)
		L.Push(lua.LNumber(0))
		return 3
	})
	set("unpack", func(L *lua.LState) int {
		t := v.realTable(L.CheckTable(1))
		start := optInt(L, 2, 1)
		end := optInt(L, 3, t.Len())
		if start > end {
			return 0
		}
		n := end - start + 1
		if n <= 0 || n >= luaMaxCStack || L.GetTop()+n > luaMaxCStack {
			L.RaiseError("too many results to unpack")
		}
		for i := start; i <= end; i++ {
			L.Push(t.RawGetInt(i))
		}
		return n
	})
	set("loadstring", func(L *lua.LState) int {
		src := L.CheckString(1)
		name := L.OptString(2, src)
		return v.load(L, src, name)
	})
	set("load", func(L *lua.LState) int {
		fn := L.CheckFunction(1)
		name := L.OptString(2, "=(load)")
		var b strings.Builder
		for {
			L.Push(fn)
			L.Call(0, 1)
			piece := L.Get(-1)
			L.Pop(1)
			if piece == lua.LNil {
				break
			}
			s, ok := piece.(lua.LString)
			if !ok {
				if n, isNum := piece.(lua.LNumber); isNum {
					s = lua.LString(formatLuaNumber(float64(n)))
				} else {
					L.Push(lua.LNil)
					L.Push(lua.LString("reader function must return a string"))
					return 2
				}
			}
			if len(s) == 0 {
				break
			}
			if !v.allowAlloc(int64(b.Len() + len(s))) {
				L.RaiseError("load: the chunk is larger than the script memory budget allows")
			}
			b.WriteString(string(s))
		}
		return v.load(L, b.String(), name)
	})
	set("collectgarbage", func(L *lua.LState) int {
		switch opt := L.OptString(1, "collect"); opt {
		case "count":
			L.Push(lua.LNumber(float64(heapInUse()) / 1024))
		case "collect", "step", "stop", "restart", "setpause", "setstepmul":
			// Go's collector runs on its own; a script cannot drive it.
			L.Push(lua.LNumber(0))
		default:
			L.ArgError(1, "invalid option '"+opt+"'")
		}
		return 1
	})
	set("gcinfo", func(L *lua.LState) int {
		L.Push(lua.LNumber(heapInUse() / 1024))
		return 1
	})
	g.RawSetString("__redis__err__handler", L.NewFunction(v.errHandler))
	g.RawSetString("_VERSION", lua.LString(luaVersionString))
}

// require returns one of the built-in libraries by name; it loads nothing.
func (v *vm) require(L *lua.LState) int {
	name := checkString(L, 1)
	for _, lib := range requireable {
		if lib == name {
			if t := v.globals.RawGetString(name); t != lua.LNil {
				L.Push(t)
				return 1
			}
		}
	}
	L.RaiseError("module '%s' not found: scripts can require only the built-in libraries (%s)",
		name, strings.Join(requireable, ", "))
	return 0
}

// raiseNoPos raises msg the way Lua's C API functions do: without a
// position in the message (the error reply still names the line).
func (v *vm) raiseNoPos(L *lua.LState, msg string) {
	v.recordRaise(L, lua.LString(msg))
	L.Error(lua.LString(msg), 0)
}

// argError is luaL_argerror's message: "bad argument #1 to 'f' (msg)".
func argError(L *lua.LState, n int, fname, msg string) {
	L.RaiseError("bad argument #%d to '%s' (%s)", n, fname, msg)
}

// load compiles a chunk for loadstring and load: the function, or nil and
// Lua's message. Binary chunks are refused, as in Redis.
func (v *vm) load(L *lua.LState, src, chunkname string) int {
	proto, msg := compileChunk([]byte(src), chunkID(chunkname))
	if proto == nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(msg))
		return 2
	}
	L.Push(L.NewFunctionFromProto(proto))
	return 1
}

// chunkID is Lua 5.1's luaO_chunkid: how a chunk name appears in messages.
func chunkID(name string) string {
	const idsize = 60
	switch {
	case strings.HasPrefix(name, "="):
		if len(name) > idsize {
			return name[1:idsize]
		}
		return name[1:]
	case strings.HasPrefix(name, "@"):
		rest := name[1:]
		if len(rest) > idsize-1 {
			return "..." + rest[len(rest)-(idsize-4):]
		}
		return rest
	}
	line, _, multi := strings.Cut(name, "\n")
	max := idsize - len(`[string "..."]`) - 1
	if multi || len(line) > max {
		if len(line) > max {
			line = line[:max]
		}
		return `[string "` + line + `..."]`
	}
	return `[string "` + line + `"]`
}

// sourceOf maps the name a chunk was compiled under back to its Lua
// "source", which Redis's error handler reports ("@user_script").
func sourceOf(name string) string {
	if name == chunkName || name == functionChunk {
		return "@" + name
	}
	if s, ok := strings.CutPrefix(name, `[string "`); ok {
		s = strings.TrimSuffix(s, `"]`)
		return strings.TrimSuffix(s, "...")
	}
	return name
}

// pcall is Redis's pcall: an error raised as a table with an err field
// (redis.call's errors) is caught as its err string, as before Redis 7.
func (v *vm) pcall(L *lua.LState) int {
	fn := L.CheckAny(1)
	if fn.Type() != lua.LTFunction && L.GetMetaField(fn, "__call").Type() != lua.LTFunction {
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(lua.LString("attempt to call a " + fn.Type().String() + " value"))
		return 2
	}
	if err := v.protectedCall(L, L.GetTop()-1, lua.MultRet); err != nil {
		obj := errorObject(err)
		if t, ok := isErrorTable(obj); ok {
			obj = t.RawGetString("err")
		} else if s, ok := obj.(lua.LString); ok {
			obj = lua.LString(luaMessage(string(s)))
		}
		L.Push(lua.LFalse)
		L.Push(obj)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// xpcall calls f, and on error the handler with the error object. The
// handler runs after the stack has unwound (scripts have no debug library
// to observe the difference).
func (v *vm) xpcall(L *lua.LState) int {
	L.CheckAny(1)
	handler := L.CheckAny(2)
	L.SetTop(2)
	L.Push(L.Get(1))
	if err := v.protectedCall(L, 0, lua.MultRet); err != nil {
		obj := errorObject(err)
		if s, ok := obj.(lua.LString); ok {
			obj = lua.LString(luaMessage(string(s)))
		}
		L.SetTop(0)
		L.Push(handler)
		L.Push(obj)
		if err := v.protectedCall(L, 1, 1); err != nil {
			L.SetTop(0)
			L.Push(lua.LFalse)
			L.Push(errorObject(err))
			return 2
		}
		L.Insert(lua.LFalse, 1)
		return 2
	}
	L.Insert(lua.LTrue, 3)
	return L.GetTop() - 2
}

// protectedCall is L.PCall for the function below the top nargs values,
// except that an error never builds a Lua stack traceback. gopher-lua's
// PCall formats one for every error, and its length grows with the tail
// calls made so far: after a long tail-call loop (a script SCRIPT KILL
// stops, say) it would take seconds and gigabytes. A Go trampoline between
// PCall and the function installs a panic handler that attaches an empty
// traceback, which PCall then leaves alone.
func (v *vm) protectedCall(L *lua.LState, nargs, nret int) error {
	L.Insert(v.trampoline, L.GetTop()-nargs)
	return L.PCall(nargs+1, nret, nil)
}

// quietPanic is the trampoline's panic handler: lua's own, minus the
// traceback. It runs before the stack unwinds, so an error the VM raises
// gets the name of the variable involved here (varinfo.go).
func quietPanic(L *lua.LState) {
	obj := L.Get(-1)
	if s, ok := obj.(lua.LString); ok {
		if named := nameVMError(L, string(s)); named != string(s) {
			obj = lua.LString(named)
		}
	}
	panic(&lua.ApiError{Type: lua.ApiErrorRun, Object: obj, StackTrace: "\t(no traceback)"})
}

func errorObject(err error) lua.LValue {
	if ae, ok := err.(*lua.ApiError); ok && ae.Object != nil {
		return ae.Object
	}
	return lua.LString(err.Error())
}

// errorFn is Lua's error(message [, level]): a string message gets the
// position of the given level prepended. The position of the raise is
// remembered for the error reply ("script: ..., on @user_script:3.").
func (v *vm) errorFn(L *lua.LState) int {
	obj := L.Get(1)
	level := optInt(L, 2, 1)
	if isStringy(obj) && level > 0 {
		obj = lua.LString(where(L, level) + luaString(obj))
	}
	v.recordRaise(L, obj)
	L.Error(obj, 0)
	return 0
}

// errHandler is Redis's __redis__err__handler, kept as a global because
// Redis 7.0 exposes it: it turns an error into the {err=, source=, line=}
// table Redis reports.
func (v *vm) errHandler(L *lua.LState) int {
	obj := L.Get(1)
	t, ok := obj.(*lua.LTable)
	if !ok {
		t = newTable()
		t.RawSetString("err", lua.LString("ERR "+luaString(obj)))
	}
	if src, line := callerPos(L); line != 0 {
		t.RawSetString("source", lua.LString(src))
		t.RawSetString("line", lua.LNumber(line))
	}
	L.Push(t)
	return 1
}

// recordRaise remembers where a Go function raised obj, for the error
// reply if obj ends the script.
func (v *vm) recordRaise(L *lua.LState, obj lua.LValue) {
	if v.run == nil {
		return
	}
	v.run.raised = obj
	v.run.raisedSource, v.run.raisedLine = callerPos(L)
}

// callerPos is the position Redis's error handler reports for an error
// raised by the running Go function: its caller, or the caller's caller
// when the caller is a Go function too.
func callerPos(L *lua.LState) (string, int) {
	for level := 1; level <= 2; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
			break
		}
		if dbg.What != "G" && dbg.CurrentLine > 0 {
			return sourceOf(dbg.Source), dbg.CurrentLine
		}
	}
	return "=[C]", -1
}

// where is luaL_where: "chunk:line: " of the function at level, or "".
func where(L *lua.LState, level int) string {
	dbg, ok := L.GetStack(level)
	if !ok {
		return ""
	}
	if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.CurrentLine <= 0 {
		return ""
	}
	return fmt.Sprintf("%s:%d: ", dbg.Source, dbg.CurrentLine)
}

// isStringy is lua_isstring: strings and numbers.
func isStringy(lv lua.LValue) bool {
	switch lv.(type) {
	case lua.LString, lua.LNumber:
		return true
	}
	return false
}

// luaString is tostring without metamethods, with Lua 5.1's number format.
func luaString(lv lua.LValue) string {
	switch x := lv.(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		return formatLuaNumber(float64(x))
	case nil:
		return "nil"
	}
	return lv.String()
}

// luaToNumber is Lua 5.1's tonumber.
func luaToNumber(L *lua.LState) int {
	base := optInt(L, 2, 10)
	if base == 10 {
		switch x := L.CheckAny(1).(type) {
		case lua.LNumber:
			L.Push(x)
			return 1
		case lua.LString:
			if f, ok := parseLuaNumber(string(x)); ok {
				L.Push(lua.LNumber(f))
				return 1
			}
		}
		L.Push(lua.LNil)
		return 1
	}
	s := checkString(L, 1)
	if base < 2 || base > 36 {
		L.ArgError(2, "base out of range")
	}
	if f, ok := parseLuaInteger(s, base); ok {
		L.Push(lua.LNumber(f))
		return 1
	}
	L.Push(lua.LNil)
	return 1
}

// checkInt is luaL_checkint: a number, or a string that converts to one.
func checkInt(L *lua.LState, n int) int {
	switch x := L.Get(n).(type) {
	case lua.LNumber:
		return int(x)
	case lua.LString:
		if f, ok := parseLuaNumber(string(x)); ok {
			return int(f)
		}
	}
	L.TypeError(n, lua.LTNumber)
	return 0
}

// optInt is luaL_optint.
func optInt(L *lua.LState, n, def int) int {
	if L.Get(n) == lua.LNil {
		return def
	}
	return checkInt(L, n)
}

// checkString is luaL_checkstring: a string, or a number in Lua's format.
func checkString(L *lua.LState, n int) string {
	switch x := L.Get(n).(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		return formatLuaNumber(float64(x))
	}
	L.TypeError(n, lua.LTString)
	return ""
}
