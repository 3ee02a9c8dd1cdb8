package server

import (
	"math/bits"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Per-command latency histograms, behind LATENCY HISTOGRAM and INFO
// latencystats: Redis 7.0's latency tracking (latency-tracking, on by
// default).
//
// Redis keeps an HdrHistogram per command, created by its first recorded
// call, covering 1 ns to 1 s with 2 significant digits, and records every
// call's duration (in whole microseconds, times 1000) clamped to that
// range. latencyHistogram keeps the same counts in the same buckets, so the
// buckets LATENCY HISTOGRAM reports and the percentiles INFO prints are
// Redis's for the same durations. The layout: values below 256 ns have a
// bucket each; above, each power of two is split into 128 buckets (so a
// bucket is within 1% of its value); 3072 buckets reach 2^30 ns.
//
// Recording is one atomic add; the buckets (24 KB) are allocated by a
// command's first recorded call. Readers sum them without stopping
// writers, so a report taken during traffic may miss calls that are
// recorded while it reads, never counts one twice.

const (
	hdrSubBuckets     = 256 // 2 significant digits: 2*10^2 rounded up to a power of two
	hdrHalfMagnitude  = 7   // log2(hdrSubBuckets/2)
	hdrBuckets        = 23  // powers of two above hdrSubBuckets needed to reach 1 s
	hdrCounts         = (hdrBuckets + 1) * hdrSubBuckets / 2
	latencyMinNanos   = 1
	latencyMaxNanos   = 1_000_000_000
	latencyFirstLevel = 1024 // LATENCY HISTOGRAM's first bucket, in ns
)

// latencyTracker is the server's switch for latency tracking.
type latencyTracker struct{ enabled atomic.Bool }

// configure follows latency-tracking.
func (t *latencyTracker) configure(cfg *Config) {
	t.enabled.Store(cfg.Get("latency-tracking") == "yes")
}

// latencyHistogram is one command's histogram; nil counts until its first
// recorded call (and again after CONFIG RESETSTAT).
type latencyHistogram struct {
	counts atomic.Pointer[[hdrCounts]atomic.Int64]
}

// recordLatency records one call of cmd that took d, if tracking is on.
func (s *Server) recordLatency(cmd *Command, d time.Duration) {
	if s.latency.enabled.Load() {
		cmd.stats.latency.record(d)
	}
}

// record counts one call that took d. Redis measures calls in whole
// microseconds.
func (h *latencyHistogram) record(d time.Duration) {
	ns := d.Microseconds() * 1000
	ns = min(max(ns, latencyMinNanos), latencyMaxNanos)
	counts := h.counts.Load()
	if counts == nil {
		counts = new([hdrCounts]atomic.Int64)
		if !h.counts.CompareAndSwap(nil, counts) {
			counts = h.counts.Load()
		}
	}
	counts[hdrIndex(ns)].Add(1)
}

func (h *latencyHistogram) reset() { h.counts.Store(nil) }

// snapshot returns the counts and their total, or ok=false when the
// command has no recorded call.
func (h *latencyHistogram) snapshot() (counts []int64, total int64, ok bool) {
	p := h.counts.Load()
	if p == nil {
		return nil, 0, false
	}
	counts = make([]int64, hdrCounts)
	for i := range p {
		counts[i] = p[i].Load()
		total += counts[i]
	}
	return counts, total, total > 0
}

// hdrBucket returns the power-of-two bucket of v and v's sub-bucket in it.
func hdrBucket(v int64) (bucket, sub int) {
	pow2ceiling := bits.Len64(uint64(v) | (hdrSubBuckets - 1))
	bucket = pow2ceiling - (hdrHalfMagnitude + 1)
	return bucket, int(v >> bucket)
}

// hdrIndex is the position of v's count.
func hdrIndex(v int64) int {
	bucket, sub := hdrBucket(v)
	return (bucket+1)<<hdrHalfMagnitude + sub - hdrSubBuckets/2
}

// hdrValueAt is the lowest value counted at position i.
func hdrValueAt(i int) int64 {
	bucket := i>>hdrHalfMagnitude - 1
	sub := i&(hdrSubBuckets/2-1) + hdrSubBuckets/2
	if bucket < 0 {
		sub -= hdrSubBuckets / 2
		bucket = 0
	}
	return int64(sub) << bucket
}

// hdrHighest is the highest value counted together with v.
func hdrHighest(v int64) int64 {
	bucket, sub := hdrBucket(v)
	return int64(sub)<<bucket + 1<<bucket - 1
}

// percentile is the value below which p percent of the calls fall, as
// HdrHistogram's value_at_percentile computes it: the highest value of
// the bucket that holds the call at that rank (the lowest, for p = 0).
func percentile(counts []int64, total int64, p float64) int64 {
	want := int64(min(p, 100)/100*float64(total) + 0.5)
	want = max(want, 1)
	var seen int64
	for i, n := range counts {
		seen += n
		if seen >= want {
			v := hdrValueAt(i)
			if p == 0 {
				return v
			}
			return hdrHighest(v)
		}
	}
	return 0
}

// cumulative returns LATENCY HISTOGRAM's buckets: for each power of two
// from 1024 ns, the calls up to it, as HdrHistogram's logarithmic
// iteration reports them: the bucket's highest value in microseconds,
// and only where the count grew.
func cumulative(counts []int64, total int64) (usec, calls []int64) {
	var seen, reported int64
	i := -1
	for level := int64(latencyFirstLevel); reported < total; level *= 2 {
		// Count up to and including the bucket holding the level.
		last := hdrIndex(level)
		top := hdrHighest(level)
		if last >= len(counts) {
			// Past the range: the last bucket's highest value.
			last = len(counts) - 1
			top = hdrHighest(hdrValueAt(last))
		}
		for i < last {
			i++
			seen += counts[i]
		}
		if seen > reported {
			usec = append(usec, top/1000)
			calls = append(calls, seen)
			reported = seen
		}
	}
	return usec, calls
}

// writeLatencyCDF writes one command's LATENCY HISTOGRAM entry.
func writeLatencyCDF(r Reply, counts []int64, total int64) {
	usec, calls := cumulative(counts, total)
	r.Map(2)
	r.BulkString("calls")
	r.Int(total)
	r.BulkString("histogram_usec")
	r.Map(len(usec))
	for i := range usec {
		r.Int(usec[i])
		r.Int(calls[i])
	}
}

// writeInfoLatencyStats writes INFO latencystats: each command's
// latency-tracking-info-percentiles, in microseconds.
func (s *Server) writeInfoLatencyStats(line func(format string, args ...any)) {
	var ps []float64
	for _, f := range strings.Fields(s.cfg.Get("latency-tracking-info-percentiles")) {
		if p, err := strconv.ParseFloat(f, 64); err == nil {
			ps = append(ps, p)
		}
	}
	for _, cmd := range s.allCommands() {
		counts, total, ok := cmd.stats.latency.snapshot()
		if !ok {
			continue
		}
		var b strings.Builder
		for i, p := range ps {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("p" + trimFloat(p) + "=")
			b.WriteString(strconv.FormatFloat(float64(percentile(counts, total, p))/1000, 'f', 3, 64))
		}
		line("latency_percentiles_usec_%s:%s", cmd.Name, b.String())
	}
}

// trimFloat prints p as Redis prints a percentile's name: %f without
// trailing zeros.
func trimFloat(p float64) string {
	s := strconv.FormatFloat(p, 'f', 6, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
