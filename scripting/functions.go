package scripting

import (
	"bytes"
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Redis 7 functions: libraries of named Lua functions, loaded with
// FUNCTION LOAD and called with FCALL / FCALL_RO.
//
// A library's code starts with "#!lua name=<library>". Loading it runs its
// top level once in a restricted environment whose only global is a small
// redis table (register_function, log, the LOG_* levels and the version),
// as in Redis: the code can define local helpers and must register at least
// one function with redis.register_function. A function runs like an EVAL
// script (same transaction, rollback, busy and kill rules, same sandbox)
// with its keys and arguments passed as two table arguments instead of the
// KEYS and ARGV globals.
//
// Moonstone runs scripts on a pool of Lua states, not on one: each state
// instantiates a library (runs its top level again, quietly) the first time
// it runs one of its functions. So library-level local variables are per
// state: a function must not count on state it keeps between calls (Redis
// does not promise it either: a restart, a FUNCTION RESTORE or a replica
// start from fresh).
//
// The set of libraries is an immutable value (Functions): a command that
// changes it builds a new set, and the server installs it when the
// command's transaction commits.

const (
	functionChunk = "user_function"
	// LoadTimeout bounds how long FUNCTION LOAD may run a library's top
	// level (Redis's LOAD_TIMEOUT_MS).
	LoadTimeout = 500 * time.Millisecond

	errBadFunctionName = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
)

// Function is one registered function.
type Function struct {
	Name string
	// Description is the optional description given to
	// redis.register_function (HasDescription says whether there is one).
	Description    string
	HasDescription bool
	Flags          Flags
	Library        *Library
}

// ReadOnly reports whether the function declared no-writes: it runs on a
// snapshot and its write commands are refused.
func (f *Function) ReadOnly() bool { return f.Flags&FlagNoWrites != 0 }

// Names lists the names of the flags set in f, in Redis's order.
func (f Flags) Names() []string {
	var out []string
	for _, fn := range flagNames {
		if f&fn.f != 0 {
			out = append(out, fn.name)
		}
	}
	return out
}

// Library is one loaded library.
type Library struct {
	Name   string
	Engine string
	// Code is the library's code as loaded, shebang line included.
	Code []byte
	// Functions are the library's functions, by name.
	Functions []*Function

	proto *lua.FunctionProto
}

// Functions is a set of libraries. It is never modified: changes make a
// new set.
type Functions struct {
	libs  map[string]*Library  // by name (case-sensitive, as Redis)
	funcs map[string]*Function // by lower-cased name (FCALL ignores case)
}

var emptyFunctions = &Functions{libs: map[string]*Library{}, funcs: map[string]*Function{}}

// Library returns the library called name, or nil.
func (fs *Functions) Library(name string) *Library { return fs.libs[name] }

// Function returns the function called name (in any case), or nil.
func (fs *Functions) Function(name string) *Function { return fs.funcs[strings.ToLower(name)] }

// Libraries returns the libraries in name order.
func (fs *Functions) Libraries() []*Library {
	out := make([]*Library, 0, len(fs.libs))
	for _, l := range fs.libs {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// CodeBytes is the total size of the libraries' code (INFO's
// used_memory_functions: Moonstone does not measure the compiled form).
func (fs *Functions) CodeBytes() int {
	n := 0
	for _, l := range fs.libs {
		n += len(l.Code)
	}
	return n
}

// Count returns how many libraries and functions there are.
func (fs *Functions) Count() (libraries, functions int) { return len(fs.libs), len(fs.funcs) }

func (fs *Functions) clone() *Functions {
	n := &Functions{libs: make(map[string]*Library, len(fs.libs)+1), funcs: make(map[string]*Function, len(fs.funcs)+4)}
	for k, l := range fs.libs {
		n.libs[k] = l
	}
	for k, f := range fs.funcs {
		n.funcs[k] = f
	}
	return n
}

func (fs *Functions) unlink(l *Library) {
	for _, f := range l.Functions {
		if fs.funcs[strings.ToLower(f.Name)] == f {
			delete(fs.funcs, strings.ToLower(f.Name))
		}
	}
	delete(fs.libs, l.Name)
}

func (fs *Functions) link(l *Library) {
	for _, f := range l.Functions {
		if _, ok := fs.funcs[strings.ToLower(f.Name)]; !ok {
			fs.funcs[strings.ToLower(f.Name)] = f
		}
	}
	fs.libs[l.Name] = l
}

// collision returns the first function of l (in name order) whose name is
// taken in fs.
func (fs *Functions) collision(l *Library) string {
	for _, f := range l.Functions {
		if _, ok := fs.funcs[strings.ToLower(f.Name)]; ok {
			return f.Name
		}
	}
	return ""
}

// Without returns the set without the library called name, and whether
// there was one (FUNCTION DELETE).
func (fs *Functions) Without(name string) (*Functions, bool) {
	l := fs.libs[name]
	if l == nil {
		return fs, false
	}
	n := fs.clone()
	n.unlink(l)
	return n, true
}

// Functions returns the current set of libraries.
func (e *Engine) Functions() *Functions { return e.functions.Load() }

// SetFunctions makes fs the current set of libraries. The server calls it
// once the transaction that recorded the change has committed.
func (e *Engine) SetFunctions(fs *Functions) {
	if fs == nil {
		fs = emptyFunctions
	}
	e.functions.Store(fs)
}

// EmptyFunctions is the set with no library (FUNCTION FLUSH).
func EmptyFunctions() *Functions { return emptyFunctions }

// LoadLibrary is FUNCTION LOAD against fs: it compiles code, runs its top
// level (for at most timeout, none when 0) and returns the library and the
// new set. Errors are Redis 7.0's replies.
func (e *Engine) LoadLibrary(fs *Functions, code []byte, replace bool, timeout time.Duration) (*Library, *Functions, error) {
	lib, err := e.compileLibrary(code, func(name string) error {
		if fs.libs[name] != nil && !replace {
			return ReplyError("ERR Library '" + name + "' already exists")
		}
		return nil
	}, timeout)
	if err != nil {
		return nil, nil, err
	}
	n := fs.clone()
	if old := n.libs[lib.Name]; old != nil {
		n.unlink(old)
	}
	if name := n.collision(lib); name != "" {
		return nil, nil, ReplyError("ERR Function " + name + " already exists")
	}
	n.link(lib)
	return lib, n, nil
}

// RestorePolicy says what FUNCTION RESTORE does with existing libraries.
type RestorePolicy int

const (
	RestoreAppend  RestorePolicy = iota // a library that exists is an error
	RestoreReplace                      // restored libraries replace existing ones
	RestoreFlush                        // existing libraries are deleted first
)

// Restore is FUNCTION RESTORE of the libraries whose code is in codes: each
// is loaded into a new set (as Redis, duplicates within the payload are
// errors), then joined with fs according to policy. Nothing changes on
// error.
func (e *Engine) Restore(fs *Functions, codes [][]byte, policy RestorePolicy) (*Functions, error) {
	src := emptyFunctions
	var loaded []*Library
	for _, code := range codes {
		lib, n, err := e.LoadLibrary(src, code, false, LoadTimeout)
		if err != nil {
			return nil, err
		}
		src = n
		loaded = append(loaded, lib)
	}
	if policy == RestoreFlush {
		return src, nil
	}
	n := fs.clone()
	for _, l := range loaded {
		if old := n.libs[l.Name]; old != nil {
			if policy != RestoreReplace {
				return nil, ReplyError("ERR Library " + l.Name + " already exists")
			}
			n.unlink(old)
		}
	}
	for _, l := range loaded {
		if name := n.collision(l); name != "" {
			return nil, ReplyError("ERR Function " + name + " already exists")
		}
	}
	for _, l := range loaded {
		n.link(l)
	}
	return n, nil
}

// Dump is FUNCTION DUMP's list of library codes, in name order.
func (fs *Functions) Dump() [][]byte {
	var out [][]byte
	for _, l := range fs.Libraries() {
		out = append(out, l.Code)
	}
	return out
}

// compileLibrary parses the library's metadata line, compiles it and runs
// its top level, with Redis's checks in Redis's order (exists is called
// once the name is known and valid).
func (e *Engine) compileLibrary(code []byte, exists func(name string) error, timeout time.Duration) (*Library, error) {
	engine, name, body, err := libraryMetadata(code)
	if err != nil {
		return nil, err
	}
	if !validFunctionName(name) {
		return nil, ReplyError("ERR " + errBadFunctionName)
	}
	if !strings.EqualFold(engine, "lua") {
		return nil, ReplyError("ERR Engine '" + engine + "' not found")
	}
	if err := exists(name); err != nil {
		return nil, err
	}
	lib := &Library{Name: name, Engine: "LUA", Code: append([]byte(nil), code...)}
	proto, msg := compileChunk(body, functionChunk)
	if proto == nil {
		return nil, ReplyError("ERR Error compiling function: " + sanitizeLine(msg))
	}
	lib.proto = proto

	v := e.getVM()
	L := v.L
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, timeout)
	}
	L.SetContext(ctx)
	ld, err := v.loadLibrary(L, lib, false)
	L.RemoveContext()
	timedOut := ctx.Err() != nil
	cancel()
	if err != nil {
		e.putVM(v, timedOut)
		if timedOut {
			return nil, ReplyError("ERR Error registering functions: ERR FUNCTION LOAD timeout")
		}
		return nil, ReplyError("ERR Error registering functions: " + loadErrorText(err))
	}
	if len(ld.funcs) == 0 {
		e.putVM(v, false)
		return nil, ReplyError("ERR No functions registered")
	}
	sort.Slice(ld.funcs, func(i, j int) bool { return ld.funcs[i].Name < ld.funcs[j].Name })
	lib.Functions = ld.funcs
	v.keepLibrary(lib, ld.callbacks)
	e.putVM(v, false)
	return lib, nil
}

// libraryMetadata reads the "#!<engine> name=<library>" line as Redis's
// functionExtractLibMetaData does. body is the code after that line, its
// newline included (so line numbers match the code's).
func libraryMetadata(code []byte) (engine, name string, body []byte, err error) {
	if !bytes.HasPrefix(code, []byte("#!")) {
		return "", "", nil, ReplyError("ERR Missing library metadata")
	}
	end := bytes.IndexByte(code, '\n')
	if end < 0 {
		return "", "", nil, ReplyError("ERR Invalid library metadata")
	}
	parts, ok := splitArgs(string(code[:end]))
	if !ok || len(parts) == 0 {
		return "", "", nil, ReplyError("ERR Invalid library metadata")
	}
	engine = parts[0][min(2, len(parts[0])):]
	found := false
	for _, p := range parts[1:] {
		if len(p) >= 5 && strings.EqualFold(p[:5], "name=") {
			if found {
				return "", "", nil, ReplyError("ERR Invalid metadata value, name argument was given multiple times")
			}
			name, found = p[5:], true
			continue
		}
		return "", "", nil, ReplyError("ERR Invalid metadata value given: " + p)
	}
	if !found {
		return "", "", nil, ReplyError("ERR Library name was not given")
	}
	return engine, name, code[end:], nil
}

func validFunctionName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// loadErrorText is the message of an error raised by a library's top
// level, as Redis's luaExtractErrorInformation gives it.
func loadErrorText(err error) string {
	obj := errorObject(err)
	if t, ok := obj.(*lua.LTable); ok {
		if e := t.RawGetString("err"); isStringy(e) {
			return sanitizeLine(luaString(e))
		}
		return "ERR unknown error"
	}
	return sanitizeLine("ERR " + luaMessage(luaString(obj)))
}

// ---------------------------------------------------------------------------
// Running functions.

// RunFunction is FCALL / FCALL_RO: it runs f with its keys and arguments
// through host, exactly as Run runs a script. command is the caller's
// command line, for FUNCTION STATS.
func (e *Engine) RunFunction(f *Function, host Host, keys, args [][]byte, writer bool, command [][]byte, out Reply) {
	r := &runState{name: f.Name, function: f, command: command, host: host, writer: writer, start: time.Now(), resp: 2}
	e.execute(r, out, func(v *vm, L *lua.LState) (int, error) {
		cb, err := v.functionCallback(L, f)
		if err != nil {
			return 0, err
		}
		L.Push(cb)
		keysT, argsT := argTables(L, keys, args)
		L.Push(keysT)
		L.Push(argsT)
		return 2, nil
	})
}

// RunInfo describes a running script or function.
type RunInfo struct {
	Name     string // the function's name, or the script's SHA1
	Function bool
	Command  [][]byte
	Duration time.Duration
}

// BusyRun describes the run that made the engine busy (see IsBusy).
func (e *Engine) BusyRun() (RunInfo, bool) {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	if e.busyRun == nil {
		return RunInfo{}, false
	}
	return e.busyRun.info(), true
}

// RunningFunction describes a running function: the one making the engine
// busy if any, else the longest-running one.
func (e *Engine) RunningFunction() (RunInfo, bool) {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	if r := e.busyRun; r != nil && r.function != nil {
		return r.info(), true
	}
	var oldest *runState
	for r := range e.runs {
		if r.function != nil && (oldest == nil || r.start.Before(oldest.start)) {
			oldest = r
		}
	}
	if oldest == nil {
		return RunInfo{}, false
	}
	return oldest.info(), true
}

// info describes r. It runs under runMu while r is registered, so the
// caller's command line is still valid: it is copied, since the caller's
// connection reuses its buffers once the run ends.
func (r *runState) info() RunInfo {
	cmd := make([][]byte, len(r.command))
	for i, a := range r.command {
		cmd[i] = append([]byte(nil), a...)
	}
	return RunInfo{Name: r.name, Function: r.function != nil, Command: cmd, Duration: time.Since(r.start)}
}

// ---------------------------------------------------------------------------
// Library instances on a Lua state.

// libraryLoad is one run of a library's top level on a state.
type libraryLoad struct {
	lib       *Library
	quiet     bool // redis.log writes nothing (an instantiation, not FUNCTION LOAD)
	funcs     []*Function
	callbacks map[string]*lua.LFunction
}

// functionState is what a Lua state keeps for functions: the environment
// library code runs in, and the libraries instantiated on it.
type functionState struct {
	// fenv is the globals table of library code: during a load it shows
	// loadGlobals (only the restricted redis table), otherwise the
	// scripts' protected globals. Library closures keep it as their
	// environment, so what they see depends on when they run, as in Redis.
	fenv        *lua.LTable
	loadGlobals *lua.LTable
	loading     *libraryLoad
	libs        map[*Library]map[string]*lua.LFunction
}

func (v *vm) functionEnv() {
	if v.fn.fenv != nil {
		return
	}
	L := v.L
	api := newTable()
	api.RawSetString("register_function", L.NewFunction(v.registerFunction))
	api.RawSetString("log", L.NewFunction(v.redisLog))
	for i, name := range []string{"LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING"} {
		api.RawSetString(name, lua.LNumber(i))
	}
	api.RawSetString("REDIS_VERSION_NUM", lua.LNumber(redisVersionNum))
	api.RawSetString("REDIS_VERSION", lua.LString(redisVersion))
	amt := newTable()
	amt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError(errNoSuchGlobal, lua.LVAsString(L.Get(2)))
		return 0
	}))
	api.Metatable = amt
	v.fn.loadGlobals = newTable()
	v.fn.loadGlobals.RawSetString("redis", v.protect(api, lua.LNil))

	fenv := newTable()
	mt := newTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		k := L.Get(2)
		if v.fn.loading != nil {
			val := v.fn.loadGlobals.RawGet(k)
			if val == lua.LNil {
				L.RaiseError(errNoSuchGlobal, lua.LVAsString(k))
			}
			L.Push(val)
			return 1
		}
		L.Push(L.GetTable(v.env, k))
		return 1
	}))
	mt.RawSetString("__newindex", v.readonlyFn)
	fenv.Metatable = mt
	v.fn.fenv = fenv
	v.fn.libs = make(map[*Library]map[string]*lua.LFunction)
}

// loadLibrary runs lib's top level on L in the load environment.
func (v *vm) loadLibrary(L *lua.LState, lib *Library, quiet bool) (*libraryLoad, error) {
	v.functionEnv()
	ld := &libraryLoad{lib: lib, quiet: quiet, callbacks: make(map[string]*lua.LFunction)}
	v.fn.loading = ld
	defer func() { v.fn.loading = nil }()
	fn := L.NewFunctionFromProto(lib.proto)
	fn.Env = v.fn.fenv
	L.Push(fn)
	err := v.protectedCall(L, 0, 0)
	L.SetTop(0)
	return ld, err
}

// keepLibrary records lib's callbacks on the state, dropping the
// instances of libraries no longer loaded.
func (v *vm) keepLibrary(lib *Library, callbacks map[string]*lua.LFunction) {
	cur := v.e.Functions()
	for l := range v.fn.libs {
		if cur.libs[l.Name] != l {
			delete(v.fn.libs, l)
		}
	}
	v.fn.libs[lib] = callbacks
}

// functionCallback returns f's Lua function on this state, instantiating
// its library first if needed.
func (v *vm) functionCallback(L *lua.LState, f *Function) (*lua.LFunction, error) {
	v.functionEnv()
	cbs := v.fn.libs[f.Library]
	if cbs == nil {
		ld, err := v.loadLibrary(L, f.Library, true)
		if err != nil {
			return nil, err
		}
		cbs = ld.callbacks
		v.keepLibrary(f.Library, cbs)
	}
	cb := cbs[f.Name]
	if cb == nil {
		return nil, errors.New("function " + f.Name + " is missing from its library")
	}
	return cb, nil
}

// registerFunction is redis.register_function, in its positional form
// (name, callback) and its named-arguments form ({function_name=,
// callback=, flags=, description=}), with Redis 7.0's errors.
func (v *vm) registerFunction(L *lua.LState) int {
	ld := v.fn.loading
	if ld == nil {
		v.raiseErr(L, "redis.register_function can only be called on FUNCTION LOAD command")
	}
	f := &Function{Library: ld.lib}
	var cb *lua.LFunction
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			v.raiseErr(L, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		t = v.realTable(t)
		hasName := false
		for k, val := t.Next(lua.LNil); k != lua.LNil; k, val = t.Next(k) {
			if !isStringy(k) {
				v.raiseErr(L, "named argument key given to redis.register_function is not a string")
			}
			switch strings.ToLower(luaString(k)) {
			case "function_name":
				if !isStringy(val) {
					v.raiseErr(L, "function_name argument given to redis.register_function must be a string")
				}
				f.Name, hasName = luaString(val), true
			case "description":
				if !isStringy(val) {
					v.raiseErr(L, "description argument given to redis.register_function must be a string")
				}
				f.Description, f.HasDescription = luaString(val), true
			case "callback":
				fn, ok := val.(*lua.LFunction)
				if !ok {
					v.raiseErr(L, "callback argument given to redis.register_function must be a function")
				}
				cb = fn
			case "flags":
				ft, ok := val.(*lua.LTable)
				if !ok {
					v.raiseErr(L, "flags argument to redis.register_function must be a table representing function flags")
				}
				flags, ok := v.functionFlags(v.realTable(ft))
				if !ok {
					v.raiseErr(L, "unknown flag given")
				}
				f.Flags = flags
			default:
				v.raiseErr(L, "unknown argument given to redis.register_function")
			}
		}
		if !hasName {
			v.raiseErr(L, "redis.register_function must get a function name argument")
		}
		if cb == nil {
			v.raiseErr(L, "redis.register_function must get a callback argument")
		}
	case 2:
		if !isStringy(L.Get(1)) {
			v.raiseErr(L, "first argument to redis.register_function must be a string")
		}
		f.Name = luaString(L.Get(1))
		fn, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			v.raiseErr(L, "second argument to redis.register_function must be a function")
		}
		cb = fn
	default:
		v.raiseErr(L, "wrong number of arguments to redis.register_function")
	}
	if !validFunctionName(f.Name) {
		v.raiseErr(L, errBadFunctionName)
	}
	if _, dup := ld.callbacks[f.Name]; dup {
		v.raiseErr(L, "Function already exists in the library")
	}
	ld.callbacks[f.Name] = cb
	ld.funcs = append(ld.funcs, f)
	return 0
}

// functionFlags reads a flags table: strings naming flags, in any case.
func (v *vm) functionFlags(t *lua.LTable) (Flags, bool) {
	var flags Flags
	for j := 1; ; j++ {
		val := t.RawGetInt(j)
		if val == lua.LNil {
			return flags, true
		}
		if !isStringy(val) {
			return 0, false
		}
		name, found := luaString(val), false
		for _, fn := range flagNames {
			if strings.EqualFold(fn.name, name) {
				flags |= fn.f
				found = true
				break
			}
		}
		if !found {
			return 0, false
		}
	}
}
