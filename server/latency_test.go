package server_test

import (
	"context"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"moonstone/internal/testkit"
)

// Without a latency monitor, LATENCY answers as a Redis 7.0 whose monitor
// recorded nothing (latency-monitor-threshold 0, the default).
func TestLatencyCommandsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
LATENCY LATEST
LATENCY HISTORY command
LATENCY HISTORY nosuch
LATENCY RESET
LATENCY RESET command fast-command
LATENCY DOCTOR
LATENCY GRAPH command
LATENCY GRAPH "some event"
LATENCY HELP
latency help
LATENCY HELP x
LATENCY
LATENCY nosuch
LATENCY LATEST x
LATENCY HISTORY
LATENCY GRAPH
LATENCY DOCTOR x
LATENCY HISTOGRAM nosuch
CONFIG GET latency-monitor-threshold
MULTI
LATENCY LATEST
LATENCY RESET
EXEC
EVAL "return redis.pcall('latency', 'latest')" 0
`)
	testkit.DiffResp3(t, "LATENCY DOCTOR\nLATENCY LATEST\nLATENCY HISTOGRAM nosuch")
}

// LATENCY HISTOGRAM and INFO latencystats report the same commands with
// the same call counts as Redis, in the same shapes; only the durations
// differ. Latency tracking follows latency-tracking and CONFIG RESETSTAT;
// a blocked command is recorded when served, not when it times out; a
// rejected one not at all.
func TestLatencyHistogramMatchesRedis(t *testing.T) {
	p := testkit.StartPair(t)
	ms := p.Moonstone.NewClient()
	defer ms.Close()
	ctx := context.Background()
	clients := []*redis.Client{ms, p.Redis.Client}
	run := func(script string) {
		t.Helper()
		p.Run(t, script)
	}
	run(`
CONFIG RESETSTAT
SET a b
SET a b
GET a
HSET h f v
CLIENT GETNAME
GET
NOSUCHCOMMAND
MULTI
INCR n
EXEC
EVAL "redis.call('set', 'x', 1) return redis.call('get', 'x')" 0
BLPOP nolist 0.01
`)
	// A blocked pop that is served.
	for _, c := range clients {
		done := make(chan error)
		bc := redis.NewClient(&redis.Options{Addr: c.Options().Addr, Protocol: 2})
		defer bc.Close()
		go func() { done <- bc.BRPop(ctx, 5*time.Second, "list").Err() }()
		waitBlocked(t, c, 1)
		c.LPush(ctx, "list", "x")
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	shape := func(c *redis.Client, args ...any) string {
		t.Helper()
		v, err := c.Do(ctx, append([]any{"LATENCY", "HISTOGRAM"}, args...)...).Slice()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for i := 0; i+1 < len(v); i += 2 {
			h := v[i+1].([]any)
			if h[0] != "calls" || h[2] != "histogram_usec" {
				t.Fatalf("LATENCY HISTOGRAM entry %v", h)
			}
			buckets := h[3].([]any)
			// The buckets are powers of two from 1 us, cumulative, and the
			// last holds every call.
			last := int64(0)
			for j := 0; j+1 < len(buckets); j += 2 {
				n := buckets[j+1].(int64)
				if n <= last {
					t.Errorf("%s: counts not increasing: %v", v[i], buckets)
				}
				last = n
			}
			if last != h[1].(int64) {
				t.Errorf("%s: %d calls, last bucket %d", v[i], h[1], last)
			}
			// CLIENT SETINFO is go-redis's, unknown to Redis 7.0; INFO is
			// polled by waitBlocked as often as it takes.
			if v[i] != "client|setinfo" && v[i] != "info" {
				out = append(out, v[i].(string)+"="+toString(h[1]))
			}
		}
		sort.Strings(out)
		return strings.Join(out, " ")
	}
	for _, args := range [][]any{nil, {"set", "get"}, {"client|getname", "nosuch", "set"}, {"blpop", "brpop"}} {
		if m, r := shape(ms, args...), shape(p.Redis.Client, args...); m != r {
			t.Errorf("LATENCY HISTOGRAM %v\n  moonstone: %s\n  redis:     %s", args, m, r)
		}
	}
	stats := func(c *redis.Client) string {
		info, err := c.Info(ctx, "latencystats").Result()
		if err != nil {
			t.Fatal(err)
		}
		line := regexp.MustCompile(`^latency_percentiles_usec_([a-z|_-]+):p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$`)
		var names []string
		for _, l := range strings.Split(strings.TrimSpace(info), "\r\n")[1:] {
			m := line.FindStringSubmatch(l)
			if m == nil {
				t.Errorf("INFO latencystats line %q", l)
				continue
			}
			if m[1] != "client|setinfo" && m[1] != "info" {
				names = append(names, m[1])
			}
		}
		sort.Strings(names)
		return strings.Join(names, " ")
	}
	if m, r := stats(ms), stats(p.Redis.Client); m != r {
		t.Errorf("INFO latencystats commands\n  moonstone: %s\n  redis:     %s", m, r)
	}
	run(`
CONFIG SET latency-tracking-info-percentiles "0 50 100"
CONFIG RESETSTAT
CONFIG SET latency-tracking no
SET a b
CONFIG SET latency-tracking yes
GET a
LATENCY HISTOGRAM set
`)
	for _, c := range clients {
		info, _ := c.Info(ctx, "latencystats").Result()
		if !regexp.MustCompile(`(?m)^latency_percentiles_usec_get:p0=\d+\.\d{3},p50=\d+\.\d{3},p100=\d+\.\d{3}\r$`).MatchString(info) ||
			strings.Contains(info, "usec_set:") {
			t.Errorf("%s: INFO latencystats after latency-tracking no/yes: %q", c.Options().Addr, info)
		}
		all, _ := c.Info(ctx, "everything").Result()
		if !strings.Contains(all, "# Latencystats\r\n") {
			t.Errorf("INFO everything has no latencystats")
		}
		def, _ := c.Info(ctx).Result()
		if strings.Contains(def, "# Latencystats") {
			t.Errorf("INFO has latencystats")
		}
	}
}

func toString(v any) string {
	switch v := v.(type) {
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return ""
}

// With latency-monitor-threshold set, a command that takes longer adds a
// "command" sample, and LATEST, HISTORY, GRAPH, DOCTOR and RESET answer as
// Redis's for the same events: the same replies once the figures (times
// and milliseconds, which differ between the two servers) are masked. The
// slow command is DEBUG SLEEP, and the threshold is high enough that no
// other command reaches it, even under the race detector on a busy machine.
func TestLatencyMonitorMatchesRedis(t *testing.T) {
	p := testkit.StartPairArgs(t, []string{"--enable-debug-command", "yes"}, "enable-debug-command", "yes")
	digits := regexp.MustCompile(`[0-9]+(\.[0-9]+)?`)
	same := func(args ...string) {
		t.Helper()
		m, r, err := p.Do(args...)
		if err != nil {
			t.Fatal(err)
		}
		if digits.ReplaceAllString(m, "N") != digits.ReplaceAllString(r, "N") {
			t.Errorf("%v\n  moonstone: %q\n  redis:     %q", args, m, r)
		}
	}
	same("CONFIG", "SET", "latency-monitor-threshold", "250")
	same("LATENCY", "DOCTOR")
	same("DEBUG", "SLEEP", "0.3")
	same("LATENCY", "LATEST")
	same("LATENCY", "HISTORY", "command")
	same("LATENCY", "HISTORY", "COMMAND")
	same("LATENCY", "GRAPH", "command")
	same("LATENCY", "DOCTOR")
	same("LATENCY", "RESET", "nosuch")
	same("LATENCY", "RESET", "COMMAND")
	same("LATENCY", "LATEST")
	same("LATENCY", "GRAPH", "command")

	// The sample itself: the time is now, the latency at least the
	// sleep, and the worst at least the last.
	c := p.Moonstone.NewClient()
	defer c.Close()
	ctx := context.Background()
	c.Do(ctx, "DEBUG", "SLEEP", "0.3")
	v, err := c.Do(ctx, "LATENCY", "LATEST").Slice()
	if err != nil || len(v) != 1 {
		t.Fatalf("LATENCY LATEST after DEBUG SLEEP 0.3: %v %v", v, err)
	}
	e := v[0].([]any)
	if e[0] != "command" || time.Since(time.Unix(e[1].(int64), 0)) > 5*time.Second || e[2].(int64) < 300 || e[3].(int64) < e[2].(int64) {
		t.Errorf("LATENCY LATEST entry %v", e)
	}
	// Turned off, the monitor records nothing more.
	p.Run(t, `CONFIG SET latency-monitor-threshold 0`)
	c.Do(ctx, "LATENCY", "RESET")
	c.Do(ctx, "DEBUG", "SLEEP", "0.3")
	if v, _ := c.Do(ctx, "LATENCY", "LATEST").Slice(); len(v) != 0 {
		t.Errorf("LATENCY LATEST with the monitor off: %v", v)
	}
}
