package server

import "fmt"

// LATENCY. Moonstone has no latency monitor: it records no latency events
// (Redis's samples of commands, fsyncs, expiry cycles and the like slower
// than latency-monitor-threshold), so LATEST, HISTORY and GRAPH answer as
// a Redis that has none, and RESET resets none. HISTOGRAM reports the
// per-command latency histograms of latency tracking (latency.go), which
// Moonstone keeps as Redis does.

func cmdLatencyLatest(c *Call) { c.r.Array(0) }

func cmdLatencyHistory(c *Call) { c.r.Array(0) }

func cmdLatencyReset(c *Call) { c.r.Int(0) }

func cmdLatencyGraph(c *Call) {
	c.Error(fmt.Sprintf("ERR No samples available for event '%s'", c.Args[2]))
}

// cmdLatencyDoctor answers Redis's report for a server whose monitor is
// off and never recorded anything (latency-monitor-threshold 0, the
// default). With a threshold set, Redis would start sampling; Moonstone
// says it does not.
func cmdLatencyDoctor(c *Call) {
	if c.Srv.cfg.Get("latency-monitor-threshold") == "0" {
		c.r.Verbatim("txt", "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n")
		return
	}
	c.r.Verbatim("txt", "I'm sorry, Dave, I can't do that. Moonstone has no latency monitor: latency-monitor-threshold is accepted, but no latency events are recorded. LATENCY HISTOGRAM and INFO latencystats report the latency of each command.\n")
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
