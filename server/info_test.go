package server_test

import (
	"context"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"moonstone/internal/testkit"
)

// statsLines keeps the cmdstat_ and errorstat_ lines of an INFO reply,
// without the timings, which no two servers share.
func statsLines(info string) []string {
	timing := regexp.MustCompile(`usec(_per_call)?=[0-9.]+,`)
	var out []string
	for _, l := range strings.Split(info, "\r\n") {
		if strings.HasPrefix(l, "cmdstat_") || strings.HasPrefix(l, "errorstat_") {
			out = append(out, timing.ReplaceAllString(l, ""))
		}
	}
	sort.Strings(out)
	return out
}

// infoFieldNames lists the field names of an INFO reply, in order.
func infoFieldNames(info string) []string {
	var out []string
	for _, l := range strings.Split(info, "\r\n") {
		if k, _, ok := strings.Cut(l, ":"); ok {
			out = append(out, k)
		}
	}
	return out
}

// infoField is the value of field name in an INFO reply, "" when absent.
func infoField(info, name string) string {
	for _, l := range strings.Split(info, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && k == name {
			return v
		}
	}
	return ""
}

// pairStats returns both servers' stats lines (statsLines of INFO
// commandstats and errorstats): Moonstone's, then Redis's.
func pairStats(t *testing.T, p *testkit.Pair) (moonstone, redis []string) {
	t.Helper()
	m, r, err := p.Do("INFO", "commandstats")
	if err != nil {
		t.Fatal(err)
	}
	em, er, err := p.Do("INFO", "errorstats")
	if err != nil {
		t.Fatal(err)
	}
	return statsLines(m + em), statsLines(r + er)
}

// Operators read failed and rejected calls to find misbehaving clients:
// the counters must move exactly as Redis's do.
func TestCommandAndErrorStatsMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	p.Run(t, `
CONFIG RESETSTAT
SET k v
SET k
GET k v
NOSUCHCOMMAND
LPUSH k x
CONFIG GET
CONFIG NOSUCH
MULTI
SET
EXEC
MULTI
INCR k
SET n 1
EXEC
MULTI
SET n 2
EXEC extra
EXEC extra
EVAL "return redis.call('lpush', 'k', 'x')" 0
EVAL "return redis.pcall('lpush', 'k', 'x')" 0
EVAL "return redis.error_reply('MY own')" 0
EVALSHA ffffffffffffffffffffffffffffffffffffffff 0
`)
	got, want := pairStats(t, p)
	// INFO itself is counted once it has run; the first call is not yet.
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stats differ\nmoonstone:\n%s\nredis:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Errors inside scripts count as Redis 7.0 counts them: an error reply a
// command gives redis.call or redis.pcall counts in errorstats and in that
// command's failed_calls, whether or not the script looks at it; when the
// script then fails with that same error, EVAL's failed_calls moves but
// the error is not counted twice. An error the script makes itself
// (error_reply, {err=...}, error()) counts once.
func TestScriptErrorStatsMatchRedis(t *testing.T) {
	scripts := []string{
		`return redis.call('incr','str')`,
		`return redis.pcall('incr','str')`,
		`redis.pcall('incr','str'); return 1`,
		`local e = redis.pcall('incr','str'); error(e)`,
		`local e = redis.pcall('incr','str'); return {err=e.err}`,
		`return cjson.encode(redis.pcall('incr','str'))`,
		`return cjson.encode(redis.pcall('nosuch'))`,
		`return redis.call('nosuch')`,
		`return redis.pcall('nosuch')`,
		`return redis.pcall()`,
		`return redis.call()`,
		`return redis.error_reply('MY err')`,
		`return redis.error_reply('-X y')`,
		`return cjson.encode(redis.error_reply('x'))`,
		`return {err='-FOO\nbar'}`,
		`return {err='FOO\r\nbar\n'}`,
		`return {err='x', ignore_error_stats_update=true}`,
		`error('x')`,
		`error({err='MINE here'})`,
		`error({err='\nX y'})`,
		`return redis.error_reply('\nX y')`,
		`return {1, redis.error_reply('X y')}`,
		`return {1, redis.pcall('incr','str')}`,
		`return {redis.error_reply('X y'), redis.error_reply('Z y')}`,
	}
	p := testkit.StartPair(t)
	for _, s := range scripts {
		p.Run(t, "SET str abc\nCONFIG RESETSTAT\nEVAL \""+strings.ReplaceAll(s, `\`, `\\`)+"\" 0")
		got, want := pairStats(t, p)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: stats differ\nmoonstone:\n%s\nredis:\n%s", s, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// INFO stats has Redis's fields in Redis's order, which dashboards and
// exporters parse, and the traffic figures move with traffic: bytes in
// and out, reads and writes, and the instantaneous rates Redis samples
// every 100 ms.
func TestInfoStatsFieldsAndTraffic(t *testing.T) {
	p := testkit.StartPair(t)
	ms, rd, err := p.Do("INFO", "stats")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(infoFieldNames(ms), " "), strings.Join(infoFieldNames(rd), " "); got != want {
		t.Fatalf("INFO stats fields differ\nmoonstone: %s\nredis:     %s", got, want)
	}

	c := p.Moonstone.Raw(t)
	stats := func() map[string]float64 {
		t.Helper()
		info, err := c.Do("INFO", "stats")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, l := range strings.Split(info, "\r\n") {
			if k, v, ok := strings.Cut(l, ":"); ok {
				out[k], _ = strconv.ParseFloat(v, 64)
			}
		}
		return out
	}
	before := stats()
	// PINGs for 300 ms, three samples or more on an idle machine. A loaded
	// one (CI runs packages in parallel under the race detector) may starve
	// the sampler's ticker, so keep PINGing until the rates show or 10 s pass.
	rated := func(m map[string]float64) bool {
		return m["instantaneous_ops_per_sec"] > 0 && m["instantaneous_input_kbps"] > 0 && m["instantaneous_output_kbps"] > 0
	}
	var after map[string]float64
	for start := time.Now(); ; {
		for round := time.Now(); time.Since(round) < 100*time.Millisecond; {
			if _, err := c.Do("PING"); err != nil {
				t.Fatal(err)
			}
		}
		if time.Since(start) < 300*time.Millisecond {
			continue
		}
		if after = stats(); rated(after) || time.Since(start) > 10*time.Second {
			break
		}
	}
	for _, f := range []string{"total_net_input_bytes", "total_net_output_bytes", "total_reads_processed", "total_writes_processed"} {
		if after[f] <= before[f] {
			t.Errorf("%s did not grow: %v -> %v", f, before[f], after[f])
		}
	}
	for _, f := range []string{"instantaneous_ops_per_sec", "instantaneous_input_kbps", "instantaneous_output_kbps"} {
		if after[f] <= 0 {
			t.Errorf("%s is %v after 300 ms of PINGs", f, after[f])
		}
	}
	if _, err := c.Do("CONFIG", "RESETSTAT"); err != nil {
		t.Fatal(err)
	}
	if reset := stats(); reset["total_net_input_bytes"] > after["total_net_input_bytes"]/2 || reset["instantaneous_ops_per_sec"] != 0 {
		t.Errorf("CONFIG RESETSTAT left total_net_input_bytes %v, instantaneous_ops_per_sec %v", reset["total_net_input_bytes"], reset["instantaneous_ops_per_sec"])
	}
}

// INFO memory has Redis 7.0's fields in Redis's order (exporters and
// dashboards read them by name), then Moonstone's own pebble_* and go_*
// fields; used_memory is what maxmemory is checked against.
func TestInfoMemoryFieldsMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	ms, rd, err := p.Do("INFO", "memory")
	if err != nil {
		t.Fatal(err)
	}
	fields := func(info string) (names []string, values map[string]string) {
		values = map[string]string{}
		for _, l := range strings.Split(info, "\r\n") {
			if k, v, ok := strings.Cut(l, ":"); ok {
				names = append(names, k)
				values[k] = v
			}
		}
		return names, values
	}
	got, vals := fields(ms)
	want, _ := fields(rd)
	if len(got) < len(want) || strings.Join(got[:len(want)], " ") != strings.Join(want, " ") {
		t.Fatalf("INFO memory fields differ\nmoonstone: %s\nredis:     %s", strings.Join(got, " "), strings.Join(want, " "))
	}
	for _, extra := range got[len(want):] {
		if !strings.HasPrefix(extra, "pebble_") && !strings.HasPrefix(extra, "go_") {
			t.Errorf("unexpected field %s after Redis's", extra)
		}
	}
	used, _ := strconv.ParseInt(vals["used_memory"], 10, 64)
	peak, _ := strconv.ParseInt(vals["used_memory_peak"], 10, 64)
	total, _ := strconv.ParseInt(vals["total_system_memory"], 10, 64)
	if used <= 0 || peak < used || total <= used {
		t.Errorf("used_memory %d, used_memory_peak %d, total_system_memory %d", used, peak, total)
	}
}

// Exporters read INFO's fields by name: every field Redis 7.0 (with its
// AOF on, as Moonstone's WAL always is) gives in the server, clients,
// persistence, stats, replication and cpu sections is in Moonstone's
// reply, in Redis's order, with Moonstone's own fields between or after
// them. And rdb_saves counts checkpoints, as Redis counts saves.
func TestInfoHasRedisFieldsInRedisOrder(t *testing.T) {
	p := testkit.StartPairArgs(t, []string{"--appendonly", "yes"})
	for _, sec := range []string{"server", "clients", "persistence", "stats", "replication", "cpu"} {
		ms, rd, err := p.Do("INFO", sec)
		if err != nil {
			t.Fatal(err)
		}
		got, want := infoFieldNames(ms), infoFieldNames(rd)
		i := 0
		for _, name := range got {
			if i < len(want) && name == want[i] {
				i++
			}
		}
		if i < len(want) {
			t.Errorf("INFO %s: Redis's %s is missing or out of order\nmoonstone: %s\nredis:     %s",
				sec, want[i], strings.Join(got, " "), strings.Join(want, " "))
		}
	}
	field := func(name string) string {
		t.Helper()
		m, _, err := p.Do("INFO", "persistence")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(m, "\r\n") {
			if v, ok := strings.CutPrefix(l, name+":"); ok {
				return v
			}
		}
		t.Fatalf("no %s in %q", name, m)
		return ""
	}
	if v := field("rdb_saves"); v != "0" {
		t.Fatalf("rdb_saves before any save: %s", v)
	}
	if v := field("rdb_last_bgsave_time_sec"); v != "-1" {
		t.Fatalf("rdb_last_bgsave_time_sec before any BGSAVE: %s", v)
	}
	c, ctx := p.Moonstone.Client, context.Background()
	if err := c.Do(ctx, "CONFIG", "SET", "backup-dir", t.TempDir()).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "SAVE").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "BGSAVE").Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for field("rdb_bgsave_in_progress") != "0" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if v := field("rdb_saves"); v != "2" {
		t.Errorf("rdb_saves after SAVE and BGSAVE: %s", v)
	}
	if v := field("rdb_last_bgsave_time_sec"); v != "0" {
		t.Errorf("rdb_last_bgsave_time_sec after a quick BGSAVE: %s", v)
	}
}
