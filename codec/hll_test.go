package codec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// addAll adds elems to h as PFADD does (the cache goes stale on a change).
func addAll(t testing.TB, h *HLL, sparseMax int, elems ...string) bool {
	t.Helper()
	changed := false
	for _, e := range elems {
		c, err := h.Add([]byte(e), sparseMax)
		if err != nil {
			t.Fatalf("Add(%q): %v", e, err)
		}
		changed = changed || c
	}
	if changed {
		h.InvalidateCache()
	}
	return changed
}

func numbered(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, "e"+strconv.Itoa(i))
	}
	return out
}

func TestHLLNewIsRedisEmptyValue(t *testing.T) {
	want := "HYLL\x01\x00\x00\x00" + "\x00\x00\x00\x00\x00\x00\x00\x00" + "\x7f\xff"
	h := NewHLL()
	if got := string(h.Bytes()); got != want {
		t.Fatalf("NewHLL = %q, want %q", got, want)
	}
	if n, ok := h.CachedCount(); !ok || n != 0 {
		t.Fatalf("CachedCount = %d %v", n, ok)
	}
	if n, err := h.Count(); err != nil || n != 0 {
		t.Fatalf("Count = %d %v", n, err)
	}
}

// The values redis-server 7.0.15 holds after PFADD of the same elements
// (GET before any PFCOUNT, so the cache is stale): the hash, the register
// values, the sparse opcodes and their splitting and folding must all
// agree for the bytes to.
func TestHLLMatchesRedisSparseBytes(t *testing.T) {
	for _, tc := range []struct {
		elems []string
		want  string
		count uint64
	}{
		{[]string{"a", "b", "c"}, "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ", 3},
		{[]string{""}, "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80W1\x84h\xcc", 1},
		{[]string{"hello world, a longer element", "xxxxxxxxxxxxxxxxx"}, "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80bj\x80SQ\x84J@", 2},
	} {
		h := NewHLL()
		addAll(t, h, 3000, tc.elems...)
		if got := string(h.Bytes()); got != tc.want {
			t.Errorf("%q: bytes %q, want %q", tc.elems, got, tc.want)
		}
		if n, err := h.Count(); err != nil || n != tc.count {
			t.Errorf("%q: Count = %d %v, want %d", tc.elems, n, err, tc.count)
		}
	}
}

// Larger values, by digest: e0..e(n-1) added in order.
func TestHLLMatchesRedisDigests(t *testing.T) {
	for _, tc := range []struct {
		n      int
		length int
		sparse bool
		sha    string
		count  uint64
	}{
		{100, 285, true, "53986fa020104b2d94c131f7d7b840674634568242921d84d01b767289a56a1d", 100},
		{1000, 1906, true, "519a7f0764d633e025ff9f8cdeb30cd2f452e2ad37f729f6b9ea7a4699791162", 1008},
		{5000, HLLDenseSize, false, "0a4b61a05c269540574e1293e6e18e69a4e9cb96ade9ecb5b7ff490debf31722", 4968},
		{100000, HLLDenseSize, false, "db44442a96c3ca475b58a386c4e1263c33d76900a2a9f2a934e50769c36644f9", 100853},
	} {
		h := NewHLL()
		addAll(t, h, 3000, numbered(0, tc.n)...)
		sum := sha256.Sum256(h.Bytes())
		if len(h.Bytes()) != tc.length || h.Sparse() != tc.sparse || hex.EncodeToString(sum[:]) != tc.sha {
			t.Errorf("n=%d: %d bytes, sparse %v, sha256 %x; want %d, %v, %s",
				tc.n, len(h.Bytes()), h.Sparse(), sum, tc.length, tc.sparse, tc.sha)
		}
		if n, err := h.Count(); err != nil || n != tc.count {
			t.Errorf("n=%d: Count = %d %v, want %d", tc.n, n, err, tc.count)
		}
	}
}

func TestHLLEstimateWithinErrorBounds(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	h := NewHLL()
	var elem [8]byte
	added := 0
	// Six standard errors (1.04/sqrt(m) = 0.81%), as PFSELFTEST allows.
	bound := 6 * 1.04 / math.Sqrt(HLLRegisters)
	for _, n := range []int{1, 2, 5, 10, 50, 100, 1000, 10_000, 100_000, 1_000_000} {
		for ; added < n; added++ {
			for i := range elem {
				elem[i] = byte(rnd.Uint32())
			}
			if _, err := h.Add(elem[:], 3000); err != nil {
				t.Fatal(err)
			}
		}
		got, err := h.Count()
		if err != nil {
			t.Fatal(err)
		}
		if diff := math.Abs(float64(got) - float64(n)); diff > math.Max(1, bound*float64(n)) {
			t.Errorf("%d distinct elements: estimate %d", n, got)
		}
	}
	if h.Sparse() {
		t.Error("a million elements still sparse")
	}
}

// A sparse and a dense HLL given the same elements hold the same registers
// and count the same, at every size.
func TestHLLSparseAndDenseAgree(t *testing.T) {
	sparse, dense := NewHLL(), NewHLL()
	if _, err := dense.ToDense(); err != nil {
		t.Fatal(err)
	}
	for step := 0; step < 40; step++ {
		elems := numbered(step*50, step*50+50)
		a, b := addAll(t, sparse, 1<<20, elems...), addAll(t, dense, 1<<20, elems...)
		if a != b {
			t.Fatalf("step %d: sparse changed %v, dense %v", step, a, b)
		}
		rs, err := sparse.Registers()
		if err != nil {
			t.Fatal(err)
		}
		rd, _ := dense.Registers()
		if *rs != *rd {
			t.Fatalf("step %d: registers differ", step)
		}
		cs, _ := sparse.Count()
		cd, _ := dense.Count()
		if cs != cd || cs != rs.Count() {
			t.Fatalf("step %d: sparse %d, dense %d, raw %d", step, cs, cd, rs.Count())
		}
	}
	if !sparse.Sparse() {
		t.Fatal("2000 elements with no size limit turned dense")
	}
	// The round trip: converting keeps every register and the header.
	before, _ := sparse.Registers()
	head := append([]byte(nil), sparse.Bytes()[:HLLHeaderSize]...)
	if ok, err := sparse.ToDense(); !ok || err != nil {
		t.Fatalf("ToDense = %v %v", ok, err)
	}
	after, _ := sparse.Registers()
	if *before != *after || len(sparse.Bytes()) != HLLDenseSize {
		t.Fatal("ToDense changed the registers")
	}
	head[4] = hllEncodingDense
	if !bytes.Equal(sparse.Bytes()[:HLLHeaderSize], head) {
		t.Fatalf("header %q, want %q", sparse.Bytes()[:HLLHeaderSize], head)
	}
}

// How Set splits and folds opcodes, shown as PFDEBUG DECODE shows them.
func TestHLLSparseSetOpcodes(t *testing.T) {
	h := NewHLL()
	steps := []struct {
		index int
		count uint8
		want  string
	}{
		{0, 1, "v:1,1 Z:16383"},
		{1, 1, "v:1,2 Z:16382"}, // folded into its left neighbour
		{100, 3, "v:1,2 Z:98 v:3,1 Z:16283"},
		{99, 3, "v:1,2 Z:97 v:3,2 Z:16283"}, // XZERO of 98 split, then folded
		{98, 2, "v:1,2 Z:96 v:2,1 v:3,2 Z:16283"},
		{101, 3, "v:1,2 Z:96 v:2,1 v:3,3 Z:16282"},
		{102, 3, "v:1,2 Z:96 v:2,1 v:3,4 Z:16281"},
		{103, 3, "v:1,2 Z:96 v:2,1 v:3,4 v:3,1 Z:16280"},       // a VAL holds at most 4
		{100, 2, "v:1,2 Z:96 v:2,1 v:3,4 v:3,1 Z:16280"},       // lower: no change
		{101, 5, "v:1,2 Z:96 v:2,1 v:3,2 v:5,1 v:3,2 Z:16280"}, // split, the right part folded
		{16383, 32, "v:1,2 Z:96 v:2,1 v:3,2 v:5,1 v:3,2 Z:16279 v:32,1"},
		{2, 1, "v:1,3 Z:95 v:2,1 v:3,2 v:5,1 v:3,2 Z:16279 v:32,1"},
		{200, 7, "v:1,3 Z:95 v:2,1 v:3,2 v:5,1 v:3,2 Z:96 v:7,1 Z:16182 v:32,1"}, // 96 zeros: an XZERO
		{150, 4, "v:1,3 Z:95 v:2,1 v:3,2 v:5,1 v:3,2 z:46 v:4,1 z:49 v:7,1 Z:16182 v:32,1"},
		{151, 4, "v:1,3 Z:95 v:2,1 v:3,2 v:5,1 v:3,2 z:46 v:4,2 z:48 v:7,1 Z:16182 v:32,1"},
	}
	for _, s := range steps {
		if _, err := h.Set(s.index, s.count, 3000); err != nil {
			t.Fatal(err)
		}
		if got := h.DecodeSparse(); got != s.want {
			t.Fatalf("after Set(%d, %d):\n got  %s\n want %s", s.index, s.count, got, s.want)
		}
	}
	regs, err := h.Registers()
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range map[int]uint8{0: 1, 2: 1, 3: 0, 98: 2, 100: 3, 101: 5, 103: 3, 104: 0, 150: 4, 151: 4, 152: 0, 200: 7, 16383: 32} {
		if regs[i] != want {
			t.Errorf("register %d = %d, want %d", i, regs[i], want)
		}
	}
}

// The fold after an update looks at five opcodes from the one before the
// update, no more: on this crafted value (adjacent VALs Redis itself would
// have folded) redis-server 7.0.15 leaves "v:5,2 v:5,1" after PFADD of an
// element for register 2 at 3.
func TestHLLFoldScansFiveOpcodes(t *testing.T) {
	v := []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	v = append(v, sparseVal(1, 1), sparseVal(1, 2), sparseVal(3, 1), sparseVal(5, 1), sparseVal(5, 1), sparseVal(5, 1))
	v = appendXZero(v, 16377)
	h, err := ParseHLL(v)
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := h.Set(2, 3, 3000); !changed || err != nil {
		t.Fatalf("Set = %v %v", changed, err)
	}
	if got, want := h.DecodeSparse(), "v:1,2 v:3,2 v:5,2 v:5,1 Z:16377"; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestHLLPromotion(t *testing.T) {
	// A register above 32 does not fit a VAL opcode.
	h := NewHLL()
	if changed, err := h.Set(7, 33, 3000); !changed || err != nil || h.Sparse() {
		t.Fatalf("Set 33: changed %v, err %v, sparse %v", changed, err, h.Sparse())
	}
	if regs, _ := h.Registers(); regs[7] != 33 {
		t.Fatalf("register 7 = %d", regs[7])
	}
	// Growing past sparseMax turns the value dense, and only then.
	for _, max := range []int{0, 18, 20, 100, 1000} {
		h := NewHLL()
		for i := 0; h.Sparse(); i++ {
			prev := len(h.Bytes())
			addAll(t, h, max, "x"+strconv.Itoa(i))
			if h.Sparse() && len(h.Bytes()) > max && len(h.Bytes()) > prev {
				t.Fatalf("max %d: sparse value grew to %d bytes", max, len(h.Bytes()))
			}
			if !h.Sparse() && prev+3 <= max {
				// An update grows a value by at most 3 bytes.
				t.Fatalf("max %d: turned dense at %d bytes", max, prev)
			}
		}
	}
}

func TestHLLCache(t *testing.T) {
	h := NewHLL()
	h.SetCachedCount(0x0102030405060708)
	if n, ok := h.CachedCount(); !ok || n != 0x0102030405060708 {
		t.Fatalf("CachedCount = %x %v", n, ok)
	}
	if got := h.Bytes()[8:16]; !bytes.Equal(got, []byte{8, 7, 6, 5, 4, 3, 2, 1}) {
		t.Fatalf("cache bytes %x: little endian expected", got)
	}
	h.InvalidateCache()
	if _, ok := h.CachedCount(); ok || h.Bytes()[15] != 0x81 {
		t.Fatalf("invalidated cache still valid (byte 15 = %#x)", h.Bytes()[15])
	}
}

// Counts of crafted register histograms Redis's estimator gives (checked
// with PFCOUNT of several keys on redis-server, which never reads a cache).
func TestHLLEstimateEdges(t *testing.T) {
	all := func(v uint8) *HLLRaw {
		var raw HLLRaw
		for i := range raw {
			raw[i] = v
		}
		return &raw
	}
	if n := all(0).Count(); n != 0 {
		t.Errorf("empty: %d", n)
	}
	// Every register at 51 (or above) divides by zero: Redis's llroundl
	// gives the integer indefinite, replied as -9223372036854775808.
	for _, v := range []uint8{51, 63} {
		if n := all(v).Count(); n != 1<<63 {
			t.Errorf("all %d: %d", v, n)
		}
	}
}

func TestHLLParseRejectsNonHLL(t *testing.T) {
	dense := NewHLL()
	dense.ToDense()
	for _, v := range []string{
		"",
		"HYLL",
		"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", // 15 bytes
		"hyll\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff",
		"HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff",
		"HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff", // dense, short
		string(dense.Bytes()) + "x",                                    // dense, long
	} {
		if _, err := ParseHLL([]byte(v)); !errors.Is(err, ErrNotHLL) {
			t.Errorf("ParseHLL(%q) = %v", v, err)
		}
	}
	if _, err := ParseHLL(dense.Bytes()); err != nil {
		t.Errorf("dense: %v", err)
	}
}

// Sparse values whose runs do not cover exactly 16384 registers are found
// corrupt by every operation that walks them all.
func TestHLLCorruptSparse(t *testing.T) {
	valid := NewHLL()
	addAll(t, valid, 3000, "a", "b", "c")
	head := "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"
	for _, body := range []string{
		"",                      // no registers
		"\x7f\xfe",              // 16383
		"\x7f\xff\x00",          // 16385: a ZERO past the end
		"\x7f\xff\x80",          // a VAL past the end
		"\x7f",                  // XZERO cut off: 16129
		"\x7f\xff" + "\x7f\xff", // twice the registers
		string(valid.Bytes()[16:]) + "hello",
	} {
		h, err := ParseHLL([]byte(head + body))
		if err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		if _, err := h.Count(); !errors.Is(err, ErrCorruptHLL) {
			t.Errorf("%q: Count %v", body, err)
		}
		var raw HLLRaw
		if err := h.MergeInto(&raw); !errors.Is(err, ErrCorruptHLL) {
			t.Errorf("%q: MergeInto %v", body, err)
		}
		if _, err := h.ToDense(); !errors.Is(err, ErrCorruptHLL) || !h.Sparse() {
			t.Errorf("%q: ToDense %v", body, err)
		}
	}
	// Runs that end before a register: Set cannot find it.
	h, _ := ParseHLL([]byte(head + "\x00"))
	if _, err := h.Set(5, 1, 3000); !errors.Is(err, ErrCorruptHLL) {
		t.Errorf("Set past the runs: %v", err)
	}
}

// FuzzHLL feeds arbitrary values to every operation: none may panic, and a
// value that counts without error converts to dense with the same count.
func FuzzHLL(f *testing.F) {
	small := NewHLL()
	addAll(f, small, 3000, "a", "b", "c")
	big := NewHLL()
	addAll(f, big, 3000, numbered(0, 300)...)
	dense := NewHLL()
	addAll(f, dense, 3000, numbered(0, 5000)...)
	for _, v := range [][]byte{NewHLL().Bytes(), small.Bytes(), big.Bytes(), dense.Bytes(),
		[]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f")} {
		f.Add(v, []byte("elem"), uint16(100))
	}
	f.Fuzz(func(t *testing.T, v, elem []byte, sparseMax uint16) {
		h, err := ParseHLL(append([]byte(nil), v...))
		if err != nil {
			return
		}
		h.DecodeSparse()
		n, countErr := h.Count()
		var raw HLLRaw
		mergeErr := h.MergeInto(&raw)
		if (countErr == nil) != (mergeErr == nil) {
			t.Fatalf("Count %v but MergeInto %v", countErr, mergeErr)
		}
		if countErr == nil {
			if raw.Count() != n {
				t.Fatalf("Count %d, registers count %d", n, raw.Count())
			}
			d := &HLL{b: append([]byte(nil), h.Bytes()...)}
			if _, err := d.ToDense(); err != nil {
				t.Fatalf("counted, but ToDense: %v", err)
			}
			if dn, _ := d.Count(); dn != n {
				t.Fatalf("dense count %d, sparse %d", dn, n)
			}
		}
		h.Add(elem, int(sparseMax))
		h.Count()
		if len(h.Bytes()) < HLLHeaderSize {
			t.Fatalf("value shrank to %d bytes", len(h.Bytes()))
		}
	})
}

// Random corruption of valid values, as Redis's fuzzing test does: every
// operation survives, and a value still counted is still consistent.
func TestHLLRandomCorruptionNoPanic(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 2000; round++ {
		h := NewHLL()
		n := rnd.IntN(3000)
		for i := 0; i < n; i++ {
			h.Add([]byte(strconv.FormatFloat(rnd.Float64(), 'g', -1, 64)), 3000)
		}
		v := h.Bytes()
		for k := 0; k < 5; k++ {
			v[rnd.IntN(len(v))] = byte(rnd.Uint32())
			if rnd.IntN(2) == 0 {
				break
			}
		}
		c, err := ParseHLL(v)
		if err != nil {
			continue
		}
		c.Count()
		var raw HLLRaw
		c.MergeInto(&raw)
		c.DecodeSparse()
		c.Add([]byte("x"), 3000)
		c.ToDense()
		c.Count()
	}
}

func TestHLLSelfTest(t *testing.T) {
	if testing.Short() {
		t.Skip("ten million elements")
	}
	if err := HLLSelfTest(3000, rand.New(rand.NewPCG(5, 6))); err != nil {
		t.Fatal(err)
	}
}

func TestMurmurHash64ATails(t *testing.T) {
	// Every tail length goes through its own bytes: changing any byte of
	// the input changes the hash.
	base := []byte("0123456789abcdefXYZ")
	for n := 0; n <= len(base); n++ {
		h := murmurHash64A(base[:n], 0xadc83b19)
		for i := 0; i < n; i++ {
			c := append([]byte(nil), base[:n]...)
			c[i] ^= 1
			if murmurHash64A(c, 0xadc83b19) == h {
				t.Errorf("len %d: byte %d does not reach the hash", n, i)
			}
		}
	}
}
