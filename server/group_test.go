package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"moonstone/internal/testkit"
)

// pipeline sends every command in one write and reads every reply, as a
// client library's pipeline does, so that the server finds the commands
// already buffered behind each other.
func pipeline(t *testing.T, c *testkit.RawConn, cmds [][]string) []string {
	t.Helper()
	var buf strings.Builder
	for _, args := range cmds {
		fmt.Fprintf(&buf, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&buf, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	if err := c.Write([]byte(buf.String())); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(cmds))
	for i := range cmds {
		r, err := c.Read()
		if err != nil {
			t.Fatalf("reply %d (%v): %v", i, cmds[i], err)
		}
		out[i] = r
	}
	return out
}

// Pipelined writes share one transaction (group.go). Seeded random
// pipelines of writes, failing writes (wrong type, not a number, wrong
// arity) and reads in between must get, reply for reply, what Redis gives,
// and leave the same data behind.
func TestPipelinedWritesMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	ms, err := testkit.DialRaw(p.Moonstone.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	rd, err := testkit.DialRaw(p.Redis.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	rng := rand.New(rand.NewPCG(3, 9))
	keys := []string{"a", "b", "c", "h", "l", "z", "s"}
	key := func() string { return keys[rng.IntN(len(keys))] }
	val := func() string { return fmt.Sprint(rng.IntN(20)) }
	gen := []func() []string{
		func() []string { return []string{"SET", key(), val()} },
		func() []string { return []string{"SET", key(), "word"} },
		func() []string { return []string{"SETNX", key(), val()} },
		func() []string { return []string{"GETSET", key(), val()} },
		func() []string { return []string{"GETDEL", key()} },
		func() []string { return []string{"MSET", key(), val(), key(), val()} },
		func() []string { return []string{"APPEND", key(), "x"} },
		func() []string { return []string{"SETRANGE", key(), "1", "yz"} },
		func() []string { return []string{"INCR", key()} },
		func() []string { return []string{"DECRBY", key(), val()} },
		func() []string { return []string{"INCRBYFLOAT", key(), "1.5"} },
		func() []string { return []string{"HSET", key(), "f" + val(), val()} },
		func() []string { return []string{"HINCRBY", key(), "f1", "2"} },
		func() []string { return []string{"HDEL", key(), "f" + val()} },
		func() []string { return []string{"LPUSH", key(), val(), val()} },
		func() []string { return []string{"RPUSH", key(), val()} },
		func() []string { return []string{"LPOP", key()} },
		func() []string { return []string{"RPOP", key(), "2"} },
		func() []string { return []string{"LSET", key(), "0", "v"} },
		func() []string { return []string{"SADD", key(), val()} },
		func() []string { return []string{"SREM", key(), val()} },
		func() []string { return []string{"ZADD", key(), val(), "m" + val()} },
		func() []string { return []string{"ZINCRBY", key(), "2", "m1"} },
		func() []string { return []string{"ZREM", key(), "m" + val()} },
		func() []string { return []string{"DEL", key(), key()} },
		func() []string { return []string{"EXPIRE", key(), "100"} },
		func() []string { return []string{"PERSIST", key()} },
		func() []string { return []string{"SET", key()} },                 // wrong arity
		func() []string { return []string{"INCRBY", key(), "x"} },         // not a number
		func() []string { return []string{"SET", key(), "1", "EX", "0"} }, // bad expire
		// Reads and other commands end a group and must see it whole.
		func() []string { return []string{"GET", key()} },
		func() []string { return []string{"TYPE", key()} },
		func() []string { return []string{"LRANGE", key(), "0", "-1"} },
		func() []string { return []string{"ZRANGE", key(), "0", "-1", "WITHSCORES"} },
		func() []string { return []string{"SCARD", key()} },
		func() []string { return []string{"TTL", key()} },
		func() []string { return []string{"EXISTS", key(), key()} },
	}
	for round := 0; round < 60; round++ {
		cmds := make([][]string, 1+rng.IntN(100))
		for i := range cmds {
			cmds[i] = gen[rng.IntN(len(gen))]()
		}
		got, want := pipeline(t, ms, cmds), pipeline(t, rd, cmds)
		for i := range cmds {
			if got[i] != want[i] {
				t.Fatalf("round %d, command %d %v:\n  moonstone: %q\n  redis:     %q", round, i, cmds[i], got[i], want[i])
			}
		}
	}
	// The data left behind, read on another connection.
	for _, k := range keys {
		for _, cmd := range [][]string{{"TYPE", k}, {"DUMP", k}, {"TTL", k}} {
			m, r, err := p.Do(cmd...)
			if err != nil {
				t.Fatal(err)
			}
			if m != r && cmd[0] != "DUMP" {
				t.Fatalf("%v: moonstone %q, redis %q", cmd, m, r)
			}
		}
	}
	p.Run(t, `
		GET a
		GET b
		GET c
		~HGETALL h
		LRANGE l 0 -1
		ZRANGE z 0 -1 WITHSCORES
		~SMEMBERS s
	`)
}

// A pipelined write that makes a key ready for a blocked client serves it
// before the pipeline's next command runs, as Redis does after each
// command: the blocked BLPOP gets the pushed element, the LPOP right
// behind the LPUSH finds the list empty.
func TestPipelinedPushServesBlockedClientFirst(t *testing.T) {
	p := testkit.StartPair(t)
	for _, srv := range []struct {
		addr string
		ctl  *redis.Client
	}{{p.Moonstone.Addr, p.Moonstone.Client}, {p.Redis.Addr, p.Redis.Client}} {
		addr := srv.addr
		blocked, err := testkit.DialRaw(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer blocked.Close()
		if err := blocked.Send("BLPOP", "q", "10"); err != nil {
			t.Fatal(err)
		}
		waitBlocked(t, srv.ctl, 1)
		c, err := testkit.DialRaw(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		got := pipeline(t, c, [][]string{{"LPUSH", "q", "a"}, {"LPOP", "q"}, {"LPUSH", "q", "b"}, {"LRANGE", "q", "0", "-1"}})
		want := []string{":1\r\n", "$-1\r\n", ":1\r\n", "*1\r\n$1\r\nb\r\n"}
		if strings.Join(got, "") != strings.Join(want, "") {
			t.Fatalf("%s: pipeline replies %q, want %q", addr, got, want)
		}
		if r, err := blocked.Read(); err != nil || r != "*2\r\n$1\r\nq\r\n$1\r\na\r\n" {
			t.Fatalf("%s: BLPOP got %q, %v", addr, r, err)
		}
	}
}

// A group never waits for the network holding the write lock: a client
// that has sent a write and half of the next one does not keep other
// clients' writes waiting, and what it wrote is visible to them.
func TestPartialPipelineDoesNotHoldWriters(t *testing.T) {
	s := testkit.Start(t)
	slow, err := testkit.DialRaw(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	// Two whole SETs, which would share a transaction, and half a third.
	set := func(k, v string) string { return fmt.Sprintf("*3\r\n$3\r\nSET\r\n$1\r\n%s\r\n$1\r\n%s\r\n", k, v) }
	half := "*3\r\n$3\r\nSET\r\n$1\r\nc\r\n"
	if err := slow.Write([]byte(set("a", "1") + set("b", "2") + half)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if r, err := slow.Read(); err != nil || r != "+OK\r\n" {
			t.Fatalf("SET %d: %q, %v", i, r, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	other := s.NewClient()
	defer other.Close()
	if err := other.Set(ctx, "d", "4", 0).Err(); err != nil {
		t.Fatalf("another client's SET while a pipeline is half sent: %v", err)
	}
	if v, err := other.MGet(ctx, "a", "b").Result(); err != nil || fmt.Sprint(v) != "[1 2]" {
		t.Fatalf("MGET a b = %v, %v", v, err)
	}
	if err := slow.Write([]byte("$1\r\n3\r\n")); err != nil {
		t.Fatal(err)
	}
	if r, err := slow.Read(); err != nil || r != "+OK\r\n" {
		t.Fatalf("third SET: %q, %v", r, err)
	}
	if v, err := other.Get(ctx, "c").Result(); err != nil || v != "3" {
		t.Fatalf("GET c = %q, %v", v, err)
	}
}

// Replies are sent once no whole request is waiting, whatever else is
// buffered: an empty request or the start of one behind a command does not
// hold its reply back, as Redis answers at the end of each read.
func TestRepliesNotHeldBehindPartialOrEmptyRequests(t *testing.T) {
	p := testkit.StartPair(t)
	for _, addr := range []string{p.Moonstone.Addr, p.Redis.Addr} {
		c, err := testkit.DialRaw(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for _, tail := range []string{"\r\n", "*0\r\n", "*2\r\n$3\r\nGET\r\n"} {
			if err := c.Write([]byte("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$1\r\na\r\n" + tail)); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"+OK\r\n", ":2\r\n"} {
				if r, err := c.Read(); err != nil || r != want {
					t.Fatalf("%s, %q behind: got %q, %v; want %q", addr, tail, r, err, want)
				}
			}
			if strings.HasPrefix(tail, "*2") {
				// Finish the GET.
				if err := c.Write([]byte("$1\r\na\r\n")); err != nil {
					t.Fatal(err)
				}
				if r, err := c.Read(); err != nil || r != "$1\r\n2\r\n" {
					t.Fatalf("%s: GET a = %q, %v", addr, r, err)
				}
			}
		}
	}
}
