package server

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The latency monitor: Redis's record of latency spikes, behind LATENCY
// LATEST, HISTORY, GRAPH, DOCTOR and RESET. With latency-monitor-threshold
// set to N milliseconds (0, the default, turns it off), every event that
// takes N ms or more adds a sample to that event's series: the time in
// seconds and the latency in milliseconds. A series keeps its last 160
// seconds that had a sample (a second keeps its worst), and the worst
// latency since the series began.
//
// The events Moonstone records, each where Redis records its own:
//   - "command" and "fast-command": a command's run time (the one the slow
//     log measures), by whether the command is flagged fast; commands that
//     scripts call count too, as in Redis;
//   - "aof-fsync-always": a WAL fsync that commits wait for, under
//     appendfsync always (Redis's event for the same stall of its AOF);
//   - "expire-cycle": the longest time a pass of the active expiry sweeper
//     held the write lock. Redis blocks for its whole cycle; Moonstone's
//     sweeper lets writers in between batches, so a batch is what a writer
//     can wait for.
//
// Recording costs one atomic load when the monitor is off or the event is
// under the threshold.

// latencySeriesLen is how many samples an event keeps (Redis's
// LATENCY_TS_LEN).
const latencySeriesLen = 160

type latencySample struct {
	time    int64 // unix seconds; 0 for an unused slot
	latency int64 // ms
}

// latencySeries is one event's samples, a ring: next is the slot the next
// sample takes, so the oldest is at next.
type latencySeries struct {
	next    int
	max     int64
	samples [latencySeriesLen]latencySample
}

type latencyMonitor struct {
	threshold atomic.Int64 // ms; 0 is off

	mu     sync.Mutex
	series map[string]*latencySeries
	order  []string // event names, in the order their series began
}

// configure follows latency-monitor-threshold.
func (m *latencyMonitor) configure(cfg *Config) {
	n, _ := strconv.ParseInt(cfg.Get("latency-monitor-threshold"), 10, 64)
	m.threshold.Store(n)
}

// note records event taking d, if the monitor is on and d reaches the
// threshold (whole milliseconds, as Redis measures).
func (m *latencyMonitor) note(event string, d time.Duration) {
	t := m.threshold.Load()
	ms := d.Milliseconds()
	if t == 0 || ms < t {
		return
	}
	m.add(event, ms, time.Now().Unix())
}

func (m *latencyMonitor) add(event string, ms, now int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := m.series[event]
	if ts == nil {
		if m.series == nil {
			m.series = make(map[string]*latencySeries)
		}
		ts = new(latencySeries)
		m.series[event] = ts
		m.order = append(m.order, event)
	}
	ts.max = max(ts.max, ms)
	prev := &ts.samples[(ts.next+latencySeriesLen-1)%latencySeriesLen]
	if prev.time == now {
		prev.latency = max(prev.latency, ms)
		return
	}
	ts.samples[ts.next] = latencySample{time: now, latency: ms}
	ts.next = (ts.next + 1) % latencySeriesLen
}

// samples returns event's samples, oldest first, and its all-time worst;
// nil when the event has no series.
func (m *latencyMonitor) samples(event string) ([]latencySample, int64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := m.series[event]
	if ts == nil {
		return nil, 0, false
	}
	var out []latencySample
	for j := range latencySeriesLen {
		if s := ts.samples[(ts.next+j)%latencySeriesLen]; s.time != 0 {
			out = append(out, s)
		}
	}
	return out, ts.max, true
}

// latest is one line of LATENCY LATEST.
type latencyLatest struct {
	event         string
	time, latency int64
	max           int64
}

func (m *latencyMonitor) latest() []latencyLatest {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]latencyLatest, 0, len(m.order))
	for _, e := range m.order {
		ts := m.series[e]
		last := ts.samples[(ts.next+latencySeriesLen-1)%latencySeriesLen]
		out = append(out, latencyLatest{event: e, time: last.time, latency: last.latency, max: ts.max})
	}
	return out
}

// reset drops the series of event (any case), or every series for "",
// and returns how many it dropped.
func (m *latencyMonitor) reset(event string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	kept := m.order[:0]
	for _, e := range m.order {
		if event == "" || strings.EqualFold(e, event) {
			delete(m.series, e)
			n++
			continue
		}
		kept = append(kept, e)
	}
	m.order = kept
	return n
}

// events lists the event names with a series, in order.
func (m *latencyMonitor) events() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.order...)
}

// latencyStats summarizes a series for LATENCY DOCTOR, as Redis's
// analyzeLatencyForEvent does: integer average and mean absolute deviation
// of the samples, and the seconds from the oldest sample to now.
type latencyStats struct {
	samples        int64
	avg, mad       int64
	period         int64
	allTimeHigh    int64
	minimum, worst int64
}

func analyzeLatency(samples []latencySample, allTimeHigh, now int64) latencyStats {
	st := latencyStats{allTimeHigh: allTimeHigh}
	var sum, oldest int64
	for _, s := range samples {
		st.samples++
		if st.samples == 1 {
			st.minimum, st.worst = s.latency, s.latency
		}
		st.minimum = min(st.minimum, s.latency)
		st.worst = max(st.worst, s.latency)
		sum += s.latency
		if oldest == 0 || s.time < oldest {
			oldest = s.time
		}
	}
	if st.samples == 0 {
		return st
	}
	st.avg = sum / st.samples
	st.period = max(now-oldest, 1)
	var dev int64
	for _, s := range samples {
		d := st.avg - s.latency
		if d < 0 {
			d = -d
		}
		dev += d
	}
	st.mad = dev / st.samples
	return st
}

// anonHugePages reports whether the process has transparent huge pages
// (Redis's doctor advises turning them off).
func anonHugePages() bool {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if rest, ok := bytes.CutPrefix(line, []byte("AnonHugePages:")); ok {
			if kb, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte(" kB"))), 10, 64); err == nil && kb > 0 {
				return true
			}
		}
	}
	return false
}

// latencyGraph draws event's samples as Redis's LATENCY GRAPH does: a
// header, a rule, and a four-row sparkline, filled, labelled with how long
// ago each sample was taken.
func latencyGraph(event string, samples []latencySample, allTimeHigh, now int64) string {
	var b strings.Builder
	var lo, hi int64
	for i, s := range samples {
		if i == 0 {
			lo, hi = s.latency, s.latency
		}
		lo, hi = min(lo, s.latency), max(hi, s.latency)
	}
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", event, hi, lo, allTimeHigh)
	b.WriteString(strings.Repeat("-", latencyGraphCols))
	b.WriteByte('\n')
	labels := make([]string, len(samples))
	for i, s := range samples {
		labels[i] = agoLabel(now - s.time)
	}
	for j := 0; j < len(samples); j += latencyGraphCols {
		if j != 0 {
			b.WriteByte('\n')
		}
		end := min(j+latencyGraphCols, len(samples))
		renderSparkline(&b, samples[j:end], labels[j:end], float64(lo), float64(hi))
	}
	return b.String()
}

const (
	latencyGraphCols = 80
	sparkRows        = 4
)

func agoLabel(elapsed int64) string {
	switch {
	case elapsed < 60:
		return fmt.Sprintf("%ds", elapsed)
	case elapsed < 3600:
		return fmt.Sprintf("%dm", elapsed/60)
	case elapsed < 3600*24:
		return fmt.Sprintf("%dh", elapsed/3600)
	}
	return fmt.Sprintf("%dd", elapsed/(3600*24))
}

// renderSparkline writes one band of columns: sparkRows rows of the
// filled curve (three levels per row, "_o#", and "|" below the curve's
// row), a blank row, then the labels written downwards, one character per
// row. The scale runs from lo to hi over the whole series.
func renderSparkline(b *strings.Builder, samples []latencySample, labels []string, lo, hi float64) {
	const fill = "_o#"
	steps := len(fill) * sparkRows
	rel := hi - lo
	if rel == 0 {
		rel = 1
	}
	chars := make([]byte, len(samples))
	for row := 0; ; row++ {
		for j := range chars {
			chars[j] = ' '
		}
		more := false
		for j, s := range samples {
			step := int(float64(int((float64(s.latency)-lo)*float64(steps))) / rel)
			step = min(max(step, 0), steps-1)
			switch {
			case row < sparkRows:
				more = true
				idx := step - (sparkRows-row-1)*len(fill)
				if idx >= 0 && idx < len(fill) {
					chars[j] = fill[idx]
				} else if idx >= len(fill) {
					chars[j] = '|'
				}
			case row == sparkRows:
				more = true // the margin above the labels
			default:
				if c := row - sparkRows - 1; c < len(labels[j]) {
					more = true
					chars[j] = labels[j][c]
				}
			}
		}
		if !more {
			return
		}
		b.Write(chars)
		b.WriteByte('\n')
	}
}
