package storage_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"moonstone/storage"
)

// TestZSetScoreFloorRandom runs seeded random writes that move a sorted
// set's least score both ways (adds below it, increments, removals of the
// least members by ZREM, ZPOPMIN, ZREMRANGEBYRANK and ZREMRANGEBYSCORE
// with every kind of bound) and checks each ZREMRANGEBYSCORE against a
// model. A floor above some score would make a removal skip members; the
// store's check also verifies the floor is under every score.
func TestZSetScoreFloorRandom(t *testing.T) {
	db := openDB(t)
	key := []byte("w")
	model := zmap{}
	rng := rand.New(rand.NewPCG(3, 5))
	score := func() float64 { return float64(rng.IntN(80)-20) / 2 }
	var skipped, prefixes int
	for op := 0; op < 2000; op++ {
		write(t, db, func(tx *storage.Tx) error {
			switch what := rng.IntN(10); {
			case what < 4:
				var add []storage.ZMember
				for i := rng.IntN(4); i >= 0; i-- {
					add = append(add, storage.ZMember{Member: []byte(fmt.Sprintf("m%02d", rng.IntN(60))), Score: score()})
				}
				for _, zm := range add {
					model[string(zm.Member)] = zm.Score
				}
				_, err := tx.ZAdd(0, key, storage.ZAddOptions{}, add)
				return err
			case what == 4:
				m, by := fmt.Sprintf("m%02d", rng.IntN(60)), float64(rng.IntN(41)-30)
				model[m] += by
				_, err := tx.ZAdd(0, key, storage.ZAddOptions{Incr: true}, []storage.ZMember{{Member: []byte(m), Score: by}})
				return err
			case what == 5:
				s := model.sorted()
				if len(s) == 0 {
					return nil
				}
				delete(model, string(s[0].Member))
				_, err := tx.ZRem(0, key, [][]byte{s[0].Member})
				return err
			case what == 6:
				popped, err := tx.ZPop(0, key, false, 1)
				for _, zm := range popped {
					delete(model, string(zm.Member))
				}
				return err
			case what == 7:
				stop := int64(rng.IntN(3))
				s := model.sorted()
				for i := 0; i <= int(stop) && i < len(s); i++ {
					delete(model, string(s[i].Member))
				}
				_, err := tx.ZRemRange(0, key, storage.ZRangeSpec{By: storage.ZByRank, Start: 0, Stop: stop})
				return err
			default:
				// Bounds are often a stored score, the least one in
				// particular, so that the floor's edge cases come up.
				s := model.sorted()
				bound := func() float64 {
					switch n := rng.IntN(4); {
					case n == 0 || len(s) == 0:
						return score() - 10
					case n == 1:
						return s[0].Score
					default:
						return s[rng.IntN(len(s))].Score
					}
				}
				r := storage.ScoreRange{Min: bound(), Max: bound(), MinEx: rng.IntN(3) == 0, MaxEx: rng.IntN(3) == 0}
				if rng.IntN(3) == 0 {
					r.Min = math.Inf(-1)
				}
				in := func(s float64) bool {
					return (s > r.Min || (s == r.Min && !r.MinEx)) && (s < r.Max || (s == r.Max && !r.MaxEx))
				}
				want := int64(0)
				least := math.Inf(1)
				for m, s := range model {
					least = min(least, s)
					if in(s) {
						delete(model, m)
						want++
					}
				}
				n, err := tx.ZRemRange(0, key, storage.ZRangeSpec{By: storage.ZByScore, Score: r})
				if err == nil && n != want {
					t.Fatalf("op %d: ZREMRANGEBYSCORE %+v removed %d, model %d", op, r, n, want)
				}
				switch {
				case want == 0 && r.Max < least:
					skipped++
				case want > 0 && in(least):
					prefixes++
				}
				return err
			}
		})
		read(t, db, func(tx *storage.Tx) error {
			got, err := tx.ZRange(0, key, storage.ZRangeSpec{By: storage.ZByRank, Start: 0, Stop: -1})
			if err != nil {
				return err
			}
			want := model.sorted()
			if len(got) != len(want) {
				t.Fatalf("op %d: %d members, model %d", op, len(got), len(want))
			}
			for i := range got {
				if !bytes.Equal(got[i].Member, want[i].Member) || got[i].Score != want[i].Score {
					t.Fatalf("op %d: #%d is %s %v, model %s %v", op, i, got[i].Member, got[i].Score, want[i].Member, want[i].Score)
				}
			}
			return nil
		})
		if op%10 == 9 {
			checkStore(t, db, fmt.Sprintf("after op %d", op))
		}
	}
	if skipped < 20 || prefixes < 20 {
		t.Fatalf("the run did not cover its cases: %d removals below every score, %d of the least members", skipped, prefixes)
	}
}

// TestZSetScoreFloorFollowsWindow: in a sliding window, the floor is the
// least score after each expiry, so the next removal with nothing to
// expire is answered from the metadata. Adding a lower score lowers it.
func TestZSetScoreFloorFollowsWindow(t *testing.T) {
	db := openDB(t)
	key := []byte("rate")
	floor := func() float64 {
		var f float64
		read(t, db, func(tx *storage.Tx) error {
			var err error
			f, _, err = tx.ZScoreFloor(0, key)
			return err
		})
		return f
	}
	for now := 100; now < 130; now++ {
		write(t, db, func(tx *storage.Tx) error {
			if _, err := tx.ZRemRange(0, key, storage.ZRangeSpec{By: storage.ZByScore, Score: storage.ScoreRange{Min: 0, Max: float64(now - 10)}}); err != nil {
				return err
			}
			_, err := tx.ZAdd(0, key, storage.ZAddOptions{}, []storage.ZMember{{Member: []byte(fmt.Sprint(now)), Score: float64(now)}})
			return err
		})
		if want := float64(max(100, now-9)); floor() != want {
			t.Fatalf("at %d the floor is %v, want the least score %v", now, floor(), want)
		}
	}
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.ZAdd(0, key, storage.ZAddOptions{}, []storage.ZMember{{Member: []byte("early"), Score: 7}})
		return err
	})
	if floor() != 7 {
		t.Fatalf("after adding score 7 the floor is %v", floor())
	}
	checkStore(t, db, "after the window")
}
