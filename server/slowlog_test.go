package server_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"moonstone/internal/testkit"
)

func TestSlowlogErrorsAndHelp(t *testing.T) {
	testkit.Diff(t, `
config set slowlog-log-slower-than -1
slowlog reset
slowlog len
slowlog get
slowlog get 0
slowlog get -1
slowlog get 5
slowlog get -2
slowlog get -222
slowlog get abc
slowlog get 1.5
slowlog get 1 2
slowlog len x
slowlog reset x
slowlog foo
slowlog
slowlog help
slowlog help x
SLOWLOG LEN
config get slowlog-max-len
config set slowlog-max-len -1
config set slowlog-log-slower-than -2
`)
}

// entryFields matches one entry's id, time and duration, and addrField its
// client address: they differ between the two servers and are normalized.
var (
	entryFields = regexp.MustCompile(`\*6\r\n:\d+\r\n:\d+\r\n:\d+\r\n`)
	addrField   = regexp.MustCompile(`\$\d+\r\n127\.0\.0\.1:\d+\r\n`)
)

// The entries Moonstone logs are Redis's, argument for argument: long
// argument lists and long arguments trimmed with Redis's markers,
// passwords redacted, EXEC left out but the commands it ran logged, a
// script's calls logged (client "?:0") before the EVAL, rejected commands
// (unknown, wrong arity) not logged, the client's name. Ids, times,
// durations and ports are normalized.
func TestSlowlogEntriesMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	long := strings.Repeat("x", 129)
	longer := strings.Repeat("y", 300)
	var many, exact []string
	for i := 0; i < 33; i++ {
		many = append(many, fmt.Sprint(i))
	}
	for i := 0; i < 31; i++ {
		exact = append(exact, fmt.Sprint("k", i))
	}
	cmds := [][]string{
		{"config", "set", "slowlog-log-slower-than", "0"},
		{"slowlog", "reset"},
		{"set", "k", "v"},
		{"set", long, longer},
		{"get", strings.Repeat("z", 128)},
		append([]string{"sadd", "set"}, many...),
		append([]string{"del"}, exact...),
		{"client", "setname", "ledger"},
		{"multi"},
		{"incr", "n"},
		{"set", "m", "1"},
		{"exec"},
		{"eval", "redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])", "1", "s", "1"},
		{"auth", "secret"},
		{"auth", "user", "secret"},
		{"config", "set", "masterauth", "pw", "slowlog-max-len", "128"},
		{"nosuchcommand", "a"},
		{"get"},
		{"config", "set", "slowlog-log-slower-than", "-1"},
	}
	for _, c := range cmds {
		if _, _, err := p.Do(c...); err != nil {
			t.Fatal(err)
		}
	}
	normalize := func(s string) string {
		s = entryFields.ReplaceAllString(s, "*6\r\n:ID\r\n:TIME\r\n:DURATION\r\n")
		return addrField.ReplaceAllLiteralString(s, "$ADDR\r\n127.0.0.1:PORT\r\n")
	}
	for _, c := range [][]string{{"slowlog", "len"}, {"slowlog", "get", "-1"}, {"slowlog", "get", "3"}} {
		m, r, err := p.Do(c...)
		if err != nil {
			t.Fatal(err)
		}
		if normalize(m) != normalize(r) {
			t.Errorf("%v:\n  moonstone: %q\n  redis:     %q", c, normalize(m), normalize(r))
		}
	}
}

// Ids grow by one per entry and survive RESET; the newest entry comes
// first; slowlog-max-len drops the oldest; the threshold is in
// microseconds; a disabled log logs nothing.
func TestSlowlogThresholdAndLength(t *testing.T) {
	s := testkit.Start(t)
	c := s.NewClient()
	defer c.Close()
	ctx := context.Background()
	do := func(args ...any) any {
		t.Helper()
		v, err := c.Do(ctx, args...).Result()
		if err != nil && err != redis.Nil {
			t.Fatalf("%v: %v", args, err)
		}
		return v
	}
	do("config", "set", "slowlog-log-slower-than", "0")
	do("slowlog", "reset")
	for i := 0; i < 5; i++ {
		do("set", fmt.Sprint("k", i), i)
	}
	logs, err := c.SlowLogGet(ctx, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	// 5 SETs plus the SLOWLOG RESET itself (logged after it ran).
	if len(logs) != 6 {
		t.Fatalf("%d entries: %v", len(logs), logs)
	}
	for i := 1; i < len(logs); i++ {
		if logs[i-1].ID != logs[i].ID+1 {
			t.Fatalf("ids not consecutive, newest first: %d then %d", logs[i-1].ID, logs[i].ID)
		}
	}
	if got := logs[0].Args; fmt.Sprint(got) != "[set k4 4]" {
		t.Fatalf("newest entry: %v", got)
	}
	if d := time.Since(logs[0].Time); d < -time.Second || d > time.Minute {
		t.Fatalf("entry time %v", logs[0].Time)
	}
	last := logs[0].ID
	do("slowlog", "reset")
	logs, _ = c.SlowLogGet(ctx, 1).Result()
	if len(logs) != 1 || logs[0].ID != last+2 {
		t.Fatalf("after RESET: %v (last id before: %d)", logs, last)
	}

	do("config", "set", "slowlog-max-len", "2")
	do("set", "a", 1)
	do("set", "b", 2)
	do("set", "c", 3)
	if n := do("slowlog", "len"); n != int64(2) {
		t.Fatalf("SLOWLOG LEN with slowlog-max-len 2: %v", n)
	}
	// A high threshold logs nothing fast; a disabled log nothing at all.
	do("config", "set", "slowlog-max-len", "128")
	do("config", "set", "slowlog-log-slower-than", "10000000")
	do("slowlog", "reset")
	do("set", "fast", 1)
	do("config", "set", "slowlog-log-slower-than", "-1")
	do("set", "x", 1)
	if n := do("slowlog", "len"); n != int64(0) {
		t.Fatalf("fast and disabled commands were logged: %v", n)
	}
}

// A command that blocks is logged when it is served, after the write that
// served it, as Redis does; one that times out is not logged at all.
func TestSlowlogLogsBlockedCommandsWhenServed(t *testing.T) {
	p := testkit.StartPair(t)
	run := func(addr string) string {
		main, err := testkit.DialRaw(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer main.Close()
		blocked, err := testkit.DialRaw(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer blocked.Close()
		do := func(args ...string) string {
			t.Helper()
			r, err := main.Do(args...)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		do("config", "set", "slowlog-log-slower-than", "0")
		if r, err := blocked.Do("blpop", "none", "0.01"); err != nil || r != "*-1\r\n" {
			t.Fatalf("blpop with timeout: %q %v", r, err)
		}
		if err := blocked.Send("blpop", "l", "0"); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(5 * time.Second); !strings.Contains(do("info", "clients"), "blocked_clients:1\r\n"); {
			if time.Now().After(deadline) {
				t.Fatal("BLPOP did not block")
			}
			time.Sleep(5 * time.Millisecond)
		}
		do("multi")
		do("lpush", "l", "foo")
		do("slowlog", "reset")
		do("exec")
		if r, err := blocked.Read(); err != nil || r != "*2\r\n$1\r\nl\r\n$3\r\nfoo\r\n" {
			t.Fatalf("served blpop: %q %v", r, err)
		}
		out := do("slowlog", "get")
		do("config", "set", "slowlog-log-slower-than", "10000")
		out = entryFields.ReplaceAllString(out, "*6\r\n:ID\r\n:TIME\r\n:DURATION\r\n")
		return addrField.ReplaceAllLiteralString(out, "$ADDR\r\n127.0.0.1:PORT\r\n")
	}
	m, r := run(p.Moonstone.Addr), run(p.Redis.Addr)
	if !strings.Contains(r, "blpop") || strings.Contains(r, "0.01") {
		t.Fatalf("redis logged something else than expected: %q", r)
	}
	if m != r {
		t.Errorf("slowlog after a served BLPOP:\n  moonstone: %q\n  redis:     %q", m, r)
	}
}
