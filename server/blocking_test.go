package server_test

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"moonstone/internal/testkit"
)

// Blocking commands: argument errors and the non-blocking paths (data
// already there, MULTI, scripts) compared with Redis reply by reply.
func TestBlockingMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
# timeouts, Redis's getTimeoutFromObjectOrReply
BLPOP k -1
BLPOP k abc
BLPOP k ""
BLPOP k " 1"
BLPOP k "1 "
BLPOP k nan
BLPOP k inf
BLPOP k -inf
BLPOP k 1e300
BLPOP k 9.3e15
BLPOP k 0x7FFFFFFFFFFFFF
BRPOP k -0.5x
BZPOPMIN z -1
BZPOPMAX z abc
BRPOPLPUSH a b -1
BLMOVE a b left right -1
BLMOVE a b up right -1
BLMOVE a b left down abc
BLMPOP -1 1 k left
BLMPOP abc 1 k left
BLMPOP 0 0 k left
BLMPOP 0 2 k left
BLMPOP -1 1 k middle
BLMPOP 0 1 k left count 0
BLMPOP 0 1 k left count 1 count 2
BLMPOP 0 1 k left foo
BZMPOP -1 1 z min
BZMPOP 0 0 z min
BZMPOP 0 1 z middle
BZMPOP 0 1 z min count -1
BZMPOP 0 1 z min count 2 extra
# arity
BLPOP k
BRPOP
BZPOPMIN z
BRPOPLPUSH a b
BLMOVE a b left right
BLMPOP 0 1 k
BZMPOP 0 1
# data already there: served at once
RPUSH k a b c
BLPOP k 0
BRPOP k 0
BLPOP missing k 0
LPUSH k2 x
BLPOP missing k k2 1
RPUSH k a b c
BRPOPLPUSH k dst 0
LRANGE dst 0 -1
RPUSH k c d e
BLMOVE k dst right left 0
BLMOVE k dst left right 0.1
LRANGE dst 0 -1
BLMPOP 0 2 missing k left count 10
EXISTS k
RPUSH k a b c
BLMPOP 0 1 k right
BLMPOP 0 1 k left count 1
ZADD z 1 a 2 b 3 c 4 d
BZPOPMIN z 0
BZPOPMAX missing z 0
BZMPOP 0 2 missing z min count 5
EXISTS z
ZADD z 1 a 2 b
BZMPOP 1.5 1 z max
# wrong types
SET s str
BLPOP s 0
BLPOP missing s 0
RPUSH k2 v
BLPOP k2 s 0
BRPOP s k2 0
BRPOPLPUSH s dst 0
RPUSH src v
BRPOPLPUSH src s 0
LRANGE src 0 -1
BLMPOP 0 2 missing s left
BZPOPMIN s 0
BZMPOP 0 1 s min
ZADD z2 1 a
BLPOP z2 0
RPUSH k2 v w
BZPOPMIN k2 0
# inside MULTI the blocking forms do not block
DEL k k2 z z2 src dst
MULTI
BLPOP k 0
BRPOP k 0
BRPOPLPUSH k dst 0
BLMOVE k dst left left 0
BLMPOP 0 1 k left
BZPOPMIN z 0
BZPOPMAX z 0
BZMPOP 0 1 z min
RPUSH k v
BLPOP k 0
EXEC
# scripts: BLMPOP and BZMPOP may run there, non-blocking; the others are noscript
EVAL "return redis.pcall('blmpop', 0, 1, 'k', 'left')" 0
EVAL "return redis.pcall('bzmpop', 0, 1, 'z', 'min')" 0
EVAL "return redis.pcall('blpop', 'k', 0)" 0
EVAL "return redis.pcall('bzpopmin', 'z', 0)" 0
EVAL "return redis.pcall('brpoplpush', 'k', 'd', 0)" 0
EVAL "redis.call('rpush', 'k', 'a', 'b') return redis.call('blmpop', 0, 1, 'k', 'left', 'count', 5)" 0
# CLIENT UNBLOCK of nobody
CLIENT UNBLOCK 987654
CLIENT UNBLOCK 987654 timeout
CLIENT UNBLOCK 987654 ERROR
CLIENT UNBLOCK 987654 foo
CLIENT UNBLOCK abc
CLIENT UNBLOCK
CLIENT UNBLOCK 1 timeout extra
client unblock 1 timeout extra
COMMAND GETKEYS blmpop 0 2 a b left
COMMAND GETKEYS bzmpop 0 1 a min count 2
`)
}

// blockDiff runs a scenario with several connections on Moonstone and on
// Redis and compares every reply read. Lines:
//
//	CMD ...        connection 0 sends CMD and reads its reply
//	N: CMD ...     connection N sends CMD and reads its reply
//	N> CMD ...     connection N sends CMD without reading (it blocks)
//	N<             read connection N's pending reply
//	blocked N      wait until INFO reports N blocked clients
//	close N        close connection N
//	shutwr N       half-close connection N (it sent everything)
//	sleep MS       wait MS milliseconds
//
// $idN in an argument is connection N's client id on that server.
func blockDiff(t *testing.T, script string) {
	t.Helper()
	p := testkit.StartPair(t)
	sides := []struct {
		name  string
		addr  string
		conns map[int]*testkit.RawConn
		ids   map[int]string
		out   []string
	}{
		{name: "moonstone", addr: p.Moonstone.Addr},
		{name: "redis", addr: p.Redis.Addr},
	}
	for i := range sides {
		sides[i].conns = map[int]*testkit.RawConn{}
		sides[i].ids = map[int]string{}
	}
	conn := func(i, n int) *testkit.RawConn {
		s := &sides[i]
		if c := s.conns[n]; c != nil {
			return c
		}
		c, err := testkit.DialRaw(s.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		id, err := c.Do("CLIENT", "ID")
		if err != nil {
			t.Fatal(err)
		}
		s.conns[n] = c
		s.ids[n] = strings.TrimSpace(strings.TrimPrefix(id, ":"))
		return c
	}
	for ln, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for i := range sides {
			s := &sides[i]
			fail := func(err error) { t.Fatalf("line %d %q on %s: %v", ln+1, line, s.name, err) }
			n, mode, rest := 0, ":", line
			if j := strings.IndexAny(line, ":<>"); j > 0 {
				if k, err := strconv.Atoi(line[:j]); err == nil {
					n, mode, rest = k, line[j:j+1], strings.TrimSpace(line[j+1:])
				}
			}
			switch {
			case strings.HasPrefix(line, "blocked "):
				want := strings.TrimPrefix(line, "blocked ")
				c := conn(i, 0)
				for deadline := time.Now().Add(10 * time.Second); ; {
					info, err := c.Do("INFO", "clients")
					if err != nil {
						fail(err)
					}
					if strings.Contains(info, "blocked_clients:"+want+"\r\n") {
						break
					}
					if time.Now().After(deadline) {
						fail(fmt.Errorf("blocked_clients never reached %s: %q", want, info))
					}
					time.Sleep(5 * time.Millisecond)
				}
				continue
			case strings.HasPrefix(line, "sleep "):
				if i == 0 {
					ms, _ := strconv.Atoi(strings.TrimPrefix(line, "sleep "))
					time.Sleep(time.Duration(ms) * time.Millisecond)
				}
				continue
			case strings.HasPrefix(line, "close "):
				k, _ := strconv.Atoi(strings.TrimPrefix(line, "close "))
				conn(i, k).Close()
				continue
			case strings.HasPrefix(line, "flood "):
				// flood N K: client N sends K PINGs without reading.
				var k, count int
				fmt.Sscan(strings.TrimPrefix(line, "flood "), &k, &count)
				if err := conn(i, k).Write(bytes.Repeat([]byte("*1\r\n$4\r\nPING\r\n"), count)); err != nil {
					fail(err)
				}
				continue
			case strings.HasPrefix(line, "shutwr "):
				k, _ := strconv.Atoi(strings.TrimPrefix(line, "shutwr "))
				if err := conn(i, k).CloseWrite(); err != nil {
					fail(err)
				}
				continue
			case mode == "<":
				r, err := conn(i, n).Read()
				if err != nil {
					fail(err)
				}
				s.out = append(s.out, line+" -> "+r)
				continue
			}
			args, err := testkit.ParseLine(rest)
			if err != nil {
				t.Fatalf("line %d: %v", ln+1, err)
			}
			c := conn(i, n)
			for a := range args {
				if strings.HasPrefix(args[a], "$id") {
					k, _ := strconv.Atoi(args[a][3:])
					conn(i, k)
					args[a] = s.ids[k]
				}
			}
			if mode == ">" {
				if err := c.Send(args...); err != nil {
					fail(err)
				}
				continue
			}
			r, err := c.Do(args...)
			if err != nil {
				fail(err)
			}
			s.out = append(s.out, line+" -> "+r)
		}
	}
	m, r := sides[0].out, sides[1].out
	for i := range m {
		if i >= len(r) || m[i] != r[i] {
			want := "(nothing)"
			if i < len(r) {
				want = fmt.Sprintf("%q", r[i])
			}
			t.Errorf("reply %d differs\n  moonstone: %q\n  redis:     %s", i, m[i], want)
		}
	}
}

func TestBlockingFIFOAcrossClients(t *testing.T) {
	blockDiff(t, `
1> BLPOP k 0
blocked 1
2> BLPOP other k 0
blocked 2
3> BRPOP k 0
blocked 3
LPUSH k a
1<
RPUSH k b c
2<
3<
blocked 0
EXISTS k
`)
}

func TestBlockingWakeByVariadicPush(t *testing.T) {
	blockDiff(t, `
1> BLPOP k 0
blocked 1
2> BLPOP k 0
blocked 2
3> BLMPOP 0 1 k right count 2
blocked 3
RPUSH k a b c d e
1<
2<
3<
LRANGE k 0 -1
# a push onto a key nobody waits for wakes nobody
1> BLPOP k2 0
blocked 1
RPUSH k3 x
LPUSH k2 y
1<
`)
}

func TestBlockingWakeByScriptAndExec(t *testing.T) {
	blockDiff(t, `
1> BRPOP k 0
blocked 1
EVAL "redis.call('rpush', KEYS[1], 'a', 'b') return redis.call('llen', KEYS[1])" 1 k
1<
LRANGE k 0 -1
DEL k
2> BZPOPMAX z 0
blocked 1
MULTI
ZADD z 1 one
ZADD z 3 three 2 two
EXEC
2<
ZRANGE z 0 -1 WITHSCORES
# a function (FCALL) wakes like a script
FUNCTION LOAD "#!lua name=blk\nredis.register_function('push', function(keys, args) return redis.call('lpush', keys[1], args[1]) end)"
1> BLPOP f 0
blocked 1
FCALL push 1 f v
1<
# pushed then popped inside one EXEC: nothing left to serve
1> BLPOP q 0
blocked 1
MULTI
RPUSH q x
LPOP q
EXEC
RPUSH q y
1<
`)
}

// Unlike Redis, a script that raises leaves no trace (DESIGN.md): its push
// never happened, so it serves nobody.
func TestBlockingScriptErrorServesNobody(t *testing.T) {
	m := testkit.Start(t)
	ctl := m.NewClient()
	c := m.Raw(t)
	if err := c.Send("BLPOP", "r", "0"); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, ctl, 1)
	if err := ctl.Eval(t.Context(), "redis.call('rpush', 'r', 'x') error('boom')", nil).Err(); err == nil {
		t.Fatal("the script did not fail")
	}
	if err := ctl.RPush(t.Context(), "r", "z").Err(); err != nil {
		t.Fatal(err)
	}
	if r, err := c.Read(); err != nil || r != "*2\r\n$1\r\nr\r\n$1\r\nz\r\n" {
		t.Fatalf("served %q %v", r, err)
	}
}

func TestBlockingMoveChain(t *testing.T) {
	blockDiff(t, `
1> BLMOVE a b left right 0
blocked 1
2> BRPOPLPUSH b c 0
blocked 2
3> BLPOP c 0
blocked 3
RPUSH a x
1<
2<
3<
EXISTS a b c
# rotation onto itself
RPUSH r 1 2 3
BLMOVE r r left right 0
LRANGE r 0 -1
# a destination of the wrong type unblocks with WRONGTYPE and loses nothing
SET str v
1> BLMOVE src str left left 0
blocked 1
RPUSH src e
1<
LRANGE src 0 -1
`)
}

// Redis's suite cases "BRPOPLPUSH with multiple blocked clients",
// "Circular BRPOPLPUSH" and "Self-referential BRPOPLPUSH": the first
// waiter's wrong-type destination unblocks it with WRONGTYPE and the
// element goes on to the next waiter, in the same round; a move that
// feeds the other waiter's source is served in the same round too.
func TestBlockingMoveRounds(t *testing.T) {
	blockDiff(t, `
SET target1 nolist
1> BRPOPLPUSH blist target1 0
blocked 1
2> BRPOPLPUSH blist target2 0
blocked 2
LPUSH blist foo
1<
2<
LRANGE target2 0 -1
EXISTS blist
1> BRPOPLPUSH list1 list2 0
blocked 1
2> BRPOPLPUSH list2 list1 0
blocked 2
RPUSH list1 foo
1<
2<
LRANGE list1 0 -1
EXISTS list2
1> BRPOPLPUSH self self 0
blocked 1
RPUSH self foo
1<
LRANGE self 0 -1
`)
}

func TestBlockingTimeoutsAndUnblock(t *testing.T) {
	blockDiff(t, `
BLPOP k 0.05
BRPOP k 0.01
BRPOPLPUSH k d 0.02
BLMOVE k d left left 0.02
BLMPOP 0.01 1 k left
BZPOPMIN z 0.01
BZPOPMAX z 0.01
BZMPOP 0.01 1 z min
BLPOP k 1e-10
1> BLPOP k 0
blocked 1
CLIENT UNBLOCK $id1
1<
CLIENT UNBLOCK $id1
1> BZPOPMIN z 0
blocked 1
CLIENT UNBLOCK $id1 ERROR
1<
1> BRPOPLPUSH k d 0
blocked 1
CLIENT UNBLOCK $id1 TIMEOUT
1<
blocked 0
# the unblocked client works normally again
1: RPUSH k v
1: BLPOP k 0
`)
}

func TestBlockingTypeChanges(t *testing.T) {
	blockDiff(t, `
# Redis 7.0: a key that becomes another type leaves the client blocked
1> BLPOP k 0
blocked 1
ZADD k 1 a
DEL k
2> BZPOPMIN k 0
blocked 2
RPUSH k x
1<
DEL k
ZADD k 5 m
2<
# deletions and flushes leave clients blocked
1> BLPOP f 0
blocked 1
RPUSH f x
1<
1> BLPOP f 0
blocked 1
SET f str
DEL f
FLUSHDB
FLUSHALL
RPUSH f y
1<
# the same key twice
1> BLPOP d d 0
blocked 1
RPUSH d v
1<
# a key in another database
1: SELECT 1
1> BLPOP k 0
blocked 1
RPUSH k in-db-0
LPOP k
2: SELECT 1
2: RPUSH k in-db-1
1<
`)
}

// A client that leaves while blocked leaves the registry: the element
// pushed afterwards is not lost to it. That holds for a killed client
// with 56 KB of requests behind its block too, more than its read buffer
// takes, so that nothing watches its socket any more.
func TestBlockingClosedClientLeaves(t *testing.T) {
	blockDiff(t, `
1> BLPOP k 0
blocked 1
2> BLPOP k 0
blocked 2
close 1
blocked 1
RPUSH k a b
2<
LRANGE k 0 -1
3> BLPOP q 0
blocked 1
CLIENT KILL ID $id3
blocked 0
RPUSH q x
LLEN q
4> BLPOP r 0
flood 4 4000
blocked 1
sleep 50
CLIENT KILL ID $id4
blocked 0
RPUSH r x
LLEN r
`)
}

// A blocked client whose connection ends leaves at once, as in Redis,
// also when it had sent more requests behind the blocking one (ioredis
// half-closes a connection with a BLPOP and a SET in flight, and waits
// for the close to reconnect): those requests never run.
func TestBlockingClientEndsWithRequestsQueued(t *testing.T) {
	blockDiff(t, `
# nothing sent behind the block
1> BLPOP k 0
blocked 1
shutwr 1
blocked 0
# requests pipelined behind the block
2> BLPOP k 0
2> SET foo 1
2> INCR foo
blocked 1
sleep 50
shutwr 2
blocked 0
# a request that arrives while blocked
3> BLPOP k 0
blocked 1
3> SET bar 1
sleep 50
shutwr 3
blocked 0
RPUSH k a
LRANGE k 0 -1
GET foo
GET bar
`)
}

// Pipelined requests before a block are answered before it, those after
// it after it unblocks.
func TestBlockingPipeline(t *testing.T) {
	m := testkit.Start(t)
	c := m.Raw(t)
	if err := c.Write([]byte("*3\r\n$5\r\nRPUSH\r\n$1\r\nx\r\n$1\r\n1\r\n*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n")); err != nil {
		t.Fatal(err)
	}
	if r, err := c.Read(); err != nil || r != ":1\r\n" {
		t.Fatalf("reply before the block: %q %v", r, err)
	}
	if _, err := m.NewClient().RPush(t.Context(), "k", "v").Result(); err != nil {
		t.Fatal(err)
	}
	if r, err := c.Read(); err != nil || r != "*2\r\n$1\r\nk\r\n$1\r\nv\r\n" {
		t.Fatalf("served reply: %q %v", r, err)
	}
}

// A thousand blocked clients wait without cost, then are all served, in
// the order they blocked, by one push.
func TestBlockingThousandClients(t *testing.T) {
	const n = 1000
	m := testkit.Start(t)
	ctl := m.NewClient()
	ctx := t.Context()
	conns := make([]*testkit.RawConn, n)
	for i := range conns {
		c, err := testkit.DialRaw(m.Addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		conns[i] = c
		if err := c.Send("BLPOP", "k", "0"); err != nil {
			t.Fatal(err)
		}
		// Wait for each to block, so the order of blocking is known.
		waitBlocked(t, ctl, i+1)
	}
	vals := make([]any, n)
	for i := range vals {
		vals[i] = strconv.Itoa(i)
	}
	if _, err := ctl.RPush(ctx, "k", vals...).Result(); err != nil {
		t.Fatal(err)
	}
	for i, c := range conns {
		want := fmt.Sprintf("*2\r\n$1\r\nk\r\n$%d\r\n%d\r\n", len(strconv.Itoa(i)), i)
		if r, err := c.Read(); err != nil || r != want {
			t.Fatalf("client %d: %q %v, want %q", i, r, err, want)
		}
	}
	waitBlocked(t, ctl, 0)
	if n, _ := ctl.Exists(ctx, "k").Result(); n != 0 {
		t.Fatalf("k still exists")
	}
}

func waitBlocked(t *testing.T, ctl interface {
	Info(ctx context.Context, section ...string) *redis.StringCmd
}, n int) {
	t.Helper()
	want := "blocked_clients:" + strconv.Itoa(n) + "\r\n"
	for deadline := time.Now().Add(10 * time.Second); ; {
		info, err := ctl.Info(context.Background(), "clients").Result()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(info, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("never %s: %s", want, info)
		}
		time.Sleep(time.Millisecond)
	}
}

// CLIENT LIST and CLIENT INFO flag a blocked client with b, as Redis.
func TestBlockingClientListFlag(t *testing.T) {
	m := testkit.Start(t)
	ctl := m.NewClient()
	c := m.Raw(t)
	id, err := c.Do("CLIENT", "ID")
	if err != nil {
		t.Fatal(err)
	}
	id = strings.TrimSpace(strings.TrimPrefix(id, ":"))
	if err := c.Send("BZPOPMIN", "z", "0"); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, ctl, 1)
	list, err := ctl.ClientList(t.Context()).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(list, "\n") {
		if strings.HasPrefix(line, "id="+id+" ") && !strings.Contains(line, " flags=b ") {
			t.Fatalf("blocked client not flagged: %s", line)
		}
		if !strings.HasPrefix(line, "id="+id+" ") && strings.Contains(line, " flags=b ") {
			t.Fatalf("client wrongly flagged: %s", line)
		}
	}
	if n, err := ctl.Do(t.Context(), "CLIENT", "UNBLOCK", id).Int(); err != nil || n != 1 {
		t.Fatalf("CLIENT UNBLOCK: %d %v", n, err)
	}
	if r, err := c.Read(); err != nil || r != "*-1\r\n" {
		t.Fatalf("unblocked: %q %v", r, err)
	}
	if info, err := c.Do("CLIENT", "INFO"); err != nil || !strings.Contains(info, " flags=N ") {
		t.Fatalf("CLIENT INFO after unblock: %q %v", info, err)
	}
}

// A blocked command that ends with an error (CLIENT UNBLOCK ... ERROR,
// XGROUP DESTROY under a blocked XREADGROUP, a served BRPOPLPUSH whose
// target has the wrong type) counts as a failed call and an error reply,
// as in Redis: the same sequence leaves the same counters on both servers.
func TestBlockedErrorsCountAsFailedCalls(t *testing.T) {
	p := testkit.StartPair(t)
	ctx := context.Background()
	clients := map[string]*redis.Client{}
	for _, addr := range []string{p.Moonstone.Addr, p.Redis.Addr} {
		// Without CLIENT SETINFO, which Moonstone accepts and Redis 7.0
		// refuses with an error that its counters would show.
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
		defer c.Close()
		clients[addr] = c
		c.ConfigResetStat(ctx)
		blocked := func(args ...any) (*redis.Client, chan error) {
			bc := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, ReadTimeout: -1, DisableIdentity: true})
			done := make(chan error, 1)
			go func() { done <- bc.Do(ctx, args...).Err() }()
			waitBlocked(t, c, 1)
			return bc, done
		}
		id := func(cmd string) string {
			list, _ := c.ClientList(ctx).Result()
			for _, l := range strings.Split(list, "\n") {
				if strings.Contains(l, "cmd="+cmd) {
					return strings.TrimPrefix(strings.Fields(l)[0], "id=")
				}
			}
			t.Fatalf("no client blocked in %s", cmd)
			return ""
		}
		bc, done := blocked("BLPOP", "nokey", "0")
		c.Do(ctx, "CLIENT", "UNBLOCK", id("blpop"), "ERROR")
		if err := <-done; err == nil || !strings.HasPrefix(err.Error(), "UNBLOCKED") {
			t.Fatalf("%s: BLPOP after CLIENT UNBLOCK ERROR: %v", addr, err)
		}
		bc.Close()

		c.XGroupCreateMkStream(ctx, "s", "g", "$")
		bc, done = blocked("XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
		c.XGroupDestroy(ctx, "s", "g")
		if err := <-done; err == nil || !strings.HasPrefix(err.Error(), "NOGROUP") {
			t.Fatalf("%s: XREADGROUP after XGROUP DESTROY: %v", addr, err)
		}
		bc.Close()

		c.Set(ctx, "target", "string", 0)
		bc, done = blocked("BRPOPLPUSH", "list", "target", "0")
		c.RPush(ctx, "list", "x")
		if err := <-done; err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE") {
			t.Fatalf("%s: BRPOPLPUSH into a string: %v", addr, err)
		}
		bc.Close()
	}
	counters := func(c *redis.Client) string {
		var out []string
		for _, section := range []string{"commandstats", "errorstats", "stats"} {
			f := infoFields(t, c, section)
			for _, name := range []string{"cmdstat_blpop", "cmdstat_xreadgroup", "cmdstat_brpoplpush"} {
				if v, ok := f[name]; ok {
					_, calls, _ := strings.Cut(v, "calls=")
					calls, _, _ = strings.Cut(calls, ",")
					_, failed, _ := strings.Cut(v, "failed_calls=")
					out = append(out, name+" calls="+calls+" failed="+failed)
				}
			}
			for k, v := range f {
				if strings.HasPrefix(k, "errorstat_") || k == "total_error_replies" {
					out = append(out, k+"="+v)
				}
			}
		}
		sort.Strings(out)
		return strings.Join(out, "\n")
	}
	ms, rd := counters(clients[p.Moonstone.Addr]), counters(clients[p.Redis.Addr])
	if ms != rd {
		t.Fatalf("counters differ\nmoonstone:\n%s\nredis:\n%s", ms, rd)
	}
}

// CLIENT UNBLOCK, TIMEOUT or ERROR, makes the blocked pop a failed call,
// and with ERROR CLIENT UNBLOCK too, as Redis 7.0 counts them.
func TestClientUnblockCountedAsRedis(t *testing.T) {
	p := testkit.StartPair(t)
	p.Run(t, "CONFIG RESETSTAT")
	for _, reason := range []string{"TIMEOUT", "ERROR"} {
		replies := map[string]string{}
		for name, addr := range map[string]string{"moonstone": p.Moonstone.Addr, "redis": p.Redis.Addr} {
			c, err := testkit.DialRaw(addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			id, _ := c.Do("CLIENT", "ID")
			id = strings.TrimSuffix(strings.TrimPrefix(id, ":"), "\r\n")
			if err := c.Send("BLPOP", "nolist", "0"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.ReadWithin(200); err == nil {
				t.Fatalf("%s: BLPOP did not block", name)
			}
			ctl, err := testkit.DialRaw(addr)
			if err != nil {
				t.Fatal(err)
			}
			defer ctl.Close()
			if got, _ := ctl.Do("CLIENT", "UNBLOCK", id, reason); got != ":1\r\n" {
				t.Fatalf("%s: CLIENT UNBLOCK %s: %q", name, reason, got)
			}
			replies[name], _ = c.Read()
		}
		if replies["moonstone"] != replies["redis"] {
			t.Errorf("BLPOP after CLIENT UNBLOCK %s: %q, Redis %q", reason, replies["moonstone"], replies["redis"])
		}
	}
	got, want := pairStats(t, p)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stats differ\nmoonstone:\n%s\nredis:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
