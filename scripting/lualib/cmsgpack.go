package lualib

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// The cmsgpack library follows lua-cmsgpack 0.4.0 as patched in Redis 7.0
// (lua_cmsgpack.c), built for Lua 5.1 on 64-bit Linux. Its choices differ
// from general-purpose MessagePack codecs (every string in str formats,
// float32 whenever exact, uint64 read back as signed, a nesting cap that
// turns deep tables into nil, its own error texts and stack limits), so
// both directions are written out here rather than delegated to a codec.

const (
	mpMaxNesting = 16

	mpErrNone   = 0
	mpErrEOF    = 1
	mpErrBadFmt = 2
)

func mpStackCheck(L *lua.LState, height, need int, what string) {
	if height+need > luaMaxCStack {
		raise(L, "stack overflow (%s)", what)
	}
}

type mpEncoder struct {
	L   *lua.LState
	buf []byte
}

func (e *mpEncoder) bytes(s string) {
	n := len(s)
	switch {
	case n < 32:
		e.buf = append(e.buf, 0xa0|byte(n))
	case n <= 0xff:
		e.buf = append(e.buf, 0xd9, byte(n))
	case n <= 0xffff:
		e.buf = append(e.buf, 0xda, byte(n>>8), byte(n))
	default:
		e.buf = append(e.buf, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	e.buf = append(e.buf, s...)
}

func (e *mpEncoder) double(d float64) {
	f := float32(d)
	if float64(f) == d {
		e.buf = append(e.buf, 0xca)
		e.buf = binary.BigEndian.AppendUint32(e.buf, math.Float32bits(f))
		return
	}
	e.buf = append(e.buf, 0xcb)
	e.buf = binary.BigEndian.AppendUint64(e.buf, math.Float64bits(d))
}

func (e *mpEncoder) integer(n int64) {
	switch {
	case n >= 0 && n <= 127:
		e.buf = append(e.buf, byte(n))
	case n >= 0 && n <= 0xff:
		e.buf = append(e.buf, 0xcc, byte(n))
	case n >= 0 && n <= 0xffff:
		e.buf = append(e.buf, 0xcd)
		e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(n))
	case n >= 0 && n <= 0xffffffff:
		e.buf = append(e.buf, 0xce)
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(n))
	case n >= 0:
		e.buf = append(e.buf, 0xcf)
		e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(n))
	case n >= -32:
		e.buf = append(e.buf, byte(n))
	case n >= -128:
		e.buf = append(e.buf, 0xd0, byte(n))
	case n >= -32768:
		e.buf = append(e.buf, 0xd1)
		e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(n))
	case n >= -2147483648:
		e.buf = append(e.buf, 0xd2)
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(n))
	default:
		e.buf = append(e.buf, 0xd3)
		e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(n))
	}
}

func (e *mpEncoder) header(n int, fix, b16, b32 byte) {
	switch {
	case n <= 15:
		e.buf = append(e.buf, fix|byte(n))
	case n <= 0xffff:
		e.buf = append(e.buf, b16, byte(n>>8), byte(n))
	default:
		e.buf = append(e.buf, b32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

func (e *mpEncoder) number(n float64) {
	// Lua 5.1 has only doubles: anything that survives a round trip
	// through int64 is packed as an integer, -0 included.
	if !math.IsInf(n, 0) && float64(d2i64(n)) == n {
		e.integer(d2i64(n))
		return
	}
	e.double(n)
}

// arrayLength mirrors table_is_an_array for Lua 5.1: every key a positive
// number that fits a C int, and no holes between 1 and the largest key. It
// returns the length to encode, or false for tables packed as maps.
func arrayLength(t *lua.LTable) (int, bool) {
	count, max := 0, 0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n, isNum := k.(lua.LNumber)
		if !isNum || n <= 0 || math.IsInf(float64(n), 0) || float64(d2i32(float64(n))) != float64(n) {
			return 0, false
		}
		if int(n) > max {
			max = int(n)
		}
		count++
	}
	return count, max == count
}

// value encodes v, which sits at stack height h in the C implementation;
// the height only matters for reproducing its stack overflow errors.
func (e *mpEncoder) value(v lua.LValue, level, h int) {
	switch x := v.(type) {
	case lua.LString:
		e.bytes(string(x))
	case lua.LBool:
		if x {
			e.buf = append(e.buf, 0xc3)
		} else {
			e.buf = append(e.buf, 0xc2)
		}
	case lua.LNumber:
		e.number(float64(x))
	case *lua.LTable:
		// Past the nesting limit tables become nil, which is also what
		// keeps self-referencing tables from recursing forever.
		if level == mpMaxNesting {
			e.buf = append(e.buf, 0xc0)
			return
		}
		e.table(x, level, h)
	default:
		e.buf = append(e.buf, 0xc0)
	}
}

func (e *mpEncoder) table(t *lua.LTable, level, h int) {
	mpStackCheck(e.L, h, 2, "in function table_is_an_array")
	if n, ok := arrayLength(t); ok {
		mpStackCheck(e.L, h, 1, "in function mp_encode_lua_table_as_array")
		e.header(n, 0x90, 0xdc, 0xdd)
		for j := 1; j <= n; j++ {
			e.value(t.RawGet(lua.LNumber(j)), level+1, h+1)
		}
		return
	}
	mpStackCheck(e.L, h, 3, "in function mp_encode_lua_table_as_map")
	keys := pairsInLua51Order(t)
	e.header(len(keys), 0x80, 0xde, 0xdf)
	for _, k := range keys {
		e.value(k, level+1, h+3)
		e.value(t.RawGet(k), level+1, h+2)
	}
}

func mpPack(L *lua.LState) int {
	nargs := L.GetTop()
	if nargs == 0 {
		argError(L, 0, "MessagePack pack needs input.")
	}
	// lua_checkstack(L, nargs) with nargs slots already in use.
	if nargs > luaMaxCStack || 2*nargs > luaMaxCStack {
		argError(L, 0, "Too many arguments for MessagePack pack.")
	}
	e := &mpEncoder{L: L}
	for i := 1; i <= nargs; i++ {
		// Each argument's encoding stays on the C stack until the final
		// concatenation, above the arguments themselves.
		e.value(L.Get(i), 0, nargs+i)
	}
	L.Push(lua.LString(e.buf))
	return 1
}

type mpDecoder struct {
	L    *lua.LState
	data []byte
	p    int
	err  int
}

func (d *mpDecoder) left() int { return len(d.data) - d.p }

func (d *mpDecoder) need(n uint64) bool {
	if uint64(d.left()) < n {
		d.err = mpErrEOF
		return false
	}
	return true
}

func (d *mpDecoder) be(off, n int) uint64 {
	var v uint64
	for i := 0; i < n; i++ {
		v = v<<8 | uint64(d.data[d.p+off+i])
	}
	return v
}

// decode reads one value; h is the C stack height before it is pushed.
// A nil result with d.err set means decoding stopped.
func (d *mpDecoder) decode(h int) lua.LValue {
	if !d.need(1) {
		return lua.LNil
	}
	mpStackCheck(d.L, h, 1, "too many return values at once; use unpack_one or unpack_limit instead.")
	c := d.data[d.p]
	fixed := func(size int, v lua.LValue) lua.LValue {
		if !d.need(uint64(size)) {
			return lua.LNil
		}
		d.p += size
		return v
	}
	str := func(hdr int, n uint64) lua.LValue {
		if !d.need(uint64(hdr)) {
			return lua.LNil
		}
		d.p += hdr
		if !d.need(n) {
			return lua.LNil
		}
		s := string(d.data[d.p : d.p+int(n)])
		d.p += int(n)
		return lua.LString(s)
	}
	need := func(n int) bool { return d.need(uint64(n)) }
	switch c {
	case 0xcc:
		if !need(2) {
			return lua.LNil
		}
		return fixed(2, lua.LNumber(d.be(1, 1)))
	case 0xd0:
		if !need(2) {
			return lua.LNil
		}
		return fixed(2, lua.LNumber(int8(d.be(1, 1))))
	case 0xcd:
		if !need(3) {
			return lua.LNil
		}
		return fixed(3, lua.LNumber(d.be(1, 2)))
	case 0xd1:
		if !need(3) {
			return lua.LNil
		}
		return fixed(3, lua.LNumber(int16(d.be(1, 2))))
	case 0xce:
		if !need(5) {
			return lua.LNil
		}
		return fixed(5, lua.LNumber(d.be(1, 4)))
	case 0xd2:
		if !need(5) {
			return lua.LNil
		}
		return fixed(5, lua.LNumber(int32(d.be(1, 4))))
	case 0xcf, 0xd3:
		// Unsigned 64-bit values go through lua_pushinteger, so the top
		// bit turns them negative exactly like the signed form.
		if !need(9) {
			return lua.LNil
		}
		return fixed(9, lua.LNumber(int64(d.be(1, 8))))
	case 0xc0:
		d.p++
		return lua.LNil
	case 0xc3:
		d.p++
		return lua.LTrue
	case 0xc2:
		d.p++
		return lua.LFalse
	case 0xca:
		if !need(5) {
			return lua.LNil
		}
		return fixed(5, lua.LNumber(math.Float32frombits(uint32(d.be(1, 4)))))
	case 0xcb:
		if !need(9) {
			return lua.LNil
		}
		return fixed(9, lua.LNumber(math.Float64frombits(d.be(1, 8))))
	case 0xd9:
		if !need(2) {
			return lua.LNil
		}
		return str(2, d.be(1, 1))
	case 0xda:
		if !need(3) {
			return lua.LNil
		}
		return str(3, d.be(1, 2))
	case 0xdb:
		if !need(5) {
			return lua.LNil
		}
		return str(5, d.be(1, 4))
	case 0xdc, 0xde:
		if !need(3) {
			return lua.LNil
		}
		n := d.be(1, 2)
		d.p += 3
		if c == 0xdc {
			return d.array(n, h)
		}
		return d.hash(n, h)
	case 0xdd, 0xdf:
		if !need(5) {
			return lua.LNil
		}
		n := d.be(1, 4)
		d.p += 5
		if c == 0xdd {
			return d.array(n, h)
		}
		return d.hash(n, h)
	}
	switch {
	case c&0x80 == 0:
		d.p++
		return lua.LNumber(c)
	case c&0xe0 == 0xe0:
		d.p++
		return lua.LNumber(int8(c))
	case c&0xe0 == 0xa0:
		return str(1, uint64(c&0x1f))
	case c&0xf0 == 0x90:
		d.p++
		return d.array(uint64(c&0xf), h)
	case c&0xf0 == 0x80:
		d.p++
		return d.hash(uint64(c&0xf), h)
	}
	d.err = mpErrBadFmt
	return lua.LNil
}

func (d *mpDecoder) array(n uint64, h int) lua.LValue {
	t := d.L.CreateTable(0, 0)
	mpStackCheck(d.L, h+1, 1, "in function mp_decode_to_lua_array")
	for i := uint64(1); i <= n; i++ {
		v := d.decode(h + 2)
		if d.err != mpErrNone {
			return t
		}
		t.RawSet(lua.LNumber(i), v)
	}
	return t
}

func (d *mpDecoder) hash(n uint64, h int) lua.LValue {
	// The pairs are collected first so that the table can be given the
	// array part shape that marks it as built one key at a time (see
	// luatable.go), which depends on whether integer keys are present.
	var pairs []lua.LValue
	intKeys := false
	for ; n > 0; n-- {
		k := d.decode(h + 1)
		if d.err != mpErrNone {
			break
		}
		v := d.decode(h + 2)
		if d.err != mpErrNone {
			break
		}
		checkKey(d.L, k)
		if arrayIndex(k) >= 1 {
			intKeys = true
		}
		pairs = append(pairs, k, v)
	}
	acap := 1
	if intKeys {
		acap = gopherArrayGrowth
	}
	t := d.L.CreateTable(acap, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		t.RawSet(pairs[i], pairs[i+1])
	}
	return t
}

// checkKey raises the errors lua_settable gives for keys a table cannot
// hold. The VM raises them from inside the C function, so they carry no
// position.
func checkKey(L *lua.LState, k lua.LValue) {
	switch x := k.(type) {
	case *lua.LNilType:
		L.Error(lua.LString("table index is nil"), 0)
	case lua.LNumber:
		if x != x {
			L.Error(lua.LString("table index is NaN"), 0)
		}
	}
}

func mpUnpackFull(L *lua.LState, limit, offset int64) int {
	s := checkLString(L, 1)
	n := int64(len(s))
	if offset < 0 || limit < 0 {
		// The C code prints the input length where the limit belongs.
		raise(L, "Invalid request to unpack with offset of %d and limit of %d.", int32(offset), int32(n))
	} else if offset > n {
		raise(L, "Start offset %d greater than input length %d.", int32(offset), int32(n))
	}
	decodeAll := limit == 0 && offset == 0
	if decodeAll {
		limit = math.MaxInt32
	}
	base := L.GetTop()
	d := &mpDecoder{L: L, data: []byte(s), p: int(offset)}
	var out []lua.LValue
	for cnt := int64(0); d.left() > 0 && cnt < limit; cnt++ {
		v := d.decode(base + len(out))
		switch d.err {
		case mpErrEOF:
			raise(L, "Missing bytes in input.")
		case mpErrBadFmt:
			raise(L, "Bad data format in input.")
		}
		out = append(out, v)
	}
	if !decodeAll {
		mpStackCheck(L, base+len(out), 1, "in function mp_unpack_full")
		next := int64(n) - int64(d.left())
		if d.left() == 0 {
			next = -1
		}
		L.Push(lua.LNumber(next))
	}
	for _, v := range out {
		L.Push(v)
	}
	if decodeAll {
		return len(out)
	}
	return len(out) + 1
}

func mpUnpack(L *lua.LState) int {
	return mpUnpackFull(L, 0, 0)
}

func mpUnpackOne(L *lua.LState) int {
	offset := optInteger(L, 2, 0)
	keepFirstArg(L)
	return mpUnpackFull(L, 1, offset)
}

func mpUnpackLimit(L *lua.LState) int {
	limit := checkInteger(L, 2)
	offset := optInteger(L, 3, 0)
	keepFirstArg(L)
	return mpUnpackFull(L, limit, offset)
}

// keepFirstArg drops everything but the input string, as the C functions
// do before decoding; it changes the stack budget left for results.
func keepFirstArg(L *lua.LState) {
	if L.GetTop() > 1 {
		L.SetTop(1)
	}
}

func newCmsgpackLib(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(mpPack))
	t.RawSetString("unpack", L.NewFunction(mpUnpack))
	t.RawSetString("unpack_one", L.NewFunction(mpUnpackOne))
	t.RawSetString("unpack_limit", L.NewFunction(mpUnpackLimit))
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	t.RawSetString("_COPYRIGHT", lua.LString("Copyright (C) 2012, Salvatore Sanfilippo"))
	t.RawSetString("_DESCRIPTION", lua.LString("MessagePack C implementation for Lua"))
	return t
}
