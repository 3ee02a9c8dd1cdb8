package lualib

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// The struct library follows Roberto Ierusalimschy's struct.c (v1.7 with
// Redis's offset argument for unpack) as built for x86-64 Linux: native
// order is little endian, long and size_t are 8 bytes, int is 4 and the
// largest natural alignment is 8.

const (
	structMaxIntSize = 32
	structMaxAlign   = 8
	structBig        = 0
	structLittle     = 1
)

type structHeader struct {
	endian int
	align  int
}

// structFormat walks a format string the way struct.c's pointer does.
type structFormat struct {
	s   string
	pos int
}

func (f *structFormat) more() bool { return f.pos < len(f.s) }

func (f *structFormat) next() byte {
	c := f.s[f.pos]
	f.pos++
	return c
}

func (f *structFormat) getNum(L *lua.LState, df int) int {
	if !f.more() || !isDigit(f.s[f.pos]) {
		return df
	}
	a := 0
	for f.more() && isDigit(f.s[f.pos]) {
		d := int(f.s[f.pos] - '0')
		if a > math.MaxInt32/10 || a*10 > math.MaxInt32-d {
			raise(L, "integral size overflow")
		}
		a = a*10 + d
		f.pos++
	}
	return a
}

func (f *structFormat) optSize(L *lua.LState, opt byte) uint64 {
	switch opt {
	case 'B', 'b', 'x':
		return 1
	case 'H', 'h':
		return 2
	case 'L', 'l', 'T', 'd':
		return 8
	case 'f':
		return 4
	case 'c':
		return uint64(f.getNum(L, 1))
	case 'i', 'I':
		sz := f.getNum(L, 4)
		if sz > structMaxIntSize {
			raise(L, "integral size %d is larger than limit of %d", sz, structMaxIntSize)
		}
		return uint64(sz)
	}
	return 0
}

// toAlign is the padding needed before an item of the given size at offset
// n. Sizes that are not powers of two (i3, i5, ...) give the same odd
// results as the C expression.
func toAlign(n uint64, h *structHeader, opt byte, size uint64) uint64 {
	if size == 0 || opt == 'c' {
		return 0
	}
	if size > uint64(h.align) {
		size = uint64(h.align)
	}
	return (size - (n & (size - 1))) & (size - 1)
}

func (f *structFormat) controlOption(L *lua.LState, opt byte, h *structHeader) {
	switch opt {
	case ' ':
	case '>':
		h.endian = structBig
	case '<':
		h.endian = structLittle
	case '!':
		a := f.getNum(L, structMaxAlign)
		if a <= 0 || a&(a-1) != 0 {
			raise(L, "alignment %d is not a power of 2", a)
		}
		h.align = a
	default:
		argError(L, 1, "invalid format option '"+string([]byte{opt})+"'")
	}
}

func putInteger(L *lua.LState, b []byte, arg int, endian int, size int) []byte {
	n := checkNumber(L, arg)
	var v uint64
	if n < 0 {
		v = uint64(d2i64(n))
	} else {
		v = d2u64(n)
	}
	var buf [structMaxIntSize]byte
	for i := 0; i < size; i++ {
		j := i
		if endian == structBig {
			j = size - 1 - i
		}
		buf[j] = byte(v)
		v >>= 8
	}
	return append(b, buf[:size]...)
}

func appendOrdered(b []byte, little []byte, endian int) []byte {
	if endian == structBig {
		for i := len(little) - 1; i >= 0; i-- {
			b = append(b, little[i])
		}
		return b
	}
	return append(b, little...)
}

func structPack(L *lua.LState) int {
	f := &structFormat{s: cString(checkLString(L, 1))}
	h := structHeader{endian: structLittle, align: 1}
	// struct.c pushes a nil to separate the arguments from its string
	// buffer, so a missing argument is reported as nil, not "no value".
	L.Push(lua.LNil)
	arg := 2
	var total uint64
	var out []byte
	for f.more() {
		opt := f.next()
		size := f.optSize(L, opt)
		pad := toAlign(total, &h, opt, size)
		total += pad
		for ; pad > 0; pad-- {
			out = append(out, 0)
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			out = putInteger(L, out, arg, h.endian, int(size))
			arg++
		case 'x':
			out = append(out, 0)
		case 'f':
			var le [4]byte
			binary.LittleEndian.PutUint32(le[:], math.Float32bits(float32(checkNumber(L, arg))))
			arg++
			out = appendOrdered(out, le[:], h.endian)
		case 'd':
			var le [8]byte
			binary.LittleEndian.PutUint64(le[:], math.Float64bits(checkNumber(L, arg)))
			arg++
			out = appendOrdered(out, le[:], h.endian)
		case 'c', 's':
			s := checkLString(L, arg)
			arg++
			if size == 0 {
				size = uint64(len(s))
			}
			if uint64(len(s)) < size {
				// struct.c reports the argument after the string.
				argError(L, arg, "string too short")
			}
			out = append(out, s[:size]...)
			if opt == 's' {
				out = append(out, 0)
				size++
			}
		default:
			f.controlOption(L, opt, &h)
		}
		total += size
	}
	L.Push(lua.LString(out))
	return 1
}

func getInteger(b []byte, endian int, signed bool, size int) float64 {
	var l uint64
	for i := 0; i < size; i++ {
		j := i
		if endian == structLittle {
			j = size - 1 - i
		}
		l = l<<8 | uint64(b[j])
	}
	if !signed {
		return float64(l)
	}
	// The C shift count is not reduced for sizes above 8 bytes; x86 masks
	// it to six bits.
	mask := ^uint64(0) << (uint(size*8-1) & 63)
	if l&mask != 0 {
		l |= mask
	}
	return float64(int64(l))
}

func structUnpack(L *lua.LState) int {
	f := &structFormat{s: cString(checkLString(L, 1))}
	data := checkLString(L, 2)
	ld := uint64(len(data))
	pos := uint64(optInteger(L, 3, 1))
	if pos == 0 {
		argError(L, 3, "offset must be 1 or greater")
	}
	pos--
	h := structHeader{endian: structLittle, align: 1}
	nargs := L.GetTop()
	var results []lua.LValue
	for f.more() {
		opt := f.next()
		size := f.optSize(L, opt)
		pos += toAlign(pos, &h, opt, size)
		if !(size <= ld && pos <= ld-size) {
			argError(L, 2, "data string too short")
		}
		if nargs+len(results)+2 > luaMaxCStack {
			raise(L, "stack overflow (too many results)")
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			signed := opt >= 'a' && opt <= 'z'
			results = append(results, lua.LNumber(getInteger([]byte(data[pos:pos+size]), h.endian, signed, int(size))))
		case 'x':
		case 'f':
			var le [4]byte
			copy(le[:], appendOrdered(nil, []byte(data[pos:pos+4]), h.endian))
			results = append(results, lua.LNumber(math.Float32frombits(binary.LittleEndian.Uint32(le[:]))))
		case 'd':
			var le [8]byte
			copy(le[:], appendOrdered(nil, []byte(data[pos:pos+8]), h.endian))
			results = append(results, lua.LNumber(math.Float64frombits(binary.LittleEndian.Uint64(le[:]))))
		case 'c':
			if size == 0 {
				// The length comes from the previous result, which is
				// consumed; numeric strings count as numbers here.
				var d float64
				ok := false
				if len(results) > 0 {
					d, ok = toNumber(results[len(results)-1])
				}
				if !ok {
					raise(L, "format 'c0' needs a previous size")
				}
				size = d2u64(d)
				results = results[:len(results)-1]
				if !(size <= ld && pos <= ld-size) {
					argError(L, 2, "data string too short")
				}
			}
			results = append(results, lua.LString(data[pos:pos+size]))
		case 's':
			e := -1
			for i := pos; i < ld; i++ {
				if data[i] == 0 {
					e = int(i - pos)
					break
				}
			}
			if e < 0 {
				raise(L, "unfinished string in data")
			}
			size = uint64(e) + 1
			results = append(results, lua.LString(data[pos:pos+uint64(e)]))
		default:
			f.controlOption(L, opt, &h)
		}
		pos += size
	}
	for _, v := range results {
		L.Push(v)
	}
	L.Push(lua.LNumber(float64(int64(pos + 1))))
	return len(results) + 1
}

func structSize(L *lua.LState) int {
	f := &structFormat{s: cString(checkLString(L, 1))}
	h := structHeader{endian: structLittle, align: 1}
	var pos uint64
	for f.more() {
		opt := f.next()
		size := f.optSize(L, opt)
		pos += toAlign(pos, &h, opt, size)
		if opt == 's' {
			argError(L, 1, "option 's' has no fixed size")
		} else if opt == 'c' && size == 0 {
			argError(L, 1, "option 'c0' has no fixed size")
		}
		// Letters and digits that are not options are skipped silently
		// here, unlike in pack and unpack.
		if !isAlnum(opt) {
			f.controlOption(L, opt, &h)
		}
		pos += size
	}
	L.Push(lua.LNumber(float64(int64(pos))))
	return 1
}

func newStructLib(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(structPack))
	t.RawSetString("unpack", L.NewFunction(structUnpack))
	t.RawSetString("size", L.NewFunction(structSize))
	return t
}
