package storage

import (
	"fmt"
	"testing"
)

// A filter never calls an added key absent, and with the bits per key it
// is built with calls few absent keys present.
func TestKeyFilterHasNoFalseAbsence(t *testing.T) {
	const keys = 100_000
	f := newKeyFilter(keys * filterBuildBits / 8)
	for i := 0; i < keys; i++ {
		f.add([]byte(fmt.Sprint("m\x00key:", i)))
	}
	for i := 0; i < keys; i++ {
		if k := []byte(fmt.Sprint("m\x00key:", i)); f.absent(k) {
			t.Fatalf("%q was added and is reported absent", k)
		}
	}
	present := 0
	for i := 0; i < keys; i++ {
		if !f.absent([]byte(fmt.Sprint("m\x00other:", i))) {
			present++
		}
	}
	t.Logf("false presence %.3f%%", 100*float64(present)/keys)
	if rate := float64(present) / keys; rate > 0.005 {
		t.Fatalf("%.2f%% of absent keys reported present at %d bits a key", 100*rate, filterBuildBits)
	}
	if f.full() {
		t.Fatalf("full at %d bits a key: %d of %d bits set", filterBuildBits, f.set.Load(), f.nbits)
	}
	// Filled well past what it is built for, it says so.
	for i := 0; i < 4*keys; i++ {
		f.add([]byte(fmt.Sprint("m\x00more:", i)))
	}
	if !f.full() {
		t.Fatalf("not full at %d bits a key: %d of %d bits set", filterBuildBits/5, f.set.Load(), f.nbits)
	}
}
