package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"moonstone/internal/testkit"
)

// Stream scripts use explicit ids (auto ids depend on the clock).

func TestStreamBasicsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
# XADD: ids, errors, arity
XADD s 1-1 a 1
XADD s 1-1 a 1
XADD s 1-0 a 1
XADD s 1-* b 2
XADD s 2-* c 3
XADD s 5 d 4 e 5
XADD s 0-0 a 1
XADD fresh 0-0 a 1
EXISTS fresh
XADD fresh 0-* a 1
XADD s
XADD s 9-1
XADD s 9-1 a
XADD s 9-1 a 1 b
XADD s bad a 1
XADD s 9-x a 1
XADD s - a 1
XADD s + a 1
XADD s 1-2-3 a 1
XADD s -1 a 1
XADD s 18446744073709551616 a 1
XADD s 10-18446744073709551615 a 1
XADD s 10-* a 1
XADD n NOMKSTREAM 1-1 a 1
EXISTS n
XADD n nomkstream * a 1
XADD s NOMKSTREAM 11-1 f v
SET str x
XADD str 1-1 a 1
XADD str NOMKSTREAM 1-1 a 1
TYPE s
OBJECT ENCODING s
# XLEN
XLEN s
XLEN missing
XLEN str
XLEN
# XRANGE / XREVRANGE
XRANGE s - +
XRANGE s - + COUNT 2
XRANGE s - + COUNT 0
XRANGE s - + COUNT -1
XRANGE missing - + COUNT 0
XRANGE s 1 1
XRANGE s 1-1 2
XRANGE s (1-1 +
XRANGE s - (5-0
XRANGE s (- +
XRANGE s - (+
XRANGE s (18446744073709551615-18446744073709551615 +
XRANGE s - (0-0
XRANGE s + -
XRANGE s x +
XRANGE s - + COUNT
XRANGE s - + COUNT x
XRANGE s - + FOO 1
XRANGE str - +
XREVRANGE s + -
XREVRANGE s + - COUNT 1
XREVRANGE s (5 (1-1
XREVRANGE s - +
XREVRANGE missing + -
XREVRANGE str + -
# XDEL
XDEL s 1-1 1-1 999-0
XDEL s bad
XDEL missing bad
XDEL str 1-1
XDEL s -
XRANGE s - +
XLEN s
XDEL s 1-2 2-0 5-0 10-18446744073709551615 11-1
XLEN s
EXISTS s
XRANGE s - +
XADD s 3-0 a 1
XADD s 12-0 a 1
XRANGE s - +
`)
}

func TestStreamTrimMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
CONFIG SET stream-node-max-entries 10
# 100 entries: ten nodes
EVAL "for i=1,100 do redis.call('XADD', KEYS[1], i..'-1', 'f', i) end return 1" 1 s
XLEN s
XINFO STREAM s
XTRIM s MAXLEN ~ 95
XLEN s
XTRIM s MAXLEN ~ 85
XLEN s
XTRIM s MAXLEN = 83
XLEN s
XTRIM s MAXLEN ~ 75
XLEN s
XTRIM s MAXLEN 75
XTRIM s MINID ~ 35
XLEN s
XTRIM s MINID 35-1
XRANGE s - + COUNT 2
XTRIM s MINID = 40
XRANGE s - + COUNT 1
XTRIM s MAXLEN ~ 0 LIMIT 5
XTRIM s MAXLEN ~ 0 LIMIT 10
XLEN s
XINFO STREAM s
XTRIM s MAXLEN 1 LIMIT 10
XTRIM s MAXLEN -1
XTRIM s MAXLEN x
XTRIM s LIMIT 10
XTRIM s
XTRIM s MAXLEN 1 MINID 1
XTRIM s MINID bad
XTRIM s MINID -
XTRIM s MAXLEN ~ 1 LIMIT -1
XTRIM s FOO 1
XTRIM missing MAXLEN 0
XTRIM missing MAXLEN x
SET str x
XTRIM str MAXLEN 0
# XADD with trimming
XADD s MAXLEN 3 200-1 f v
XLEN s
XADD s MAXLEN = 2 MINID 1 201-1 f v
XADD s MINID = 201 202-1 f v
XRANGE s - +
XADD s LIMIT 10 203-1 f v
XADD s LIMIT 0 203-1 f v
XADD s MAXLEN 1 LIMIT 10 204-1 f v
XADD s MAXLEN ~ 1 LIMIT 10 205-1 f v
XADD s MAXLEN 0 206-1 f v
XLEN s
EXISTS s
XINFO STREAM s
XADD s MAXLEN ~ 0 300-1 f v
XADD s MAXLEN
XADD s MAXLEN ~
XADD s MAXLEN ~ 5
XADD s NOMKSTREAM
XADD s MINID ~ 5
# XDEL interplay with nodes
DEL s
EVAL "for i=1,30 do redis.call('XADD', KEYS[1], i..'-1', 'f', i) end return 1" 1 s
XDEL s 1-1 2-1 3-1 4-1 5-1 6-1 7-1 8-1 9-1 10-1
XINFO STREAM s
XTRIM s MAXLEN ~ 15
XLEN s
XDEL s 15-1
XTRIM s MAXLEN ~ 5
XLEN s
XINFO STREAM s
`)
}

func TestStreamSetIDMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
XSETID missing 1-1
XADD s 5-5 a 1
XSETID s 5-4
XSETID s 5-5
XSETID s 6
XSETID s 7-1 ENTRIESADDED 0
XSETID s 7-1 ENTRIESADDED -1
XSETID s 7-1 ENTRIESADDED x
XSETID s 7-1 ENTRIESADDED 9 MAXDELETEDID 8-0
XSETID s 7-1 ENTRIESADDED 9 MAXDELETEDID 3-0
XSETID s 7-1 FOO
XSETID s bad
XSETID s -
XINFO STREAM s
XADD s 7-1 a 1
XADD s 7-2 a 1
XDEL s 5-5 7-2
XSETID s 1-1
XINFO STREAM s
SET str x
XSETID str 1-1
`)
}

func TestStreamGroupsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
XGROUP HELP
XGROUP help extra
XGROUP CREATE missing g $
XGROUP CREATE missing g $ MKSTREAM
TYPE missing
XLEN missing
XGROUP CREATE missing g $ MKSTREAM
XGROUP CREATE s g 0
XADD s 1-1 a 1
XADD s 2-1 b 2
XADD s 3-1 c 3
XGROUP CREATE s g 0
XGROUP CREATE s g 0
XGROUP CREATE s g2 $
XGROUP CREATE s g3 bad
XGROUP CREATE s g3 -
XGROUP CREATE s g3 0 ENTRIESREAD -2
XGROUP CREATE s g3 0 ENTRIESREAD x
XGROUP CREATE s g3 0 ENTRIESREAD 1
XGROUP CREATE s g4 0 FOO
XGROUP CREATE s g4 0 MKSTREAM ENTRIESREAD 0 MKSTREAM
XGROUP CREATE s g5 0 MKSTREAM MKSTREAM MKSTREAM MKSTREAM
XGROUP CREATE s
XGROUP SETID s nogroup 0
XGROUP SETID s g3 +
XGROUP SETID s g3 - ENTRIESREAD 3
XGROUP SETID s g3 1-1 MKSTREAM
XGROUP SETID s g3 $ ENTRIESREAD
XGROUP SETID s g3 bad
XGROUP SETID missing2 g 0
XGROUP DESTROY s g4
XGROUP DESTROY s g4
XGROUP DESTROY missing2 g4
XGROUP CREATECONSUMER s g alice
XGROUP CREATECONSUMER s g alice
XGROUP CREATECONSUMER s nogroup alice
XGROUP DELCONSUMER s g bob
XGROUP DELCONSUMER s nogroup bob
XGROUP FOO s g
XGROUP DESTROY s g extra
XGROUP CREATECONSUMER s g alice extra
SET str x
XGROUP CREATE str g 0
XGROUP CREATE str g 0 MKSTREAM
XGROUP DESTROY str g
XINFO GROUPS s
# XREADGROUP
XREADGROUP GROUP g alice COUNT 1 STREAMS s >
XREADGROUP GROUP g alice STREAMS s >
XREADGROUP GROUP g alice STREAMS s >
XREADGROUP GROUP g bob STREAMS s 0
XREADGROUP GROUP g alice STREAMS s 0
XREADGROUP GROUP g alice COUNT 2 STREAMS s 0
XREADGROUP GROUP g alice STREAMS s 1-1
XREADGROUP GROUP g alice STREAMS s $
XREADGROUP GROUP nogroup alice STREAMS s >
XREADGROUP GROUP g alice STREAMS missing >
XREADGROUP GROUP g alice STREAMS str >
XREADGROUP GROUP g alice STREAMS s
XREADGROUP GROUP g alice STREAMS s > s
XREADGROUP STREAMS s >
XREADGROUP GROUP g alice NOACK FOO STREAMS s >
XREADGROUP GROUP g alice STREAMS s bad
XREAD GROUP g alice STREAMS s >
XREAD NOACK STREAMS s 0
XREAD STREAMS s >
XADD s 4-1 d 4
XREADGROUP GROUP g bob NOACK STREAMS s >
XADD s 5-1 e 5
XREADGROUP GROUP g2 bob STREAMS s > s >
XINFO GROUPS s
XINFO STREAM s
# XPENDING summary and range (no idle times)
XPENDING s g
XPENDING s g2
XPENDING s nogroup
XPENDING missing g
XPENDING str g
XPENDING s g - +
XPENDING s g IDLE 3600000 - + 10 alice extra
XPENDING s g - + x
XPENDING s g IDLE x - + 10
XPENDING s g IDLE 10 - +
XPENDING s g bad + 10
XPENDING s g - bad 10
XPENDING s g (- + 10
XPENDING s g - + 0
XPENDING s g - + -1
XPENDING s g - + 10 nobody
# XACK
XACK s g 1-1 1-1 9-9
XACK s g bad
XACK s nogroup bad
XACK missing g bad
XACK str g 1-1
XPENDING s g
XACK s g 2-1 3-1
XPENDING s g
XPENDING s g2
# DELCONSUMER drops the consumer's pending entries
XGROUP DELCONSUMER s g2 bob
XPENDING s g2
XINFO GROUPS s
# XDEL of delivered entries: history shows nulls
XREADGROUP GROUP g carol STREAMS s 0
XGROUP SETID s g 0
XREADGROUP GROUP g carol STREAMS s >
XDEL s 2-1
XREADGROUP GROUP g carol STREAMS s 0
XINFO GROUPS s
XGROUP DESTROY s g
XINFO GROUPS s
XINFO STREAM s
`)
}

func TestStreamClaimMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
XADD s 1-1 a 1
XADD s 2-1 b 2
XADD s 3-1 c 3
XADD s 4-1 d 4
XGROUP CREATE s g 0
XREADGROUP GROUP g alice STREAMS s >
# XCLAIM (JUSTID and RETRYCOUNT keep counts comparable)
XCLAIM s g bob 0 1-1 JUSTID
XCLAIM s g bob 0 1-1 2-1
XCLAIM s g bob 0 9-9 FORCE
XCLAIM s g bob 3600000 3-1
XCLAIM s g bob 0 3-1 RETRYCOUNT 7 JUSTID
XCLAIM s g bob x 3-1
XCLAIM s g bob 0 3-1 IDLE x
XCLAIM s g bob 0 3-1 TIME x
XCLAIM s g bob 0 3-1 RETRYCOUNT x
XCLAIM s g bob 0 3-1 LASTID x
XCLAIM s g bob 0 3-1 FOO
XCLAIM s g bob 0 bad
XCLAIM s nogroup bob 0 1-1
XCLAIM missing g bob 0 1-1
SET str x
XCLAIM str g bob 0 1-1
XCLAIM s g bob 0 3-1 IDLE
XPENDING s g
XDEL s 4-1
XCLAIM s g bob 0 4-1
XPENDING s g
XADD s 5-1 e 5
XCLAIM s g carol 0 5-1 FORCE RETRYCOUNT 3 JUSTID
XCLAIM s g carol 0 5-1 LASTID 10-0 JUSTID
XINFO GROUPS s
XPENDING s g
# XAUTOCLAIM
XAUTOCLAIM s g dave 0 0 COUNT 1 JUSTID
XAUTOCLAIM s g dave 0 0 COUNT 2
XAUTOCLAIM s g dave 0 (1-1 JUSTID
XAUTOCLAIM s g dave 3600000 0
XAUTOCLAIM s g dave 0 0 COUNT 0
XAUTOCLAIM s g dave 0 0 COUNT x
XAUTOCLAIM s g dave 0 0 COUNT 1152921504606846976
XAUTOCLAIM s g dave 0 0 FOO
XAUTOCLAIM s g dave x 0
XAUTOCLAIM s g dave 0 bad
XAUTOCLAIM s g dave 0 (18446744073709551615-18446744073709551615
XAUTOCLAIM s nogroup dave 0 0
XAUTOCLAIM missing g dave 0 0
XAUTOCLAIM str g dave 0 0
XDEL s 2-1 3-1
XAUTOCLAIM s g erin 0 0 JUSTID
XPENDING s g
XAUTOCLAIM s g erin 0 0 COUNT 1
XPENDING s g IDLE 3600000 - + 10 erin
`)
}

// TestStreamRandomizedMatchesRedis runs a seeded mix of XADD (with every
// trimming form), XDEL, XTRIM, XRANGE, XREVRANGE, XREAD, XLEN and XINFO on
// a few keys, with small nodes so that approximate trimming crosses many,
// and compares every reply with Redis's.
func TestStreamRandomizedMatchesRedis(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	keys := []string{"s1", "s2", "s3"}
	last := map[string]uint64{}
	var script strings.Builder
	script.WriteString("CONFIG SET stream-node-max-entries 7\nCONFIG SET stream-node-max-bytes 300\nSET str x\n")
	id := func(k string) string {
		// Mostly ids past the top, sometimes at or below it (errors).
		ms := last[k] + uint64(rng.IntN(3))
		if rng.IntN(10) == 0 && ms > 2 {
			ms -= 2
		}
		switch rng.IntN(4) {
		case 0:
			return fmt.Sprintf("%d-*", ms)
		case 1:
			return fmt.Sprint(ms)
		}
		return fmt.Sprintf("%d-%d", ms, rng.IntN(3))
	}
	anyID := func(k string) string {
		return fmt.Sprintf("%d-%d", rng.Uint64N(last[k]+2), rng.IntN(3))
	}
	bound := func(k string) string {
		switch rng.IntN(6) {
		case 0:
			return "-"
		case 1:
			return "+"
		case 2:
			return "(" + anyID(k)
		case 3:
			return fmt.Sprint(rng.Uint64N(last[k] + 2))
		}
		return anyID(k)
	}
	trim := func(k string) string {
		op := []string{"", "= ", "~ "}[rng.IntN(3)]
		var s string
		if rng.IntN(2) == 0 {
			s = fmt.Sprintf("MAXLEN %s%d", op, rng.IntN(40))
		} else {
			s = fmt.Sprintf("MINID %s%s", op, anyID(k))
		}
		if op == "~ " && rng.IntN(3) == 0 {
			s += fmt.Sprintf(" LIMIT %d", rng.IntN(20))
		}
		return s
	}
	for i := 0; i < 1500; i++ {
		k := keys[rng.IntN(len(keys))]
		if rng.IntN(50) == 0 {
			k = "str"
		}
		var line string
		switch rng.IntN(14) {
		case 0, 1, 2, 3, 4:
			opts := ""
			if rng.IntN(4) == 0 {
				opts = trim(k) + " "
			}
			fields := ""
			for j := rng.IntN(3) + 1; j > 0; j-- {
				fields += fmt.Sprintf(" f%d %s", rng.IntN(4), strings.Repeat("v", rng.IntN(60)))
			}
			line = fmt.Sprintf("XADD %s %s%s%s", k, opts, id(k), fields)
			last[k] += uint64(rng.IntN(2))
		case 5:
			line = fmt.Sprintf("XDEL %s %s %s", k, anyID(k), anyID(k))
		case 6:
			line = fmt.Sprintf("XTRIM %s %s", k, trim(k))
		case 7, 8:
			line = fmt.Sprintf("XRANGE %s %s %s", k, bound(k), bound(k))
			if rng.IntN(2) == 0 {
				line += fmt.Sprintf(" COUNT %d", rng.IntN(6))
			}
		case 9:
			line = fmt.Sprintf("XREVRANGE %s %s %s COUNT %d", k, bound(k), bound(k), rng.IntN(6)+1)
		case 10:
			line = fmt.Sprintf("XREAD COUNT %d STREAMS %s %s %s %s", rng.IntN(4), k, keys[rng.IntN(3)], anyID(k), anyID(k))
		case 11:
			line = "XLEN " + k
		case 12:
			line = "XINFO STREAM " + k
		case 13:
			line = fmt.Sprintf("XINFO STREAM %s FULL COUNT %d", k, rng.IntN(4))
		}
		script.WriteString(line + "\n")
	}
	testkit.Diff(t, script.String())
}

// Key commands work on streams through their metadata; COPY copies
// entries, groups, consumers and pending entries.
func TestStreamKeyCommandsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
XADD s 1-1 a 1
XADD s 2-1 b 2
XGROUP CREATE s g 0
XREADGROUP GROUP g alice COUNT 1 STREAMS s >
COPY s c
XRANGE c - +
XINFO GROUPS c
XPENDING c g
XREADGROUP GROUP g alice STREAMS c >
XPENDING s g
XACK c g 1-1 2-1
XPENDING s g
XINFO STREAM c
RENAME c d
XINFO GROUPS d
EXISTS c
EXPIRE d 100
TTL d
PERSIST d
DEL d
EXISTS d
XINFO GROUPS d
XADD d 1-1 x y
XINFO GROUPS d
TYPE s
OBJECT ENCODING s
COPY s s2 DB 1
SELECT 1
XRANGE s2 - +
XINFO GROUPS s2
SELECT 0
MOVE s 1
SELECT 1
XLEN s
XPENDING s g
`)
}

// Idle times and delivery timestamps differ between two servers; these
// replies are checked for shape and plausible values instead.
func TestStreamTimedRepliesShape(t *testing.T) {
	ctx := context.Background()
	s := testkit.Start(t)
	rc := s.Client
	before := time.Now().UnixMilli()
	for _, id := range []string{"1-1", "2-1", "3-1"} {
		if err := rc.Do(ctx, "XADD", "s", id, "f", "v").Err(); err != nil {
			t.Fatal(err)
		}
	}
	rc.Do(ctx, "XGROUP", "CREATE", "s", "g", "0")
	rc.Do(ctx, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">")
	rc.Do(ctx, "XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">")
	after := time.Now().UnixMilli()

	pend, err := rc.Do(ctx, "XPENDING", "s", "g", "-", "+", "10").Slice()
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]any{{"1-1", "alice"}, {"2-1", "alice"}, {"3-1", "bob"}}
	if len(pend) != len(want) {
		t.Fatalf("XPENDING: %v", pend)
	}
	for i, p := range pend {
		e := p.([]any)
		if e[0] != want[i][0] || e[1] != want[i][1] || e[2].(int64) < 0 || e[2].(int64) > after-before+1000 || e[3].(int64) != 1 {
			t.Errorf("XPENDING entry %d: %v", i, e)
		}
	}
	// IDLE filters by idle time: nothing has been idle for an hour.
	if n, _ := rc.Do(ctx, "XPENDING", "s", "g", "IDLE", "3600000", "-", "+", "10").Slice(); len(n) != 0 {
		t.Errorf("XPENDING IDLE 3600000: %v", n)
	}
	// XCLAIM with IDLE sets the idle time it reports.
	if err := rc.Do(ctx, "XCLAIM", "s", "g", "carol", "0", "1-1", "IDLE", "500000", "JUSTID").Err(); err != nil {
		t.Fatal(err)
	}
	pend, _ = rc.Do(ctx, "XPENDING", "s", "g", "IDLE", "400000", "-", "+", "10").Slice()
	if len(pend) != 1 || pend[0].([]any)[0] != "1-1" || pend[0].([]any)[1] != "carol" || pend[0].([]any)[2].(int64) < 500000 {
		t.Errorf("XPENDING after XCLAIM IDLE: %v", pend)
	}

	cons, err := rc.Do(ctx, "XINFO", "CONSUMERS", "s", "g").Slice()
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"alice", "bob", "carol"}
	pendings := []int64{1, 1, 1}
	if len(cons) != 3 {
		t.Fatalf("XINFO CONSUMERS: %v", cons)
	}
	for i, c := range cons {
		m := flatMap(c)
		if m["name"] != names[i] || m["pending"] != pendings[i] || m["idle"].(int64) < 0 {
			t.Errorf("consumer %d: %v", i, m)
		}
	}

	full, err := rc.Do(ctx, "XINFO", "STREAM", "s", "FULL").Result()
	if err != nil {
		t.Fatal(err)
	}
	fm := flatMap(full)
	if fm["length"] != int64(3) || len(fm["entries"].([]any)) != 3 {
		t.Errorf("XINFO STREAM FULL: %v", fm)
	}
	groups := fm["groups"].([]any)
	g := flatMap(groups[0])
	if g["name"] != "g" || g["pel-count"] != int64(3) || g["entries-read"] != int64(3) || g["lag"] != int64(0) {
		t.Errorf("group: %v", g)
	}
	for _, p := range g["pending"].([]any) {
		e := p.([]any)
		if dt := e[2].(int64); dt < before-600000 || dt > time.Now().UnixMilli() {
			t.Errorf("delivery time %d outside [%d, now]", dt, before-600000)
		}
	}
	for _, c := range g["consumers"].([]any) {
		cm := flatMap(c)
		if st := cm["seen-time"].(int64); st < before || st > time.Now().UnixMilli() {
			t.Errorf("seen-time %d outside [%d, now]", st, before)
		}
		if cm["pel-count"] != int64(1) || len(cm["pending"].([]any)) != 1 {
			t.Errorf("consumer: %v", cm)
		}
	}
}

// Streams, groups and pending entries survive a restart.
func TestStreamPersistsAcrossRestart(t *testing.T) {
	ctx := context.Background()
	s := testkit.Start(t)
	for _, cmd := range [][]any{
		{"XADD", "s", "1-1", "a", "1"}, {"XADD", "s", "2-1", "b", "2"},
		{"XGROUP", "CREATE", "s", "g", "0"},
		{"XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"},
	} {
		if err := s.Client.Do(ctx, cmd...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	s.Restart(t)
	got, err := s.Client.Do(ctx, "XPENDING", "s", "g").Slice()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[1 1-1 1-1 [[alice 1]]]" {
		t.Errorf("XPENDING after restart: %v", got)
	}
	got, err = s.Client.Do(ctx, "XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">").Slice()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[[s [[2-1 [b 2]]]]]" {
		t.Errorf("XREADGROUP after restart: %v", got)
	}
}

func TestStreamBlockOptionsWithoutBlockingMatchRedis(t *testing.T) {
	testkit.Diff(t, `
XADD s 1-1 a 1
XREAD BLOCK x STREAMS s 0
XREAD BLOCK -1 STREAMS s 0
XREAD BLOCK 9223372036854775807 STREAMS s 0
XREAD BLOCK 0 STREAMS s 0
XREAD COUNT 1 BLOCK 10 STREAMS s 0
XREAD STREAMS s $
XREAD STREAMS s missing 0 0
XREAD COUNT -5 STREAMS s 0
XREAD COUNT x STREAMS s 0
XREAD STREAMS
XREAD FOO STREAMS s 0
XREAD STREAMS s str 0 0
SET str x
XREAD STREAMS s str 0 0
XREAD STREAMS s str bad 0
XREAD STREAMS s str 0 bad
MULTI
XREAD BLOCK 0 STREAMS s $
XREADGROUP GROUP g c BLOCK 0 STREAMS s >
EXEC
XGROUP CREATE s g $
MULTI
XREADGROUP GROUP g c BLOCK 0 STREAMS s >
EXEC
EVAL "return redis.call('XREAD', 'BLOCK', 0, 'STREAMS', 's', '$')" 0
EVAL "return redis.pcall('xreadgroup', 'GROUP', 'g', 'c', 'BLOCK', 0, 'STREAMS', 's', '>')" 0
EVAL "return redis.call('XREAD', 'STREAMS', 's', '0')" 0
`)
}

// flatMap reads a RESP2 map reply (a flat array of keys and values).
func flatMap(v any) map[any]any {
	a := v.([]any)
	m := make(map[any]any, len(a)/2)
	for i := 0; i+1 < len(a); i += 2 {
		m[a[i]] = a[i+1]
	}
	return m
}

func TestStreamInfoErrorsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
XINFO HELP
XINFO help extra
XINFO
XINFO FOO s
XINFO STREAM missing
XINFO STREAM missing FOO
XINFO GROUPS missing
XINFO CONSUMERS missing g
XADD s 1-1 a 1
XINFO STREAM s FOO
XINFO STREAM s FULL COUNT
XINFO STREAM s FULL COUNT x
XINFO STREAM s FULL LIMIT 1
XINFO STREAM s FULL COUNT -1
XINFO STREAM s FULL COUNT 0
XINFO STREAM s full
XINFO CONSUMERS s nogroup
XINFO CONSUMERS s
XINFO GROUPS s extra
XINFO GROUPS s
SET str x
XINFO STREAM str
XINFO GROUPS str
XINFO CONSUMERS str g
XGROUP CREATECONSUMER str g c
XGROUP DELCONSUMER missing g c
XGROUP SETID str g 0
XGROUP CREATE s g 0 ENTRIESREAD 5
XINFO GROUPS s
XGROUP SETID s g 1-1 ENTRIESREAD 1
XINFO GROUPS s
XINFO STREAM s FULL COUNT 1
XGROUP CREATECONSUMER s g c
XADD e 1-1 a 1
XDEL e 1-1
XINFO STREAM e
XINFO STREAM e FULL
`)
}

// TestStreamGroupsRandomizedMatchesRedis mixes stream writes with consumer
// group commands whose replies carry no times: entries-read, lag, PEL and
// consumer counts must follow Redis's through XDEL, XTRIM and SETID.
func TestStreamGroupsRandomizedMatchesRedis(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	var script strings.Builder
	script.WriteString("CONFIG SET stream-node-max-entries 4\n")
	var top uint64
	anyID := func() string { return fmt.Sprintf("%d-0", rng.Uint64N(top+3)) }
	groups := []string{"g1", "g2"}
	consumers := []string{"c1", "c2", "c3"}
	g := func() string { return groups[rng.IntN(2)] }
	c := func() string { return consumers[rng.IntN(3)] }
	for i := 0; i < 1200; i++ {
		var line string
		switch rng.IntN(20) {
		case 0, 1, 2, 3, 4:
			top++
			line = fmt.Sprintf("XADD s %d-0 f %d", top, i)
		case 5:
			line = fmt.Sprintf("XDEL s %s", anyID())
		case 6:
			line = fmt.Sprintf("XTRIM s MAXLEN %s%d", []string{"", "~ "}[rng.IntN(2)], rng.IntN(20)+5)
		case 7:
			id := anyID()
			if rng.IntN(3) == 0 {
				id = "$"
			}
			line = fmt.Sprintf("XGROUP CREATE s %s %s MKSTREAM", g(), id)
		case 8:
			line = fmt.Sprintf("XGROUP SETID s %s %s", g(), anyID())
			if rng.IntN(2) == 0 {
				line += fmt.Sprintf(" ENTRIESREAD %d", rng.IntN(int(top)+2))
			}
		case 9, 10, 11:
			line = fmt.Sprintf("XREADGROUP GROUP %s %s COUNT %d STREAMS s >", g(), c(), rng.IntN(4)+1)
			if rng.IntN(5) == 0 {
				line = fmt.Sprintf("XREADGROUP GROUP %s %s NOACK COUNT 2 STREAMS s >", g(), c())
			}
		case 12:
			line = fmt.Sprintf("XREADGROUP GROUP %s %s COUNT 3 STREAMS s 0", g(), c())
		case 13:
			line = fmt.Sprintf("XACK s %s %s %s", g(), anyID(), anyID())
		case 14:
			line = fmt.Sprintf("XCLAIM s %s %s 0 %s %s JUSTID", g(), c(), anyID(), anyID())
		case 15:
			line = fmt.Sprintf("XAUTOCLAIM s %s %s 0 %s COUNT %d JUSTID", g(), c(), anyID(), rng.IntN(4)+1)
		case 16:
			line = "XINFO GROUPS s"
		case 17:
			line = "XPENDING s " + g()
		case 18:
			line = fmt.Sprintf("XGROUP DELCONSUMER s %s %s", g(), c())
		case 19:
			line = "XINFO STREAM s"
		}
		script.WriteString(line + "\n")
	}
	testkit.Diff(t, script.String())
}
