package server

import (
	"reflect"
	"testing"
	"time"
)

// The histogram's buckets and percentiles are HdrHistogram's with Redis's
// settings (1 ns to 1 s, 2 significant digits): the figures below are what
// Redis 7.0 reports for the same recorded durations.
func TestLatencyHistogramBuckets(t *testing.T) {
	for _, tc := range []struct {
		ns, index, lowest, highest int64
	}{
		{1, 1, 1, 1},
		{255, 255, 255, 255},
		{256, 256, 256, 257},
		{1000, 506, 1000, 1003},
		{1024, 512, 1024, 1031},
		{32768, 1152, 32768, 33023},
		{1_000_000_000, 3054, 998244352, 1002438655},
	} {
		i := hdrIndex(tc.ns)
		if int64(i) != tc.index || hdrValueAt(i) != tc.lowest || hdrHighest(tc.ns) != tc.highest {
			t.Errorf("%d ns: index %d, lowest %d, highest %d; want %d, %d, %d",
				tc.ns, i, hdrValueAt(i), hdrHighest(tc.ns), tc.index, tc.lowest, tc.highest)
		}
	}
	if hdrCounts != 3072 || hdrValueAt(hdrCounts-1) != 1069547520 {
		t.Errorf("%d counts, the last from %d", hdrCounts, hdrValueAt(hdrCounts-1))
	}

	var h latencyHistogram
	if _, _, ok := h.snapshot(); ok {
		t.Fatal("an unused histogram has calls")
	}
	for _, d := range []time.Duration{0, time.Microsecond, 3 * time.Microsecond, 33 * time.Microsecond,
		40 * time.Microsecond, 5 * time.Millisecond, 3 * time.Second} {
		h.record(d)
	}
	counts, total, ok := h.snapshot()
	if !ok || total != 7 {
		t.Fatalf("%d calls", total)
	}
	// LATENCY HISTOGRAM: 0 and 1 us fall in 1 us (1031 ns), 3 us in 4
	// (4127 ns), 33 us in 33 (33023 ns), 40 us in 66, 5 ms in 8454; 3 s is
	// counted as 1 s, past 2^29 ns, reported with the last bucket's top.
	usec, calls := cumulative(counts, total)
	if want := []int64{1, 4, 33, 66, 8454, 1073741}; !reflect.DeepEqual(usec, want) {
		t.Errorf("buckets %v, want %v", usec, want)
	}
	if want := []int64{2, 3, 4, 5, 6, 7}; !reflect.DeepEqual(calls, want) {
		t.Errorf("counts %v, want %v", calls, want)
	}
	for _, tc := range []struct {
		p    float64
		want int64
	}{
		{0, 1}, {10, 1}, {50, 33023}, {99, 1002438655}, {100, 1002438655},
	} {
		if got := percentile(counts, total, tc.p); got != tc.want {
			t.Errorf("p%v = %d, want %d", tc.p, got, tc.want)
		}
	}
	h.reset()
	if _, _, ok := h.snapshot(); ok {
		t.Error("calls after reset")
	}
	if trimFloat(99.9) != "99.9" || trimFloat(50) != "50" || trimFloat(0) != "0" {
		t.Errorf("percentile names %s %s %s", trimFloat(99.9), trimFloat(50), trimFloat(0))
	}
}
