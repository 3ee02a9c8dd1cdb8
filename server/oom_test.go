package server_test

import (
	"strings"
	"testing"

	"moonstone/internal/testkit"
	"moonstone/scripting"
)

// With maxmemory set under the default noeviction policy, a server over
// the limit refuses what may grow the data set, as Redis does: denyoom
// commands, scripts declared without allow-oom or no-writes, a script's
// first denyoom call before it has written, anything queued inside MULTI.
// Reads, deletes and allow-oom scripts go on. Replies and the
// commandstats/errorstats counters are compared with Redis's.
func TestMaxMemoryRefusalsMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	shebangOnly := "#!lua\nreturn 1"
	p.Run(t, `
SET x 123
FUNCTION LOAD "#!lua name=oomlib\nredis.register_function('plain', function(keys, args) return redis.call('set', keys[1], 'f') end)\nredis.register_function{function_name='allowed', callback=function(keys, args) return redis.call('set', keys[1], 'g') end, flags={'allow-oom'}}\nredis.register_function{function_name='reader', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}}"
SCRIPT LOAD "#!lua\nreturn 1"
CONFIG RESETSTAT
CONFIG SET maxmemory 1
SET x 1
GET x
INCR x
APPEND x y
DEL nosuch
EXPIRE x 100
PERSIST x
EVAL "return redis.call('set','x',1)" 1 x
EVAL "return redis.call('get','x')" 1 x
EVAL "return redis.pcall('set','x',1)" 1 x
EVAL "local t = redis.pcall('set','x','y') return t['err']" 1 x
EVAL "redis.call('persist','x') return redis.call('set','x',2)" 1 x
GET x
EVAL "#!lua\nreturn 1" 0
EVAL "#!lua flags=\nreturn 1" 0
EVAL "#!lua flags=allow-oom\nreturn redis.call('set','x',3)" 1 x
EVAL "#!lua flags=no-writes\nreturn redis.call('get','x')" 1 x
EVAL_RO "#!lua flags=no-writes\nreturn redis.call('get','x')" 1 x
EVALSHA `+scripting.SHA1Hex([]byte(shebangOnly))+` 0
FCALL plain 1 x
FCALL allowed 1 x
FCALL reader 1 x
FCALL_RO reader 1 x
MULTI
GET x
SET x 4
EXEC
MULTI
DISCARD
GET x
`)
	got, want := pairStats(t, p)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stats differ\nmoonstone:\n%s\nredis:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A MULTI block queued before the limit was crossed: EXEC aborts if it
	// holds a denyoom command and runs if it holds only reads.
	ms2 := p.Moonstone.Raw(t)
	rd2, err := testkit.DialRaw(p.Redis.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer rd2.Close()
	both := func(args ...string) {
		t.Helper()
		m, _ := ms2.Do(args...)
		r, _ := rd2.Do(args...)
		if m != r {
			t.Errorf("%v\n  moonstone: %q\n  redis:     %q", args, m, r)
		}
	}
	p.Run(t, "CONFIG SET maxmemory 0")
	both("MULTI")
	both("SET", "x", "6")
	p.Run(t, "CONFIG SET maxmemory 1")
	both("EXEC")
	p.Run(t, "CONFIG SET maxmemory 0")
	both("MULTI")
	both("GET", "x")
	p.Run(t, "CONFIG SET maxmemory 1")
	both("EXEC")
	p.Run(t, `
CONFIG SET maxmemory 0
SET x 5
GET x
`)
}

// Moonstone keeps its data on disk and evicts nothing: under an eviction
// policy a server over maxmemory neither deletes keys nor refuses writes
// (docs/compatibility.md).
func TestMaxMemoryEvictionPolicyKeepsData(t *testing.T) {
	c := testkit.Start(t).Raw(t)
	for _, cmd := range [][]string{
		{"SET", "kept", "v"},
		{"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"},
		{"CONFIG", "SET", "maxmemory", "1"},
	} {
		if _, err := c.Do(cmd...); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := c.Do("SET", "new", "w"); got != "+OK\r\n" {
		t.Fatalf("SET under allkeys-lru over maxmemory: %q", got)
	}
	if got, _ := c.Do("MGET", "kept", "new"); got != "*2\r\n$1\r\nv\r\n$1\r\nw\r\n" {
		t.Fatalf("MGET after SET over maxmemory: %q", got)
	}
	c.Do("CONFIG", "SET", "maxmemory-policy", "noeviction")
	if got, _ := c.Do("SET", "new", "x"); !strings.HasPrefix(got, "-OOM ") {
		t.Fatalf("SET under noeviction over maxmemory: %q", got)
	}
}
