package codec

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// Hashing elements and estimating a cardinality from the registers, as
// Redis 7 does, so PFCOUNT answers the same number for the same registers.
//
// The estimator is Otmar Ertl's improved raw estimator ("New cardinality
// estimation algorithms for HyperLogLog sketches", arXiv:1702.01284): it
// works on the histogram of register values and needs neither bias tables
// nor a switch to linear counting. With m registers, C[k] of them at k,
// and q = 50 (the bits of the hash left after the index):
//
//	z = m·τ(1 − C[q+1]/m)
//	for k = q … 1:  z = (z + C[k]) / 2
//	z += m·σ(C[0]/m)
//	E = round(α∞·m² / z),  α∞ = 1/(2 ln 2)
//
// σ and τ are series summed until the sum stops changing. The arithmetic
// is float64 in the order written, with every product rounded before it is
// added (Go may otherwise fuse a multiply and an add), which is what
// redis-server computes on x86-64.

// hllAlphaInf is 1/(2 ln 2), as Redis spells it.
const hllAlphaInf = 0.721347520444481703680

// hllHisto counts registers by value. Dense registers reach 63 (a crafted
// value), so it has a slot for each; the estimator reads 0..q+1.
type hllHisto [64]int

// addDense counts the dense registers regs.
func (histo *hllHisto) addDense(regs []byte) {
	// Four registers fill three bytes: read them a group at a time.
	for i := 0; i+3 <= len(regs); i += 3 {
		w := uint32(regs[i]) | uint32(regs[i+1])<<8 | uint32(regs[i+2])<<16
		histo[w&63]++
		histo[w>>6&63]++
		histo[w>>12&63]++
		histo[w>>18&63]++
	}
}

// estimate is the cardinality the histogram stands for.
func (histo *hllHisto) estimate() uint64 {
	m := float64(HLLRegisters)
	z := m * hllTau((m-float64(histo[hllQ+1]))/m)
	for k := hllQ; k >= 1; k-- {
		z += float64(histo[k])
		z *= 0.5
	}
	z += float64(m * hllSigma(float64(histo[0])/m))
	return roundToCount(hllAlphaInf * m * m / z)
}

// roundToCount rounds half away from zero to an integer, as C's llroundl,
// then to the unsigned count Redis keeps. An estimate beyond int64 (all
// registers at q+1 or above divide by zero) is what llroundl gives on
// x86-64 for it, the integer indefinite 0x8000000000000000.
func roundToCount(e float64) uint64 {
	r := math.Round(e)
	if !(r < math.MaxInt64) {
		return 1 << 63
	}
	return uint64(int64(r))
}

// hllSigma is σ(x) = x + Σ_{k≥1} x^(2^k)·2^(k−1), infinite at x = 1.
func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y := 1.0
	z := x
	for {
		x *= x
		prev := z
		z += float64(x * y)
		y += y
		if z == prev {
			return z
		}
	}
}

// hllTau is τ(x) = (1 − x − Σ_{k≥1} (1 − x^(2^−k))²·2^−k) / 3, 0 at 0 and 1.
func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y := 1.0
	z := 1 - x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y)
		if z == prev {
			return z / 3
		}
	}
}

// hllPatLen hashes an element to its register and its register value: the
// low 14 bits of the hash pick the register; the value is one more than
// the number of zeros at the low end of the remaining 50 bits (51 when all
// are zero).
func hllPatLen(elem []byte) (index int, count uint8) {
	h := murmurHash64A(elem, 0xadc83b19)
	index = int(h & (HLLRegisters - 1))
	h >>= hllP
	h |= 1 << hllQ
	return index, uint8(bits.TrailingZeros64(h) + 1)
}

// murmurHash64A is Austin Appleby's MurmurHash64A, reading the input as
// little-endian words whatever the machine, as Redis's copy does.
func murmurHash64A(data []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ uint64(len(data))*m
	for len(data) >= 8 {
		k := binary.LittleEndian.Uint64(data)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		data = data[8:]
	}
	if len(data) > 0 {
		for i := len(data) - 1; i >= 0; i-- {
			h ^= uint64(data[i]) << (8 * i)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}
