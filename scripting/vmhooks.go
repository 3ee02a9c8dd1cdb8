package scripting

import (
	"sync"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// Hooks into gopher-lua's VM: bounding the concatenation operator, and
// Lua 5.1's error messages for calling, measuring or negating a value that
// does not support it.
//
// "s = s .. s" doubles a string in one VM instruction, and a Go copy of
// hundreds of megabytes cannot be interrupted: not by SCRIPT KILL, not by
// the memory watchdog, which a long copy even keeps from being scheduled
// (the collector's stop-the-world waits for it). So the size of every
// concatenation is checked before it runs, like string.rep's: a result that
// would take the run over its memory budget raises an error instead.
//
// gopher-lua has no hook for this. Its VM dispatches each instruction
// through an unexported table of functions, jumpTable; the entry for
// OP_CONCAT is replaced, once, by a guard that measures the operands and
// then calls the original. The linkname below pins that table. It is tied
// to gopher-lua v1.1.2's VM (the table's shape and OP_CONCAT's operand
// encoding, A<<18 | C<<9 | B); TestConcatIsBounded fails if an upgrade
// breaks it.
//
// The same table lets OP_CALL, OP_TAILCALL, OP_LEN and OP_UNM check their
// operand first and fail with Lua 5.1's words ("attempt to call local 'f'
// (a nil value)") where gopher-lua has its own ("attempt to call a
// non-function object", "__len undefined"). The variable's name is found
// only once the check has failed (varinfo.go), so a call that succeeds
// costs what it did.

// instFunc is gopher-lua's instFunc; its last parameter is a *callFrame,
// an unexported type, passed through untouched.
type instFunc func(L *lua.LState, inst uint32, baseframe unsafe.Pointer) int

//go:linkname jumpTable github.com/yuin/gopher-lua.jumpTable
var jumpTable [lua.OP_NOP + 1]instFunc

var (
	origConcat, origCall, origTailCall, origLen, origUnm instFunc
	// vmsByGlobal finds the vm of a running state (coroutines have their
	// own LState but share the Global).
	vmsByGlobal sync.Map // *lua.Global -> *vm
)

// concatCheckFrom is the result size below which a concatenation is not
// checked against the budget at all.
const concatCheckFrom = 1 << 20

func init() {
	origConcat = jumpTable[lua.OP_CONCAT]
	jumpTable[lua.OP_CONCAT] = guardedConcat
	origCall = jumpTable[lua.OP_CALL]
	jumpTable[lua.OP_CALL] = func(L *lua.LState, inst uint32, bf unsafe.Pointer) int {
		checkCallable(L, int(inst>>18)&0xff)
		return origCall(L, inst, bf)
	}
	origTailCall = jumpTable[lua.OP_TAILCALL]
	jumpTable[lua.OP_TAILCALL] = func(L *lua.LState, inst uint32, bf unsafe.Pointer) int {
		checkCallable(L, int(inst>>18)&0xff)
		return origTailCall(L, inst, bf)
	}
	origLen = jumpTable[lua.OP_LEN]
	jumpTable[lua.OP_LEN] = func(L *lua.LState, inst uint32, bf unsafe.Pointer) int {
		if b := int(inst & 0x1ff); b < rkConstant {
			switch v := L.Get(b + 1).(type) {
			case lua.LString, *lua.LTable:
			default:
				if L.GetMetaField(v, "__len") == lua.LNil {
					L.RaiseError("%s", typeError(L, "get length of", b, v, true))
				}
			}
		}
		return origLen(L, inst, bf)
	}
	origUnm = jumpTable[lua.OP_UNM]
	jumpTable[lua.OP_UNM] = func(L *lua.LState, inst uint32, bf unsafe.Pointer) int {
		if b := int(inst & 0x1ff); b < rkConstant {
			switch v := L.Get(b + 1).(type) {
			case lua.LNumber:
			case lua.LString:
				if _, ok := parseLuaNumber(string(v)); !ok && L.GetMetaField(v, "__unm") == lua.LNil {
					L.RaiseError("%s", typeError(L, "perform arithmetic on", b, v, true))
				}
			default:
				if L.GetMetaField(v, "__unm") == lua.LNil {
					L.RaiseError("%s", typeError(L, "perform arithmetic on", b, v, true))
				}
			}
		}
		return origUnm(L, inst, bf)
	}
}

// rkConstant marks an RK operand that names a constant, not a register.
const rkConstant = 0x100

// checkCallable raises Lua 5.1's error when register a does not hold a
// function or a value with a __call metamethod.
func checkCallable(L *lua.LState, a int) {
	switch v := L.Get(a + 1).(type) {
	case *lua.LFunction:
	default:
		if L.GetMetaField(v, "__call") == lua.LNil {
			L.RaiseError("%s", typeError(L, "call", a, v, false))
		}
	}
}

func guardedConcat(L *lua.LState, inst uint32, baseframe unsafe.Pointer) int {
	b := int(inst & 0x1ff)
	c := int(inst>>9) & 0x1ff
	size := 0
	for r := b; r <= c; r++ {
		switch v := L.Get(r + 1).(type) {
		case lua.LString:
			size += len(v)
		case lua.LNumber:
			size += 24
		}
	}
	if size >= concatCheckFrom {
		if v, ok := vmsByGlobal.Load(L.G); ok && !v.(*vm).allowAlloc(int64(size)) {
			L.RaiseError("string concatenation: the result (%d bytes) would go over the script memory limit", size)
		}
	}
	return origConcat(L, inst, baseframe)
}
