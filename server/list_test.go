package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"moonstone/internal/testkit"
)

func TestListPushPopMatchRedis(t *testing.T) {
	testkit.Diff(t, `
# pushes build the list one element at a time
LPUSH l a b c
RPUSH l d e
LRANGE l 0 -1
LLEN l
LPUSHX l x y
RPUSHX l z
LRANGE l 0 -1
LPUSHX missing a
RPUSHX missing a
EXISTS missing
LPUSH l
RPUSHX l
# empty and binary elements
RPUSH bin "" "a\x00b" "\xff"
LRANGE bin 0 -1
LPOP bin
LPOP bin
# pops without a count: one bulk, null when absent
LPOP l
RPOP l
LPOP missing
RPOP missing
# pops with a count: an array, null array when absent, empty for 0
LPOP l 2
RPOP l 2
LPOP l 0
RPOP l 0
LPOP missing 0
LPOP missing 3
RPOP missing 3
LPOP l 100
EXISTS l
LPOP l
# count errors come before the key lookup
LPOP l -1
LPOP l abc
RPOP l 1.5
LPOP missing -1
LPOP l 1 2
RPOP l 1 2
RPUSH one x
RPOP one 5
EXISTS one
LLEN missing
# wrong type
SET s v
LPUSH s a
RPUSH s a
LPUSHX s a
RPUSHX s a
LPOP s
RPOP s 0
LPOP s 2
LLEN s
LPOP s -1
# arity
LPUSH
LPUSH l
RPUSH l
LPOP
LLEN
LLEN a b
`)
}

func TestListReadMatchRedis(t *testing.T) {
	testkit.Diff(t, `
RPUSH l a b c d e f g
LRANGE l 0 -1
LRANGE l 0 0
LRANGE l 2 4
LRANGE l -3 -1
LRANGE l -100 100
LRANGE l 5 2
LRANGE l 7 10
LRANGE l -1 -3
LRANGE l 0 -8
LRANGE l -8 0
LRANGE l 9223372036854775807 -9223372036854775808
LRANGE l -9223372036854775808 9223372036854775807
LRANGE missing 0 -1
LRANGE l a 1
LRANGE l 1 b
LRANGE missing x 1
LRANGE l 0 99999999999999999999
LINDEX l 0
LINDEX l 6
LINDEX l 7
LINDEX l -1
LINDEX l -7
LINDEX l -8
LINDEX l 9223372036854775807
LINDEX l -9223372036854775808
LINDEX missing 0
# LINDEX looks up the key before parsing the index
LINDEX l x
LINDEX missing x
SET s v
LINDEX s x
LINDEX s 0
LRANGE s 0 -1
LRANGE s x 0
LLEN s
LRANGE l 0
LINDEX l
`)
}

func TestListPosMatchRedis(t *testing.T) {
	testkit.Diff(t, `
RPUSH l a b c a b c a x a
LPOS l a
LPOS l b
LPOS l z
LPOS l a RANK 1
LPOS l a RANK 2
LPOS l a RANK -1
LPOS l a RANK -2
LPOS l a RANK 5
LPOS l a RANK -5
LPOS l a RANK 0
LPOS l a RANK x
LPOS l a COUNT 0
LPOS l a COUNT 2
LPOS l a COUNT 10
LPOS l z COUNT 0
LPOS l a COUNT 2 RANK 2
LPOS l a COUNT 2 RANK -2
LPOS l a COUNT 0 RANK -1
LPOS l a MAXLEN 1
LPOS l a MAXLEN 3
LPOS l a MAXLEN 4
LPOS l a COUNT 0 MAXLEN 7
LPOS l a COUNT 0 MAXLEN 7 RANK -1
LPOS l a RANK 2 MAXLEN 4
LPOS l a COUNT -1
LPOS l a COUNT x
LPOS l a MAXLEN -1
LPOS l a MAXLEN x
LPOS l a RANK
LPOS l a COUNT
LPOS l a FOO 1
LPOS l a RANK 1 RANK -1
LPOS l a RANK -9223372036854775808
LPOS l a RANK -9223372036854775808 COUNT 1
LPOS l a RANK 9223372036854775807 COUNT 0
LPOS missing a
LPOS missing a COUNT 0
LPOS missing a RANK 0
SET s v
LPOS s a
LPOS s a COUNT 1
LPOS s a RANK 0
LPOS l
`)
}

func TestListModifyMatchRedis(t *testing.T) {
	testkit.Diff(t, `
# LSET: the key is checked before the index
RPUSH l a b c d e
LSET l 0 A
LSET l -1 E
LSET l 2 C
LRANGE l 0 -1
LSET l 5 x
LSET l -6 x
LSET l x y
LSET missing 0 x
LSET missing x y
SET s v
LSET s 0 x
LSET s x y
# LINSERT
LINSERT l BEFORE A z
LINSERT l AFTER E z
LINSERT l after C mid
LINSERT l before C mid0
LRANGE l 0 -1
LINSERT l BEFORE nope x
LINSERT l MIDDLE A x
LINSERT missing BEFORE a x
LINSERT missing MIDDLE a x
LINSERT s BEFORE a x
LINSERT s MIDDLE a x
LLEN l
# LREM from the head, the tail, everywhere
DEL r
RPUSH r a b a c a d a e a
LREM r 2 a
LRANGE r 0 -1
LREM r -1 a
LRANGE r 0 -1
LREM r 0 a
LRANGE r 0 -1
LREM r 0 zzz
LREM r 1 b
LREM r x b
LREM missing 0 a
LREM s 0 a
RPUSH all x x x
LREM all 0 x
EXISTS all
RPUSH all2 x x x
LREM all2 -3 x
EXISTS all2
RPUSH big a a a a b a a a a
LREM big -9223372036854775808 a
LRANGE big 0 -1
# LTRIM
DEL t
RPUSH t 0 1 2 3 4 5 6 7 8 9
LTRIM t 1 -2
LRANGE t 0 -1
LTRIM t -3 100
LRANGE t 0 -1
LTRIM t 0 0
LRANGE t 0 -1
LTRIM t 5 1
EXISTS t
RPUSH t a b c
LTRIM t -100 -50
EXISTS t
RPUSH t a b c
LTRIM t 3 10
EXISTS t
LTRIM t x 1
LTRIM t 1 y
LTRIM missing 0 1
LTRIM s 0 1
LTRIM s x 1
LSET l
LINSERT l BEFORE a
LREM l 0
LTRIM l 0
`)
}

func TestListMoveMatchRedis(t *testing.T) {
	testkit.Diff(t, `
RPUSH src a b c d
LMOVE src dst LEFT RIGHT
LMOVE src dst RIGHT LEFT
LMOVE src dst left left
LMOVE src dst right right
LRANGE dst 0 -1
EXISTS src
LMOVE src dst LEFT RIGHT
LMOVE src dst UP RIGHT
LMOVE src dst LEFT DOWN
LMOVE dst dst LEFT RIGHT
LRANGE dst 0 -1
LMOVE dst dst RIGHT LEFT
LRANGE dst 0 -1
LMOVE dst dst LEFT LEFT
LRANGE dst 0 -1
RPUSH solo x
LMOVE solo solo LEFT RIGHT
LRANGE solo 0 -1
RPOPLPUSH dst other
RPOPLPUSH dst other
LRANGE other 0 -1
RPOPLPUSH missing other
RPOPLPUSH other other
LRANGE other 0 -1
# a wrong-type destination is checked before anything moves
SET s v
RPUSH w 1 2
LMOVE w s LEFT RIGHT
RPOPLPUSH w s
LRANGE w 0 -1
LMOVE s w LEFT RIGHT
RPOPLPUSH s w
LMOVE missing s LEFT RIGHT
LMOVE src
RPOPLPUSH src
`)
}

func TestListMPopMatchRedis(t *testing.T) {
	testkit.Diff(t, `
RPUSH a 1 2 3
RPUSH b 4 5 6 7
LMPOP 2 missing a LEFT
LMPOP 2 missing a RIGHT COUNT 5
EXISTS a
LMPOP 2 a b RIGHT COUNT 2
LMPOP 2 a b left count 1
LMPOP 1 b LEFT COUNT 100
LMPOP 2 a b LEFT
LMPOP 1 missing LEFT COUNT 3
# errors
LMPOP 0 a LEFT
LMPOP -1 a LEFT
LMPOP x a LEFT
LMPOP 3 a b LEFT
LMPOP 9223372036854775807 a LEFT
LMPOP 1 a MIDDLE
LMPOP 1 a LEFT COUNT 0
LMPOP 1 a LEFT COUNT -1
LMPOP 1 a LEFT COUNT x
LMPOP 1 a LEFT COUNT 1 COUNT 1
LMPOP 1 a LEFT COUNT
LMPOP 1 a LEFT FOO
LMPOP 1 a
SET s v
RPUSH c x
LMPOP 2 s c LEFT
LMPOP 2 c s LEFT
LMPOP 2 missing s RIGHT
COMMAND GETKEYS LMPOP 2 a b LEFT
`)
}

// TestListCommandTableMatchesRedis compares what COMMAND INFO says of each
// command up to its ACL categories: name, arity, flags, key positions.
// (Key specifications are the command table's business, not the lists'.)
func TestListCommandTableMatchesRedis(t *testing.T) {
	commandInfoMatchesRedis(t, 7, "lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "llen",
		"lrange", "lindex", "lset", "linsert", "lrem", "ltrim", "lpos", "lmove", "rpoplpush", "lmpop")
}

// commandInfoMatchesRedis compares the first fields of COMMAND INFO.
func commandInfoMatchesRedis(t *testing.T, fields int, names ...string) {
	t.Helper()
	p := testkit.StartPair(t)
	ms := p.Moonstone.NewClient()
	defer ms.Close()
	ctx := context.Background()
	for _, name := range names {
		m, err := ms.Do(ctx, "COMMAND", "INFO", name).Slice()
		if err != nil {
			t.Fatal(err)
		}
		r, err := p.Redis.Client.Do(ctx, "COMMAND", "INFO", name).Slice()
		if err != nil {
			t.Fatal(err)
		}
		mi, ri := m[0].([]any), r[0].([]any)
		if got, want := fmt.Sprint(mi[:fields]), fmt.Sprint(ri[:fields]); got != want {
			t.Errorf("COMMAND INFO %s\n  moonstone: %s\n  redis:     %s", name, got, want)
		}
	}
}

// TestListLargeMatchRedis works on lists long enough that pops, trims and
// deletions use range deletions, and that LINSERT and LREM move elements
// on either side.
func TestListLargeMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	var b strings.Builder
	b.WriteString("RPUSH big")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, " e%d", i%50)
	}
	p.Run(t, b.String()+`
LLEN big
LPOP big 70
RPOP big 70
LRANGE big 0 -1
LINSERT big BEFORE e3 left-side
LINSERT big AFTER e48 right-side
LRANGE big 0 -1
LREM big 2 e7
LREM big -2 e44
LREM big 0 e20
LRANGE big 0 -1
LTRIM big 70 -70
LRANGE big 0 -1
LPOS big e25 COUNT 0
LPOS big e25 RANK -2 COUNT 2
LMOVE big big LEFT RIGHT
LRANGE big 0 9
LPUSH big x1 x2
LINDEX big 0
LINDEX big -1
LSET big 50 changed
LRANGE big 45 55
LTRIM big 200 300
EXISTS big
`)
}

// TestListRandomMatchRedis runs a seeded random mix of list commands on a
// few keys against both servers and compares every reply.
func TestListRandomMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	rng := rand.New(rand.NewPCG(7, 2024))
	keys := []string{"k1", "k2", "k3"}
	vals := []string{"a", "b", "c", "d", "", "10"}
	key := func() string { return keys[rng.IntN(len(keys))] }
	val := func() string { return vals[rng.IntN(len(vals))] }
	idx := func() string { return strconv.Itoa(rng.IntN(14) - 7) }
	end := func() string { return []string{"LEFT", "RIGHT"}[rng.IntN(2)] }
	for i := 0; i < 2000; i++ {
		var args []string
		switch rng.IntN(17) {
		case 0:
			args = []string{"LPUSH", key(), val(), val()}
		case 1:
			args = []string{"RPUSH", key(), val(), val(), val()}
		case 2:
			args = []string{"LPOP", key()}
		case 3:
			args = []string{"RPOP", key(), strconv.Itoa(rng.IntN(4))}
		case 4:
			args = []string{"LRANGE", key(), idx(), idx()}
		case 5:
			args = []string{"LINDEX", key(), idx()}
		case 6:
			args = []string{"LSET", key(), idx(), val()}
		case 7:
			args = []string{"LINSERT", key(), []string{"BEFORE", "AFTER"}[rng.IntN(2)], val(), val()}
		case 8:
			args = []string{"LREM", key(), idx(), val()}
		case 9:
			args = []string{"LTRIM", key(), idx(), idx()}
		case 10:
			args = []string{"LPOS", key(), val(), "RANK", strconv.Itoa(rng.IntN(5) - 2 | 1), "COUNT", strconv.Itoa(rng.IntN(3))}
		case 11:
			args = []string{"LMOVE", key(), key(), end(), end()}
		case 12:
			args = []string{"RPOPLPUSH", key(), key()}
		case 13:
			args = []string{"LMPOP", "2", key(), key(), end(), "COUNT", strconv.Itoa(rng.IntN(3) + 1)}
		case 14:
			args = []string{"LPUSHX", key(), val()}
		case 15:
			args = []string{"LLEN", key()}
		case 16:
			args = []string{"LRANGE", key(), "0", "-1"}
		}
		m, r, err := p.Do(args...)
		if err != nil {
			t.Fatal(err)
		}
		if m != r {
			t.Fatalf("step %d: %q\n  moonstone: %q\n  redis:     %q", i, args, m, r)
		}
	}
	for _, k := range keys {
		m, r, err := p.Do("LRANGE", k, "0", "-1")
		if err != nil {
			t.Fatal(err)
		}
		if m != r {
			t.Fatalf("final %s: moonstone %q, redis %q", k, m, r)
		}
	}
}

// TestCappedListsMatchRedisAcrossRestarts runs the capped-list and job
// queue patterns with elements sized so that lists cross the 512 bytes a
// list keeps in its metadata record, both ways, many times: LPUSH then
// LTRIM to the newest entries, LRANGE of them, a queue fed by RPUSH and
// drained by LPOP and LMOVE into a second list. Moonstone restarts every
// 100 steps, so lists are read back both ways from disk.
func TestCappedListsMatchRedisAcrossRestarts(t *testing.T) {
	p := testkit.StartPair(t)
	rng := rand.New(rand.NewPCG(11, 512))
	elem := func() string { return strings.Repeat(strconv.Itoa(rng.IntN(10)), 10+rng.IntN(40)) }
	for i := 0; i < 600; i++ {
		if i%100 == 99 {
			p.RestartMoonstone(t)
		}
		var args []string
		switch rng.IntN(8) {
		case 0, 1:
			args = []string{"LPUSH", "recent", elem(), elem()}
		case 2:
			args = []string{"LTRIM", "recent", "0", strconv.Itoa(rng.IntN(20))}
		case 3:
			args = []string{"LRANGE", "recent", "0", "-1"}
		case 4:
			args = []string{"RPUSH", "jobs", elem(), elem(), elem()}
		case 5:
			args = []string{"LPOP", "jobs", strconv.Itoa(1 + rng.IntN(3))}
		case 6:
			args = []string{"LMOVE", "jobs", "working", "LEFT", "RIGHT"}
		case 7:
			args = []string{"LRANGE", []string{"jobs", "working"}[rng.IntN(2)], "0", "-1"}
		}
		m, r, err := p.Do(args...)
		if err != nil {
			t.Fatal(err)
		}
		if m != r {
			t.Fatalf("step %d: %q\n  moonstone: %q\n  redis:     %q", i, args, m, r)
		}
	}
}
