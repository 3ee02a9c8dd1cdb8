package lualib

import (
	"math"
	"math/bits"

	lua "github.com/yuin/gopher-lua"
)

// The bit library follows LuaBitOp 1.0.2 as compiled into Redis for Lua 5.1
// with double numbers.

// bitArg converts argument idx to 32 bits the way LuaBitOp does: adding
// 2^52+2^51 moves the integer part of the double into the low mantissa
// bits, which wraps large values modulo 2^32 and rounds fractions to
// nearest-even. A zero result from something that is not a number is a
// type error; non-numbers always produce zero, so all of them are caught.
func bitArg(L *lua.LState, idx int) uint32 {
	var d float64
	ok := false
	if idx <= L.GetTop() {
		d, ok = toNumber(L.Get(idx))
	}
	b := uint32(math.Float64bits(d + 6755399441055744.0))
	if b == 0 && !ok {
		typeError(L, idx, "number")
	}
	return b
}

func bitReturn(L *lua.LState, b uint32) int {
	L.Push(lua.LNumber(int32(b)))
	return 1
}

func bitFold(op func(a, b uint32) uint32) lua.LGFunction {
	return func(L *lua.LState) int {
		b := bitArg(L, 1)
		// LuaBitOp folds the remaining arguments from the last one down,
		// which decides which bad argument is reported.
		for i := L.GetTop(); i > 1; i-- {
			b = op(b, bitArg(L, i))
		}
		return bitReturn(L, b)
	}
}

func bitShift(op func(b, n uint32) uint32) lua.LGFunction {
	return func(L *lua.LState) int {
		b := bitArg(L, 1)
		n := bitArg(L, 2) & 31
		return bitReturn(L, op(b, n))
	}
}

func bitToHex(L *lua.LState) int {
	b := bitArg(L, 1)
	n := int32(8)
	if L.GetTop() >= 2 {
		n = int32(bitArg(L, 2))
	}
	digits := "0123456789abcdef"
	if n < 0 {
		n = -n
		digits = "0123456789ABCDEF"
	}
	// Negating -2^31 overflows; the compiled C treats the result as large
	// and positive, so it clamps to 8 digits (upper case).
	if n > 8 || n < 0 {
		n = 8
	}
	buf := make([]byte, n)
	for i := int(n) - 1; i >= 0; i-- {
		buf[i] = digits[b&15]
		b >>= 4
	}
	L.Push(lua.LString(buf))
	return 1
}

func newBitLib(L *lua.LState) *lua.LTable {
	funcs := map[string]lua.LGFunction{
		"tobit": func(L *lua.LState) int { return bitReturn(L, bitArg(L, 1)) },
		"bnot":  func(L *lua.LState) int { return bitReturn(L, ^bitArg(L, 1)) },
		"band":  bitFold(func(a, b uint32) uint32 { return a & b }),
		"bor":   bitFold(func(a, b uint32) uint32 { return a | b }),
		"bxor":  bitFold(func(a, b uint32) uint32 { return a ^ b }),
		"lshift": bitShift(func(b, n uint32) uint32 {
			return b << n
		}),
		"rshift": bitShift(func(b, n uint32) uint32 {
			return b >> n
		}),
		"arshift": bitShift(func(b, n uint32) uint32 {
			return uint32(int32(b) >> n)
		}),
		"rol": bitShift(func(b, n uint32) uint32 {
			return bits.RotateLeft32(b, int(n))
		}),
		"ror": bitShift(func(b, n uint32) uint32 {
			return bits.RotateLeft32(b, -int(n))
		}),
		"bswap": func(L *lua.LState) int {
			b := bitArg(L, 1)
			return bitReturn(L, b>>24|(b>>8)&0xff00|(b&0xff00)<<8|b<<24)
		},
		"tohex": bitToHex,
	}
	t := L.NewTable()
	for name, fn := range funcs {
		t.RawSetString(name, L.NewFunction(fn))
	}
	return t
}
