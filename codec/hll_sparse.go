package codec

import (
	"strconv"
	"strings"
)

// The sparse encoding (see hll.go for the opcodes). A value copied from
// Redis, or one a user edited with SETRANGE, may be corrupted in any way;
// every read here is bounded by the value's length, and reading the second
// byte of an XZERO cut off at the very end gives 0, the terminating NUL
// that Redis's strings carry, so such a value behaves as it does in Redis.

const (
	sparseXZeroBit  = 0x40
	sparseValBit    = 0x80
	sparseValMax    = 32    // largest register value a VAL holds
	sparseValRunMax = 4     // longest run of one VAL
	sparseZeroMax   = 64    // longest run of one ZERO
	sparseXZeroMax  = 16384 // longest run of one XZERO
)

// at is byte i of the value, or 0 past its end.
func (h *HLL) at(i int) byte {
	if i < len(h.b) {
		return h.b[i]
	}
	return 0
}

// sparseOp decodes the opcode at p: the register value it stands for (0
// for ZERO and XZERO), how many registers it covers, and its length.
func (h *HLL) sparseOp(p int) (v uint8, n, oplen int) {
	op := h.b[p]
	switch {
	case op&sparseValBit != 0:
		return op>>2&0x1f + 1, int(op&3) + 1, 1
	case op&sparseXZeroBit != 0:
		return 0, (int(op&0x3f)<<8 | int(h.at(p+1))) + 1, 2
	default:
		return 0, int(op&0x3f) + 1, 1
	}
}

// walkSparse calls fn for each run of non-zero registers, in order, after
// checking that the runs cover exactly the 16384 registers: a run past the
// last register, or too few registers, is ErrCorruptHLL (fn may have seen
// some runs by then).
func (h *HLL) walkSparse(fn func(first, n int, v uint8)) error {
	idx := 0
	for p := HLLHeaderSize; p < len(h.b); {
		v, n, oplen := h.sparseOp(p)
		if idx+n > HLLRegisters {
			return ErrCorruptHLL
		}
		if v != 0 {
			fn(idx, n, v)
		}
		idx += n
		p += oplen
	}
	if idx != HLLRegisters {
		return ErrCorruptHLL
	}
	return nil
}

// sparseSet raises register index to count in a sparse value. The value
// changes the way Redis's changes, so both end with the same bytes:
//
//  1. Find the opcode covering index, walking from the start. None (the
//     runs end before index) means a corrupted value.
//  2. A VAL already at count or more: nothing to do. A VAL or a ZERO of one
//     register: rewrite that byte as VAL(count) of one.
//  3. Otherwise split the opcode into up to three: the registers before
//     index (ZERO or XZERO, chosen by length, or the old VAL), VAL(count)
//     of one, the registers after. If that makes the value longer than
//     sparseMax, turn it dense instead.
//  4. Starting at the opcode before the one changed, look at up to five
//     opcodes and fold each pair of neighbouring VALs of one value whose
//     runs fit in one VAL, trying again at the same place after a fold.
//
// A count above what a VAL holds turns the value dense at once.
func (h *HLL) sparseSet(index int, count uint8, sparseMax int) (bool, error) {
	if count > sparseValMax {
		return h.promote(index, count)
	}
	end := len(h.b)
	p, prev := HLLHeaderSize, -1
	first, span, oplen := 0, 0, 0
	var v uint8
	for p < end {
		v, span, oplen = h.sparseOp(p)
		if index <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= end {
		return false, ErrCorruptHLL
	}
	isVal := h.b[p]&sparseValBit != 0

	switch {
	case isVal && v >= count:
		return false, nil
	case span == 1 && oplen == 1:
		// A VAL or a ZERO of one register.
		h.b[p] = sparseVal(count, 1)
	default:
		var seq [5]byte
		n := 0
		last := first + span - 1
		put := func(b ...byte) { n += copy(seq[n:], b) }
		if isVal {
			if index != first {
				put(sparseVal(v, index-first))
			}
			put(sparseVal(count, 1))
			if index != last {
				put(sparseVal(v, last-index))
			}
		} else {
			if index != first {
				put(sparseZeros(index - first)...)
			}
			put(sparseVal(count, 1))
			if index != last {
				put(sparseZeros(last - index)...)
			}
		}
		delta := n - oplen
		if delta > 0 && end+delta > sparseMax {
			return h.promote(index, count)
		}
		h.replace(p, oplen, seq[:n])
	}
	h.foldVals(prev)
	h.InvalidateCache()
	return true, nil
}

// replace puts seq where the oplen bytes of the opcode at p were. An
// XZERO cut off at the end counts as two bytes, as in Redis, so replacing
// it leaves the value one byte shorter than the bytes written.
func (h *HLL) replace(p, oplen int, seq []byte) {
	end := len(h.b)
	newLen := end + len(seq) - oplen
	next := p + oplen
	var tail []byte
	if next < end {
		tail = append([]byte(nil), h.b[next:]...)
	}
	b := append(h.b[:p], seq...)
	b = append(b, tail...)
	h.b = b[:newLen]
}

// foldVals is step 4 of sparseSet, from the opcode at prev (-1: the
// first).
func (h *HLL) foldVals(prev int) {
	p := prev
	if p < 0 {
		p = HLLHeaderSize
	}
	for scan := 0; p < len(h.b) && scan < 5; scan++ {
		op := h.b[p]
		if op&sparseValBit == 0 {
			if op&sparseXZeroBit != 0 {
				p += 2
			} else {
				p++
			}
			continue
		}
		if p+1 < len(h.b) && h.b[p+1]&sparseValBit != 0 {
			v1, n1, _ := h.sparseOp(p)
			v2, n2, _ := h.sparseOp(p + 1)
			if v1 == v2 && n1+n2 <= sparseValRunMax {
				h.b[p+1] = sparseVal(v1, n1+n2)
				h.b = append(h.b[:p], h.b[p+1:]...)
				continue
			}
		}
		p++
	}
}

// promote turns a sparse value dense and sets the register there.
func (h *HLL) promote(index int, count uint8) (bool, error) {
	if _, err := h.ToDense(); err != nil {
		return false, err
	}
	return denseSet(h.b[HLLHeaderSize:], index, count), nil
}

// sparseVal is a VAL opcode: n (1..4) registers at v (1..32).
func sparseVal(v uint8, n int) byte {
	return sparseValBit | (v-1)<<2 | byte(n-1)
}

// sparseZeros is a ZERO opcode for up to 64 registers, else an XZERO.
func sparseZeros(n int) []byte {
	if n <= sparseZeroMax {
		return []byte{byte(n - 1)}
	}
	return appendXZero(nil, n)
}

// appendXZero appends an XZERO opcode of n (1..16384) registers.
func appendXZero(b []byte, n int) []byte {
	n--
	return append(b, sparseXZeroBit|byte(n>>8), byte(n))
}

// DecodeSparse lists a sparse value's opcodes as PFDEBUG DECODE shows them:
// "z:N" for ZERO, "Z:N" for XZERO, "v:V,N" for VAL, separated by spaces.
// It does not check the value.
func (h *HLL) DecodeSparse() string {
	var sb strings.Builder
	for p := HLLHeaderSize; p < len(h.b); {
		v, n, oplen := h.sparseOp(p)
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		switch {
		case v != 0:
			sb.WriteString("v:" + strconv.Itoa(int(v)) + "," + strconv.Itoa(n))
		case oplen == 2:
			sb.WriteString("Z:" + strconv.Itoa(n))
		default:
			sb.WriteString("z:" + strconv.Itoa(n))
		}
		p += oplen
	}
	return sb.String()
}
