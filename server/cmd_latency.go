package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// LATENCY. LATEST, HISTORY, GRAPH, DOCTOR and RESET read the latency
// monitor (latency_monitor.go); HISTOGRAM reports the per-command latency
// histograms of latency tracking (latency.go).

func cmdLatencyLatest(c *Call) {
	latest := c.Srv.latmon.latest()
	c.r.Array(len(latest))
	for _, l := range latest {
		c.r.Array(4)
		c.r.BulkString(l.event)
		c.r.Int(l.time)
		c.r.Int(l.latency)
		c.r.Int(l.max)
	}
}

func cmdLatencyHistory(c *Call) {
	samples, _, _ := c.Srv.latmon.samples(string(c.Args[2]))
	c.r.Array(len(samples))
	for _, s := range samples {
		c.r.Array(2)
		c.r.Int(s.time)
		c.r.Int(s.latency)
	}
}

func cmdLatencyReset(c *Call) {
	if len(c.Args) == 2 {
		c.r.Int(int64(c.Srv.latmon.reset("")))
		return
	}
	n := 0
	for _, e := range c.Args[2:] {
		if len(e) > 0 {
			n += c.Srv.latmon.reset(string(e))
		}
	}
	c.r.Int(int64(n))
}

func cmdLatencyGraph(c *Call) {
	event := string(c.Args[2])
	samples, high, ok := c.Srv.latmon.samples(event)
	if !ok {
		c.Error(fmt.Sprintf("ERR No samples available for event '%s'", event))
		return
	}
	c.r.Verbatim("txt", latencyGraph(event, samples, high, time.Now().Unix()))
}

// cmdLatencyDoctor answers Redis's report: each event's figures, then the
// advice Redis gives for the events seen, word for word.
func cmdLatencyDoctor(c *Call) {
	c.r.Verbatim("txt", c.Srv.latencyReport())
}

// The doctor's advice, in the order Redis gives it.
const (
	adviseSlowlogEnabled = iota
	adviseSlowlogTuning
	adviseSlowlogInspect
	adviseScheduler
	adviseRelaxFsync
	adviseHZ
	adviseLargeObjects
	adviseDisableTHP
	adviseCount
)

func (s *Server) latencyReport() string {
	m := &s.latmon
	events := m.events()
	threshold := m.threshold.Load()
	if len(events) == 0 && threshold == 0 {
		return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
	}
	var b strings.Builder
	var advise [adviseCount]bool
	advices := 0
	now := time.Now().Unix()
	slower, _ := strconv.ParseInt(s.cfg.Get("slowlog-log-slower-than"), 10, 64)
	for i, e := range events {
		samples, high, ok := m.samples(e)
		if !ok {
			continue // reset meanwhile
		}
		if i == 0 {
			b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n")
		}
		st := analyzeLatency(samples, high, now)
		fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). Worst all time event %dms.",
			i+1, e, st.samples, st.avg, st.mad, float64(st.period)/float64(st.samples), high)
		switch strings.ToLower(e) {
		case "command":
			if slower < 0 {
				advise[adviseSlowlogEnabled] = true
				advices++
			} else if slower/1000 > threshold {
				advise[adviseSlowlogTuning] = true
				advices++
			}
			advise[adviseSlowlogInspect] = true
			advise[adviseLargeObjects] = true
			advices += 2
		case "fast-command":
			advise[adviseScheduler] = true
			advices++
		case "aof-fsync-always":
			advise[adviseRelaxFsync] = true
			advices++
		case "expire-cycle":
			advise[adviseHZ] = true
			advise[adviseLargeObjects] = true
			advices += 2
		}
		b.WriteByte('\n')
	}
	if anonHugePages() {
		advise[adviseDisableTHP] = true
		advices++
	}
	switch {
	case len(events) == 0 && advices == 0:
		b.WriteString("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n")
		return b.String()
	case len(events) > 0 && advices == 0:
		b.WriteString("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n")
		return b.String()
	}
	b.WriteString("\nI have a few advices for you:\n\n")
	if advise[adviseSlowlogEnabled] {
		fmt.Fprintf(&b, "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than %d'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n", threshold*1000)
	}
	if advise[adviseSlowlogTuning] {
		fmt.Fprintf(&b, "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than %d'.\n", threshold*1000)
	}
	if advise[adviseSlowlogInspect] {
		b.WriteString("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n")
	}
	if advise[adviseScheduler] {
		b.WriteString("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n" +
			"  1) Lower the system load.\n" +
			"  2) Use a computer / VM just for Redis if you are running other software in the same system.\n" +
			"  3) Check if you have a \"noisy neighbour\" problem.\n" +
			"  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
			"  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n")
	}
	if advise[adviseRelaxFsync] && s.cfg.Get("appendfsync") == "always" {
		b.WriteString("- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n")
	}
	if hz, _ := strconv.Atoi(s.cfg.Get("hz")); advise[adviseHZ] && hz < 100 {
		b.WriteString("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n")
	}
	if advise[adviseLargeObjects] {
		b.WriteString("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n")
	}
	if advise[adviseDisableTHP] {
		b.WriteString("- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n")
	}
	return b.String()
}

// cmdLatencyHistogram is LATENCY HISTOGRAM [command ...]: every command
// with recorded calls, or the named ones (a container's subcommands for
// its name; unknown names are skipped).
func cmdLatencyHistogram(c *Call) {
	var cmds []*Command
	if len(c.Args) == 2 {
		cmds = c.Srv.allCommands()
	} else {
		for _, a := range c.Args[2:] {
			cmd := c.Srv.findCommand(string(a))
			if cmd == nil {
				continue
			}
			cmds = append(cmds, cmd)
			cmds = append(cmds, sortedSubs(cmd)...)
		}
	}
	type entry struct {
		cmd    *Command
		counts []int64
		total  int64
	}
	var out []entry
	for _, cmd := range cmds {
		if counts, total, ok := cmd.stats.latency.snapshot(); ok {
			out = append(out, entry{cmd, counts, total})
		}
	}
	c.r.Map(len(out))
	for _, e := range out {
		c.r.BulkString(e.cmd.Name)
		writeLatencyCDF(c.r, e.counts, e.total)
	}
}

func cmdLatencyHelp(c *Call) {
	replyHelp(c, "LATENCY",
		"DOCTOR",
		"    Return a human readable latency analysis report.",
		"GRAPH <event>",
		"    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>",
		"    Return time-latency samples for the <event> class.",
		"LATEST",
		"    Return the latest latency samples for all events.",
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]",
		"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.",
	)
}
