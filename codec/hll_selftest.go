package codec

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
)

// HLLSelfTest is PFSELFTEST's check of this implementation, the two checks
// Redis makes, with its failure texts:
//   - dense registers: a thousand rounds of random values written to every
//     register read back unchanged (6-bit fields do not overlap);
//   - estimates: ten million distinct elements go into a dense HLL and a
//     sparse one side by side; at 1, 10, 100, ... elements the sparse one
//     is still sparse while it is small (under half of sparseMax), both
//     count the same, and the error is within six standard errors (1.04/√m)
//     of the true count (1 at 10 elements).
func HLLSelfTest(sparseMax int, rnd *rand.Rand) error {
	regs := make([]byte, HLLDenseSize-HLLHeaderSize)
	var want [HLLRegisters]uint8
	for round := 0; round < 1000; round++ {
		for i := range want {
			want[i] = uint8(rnd.IntN(hllRegisterMax + 1))
			denseWrite(regs, i, want[i])
		}
		for i := range want {
			if got := denseGet(regs, i); got != want[i] {
				return fmt.Errorf("TESTFAILED Register %d should be %d but is %d", i, want[i], got)
			}
		}
	}

	dense := NewHLL()
	if _, err := dense.ToDense(); err != nil {
		return err
	}
	sparse := NewHLL()
	relErr := 1.04 / math.Sqrt(HLLRegisters)
	seed := rnd.Uint64()
	var elem [8]byte
	checkpoint := int64(1)
	for j := int64(1); j <= 10_000_000; j++ {
		binary.LittleEndian.PutUint64(elem[:], uint64(j)^seed)
		dense.Add(elem[:], sparseMax)
		if _, err := sparse.Add(elem[:], sparseMax); err != nil {
			return err
		}
		if j != checkpoint {
			continue
		}
		if j < int64(sparseMax/2) && !sparse.Sparse() {
			return fmt.Errorf("TESTFAILED sparse encoding not used")
		}
		dc, _ := dense.Count()
		sc, err := sparse.Count()
		if err != nil {
			return err
		}
		if dc != sc {
			return fmt.Errorf("TESTFAILED dense/sparse disagree")
		}
		maxErr := int64(math.Ceil(relErr * 6 * float64(checkpoint)))
		if j == 10 {
			maxErr = 1
		}
		if absErr := checkpoint - int64(dc); absErr > maxErr || -absErr > maxErr {
			return fmt.Errorf("TESTFAILED Too big error. card:%d abserr:%d", checkpoint, max(absErr, -absErr))
		}
		checkpoint *= 10
	}
	return nil
}
