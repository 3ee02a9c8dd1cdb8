package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"moonstone/internal/testkit"
)

func TestSetsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
SADD s a b c
SADD s a d
SADD s
SCARD s
SCARD missing
SISMEMBER s a
SISMEMBER s z
SISMEMBER missing a
SMISMEMBER s a z b
SMISMEMBER missing a b
SMISMEMBER s
~SMEMBERS s
SMEMBERS missing
SREM s a z
SREM missing a
SREM s b c d
EXISTS s
SADD "" ""
SMEMBERS ""
SISMEMBER "" ""
SREM "" ""
EXISTS ""
SADD bin "\x00" "\xff" "a\r\nb"
~SMEMBERS bin
# expiry stays with the set until it empties
SADD e a
EXPIRE e 100
SADD e b
TTL e
SREM e a b
TTL e
# wrong type
SET str v
SADD str a
SREM str a
SISMEMBER str a
SMISMEMBER str a
SMEMBERS str
SCARD str
SPOP str
SPOP str 2
SPOP str 0
SPOP str -1
SRANDMEMBER str
SRANDMEMBER str 2
SSCAN str 0
HSET hh f v
SADD hh a
`)
}

func TestSMoveMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
SET str v
SADD s a
SMOVE missing str a
SMOVE str missing a
SMOVE s str a
SMOVE s str b
SMOVE s s a
SMOVE s s zz
SMOVE s t a
EXISTS s
SMEMBERS t
SMOVE t t2 nope
SADD t b
SMOVE t t2 a
SMEMBERS t2
SADD u x
EXPIRE u 100
SMOVE t u b
TTL u
EXISTS t
~SMEMBERS u
SADD v x
SMOVE u v x
~SMEMBERS v
SCARD u
SMOVE u
`)
}

func TestSetAlgebraMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
SET str v
SINTER str
SINTER missing str
SUNION missing str
SDIFF missing str
SDIFF str missing
SINTERCARD 1 str
SINTERSTORE d str
SUNIONSTORE d missing str
SDIFFSTORE d str
SADD a 1 2 3 4 5
SADD b 2 3 4 x
SADD c 3 4 y
~SINTER a b c
~SINTER a b
~SINTER a a
SINTER a missing
~SINTER a
~SUNION a b c
~SUNION a missing a
SUNION missing
~SDIFF a b
~SDIFF a c
~SDIFF a b c
SDIFF a a
SDIFF a b a
~SDIFF a missing
SDIFF missing a
SINTER
SINTERSTORE d
SINTERSTORE d a b
~SMEMBERS d
SINTERSTORE d a missing
EXISTS d
SET d v
SUNIONSTORE d a c
~SMEMBERS d
TYPE d
SDIFFSTORE d a a
EXISTS d
# the destination may be an input
SDIFFSTORE a a b
~SMEMBERS a
SADD e 1
EXPIRE e 100
SUNIONSTORE e e b
TTL e
~SMEMBERS e
SINTERSTORE b b c
~SMEMBERS b
SINTERSTORE str missing
EXISTS str
SET str v
SUNIONSTORE str missing
EXISTS str
# SINTERCARD
SADD x 1 2 3 4 5 6
SADD y 2 3 4 5 6 7
SINTERCARD 1 x
SINTERCARD 2 x y
SINTERCARD 2 x y LIMIT 1
SINTERCARD 2 x y LIMIT 0
SINTERCARD 2 x y limit 100
SINTERCARD 2 x missing
SINTERCARD 0 x
SINTERCARD -1 x
SINTERCARD x x
SINTERCARD 3 x y
SINTERCARD 1 x LIMIT -1
SINTERCARD 1 x LIMIT x
SINTERCARD 1 x FOO
SINTERCARD 1 x LIMIT
SINTERCARD 1 x LIMIT 1 LIMIT 2
SINTERCARD 1 x LIMIT 5 FOO
SINTERCARD 9223372036854775807 x
SINTERCARD 99999999999999999999 x
SINTERCARD 2 x str
SINTERCARD 1
COMMAND GETKEYS SINTERCARD 2 x y LIMIT 1
`)
}

// SPOP, SRANDMEMBER and SSCAN cases whose replies are deterministic.
func TestSetRandomAndScanMatchRedis(t *testing.T) {
	testkit.Diff(t, `
SADD a 1 2 3
SPOP missing
SPOP missing 5
SPOP missing 0
SPOP missing -1
SPOP a -1
SPOP a x
SPOP a 99999999999999999999
SPOP a 1 2
SPOP a 0
SADD one x
SPOP one
EXISTS one
SADD one x
SPOP one 5
EXISTS one
SADD two x y
~SPOP two 2
EXISTS two
SADD big 1 2 3 4 5
EXPIRE big 100
~SPOP big 10
EXISTS big
SRANDMEMBER missing
SRANDMEMBER missing 5
SRANDMEMBER missing -5
SRANDMEMBER missing 0
SRANDMEMBER a 0
SRANDMEMBER a -9223372036854775808
SRANDMEMBER missing -9223372036854775808
SRANDMEMBER a x
SRANDMEMBER a 1 2
SADD one x
SRANDMEMBER one
SRANDMEMBER one 1
SRANDMEMBER one -3
SRANDMEMBER one 3
~SRANDMEMBER a 100
~SRANDMEMBER a 3
SSCAN missing 0
SSCAN missing 0 COUNT 0
SSCAN missing x
SSCAN one 0 COUNT 0
SSCAN one 0 COUNT -1
SSCAN one 0 MATCH
SSCAN one 0
SSCAN one 0 MATCH x*
SSCAN one 0 MATCH y*
SSCAN one 0 COUNT 10 MATCH ?
SSCAN one 0 TYPE set
`)
}

// A long random sequence of set commands over a few keys, compared with
// Redis reply by reply. SPOP appears only with counts that empty the set,
// whose result is deterministic. Seeded, so a failure replays.
func TestSetRandomizedMatchesRedis(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	keys := []string{"s1", "s2", "s3", "s4"}
	key := func() string {
		if rng.IntN(40) == 0 {
			return "str"
		}
		return keys[rng.IntN(len(keys))]
	}
	member := func() string { return fmt.Sprint(rng.IntN(15)) }
	some := func(n int, gen func() string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = gen()
		}
		return strings.Join(parts, " ")
	}
	var script strings.Builder
	script.WriteString("SET str x\n")
	for i := 0; i < 1500; i++ {
		var line string
		switch rng.IntN(17) {
		case 0, 1, 2:
			line = fmt.Sprintf("SADD %s %s", key(), some(1+rng.IntN(4), member))
		case 3, 4:
			line = fmt.Sprintf("SREM %s %s", key(), some(1+rng.IntN(3), member))
		case 5:
			line = fmt.Sprintf("SISMEMBER %s %s", key(), member())
		case 6:
			line = fmt.Sprintf("SMISMEMBER %s %s", key(), some(3, member))
		case 7:
			line = "SCARD " + key()
		case 8:
			line = "~SMEMBERS " + key()
		case 9:
			line = fmt.Sprintf("SMOVE %s %s %s", key(), key(), member())
		case 10:
			line = fmt.Sprintf("~%s %s", []string{"SINTER", "SUNION", "SDIFF"}[rng.IntN(3)], some(1+rng.IntN(3), key))
		case 11:
			line = fmt.Sprintf("%s %s %s", []string{"SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"}[rng.IntN(3)], key(), some(1+rng.IntN(3), key))
		case 12:
			n := 1 + rng.IntN(3)
			line = fmt.Sprintf("SINTERCARD %d %s", n, some(n, key))
			if rng.IntN(2) == 0 {
				line += fmt.Sprintf(" LIMIT %d", rng.IntN(4))
			}
		case 13:
			line = "~SPOP " + key() + " 100"
		case 14:
			line = "~SRANDMEMBER " + key() + " 100"
		case 15:
			line = "DEL " + key()
		case 16:
			line = "EXISTS " + key()
		}
		script.WriteString(line + "\n")
	}
	testkit.Diff(t, script.String())
}

// SPOP and SRANDMEMBER on a set large enough to be sampled by probing:
// the counts are Redis's, popped members leave the set, and the count in
// the metadata stays exact.
func TestSPopAndSRandMemberCounts(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := s.Client
	all := map[string]bool{}
	var members []any
	for i := 0; i < 3000; i++ {
		m := fmt.Sprintf("member-%d", i)
		all[m] = true
		members = append(members, m)
	}
	c.SAdd(ctx, "s", members...)
	for _, count := range []int64{1, 10, 40, 2999, 3000, 4000} {
		got := c.SRandMemberN(ctx, "s", count).Val()
		if want := min(count, 3000); int64(len(got)) != want {
			t.Fatalf("SRANDMEMBER %d: %d members, want %d", count, len(got), want)
		}
		seen := map[string]bool{}
		for _, m := range got {
			if !all[m] || seen[m] {
				t.Fatalf("SRANDMEMBER %d: unknown or repeated %q", count, m)
			}
			seen[m] = true
		}
	}
	for _, count := range []int64{-1, -10, -5000} {
		got := c.SRandMemberN(ctx, "s", count).Val()
		if int64(len(got)) != -count {
			t.Fatalf("SRANDMEMBER %d: %d members", count, len(got))
		}
	}
	left := int64(3000)
	for _, count := range []int64{1, 10, 40, 500, 2000} {
		got := c.SPopN(ctx, "s", count).Val()
		if int64(len(got)) != count {
			t.Fatalf("SPOP %d: %d members", count, len(got))
		}
		for _, m := range got {
			if !all[m] {
				t.Fatalf("SPOP %d: popped %q twice or never added", count, m)
			}
			delete(all, m)
		}
		left -= count
		if n := c.SCard(ctx, "s").Val(); n != left {
			t.Fatalf("SCARD %d after popping, want %d", n, left)
		}
		if got := c.SMIsMember(ctx, "s", got[0]).Val(); got[0] {
			t.Fatalf("popped member still in the set")
		}
	}
	one := c.SPop(ctx, "s").Val()
	if !all[one] {
		t.Fatalf("SPOP: %q", one)
	}
	delete(all, one)
	rest := c.SPopN(ctx, "s", 1000).Val()
	if len(rest) != len(all) {
		t.Fatalf("last SPOP: %d members, want %d", len(rest), len(all))
	}
	if c.Exists(ctx, "s").Val() != 0 {
		t.Fatal("emptied set still exists")
	}
}

// SSCAN visits every member exactly once whatever COUNT is.
func TestSScanCoversSet(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := s.Client
	var members []any
	for i := 0; i < 1000; i++ {
		members = append(members, fmt.Sprint(i))
	}
	c.SAdd(ctx, "s", members...)
	for _, count := range []int64{1, 9, 1000} {
		seen := map[string]int{}
		var cursor uint64
		for {
			page, next, err := c.SScan(ctx, "s", cursor, "", count).Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range page {
				seen[m]++
			}
			if next == 0 {
				break
			}
			cursor = next
		}
		if len(seen) != 1000 {
			t.Fatalf("COUNT %d: %d members", count, len(seen))
		}
		for m, n := range seen {
			if n != 1 {
				t.Fatalf("COUNT %d: %s seen %d times", count, m, n)
			}
		}
	}
}

// The set algebra on sets large enough to need streaming, checked against
// the same operations done in Go.
func TestBigSetAlgebra(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := s.Client
	rng := rand.New(rand.NewPCG(5, 6))
	sets := map[string]map[string]bool{}
	for _, k := range []string{"a", "b", "c"} {
		sets[k] = map[string]bool{}
		var members []any
		for i := 0; i < 2000; i++ {
			m := fmt.Sprint(rng.IntN(4000))
			sets[k][m] = true
			members = append(members, m)
		}
		c.SAdd(ctx, k, members...)
	}
	sorted := func(m map[string]bool) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	inter, union, diff := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for m := range sets["a"] {
		if sets["b"][m] && sets["c"][m] {
			inter[m] = true
		}
		if !sets["b"][m] && !sets["c"][m] {
			diff[m] = true
		}
	}
	for _, set := range sets {
		for m := range set {
			union[m] = true
		}
	}
	check := func(name string, got []string, want map[string]bool) {
		t.Helper()
		sort.Strings(got)
		if w := sorted(want); strings.Join(got, ",") != strings.Join(w, ",") {
			t.Fatalf("%s: %d members, want %d", name, len(got), len(w))
		}
	}
	check("SINTER", c.SInter(ctx, "a", "b", "c").Val(), inter)
	check("SUNION", c.SUnion(ctx, "a", "b", "c").Val(), union)
	check("SDIFF", c.SDiff(ctx, "a", "b", "c").Val(), diff)
	if n := c.SInterCard(ctx, 0, "a", "b", "c").Val(); n != int64(len(inter)) {
		t.Fatalf("SINTERCARD %d, want %d", n, len(inter))
	}
	if n := c.SInterCard(ctx, 10, "a", "b", "c").Val(); n != min(10, int64(len(inter))) {
		t.Fatalf("SINTERCARD LIMIT 10: %d", n)
	}
	if n := c.SUnionStore(ctx, "a", "a", "b", "c").Val(); n != int64(len(union)) {
		t.Fatalf("SUNIONSTORE into an input: %d, want %d", n, len(union))
	}
	check("stored union", c.SMembers(ctx, "a").Val(), union)
	if n := c.SCard(ctx, "a").Val(); n != int64(len(union)) {
		t.Fatalf("SCARD of the stored union %d", n)
	}
}

// TestSetEncodingMatchesRedis follows Redis's intset and hashtable rules
// through the commands that create, grow and rebuild sets.
func TestSetEncodingMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
SADD s 1 2 3 -5 9223372036854775807
OBJECT ENCODING s
# an intset answers in numeric order
SADD order 10 2 -7 100 33 0
SMEMBERS order
SSCAN order 0
SSCAN order 0 COUNT 2
SSCAN order 0 MATCH *0
SRANDMEMBER order 6
SRANDMEMBER order 100
SORT order BY nosort
SORT order BY nosort LIMIT 1 3
SADD order2 2 -7 1000 33 5
SINTER order order2
SUNION order order2
SDIFF order order2
SDIFF order2 order
SADD order x
~SMEMBERS order
SADD s 9223372036854775808
OBJECT ENCODING s
SREM s 9223372036854775808
OBJECT ENCODING s
# not integers as string2ll reads them
SADD lz 007
OBJECT ENCODING lz
SADD plus +5
OBJECT ENCODING plus
SADD neg0 -0
OBJECT ENCODING neg0
SADD sp " 1"
OBJECT ENCODING sp
SADD mixed 1 a
OBJECT ENCODING mixed
# the entries limit
CONFIG SET set-max-intset-entries 3
SADD c 1 2 3
OBJECT ENCODING c
SADD c 4
OBJECT ENCODING c
# (SPOP's picks are random: the scripts reply 1 on both servers)
EVAL "redis.call('spop', KEYS[1], 3) return 1" 1 c
OBJECT ENCODING c
SADD i 1 2 3
EVAL "redis.call('spop', KEYS[1], 1) return 1" 1 i
OBJECT ENCODING i
SADD big 1 2 3 4 5
SINTERSTORE inter big i
OBJECT ENCODING inter
SUNIONSTORE union big i
OBJECT ENCODING union
SDIFFSTORE diff big i
OBJECT ENCODING diff
SDIFFSTORE diff2 big mixed
OBJECT ENCODING diff2
CONFIG SET set-max-intset-entries 0
SADD zero 1
OBJECT ENCODING zero
CONFIG SET set-max-intset-entries 512
SADD popall 3 20 1
SPOP popall 3
# SMOVE into a new set, COPY, RENAME
SMOVE mixed fresh 1
OBJECT ENCODING fresh
SMOVE mixed fresh2 a
OBJECT ENCODING fresh2
COPY s scopy
OBJECT ENCODING scopy
RENAME scopy srenamed
OBJECT ENCODING srenamed
`)
}
