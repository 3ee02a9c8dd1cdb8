package server_test

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"moonstone/internal/testkit"
)

// keyEvents runs script (one command a line) on Moonstone and redis-server
// with notify-keyspace-events set to flags, and compares the replies and
// the keyspace/keyevent messages a pattern subscriber receives, in order.
// A line "& CMD" sends a blocking command on another connection and waits
// until it blocks; "&<" reads and compares its reply.
func keyEvents(t *testing.T, flags, script string) {
	t.Helper()
	p := testkit.StartPair(t)
	type side struct {
		name         string
		pub, sub, bg *testkit.RawConn
	}
	var sides []side
	for _, s := range []struct{ name, addr string }{{"moonstone", p.Moonstone.Addr}, {"redis", p.Redis.Addr}} {
		pub, err := testkit.DialRaw(s.addr)
		if err != nil {
			t.Fatal(err)
		}
		sub, err := testkit.DialRaw(s.addr)
		if err != nil {
			t.Fatal(err)
		}
		bg, err := testkit.DialRaw(s.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pub.Close(); sub.Close(); bg.Close() })
		if r, err := pub.Do("CONFIG", "SET", "notify-keyspace-events", flags); err != nil || r != "+OK\r\n" {
			t.Fatalf("%s: CONFIG SET: %q %v", s.name, r, err)
		}
		sub.Send("PSUBSCRIBE", "__key*__:*")
		sub.Read()
		sub.Send("SUBSCRIBE", "end-of-test")
		sub.Read()
		sides = append(sides, side{s.name, pub, sub, bg})
	}
	for n, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		bg := strings.HasPrefix(line, "&")
		args, err := testkit.ParseLine(strings.TrimPrefix(line, "&"))
		if err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		if bg && line != "&<" {
			for _, s := range sides {
				if err := s.bg.Send(args...); err != nil {
					t.Fatal(err)
				}
				for deadline := time.Now().Add(10 * time.Second); ; {
					r, err := s.pub.Do("INFO", "clients")
					if err != nil {
						t.Fatal(err)
					}
					if strings.Contains(r, "blocked_clients:1\r\n") {
						break
					}
					if time.Now().After(deadline) {
						r, err := s.bg.Read()
						t.Fatalf("%s line %d: never blocked: %q %v", s.name, n+1, r, err)
					}
					time.Sleep(time.Millisecond)
				}
			}
			continue
		}
		var replies []string
		for _, s := range sides {
			var r string
			var err error
			if bg {
				r, err = s.bg.Read()
			} else {
				r, err = s.pub.Do(args...)
			}
			if err != nil {
				t.Fatalf("%s line %d %q: %v", s.name, n+1, line, err)
			}
			replies = append(replies, r)
		}
		if replies[0] != replies[1] {
			t.Errorf("line %d: %s\n  moonstone: %q\n  redis:     %q", n+1, line, replies[0], replies[1])
		}
	}
	var events [2][]string
	for i, s := range sides {
		s.pub.Do("PUBLISH", "end-of-test", "x")
		for {
			r, err := s.sub.Read()
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if strings.Contains(r, "end-of-test") {
				break
			}
			// "*4 $8 pmessage $10 __key*__:* $N channel $M payload": keep
			// channel and payload.
			parts := strings.Split(r, "\r\n")
			events[i] = append(events[i], parts[6]+" "+parts[8])
		}
	}
	m, r := strings.Join(events[0], "\n"), strings.Join(events[1], "\n")
	if m != r {
		t.Errorf("events differ\nmoonstone:\n%s\n\nredis:\n%s", m, r)
	}
}

func TestKeyspaceEventsStrings(t *testing.T) {
	keyEvents(t, "KEA", `
SET s v
SET s v2 EX 100
SET s v3 KEEPTTL
SET s v4 GET
SET s v NX
SET nos v XX
SETNX s x
SETNX s2 x
SETEX s3 100 v
PSETEX s4 100000 v
GETSET s v3
GETDEL s2
GETDEL nokey
GETEX s3 PERSIST
GETEX s3 PERSIST
GETEX s4 EX 100
GETEX s4 PXAT 1
GETEX s
MSET a 1 b 2
MSETNX a 1 c 3
MSETNX c 3 d 4
APPEND a x
INCR n
INCRBY n 5
DECR n
DECRBY n 2
INCRBYFLOAT f 1.5
SETRANGE a 1 zz
SETRANGE a 1 ""
SETRANGE nokey 0 ""
SETBIT bits 3 1
SETBIT bits 3 1
SETBIT bits 3 0
SETBIT bits 100 0
SETBIT bits 100 0
SETBIT wrong 1 1
BITOP OR dest bits bits
BITOP AND dest nokey
BITOP AND dest2 nokey
BITFIELD bf SET u8 0 255 GET u8 0
BITFIELD bf OVERFLOW FAIL INCRBY u8 0 10
BITFIELD bf GET u8 0
LPUSH wrong x
SET wrong v EX 0
INCR s
`)
}

func TestKeyspaceEventsGeneric(t *testing.T) {
	keyEvents(t, "KEA", `
SET k v
EXPIRE k 100
PERSIST k
PERSIST k
EXPIRE k 100 NX
EXPIRE k 200 NX
PEXPIREAT k 1
EXPIRE nokey 10
SET k v
RENAME k k2
RENAME k2 k2
RENAMENX k2 k3
SET k4 v
RENAMENX k3 k4
RENAME k3 k4
MOVE k4 1
SET k4 v
COPY k4 k5
COPY k4 k5
COPY k4 k5 REPLACE
COPY k4 k6 DB 2
DEL k4 k5 nokey
UNLINK k6
SELECT 1
DEL k4
SELECT 0
MULTI
SET m 1
INCR m
DEL m
EXEC
EVAL "redis.call('set', 'e', '1'); redis.call('del', 'e')" 0
EVAL "redis.call('set', 'e3', '1'); return redis.error_reply('kept')" 0
# A write that finds the key expired reports "expired" first (whether the
# sweeper or the write itself removes it).
SET lazy v PXAT 1
SET lazy v2
FLUSHALL
`)
}

func TestKeyspaceEventsLists(t *testing.T) {
	keyEvents(t, "KEA", `
LPUSH l a b c
RPUSH l d
LPUSHX nol a
RPUSHX l e
LPOP l
RPOP l 2
LPOP l 0
LSET l 0 x
LINSERT l BEFORE x y
LINSERT l BEFORE nope y
LREM l 0 y
LREM l 0 nope
LTRIM l 0 0
LTRIM nol 0 1
LPOP l
RPUSH l a b
LMOVE l l2 LEFT RIGHT
RPOPLPUSH l l2
LMOVE l2 l2 LEFT LEFT
LMOVE nol l2 LEFT LEFT
LMPOP 2 nol l2 LEFT COUNT 5
RPUSH sl 3 1 2
SORT sl STORE sd
SORT nol STORE sd
SORT nol STORE sd2
RPUSH t a b c
LTRIM t 5 10
`)
}

func TestKeyspaceEventsHashesAndSets(t *testing.T) {
	keyEvents(t, "KEA", `
HSET h a 1 b 2
HSET h a 1
HMSET h c 3
HSETNX h a 9
HSETNX h z 9
HINCRBY h n 1
HINCRBYFLOAT h f 1.5
HDEL h nope
HDEL h a b c n f z
SADD s1 a b c
SADD s1 a
SREM s1 x
SREM s1 a
SREM s1 b
SPOP s1
SPOP s1 0
SADD s1 x
SPOP s1 5
SPOP s1
SADD s1 a b
SADD s2 b
SMOVE s1 s2 a
SMOVE s1 s2 b
SMOVE s2 s2 a
SMOVE nos s2 a
SINTERSTORE d s2 s2
SUNIONSTORE d nokey
SDIFFSTORE d2 nokey
`)
}

func TestKeyspaceEventsSortedSets(t *testing.T) {
	keyEvents(t, "KEA", `
ZADD z 1 a 2 b
ZADD z 1 a
ZADD z INCR 5 a
ZADD z XX 3 nope
ZADD z NX 3 a
ZADD z CH 9 a
ZINCRBY z 0 a
ZINCRBY z 1 a
ZREM z nope
ZREM z a
ZADD z 1 a 3 c 4 d
ZREMRANGEBYSCORE z 1 1
ZREMRANGEBYSCORE z 100 200
ZREMRANGEBYRANK z 0 0
ZREMRANGEBYLEX z [a [b
ZPOPMIN z
ZPOPMIN z 0
ZPOPMAX z 10
ZADD z 1 a 2 b
ZADD z2 1 b
ZUNIONSTORE zu 2 z z2
ZINTERSTORE zi 2 z z2
ZDIFFSTORE zd 2 z z
ZDIFFSTORE zu 2 z z
ZRANGESTORE zr z 0 -1
ZRANGESTORE zr z 5 10
ZMPOP 1 z MIN
ZMPOP 1 z MAX COUNT 10
`)
}

func TestKeyspaceEventsStreams(t *testing.T) {
	keyEvents(t, "KEA", `
XADD x 1-1 f v
XADD x 2-1 f v
XADD x NOMKSTREAM 3-1 f v
XADD nokey NOMKSTREAM 1-1 f v
XDEL x 1-1
XDEL x 9-9
XTRIM x MAXLEN 0
XTRIM x MAXLEN 0
XSETID x 5-5
DEL x
`)
}

// Consumer-group changes and the trimming XADD does are reported as
// Redis 7.0 reports them.
func TestKeyspaceEventsStreamGroups(t *testing.T) {
	keyEvents(t, "KEA", `
XGROUP CREATE s g $ MKSTREAM
XGROUP CREATE s g $
XGROUP CREATE s g2 0
XGROUP CREATECONSUMER s g alice
XGROUP CREATECONSUMER s g alice
XGROUP SETID s g 0
XGROUP SETID s nosuch 0
XADD s 1-1 f v
XREADGROUP GROUP g bob COUNT 1 STREAMS s >
XGROUP DELCONSUMER s g alice
XGROUP DELCONSUMER s g nobody
XGROUP DELCONSUMER s g bob
XGROUP DESTROY s g2
XGROUP DESTROY s g2
XADD s MAXLEN 1 2-1 f v
XADD s MAXLEN 1 3-1 f v
XADD s MAXLEN 5 4-1 f v
XADD s MINID 4 5-1 f v
XADD s MINID 0 6-1 f v
XADD s MAXLEN ~ 1 7-1 f v
XADD s NOMKSTREAM MAXLEN 0 8-1 f v
XLEN s
# consumers that XREADGROUP, XCLAIM and XAUTOCLAIM create
DEL s s2
XADD s 1-1 f v
XADD s 2-1 f v
XADD s2 1-1 f v
XGROUP CREATE s g 0
XGROUP CREATE s2 g $
XREADGROUP GROUP g c1 STREAMS s s2 > >
XREADGROUP GROUP g c1 STREAMS s s2 > >
XREADGROUP GROUP g c2 STREAMS s2 >
XREADGROUP GROUP g c3 STREAMS s 0
XCLAIM s g c4 0 1-1
XCLAIM s g c5 0 9-9
XCLAIM s g c4 0 2-1
XAUTOCLAIM s g c6 0 0
XAUTOCLAIM s g c7 0 9-9
XREADGROUP GROUP nosuch c8 STREAMS s >
# a blocked XREADGROUP served by a push creates its consumer then
& XREADGROUP GROUP g c9 BLOCK 0 STREAMS s2 >
XADD s2 2-1 f v
&<
`)
	keyEvents(t, "KEtn", `
XGROUP CREATE s g $ MKSTREAM
XADD s MAXLEN 0 1-1 f v
`)
}

func TestKeyspaceEventsMasksAndNew(t *testing.T) {
	keyEvents(t, "El", `
SET foo bar
LPUSH l a
DEL l
`)
	keyEvents(t, "Kg", `
SET foo bar
EXPIRE foo 100
DEL foo
LPUSH l a
LPOP l
`)
	keyEvents(t, "En", `
SET foo bar
SET foo baz
SET bar bar
LPUSH l a
RPUSH l b
SADD s a
SINTERSTORE d s
SINTERSTORE d s
DEL d
HSET h a 1
SET lazy v PXAT 1
SET lazy v2
`)
}

// With every class (A) plus n, CONFIG GET prints "AKE" (Redis's printed
// form has no n once A is complete), yet new-key events keep coming: the
// flags are what was set, not what is printed.
func TestKeyspaceEventsAllPlusNew(t *testing.T) {
	for _, flags := range []string{"KEAn", "AnE", "gAnKm"} {
		keyEvents(t, flags, `
CONFIG GET notify-keyspace-events
SET foo bar
LPUSH l a
DEL foo
`)
	}
	testkit.Diff(t, `
CONFIG SET notify-keyspace-events KEAn
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events AKEnmd
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events gAn
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events KElx
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events Q
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events ""
CONFIG GET notify-keyspace-events
`)
}

func TestKeyspaceEventsExpired(t *testing.T) {
	srv := testkit.Start(t)
	ctx := context.Background()
	c := srv.Client
	c.ConfigSet(ctx, "notify-keyspace-events", "Ex")
	sub := c.PSubscribe(ctx, "__keyevent@*__:expired")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	// The sweeper removes the key without anyone touching it.
	c.Set(ctx, "swept", "v", 50*time.Millisecond)
	m, err := sub.ReceiveMessage(ctx)
	if err != nil || m.Channel != "__keyevent@0__:expired" || m.Payload != "swept" {
		t.Fatalf("got %+v, %v", m, err)
	}
}

// TestKeyspaceEventsRandomMix runs a seeded random mix of write commands of
// every family on a few keys (errors included: wrong types leave no event)
// and compares replies and events with redis-server's.
func TestKeyspaceEventsRandomMix(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	keys := []string{"a", "b", "c"}
	k := func() string { return keys[rng.IntN(len(keys))] }
	v := func() string { return string(rune('p' + rng.IntN(4))) }
	n := func() string { return strconv.Itoa(rng.IntN(5) - 1) }
	gens := []func() string{
		func() string { return "SET " + k() + " " + v() },
		func() string { return "SET " + k() + " " + v() + " EX 100" },
		func() string { return "DEL " + k() + " " + k() },
		func() string { return "INCR " + k() },
		func() string { return "APPEND " + k() + " " + v() },
		func() string { return "LPUSH " + k() + " " + v() + " " + v() },
		func() string { return "RPOP " + k() },
		func() string { return "LREM " + k() + " 0 " + v() },
		func() string { return "LMOVE " + k() + " " + k() + " LEFT RIGHT" },
		func() string { return "LTRIM " + k() + " 1 " + n() },
		func() string { return "SADD " + k() + " " + v() + " " + v() },
		func() string { return "SREM " + k() + " " + v() },
		func() string { return "SMOVE " + k() + " " + k() + " " + v() },
		func() string { return "SUNIONSTORE " + k() + " " + k() + " " + k() },
		func() string { return "HSET " + k() + " " + v() + " 1" },
		func() string { return "HDEL " + k() + " " + v() },
		func() string { return "HINCRBY " + k() + " " + v() + " " + n() },
		func() string { return "ZADD " + k() + " " + n() + " " + v() },
		func() string { return "ZINCRBY " + k() + " " + n() + " " + v() },
		func() string { return "ZREM " + k() + " " + v() },
		func() string { return "ZPOPMIN " + k() },
		func() string { return "ZINTERSTORE " + k() + " 2 " + k() + " " + k() },
		func() string { return "ZRANGESTORE " + k() + " " + k() + " 0 " + n() },
		func() string { return "RENAME " + k() + " " + k() },
		func() string { return "COPY " + k() + " " + k() + " REPLACE" },
		func() string { return "EXPIRE " + k() + " 100" },
		func() string { return "PERSIST " + k() },
		func() string { return "PEXPIREAT " + k() + " 1" },
		func() string { return "GETDEL " + k() },
		func() string { return "SETRANGE " + k() + " 1 " + v() },
	}
	var script strings.Builder
	for i := 0; i < 300; i++ {
		script.WriteString(gens[rng.IntN(len(gens))]() + "\n")
	}
	keyEvents(t, "KEA", script.String())
}
