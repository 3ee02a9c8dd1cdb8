package scripting

import (
	"sync"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// Bounding Lua's concatenation operator.
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

// instFunc is gopher-lua's instFunc; its last parameter is a *callFrame,
// an unexported type, passed through untouched.
type instFunc func(L *lua.LState, inst uint32, baseframe unsafe.Pointer) int

//go:linkname jumpTable github.com/yuin/gopher-lua.jumpTable
var jumpTable [lua.OP_NOP + 1]instFunc

var (
	origConcat instFunc
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
