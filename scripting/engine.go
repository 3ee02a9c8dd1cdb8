package scripting

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"moonstone/internal/slab"
)

const (
	// luaCallStackSize bounds Lua call depth (Lua 5.1's is about 200 C
	// levels and 20000 Lua levels); deeper recursion is "stack overflow".
	luaCallStackSize = 2000
	// luaRegistryMaxSize bounds a state's value stack, in values.
	luaRegistryMaxSize = 256 * 1024
	// DefaultEvalCacheSize is how many scripts that arrived through EVAL
	// are kept, as in Redis 7.4: beyond it the least recently used is
	// forgotten (SCRIPT LOAD'ed scripts are never evicted).
	DefaultEvalCacheSize = 500
	// DefaultEvalCacheBytes bounds the total size of the bodies kept from
	// EVAL, in memory and on disk; a body larger than that runs without
	// being kept.
	DefaultEvalCacheBytes = 64 << 20
	// watchdogTick is how often running scripts are checked for the busy
	// threshold and the memory budget.
	watchdogTick = 5 * time.Millisecond
)

// Options configure an Engine.
type Options struct {
	// BusyThreshold is busy-reply-threshold: after it a script holding the
	// write lock is busy (see Busy). Zero disables it.
	BusyThreshold time.Duration
	// MemoryLimit is lua-memory-limit: how much a run may grow the
	// server's heap before it is stopped. Zero disables it.
	MemoryLimit int64
	// EvalCacheSize and EvalCacheBytes bound the scripts kept from EVAL
	// (DefaultEvalCacheSize and DefaultEvalCacheBytes when zero).
	EvalCacheSize  int
	EvalCacheBytes int64
	// Logf receives the engine's own log lines (Redis log levels).
	Logf func(level int, format string, args ...any)
}

// Engine runs scripts: it owns the compiled-script cache, the pool of
// sandboxed Lua states, and the watchdog that enforces the busy threshold
// and the memory budget. It is safe for concurrent use: any number of
// read-only runs may proceed alongside one writer.
type Engine struct {
	store Store
	logf  func(level int, format string, args ...any)

	busyThreshold atomic.Int64 // ns
	memLimit      atomic.Int64

	cacheMu   sync.Mutex
	scripts   map[string]*Script
	lru       evalLRU
	evalCap   int
	evalBytes int64
	diskKnown bool // eval-origin records on disk are all in lru

	poolMu sync.Mutex
	pool   []*vm

	runMu    sync.Mutex
	runs     map[*runState]struct{}
	busyRun  *runState
	busy     atomic.Bool // busyRun != nil, readable without the lock
	busyCh   chan struct{}
	closed   bool
	watching bool
	// collecting is set while a collection forced by the watchdog runs.
	collecting atomic.Bool

	// functions is the current set of function libraries (functions.go).
	functions atomic.Pointer[Functions]
}

// NewEngine returns an engine persisting scripts in store.
func NewEngine(store Store, opts Options) *Engine {
	e := &Engine{
		store:   store,
		logf:    opts.Logf,
		scripts: make(map[string]*Script),
		evalCap: opts.EvalCacheSize,
		runs:    make(map[*runState]struct{}),
		busyCh:  make(chan struct{}),
	}
	if e.evalCap <= 0 {
		e.evalCap = DefaultEvalCacheSize
	}
	if e.evalBytes = opts.EvalCacheBytes; e.evalBytes <= 0 {
		e.evalBytes = DefaultEvalCacheBytes
	}
	if e.logf == nil {
		e.logf = func(int, string, ...any) {}
	}
	e.lru.init()
	e.functions.Store(emptyFunctions)
	e.SetBusyThreshold(opts.BusyThreshold)
	e.SetMemoryLimit(opts.MemoryLimit)
	// Warm states, so the first scripts do not pay for building one.
	for i := 0; i < 2; i++ {
		e.pool = append(e.pool, e.newVM())
	}
	return e
}

// SetBusyThreshold changes busy-reply-threshold.
func (e *Engine) SetBusyThreshold(d time.Duration) { e.busyThreshold.Store(int64(d)) }

// SetMemoryLimit changes lua-memory-limit (bytes; 0 disables).
func (e *Engine) SetMemoryLimit(n int64) { e.memLimit.Store(n) }

// ---------------------------------------------------------------------------
// The script cache.

// ForEval returns the script for an EVAL body, compiling, caching and
// persisting it on first sight. A body that does not compile is not cached.
func (e *Engine) ForEval(body []byte) (*Script, error) {
	sha := SHA1Hex(body)
	e.cacheMu.Lock()
	if s := e.scripts[sha]; s != nil {
		if !s.loaded {
			e.lru.touch(s.SHA, s.size)
		}
		e.cacheMu.Unlock()
		return s, nil
	}
	e.cacheMu.Unlock()
	s, err := compile(body)
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > e.evalBytes {
		return s, nil // runs, but is not kept
	}
	if err := e.store.PutScript(sha, body, false); err != nil {
		e.logf(3, "could not persist script %s: %v", sha, err)
	}
	return e.insert(s, false), nil
}

// Load is SCRIPT LOAD: compile, cache until SCRIPT FLUSH, persist.
func (e *Engine) Load(body []byte) (*Script, error) {
	sha := SHA1Hex(body)
	e.cacheMu.Lock()
	s := e.scripts[sha]
	if s != nil && s.loaded {
		e.cacheMu.Unlock()
		return s, nil
	}
	e.cacheMu.Unlock()
	if s == nil {
		var err error
		if s, err = compile(body); err != nil {
			return nil, err
		}
	}
	if err := e.store.PutScript(sha, body, true); err != nil {
		return nil, ReplyError("ERR could not persist the script: " + err.Error())
	}
	return e.insert(s, true), nil
}

// BySHA is EVALSHA's lookup: the cache, then the persisted records (a
// script loaded before a restart is compiled on its first use). It returns
// ErrNoScript for an unknown SHA1.
func (e *Engine) BySHA(sha string) (*Script, error) {
	if len(sha) != 40 {
		return nil, ErrNoScript
	}
	sha = strings.ToLower(sha)
	e.cacheMu.Lock()
	if s := e.scripts[sha]; s != nil {
		if !s.loaded {
			e.lru.touch(s.SHA, s.size)
		}
		e.cacheMu.Unlock()
		return s, nil
	}
	e.cacheMu.Unlock()
	body, loaded, found, err := e.store.GetScript(sha)
	if err != nil {
		return nil, ReplyError("ERR could not read the script cache: " + err.Error())
	}
	if !found {
		return nil, ErrNoScript
	}
	s, err := compile(body)
	if err != nil {
		return nil, err
	}
	return e.insert(s, loaded), nil
}

// Exists is SCRIPT EXISTS for one SHA1.
func (e *Engine) Exists(sha string) bool {
	if len(sha) != 40 {
		return false
	}
	sha = strings.ToLower(sha)
	e.cacheMu.Lock()
	s := e.scripts[sha]
	e.cacheMu.Unlock()
	if s != nil {
		return true
	}
	_, _, found, err := e.store.GetScript(sha)
	return err == nil && found
}

// Flush is SCRIPT FLUSH: forget every script, in memory and on disk, and
// start over with fresh Lua states (as Redis resets its Lua VM).
func (e *Engine) Flush() error {
	e.cacheMu.Lock()
	e.scripts = make(map[string]*Script)
	e.lru.init()
	e.diskKnown = true
	e.cacheMu.Unlock()
	e.poolMu.Lock()
	old := e.pool
	e.pool = nil
	e.poolMu.Unlock()
	for _, v := range old {
		v.close()
	}
	return e.store.FlushScripts()
}

// CachedScripts is the number of compiled scripts held in memory.
func (e *Engine) CachedScripts() int {
	e.cacheMu.Lock()
	defer e.cacheMu.Unlock()
	return len(e.scripts)
}

// insert adds a compiled script to the cache, or returns the one another
// client added meanwhile. Eval-origin scripts beyond the bound evict the
// least recently used, in memory and on disk.
func (e *Engine) insert(s *Script, loaded bool) *Script {
	var evicted []string
	if !loaded && !e.diskKnownNow() {
		e.learnDisk()
	}
	e.cacheMu.Lock()
	if cur := e.scripts[s.SHA]; cur != nil {
		if loaded && !cur.loaded {
			e.lru.remove(cur.SHA)
			cur.loaded = true
		}
		e.cacheMu.Unlock()
		return cur
	}
	s.loaded = loaded
	e.scripts[s.SHA] = s
	if loaded {
		e.lru.remove(s.SHA)
	} else {
		e.lru.touch(s.SHA, s.size)
		for e.lru.len() > e.evalCap || e.lru.bytes > e.evalBytes {
			sha := e.lru.oldest()
			e.lru.remove(sha)
			delete(e.scripts, sha)
			evicted = append(evicted, sha)
		}
	}
	e.cacheMu.Unlock()
	if len(evicted) > 0 {
		if err := e.store.DeleteScripts(evicted); err != nil {
			e.logf(3, "could not delete evicted scripts: %v", err)
		}
	}
	return s
}

func (e *Engine) diskKnownNow() bool {
	e.cacheMu.Lock()
	defer e.cacheMu.Unlock()
	return e.diskKnown
}

// learnDisk puts the eval-origin scripts persisted by an earlier run of the
// server into the LRU (as the least recently used), so the bound holds on
// disk too. It runs once, before the first eval-origin insertion.
func (e *Engine) learnDisk() {
	var found []lruEntry
	err := e.store.ListScripts(func(sha string, loaded bool, size int) error {
		if !loaded {
			found = append(found, lruEntry{sha, size})
		}
		return nil
	})
	e.cacheMu.Lock()
	defer e.cacheMu.Unlock()
	if e.diskKnown {
		return
	}
	if err != nil {
		e.logf(3, "could not list persisted scripts: %v", err)
	}
	for _, f := range found {
		if s := e.scripts[f.sha]; s == nil || !s.loaded {
			e.lru.addOldest(f.sha, f.size)
		}
	}
	e.diskKnown = true
}

// ---------------------------------------------------------------------------
// Running scripts.

// stop reasons
const (
	stopNone int32 = iota
	stopKilled
	stopMemory
	stopShutdown
)

// runState is one script run: an EVAL script or a function.
type runState struct {
	// name is what error replies and logs call the run: the script's
	// SHA1, or the function's name.
	name string
	// function is the function run by FCALL (nil for a script), and
	// command the caller's command line (FUNCTION STATS shows both).
	function *Function
	command  [][]byte
	host     Host
	writer   bool
	start    time.Time
	cancel   context.CancelFunc
	stop     atomic.Int32
	// minHeap is the smallest heap seen during the run: the baseline of
	// its memory budget (see checkMemory).
	minHeap atomic.Uint64
	busy    bool // guarded by Engine.runMu
	resp    int

	// The last error a Go function raised, and the script position it was
	// raised from, for the error reply.
	raised       lua.LValue
	raisedSource string
	raisedLine   int
}

// Run executes s with KEYS and ARGV, through host, and writes the reply to
// out. writer says the run holds the write lock: past the busy threshold
// it makes the engine busy (Busy, IsBusy), and the server answers BUSY.
func (e *Engine) Run(s *Script, host Host, keys, args [][]byte, writer bool, out Reply) {
	r := &runState{name: s.SHA, host: host, writer: writer, start: time.Now(), resp: 2}
	e.execute(r, out, func(v *vm, L *lua.LState) (int, error) {
		keysT, argvT := argTables(L, keys, args)
		v.globals.RawSetString("KEYS", keysT)
		v.globals.RawSetString("ARGV", argvT)
		L.Push(L.NewFunctionFromProto(s.proto))
		return 0, nil
	})
}

// execute runs r on a pooled state: prepare pushes the function to call
// and its arguments (returning how many), then the call's outcome ends the
// host's transaction and becomes the reply.
func (e *Engine) execute(r *runState, out Reply, prepare func(v *vm, L *lua.LState) (int, error)) {
	host := r.host
	v := e.getVM()
	r.cancel = v.cancel
	if !e.register(r) {
		e.putVM(v, false)
		host.Finish(false)
		out.Error("ERR Server is shutting down")
		return
	}
	v.run = r
	L := v.L
	L.SetContext(v.ctx)
	v.rng.seed(0)
	nargs, err := prepare(v, L)
	if err == nil {
		err = v.protectedCall(L, nargs, 1)
	}
	var result lua.LValue = lua.LNil
	if err == nil {
		result = L.Get(-1)
	}
	L.SetTop(0)
	L.RemoveContext()
	e.unregister(r)
	// Only a stop cancels the state's context, and only while the run is
	// registered (stopWith's callers hold runMu and find it in runs): a
	// state whose run was not stopped keeps its context for the next run,
	// and one whose run was is closed (putVM).
	stopped := r.stop.Load()

	if err != nil {
		host.Finish(false)
		if stopped != stopNone {
			out.Error(v.stopReply(r, stopped, err))
		} else {
			msg, counted := v.errorReply(r, err)
			writeError(out, msg, counted)
		}
	} else if ferr := host.Finish(true); ferr != nil {
		out.Error(ferr.Error())
	} else {
		writeLuaValue(out, result, r.resp, 0)
	}
	v.globals.RawSetString("KEYS", lua.LNil)
	v.globals.RawSetString("ARGV", lua.LNil)
	v.run = nil
	e.putVM(v, stopped != stopNone || v.tainted)
}

// argTables makes the KEYS and ARGV tables (or a function's keys and
// args). Their strings are slices of one string holding them all, copied
// once rather than one by one.
func argTables(L *lua.LState, keys, args [][]byte) (keysT, argsT *lua.LTable) {
	n := 0
	for _, list := range [2][][]byte{keys, args} {
		for _, it := range list {
			n += len(it)
		}
	}
	var b strings.Builder
	b.Grow(n)
	for _, list := range [2][][]byte{keys, args} {
		for _, it := range list {
			b.Write(it)
		}
	}
	all := b.String()
	table := func(items [][]byte) *lua.LTable {
		t := L.CreateTable(len(items), 0)
		for i, it := range items {
			t.RawSetInt(i+1, lua.LString(all[:len(it)]))
			all = all[len(it):]
		}
		return t
	}
	keysT = table(keys)
	return keysT, table(args)
}

// Busy returns a channel that is closed while a script holding the write
// lock has run past the busy threshold. A writer waiting for the lock
// selects on it to answer BUSY instead of waiting.
func (e *Engine) Busy() <-chan struct{} {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	return e.busyCh
}

// IsBusy reports whether a script is past the busy threshold.
func (e *Engine) IsBusy() bool { return e.busy.Load() }

// Kill is SCRIPT KILL (functions false) and FUNCTION KILL (functions
// true): it stops every running script of that kind. killed reports
// whether there was one; otherKind whether runs of the other kind are
// running (Redis refuses to kill a function with SCRIPT KILL and an EVAL
// script with FUNCTION KILL). A stopped run's transaction is discarded, so
// this is safe also for runs that have written.
func (e *Engine) Kill(functions bool) (killed, otherKind bool) {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	for r := range e.runs {
		if (r.function != nil) != functions {
			otherKind = true
			continue
		}
		killed = true
		if r.stopWith(stopKilled) {
			r.host.Log(3, "Lua script killed by user with SCRIPT KILL.")
		}
	}
	return killed, otherKind
}

// Shutdown stops every running script and refuses new runs.
func (e *Engine) Shutdown() {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	e.closed = true
	for r := range e.runs {
		r.stopWith(stopShutdown)
	}
}

// Running is the number of scripts running now.
func (e *Engine) Running() int {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	return len(e.runs)
}

// stopWith stops r for reason, unless it was stopped already. The caller
// holds Engine.runMu and found r in Engine.runs: r's state runs no other
// script meanwhile, so cancelling its context stops r alone.
func (r *runState) stopWith(reason int32) bool {
	if r.stop.CompareAndSwap(stopNone, reason) {
		r.cancel()
		return true
	}
	return false
}

func (e *Engine) register(r *runState) bool {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	if e.closed {
		return false
	}
	e.runs[r] = struct{}{}
	if !e.watching {
		e.watching = true
		go e.watchdog()
	}
	return true
}

func (e *Engine) unregister(r *runState) {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	delete(e.runs, r)
	if e.busyRun == r {
		e.busyRun = nil
		e.busy.Store(false)
		e.busyCh = make(chan struct{})
	}
}

// watchdog runs while scripts run: it marks the writer busy past the
// threshold and stops runs that go over the memory budget. It exits when
// no script is running; register starts it again.
func (e *Engine) watchdog() {
	t := time.NewTicker(watchdogTick)
	defer t.Stop()
	for range t.C {
		e.runMu.Lock()
		if len(e.runs) == 0 {
			e.watching = false
			e.runMu.Unlock()
			return
		}
		runs := make([]*runState, 0, len(e.runs))
		for r := range e.runs {
			runs = append(runs, r)
		}
		if th := time.Duration(e.busyThreshold.Load()); th > 0 && e.busyRun == nil {
			for _, r := range runs {
				if r.writer && time.Since(r.start) >= th && r.stop.Load() == stopNone {
					e.busyRun = r
					e.busy.Store(true)
					r.busy = true
					close(e.busyCh)
					r.host.Log(3, fmt.Sprintf("Slow script detected: still in execution after %d milliseconds. "+
						"You can try killing the script using the SCRIPT KILL command. Script name is: %s.",
						time.Since(r.start).Milliseconds(), r.name))
					break
				}
			}
		}
		e.runMu.Unlock()
		e.checkMemory(runs)
	}
}

// checkMemory stops runs that grew the server's heap by more than the
// memory budget.
//
// The baseline of a run is the smallest heap (objects, garbage included)
// seen since it started: heap minus that is an upper bound of what the run
// added. Garbage makes that bound loose, so before a run is stopped the
// bound is tightened by a collection: the live heap after it, minus the
// baseline, is a lower bound of what the run retains (plus whatever other
// clients retained meanwhile). Growth far beyond the collector's heap goal
// cannot be garbage and stops the run at once, without waiting for a
// collection that a fast allocator would outrun.
func (e *Engine) checkMemory(runs []*runState) {
	limit := e.memLimit.Load()
	if limit <= 0 {
		return
	}
	heap, goal := readHeapAndGoal()
	var over []*runState
	for _, r := range runs {
		base := r.observeHeap(heap)
		growth := int64(heap) - int64(base)
		if growth <= limit {
			continue
		}
		if int64(heap)-int64(max(base, goal)) > limit {
			e.stopForMemory(r, limit)
			continue
		}
		over = append(over, r)
	}
	if len(over) == 0 || !e.collecting.CompareAndSwap(false, true) {
		return
	}
	// The collection runs on its own goroutine: the watchdog must keep
	// ticking meanwhile, or a fast allocator would run far past the
	// budget while the collection waits for it.
	go func() {
		defer e.collecting.Store(false)
		runtime.GC()
		_, live := readHeap()
		for _, r := range over {
			if int64(live)-int64(r.minHeap.Load()) > limit {
				e.stopForMemory(r, limit)
			}
		}
	}()
}

func (e *Engine) stopForMemory(r *runState, limit int64) {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	if _, running := e.runs[r]; !running {
		return // it ended meanwhile, and its state may run another script
	}
	if r.stopWith(stopMemory) {
		r.host.Log(3, fmt.Sprintf("Lua script %s stopped: it went over lua-memory-limit (%d bytes).", r.name, limit))
	}
}

// observeHeap lowers the run's baseline to heap if heap is smaller, and
// returns the baseline.
func (r *runState) observeHeap(heap uint64) uint64 {
	for {
		cur := r.minHeap.Load()
		if cur != 0 && cur <= heap {
			return cur
		}
		if r.minHeap.CompareAndSwap(cur, heap) {
			return heap
		}
	}
}

// ---------------------------------------------------------------------------
// The state pool.

func (e *Engine) getVM() *vm {
	e.poolMu.Lock()
	if n := len(e.pool); n > 0 {
		v := e.pool[n-1]
		e.pool = e.pool[:n-1]
		e.poolMu.Unlock()
		return v
	}
	e.poolMu.Unlock()
	return e.newVM()
}

// putVM returns a state to the pool, unless its run was stopped or changed
// something that outlives a run.
func (e *Engine) putVM(v *vm, discard bool) {
	if discard {
		v.close()
		return
	}
	e.poolMu.Lock()
	if len(e.pool) < 2*runtime.GOMAXPROCS(0)+2 {
		e.pool = append(e.pool, v)
		v = nil
	}
	e.poolMu.Unlock()
	if v != nil {
		v.close()
	}
}

// vm is one sandboxed Lua state and what its Go functions need.
type vm struct {
	e       *Engine
	L       *lua.LState
	globals *lua.LTable // the real globals table (never given to Lua)
	env     *lua.LTable // its read-only proxy: the scripts' _G
	// proxies maps each read-only proxy to the table it stands for;
	// proxyOf is the reverse; visible is what getmetatable shows for a
	// proxy.
	proxies    map[*lua.LTable]*lua.LTable
	proxyOf    map[*lua.LTable]*lua.LTable
	visible    map[*lua.LTable]lua.LValue
	stringMT   lua.LValue
	readonlyFn *lua.LFunction
	trampoline *lua.LFunction
	rng        rand48
	reply      luaReply
	run        *runState
	// tainted is set when a run changed state that outlives it (cjson's
	// settings); such a state is closed instead of pooled.
	tainted bool
	// fn holds the function libraries instantiated on this state.
	fn functionState
	// ctx is the context the state runs under, cancelled only to stop a
	// run (execute).
	ctx    context.Context
	cancel context.CancelFunc
	// argBytes and argLists are what redis.call's command lines are cut
	// from (luaArgs).
	argBytes slab.Slab[byte]
	argLists slab.Slab[[]byte]
}

// checkStop raises an error if the run was stopped, so a Go function does
// not carry on (the VM checks between instructions by itself).
func (v *vm) checkStop(L *lua.LState) {
	if v.run != nil && v.run.stop.Load() != stopNone {
		v.recordRaise(L, lua.LString("script stopped"))
		L.Error(lua.LString("script stopped"), 0)
	}
}

// allowAlloc reports whether the run may build a value of n bytes in one
// step without going over its memory budget.
func (v *vm) allowAlloc(n int64) bool {
	limit := v.e.memLimit.Load()
	if limit <= 0 {
		return true
	}
	if n > limit {
		return false
	}
	if n < 1<<20 || v.run == nil {
		return true
	}
	heap, _ := readHeap()
	used := int64(heap) - int64(v.run.observeHeap(heap))
	return used+n <= limit
}

// ---------------------------------------------------------------------------
// Error replies.

// errorReply formats a script's uncaught error as Redis 7 does: the err of
// an error table, or "ERR " and the message, followed by where the error
// was raised. counted says the error is one INFO errorstats already
// counted (a command's error, raised by redis.call or passed to error()).
func (v *vm) errorReply(r *runState, err error) (msg string, counted bool) {
	obj := errorObject(err)
	source, line, known := "", 0, false
	if r.raised != nil && sameValue(r.raised, obj) {
		source, line, known = r.raisedSource, r.raisedLine, true
	}
	if t, ok := obj.(*lua.LTable); ok {
		if e := t.RawGetString("err"); isStringy(e) {
			msg = luaString(e)
		} else {
			msg = "ERR unknown error"
		}
		counted = errorCounted(t)
	} else {
		s := luaMessage(luaString(obj))
		msg = "ERR " + s
		if !known {
			source, line, known = positionOf(s)
		}
	}
	if known {
		msg += " script: " + r.name + ", on " + source + ":" + strconv.Itoa(line) + "."
	}
	return msg, counted
}

// stopReply is the error reply of a run that was killed or stopped.
func (v *vm) stopReply(r *runState, reason int32, err error) string {
	obj := errorObject(err)
	source, line, known := "", 0, false
	if r.raised != nil && sameValue(r.raised, obj) {
		source, line, known = r.raisedSource, r.raisedLine, true
	} else if s, ok := obj.(lua.LString); ok {
		source, line, known = positionOf(string(s))
	}
	var msg string
	switch reason {
	case stopKilled:
		// Redis says SCRIPT KILL also for a function stopped by
		// FUNCTION KILL.
		msg = "ERR Script killed by user with SCRIPT KILL..."
	case stopMemory:
		msg = fmt.Sprintf("ERR Script stopped: it went over the script memory limit (lua-memory-limit is %d bytes)", v.e.memLimit.Load())
	default:
		msg = "ERR Script killed: the server is shutting down"
	}
	if known {
		msg += " script: " + r.name + ", on " + source + ":" + strconv.Itoa(line) + "."
	}
	return msg
}

func sameValue(a, b lua.LValue) bool {
	switch x := a.(type) {
	case lua.LString:
		y, ok := b.(lua.LString)
		return ok && x == y
	case *lua.LTable:
		y, ok := b.(*lua.LTable)
		return ok && x == y
	}
	return a == b
}

// positionOf reads the "chunk:line:" prefix Lua puts on runtime errors.
func positionOf(msg string) (source string, line int, ok bool) {
	var chunk, rest string
	if strings.HasPrefix(msg, `[string "`) {
		i := strings.Index(msg, `"]:`)
		if i < 0 {
			return "", 0, false
		}
		chunk, rest = msg[:i+2], msg[i+3:]
	} else {
		i := strings.IndexByte(msg, ':')
		if i <= 0 {
			return "", 0, false
		}
		chunk, rest = msg[:i], msg[i+1:]
	}
	j := strings.IndexByte(rest, ':')
	if j <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(rest[:j])
	if err != nil {
		return "", 0, false
	}
	return sourceOf(chunk), n, true
}
