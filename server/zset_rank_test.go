package server_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"moonstone/internal/testkit"
	"moonstone/storage"
)

// TestZSetRankIndexMatchRedis runs a seeded random mix of sorted-set
// writes and rank-addressed reads against Moonstone and redis-server, with
// a rank index from 8 members and fences that split past 4 entries, so the
// sets cross the threshold both ways and their indexes split, empty and
// grow levels all along. Lex commands run on a set whose members share one
// score (where Redis defines them).
func TestZSetRankIndexMatchRedis(t *testing.T) {
	oldT, oldB := storage.ZSetRankThreshold, storage.ZSetRankBlock
	storage.ZSetRankThreshold, storage.ZSetRankBlock = 8, 2
	t.Cleanup(func() { storage.ZSetRankThreshold, storage.ZSetRankBlock = oldT, oldB })
	p := testkit.StartPair(t)
	rng := rand.New(rand.NewPCG(3, 5))
	keys := []string{"z1", "z2"}
	member := func() string { return fmt.Sprintf("m%03d", rng.IntN(300)) }
	score := func() string {
		if rng.IntN(8) == 0 {
			return fmt.Sprintf("%d.5", rng.IntN(30))
		}
		return fmt.Sprint(rng.IntN(30))
	}
	idx := func() int { return rng.IntN(400) - 200 }
	var script strings.Builder
	var maxCard, lowAfterMax int64 = 0, 1 << 62
	for i := 0; i < 4000; i++ {
		if i%100 == 99 {
			// Run what is written so far, and follow z1's size.
			p.Run(t, script.String())
			script.Reset()
			m, _, err := p.Do("ZCARD", "z1")
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			fmt.Sscanf(m, ":%d", &n)
			if n > maxCard {
				maxCard, lowAfterMax = n, n
			}
			lowAfterMax = min(lowAfterMax, n)
		}
		k := keys[rng.IntN(len(keys))]
		// Grow for a while, then shrink, then grow again.
		phase := (i / 700) % 2
		switch w := rng.IntN(20); {
		case w < 6-6*phase:
			fmt.Fprintf(&script, "ZADD %s", k)
			if rng.IntN(6) == 0 {
				script.WriteString([]string{" GT", " LT", " NX", " XX CH"}[rng.IntN(4)])
			}
			for j := rng.IntN(10); j >= 0; j-- {
				fmt.Fprintf(&script, " %s %s", score(), member())
			}
			script.WriteString("\n")
		case w == 6:
			fmt.Fprintf(&script, "ZINCRBY %s %d %s\n", k, rng.IntN(21)-10, member())
		case w == 7 || (phase == 1 && w < 5):
			fmt.Fprintf(&script, "ZREM %s", k)
			for j := rng.IntN(15); j >= 0; j-- {
				fmt.Fprintf(&script, " %s", member())
			}
			script.WriteString("\n")
		case w == 8:
			fmt.Fprintf(&script, "%s %s %d\n", []string{"ZPOPMIN", "ZPOPMAX"}[rng.IntN(2)], k, rng.IntN(5))
		case w == 9:
			a := rng.IntN(40) - 20
			fmt.Fprintf(&script, "ZREMRANGEBYRANK %s %d %d\n", k, a, a+rng.IntN(5)+10*phase)
		case w == 10:
			a := rng.IntN(30)
			fmt.Fprintf(&script, "ZREMRANGEBYSCORE %s %d (%d\n", k, a, a+1)
		case w == 11:
			fmt.Fprintf(&script, "ZRANK %s %s\nZREVRANK %s %s\n", k, member(), k, member())
		case w == 12:
			fmt.Fprintf(&script, "ZRANGE %s %d %d%s\n", k, idx(), idx(), []string{"", " WITHSCORES", " REV", " REV WITHSCORES"}[rng.IntN(4)])
		case w == 13:
			a := rng.IntN(200)
			fmt.Fprintf(&script, "ZRANGE %s %d %d\nZREVRANGE %s %d %d WITHSCORES\n", k, a, a+3, k, a, a+2)
		case w == 14:
			lo := rng.IntN(30)
			fmt.Fprintf(&script, "ZRANGEBYSCORE %s %d +inf WITHSCORES LIMIT %d %d\n", k, lo, rng.IntN(200), rng.IntN(6)-1)
			fmt.Fprintf(&script, "ZREVRANGEBYSCORE %s (%d -inf LIMIT %d %d\n", k, lo, rng.IntN(200), rng.IntN(6))
			fmt.Fprintf(&script, "ZRANGE %s -inf %d BYSCORE REV LIMIT %d 3\n", k, lo, rng.IntN(100))
		case w == 15:
			lo := rng.IntN(32) - 1
			fmt.Fprintf(&script, "ZCOUNT %s %d %d\nZCOUNT %s (%d +inf\nZCARD %s\n", k, lo, lo+rng.IntN(10), k, lo, k)
		case w == 16:
			// The same-score set for lex commands.
			fmt.Fprintf(&script, "ZADD lx")
			for j := rng.IntN(8); j >= 0; j-- {
				fmt.Fprintf(&script, " 0 %s", member())
			}
			fmt.Fprintf(&script, "\nZREM lx %s %s\n", member(), member())
		case w == 17:
			a, b := member(), member()
			fmt.Fprintf(&script, "ZLEXCOUNT lx [%s (%s\nZLEXCOUNT lx - [%s\n", a, b, a)
			fmt.Fprintf(&script, "ZRANGEBYLEX lx [%s + LIMIT %d 4\nZREVRANGEBYLEX lx + (%s LIMIT %d 3\n", a, rng.IntN(150), b, rng.IntN(150))
			fmt.Fprintf(&script, "ZRANK lx %s\nZREVRANK lx %s\n", a, b)
		case w == 18:
			if rng.IntN(4) == 0 {
				fmt.Fprintf(&script, "ZREMRANGEBYLEX lx [%s [%s\n", member(), member())
			} else {
				fmt.Fprintf(&script, "COPY %s z3 REPLACE\nZRANK z3 %s\nZRANGE z3 %d %d\nZCOUNT z3 -inf +inf\n", k, member(), idx(), idx())
			}
		default:
			if rng.IntN(10) == 0 {
				fmt.Fprintf(&script, "DEL %s\n", k)
			} else {
				fmt.Fprintf(&script, "ZRANGESTORE z4 %s 0 -1\nZRANK z4 %s\nZREVRANGE z4 %d %d\n", k, member(), idx(), idx())
			}
		}
	}
	script.WriteString("ZCARD z1\nZCARD z2\nZCARD lx\nZRANGE z1 0 -1 WITHSCORES\nZRANGE z2 0 -1 WITHSCORES\nZRANGE lx 0 -1\n")
	p.Run(t, script.String())
	if t.Failed() {
		return
	}
	t.Logf("z1 grew to %d members, then shrank to %d", maxCard, lowAfterMax)
	if maxCard < 100 || lowAfterMax >= 4 {
		t.Fatalf("z1 grew to %d members and shrank to %d after that: the run missed its cases", maxCard, lowAfterMax)
	}
	rep, err := p.Moonstone.Srv.DB().Check()
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("check: %v", rep.Problems)
	}
}
