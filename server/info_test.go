package server_test

import (
	"regexp"
	"sort"
	"strings"
	"testing"

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
EVAL "return redis.call('lpush', 'k', 'x')" 0
EVAL "return redis.pcall('lpush', 'k', 'x')" 0
EVAL "return redis.error_reply('MY own')" 0
EVALSHA ffffffffffffffffffffffffffffffffffffffff 0
`)
	m, r, err := p.Do("INFO", "commandstats")
	if err != nil {
		t.Fatal(err)
	}
	em, er, err := p.Do("INFO", "errorstats")
	if err != nil {
		t.Fatal(err)
	}
	got, want := statsLines(m+em), statsLines(r+er)
	// INFO itself is counted once it has run; the first call is not yet.
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stats differ\nmoonstone:\n%s\nredis:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
