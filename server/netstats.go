package server

import (
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Network and throughput figures for INFO stats: total_net_input_bytes,
// total_net_output_bytes, total_reads_processed, total_writes_processed and
// the instantaneous_* rates, which monitoring tools graph.
//
// Each connection counts its own bytes and calls (no counter shared by
// every client, which two cores would pass back and forth on every
// request); INFO sums the live connections and what closed ones left. The
// instantaneous rates are Redis's: sampled every 100 ms, averaged over the
// last 16 samples.

// netCounts are one connection's counters, or the closed connections'.
type netCounts struct {
	in, out, reads, writes atomic.Int64
}

func (n *netCounts) addTo(in, out, reads, writes *int64) {
	*in += n.in.Load()
	*out += n.out.Load()
	*reads += n.reads.Load()
	*writes += n.writes.Load()
}

// countedWriter counts what a connection writes.
type countedWriter struct {
	w io.Writer
	n *netCounts
}

func (w countedWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.n.out.Add(int64(n))
	w.n.writes.Add(1)
	return n, err
}

// netTotals sums the counters of every connection the server has had.
func (s *Server) netTotals() (in, out, reads, writes int64) {
	s.closedNet.addTo(&in, &out, &reads, &writes)
	for _, cn := range s.clients() {
		cn.net.addTo(&in, &out, &reads, &writes)
	}
	return
}

// retireNet keeps a closing connection's counts in the server's totals.
func (s *Server) retireNet(cn *Conn) {
	s.closedNet.in.Add(cn.net.in.Load())
	s.closedNet.out.Add(cn.net.out.Load())
	s.closedNet.reads.Add(cn.net.reads.Load())
	s.closedNet.writes.Add(cn.net.writes.Load())
}

// resetNet zeroes the totals (CONFIG RESETSTAT): the closed connections'
// share becomes minus what the live ones counted so far, and the rate
// samples start over.
func (s *Server) resetNet() {
	var in, out, reads, writes int64
	for _, cn := range s.clients() {
		cn.net.addTo(&in, &out, &reads, &writes)
	}
	s.closedNet.in.Store(-in)
	s.closedNet.out.Store(-out)
	s.closedNet.reads.Store(-reads)
	s.closedNet.writes.Store(-writes)
	s.rates.mu.Lock()
	s.rates.n, s.rates.next = 0, 0
	s.rates.mu.Unlock()
}

const rateSamples = 16

// rateSample is the counters at one moment.
type rateSample struct {
	at           time.Time
	ops, in, out int64
}

// rates keeps the last rateSamples samples.
type rates struct {
	mu      sync.Mutex
	samples [rateSamples]rateSample
	n, next int
}

// sampleRates records the counters, and the used memory maxmemory is
// checked against, every 100 ms until stop is closed.
func (s *Server) sampleRates(stop <-chan struct{}) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	ticks := 0
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			s.access.tick(now)
			if ticks++; ticks%10 == 0 {
				s.releaseIdleBuffers()
				s.migrate.closeIdle(now)
			}
			s.sampleMemory()
			in, out, _, _ := s.netTotals()
			r := &s.rates
			r.mu.Lock()
			r.samples[r.next] = rateSample{at: now, ops: s.stats.commandsProcessed.Load(), in: in, out: out}
			r.next = (r.next + 1) % rateSamples
			r.n = min(r.n+1, rateSamples)
			r.mu.Unlock()
		}
	}
}

// instantaneous returns commands per second and input and output KB per
// second over the sampled window (zeros before two samples).
func (s *Server) instantaneous() (ops int64, inKbps, outKbps float64) {
	r := &s.rates
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n < 2 {
		return 0, 0, 0
	}
	newest := r.samples[(r.next+rateSamples-1)%rateSamples]
	oldest := r.samples[(r.next+rateSamples-r.n)%rateSamples]
	secs := newest.at.Sub(oldest.at).Seconds()
	if secs <= 0 {
		return 0, 0, 0
	}
	return int64(float64(newest.ops-oldest.ops) / secs),
		float64(newest.in-oldest.in) / secs / 1024,
		float64(newest.out-oldest.out) / secs / 1024
}
