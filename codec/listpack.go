package codec

import (
	"encoding/binary"
	"math"
)

// Redis's compact encodings inside DUMP payloads: listpacks (listpack.c),
// ziplists (ziplist.c, RDB files before Redis 7) and intsets (intset.c).
// The readers check every length against the bytes present and never
// allocate more than the input's size; any inconsistency is ErrRDB.

// lpElem is one listpack or ziplist element: a string, or an integer.
type lpElem struct {
	s     []byte // aliases the input
	n     int64
	isInt bool
}

// bytes is the element as Redis's lpGet returns it: integers in decimal.
func (e lpElem) bytes() []byte {
	if e.isInt {
		return []byte(FormatInt(e.n))
	}
	return append([]byte{}, e.s...)
}

// integer is the element as an integer (a string must be a canonical one,
// as lpGetInteger's callers assume).
func (e lpElem) integer() (int64, bool) {
	if e.isInt {
		return e.n, true
	}
	return ParseInt(e.s)
}

const (
	lpHeaderSize = 6
	lpEOF        = 0xff
)

// decodeListpack splits a listpack into its elements, checking its header,
// every entry's back-length and its terminator.
func decodeListpack(lp []byte) ([]lpElem, error) {
	if len(lp) < lpHeaderSize+1 || int(binary.LittleEndian.Uint32(lp)) != len(lp) || lp[len(lp)-1] != lpEOF {
		return nil, ErrRDB
	}
	count := int(binary.LittleEndian.Uint16(lp[4:]))
	var out []lpElem
	p := lp[lpHeaderSize : len(lp)-1]
	for len(p) > 0 {
		var e lpElem
		var size int // encoding byte(s) plus data
		c := p[0]
		need := func(n int) bool { return n <= len(p) }
		switch {
		case c&0x80 == 0: // 7-bit unsigned
			e, size = lpElem{n: int64(c & 0x7f), isInt: true}, 1
		case c&0xc0 == 0x80: // 6-bit string length
			l := int(c & 0x3f)
			if !need(1 + l) {
				return nil, ErrRDB
			}
			e, size = lpElem{s: p[1 : 1+l]}, 1+l
		case c&0xe0 == 0xc0: // 13-bit signed
			if !need(2) {
				return nil, ErrRDB
			}
			v := int64(c&0x1f)<<8 | int64(p[1])
			if v >= 1<<12 {
				v -= 1 << 13
			}
			e, size = lpElem{n: v, isInt: true}, 2
		case c&0xf0 == 0xe0: // 12-bit string length
			if !need(2) {
				return nil, ErrRDB
			}
			l := int(c&0x0f)<<8 | int(p[1])
			if !need(2 + l) {
				return nil, ErrRDB
			}
			e, size = lpElem{s: p[2 : 2+l]}, 2+l
		case c == 0xf0: // 32-bit string length
			if !need(5) {
				return nil, ErrRDB
			}
			l := uint64(binary.LittleEndian.Uint32(p[1:]))
			if l > uint64(len(p)-5) {
				return nil, ErrRDB
			}
			e, size = lpElem{s: p[5 : 5+int(l)]}, 5+int(l)
		case c >= 0xf1 && c <= 0xf4:
			w := map[byte]int{0xf1: 2, 0xf2: 3, 0xf3: 4, 0xf4: 8}[c]
			if !need(1 + w) {
				return nil, ErrRDB
			}
			e, size = lpElem{n: leSigned(p[1 : 1+w]), isInt: true}, 1+w
		default:
			return nil, ErrRDB
		}
		bl := lpBacklenSize(size)
		if size+bl > len(p) || lpDecodeBacklen(p[size:size+bl]) != uint64(size) {
			return nil, ErrRDB
		}
		out = append(out, e)
		p = p[size+bl:]
	}
	if count != math.MaxUint16 && count != len(out) {
		return nil, ErrRDB
	}
	return out, nil
}

// leSigned reads a little-endian two's-complement integer of len(b) bytes.
func leSigned(b []byte) int64 {
	var u uint64
	for i := len(b) - 1; i >= 0; i-- {
		u = u<<8 | uint64(b[i])
	}
	shift := 64 - 8*uint(len(b))
	return int64(u<<shift) >> shift
}

func lpBacklenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// lpDecodeBacklen reads a back-length written left to right (the first byte
// holds the highest 7 bits).
func lpDecodeBacklen(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<7 | uint64(c&0x7f)
	}
	return v
}

func lpAppendBacklen(b []byte, l int) []byte {
	n := lpBacklenSize(l)
	for i := n - 1; i >= 0; i-- {
		c := byte(l>>(7*uint(i))) & 0x7f
		if i != n-1 {
			c |= 0x80
		}
		b = append(b, c)
	}
	return b
}

// listpackWriter builds a listpack.
type listpackWriter struct {
	b []byte
	n int
}

func newListpackWriter() *listpackWriter {
	return &listpackWriter{b: make([]byte, lpHeaderSize, 64)}
}

func (w *listpackWriter) appendInt(v int64) {
	start := len(w.b)
	switch {
	case v >= 0 && v <= 127:
		w.b = append(w.b, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & 0x1fff
		w.b = append(w.b, 0xc0|byte(u>>8), byte(u))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		w.b = binary.LittleEndian.AppendUint16(append(w.b, 0xf1), uint16(v))
	case v >= -1<<23 && v < 1<<23:
		w.b = append(w.b, 0xf2, byte(v), byte(v>>8), byte(v>>16))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		w.b = binary.LittleEndian.AppendUint32(append(w.b, 0xf3), uint32(v))
	default:
		w.b = binary.LittleEndian.AppendUint64(append(w.b, 0xf4), uint64(v))
	}
	w.b = lpAppendBacklen(w.b, len(w.b)-start)
	w.n++
}

func (w *listpackWriter) appendString(s []byte) {
	start := len(w.b)
	switch l := len(s); {
	case l < 64:
		w.b = append(w.b, 0x80|byte(l))
	case l < 4096:
		w.b = append(w.b, 0xe0|byte(l>>8), byte(l))
	default:
		w.b = binary.LittleEndian.AppendUint32(append(w.b, 0xf0), uint32(l))
	}
	w.b = append(w.b, s...)
	w.b = lpAppendBacklen(w.b, len(w.b)-start)
	w.n++
}

func (w *listpackWriter) finish() []byte {
	w.b = append(w.b, lpEOF)
	binary.LittleEndian.PutUint32(w.b, uint32(len(w.b)))
	n := w.n
	if n >= math.MaxUint16 {
		n = math.MaxUint16
	}
	binary.LittleEndian.PutUint16(w.b[4:], uint16(n))
	return w.b
}

// decodeZiplist splits a ziplist (the encoding of small collections in RDB
// files before Redis 7) into its elements.
func decodeZiplist(zl []byte) ([]lpElem, error) {
	const header = 10
	if len(zl) < header+1 || int(binary.LittleEndian.Uint32(zl)) != len(zl) || zl[len(zl)-1] != 0xff {
		return nil, ErrRDB
	}
	count := int(binary.LittleEndian.Uint16(zl[8:]))
	var out []lpElem
	p := zl[header : len(zl)-1]
	for len(p) > 0 {
		// The previous entry's length: one byte, or 0xfe and four bytes.
		if p[0] == 0xfe {
			if len(p) < 5 {
				return nil, ErrRDB
			}
			p = p[5:]
		} else {
			p = p[1:]
		}
		if len(p) == 0 {
			return nil, ErrRDB
		}
		c := p[0]
		var e lpElem
		var size int
		switch c >> 6 {
		case 0:
			l := int(c & 0x3f)
			if 1+l > len(p) {
				return nil, ErrRDB
			}
			e, size = lpElem{s: p[1 : 1+l]}, 1+l
		case 1:
			if len(p) < 2 {
				return nil, ErrRDB
			}
			l := int(c&0x3f)<<8 | int(p[1])
			if 2+l > len(p) {
				return nil, ErrRDB
			}
			e, size = lpElem{s: p[2 : 2+l]}, 2+l
		case 2:
			if c != 0x80 || len(p) < 5 {
				return nil, ErrRDB
			}
			l := uint64(binary.BigEndian.Uint32(p[1:]))
			if l > uint64(len(p)-5) {
				return nil, ErrRDB
			}
			e, size = lpElem{s: p[5 : 5+int(l)]}, 5+int(l)
		default:
			w := 0
			switch c {
			case 0xc0:
				w = 2
			case 0xd0:
				w = 4
			case 0xe0:
				w = 8
			case 0xf0:
				w = 3
			case 0xfe:
				w = 1
			default:
				if c < 0xf1 || c > 0xfd {
					return nil, ErrRDB
				}
				e, size = lpElem{n: int64(c&0x0f) - 1, isInt: true}, 1
			}
			if w > 0 {
				if 1+w > len(p) {
					return nil, ErrRDB
				}
				e, size = lpElem{n: leSigned(p[1 : 1+w]), isInt: true}, 1+w
			}
		}
		out = append(out, e)
		p = p[size:]
	}
	if count != math.MaxUint16 && count != len(out) {
		return nil, ErrRDB
	}
	return out, nil
}

// decodeIntset reads an intset's members, which must be strictly
// ascending as intset.c keeps them.
func decodeIntset(is []byte) ([][]byte, error) {
	if len(is) < 8 {
		return nil, ErrRDB
	}
	w := int(binary.LittleEndian.Uint32(is))
	n := uint64(binary.LittleEndian.Uint32(is[4:]))
	if (w != 2 && w != 4 && w != 8) || uint64(len(is)-8) != n*uint64(w) {
		return nil, ErrRDB
	}
	out := make([][]byte, 0, n)
	var prev int64
	for i := 0; i < int(n); i++ {
		v := leSigned(is[8+i*w : 8+(i+1)*w])
		if i > 0 && v <= prev {
			return nil, ErrRDB
		}
		prev = v
		out = append(out, []byte(FormatInt(v)))
	}
	return out, nil
}
