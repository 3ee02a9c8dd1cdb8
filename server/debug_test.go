package server_test

import (
	"context"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"moonstone/internal/testkit"
)

// debugPair starts Moonstone and redis-server, both with
// enable-debug-command yes.
func debugPair(t *testing.T) *testkit.Pair {
	t.Helper()
	return testkit.StartPairArgs(t, []string{"--enable-debug-command", "yes"}, "enable-debug-command", "yes")
}

// DEBUG is refused as Redis refuses it under enable-debug-command no (the
// default), a rejected call that voids MULTI, and the setting cannot be
// changed at runtime.
func TestDebugRefusedByDefault(t *testing.T) {
	p := testkit.StartPair(t)
	p.Run(t, `
CONFIG RESETSTAT
DEBUG HELP
DEBUG DIGEST
debug sleep 0
DEBUG
DEBUG NOSUCH
MULTI
DEBUG DIGEST
PING
EXEC
EVAL "return redis.pcall('debug', 'digest')" 0
CONFIG GET enable-debug-command
CONFIG SET enable-debug-command yes
COMMAND INFO debug
COMMAND DOCS debug
`)
	got, want := pairStats(t, p)
	if join(got) != join(want) {
		t.Errorf("stats differ\nmoonstone:\n%s\nredis:\n%s", join(got), join(want))
	}
}

// "local" allows loopback clients, which the tests are; "yes" everyone.
func TestDebugAllowedBySetting(t *testing.T) {
	for _, mode := range []string{"yes", "local"} {
		p := testkit.StartPairArgs(t, []string{"--enable-debug-command", mode}, "enable-debug-command", mode)
		p.Run(t, `
CONFIG RESETSTAT
DEBUG SLEEP 0
DEBUG DIGEST
CONFIG GET enable-debug-command
`)
		got, want := pairStats(t, p)
		if join(got) != join(want) {
			t.Errorf("%s: stats differ\nmoonstone:\n%s\nredis:\n%s", mode, join(got), join(want))
		}
	}
}

// Every subcommand Moonstone answers as Redis does, with Redis's errors
// for bad arguments and unknown subcommands.
func TestDebugRepliesMatchRedis(t *testing.T) {
	p := debugPair(t)
	p.Run(t, `
CONFIG RESETSTAT
DEBUG HELP
debug help
DEBUG HELP extra
DEBUG nosuch
DEBUG JMAP
DEBUG STRINGMATCH-LEN
DEBUG SLEEP
DEBUG SLEEP 0
DEBUG SLEEP 0.05
DEBUG SLEEP abc
DEBUG SLEEP -1
DEBUG SLEEP 1 2
DEBUG RELOAD
DEBUG RELOAD MERGE NOFLUSH
DEBUG RELOAD nosuch
DEBUG RELOAD MERGE bad
DEBUG LOG hello
DEBUG LOG
DEBUG LOG a b
DEBUG LEAK x
DEBUG ERROR "some error"
DEBUG ERROR "ERR with\r\nnewlines"
DEBUG ERROR ""
DEBUG ERROR
DEBUG SET-ACTIVE-EXPIRE 0
DEBUG SET-ACTIVE-EXPIRE 1
DEBUG SET-ACTIVE-EXPIRE x
DEBUG SET-ACTIVE-EXPIRE
DEBUG PAUSE-CRON 1
DEBUG PAUSE-CRON 0
DEBUG SET-DISABLE-DENY-SCRIPTS 0
DEBUG SET-SKIP-CHECKSUM-VALIDATION 0
DEBUG AOF-FLUSH-SLEEP 0
DEBUG REPLICATE x y
DEBUG REPLICATE
DEBUG DROP-CLUSTER-PACKET-FILTER -1
DEBUG DROP-CLUSTER-PACKET-FILTER x
DEBUG QUICKLIST-PACKED-THRESHOLD 0
DEBUG QUICKLIST-PACKED-THRESHOLD 1b
DEBUG QUICKLIST-PACKED-THRESHOLD 1kb
DEBUG QUICKLIST-PACKED-THRESHOLD 4gb
DEBUG QUICKLIST-PACKED-THRESHOLD 4095mb
DEBUG QUICKLIST-PACKED-THRESHOLD -1
DEBUG QUICKLIST-PACKED-THRESHOLD x
DEBUG QUICKLIST-PACKED-THRESHOLD 0
DEBUG REPLYBUFFER PEAK-RESET-TIME NEVER
DEBUG REPLYBUFFER PEAK-RESET-TIME reset
DEBUG REPLYBUFFER PEAK-RESET-TIME 100
DEBUG REPLYBUFFER PEAK-RESET-TIME x
DEBUG REPLYBUFFER RESIZING 1
DEBUG REPLYBUFFER nosuch 1
DEBUG REPLYBUFFER RESIZING
DEBUG CHANGE-REPL-ID
DEBUG CHANGE-REPL-ID x
DEBUG STRINGMATCH-TEST
DEBUG CLIENT-EVICTION
DEBUG CLUSTERLINK KILL to abc
DEBUG CLUSTERLINK nosuch to abc
DEBUG HTSTATS x
DEBUG HTSTATS -1
DEBUG HTSTATS 16
DEBUG HTSTATS-KEY nokey
SET s 1
DEBUG HTSTATS-KEY s
DEBUG RESTART x
DEBUG OBJECT nokey
DEBUG OBJECT
DEBUG LISTPACK nokey
DEBUG LISTPACK s
DEBUG QUICKLIST nokey
DEBUG QUICKLIST s
DEBUG QUICKLIST s 1 2
RPUSH l a b c
DEBUG QUICKLIST l
DEBUG QUICKLIST l 1
DEBUG LISTPACK l
DEBUG DIGEST x
DEBUG DIGEST-VALUE
DEBUG PROTOCOL
DEBUG PROTOCOL nosuch
DEBUG POPULATE
DEBUG POPULATE 1 2 3 4
`)
	got, want := pairStats(t, p)
	if join(got) != join(want) {
		t.Errorf("stats differ\nmoonstone:\n%s\nredis:\n%s", join(got), join(want))
	}
}

// PROTOCOL writes each type as Redis does, in RESP2 and in RESP3.
func TestDebugProtocolMatchesRedis(t *testing.T) {
	script := `
DEBUG PROTOCOL string
DEBUG PROTOCOL integer
DEBUG PROTOCOL double
DEBUG PROTOCOL bignum
DEBUG PROTOCOL null
DEBUG PROTOCOL array
DEBUG PROTOCOL set
DEBUG PROTOCOL map
DEBUG PROTOCOL attrib
DEBUG PROTOCOL push
DEBUG PROTOCOL verbatim
DEBUG PROTOCOL true
DEBUG PROTOCOL FALSE
DEBUG PROTOCOL nosuch
PING
`
	for _, resp3 := range []bool{false, true} {
		p := debugPair(t)
		if resp3 {
			p.Resp3(t)
		}
		p.Run(t, script)
	}
}

// Scripts may not call DEBUG until SET-DISABLE-DENY-SCRIPTS 1; then its
// replies reach the script in the script's protocol.
func TestDebugFromScriptsMatchesRedis(t *testing.T) {
	p := debugPair(t)
	p.Run(t, `
EVAL "return redis.pcall('debug', 'protocol', 'map')" 0
DEBUG SET-DISABLE-DENY-SCRIPTS 1
EVAL "return redis.call('debug', 'protocol', 'map')" 0
EVAL "redis.setresp(3); return redis.call('debug', 'protocol', 'map')" 0
EVAL "redis.setresp(3); return redis.call('debug', 'protocol', 'double')" 0
EVAL "redis.setresp(3); return redis.call('debug', 'protocol', 'attrib')" 0
EVAL "redis.setresp(3); return redis.call('debug', 'protocol', 'bignum')" 0
EVAL "return redis.call('debug', 'protocol', 'null')" 0
EVAL "return redis.call('debug', 'sleep', 0)" 0
EVAL "redis.call('set', KEYS[1], 'v'); return redis.call('debug', 'digest-value', KEYS[1])" 1 k
EVAL "return redis.call('client', 'id') ~= nil" 0
DEBUG SET-DISABLE-DENY-SCRIPTS 0
EVAL "return redis.pcall('debug', 'protocol', 'map')" 0
`)
	p.Resp3(t)
	p.Run(t, `
DEBUG SET-DISABLE-DENY-SCRIPTS 1
EVAL "redis.setresp(3); return redis.call('debug', 'protocol', 'map')" 0
EVAL "redis.setresp(3); return redis.call('debug', 'protocol', 'set')" 0
EVAL "redis.setresp(3); return redis.call('debug', 'protocol', 'verbatim')" 0
EVAL "return redis.call('debug', 'protocol', 'null')" 0
`)
}

// DIGEST and DIGEST-VALUE are Redis's digests, byte for byte, for data
// sets of every type: each case builds on the ones before it.
func TestDebugDigestMatchesRedis(t *testing.T) {
	p := debugPair(t)
	cases := []struct {
		name, setup, keys string
	}{
		{"empty", ``, `nokey`},
		{"strings", `
SET s1 hello
SET s2 12345
SET s3 -7
SET s4 "a value that is longer than forty-four bytes, so raw in Redis"
SET s5 "bin\x00ary\xff"
SET s6 ""
SET s7 3.14`, `s1 s2 s3 s4 s5 s6 s7`},
		{"lists", `
RPUSH l1 a b c 1 2 3 -100 99999999999 "x y"
LPUSH l2 z y x
RPUSH l3 c b a`, `l1 l2 l3`},
		{"sets", `
SADD set1 1 2 3 100 -5
SADD set2 a b c
SADD set3 a 1 b 2`, `set1 set2 set3`},
		{"hashes", `
HSET h1 f1 v1 f2 v2 n 123
HSET h2 a 1`, `h1 h2`},
		{"sorted sets", `
ZADD z1 1 a 2 b 3.5 c -1.25 d 0 e
ZADD z2 inf x -inf y 1e100 w 0.1 v 123456789012345678 u
ZADD z3 1 10 2 20`, `z1 z2 z3`},
		{"streams", `
XADD x1 1-1 f v
XADD x1 1-2 f v2 g w
XADD x1 2-0 a b
XADD x1 3-0 a b
XDEL x1 2-0
XGROUP CREATE x1 g 0
XADD x2 5-5 only one`, `x1 x2`},
		{"ttls", `
SET t1 v EX 1000
HSET t2 f v
EXPIRE t2 1000
RPUSH t3 a
PEXPIRE t3 100000`, `t1 t2 t3`},
		{"other databases", `
SELECT 3
SET s1 hello
RPUSH l1 a
SELECT 15
ZADD z 1 a
SELECT 0`, `s1 l1 z`},
		{"changes", `
DEL s1
RPUSH l1 more
SREM set1 1
HDEL h1 f1
ZINCRBY z1 1 a
SETRANGE s4 0 X
PERSIST t1`, `s1 l1 set1 h1 z1 s4 t1`},
		{"large collections", `
DEBUG POPULATE 300 big
EVAL "for i=1,600 do redis.call('rpush', KEYS[1], i..'x'); redis.call('sadd', KEYS[2], i); redis.call('hset', KEYS[3], 'f'..i, i); redis.call('zadd', KEYS[4], i/7, 'm'..i) end" 4 bl bs bh bz`, `bl bs bh bz big:7`},
	}
	for _, tc := range cases {
		p.Run(t, tc.setup)
		p.Run(t, "DEBUG DIGEST\nDEBUG DIGEST-VALUE "+tc.keys)
		if t.Failed() {
			t.Fatalf("digests differ after %q", tc.name)
		}
	}
	// Same data, other order: the digest is the same.
	p.Run(t, `
FLUSHALL
SADD a x y z
HSET b 1 2 3 4
DEBUG DIGEST
FLUSHALL
HSET b 3 4 1 2
SADD a z y x
DEBUG DIGEST
`)
}

// OBJECT shows Redis's line (and OBJECT REFCOUNT its refcount): encoding, refcount and, for strings, the
// serialized length are Redis's; lists get Redis's quicklist figures for
// lists built by RPUSH. The value's address and the LRU clock are
// Redis's own and cannot match: Redis reads lru_seconds_idle off a clock
// that ticks once a second, so even a key just written can show 1.
func TestDebugObjectMatchesRedis(t *testing.T) {
	p := debugPair(t)
	fixed := regexp.MustCompile(`at:0x[0-9a-f]+ |lru:[0-9]+ |lru_seconds_idle:[0-9]+`)
	cases := []struct {
		setup, key string
		full       bool // compare serializedlength too
	}{
		{"SET k 1", "k", true},
		{"SET k 9999", "k", true},
		{"SET k 10000", "k", true},
		{"SET k -5", "k", true},
		{"SET k 2147483648", "k", true},
		{"INCR k", "k", true},
		{"SET k 9999", "k", true},
		{"INCR k", "k", true},
		{"SET k hello", "k", true},
		{"SET k 01", "k", true},
		{"SET k " + strings.Repeat("a", 20), "k", true},
		{"SET k " + strings.Repeat("a", 44), "k", false},
		{"SET k " + strings.Repeat("a", 45), "k", false},
		{"RPUSH l a b c 1 2 3", "l", false},
		{"EVAL \"for i=1,2000 do redis.call('rpush', KEYS[1], 'element-'..i) end\" 1 l2", "l2", false},
		{"EVAL \"for i=1,3000 do redis.call('rpush', KEYS[1], i) end\" 1 l3", "l3", false},
		{"HSET h f v", "h", false},
		{"ZADD z 1 a", "z", false},
		{"XADD x 1-1 f v", "x", false},
	}
	for _, tc := range cases {
		p.Run(t, tc.setup+"\nOBJECT REFCOUNT "+tc.key)
		m, r, err := p.Do("DEBUG", "OBJECT", tc.key)
		if err != nil {
			t.Fatal(err)
		}
		m, r = fixed.ReplaceAllString(m, ""), fixed.ReplaceAllString(r, "")
		if !tc.full {
			size := regexp.MustCompile(`serializedlength:[0-9]+ `)
			m, r = size.ReplaceAllString(m, ""), size.ReplaceAllString(r, "")
		}
		// Sets and sorted sets: Redis's small encodings are its own.
		if strings.Contains(tc.setup, "HSET") || strings.Contains(tc.setup, "ZADD") {
			enc := regexp.MustCompile(`encoding:[a-z]+ `)
			m, r = enc.ReplaceAllString(m, ""), enc.ReplaceAllString(r, "")
		}
		if m != r {
			t.Errorf("%s: DEBUG OBJECT %s\n  moonstone: %q\n  redis:     %q", tc.setup, tc.key, m, r)
		}
	}
}

// POPULATE creates the keys Redis creates, skipping existing ones.
func TestDebugPopulateMatchesRedis(t *testing.T) {
	p := debugPair(t)
	p.Run(t, `
DEBUG POPULATE 0
DEBUG POPULATE -1
DEBUG POPULATE x
DEBUG POPULATE 1.5
DEBUG POPULATE 10 p -1
DEBUG POPULATE 10 p x
DBSIZE
SET key:5 mine
DEBUG POPULATE 20
DBSIZE
GET key:5
GET key:6
GET key:19
DEBUG POPULATE 5 pre 3
GET pre:4
DEBUG POPULATE 3 pad 10
GET pad:2
STRLEN pad:2
DEBUG POPULATE 2 "" 0
GET :1
DEBUG POPULATE 2 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
~KEYS aaaa*
SELECT 2
DEBUG POPULATE 4
DBSIZE
MULTI
DEBUG POPULATE 3 m
DEBUG DIGEST
EXEC
DEBUG DIGEST
SELECT 0
DEBUG DIGEST
`)
}

// SET-ACTIVE-EXPIRE 0 really stops the sweeper: an expired key that no
// command looks up stays stored (DBSIZE counts it and DEBUG OBJECT sees
// it, as Redis's do), until SET-ACTIVE-EXPIRE 1.
func TestDebugSetActiveExpireStopsTheSweeper(t *testing.T) {
	s := testkit.Start(t, "enable-debug-command", "yes")
	c := s.Raw(t)
	do := func(args ...string) string {
		t.Helper()
		r, err := c.Do(args...)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, off := range []string{"SET-ACTIVE-EXPIRE", "PAUSE-CRON"} {
		if off == "SET-ACTIVE-EXPIRE" {
			do("DEBUG", off, "0")
		} else {
			do("DEBUG", off, "1")
		}
		do("SET", "k", "v", "PX", "20")
		time.Sleep(400 * time.Millisecond) // the sweeper runs every 100 ms
		if got := do("DBSIZE"); got != ":1\r\n" {
			t.Fatalf("%s: DBSIZE with an expired key left: %q", off, got)
		}
		if got := do("DEBUG", "OBJECT", "k"); !strings.HasPrefix(got, "+Value at:") {
			t.Fatalf("%s: the sweeper removed the key while off: %q", off, got)
		}
		if off == "SET-ACTIVE-EXPIRE" {
			do("DEBUG", off, "1")
		} else {
			do("DEBUG", off, "0")
		}
		deadline := time.Now().Add(3 * time.Second)
		for do("DEBUG", "OBJECT", "k") != "-ERR no such key\r\n" {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the sweeper did not resume", off)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// A CLIENT PAUSE ending does not turn the sweeper back on.
	do("DEBUG", "SET-ACTIVE-EXPIRE", "0")
	do("CLIENT", "PAUSE", "50", "WRITE")
	do("SET", "k2", "v", "PX", "1")
	do("CLIENT", "UNPAUSE")
	time.Sleep(300 * time.Millisecond)
	if got := do("DEBUG", "OBJECT", "k2"); !strings.HasPrefix(got, "+Value at:") {
		t.Fatalf("CLIENT UNPAUSE turned the sweeper back on: %q", got)
	}
}

// SLEEP stops the connection that sent it, not the others.
func TestDebugSleepBlocksOnlyTheCaller(t *testing.T) {
	s := testkit.Start(t, "enable-debug-command", "yes")
	sleeper, other := s.Raw(t), s.Raw(t)
	start := time.Now()
	if err := sleeper.Send("DEBUG", "SLEEP", "0.5"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if r, err := other.Do("SET", "k", "v"); err != nil || r != "+OK\r\n" {
		t.Fatalf("SET during another client's DEBUG SLEEP: %q %v", r, err)
	}
	if d := time.Since(start); d > 300*time.Millisecond {
		t.Fatalf("another client waited %v for a DEBUG SLEEP", d)
	}
	r, err := sleeper.Read()
	if err != nil || r != "+OK\r\n" {
		t.Fatalf("DEBUG SLEEP: %q %v", r, err)
	}
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Fatalf("DEBUG SLEEP 0.5 answered after %v", d)
	}
}

// RELOAD and LOADAOF keep the data set as it is, across a restart too;
// CHANGE-REPL-ID changes INFO's master_replid.
func TestDebugReloadKeepsData(t *testing.T) {
	dir := t.TempDir()
	proc := testkit.StartProcess(t, dir, "enable-debug-command", "yes", "appendfsync", "no")
	c := proc.Client()
	defer c.Close()
	ctx := context.Background()
	c.Set(ctx, "k", "v", 0)
	c.RPush(ctx, "l", "a", "b")
	digest := c.Do(ctx, "DEBUG", "DIGEST").Val()
	for _, cmd := range [][]any{{"DEBUG", "RELOAD"}, {"DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"}, {"DEBUG", "LOADAOF"}} {
		if err := c.Do(ctx, cmd...).Err(); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
		if got := c.Do(ctx, "DEBUG", "DIGEST").Val(); got != digest {
			t.Fatalf("%v changed the digest: %v, was %v", cmd, got, digest)
		}
	}
	before := c.Info(ctx, "replication").Val()
	if err := c.Do(ctx, "DEBUG", "CHANGE-REPL-ID").Err(); err != nil {
		t.Fatal(err)
	}
	if after := c.Info(ctx, "replication").Val(); after == before || !regexp.MustCompile(`master_replid:[0-9a-f]{40}\r\n`).MatchString(after) {
		t.Fatalf("master_replid after CHANGE-REPL-ID:\n%s\nbefore:\n%s", after, before)
	}
	proc.Kill() // the log is read once the process stopped writing it
	if !strings.Contains(proc.Log.String(), "DB reloaded by DEBUG RELOAD") {
		t.Errorf("no reload line in the log:\n%s", proc.Log.String())
	}
}

// SEGFAULT and PANIC kill the process with Redis's signals, and every
// acknowledged write is there after a restart.
func TestDebugCrashLosesNothing(t *testing.T) {
	for _, tc := range []struct {
		sub string
		sig syscall.Signal
	}{{"SEGFAULT", syscall.SIGSEGV}, {"PANIC", syscall.SIGABRT}, {"ASSERT", syscall.SIGABRT}} {
		dir := t.TempDir()
		proc := testkit.StartProcess(t, dir, "enable-debug-command", "yes", "appendfsync", "everysec")
		c := proc.Client()
		ctx := context.Background()
		for i := 0; i < 50; i++ {
			if err := c.Set(ctx, "k"+string(rune('a'+i%26))+string(rune('0'+i/26)), i, 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Do(ctx, "DEBUG", tc.sub).Err(); err == nil {
			t.Fatalf("DEBUG %s answered", tc.sub)
		}
		c.Close()
		err := proc.Wait()
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("DEBUG %s: process ended with %v", tc.sub, err)
		}
		if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != tc.sig {
			t.Fatalf("DEBUG %s: process ended with %v, want signal %v", tc.sub, err, tc.sig)
		}
		if !strings.Contains(proc.Log.String(), "crashing on purpose") {
			t.Errorf("DEBUG %s: no crash report in the log:\n%s", tc.sub, proc.Log.String())
		}
		again := testkit.StartProcess(t, dir)
		c2 := again.Client()
		if n := c2.DBSize(ctx).Val(); n != 50 {
			t.Errorf("DEBUG %s: %d keys after the restart, want 50", tc.sub, n)
		}
		c2.Close()
		again.Kill()
	}
}
