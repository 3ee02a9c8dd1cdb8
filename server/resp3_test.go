package server_test

import (
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"moonstone/internal/testkit"
)

// RESP3 (HELLO 3): every family's replies compared byte for byte with
// redis-server's, after both connections switched protocol.

func TestResp3StringsMatchRedis(t *testing.T) {
	testkit.DiffResp3(t, `
SET s hello
GET s
GET missing
SET s v NX
SET s v2 GET
SET n 10
INCR n
INCRBY n 5
INCRBYFLOAT n 1.5
INCRBYFLOAT n 1e400
INCRBYFLOAT n abc
GETEX s PX 100000
GETDEL s
GETDEL s
MGET n s missing
MSET a 1 b 2
MSETNX a 1 c 3
APPEND a xyz
STRLEN a
GETRANGE a 0 -1
SETRANGE a 1 QQ
SETNX a 1
GETSET a new
SUBSTR a 0 1
LCS a b
SET k1 ohmytext
SET k2 mynewtext
LCS k1 k2
LCS k1 k2 LEN
LCS k1 k2 IDX
LCS k1 k2 IDX MINMATCHLEN 4 WITHMATCHLEN
GET
`)
}

func TestResp3KeysMatchRedis(t *testing.T) {
	testkit.DiffResp3(t, `
SET a 1
RPUSH l x y
SADD st m
EXISTS a l st missing
TYPE a
TYPE missing
~KEYS *
SCAN 0 MATCH a* COUNT 100
TTL a
PTTL missing
EXPIRE a 100
EXPIRETIME a
PEXPIRETIME missing
PERSIST a
RENAME a b
RENAMENX b l
COPY b b2
OBJECT ENCODING l
OBJECT ENCODING missing
OBJECT FREQ missing
OBJECT REFCOUNT missing
OBJECT IDLETIME missing
DEL b b2
UNLINK l
TOUCH st
MOVE st 1
FLUSHDB
RANDOMKEY
`)
}

func TestResp3HashesMatchRedis(t *testing.T) {
	testkit.DiffResp3(t, `
HSET h a 1
HGETALL h
HGETALL missing
HSET h2 a 1 b 2 c 3
~HGETALL h2
~HKEYS h2
~HVALS h2
HKEYS missing
HVALS missing
HGET h2 a
HGET h2 nope
HMGET h2 a nope
HINCRBY h2 a 5
HINCRBYFLOAT h2 a 1.5
HINCRBYFLOAT h2 a 1e400
HSTRLEN h2 a
HEXISTS h2 a
HRANDFIELD missing
HRANDFIELD missing 2
HRANDFIELD missing 2 WITHVALUES
HRANDFIELD h
HRANDFIELD h 1
HRANDFIELD h 1 WITHVALUES
HRANDFIELD h -3 WITHVALUES
HRANDFIELD h 0 WITHVALUES
~HRANDFIELD h2 5 WITHVALUES
~HRANDFIELD h2 3 WITHVALUES
HSCAN h 0
HSCAN missing 0
HDEL h2 a b c
HGETALL h2
`)
}

func TestResp3ListsMatchRedis(t *testing.T) {
	testkit.DiffResp3(t, `
RPUSH l a b c d
LRANGE l 0 -1
LRANGE missing 0 -1
LPOP l
LPOP l 2
LPOP missing
LPOP missing 2
RPOP l 0
RPOP missing 0
LINDEX l 0
LINDEX l 9
LPOS l d
LPOS l z
LPOS l d COUNT 0
LPOS missing d COUNT 2
LMPOP 2 missing l LEFT
LMPOP 1 missing LEFT
LMOVE missing l LEFT RIGHT
RPOPLPUSH missing l
LINSERT l BEFORE zz y
LSET missing 0 x
LLEN l
LREM l 0 a
LTRIM l 0 -1
`)
}

func TestResp3SetsMatchRedis(t *testing.T) {
	testkit.DiffResp3(t, `
SADD s a
SMEMBERS s
SMEMBERS missing
SADD s2 a b c
~SMEMBERS s2
SISMEMBER s a
SMISMEMBER s a z
SCARD s2
SINTER s s2
SINTER s missing
~SUNION s s2
SUNION missing
~SDIFF s2 s
~SDIFF s2 missing
SDIFF missing s
SINTERCARD 2 s s2
SINTERSTORE d s s2
SPOP missing
SPOP missing 2
SPOP s
SPOP s 3
SPOP s2 0
SRANDMEMBER missing
SRANDMEMBER missing 2
SADD one x
SRANDMEMBER one
SRANDMEMBER one 2
SRANDMEMBER one -2
SRANDMEMBER one 0
SPOP one 5
SMOVE s2 s a
`)
}

func TestResp3SortedSetsMatchRedis(t *testing.T) {
	testkit.DiffResp3(t, `
ZADD z 1 a 2.5 b 3 c
ZADD z INCR 1.1 a
ZADD z NX INCR 1 a
ZADD z XX INCR 1 missing
ZINCRBY z 1 b
ZINCRBY z +inf b
ZSCORE z a
ZSCORE z b
ZSCORE z nope
ZSCORE missing a
ZMSCORE z a nope c
ZMSCORE missing a
ZRANGE z 0 -1
ZRANGE z 0 -1 WITHSCORES
ZRANGE z 0 0 WITHSCORES
ZRANGE missing 0 -1 WITHSCORES
ZRANGE z 0 -1 REV WITHSCORES
ZRANGE z -inf +inf BYSCORE WITHSCORES LIMIT 0 2
ZRANGE z [a [z BYLEX
ZREVRANGE z 0 -1 WITHSCORES
ZRANGEBYSCORE z -inf +inf WITHSCORES
ZREVRANGEBYSCORE z +inf -inf WITHSCORES
ZRANGEBYLEX z - +
ZREVRANGEBYLEX z + -
ZRANK z a
ZRANK z nope
ZREVRANK z a
ZCARD z
ZCOUNT z -inf +inf
ZLEXCOUNT z - +
ZADD y 1 a 2 b 3 c 4 d 5 e
ZPOPMIN y
ZPOPMIN y 2
ZPOPMAX y
ZPOPMAX y 1
ZPOPMIN missing
ZPOPMIN missing 2
ZPOPMAX y 0
ZMPOP 1 y MIN
ZMPOP 1 missing MIN
ZMPOP 2 missing y MAX COUNT 5
ZADD r 1 a
ZRANDMEMBER r
ZRANDMEMBER r 1 WITHSCORES
ZRANDMEMBER r -2 WITHSCORES
ZRANDMEMBER r 0 WITHSCORES
ZRANDMEMBER missing
ZRANDMEMBER missing 1 WITHSCORES
ZADD u 1 a 2 b
ZUNION 2 u z WITHSCORES
ZINTER 2 u z WITHSCORES
ZDIFF 2 u z WITHSCORES
ZUNION 2 u z
ZINTER 2 missing u WITHSCORES
ZUNIONSTORE dst 2 u z
ZRANGESTORE dst2 z 0 -1
ZINTERCARD 2 u z
ZSCAN u 0
ZREM u a
ZREMRANGEBYRANK u 0 -1
ZADD w 1.5 a 0.1 b -0 c 1e20 d 123456789012345678 e
ZRANGE w 0 -1 WITHSCORES
ZADD inf -inf lo +inf hi
ZRANGE inf 0 -1 WITHSCORES
ZSCORE inf lo
`)
}

func TestResp3SortAndBitsMatchRedis(t *testing.T) {
	testkit.DiffResp3(t, `
RPUSH l 3 1 2
SORT l
SORT l LIMIT 0 1
SORT missing
SORT l BY nosort GET nokey_*
SORT_RO l ALPHA
SETBIT b 7 1
GETBIT b 7
BITCOUNT b
BITPOS b 1
BITOP AND d b b
BITFIELD b GET u8 0
BITFIELD b INCRBY u2 0 1 OVERFLOW FAIL INCRBY u2 0 8
BITFIELD_RO b GET u8 0
BITFIELD missing GET u8 0
`)
}

func TestResp3TransactionsMatchRedis(t *testing.T) {
	testkit.DiffResp3(t, `
MULTI
HSET h a 1
HGETALL h
SMEMBERS missing
ZADD z 1 m
ZSCORE z m
GET missing
ZRANGE z 0 -1 WITHSCORES
EXEC
MULTI
HGETALL
EXEC
DISCARD
WATCH k
MULTI
EXEC
WATCH k
SET k changed
MULTI
GET k
EXEC
MULTI
NOSUCHCMD
EXEC
`)
}

func TestResp3ServerMatchRedis(t *testing.T) {
	testkit.DiffResp3(t, `
PING
PING hi
ECHO x
CONFIG GET maxmemory
CONFIG GET nosuchparam
CONFIG GET maxmemory-policy
CONFIG SET maxmemory 0
DBSIZE
CLIENT GETNAME
CLIENT SETNAME me
CLIENT GETNAME
CLIENT NO-EVICT on
SELECT 1
SELECT 99
COMMAND INFO nosuch
COMMAND DOCS nosuch
COMMAND GETKEYS set a b
SCRIPT EXISTS abc
FLUSHALL
`)
}

// scriptLines are scripts run by a RESP2 and a RESP3 client: redis.setresp
// decides how a command's reply reaches the script, the client's
// protocol how the script's value reaches it.
const scriptLines = `
HSET h a 1
SADD s m
ZADD z 1.5 a 2 b
SET str v
EVAL "return redis.call('hgetall', KEYS[1])" 1 h
EVAL "redis.setresp(3); return redis.call('hgetall', KEYS[1])" 1 h
EVAL "redis.setresp(3); return redis.call('hgetall', KEYS[1]).map.a" 1 h
EVAL "redis.setresp(3); return redis.call('smembers', KEYS[1])" 1 s
EVAL "redis.setresp(3); return redis.call('smembers', KEYS[1]).set.m" 1 s
EVAL "redis.setresp(2); return redis.call('smembers', KEYS[1])" 1 s
EVAL "redis.setresp(3); return redis.call('zscore', KEYS[1], 'a')" 1 z
EVAL "redis.setresp(3); return redis.call('zscore', KEYS[1], 'a').double" 1 z
EVAL "redis.setresp(3); return type(redis.call('zscore', KEYS[1], 'a').double)" 1 z
EVAL "return redis.call('zscore', KEYS[1], 'a')" 1 z
EVAL "redis.setresp(3); return redis.call('zrange', KEYS[1], 0, -1, 'withscores')" 1 z
EVAL "redis.setresp(2); return redis.call('zrange', KEYS[1], 0, -1, 'withscores')" 1 z
EVAL "redis.setresp(3); return redis.call('zpopmin', KEYS[1])" 1 z
EVAL "redis.setresp(3); return redis.call('zrandmember', KEYS[1], 1, 'withscores')" 1 z
EVAL "redis.setresp(3); return redis.call('get', 'missing')" 0
EVAL "redis.setresp(3); return redis.call('get', 'missing') == nil" 0
EVAL "return redis.call('get', 'missing') == false" 0
EVAL "redis.setresp(3); return redis.call('lpop', 'missing', 2)" 0
EVAL "redis.setresp(3); return redis.call('set', 'k', 'v')" 0
EVAL "redis.setresp(3); return redis.call('get', 'str')" 0
EVAL "redis.setresp(3); return redis.call('info', 'server').verbatim_string.format" 0
EVAL "redis.setresp(2); return type(redis.call('info', 'server'))" 0
EVAL "redis.setresp(3); return redis.pcall('hgetall', 'str')" 0
EVAL "redis.setresp(3); return redis.call('hrandfield', KEYS[1], 1, 'withvalues')" 1 h
EVAL "return true" 0
EVAL "return false" 0
EVAL "redis.setresp(3); return true" 0
EVAL "redis.setresp(3); return false" 0
EVAL "return {double=3.14}" 0
EVAL "return {double=1/0}" 0
EVAL "return {double=-1/0}" 0
EVAL "return {double=0/0}" 0
EVAL "return {double=1e300*1e10}" 0
EVAL "return {double='x'}" 0
EVAL "return {big_number='123456789012345678901234567890'}" 0
EVAL "return {big_number='12\\r\\n3'}" 0
EVAL "return {map={a=1}}" 0
EVAL "return {map={}}" 0
EVAL "return {set={a=true}}" 0
EVAL "return {set={}}" 0
EVAL "return {map={a={set={x=true}}}}" 0
EVAL "return {verbatim_string={format='txt', string='hello'}}" 0
EVAL "return {verbatim_string={format='mkdown', string='hi'}}" 0
EVAL "return {verbatim_string={format='md', string='hi'}}" 0
EVAL "return {verbatim_string={string='hi'}}" 0
EVAL "return {1, {double=2.5}, {map={k={big_number='7'}}}, false, true}" 0
EVAL "redis.setresp(3); return {1, {double=2.5}, false, true, nil}" 0
EVAL "redis.setresp(3); return redis.call('zmscore', KEYS[1], 'nope', 'a')" 1 z
EVAL "redis.setresp(3); return redis.call('zmscore', KEYS[1], 'a', 'nope', 'b')" 1 z
EVAL "redis.setresp(3); local t = redis.call('zmscore', KEYS[1], 'nope', 'a'); return t[2]" 1 z
~EVAL "return {map={a=1, b='x', c={double=0.5}}}" 0
~EVAL "return {set={a=true, b=true, c=true}}" 0
~EVAL "redis.setresp(3); return redis.call('hgetall', KEYS[1])" 1 h
EVAL "redis.setresp(3); return redis.call('config', 'get', 'maxmemory')" 0
~EVAL "redis.setresp(3); return redis.call('lcs', 'str', 'str', 'idx')" 0
EVAL "redis.setresp(3); return redis.call('hello')" 0
EVAL "redis.setresp(4)" 0
EVAL "redis.setresp()" 0
EVAL "redis.setresp(3, 3)" 0
EVAL "redis.setresp('3'); return redis.call('hgetall', KEYS[1])" 1 h
`

func TestScriptConversionsResp2MatchRedis(t *testing.T) { testkit.Diff(t, scriptLines) }

func TestScriptConversionsResp3MatchRedis(t *testing.T) { testkit.DiffResp3(t, scriptLines) }

// helloIDs hides the client id in HELLO replies: each server numbers its
// own connections.
var helloIDs = regexp.MustCompile(`\$2\r\nid\r\n:\d+\r\n`)

// runMasked runs script lines on two raw connections and compares the
// replies with client ids masked.
func runMasked(t *testing.T, ms, rd *testkit.RawConn, script string) {
	t.Helper()
	for _, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		args, err := testkit.ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ms.Do(args...)
		if err != nil {
			t.Fatalf("moonstone %s: %v", line, err)
		}
		r, err := rd.Do(args...)
		if err != nil {
			t.Fatalf("redis %s: %v", line, err)
		}
		m, r = helloIDs.ReplaceAllString(m, "id"), helloIDs.ReplaceAllString(r, "id")
		if m != r {
			t.Errorf("%s\n  moonstone: %q\n  redis:     %q", line, m, r)
		}
	}
}

func dialPair(t *testing.T, ms *testkit.Server, rd *testkit.Redis) (*testkit.RawConn, *testkit.RawConn) {
	t.Helper()
	r, err := testkit.DialRaw(rd.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return ms.Raw(t), r
}

func TestHelloMatchesRedis(t *testing.T) {
	ms, rd := dialPair(t, testkit.Start(t), testkit.StartRedis(t))
	runMasked(t, ms, rd, `
HELLO
HELLO 2
HELLO 3
HELLO
HGETALL missing
HELLO 2
HGETALL missing
HELLO 4
HELLO 1
HELLO -1
HELLO abc
HELLO 99999999999999999999
HELLO 3 AUTH
HELLO 3 AUTH default
HELLO 3 SETNAME
HELLO 3 foo
HELLO 3 AUTH default anything
HELLO 3 AUTH nosuchuser pass
HELLO 3 SETNAME "a b"
HELLO 3 SETNAME myname
CLIENT GETNAME
HELLO 2 SETNAME other AUTH default x
CLIENT GETNAME
HELLO 3 SETNAME ""
CLIENT GETNAME
HELLO 3 setname n auth default x setname m
CLIENT GETNAME
HGETALL missing
RESET
HGETALL missing
`)
}

func TestHelloAuthMatchesRedis(t *testing.T) {
	ms, rd := dialPair(t, testkit.Start(t, "requirepass", "secret"), testkit.StartRedis(t, "--requirepass", "secret"))
	runMasked(t, ms, rd, `
HELLO
HELLO 3
HELLO 3 SETNAME early AUTH default wrong
HELLO 3 AUTH default wrong
HELLO 3 AUTH wrong secret
GET k
HELLO 3 AUTH default secret SETNAME named
CLIENT GETNAME
HGETALL missing
`)
}

// The connect sequences of current client libraries, pipelined in one
// write as they send them: go-redis v9 (HELLO 3, CLIENT SETINFO twice),
// ioredis (also INFO, whose lines must end in \r\n and hold loading:0),
// node-redis 6 (also CLIENT MAINT_NOTIFICATIONS, which must fail with an
// error reply, not a hang or a disconnect).
func TestClientHandshakesResp3(t *testing.T) {
	s := testkit.Start(t)
	rc := s.Raw(t)
	var b strings.Builder
	cmds := [][]string{
		{"HELLO", "3", "SETNAME", "lib"},
		{"CLIENT", "SETINFO", "LIB-NAME", "go-redis(,go1.26)"},
		{"CLIENT", "SETINFO", "LIB-VER", "9.23.0"},
		{"INFO"},
		{"CLIENT", "MAINT_NOTIFICATIONS", "on", "moving-endpoint-type", "internal-ip"},
		{"PING"},
	}
	for _, c := range cmds {
		b.WriteString("*" + strconv.Itoa(len(c)) + "\r\n")
		for _, a := range c {
			b.WriteString("$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n")
		}
	}
	if err := rc.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	var replies []string
	for range cmds {
		r, err := rc.Read()
		if err != nil {
			t.Fatalf("after %d replies: %v", len(replies), err)
		}
		replies = append(replies, r)
	}
	if !strings.HasPrefix(replies[0], "%7\r\n") || !strings.Contains(replies[0], "proto\r\n:3\r\n") {
		t.Errorf("HELLO 3: %q", replies[0])
	}
	if replies[1] != "+OK\r\n" || replies[2] != "+OK\r\n" {
		t.Errorf("CLIENT SETINFO: %q %q", replies[1], replies[2])
	}
	info := replies[3]
	if !strings.HasPrefix(info, "=") || !strings.Contains(info, "\r\ntxt:# Server\r\n") {
		t.Errorf("INFO is not a verbatim txt string: %.60q", info)
	}
	if !strings.Contains(info, "\r\nloading:0\r\n") || strings.Contains(strings.ReplaceAll(info, "\r\n", ""), "\n") {
		t.Errorf("INFO lines must end in \\r\\n and include loading:0: %q", info)
	}
	if !strings.HasPrefix(replies[4], "-ERR unknown subcommand 'MAINT_NOTIFICATIONS'") {
		t.Errorf("CLIENT MAINT_NOTIFICATIONS: %q", replies[4])
	}
	if replies[5] != "+PONG\r\n" {
		t.Errorf("PING after the handshake: %q", replies[5])
	}
}

// A seeded random mix of commands whose RESP3 replies carry maps, sets,
// doubles, pairs and nulls, on a few keys, compared reply by reply.
func TestResp3RandomMixMatchesRedis(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 3))
	members := []string{"a", "b", "c", "d"}
	m := func() string { return members[rng.IntN(len(members))] }
	score := func() string {
		return []string{"1", "2.5", "-0.1", "1e10", "+inf", "-inf", "0.30000000000000004", "7"}[rng.IntN(8)]
	}
	forms := []func() string{
		func() string { return "ZADD z " + score() + " " + m() },
		func() string { return "ZADD z INCR " + score() + " " + m() },
		func() string { return "ZINCRBY z " + score() + " " + m() },
		func() string { return "ZSCORE z " + m() },
		func() string { return "ZMSCORE z " + m() + " " + m() },
		func() string { return "ZRANGE z 0 -1 WITHSCORES" },
		func() string { return "ZREVRANGEBYSCORE z +inf -inf WITHSCORES LIMIT 0 2" },
		func() string { return "ZPOPMIN z" },
		func() string { return "ZPOPMAX z 2" },
		func() string { return "ZMPOP 2 nokey z MIN COUNT 2" },
		func() string { return "ZUNION 2 z z2 WITHSCORES" },
		func() string { return "ZADD z2 " + score() + " " + m() },
		func() string { return "HSET h " + m() + " " + score() },
		func() string { return "~HGETALL h" },
		func() string { return "HDEL h " + m() },
		func() string { return "HGET h " + m() },
		func() string { return "SADD s " + m() },
		func() string { return "SREM s " + m() },
		func() string { return "~SMEMBERS s" },
		func() string { return "~SUNION s s2" },
		func() string { return "SADD s2 " + m() },
		func() string { return "SISMEMBER s " + m() },
		func() string { return "LPUSH l " + m() },
		func() string { return "LPOP l 2" },
		func() string { return "RPOP l" },
		func() string { return "GET " + m() },
		func() string { return "TYPE " + []string{"z", "h", "s", "l", "x"}[rng.IntN(5)] },
	}
	var b strings.Builder
	for i := 0; i < 400; i++ {
		b.WriteString(forms[rng.IntN(len(forms))]() + "\n")
	}
	testkit.DiffResp3(t, b.String())
}
