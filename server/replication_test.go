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

// Moonstone answers the replication commands as a Redis 7.0 master
// without replicas: the same replies and the same argument errors.
func TestReplicationCommandsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
ROLE
ROLE x
WAIT 0 0
WAIT -1 0
WAIT 0 100
WAIT 1 1
WAIT x 0
WAIT 1 x
WAIT 1 -1
WAIT 1 1.5
WAIT 99999999999999999999 0
WAIT 1
WAIT 1 2 3
REPLICAOF NO ONE
replicaof no one
SLAVEOF no ONE
REPLICAOF host notaport
REPLICAOF host 65536
REPLICAOF host -1
REPLICAOF no
SLAVEOF a b c
FAILOVER
FAILOVER ABORT
FAILOVER ABORT now
FAILOVER TIMEOUT 0
FAILOVER TIMEOUT -5
FAILOVER TIMEOUT x
FAILOVER TIMEOUT 10
FAILOVER TIMEOUT 10 TIMEOUT 10
FAILOVER FORCE
FAILOVER FORCE FORCE
FAILOVER TO host port
FAILOVER TO host 1 FORCE TIMEOUT 10
FAILOVER TO host 1 TO other 2
FAILOVER TO host
FAILOVER nosuch
PSYNC
PSYNC replid
PSYNC ? notanoffset
SYNC x
REPLCONF
REPLCONF listening-port 6380
REPLCONF listening-port x
REPLCONF ip-address 10.0.0.1 capa eof capa psync2 capa future
REPLCONF rdb-only 0
REPLCONF rdb-only 1
REPLCONF rdb-only 2
REPLCONF rdb-only x
REPLCONF rdb-filter-only functions
REPLCONF rdb-filter-only ""
REPLCONF rdb-filter-only "functions keys"
REPLCONF listening-port 1 nosuch 2
REPLCONF odd
MULTI
WAIT 5 0
ROLE
REPLICAOF NO ONE
FAILOVER
EXEC
MULTI
SYNC
DISCARD
EVAL "return redis.call('wait', 0, 0)" 0
EVAL "return redis.pcall('role')" 0
EVAL "return redis.pcall('replicaof', 'no', 'one')" 0
COMMAND INFO wait role replicaof slaveof failover sync psync replconf
`)
	// REPLCONF's address limit, and commands after REPLCONF ACK, which
	// has no reply.
	long := strings.Repeat("a", 256)
	p := testkit.StartPair(t)
	p.Run(t, "REPLCONF ip-address "+long[:255]+"\nREPLCONF ip-address "+long)
	ms, rd := pairConns(t, p)
	for _, c := range []*testkit.RawConn{ms, rd} {
		if err := c.Send("REPLCONF", "ACK", "100"); err != nil {
			t.Fatal(err)
		}
		if err := c.Send("REPLCONF", "GETACK", "*"); err != nil {
			t.Fatal(err)
		}
	}
	m, r := doBoth(t, ms, rd, "PING")
	if m != r || m != "+PONG\r\n" {
		t.Errorf("after REPLCONF ACK and GETACK:\n  moonstone: %q\n  redis:     %q", m, r)
	}
}

// Where Redis would start replicating, Moonstone says it cannot, after
// the same argument checks.
func TestReplicationRefused(t *testing.T) {
	s := testkit.Start(t)
	c := s.Raw(t)
	for _, tc := range []struct{ cmd, want string }{
		{"REPLICAOF 127.0.0.1 6379", "-ERR REPLICAOF is not supported: Moonstone has no replication\r\n"},
		{"SLAVEOF 127.0.0.1 0", "-ERR SLAVEOF is not supported: Moonstone has no replication\r\n"},
		{"SYNC", "-ERR SYNC is not supported: Moonstone has no replication\r\n"},
		{"PSYNC ? -1", "-ERR PSYNC is not supported: Moonstone has no replication\r\n"},
		{"ROLE", "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"},
		{"INFO replication", ""},
	} {
		args, _ := testkit.ParseLine(tc.cmd)
		got, err := c.Do(args...)
		if err != nil {
			t.Fatal(err)
		}
		if tc.want == "" {
			if !strings.Contains(got, "role:master\r\nconnected_slaves:0\r\n") {
				t.Errorf("%s: %q", tc.cmd, got)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.cmd, got, tc.want)
		}
	}
}

// WAIT for replicas that never come blocks for its timeout, on both
// servers, and answers 0; WAIT 0 or a negative count answers at once.
func TestWaitBlocksForItsTimeout(t *testing.T) {
	p := testkit.StartPair(t)
	ms, rd := pairConns(t, p)
	for _, tc := range []struct {
		args     []string
		min, max time.Duration
	}{
		{[]string{"WAIT", "0", "0"}, 0, time.Second},
		{[]string{"WAIT", "-3", "5000"}, 0, time.Second},
		{[]string{"WAIT", "1", "300"}, 290 * time.Millisecond, 2 * time.Second},
		{[]string{"WAIT", "2", "1"}, 0, time.Second},
	} {
		for name, c := range map[string]*testkit.RawConn{"moonstone": ms, "redis": rd} {
			start := time.Now()
			got, err := c.Do(tc.args...)
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if got != ":0\r\n" {
				t.Errorf("%s %v: %q", name, tc.args, got)
			}
			if took < tc.min || took > tc.max {
				t.Errorf("%s %v took %v, want %v to %v", name, tc.args, took, tc.min, tc.max)
			}
		}
	}
}

// WAIT with timeout 0 blocks until CLIENT UNBLOCK: a blocked client (INFO,
// CLIENT LIST), unblocked with its count (TIMEOUT) or UNBLOCKED (ERROR),
// counted as Redis counts it.
func TestWaitForeverUntilUnblocked(t *testing.T) {
	p := testkit.StartPair(t)
	p.Run(t, "CONFIG SET slowlog-log-slower-than 0\nSLOWLOG RESET\nCONFIG RESETSTAT")
	for _, reason := range []string{"TIMEOUT", "ERROR"} {
		waiters := map[string]*testkit.RawConn{}
		ids := map[string]string{}
		for name, addr := range map[string]string{"moonstone": p.Moonstone.Addr, "redis": p.Redis.Addr} {
			c, err := testkit.DialRaw(addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			id, err := c.Do("CLIENT", "ID")
			if err != nil {
				t.Fatal(err)
			}
			ids[name] = strings.TrimSuffix(strings.TrimPrefix(id, ":"), "\r\n")
			if err := c.Send("WAIT", "1", "0"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.ReadWithin(300); err == nil {
				t.Fatalf("%s: WAIT 1 0 answered at once", name)
			}
			waiters[name] = c
		}
		ms, rd := pairConns(t, p)
		for name, c := range map[string]*testkit.RawConn{"moonstone": ms, "redis": rd} {
			info, err := c.Do("INFO", "clients")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(info, "blocked_clients:1\r\n") {
				t.Errorf("%s: INFO clients while WAIT blocks: %q", name, info)
			}
		}
		for name, c := range map[string]*testkit.RawConn{"moonstone": ms, "redis": rd} {
			if got, err := c.Do("CLIENT", "UNBLOCK", ids[name], reason); err != nil || got != ":1\r\n" {
				t.Fatalf("%s CLIENT UNBLOCK %s: %q %v", name, reason, got, err)
			}
		}
		wm, err := waiters["moonstone"].Read()
		if err != nil {
			t.Fatal(err)
		}
		wr, err := waiters["redis"].Read()
		if err != nil {
			t.Fatal(err)
		}
		if wm != wr {
			t.Errorf("WAIT unblocked with %s:\n  moonstone: %q\n  redis:     %q", reason, wm, wr)
		}
	}
	got, want := pairStats(t, p)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stats differ\nmoonstone:\n%s\nredis:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// CLIENT UNBLOCK is in the slow log; the WAIT it ends is not (Redis
	// logs an entry without arguments for it).
	ctx := context.Background()
	mc := p.Moonstone.NewClient()
	defer mc.Close()
	logged := func(c *redis.Client) string {
		entries, err := c.Do(ctx, "SLOWLOG", "GET", "100").Slice()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			a := strings.ToLower(fmt.Sprint(e.([]any)[3]))
			if strings.HasPrefix(a, "[wait") || strings.HasPrefix(a, "[client unblock") || a == "[]" {
				out = append(out, a)
			}
		}
		return strings.Join(out, " ")
	}
	clean := regexp.MustCompile(`unblock \d+`)
	wantLog := "[client unblock id error] [] [client unblock id timeout] []"
	if m, r := clean.ReplaceAllString(logged(mc), "unblock id"), clean.ReplaceAllString(logged(p.Redis.Client), "unblock id"); r != wantLog || m != strings.ReplaceAll(wantLog, " []", "") {
		t.Errorf("slow log:\n  moonstone: %s\n  redis:     %s", m, r)
	}
}

// pairConns opens one more raw connection to each server of p.
func pairConns(t *testing.T, p *testkit.Pair) (ms, rd *testkit.RawConn) {
	t.Helper()
	ms = p.Moonstone.Raw(t)
	rd, err := testkit.DialRaw(p.Redis.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rd.Close() })
	return ms, rd
}

// doBoth sends one command on each connection and returns both replies.
func doBoth(t *testing.T, ms, rd *testkit.RawConn, args ...string) (string, string) {
	t.Helper()
	m, err := ms.Do(args...)
	if err != nil {
		t.Fatal(err)
	}
	r, err := rd.Do(args...)
	if err != nil {
		t.Fatal(err)
	}
	return m, r
}

// With min-replicas-to-write set, a master without replicas refuses
// writes with -NOREPLICAS and nothing is written: commands, MULTI blocks,
// scripts that declare flags, a flagless script's first write (a script
// that has written goes on), functions; reads and no-writes scripts run.
// Clearing either setting lets writes through again.
func TestMinReplicasToWriteMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
SET x 1
FUNCTION LOAD "#!lua name=lib\nredis.register_function('w', function(k) return redis.call('incr', k[1]) end)\nredis.register_function{function_name='r', callback=function(k) return redis.call('get', k[1]) end, flags={'no-writes'}}"
CONFIG SET min-replicas-to-write 1
SET x 2
INCR x
DEL x
EXPIRE x 10
PUBLISH c m
GET x
EVAL "return redis.call('get', KEYS[1])" 1 x
EVAL "return redis.call('set', KEYS[1], '3')" 1 x
EVAL "return redis.pcall('set', KEYS[1], '3')" 1 x
EVAL "#!lua\nreturn redis.call('get', KEYS[1])" 1 x
EVAL "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])" 1 x
FCALL w 1 x
FCALL r 1 x
FUNCTION FLUSH
MULTI
SET x 4
GET x
EXEC
MULTI
GET x
EXEC
GET x
CONFIG SET min-replicas-max-lag 0
SET x 5
CONFIG SET min-replicas-max-lag 10
SET x 6
CONFIG SET min-slaves-to-write 0
SET x 7
GET x
CONFIG SET min-replicas-to-write 1
FLUSHALL
CONFIG SET min-replicas-to-write 0
`)
}
