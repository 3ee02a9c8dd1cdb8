package storage

import (
	"encoding/binary"
	"math"
	"math/bits"

	"moonstone/codec"
)

// Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP and BITFIELD.
// A bitmap is an ordinary string; bit 0 is the most significant bit of the
// first byte. Writes that address a bit past the end grow the string with
// zero bytes first, as Redis does.
//
// Offsets reach storage already parsed and checked by the server against
// proto-max-bulk-len; storage checks them again before it sizes anything,
// so no client-declared number ever decides an allocation unchecked.

// bitOffsetOK reports whether a bit offset addresses a byte below
// proto-max-bulk-len (Redis's getBitOffsetFromArgument).
func (tx *Tx) bitOffsetOK(offset int64) bool {
	return offset >= 0 && offset>>3 < tx.db.maxString.Load()
}

// growZero returns v extended with zero bytes to at least n bytes.
func growZero(v []byte, n int64) []byte {
	if n <= int64(len(v)) {
		return v
	}
	grown := make([]byte, n)
	copy(grown, v)
	return grown
}

// GetBit returns the bit at offset (0 past the end or for a missing key).
func (tx *Tx) GetBit(db int, key []byte, offset int64) (int64, error) {
	if !tx.bitOffsetOK(offset) {
		return 0, ErrBitOffset
	}
	v, _, err := tx.Get(db, key)
	if err != nil || offset>>3 >= int64(len(v)) {
		return 0, err
	}
	return int64(v[offset>>3]>>(7-offset&7)) & 1, nil
}

// SetBit sets or clears the bit at offset, growing the string as needed,
// and returns the bit's previous value.
func (tx *Tx) SetBit(db int, key []byte, offset int64, on bool) (int64, error) {
	if !tx.bitOffsetOK(offset) {
		return 0, ErrBitOffset
	}
	m, err := tx.typed(db, key, codec.TypeString)
	if err != nil {
		return 0, err
	}
	var v []byte
	var at int64
	if m != nil {
		v, at = m.Value, m.ExpireAt
	}
	byteIdx := offset >> 3
	changed := m == nil || byteIdx >= int64(len(v))
	v = growZero(v, byteIdx+1)
	mask := byte(1) << (7 - offset&7)
	old := int64(0)
	if v[byteIdx]&mask != 0 {
		old = 1
	}
	if on != (old == 1) {
		v[byteIdx] ^= mask
		changed = true
	}
	if !changed {
		return old, nil
	}
	return old, tx.putString(db, key, m, v, at, codec.StringRaw)
}

// BitRange is BITCOUNT's and BITPOS's optional [start end [BYTE|BIT]].
type BitRange struct {
	// Given is false when no start was given: the whole string.
	Given      bool
	Start, End int64
	// EndGiven is false when BITPOS got a start but no end.
	EndGiven bool
	// Bits says the indexes count bits, not bytes.
	Bits bool
	// Empty is a range known to be empty before the string's length is
	// (BITCOUNT with both indexes negative and start > end).
	Empty bool
	// Err is an argument error. Redis reports these only after finding
	// the key is a string, so a missing key still answers normally.
	Err error
}

// span converts r to inclusive bit positions within a string of n bytes,
// with Redis's rules for negative and out-of-range indexes. ok is false for
// an empty range.
func (r BitRange) span(n int64) (lo, hi int64, ok bool) {
	if r.Empty {
		return 0, 0, false
	}
	if !r.Given {
		return 0, n*8 - 1, n > 0
	}
	total := n
	if r.Bits {
		total = n * 8
	}
	start, end := r.Start, r.End
	if !r.EndGiven {
		end = total - 1
	}
	// total is at most a few GB, so these additions cannot overflow.
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start, end = max(start, 0), max(end, 0)
	if end >= total {
		end = total - 1
	}
	if start > end {
		return 0, 0, false
	}
	if r.Bits {
		return start, end, true
	}
	return start * 8, end*8 + 7, true
}

// BitCount counts the set bits of a string within r.
func (tx *Tx) BitCount(db int, key []byte, r BitRange) (int64, error) {
	v, ok, err := tx.Get(db, key)
	if err != nil || !ok {
		return 0, err
	}
	if r.Err != nil {
		return 0, r.Err
	}
	lo, hi, ok := r.span(int64(len(v)))
	if !ok {
		return 0, nil
	}
	return popcount(v, lo, hi), nil
}

// popcount counts the set bits at positions lo..hi (inclusive) of v.
func popcount(v []byte, lo, hi int64) int64 {
	first, last := lo>>3, hi>>3
	var n int64
	span := v[first : last+1]
	for len(span) >= 8 {
		n += int64(bits.OnesCount64(binary.LittleEndian.Uint64(span)))
		span = span[8:]
	}
	for _, b := range span {
		n += int64(bits.OnesCount8(b))
	}
	// Take back the bits of the edge bytes that lie outside the range.
	n -= int64(bits.OnesCount8(v[first] & ^byte(0xff>>(lo&7))))
	n -= int64(bits.OnesCount8(v[last] & byte(0xff>>(hi&7+1))))
	return n
}

// BitPos finds the first bit equal to bit (0 or 1) within r. A missing key
// is an endless run of zeros. Looking for 0 with no end given, a string of
// ones answers the first position past it, as if zero-padded; otherwise a
// bit not found answers -1.
func (tx *Tx) BitPos(db int, key []byte, bit byte, r BitRange) (int64, error) {
	v, ok, err := tx.Get(db, key)
	if err != nil {
		return 0, err
	}
	if !ok {
		if bit == 1 {
			return -1, nil
		}
		return 0, nil
	}
	if r.Err != nil {
		return 0, r.Err
	}
	lo, hi, ok := r.span(int64(len(v)))
	if !ok {
		return -1, nil
	}
	if pos := firstBit(v, lo, hi, bit); pos >= 0 || bit == 1 || r.EndGiven {
		return pos, nil
	}
	return hi + 1, nil
}

// firstBit returns the first position in lo..hi whose bit equals bit, or -1.
// Runs of bytes that cannot match are skipped a word at a time.
func firstBit(v []byte, lo, hi int64, bit byte) int64 {
	var skipByte byte
	var skipWord uint64
	if bit == 0 {
		skipByte, skipWord = 0xff, math.MaxUint64
	}
	for i := lo; i <= hi; {
		if i&7 == 0 {
			for hi-i >= 63 && binary.LittleEndian.Uint64(v[i>>3:]) == skipWord {
				i += 64
			}
			for hi-i >= 7 && v[i>>3] == skipByte {
				i += 8
			}
			if i > hi {
				break
			}
		}
		if (v[i>>3]>>(7-i&7))&1 == bit {
			return i
		}
		i++
	}
	return -1
}

// BitOpKind is BITOP's operation.
type BitOpKind uint8

const (
	BitAnd BitOpKind = iota
	BitOr
	BitXor
	BitNot
)

// BitOp combines the source strings (missing ones are empty, shorter ones
// zero-padded) into dst and returns the result's length. An empty result
// deletes dst, whatever its type; otherwise dst becomes a string with no
// expiry.
func (tx *Tx) BitOp(db int, op BitOpKind, dst []byte, srcs [][]byte) (int64, error) {
	vals := make([][]byte, len(srcs))
	maxLen := 0
	for i, k := range srcs {
		v, _, err := tx.Get(db, k)
		if err != nil {
			return 0, err
		}
		vals[i] = v
		maxLen = max(maxLen, len(v))
	}
	prev, err := tx.meta(db, dst)
	if err != nil {
		return 0, err
	}
	if maxLen == 0 {
		if prev == nil {
			return 0, nil
		}
		return 0, tx.deleteKey(db, dst, prev)
	}
	res := make([]byte, maxLen)
	copy(res, vals[0])
	switch op {
	case BitNot:
		for i := range res {
			res[i] = ^res[i]
		}
	case BitAnd:
		for _, v := range vals[1:] {
			for i := range res {
				if i < len(v) {
					res[i] &= v[i]
				} else {
					res[i] = 0
				}
			}
		}
	case BitOr:
		for _, v := range vals[1:] {
			for i := range v {
				res[i] |= v[i]
			}
		}
	case BitXor:
		for _, v := range vals[1:] {
			for i := range v {
				res[i] ^= v[i]
			}
		}
	}
	return int64(maxLen), tx.putString(db, dst, prev, res, 0, codec.StringRaw)
}

// BitFieldKind is a BITFIELD subcommand.
type BitFieldKind uint8

const (
	BitFieldGet BitFieldKind = iota
	BitFieldSet
	BitFieldIncrBy
)

// Overflow is BITFIELD's OVERFLOW policy.
type Overflow uint8

const (
	OverflowWrap Overflow = iota
	OverflowSat
	OverflowFail
)

// BitFieldOp is one BITFIELD GET, SET or INCRBY.
type BitFieldOp struct {
	Kind BitFieldKind
	// Signed and Width are the integer type: i1..i64 or u1..u63.
	Signed bool
	Width  uint
	Offset int64
	// Value is SET's value or INCRBY's increment.
	Value    int64
	Overflow Overflow
}

// BitFieldReply is one subcommand's answer; Nil when OVERFLOW FAIL stopped
// a write.
type BitFieldReply struct {
	Value int64
	Nil   bool
}

// BitField runs ops in order on the string at key. If any op writes, the
// string is first created or zero-padded to reach the farthest bit written,
// even if every write then fails on overflow, as in Redis.
func (tx *Tx) BitField(db int, key []byte, ops []BitFieldOp) ([]BitFieldReply, error) {
	var highest uint64
	writes := false
	for _, op := range ops {
		if !tx.bitOffsetOK(op.Offset) || op.Width < 1 || op.Width > 64 || (!op.Signed && op.Width > 63) {
			return nil, ErrBitOffset
		}
		if op.Kind != BitFieldGet {
			writes = true
			highest = max(highest, uint64(op.Offset)+uint64(op.Width)-1)
		}
	}
	m, err := tx.typed(db, key, codec.TypeString)
	if err != nil {
		return nil, err
	}
	var v []byte
	var at int64
	if m != nil {
		v, at = m.Value, m.ExpireAt
	}
	changed := false
	if writes {
		// highest < proto-max-bulk-len*8 + 64: the string grows at most
		// 8 bytes past the limit, as in Redis.
		need := int64(highest>>3) + 1
		changed = m == nil || need > int64(len(v))
		v = growZero(v, need)
	}
	out := make([]BitFieldReply, len(ops))
	for i, op := range ops {
		if op.Kind == BitFieldGet {
			u := getBits(v, uint64(op.Offset), op.Width)
			if op.Signed {
				out[i].Value = signExtend(u, op.Width)
			} else {
				out[i].Value = int64(u)
			}
			continue
		}
		var oldBits, newBits uint64
		var overflow bool
		oldBits = getBits(v, uint64(op.Offset), op.Width)
		if op.Signed {
			old := signExtend(oldBits, op.Width)
			var nv int64
			if op.Kind == BitFieldIncrBy {
				nv, overflow = signedOverflow(old, op.Value, op.Width, op.Overflow)
				out[i].Value = nv
			} else {
				nv, overflow = signedOverflow(op.Value, 0, op.Width, op.Overflow)
				out[i].Value = old
			}
			newBits = uint64(nv)
		} else {
			if op.Kind == BitFieldIncrBy {
				newBits, overflow = unsignedOverflow(oldBits, op.Value, op.Width, op.Overflow)
				out[i].Value = int64(newBits)
			} else {
				newBits, overflow = unsignedOverflow(uint64(op.Value), 0, op.Width, op.Overflow)
				out[i].Value = int64(oldBits)
			}
		}
		if overflow && op.Overflow == OverflowFail {
			out[i] = BitFieldReply{Nil: true}
			continue
		}
		setBits(v, uint64(op.Offset), op.Width, newBits)
		if newBits&widthMask(op.Width) != oldBits {
			changed = true
		}
	}
	if !changed {
		return out, nil
	}
	return out, tx.putString(db, key, m, v, at, codec.StringRaw)
}

// widthMask has the low width bits set.
func widthMask(width uint) uint64 {
	if width >= 64 {
		return math.MaxUint64
	}
	return 1<<width - 1
}

// getBits reads width bits at offset as an unsigned big-endian integer;
// bits past the end of v read as zero.
func getBits(v []byte, offset uint64, width uint) uint64 {
	var u uint64
	for j := uint64(0); j < uint64(width); j++ {
		pos := offset + j
		var b uint64
		if pos>>3 < uint64(len(v)) {
			b = uint64(v[pos>>3]>>(7-pos&7)) & 1
		}
		u = u<<1 | b
	}
	return u
}

// setBits writes the low width bits of u at offset; v is long enough.
func setBits(v []byte, offset uint64, width uint, u uint64) {
	for j := uint64(0); j < uint64(width); j++ {
		pos := offset + j
		mask := byte(1) << (7 - pos&7)
		if u>>(uint64(width)-1-j)&1 != 0 {
			v[pos>>3] |= mask
		} else {
			v[pos>>3] &^= mask
		}
	}
}

// signExtend reads u, which has no bits above the low width, as a two's
// complement integer of width bits.
func signExtend(u uint64, width uint) int64 {
	if width < 64 && u&(1<<(width-1)) != 0 {
		u |= math.MaxUint64 << width
	}
	return int64(u)
}

// signedOverflow computes value+incr for a signed integer of width bits,
// with Redis's checkSignedBitfieldOverflow rules: it returns the value to
// store and whether it overflowed (the value is then wrapped or saturated
// according to ow; for FAIL it is not used).
func signedOverflow(value, incr int64, width uint, ow Overflow) (int64, bool) {
	maxV := int64(math.MaxInt64)
	if width < 64 {
		maxV = 1<<(width-1) - 1
	}
	minV := -maxV - 1
	// Go's integer arithmetic wraps, as Redis's casts through uint64 do.
	maxIncr := int64(uint64(maxV) - uint64(value))
	minIncr := minV - value
	var limit int64
	switch {
	case value > maxV || (width != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr):
		limit = maxV
	case value < minV || (width != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr):
		limit = minV
	default:
		return value + incr, false
	}
	if ow == OverflowWrap {
		return signExtend((uint64(value)+uint64(incr))&widthMask(width), width), true
	}
	return limit, true
}

// unsignedOverflow is signedOverflow for an unsigned integer of width bits
// (Redis's checkUnsignedBitfieldOverflow).
func unsignedOverflow(value uint64, incr int64, width uint, ow Overflow) (uint64, bool) {
	maxV := widthMask(width)
	maxIncr := int64(maxV - value)
	minIncr := -int64(value)
	var limit uint64
	switch {
	case value > maxV || (incr > 0 && incr > maxIncr):
		limit = maxV
	case incr < 0 && incr < minIncr:
		limit = 0
	default:
		return value + uint64(incr), false
	}
	if ow == OverflowWrap {
		return (value + uint64(incr)) & maxV, true
	}
	return limit, true
}
