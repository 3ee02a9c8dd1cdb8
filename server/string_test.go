package server_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"moonstone/internal/testkit"
)

func TestStringsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
# GET / SET and every SET option
GET missing
SET k v
GET k
SET k v2 NX
SET k v2 XX
GET k
SET k v3 GET
SET fresh v GET
SET k v EX 100
TTL k
SET k v PX 100000
SET k v KEEPTTL
TTL k
SET k v EXAT 99999999999
EXPIRETIME k
SET k v PXAT 99999999999000
PEXPIRETIME k
SET k v EX 10 PX 10
SET k v EX 10 KEEPTTL
SET k v NX XX
SET k v EX
SET k v EX 0
SET k v EX -5
SET k v EX notanumber
SET k v PX 9223372036854775807
SET k v EX 9223372036854775807
SET k v BADOPT
SET k
SET k v NX GET
SET brandnew v NX GET
SET k v XX GET
# type errors
LPUSH alist x
GET alist
SET alist v GET
SET alist v
TYPE alist
# SETNX SETEX PSETEX GETSET GETDEL GETEX
SETNX nx 1
SETNX nx 2
GET nx
SETEX se 100 v
TTL se
SETEX se 0 v
SETEX se -1 v
SETEX se x v
PSETEX pse 100000 v
GETSET gs a
GETSET gs b
GETDEL gs
GETDEL gs
SET gx v
GETEX gx EX 100
TTL gx
GETEX gx PERSIST
TTL gx
GETEX gx PX 5000 EX 5
GETEX gx PERSIST EX 5
GETEX gx EXAT 1
EXISTS gx
GETEX nokey EX 10
GETEX gx BAD
# MGET MSET MSETNX
MSET a 1 b 2 c 3
MGET a b c nokey
MSET a
MSET a 1 b
MSETNX a 1 z 2
MSETNX y 1 z 2
MGET y z
LPUSH l1 x
MGET a l1
# APPEND STRLEN GETRANGE SETRANGE SUBSTR
APPEND ap hello
APPEND ap " world"
GET ap
STRLEN ap
STRLEN nokey
GETRANGE ap 0 4
GETRANGE ap -5 -1
GETRANGE ap 5 3
GETRANGE ap -100 100
GETRANGE ap -1 -5
GETRANGE nokey 0 -1
GETRANGE ap x 1
SUBSTR ap 0 2
SETRANGE sr 5 hi
GET sr
SETRANGE sr 0 HELLO
GET sr
SETRANGE sr -1 x
SETRANGE sr 1 ""
SETRANGE nokey2 0 ""
EXISTS nokey2
SETRANGE sr 536870912 x
APPEND l1 x
STRLEN l1
`)
}

func TestCountersMatchRedis(t *testing.T) {
	testkit.Diff(t, `
INCR n
INCR n
DECR n
INCRBY n 10
DECRBY n 3
INCRBY n -20
GET n
INCRBY n x
INCRBY n 1.5
SET n 9223372036854775806
INCR n
INCR n
SET n -9223372036854775807
DECR n
DECR n
DECRBY n -9223372036854775808
SET n " 1"
INCR n
SET n 01
INCR n
SET n +1
INCR n
SET n abc
INCR n
SET n 12345678901234567890
INCR n
SET n ""
INCR n
SET f 10.5
INCRBYFLOAT f 0.1
INCRBYFLOAT f -5
INCRBYFLOAT f 1e3
INCRBYFLOAT f 5.0e3
INCRBYFLOAT f2 1.1
INCRBYFLOAT f2 2.2
INCRBYFLOAT f3 3
INCRBYFLOAT f3 abc
INCRBYFLOAT f3 inf
INCRBYFLOAT f3 -inf
INCRBYFLOAT f3 nan
INCRBYFLOAT f3 " 1"
SET f4 1.7976931348623157e308
INCRBYFLOAT f4 1.7976931348623157e308
SET f5 abc
INCRBYFLOAT f5 1
INCRBYFLOAT f6 0.0000000000000001
INCRBYFLOAT f7 17179869184
INCRBYFLOAT f7 1.5
SET e 5
EXPIRE e 100
INCR e
TTL e
LPUSH lst a
INCR lst
INCRBYFLOAT lst 1
`)
}

// OBJECT ENCODING of a string follows the command that last wrote it, as
// in Redis: commands that edit a value in place leave it raw at any
// length, INCRBYFLOAT leaves text, and SET, INCR and RESTORE choose by
// content. The encoding survives a restart, and RENAME, COPY and expiry
// changes keep it.
func TestStringEncodingFollowsTheLastWrite(t *testing.T) {
	p := testkit.StartPair(t)
	script := `
SET k 1234
OBJECT ENCODING k
SETRANGE k 0 2
OBJECT ENCODING k
GET k
SET k 1234
SETRANGE k 0 ""
OBJECT ENCODING k
SETRANGE k 5 2
OBJECT ENCODING k
SETRANGE new 0 12
OBJECT ENCODING new
APPEND a 12
OBJECT ENCODING a
OBJECT REFCOUNT a
APPEND a 3
OBJECT ENCODING a
OBJECT REFCOUNT a
APPEND a ""
OBJECT ENCODING a
INCR a
OBJECT ENCODING a
APPEND a x
INCRBYFLOAT f 3
OBJECT ENCODING f
OBJECT REFCOUNT f
INCRBYFLOAT f 0.5
OBJECT ENCODING f
INCR k2
SETBIT k2 1 1
OBJECT ENCODING k2
SETBIT b 7 1
OBJECT ENCODING b
BITOP OR dst b k2
OBJECT ENCODING dst
BITFIELD bf SET u8 0 1
OBJECT ENCODING bf
SET bg ab
BITFIELD bg GET u8 0
OBJECT ENCODING bg
PFADD h x
OBJECT ENCODING h
SET s abc
APPEND s d
EXPIRE s 100
OBJECT ENCODING s
PERSIST s
GETEX s EX 50
OBJECT ENCODING s
COPY s s2
OBJECT ENCODING s2
RENAME s2 s3
OBJECT ENCODING s3
SET s3 abcd
OBJECT ENCODING s3
EVAL "redis.call('set', KEYS[1], '7'); redis.call('append', KEYS[1], '8'); return redis.call('object', 'encoding', KEYS[1])" 1 lua
`
	p.Run(t, script)
	// RESTORE chooses by content again, as Redis's load does.
	dump, _, err := p.Do("DUMP", "a")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(dump, "$") {
		t.Fatalf("DUMP a: %q", dump)
	}
	payload := dump[strings.Index(dump, "\r\n")+2 : len(dump)-2]
	for _, args := range [][]string{{"RESTORE", "r", "0", payload}, {"OBJECT", "ENCODING", "r"}} {
		m, r, err := p.Do(args...)
		if err != nil {
			t.Fatal(err)
		}
		if m != r {
			t.Errorf("%s: moonstone %q, redis %q", args[0], m, r)
		}
	}
	p.RestartMoonstone(t)
	for _, key := range []string{"k", "new", "a", "f", "k2", "b", "dst", "bf", "bg", "h", "s", "s3", "lua", "r"} {
		m, r, err := p.Do("OBJECT", "ENCODING", key)
		if err != nil {
			t.Fatal(err)
		}
		if m != r {
			t.Errorf("after a restart, OBJECT ENCODING %s: moonstone %q, redis %q", key, m, r)
		}
	}
}

// A SET over a long string (past the row cache's 4 KB, whose old value
// Moonstone does not fetch: it keeps the string's header alone) honours
// what that header holds, the expiry and the key's existence, as Redis
// does, through every SET option, expiry, type checks and scripts.
func TestSetOverLongStringsMatchesRedis(t *testing.T) {
	p := testkit.StartPair(t)
	a, b, c := strings.Repeat("a", 5000), strings.Repeat("b", 6000), strings.Repeat("c", 5000)
	steps := [][]string{
		{"SET", "k", a}, {"SET", "k", b}, {"GET", "k"},
		{"SET", "k", a, "EX", "100"}, {"TTL", "k"}, {"SET", "k", c}, {"TTL", "k"},
		{"SET", "k", a, "EX", "100"}, {"SET", "k", b, "KEEPTTL"}, {"TTL", "k"},
		{"SET", "k", a, "EX", "100"}, {"EXPIRE", "k", "200"}, {"SET", "k", b, "KEEPTTL"}, {"TTL", "k"},
		{"SET", "k", c, "GET"}, {"GET", "k"}, {"SET", "k", a, "NX"}, {"SET", "k", a, "XX"}, {"DBSIZE"},
		{"APPEND", "k", "xyz"}, {"STRLEN", "k"}, {"SET", "k", b}, {"OBJECT", "ENCODING", "k"}, {"STRLEN", "k"},
		{"SET", "k", b, "PX", "100"}, {"sleep"}, {"SET", "k", c, "NX"}, {"GET", "k"}, {"DBSIZE"},
		{"SET", "k", a, "PX", "100"}, {"sleep"}, {"SET", "k", b, "XX"}, {"EXISTS", "k"}, {"DBSIZE"},
		{"SET", "k", a}, {"LPUSH", "k", "x"}, {"SET", "k", b}, {"DEL", "k"}, {"SET", "k", c, "XX"}, {"EXISTS", "k"},
		{"SET", "k", a}, {"SET", "k", b, "EXAT", "1"}, {"EXISTS", "k"}, {"DBSIZE"},
		{"SET", "k", a}, {"SET", "k", b},
		{"EVAL", "redis.call('SET', KEYS[1], string.rep('d', 5000), 'EX', 100) " +
			"redis.call('SET', KEYS[1], string.rep('e', 5001), 'KEEPTTL') " +
			"local ttl = redis.call('TTL', KEYS[1]) redis.call('SET', KEYS[1], string.rep('f', 5002)) " +
			"return {ttl, redis.call('TTL', KEYS[1]), redis.call('STRLEN', KEYS[1])}", "1", "k"},
		{"SET", "k", c}, {"GET", "k"}, {"TTL", "k"},
		{"SET", "k", a, "EXAT", "4102444800"}, {"SET", "k", b, "KEEPTTL"}, {"EXPIRETIME", "k"}, {"TYPE", "k"},
		{"EXISTS", "k", "k"}, {"PERSIST", "k"}, {"EXPIRETIME", "k"}, {"GET", "k"}, {"UNLINK", "k"}, {"TYPE", "k"},
		{"SET", "k", a}, {"SET", "k", c}, {"DEL", "k"}, {"GET", "k"}, {"DBSIZE"},
	}
	for i, step := range steps {
		if step[0] == "sleep" {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		ms, rd, err := p.Do(step...)
		if err != nil {
			t.Fatalf("step %d %.40q: %v", i, step, err)
		}
		if ms != rd {
			t.Fatalf("step %d %.40q: moonstone %.80q, redis %.80q", i, step, ms, rd)
		}
	}
}

// GETs and MGETs of large values, which a point read replies to straight
// from Pebble's memory, return whole values, each one that was written, while
// other clients overwrite the keys and flushes and compactions move them.
// The block cache is tiny, so that its memory is soon reused: a value
// read after its buffer went back (a view released before the reply was
// written) shows as another value's bytes in three runs of four.
func TestLargeValuesReadWholeDuringOverwrites(t *testing.T) {
	s := testkit.Start(t, "memtable-size", "1mb", "cache-size", "1mb")
	value := func(key string, version int) string {
		head := fmt.Sprintf("%s:%d:", key, version)
		return head + strings.Repeat(string(rune('a'+version%26)), 70000-len(head))
	}
	const keys = 20
	ctx := context.Background()
	for k := range keys {
		if err := s.Client.Set(ctx, fmt.Sprint("big", k), value(fmt.Sprint("big", k), 0), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // the writer
		defer wg.Done()
		c := s.NewClient()
		defer c.Close()
		for v := 1; ; v++ {
			select {
			case <-stop:
				return
			default:
			}
			key := fmt.Sprint("big", v%keys)
			if err := c.Set(ctx, key, value(key, v), 0).Err(); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var readers sync.WaitGroup
	for r := range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			c := s.NewClient()
			defer c.Close()
			for i := range 1000 {
				// GET, or an MGET of two keys every other time.
				ks := []string{fmt.Sprint("big", (r*7+i)%keys)}
				var got []any
				if i%2 == 0 {
					v, err := c.Get(ctx, ks[0]).Result()
					if err != nil {
						t.Error(err)
						return
					}
					got = []any{v}
				} else {
					ks = append(ks, fmt.Sprint("big", (r*7+i+1)%keys))
					var err error
					if got, err = c.MGet(ctx, ks...).Result(); err != nil {
						t.Error(err)
						return
					}
				}
				for j, key := range ks {
					v, _ := got[j].(string)
					head := strings.SplitN(v, ":", 3)
					version := -1
					if len(head) == 3 {
						version, _ = strconv.Atoi(head[1])
					}
					if head[0] != key || v != value(key, version) {
						t.Errorf("%s: %d bytes starting %.40q, not a value written to it", key, len(v), v)
						return
					}
				}
			}
		}()
	}
	readers.Wait()
	close(stop)
	wg.Wait()
}
