package server_test

import (
	"strings"
	"testing"
	"time"

	"moonstone/internal/testkit"
)

// blockCase is one blocking scenario: setup on a writer connection, the
// blocking command on a second connection, then the writer's commands
// that should (or should not) wake it. The blocked client's reply and
// every writer reply are compared between Moonstone and Redis.
type blockCase struct {
	name   string
	setup  []string
	block  string
	writes []string
	after  []string // run once the blocked reply arrived
}

func runBlockCase(t *testing.T, addr string, bc blockCase) []string {
	t.Helper()
	w, err := testkit.DialRaw(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	b, err := testkit.DialRaw(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var out []string
	do := func(c *testkit.RawConn, line string) {
		args, err := testkit.ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.Do(args...)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		out = append(out, line+" -> "+r)
	}
	do(w, "FLUSHALL")
	for _, l := range bc.setup {
		do(w, l)
	}
	args, _ := testkit.ParseLine(bc.block)
	if err := b.Send(args...); err != nil {
		t.Fatal(err)
	}
	// Wait until the server counts the client as blocked (this orders the
	// test; it asserts nothing about time).
	for i := 0; ; i++ {
		r, _ := w.Do("INFO", "clients")
		if strings.Contains(r, "blocked_clients:1") {
			break
		}
		if i > 500 {
			t.Fatalf("%s: client never blocked", bc.name)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, l := range bc.writes {
		do(w, l)
	}
	r, err := b.Read()
	if err != nil {
		t.Fatalf("%s: blocked reply: %v", bc.name, err)
	}
	out = append(out, "blocked -> "+r)
	for _, l := range bc.after {
		do(w, l)
	}
	return out
}

func TestStreamBlockingMatchesRedis(t *testing.T) {
	p := testkit.StartPair(t)
	cases := []blockCase{
		{name: "xread $ woken by xadd", setup: []string{"XADD s 1-1 a 1"},
			block: "XREAD BLOCK 0 STREAMS s $", writes: []string{"XADD s 2-1 b 2"}},
		{name: "xread on absent key", block: "XREAD BLOCK 0 STREAMS other s 0-0 $",
			writes: []string{"XADD s 2-1 b 2"}},
		{name: "xread count", setup: []string{"XADD s 1-1 a 1"},
			block:  "XREAD COUNT 1 BLOCK 0 STREAMS s 1-1",
			writes: []string{"MULTI", "XADD s 2-1 b 2", "XADD s 3-1 c 3", "EXEC"}},
		{name: "xadd then del does not wake", setup: []string{"XADD s 1-1 a 1"},
			block:  "XREAD BLOCK 0 STREAMS s $",
			writes: []string{"MULTI", "XADD s 2-1 b 2", "DEL s", "EXEC", "MULTI", "XADD s 3-1 b 2", "DEL s", "LPUSH s x", "EXEC", "DEL s", "XADD s 4-1 c 3"}},
		{name: "script wakes", setup: []string{"XADD s 1-1 a 1"},
			block: "XREAD BLOCK 0 STREAMS s $", writes: []string{`EVAL "return redis.call('XADD', KEYS[1], '7-1', 'k', 'v')" 1 s`}},
		{name: "other stream writes do not wake", setup: []string{"XADD s 1-1 a 1", "XADD s 2-1 a 1", "XDEL s 2-1"},
			block:  "XREAD BLOCK 0 STREAMS s 1-1",
			writes: []string{"XSETID s 9-9", "XDEL s 1-1", "XTRIM s MAXLEN 0", "XGROUP CREATE s g $", "XADD s 10-1 z 1"}},
		{name: "timeout", setup: []string{"XADD s 1-1 a 1"}, block: "XREAD BLOCK 20 STREAMS s $"},
		{name: "xreadgroup woken", setup: []string{"XGROUP CREATE s g $ MKSTREAM"},
			block:  "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >",
			writes: []string{"XADD s 1-1 a 1"},
			after:  []string{"XPENDING s g", "XINFO GROUPS s"}},
		{name: "xreadgroup noack", setup: []string{"XGROUP CREATE s g $ MKSTREAM"},
			block:  "XREADGROUP GROUP g alice NOACK BLOCK 0 STREAMS s >",
			writes: []string{"XADD s 1-1 a 1"},
			after:  []string{"XPENDING s g", "XINFO GROUPS s"}},
		{name: "xgroup destroy", setup: []string{"XGROUP CREATE s g $ MKSTREAM"},
			block: "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", writes: []string{"XGROUP DESTROY s g"}},
		{name: "rename brings data", setup: []string{"XGROUP CREATE s g $ MKSTREAM", "XADD t 1-1 a 1", "XGROUP CREATE t g 0"},
			block: "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", writes: []string{"RENAME t s"},
			after: []string{"XPENDING s g"}},
		{name: "rename without the group", setup: []string{"XGROUP CREATE s g $ MKSTREAM", "XADD t 1-1 a 1"},
			block: "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", writes: []string{"RENAME t s"}},
		{name: "xreadgroup key deleted", setup: []string{"XADD s 1-1 a 1", "XGROUP CREATE s g $"},
			block: "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", writes: []string{"DEL s"}},
		{name: "xreadgroup flushall", setup: []string{"XADD s 1-1 a 1", "XGROUP CREATE s g $"},
			block: "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", writes: []string{"FLUSHALL"}},
		{name: "xreadgroup flushdb", setup: []string{"XADD s 1-1 a 1", "XGROUP CREATE s g $"},
			block: "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", writes: []string{"FLUSHDB"}},
		{name: "xreadgroup key type changed in multi", setup: []string{"XADD s 1-1 a 1", "XGROUP CREATE s g $"},
			block: "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", writes: []string{"MULTI", "DEL s", "LPUSH s e", "EXEC"}},
		{name: "xreadgroup key overwritten", setup: []string{"XADD s 1-1 a 1", "XGROUP CREATE s g $"},
			block: "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", writes: []string{"SET s x"}},
	}
	for _, bc := range cases {
		ms := runBlockCase(t, p.Moonstone.Addr, bc)
		rd := runBlockCase(t, p.Redis.Addr, bc)
		if strings.Join(ms, "\n") != strings.Join(rd, "\n") {
			t.Errorf("%s:\nmoonstone:\n  %s\nredis:\n  %s", bc.name, strings.Join(ms, "\n  "), strings.Join(rd, "\n  "))
		}
	}
}
