package codec

import (
	"encoding/binary"
	"errors"
)

// HyperLogLog values: PFADD, PFCOUNT and PFMERGE keep a cardinality sketch
// in an ordinary string, laid out byte for byte as Redis lays it out, so GET,
// SETRANGE, DUMP and the rest see Redis's bytes, and a value copied from a
// redis-server works here.
//
//	offset  size  field
//	------  ----  -----------------------------------------------------------
//	0       4     "HYLL"
//	4       1     encoding: 0 dense, 1 sparse
//	5       3     unused (zero when written here; copied as found)
//	8       8     cached cardinality, little endian; the top bit of byte 15
//	              set means the cache is stale
//	16      ...   the registers, dense or sparse
//
// There are 16384 registers (the low 14 bits of an element's 64-bit
// MurmurHash64A, seed 0xadc83b19, pick one), each holding the longest run of
// zeros plus one seen in the other 50 bits, counted from the low end: 1..51.
//
// Dense: 16384 registers of 6 bits, 12288 bytes, register i in bits 6i..6i+5
// counted from the least significant bit of byte 0 upwards. A dense value is
// exactly HLLDenseSize bytes long.
//
// Sparse: a run-length code of opcodes covering the registers in order:
//
//	00llllll           ZERO:  l+1 (1..64) registers at 0
//	01llllll llllllll  XZERO: l+1 (1..16384) registers at 0, l big endian
//	1vvvvvll           VAL:   l+1 (1..4) registers at v+1 (1..32)
//
// A new HLL is sparse, one XZERO over every register. A sparse value turns
// dense when a register needs more than 32, or when an update would make
// it longer than hll-sparse-max-bytes. How an update splits and merges
// opcodes decides the bytes, so it follows Redis's steps exactly (see
// hll_sparse.go); a corrupted sparse value is detected the same way, at
// the same moment.

// HyperLogLog geometry and layout.
const (
	hllP           = 14             // index bits
	hllQ           = 64 - hllP      // bits left for the zero run
	HLLRegisters   = 1 << hllP      // 16384
	hllBits        = 6              // bits per dense register
	hllRegisterMax = 1<<hllBits - 1 // 63
	// HLLHeaderSize is the size of the header before the registers.
	HLLHeaderSize = 16
	// HLLDenseSize is the exact length of a dense value.
	HLLDenseSize = HLLHeaderSize + (HLLRegisters*hllBits+7)/8

	hllEncodingDense  = 0
	hllEncodingSparse = 1
	hllCacheStale     = 0x80 // in byte 15
)

var (
	// ErrNotHLL: the string is not a HyperLogLog (short, wrong magic,
	// unknown encoding, dense of the wrong length): Redis's WRONGTYPE.
	ErrNotHLL = errors.New("codec: not a HyperLogLog value")
	// ErrCorruptHLL: a sparse value whose opcodes do not cover exactly
	// the 16384 registers: Redis's INVALIDOBJ.
	ErrCorruptHLL = errors.New("codec: corrupted HyperLogLog")
)

// HLL is a HyperLogLog held in its string value. Its methods change the
// bytes in place and may replace them (a sparse value grows, or turns
// dense), so the value must be the caller's own copy; Bytes returns the
// current value.
type HLL struct {
	b []byte
}

// NewHLL returns an empty HLL as PFADD creates it: sparse, one XZERO over
// every register, a valid cached cardinality of 0.
func NewHLL() *HLL {
	b := make([]byte, HLLHeaderSize, HLLHeaderSize+2)
	copy(b, "HYLL")
	b[4] = hllEncodingSparse
	b = appendXZero(b, HLLRegisters)
	return &HLL{b: b}
}

// ParseHLL checks that v is a HyperLogLog, as Redis does before every HLL
// command: the header only, so a corrupted sparse body passes here and is
// found by the operation that walks it. The HLL takes v over.
func ParseHLL(v []byte) (*HLL, error) {
	if len(v) < HLLHeaderSize || string(v[:4]) != "HYLL" || v[4] > hllEncodingSparse {
		return nil, ErrNotHLL
	}
	if v[4] == hllEncodingDense && len(v) != HLLDenseSize {
		return nil, ErrNotHLL
	}
	return &HLL{b: v}, nil
}

// Bytes is the current value.
func (h *HLL) Bytes() []byte { return h.b }

// Sparse reports whether the value uses the sparse encoding.
func (h *HLL) Sparse() bool { return h.b[4] == hllEncodingSparse }

// CachedCount returns the cached cardinality, if it is valid.
func (h *HLL) CachedCount() (uint64, bool) {
	if h.b[15]&hllCacheStale != 0 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(h.b[8:16]), true
}

// SetCachedCount stores n as the cached cardinality. A count with its top
// bit set (only a crafted value can produce one) reads back as stale, as in
// Redis.
func (h *HLL) SetCachedCount(n uint64) { binary.LittleEndian.PutUint64(h.b[8:16], n) }

// InvalidateCache marks the cached cardinality stale.
func (h *HLL) InvalidateCache() { h.b[15] |= hllCacheStale }

// Add adds one element: it sets the element's register to its zero-run
// length if that is larger, and reports whether a register changed. A
// sparse value that gets too long for sparseMax bytes, or a run longer than
// a sparse register holds, turns dense. ErrCorruptHLL reports a corrupted
// sparse value, left as it was.
func (h *HLL) Add(elem []byte, sparseMax int) (bool, error) {
	index, count := hllPatLen(elem)
	return h.Set(index, count, sparseMax)
}

// Set raises register index to count if count is larger (PFMERGE writes
// its result this way), with Add's encoding rules.
func (h *HLL) Set(index int, count uint8, sparseMax int) (bool, error) {
	if h.Sparse() {
		return h.sparseSet(index, count, sparseMax)
	}
	return denseSet(h.b[HLLHeaderSize:], index, count), nil
}

// ToDense converts a sparse value to the dense encoding, keeping the rest
// of the header (cached cardinality included). It reports whether it
// converted; a dense value is left alone.
func (h *HLL) ToDense() (bool, error) {
	if !h.Sparse() {
		return false, nil
	}
	d := make([]byte, HLLDenseSize)
	copy(d, h.b[:HLLHeaderSize])
	d[4] = hllEncodingDense
	regs := d[HLLHeaderSize:]
	err := h.walkSparse(func(first, n int, v uint8) {
		for i := first; i < first+n; i++ {
			denseSet(regs, i, v)
		}
	})
	if err != nil {
		return false, err
	}
	h.b = d
	return true, nil
}

// Count estimates the cardinality from the registers (not the cache).
func (h *HLL) Count() (uint64, error) {
	var histo hllHisto
	if !h.Sparse() {
		histo.addDense(h.b[HLLHeaderSize:])
		return histo.estimate(), nil
	}
	// Redis counts every run, then rejects a value whose runs do not add
	// up to the register count; the walk below sees the same runs.
	idx := 0
	p, end := HLLHeaderSize, len(h.b)
	for p < end {
		v, n, oplen := h.sparseOp(p)
		idx += n
		histo[v] += n
		p += oplen
	}
	if idx != HLLRegisters {
		return 0, ErrCorruptHLL
	}
	return histo.estimate(), nil
}

// Registers returns every register's value (PFDEBUG GETREG works on a
// dense value; a sparse one must be valid).
func (h *HLL) Registers() (*HLLRaw, error) {
	var raw HLLRaw
	if err := h.MergeInto(&raw); err != nil {
		return nil, err
	}
	return &raw, nil
}

// MergeInto raises each register of raw to this HLL's register where it is
// larger (PFMERGE, and PFCOUNT of several keys).
func (h *HLL) MergeInto(raw *HLLRaw) error {
	if !h.Sparse() {
		regs := h.b[HLLHeaderSize:]
		for i := range raw {
			if v := denseGet(regs, i); v > raw[i] {
				raw[i] = v
			}
		}
		return nil
	}
	return h.walkSparse(func(first, n int, v uint8) {
		for i := first; i < first+n; i++ {
			if v > raw[i] {
				raw[i] = v
			}
		}
	})
}

// HLLRaw is one byte per register: the union PFMERGE and a PFCOUNT of
// several keys build before they write or count it.
type HLLRaw [HLLRegisters]uint8

// Count estimates the cardinality of the registers.
func (raw *HLLRaw) Count() uint64 {
	var histo hllHisto
	for _, v := range raw {
		histo[v]++
	}
	return histo.estimate()
}

// SetAll writes raw into h register by register, in index order, with
// Set's rules: what PFMERGE does to its destination.
func (h *HLL) SetAll(raw *HLLRaw, sparseMax int) error {
	for i, v := range raw {
		if v == 0 {
			continue
		}
		if _, err := h.Set(i, v, sparseMax); err != nil {
			return err
		}
	}
	return nil
}

// denseGet reads register i of dense registers regs. The last register
// ends inside the last byte, so the byte after it is never needed.
func denseGet(regs []byte, i int) uint8 {
	bit := i * hllBits
	at, shift := bit>>3, uint(bit&7)
	v := uint(regs[at]) >> shift
	if shift > 8-hllBits {
		v |= uint(regs[at+1]) << (8 - shift)
	}
	return uint8(v & hllRegisterMax)
}

// denseSet raises register i of regs to v if v is larger, and reports
// whether it did.
func denseSet(regs []byte, i int, v uint8) bool {
	if v <= denseGet(regs, i) {
		return false
	}
	denseWrite(regs, i, v)
	return true
}

// denseWrite sets register i of regs to v (0..63).
func denseWrite(regs []byte, i int, v uint8) {
	bit := i * hllBits
	at, shift := bit>>3, uint(bit&7)
	regs[at] = regs[at]&^byte(hllRegisterMax<<shift) | byte(uint(v)<<shift)
	if shift > 8-hllBits {
		spill := 8 - shift
		regs[at+1] = regs[at+1]&^byte(hllRegisterMax>>spill) | byte(uint(v)>>spill)
	}
}
