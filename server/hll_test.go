package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"

	"moonstone/codec"
	"moonstone/internal/testkit"
)

// HyperLogLog commands against redis-server: replies and the raw bytes of
// the values (GET) must be identical.

func TestHLLMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
PFADD hll
EXISTS hll
GET hll
PFCOUNT hll
GET hll
PFADD hll a b c
PFADD hll a b c
PFADD hll ""
GET hll
PFCOUNT hll
# the cached count is stored, and goes stale on a change only
GETRANGE hll 8 15
PFADD hll a
GETRANGE hll 15 15
PFADD hll 1 2 3
GETRANGE hll 15 15
PFCOUNT hll
PFCOUNT hll
GET hll
PFCOUNT nokey
PFCOUNT nokey hll nokey2
PFCOUNT hll hll
PFADD other b c d e
PFCOUNT hll other
GET other
PFMERGE dest hll other
GET dest
PFCOUNT dest
PFMERGE dest
PFMERGE empty
GET empty
PFMERGE empty2 nokey nokey2
GET empty2
PFMERGE hll other
GET hll
PFDEBUG ENCODING hll
PFDEBUG decode hll
PFDEBUG GETREG nokey
PFDEBUG encoding nokey
PFDEBUG nosuch hll
PFDEBUG todense hll
PFDEBUG todense hll
PFDEBUG encoding hll
PFDEBUG decode hll
GET hll
PFCOUNT hll
PFADD hll zz
GET hll
# a dense input makes the destination dense
PFMERGE sparse2 other hll
PFDEBUG encoding sparse2
GET sparse2
PFMERGE other
PFDEBUG encoding other
# expiry is kept
PFADD ttl a
EXPIRE ttl 1000
PFADD ttl b c
PFCOUNT ttl
PFMERGE ttl other
TTL ttl
# arity
PFADD
PFCOUNT
PFMERGE
PFDEBUG encoding
PFDEBUG encoding hll extra
PFSELFTEST extra
`)
}

func TestHLLErrorsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
SET str bar
PFADD str 1
PFCOUNT str
PFCOUNT nokey str
PFMERGE dest str
PFMERGE str nokey
PFDEBUG encoding str
PFDEBUG getreg str
EXISTS dest
LPUSH list a
PFADD list 1
PFCOUNT list
PFCOUNT nokey list
PFMERGE list
PFMERGE dest list
PFDEBUG getreg list
HSET hash f v
PFCOUNT hash
SET num 12345678901234567890
PFADD num x
# short, bad magic, unknown encoding, dense of the wrong length
SET short HYLL
PFADD short a
SET s15 "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
PFCOUNT s15
SET magic "hyll\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
PFCOUNT magic
SET enc "HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
PFADD enc a
PFMERGE d enc
SET dense "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
PFCOUNT dense
PFDEBUG encoding dense
`)
}

// Corrupted sparse values, as Redis's own tests make them, and crafted
// ones: the same value must give the same error or the same bytes.
func TestHLLCorruptionMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
PFADD hll a b c
APPEND hll hello
PFCOUNT hll
PFCOUNT hll other
PFMERGE d hll
PFDEBUG todense hll
PFDEBUG getreg hll
PFDEBUG decode hll
PFADD hll x
GET hll
DEL hll
PFADD hll a b c
SETRANGE hll 0 0123
PFCOUNT hll
DEL hll
PFADD hll a b c
SETRANGE hll 4 x
PFCOUNT hll
DEL hll
PFADD hll a b c
SETRANGE hll 4 "\x00"
PFCOUNT hll
# no registers, too few, a run past the end, a cut-off XZERO
SET e "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"
PFADD e a
PFCOUNT e
PFDEBUG decode e
SET few "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe"
PFADD few a b c d e f
GET few
PFCOUNT few
PFMERGE d2 few
SET over "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x80"
PFCOUNT over
PFCOUNT over x
PFDEBUG todense over
PFADD over a
GET over
SET cut "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f"
PFCOUNT cut
PFDEBUG decode cut
PFADD cut a
GET cut
SET zero "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00"
PFADD zero a
GET zero
PFADD zero b
# a valid cache is trusted, whatever follows
SET cached "HYLL\x01\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00zzz"
PFCOUNT cached
PFCOUNT cached cached
# the unused header bytes are kept
SET unused "HYLL\x01\x01\x02\x03\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
PFADD unused a
PFDEBUG todense unused
GETRANGE unused 0 15
`)
}

// Registers at their largest: an estimate beyond int64 is replied as Redis
// replies it.
func TestHLLCraftedDenseMatchesRedis(t *testing.T) {
	head := `"HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80`
	all63 := head + strings.Repeat(`\xff`, 12288) + `"`
	all51 := head + strings.Repeat(`\xf3\x3c\xcf`, 4096) + `"`
	zeros := `"HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00` + strings.Repeat(`\x00`, 12288) + `"`
	testkit.Diff(t, `
SET d63 `+all63+`
PFCOUNT d63
GETRANGE d63 8 15
PFCOUNT d63
PFCOUNT d63 x
PFADD d63 a
PFDEBUG decode d63
SET d51 `+all51+`
PFCOUNT d51 x
PFMERGE m d51
PFCOUNT m
SET z `+zeros+`
PFCOUNT z
PFADD z a b c
PFCOUNT z
GETRANGE z 0 40
`)
}

// pairDo runs one command on both servers and reports a difference.
func pairDo(t *testing.T, p *testkit.Pair, args ...string) bool {
	t.Helper()
	m, r, err := p.Do(args...)
	if err != nil {
		t.Fatal(err)
	}
	if m != r {
		cmd := strings.Join(args, " ")
		if len(cmd) > 80 {
			cmd = cmd[:80] + "..."
		}
		t.Errorf("%s\n  moonstone: %.300q\n  redis:     %.300q", cmd, m, r)
		return false
	}
	return true
}

// Random elements in random batches, with PFCOUNT, PFMERGE and PFDEBUG
// between them, under several hll-sparse-max-bytes: every reply and the
// bytes of every value as sparse values grow, fold and turn dense.
func TestHLLRandomMatchesRedis(t *testing.T) {
	p := testkit.StartPair(t)
	rnd := rand.New(rand.NewPCG(7, 8))
	elem := func() string { return strconv.FormatUint(rnd.Uint64()%1_000_000, 36) }
	failures := 0
	check := func(args ...string) {
		if !pairDo(t, p, args...) {
			failures++
			if failures > 5 {
				t.FailNow()
			}
		}
	}
	for _, max := range []string{"3000", "0", "40", "700", "12000"} {
		check("CONFIG", "SET", "hll-sparse-max-bytes", max)
		for round := 0; round < 12; round++ {
			check("DEL", "a", "b", "dest")
			for _, key := range []string{"a", "b"} {
				n := []int{0, 3, 40, 300, 1500, 4000}[rnd.IntN(6)]
				for added := 0; added < n; {
					batch := []string{"PFADD", key}
					for k := rnd.IntN(40) + 1; k > 0 && added < n; k-- {
						batch = append(batch, elem())
						added++
					}
					check(batch...)
					if rnd.IntN(4) == 0 {
						check("PFCOUNT", key)
					}
				}
				check("GET", key)
				check("PFCOUNT", key)
				check("GET", key)
			}
			if rnd.IntN(3) == 0 {
				check("PFDEBUG", "TODENSE", "b")
			}
			check("PFCOUNT", "a", "b")
			check("PFMERGE", "dest", "a", "b")
			check("GET", "dest")
			check("PFCOUNT", "dest")
			check("PFMERGE", "a", "b")
			check("GET", "a")
			check("PFDEBUG", "ENCODING", "a")
		}
	}
}

// Redis's fuzzing test: random bytes written over a value, then every
// command on it. Replies and resulting bytes must match; each corrupted
// value gets one single-element PFADD (see docs/compatibility.md: after a
// multi-element PFADD on a corrupted value the two may differ).
func TestHLLRandomCorruptionMatchesRedis(t *testing.T) {
	p := testkit.StartPair(t)
	rnd := rand.New(rand.NewPCG(9, 10))
	failures := 0
	check := func(args ...string) {
		if !pairDo(t, p, args...) {
			failures++
			if failures > 5 {
				t.FailNow()
			}
		}
	}
	for round := 0; round < 300; round++ {
		check("DEL", "hll", "d")
		batch := []string{"PFADD", "hll"}
		for i := rnd.IntN(3000); i > 0; i-- {
			batch = append(batch, strconv.FormatFloat(rnd.Float64(), 'g', -1, 64))
		}
		check(batch...)
		m, _, err := p.Do("STRLEN", "hll")
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(m, ":")))
		for k := 0; k < 5; k++ {
			check("SETRANGE", "hll", strconv.Itoa(rnd.IntN(n)), string([]byte{byte(rnd.Uint32())}))
			if rnd.IntN(2) == 0 {
				break
			}
		}
		check("PFCOUNT", "hll")
		check("PFCOUNT", "hll", "nokey")
		check("PFMERGE", "d", "hll")
		check("GET", "d")
		check("PFDEBUG", "DECODE", "hll")
		check("PFADD", "hll", strconv.Itoa(round))
		check("GET", "hll")
	}
}

// A value written by redis-server (read with GET, or as a DUMP payload)
// works in Moonstone: the same commands on both copies answer alike.
func TestHLLValuesFromRedis(t *testing.T) {
	p := testkit.StartPair(t)
	ctx := context.Background()
	rc, mc := p.Redis.Client, p.Moonstone.Client
	for _, n := range []int{3, 200, 5000} {
		key := "h" + strconv.Itoa(n)
		var elems []any
		for i := 0; i < n; i++ {
			elems = append(elems, "r"+strconv.Itoa(i))
		}
		if err := rc.PFAdd(ctx, key, elems...).Err(); err != nil {
			t.Fatal(err)
		}
		raw, err := rc.Get(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		dump, err := rc.Dump(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if err := mc.Set(ctx, key, raw, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := mc.Restore(ctx, key+"-restored", 0, dump).Err(); err != nil {
			t.Fatal(err)
		}
		if err := rc.Restore(ctx, key+"-restored", 0, dump).Err(); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{key, key + "-restored"} {
			pairDo(t, p, "PFCOUNT", k)
			pairDo(t, p, "GET", k)
			pairDo(t, p, "PFADD", k, "more", "and more")
			pairDo(t, p, "GET", k)
			pairDo(t, p, "PFCOUNT", k, "h3")
			pairDo(t, p, "PFMERGE", "merged", k, "h3")
			pairDo(t, p, "GET", "merged")
		}
	}
}

func TestHLLScriptsAndTransactionsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
EVAL "return redis.call('pfadd', KEYS[1], 'a', 'b', 'c')" 1 h
EVAL "return redis.call('pfadd', KEYS[1], 'a')" 1 h
EVAL "return redis.call('pfcount', KEYS[1])" 1 h
GETRANGE h 15 15
EVAL "redis.call('pfadd', KEYS[1], 'd'); return redis.call('pfcount', KEYS[1], KEYS[2])" 2 h nokey
EVAL "return redis.call('pfmerge', KEYS[2], KEYS[1])" 2 h m
GET m
EVAL "return redis.pcall('pfcount', KEYS[1])" 1 nothll
SET nothll x
EVAL "return redis.pcall('pfadd', KEYS[1], 'x')" 1 nothll
EVAL "return redis.call('pfcount', KEYS[1])" 1 nothll
EVAL_RO "return redis.call('pfcount', KEYS[1])" 1 h
EVAL "#!lua flags=no-writes\nreturn redis.call('pfcount', KEYS[1])" 1 h
EVAL_RO "return redis.call('pfadd', KEYS[1], 'x')" 1 h
MULTI
PFADD t 1 2 3
PFCOUNT t
GETRANGE t 15 15
PFADD t 4
PFADD nothll 1
PFCOUNT t
EXEC
GET t
# PFCOUNT storing a fresh count is a change WATCH sees
PFADD w a b
WATCH w
PFCOUNT w
MULTI
PING
EXEC
WATCH w
PFCOUNT w
MULTI
PING
EXEC
`)
}

func TestHLLKeyspaceEventsMatchRedis(t *testing.T) {
	keyEvents(t, "KEA", `
PFADD h a b
PFADD h a
PFADD h c
PFCOUNT h
PFADD h2
PFMERGE h h2
PFMERGE new h
PFMERGE new
PFDEBUG TODENSE h
PFADD h d
SET s x
PFADD s a
`)
}

func TestHLLCommandInfoMatchesRedis(t *testing.T) {
	commandInfoMatchesRedis(t, 7, "pfadd", "pfcount", "pfmerge")
	// Through the key positions: Moonstone lists the ACL categories of
	// admin commands in another order (@dangerous before @slow).
	commandInfoMatchesRedis(t, 6, "pfdebug", "pfselftest")
}

func TestHLLSelfTestMatchesRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("ten million elements on each server")
	}
	testkit.Diff(t, "PFSELFTEST")
}

// A client's PFCOUNT stores its count from outside the write lock: it must
// never put back a value a concurrent PFADD has changed. After concurrent
// adders and counters, the registers are those of every element added, and
// the count is theirs.
func TestHLLConcurrentCountKeepsEveryAdd(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	const adders, perAdder = 4, 300
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := s.NewClient()
			defer c.Close()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c.PFCount(ctx, "h")
			}
		}()
	}
	var adds sync.WaitGroup
	for a := 0; a < adders; a++ {
		adds.Add(1)
		go func() {
			defer adds.Done()
			c := s.NewClient()
			defer c.Close()
			for i := 0; i < perAdder; i++ {
				if err := c.PFAdd(ctx, "h", fmt.Sprintf("%d-%d", a, i)).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	adds.Wait()
	close(stop)
	wg.Wait()

	want := codec.NewHLL()
	for a := 0; a < adders; a++ {
		for i := 0; i < perAdder; i++ {
			want.Add([]byte(fmt.Sprintf("%d-%d", a, i)), 1<<20)
		}
	}
	wantRegs, _ := want.Registers()
	wantCount, _ := want.Count()
	v, err := s.Client.Get(ctx, "h").Bytes()
	if err != nil {
		t.Fatal(err)
	}
	got, err := codec.ParseHLL(v)
	if err != nil {
		t.Fatal(err)
	}
	gotRegs, err := got.Registers()
	if err != nil {
		t.Fatal(err)
	}
	if *gotRegs != *wantRegs {
		t.Fatal("registers lost an add")
	}
	if n, err := s.Client.PFCount(ctx, "h").Result(); err != nil || uint64(n) != wantCount {
		t.Fatalf("PFCOUNT = %d %v, want %d", n, err, wantCount)
	}
}
