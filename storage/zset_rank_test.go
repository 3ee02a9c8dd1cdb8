package storage_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"moonstone/codec"
	"moonstone/storage"
)

// smallRankIndex makes sorted sets get a rank index at 8 members, with
// fences that split past 4 entries, so that a few hundred members build
// several levels and every operation splits or empties fences. Sets keep
// no members inline.
func smallRankIndex(t testing.TB, threshold, block int64) {
	oldT, oldB := storage.ZSetRankThreshold, storage.ZSetRankBlock
	storage.ZSetRankThreshold, storage.ZSetRankBlock = threshold, block
	t.Cleanup(func() { storage.ZSetRankThreshold, storage.ZSetRankBlock = oldT, oldB })
	// Sets this small would live in their metadata record, which has no
	// rank index.
	storage.SetZSetInlineBytes(t, 0)
}

// zmap is a sorted set kept as a map, sorted on demand.
type zmap map[string]float64

func (z zmap) sorted() zmodel {
	out := make(zmodel, 0, len(z))
	for m, s := range z {
		out = append(out, storage.ZMember{Member: []byte(m), Score: s})
	}
	out.sort()
	return out
}

func checkStore(t *testing.T, db *storage.DB, when string) {
	t.Helper()
	rep, err := db.Check()
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("%s: check found %d problems: %v", when, rep.ProblemCount, rep.Problems)
	}
}

// TestZSetRankIndexRandom runs seeded random writes on a sorted set that
// grows past the rank-index threshold, shrinks below it and grows again,
// and after each one compares ranks, rank ranges, counts and offset
// ranges with a model, and the store's own consistency check (which
// verifies every fence's counts against the score index).
func TestZSetRankIndexRandom(t *testing.T) {
	smallRankIndex(t, 8, 2)
	db := openDB(t)
	key := []byte("z")
	model := zmap{}
	rng := rand.New(rand.NewPCG(7, 11))
	member := func() string { return fmt.Sprintf("m%03d", rng.IntN(400)) }
	score := func() float64 { return float64(rng.IntN(40)) }
	const ops = 3000
	var maxLevels int64
	shrunk := false
	for op := 0; op < ops; op++ {
		// Phases: grow (adds win), shrink (removals win), grow again.
		grow := op < 1000 || op >= 1800
		what := rng.IntN(10)
		if !grow && what < 5 {
			what += 5
		}
		write(t, db, func(tx *storage.Tx) error {
			switch {
			case what < 4:
				var add []storage.ZMember
				for i := rng.IntN(12); i >= 0; i-- {
					add = append(add, storage.ZMember{Member: []byte(member()), Score: score()})
				}
				for _, zm := range add {
					model[string(zm.Member)] = zm.Score
				}
				_, err := tx.ZAdd(0, key, storage.ZAddOptions{}, add)
				return err
			case what == 4:
				m, by := member(), score()-20
				res, err := tx.ZAdd(0, key, storage.ZAddOptions{Incr: true}, []storage.ZMember{{Member: []byte(m), Score: by}})
				model[m] += by
				if err == nil && res.Score != model[m] {
					t.Fatalf("ZINCRBY %s = %v, model %v", m, res.Score, model[m])
				}
				return err
			case what <= 6:
				var rem [][]byte
				for i := rng.IntN(20); i >= 0; i-- {
					m := member()
					rem = append(rem, []byte(m))
				}
				want := 0
				for _, m := range rem {
					if _, ok := model[string(m)]; ok {
						delete(model, string(m))
						want++
					}
				}
				n, err := tx.ZRem(0, key, rem)
				if err == nil && n != int64(want) {
					t.Fatalf("ZREM removed %d, model %d", n, want)
				}
				return err
			case what == 7:
				max, count := rng.IntN(2) == 0, int64(rng.IntN(6))
				popped, err := tx.ZPop(0, key, max, count)
				s := model.sorted()
				for i, zm := range popped {
					want := s[i]
					if max {
						want = s[len(s)-1-i]
					}
					if !bytes.Equal(zm.Member, want.Member) {
						t.Fatalf("ZPOP %v %d: #%d is %s, model %s", max, count, i, zm.Member, want.Member)
					}
					delete(model, string(zm.Member))
				}
				return err
			case what == 8:
				start, stop := int64(rng.IntN(60)-30), int64(rng.IntN(60)-30)
				n, err := tx.ZRemRange(0, key, storage.ZRangeSpec{By: storage.ZByRank, Start: start, Stop: stop})
				s := model.sorted()
				a, b, ok := ranks(int64(len(s)), start, stop)
				want := int64(0)
				if ok {
					for _, zm := range s[a : b+1] {
						delete(model, string(zm.Member))
					}
					want = b - a + 1
				}
				if err == nil && n != want {
					t.Fatalf("ZREMRANGEBYRANK %d %d removed %d, model %d", start, stop, n, want)
				}
				return err
			default:
				lo := score()
				hi := lo + float64(rng.IntN(3))
				n, err := tx.ZRemRange(0, key, storage.ZRangeSpec{By: storage.ZByScore, Score: storage.ScoreRange{Min: lo, Max: hi}})
				want := int64(0)
				for m, s := range model {
					if s >= lo && s <= hi {
						delete(model, m)
						want++
					}
				}
				if err == nil && n != want {
					t.Fatalf("ZREMRANGEBYSCORE %v %v removed %d, model %d", lo, hi, n, want)
				}
				return err
			}
		})
		read(t, db, func(tx *storage.Tx) error {
			levels, err := tx.ZRankLevels(0, key)
			maxLevels = max(maxLevels, levels)
			if levels == 0 && len(model) >= 8 {
				t.Fatalf("a %d-member set has no rank index", len(model))
			}
			if levels > 0 && len(model) < 4 {
				t.Fatalf("a %d-member set keeps its rank index", len(model))
			}
			if len(model) < 4 && maxLevels > 0 {
				shrunk = true
			}
			if err != nil {
				return err
			}
			return compareZ(t, tx, key, model, rng)
		})
		if op%100 == 99 {
			checkStore(t, db, fmt.Sprintf("after op %d (%d members)", op, len(model)))
		}
	}
	if maxLevels < 3 || !shrunk || len(model) < 8 {
		t.Fatalf("the run did not cover its cases: %d levels at most, shrunk below half the threshold %v, %d members at the end",
			maxLevels, shrunk, len(model))
	}
}

// ranks is Redis's start/stop normalisation, for the model.
func ranks(n, start, stop int64) (a, b int64, ok bool) {
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	start = max(start, 0)
	if start > stop || start >= n {
		return 0, 0, false
	}
	return start, min(stop, n-1), true
}

// compareZ checks ranks, rank ranges, counts and score ranges with offsets
// against the model.
func compareZ(t *testing.T, tx *storage.Tx, key []byte, model zmap, rng *rand.Rand) error {
	t.Helper()
	s := model.sorted()
	n := int64(len(s))
	card, err := tx.ZCard(0, key)
	if err != nil || card != n {
		t.Fatalf("ZCARD = %d %v, model %d", card, err, n)
	}
	for i := 0; i < 5 && n > 0; i++ {
		r := rng.Int64N(n)
		rank, ok, err := tx.ZRank(0, key, s[r].Member, false)
		if err != nil || !ok || rank != r {
			t.Fatalf("ZRANK %s = %d %v %v, model %d", s[r].Member, rank, ok, err, r)
		}
		rev, _, err := tx.ZRank(0, key, s[r].Member, true)
		if err != nil || rev != n-1-r {
			t.Fatalf("ZREVRANK %s = %d %v, model %d", s[r].Member, rev, err, n-1-r)
		}
	}
	for i := 0; i < 3; i++ {
		start, stop := rng.Int64N(n+10)-5, rng.Int64N(n+10)-5
		rev := rng.IntN(2) == 0
		got, err := tx.ZRange(0, key, storage.ZRangeSpec{By: storage.ZByRank, Start: start, Stop: stop, Rev: rev})
		if err != nil {
			return err
		}
		var want []storage.ZMember
		if a, b, ok := ranks(n, start, stop); ok {
			for r := a; r <= b; r++ {
				if rev {
					want = append(want, s[n-1-r])
				} else {
					want = append(want, s[r])
				}
			}
		}
		sameMembers(t, fmt.Sprintf("ZRANGE %d %d rev=%v", start, stop, rev), got, want)
	}
	for i := 0; i < 3; i++ {
		lo := float64(rng.IntN(50) - 25)
		hi := lo + float64(rng.IntN(30))
		r := storage.ScoreRange{Min: lo, Max: hi, MinEx: rng.IntN(3) == 0, MaxEx: rng.IntN(3) == 0}
		var in []storage.ZMember
		for _, zm := range s {
			if (zm.Score > lo || (!r.MinEx && zm.Score == lo)) && (zm.Score < hi || (!r.MaxEx && zm.Score == hi)) {
				in = append(in, zm)
			}
		}
		c, err := tx.ZCount(0, key, r)
		if err != nil || c != int64(len(in)) {
			t.Fatalf("ZCOUNT %+v = %d %v, model %d", r, c, err, len(in))
		}
		offset, limit := rng.Int64N(int64(len(in))+4), rng.Int64N(6)-1
		rev := rng.IntN(2) == 0
		got, err := tx.ZRange(0, key, storage.ZRangeSpec{By: storage.ZByScore, Score: r, Rev: rev, Offset: offset, Limit: limit})
		if err != nil {
			return err
		}
		var want []storage.ZMember
		for j := offset; j < int64(len(in)) && (limit < 0 || j < offset+limit); j++ {
			if rev {
				want = append(want, in[int64(len(in))-1-j])
			} else {
				want = append(want, in[j])
			}
		}
		sameMembers(t, fmt.Sprintf("ZRANGEBYSCORE %+v rev=%v LIMIT %d %d", r, rev, offset, limit), got, want)
	}
	return nil
}

// TestZSetRankIndexLifecycle checks that the rank index follows its set
// through COPY, RENAME, DEL and a set written before the index existed,
// and that a set that shrinks below half the threshold drops it.
func TestZSetRankIndexLifecycle(t *testing.T) {
	smallRankIndex(t, 8, 2)
	db := openDB(t)
	fences := func() int {
		var n int
		read(t, db, func(tx *storage.Tx) error {
			var err error
			n, err = tx.CountRecords(codec.TagZRank)
			return err
		})
		return n
	}
	var members []storage.ZMember
	for i := 0; i < 100; i++ {
		members = append(members, storage.ZMember{Member: []byte(fmt.Sprintf("m%02d", i)), Score: float64(i % 7)})
	}
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.ZAdd(0, []byte("a"), storage.ZAddOptions{}, members)
		return err
	})
	one := fences()
	if one == 0 {
		t.Fatal("a 100-member set has no rank index")
	}
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.Copy(0, []byte("a"), 0, []byte("b"), false)
		return err
	})
	if got := fences(); got != 2*one {
		t.Fatalf("after COPY: %d rank records, want %d", got, 2*one)
	}
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.Rename(0, []byte("b"), []byte("c"), false)
		return err
	})
	read(t, db, func(tx *storage.Tx) error {
		rank, ok, err := tx.ZRank(0, []byte("c"), []byte("m50"), false)
		want := int64(0) // members with a lower score, or equal and ordered before
		for _, zm := range members {
			if zm.Score < 50%7 || (zm.Score == 50%7 && string(zm.Member) < "m50") {
				want++
			}
		}
		if err != nil || !ok || rank != want {
			t.Fatalf("ZRANK of the copy = %d %v %v, want %d", rank, ok, err, want)
		}
		return nil
	})
	checkStore(t, db, "after COPY and RENAME")
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.Del(0, []byte("c"))
		return err
	})
	if got := fences(); got != one {
		t.Fatalf("after DEL of the copy: %d rank records, want %d", got, one)
	}
	// Shrink below half the threshold: the index goes.
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.ZRemRange(0, []byte("a"), storage.ZRangeSpec{By: storage.ZByRank, Start: 3, Stop: -1})
		return err
	})
	if got := fences(); got != 0 {
		t.Fatalf("a 3-member set keeps %d rank records", got)
	}
	// A set written without an index (as before the index existed) gets
	// one at its next write.
	var names []string
	var scores []float64
	for i := 0; i < 50; i++ {
		names = append(names, fmt.Sprintf("s%02d", i))
		scores = append(scores, float64(i))
	}
	write(t, db, func(tx *storage.Tx) error { return tx.SeedZSet(0, []byte("old"), names, scores) })
	checkStore(t, db, "a seeded set without index")
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.ZAdd(0, []byte("old"), storage.ZAddOptions{}, []storage.ZMember{{Member: []byte("new"), Score: 10.5}})
		return err
	})
	if fences() == 0 {
		t.Fatal("the seeded set got no rank index at its next write")
	}
	read(t, db, func(tx *storage.Tx) error {
		rank, _, err := tx.ZRank(0, []byte("old"), []byte("new"), false)
		if err != nil || rank != 11 {
			t.Fatalf("ZRANK new = %d %v, want 11", rank, err)
		}
		return nil
	})
	checkStore(t, db, "after the index was built")
}

// TestZSetRankCheckFindsBadFence checks that the consistency check notices
// a fence whose count disagrees with the score index.
func TestZSetRankCheckFindsBadFence(t *testing.T) {
	smallRankIndex(t, 8, 2)
	db := openDB(t)
	var members []storage.ZMember
	for i := 0; i < 40; i++ {
		members = append(members, storage.ZMember{Member: []byte(fmt.Sprintf("m%02d", i)), Score: float64(i)})
	}
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.ZAdd(0, []byte("z"), storage.ZAddOptions{}, members)
		return err
	})
	checkStore(t, db, "fresh")
	// Remove one score-index entry behind the index's back.
	write(t, db, func(tx *storage.Tx) error { return tx.CorruptZScoreEntry(0, []byte("z"), []byte("m17")) })
	rep, err := db.Check()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range rep.Problems {
		if bytes.Contains([]byte(p), []byte("rank-index fence")) {
			found = true
		}
	}
	if !found {
		t.Fatalf("check missed a miscounted fence: %v", rep.Problems)
	}
}

// BenchmarkZRankMillion measures ZRANK in a 1M-member sorted set (run with
// -bench ZRankMillion; building the set takes a while).
func BenchmarkZRankMillion(b *testing.B) {
	const n = 1_000_000
	db, err := storage.Open(storage.Options{Dir: b.TempDir(), Sync: storage.SyncNo})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for start := 0; start < n; start += 50_000 {
		var batch []storage.ZMember
		for i := start; i < start+50_000; i++ {
			batch = append(batch, storage.ZMember{Member: []byte(fmt.Sprintf("m%07d", i)), Score: float64((i * 7919) % n)})
		}
		tx := db.BeginWrite()
		if _, err := tx.ZAdd(0, []byte("big"), storage.ZAddOptions{}, batch); err != nil {
			b.Fatal(err)
		}
		p, err := tx.Commit()
		if err != nil {
			b.Fatal(err)
		}
		db.Wait(p)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tx := db.BeginRead()
		if _, ok, err := tx.ZRank(0, []byte("big"), []byte(fmt.Sprintf("m%07d", rng.IntN(n))), true); err != nil || !ok {
			b.Fatal(err)
		}
		tx.Close()
	}
}
