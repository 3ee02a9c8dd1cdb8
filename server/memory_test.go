package server_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"moonstone/internal/testkit"
)

// MEMORY's subcommands take Redis's arguments and give Redis's errors and
// help; PURGE answers OK.
func TestMemoryCommandsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
MEMORY HELP
memory help
MEMORY HELP x
MEMORY
MEMORY nosuch
MEMORY STATS x
MEMORY DOCTOR x
MEMORY MALLOC-STATS x
MEMORY PURGE x
MEMORY PURGE
MEMORY USAGE
MEMORY USAGE nokey
MULTI
MEMORY PURGE
EXEC
EVAL "return redis.pcall('memory', 'purge')" 0
`)
}

// MEMORY STATS has Redis's fields in Redis's order and types, a map of
// three zero overheads for each database that has keys, and the figures
// INFO memory reports.
func TestMemoryStats(t *testing.T) {
	p := testkit.StartPair(t)
	p.Run(t, `
SET a 1
SELECT 3
SET b 2
SET c 3
SELECT 0
`)
	ctx := context.Background()
	ms := p.Moonstone.NewClient()
	defer ms.Close()
	layout := func(raw string) string {
		// Field names and reply types, without the values.
		var out []string
		for _, l := range strings.Split(raw, "\r\n") {
			switch {
			case strings.HasPrefix(l, "$") || l == "":
			case l[0] == ':' || l[0] == ',':
				out = append(out, l[:1])
			case l[0] == '*' || l[0] == '%':
				out = append(out, l)
			case isNumber(l):
				out = append(out, "number")
			default:
				out = append(out, l)
			}
		}
		return strings.Join(out, " ")
	}
	for _, resp3 := range []bool{false, true} {
		mc, rc := pairConns(t, p)
		if resp3 {
			doBoth(t, mc, rc, "HELLO", "3")
		}
		m, r := doBoth(t, mc, rc, "MEMORY", "STATS")
		if lm, lr := layout(m), layout(r); lm != lr {
			t.Errorf("MEMORY STATS (RESP3 %v)\n  moonstone: %s\n  redis:     %s", resp3, lm, lr)
		}
	}
	stats, err := ms.Do(ctx, "MEMORY", "STATS").Slice()
	if err != nil {
		t.Fatal(err)
	}
	f := map[string]any{}
	for i := 0; i+1 < len(stats); i += 2 {
		f[stats[i].(string)] = stats[i+1]
	}
	if f["keys.count"] != int64(3) || f["db.0"] == nil || f["db.3"] == nil || f["db.1"] != nil {
		t.Errorf("MEMORY STATS keys: %v", stats)
	}
	info, err := ms.Info(ctx, "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	field := func(name string) int64 {
		_, v, _ := strings.Cut(info, "\r\n"+name+":")
		v, _, _ = strings.Cut(v, "\r\n")
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	if f["startup.allocated"] != field("used_memory_startup") || f["dataset.bytes"] != int64(0) ||
		f["total.allocated"].(int64) <= 0 || f["peak.allocated"].(int64) < f["total.allocated"].(int64)/2 {
		t.Errorf("MEMORY STATS %v\nagainst INFO memory %q", f, info)
	}
	if s, _ := ms.Do(ctx, "MEMORY", "MALLOC-STATS").Text(); s != "Stats not supported for the current allocator" {
		t.Errorf("MEMORY MALLOC-STATS: %q", s)
	}
}

// MEMORY DOCTOR answers one of Redis's reports, verbatim text in RESP3.
func TestMemoryDoctor(t *testing.T) {
	p := testkit.StartPair(t)
	mc, rc := pairConns(t, p)
	for _, c := range []*testkit.RawConn{mc, rc} {
		got, err := c.Do("MEMORY", "DOCTOR")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(got, "Sam") || !strings.HasPrefix(got, "$") {
			t.Errorf("MEMORY DOCTOR: %q", got)
		}
	}
	doBoth(t, mc, rc, "HELLO", "3")
	m, r := doBoth(t, mc, rc, "MEMORY", "DOCTOR")
	if !strings.HasPrefix(m, "=") || !strings.HasPrefix(r, "=") || !strings.Contains(m, "txt:Hi Sam") {
		t.Errorf("MEMORY DOCTOR in RESP3:\n  moonstone: %q\n  redis:     %q", m, r)
	}
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// A connection that writes large values does not keep them once they are
// stored: after 120 SETs of 1 MB, each sent in one piece as
// redis-benchmark sends it, the server's heap (used_memory once MEMORY
// PURGE has collected) holds a fraction of what went through it. The
// server is a process of its own, so that its heap is its alone.
func TestLargeValuesAreNotKeptAfterTheirCommands(t *testing.T) {
	s := testkit.StartProcess(t, t.TempDir(), "appendfsync", "no")
	conn := testkit.Dial(t, s.Addr)
	value := strings.Repeat("v", 1<<20)
	const sets = 120
	for i := range sets {
		if r, err := conn.Do("SET", "big:"+strconv.Itoa(i), value); err != nil || r != "+OK\r\n" {
			t.Fatalf("SET %d: %q %v", i, r, err)
		}
	}
	if r, err := conn.Do("MEMORY", "PURGE"); err != nil || r != "+OK\r\n" {
		t.Fatalf("MEMORY PURGE: %q %v", r, err)
	}
	info, err := conn.Do("INFO", "memory")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(info, "\r\nused_memory:")
	used, err := strconv.ParseInt(rest[:strings.Index(rest, "\r\n")], 10, 64)
	if err != nil {
		t.Fatalf("used_memory in %q: %v", info, err)
	}
	if limit := int64(sets<<20) * 2 / 5; used > limit {
		t.Fatalf("used_memory after %d SETs of 1 MB: %d MB, want at most %d MB", sets, used>>20, limit>>20)
	}
	t.Logf("used_memory after %d SETs of 1 MB: %d MB", sets, used>>20)
}
