package scripting

import lua "github.com/yuin/gopher-lua"

// cjson.encode, cmsgpack.pack and struct.pack build their whole result in
// one Go call, which nothing interrupts; a table holding the same large
// string a thousand times would encode to gigabytes. Before they run, the
// size of the result is estimated from the values they are given (each
// string counted every time it is reached, as the encoder will) and checked
// against the run's memory budget. The walk stops as soon as the estimate
// is over the budget, so it also ends quickly on tables whose encoding
// would explode (a table nested in itself many times over).

// encoderDepth bounds the estimate's walk, like the encoders' own nesting
// limits (cjson 1000, cmsgpack 16); deeper tables make the encoder itself
// fail, or stop.
const encoderDepth = 1000

// boundEncoders wraps the encoding functions of the Redis libraries in g.
func (v *vm) boundEncoders(g *lua.LTable) {
	wrap := func(lib *lua.LTable, libName, name string) {
		orig, ok := lib.RawGetString(name).(*lua.LFunction)
		if !ok {
			return
		}
		label := libName + "." + name
		lib.RawSetString(name, v.L.NewFunction(func(L *lua.LState) int {
			v.checkEncodeSize(L, label)
			L.Insert(orig, 1)
			L.Call(L.GetTop()-1, lua.MultRet)
			return L.GetTop()
		}))
	}
	var wrapCjson func(lib *lua.LTable)
	wrapCjson = func(lib *lua.LTable) {
		wrap(lib, "cjson", "encode")
		if orig, ok := lib.RawGetString("new").(*lua.LFunction); ok {
			lib.RawSetString("new", v.L.NewFunction(func(L *lua.LState) int {
				L.Push(orig)
				L.Call(0, 1)
				if t, ok := L.Get(-1).(*lua.LTable); ok {
					wrapCjson(t)
				}
				return 1
			}))
		}
	}
	if t, ok := g.RawGetString("cjson").(*lua.LTable); ok {
		wrapCjson(t)
	}
	if t, ok := g.RawGetString("cmsgpack").(*lua.LTable); ok {
		wrap(t, "cmsgpack", "pack")
	}
	if t, ok := g.RawGetString("struct").(*lua.LTable); ok {
		wrap(t, "struct", "pack")
	}
}

// checkEncodeSize raises an error if encoding the arguments could take the
// run over its memory budget.
func (v *vm) checkEncodeSize(L *lua.LState, name string) {
	limit := v.e.memLimit.Load()
	if limit <= 0 || v.run == nil {
		return
	}
	var size int64
	for i := 1; i <= L.GetTop(); i++ {
		if !estimateSize(v, L.Get(i), 0, &size, limit) {
			L.RaiseError("%s: the result would go over the script memory limit", name)
		}
	}
	if size >= concatCheckFrom && !v.allowAlloc(size) {
		L.RaiseError("%s: the result (about %d bytes) would go over the script memory limit", name, size)
	}
}

// estimateSize adds to size what encoding val takes at least, and reports
// false once size passes limit.
func estimateSize(v *vm, val lua.LValue, depth int, size *int64, limit int64) bool {
	switch x := val.(type) {
	case lua.LString:
		*size += int64(len(x)) + 2
	case *lua.LTable:
		*size += 2
		if depth >= encoderDepth {
			return *size <= limit
		}
		t := v.realTable(x)
		for k, e := t.Next(lua.LNil); k != lua.LNil; k, e = t.Next(k) {
			if !estimateSize(v, k, depth+1, size, limit) || !estimateSize(v, e, depth+1, size, limit) {
				return false
			}
		}
	default:
		*size++
	}
	return *size <= limit
}
