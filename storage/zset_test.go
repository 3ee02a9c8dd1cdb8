package storage_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"moonstone/storage"
)

func openDB(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.Open(storage.Options{Dir: t.TempDir(), Sync: storage.SyncNo})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// write runs fn in a committed write transaction.
func write(t *testing.T, db *storage.DB, fn func(tx *storage.Tx) error) {
	t.Helper()
	tx := db.BeginWrite()
	done := false
	defer func() {
		if !done { // fn failed the test: release the write gate for Close
			tx.Discard()
		}
	}()
	if err := fn(tx); err != nil {
		t.Fatal(err)
	}
	done = true
	p, err := tx.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Wait(p); err != nil {
		t.Fatal(err)
	}
}

// read runs fn in a read transaction.
func read(t *testing.T, db *storage.DB, fn func(tx *storage.Tx) error) {
	t.Helper()
	tx := db.BeginRead()
	defer tx.Close()
	if err := fn(tx); err != nil {
		t.Fatal(err)
	}
}

// zmodel is a sorted set kept in memory, in Redis's order.
type zmodel []storage.ZMember

func (z zmodel) sort() {
	sort.Slice(z, func(i, j int) bool {
		if z[i].Score != z[j].Score {
			return z[i].Score < z[j].Score
		}
		return bytes.Compare(z[i].Member, z[j].Member) < 0
	})
}

// byScore is the model's answer to ZRANGEBYSCORE min max LIMIT offset count.
func (z zmodel) byScore(min, max float64, offset, count int) []storage.ZMember {
	var in []storage.ZMember
	for _, m := range z {
		if m.Score >= min && m.Score <= max {
			in = append(in, m)
		}
	}
	if offset >= len(in) {
		return nil
	}
	return in[offset:min2(len(in), offset+count)]
}

func min2(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func sameMembers(t *testing.T, what string, got, want []storage.ZMember) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d members, want %d", what, len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].Member, want[i].Member) || got[i].Score != want[i].Score {
			t.Fatalf("%s: member %d is %s=%v, want %s=%v", what, i, got[i].Member, got[i].Score, want[i].Member, want[i].Score)
		}
	}
}

// TestZSetLarge builds a 200k-member sorted set and checks that score
// ranges with LIMIT, point reads, ranks, counts, random picks, scans and
// removals agree with an in-memory model.
func TestZSetLarge(t *testing.T) {
	const n = 200_000
	db := openDB(t)
	key := []byte("big")
	model := make(zmodel, 0, n)
	for start := 0; start < n; start += 20_000 {
		batch := make([]storage.ZMember, 0, 20_000)
		for i := start; i < start+20_000; i++ {
			// Scores repeat (ties are ordered by member) and are not
			// inserted in order.
			m := storage.ZMember{Member: []byte(fmt.Sprintf("m%06d", i)), Score: float64((i*7919)%50_000) / 4}
			batch = append(batch, m)
			model = append(model, m)
		}
		write(t, db, func(tx *storage.Tx) error {
			res, err := tx.ZAdd(0, key, storage.ZAddOptions{}, batch)
			if err == nil && res.Added != int64(len(batch)) {
				err = fmt.Errorf("added %d of %d", res.Added, len(batch))
			}
			return err
		})
	}
	model.sort()

	read(t, db, func(tx *storage.Tx) error {
		card, err := tx.ZCard(0, key)
		if err != nil || card != n {
			t.Fatalf("ZCARD = %d, %v", card, err)
		}
		for _, q := range []struct {
			min, max      float64
			offset, count int
		}{{100, 200, 0, 100}, {100, 200, 50, 100}, {0, 12_500, 199_950, 100}, {5000.25, 5000.25, 0, 10}, {-1, -0.5, 0, 10}} {
			got, err := tx.ZRange(0, key, storage.ZRangeSpec{By: storage.ZByScore,
				Score: storage.ScoreRange{Min: q.min, Max: q.max}, Offset: int64(q.offset), Limit: int64(q.count)})
			if err != nil {
				return err
			}
			sameMembers(t, fmt.Sprintf("ZRANGEBYSCORE %v %v LIMIT %d %d", q.min, q.max, q.offset, q.count),
				got, model.byScore(q.min, q.max, q.offset, q.count))
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < 1000; i++ {
			j := rng.IntN(n)
			score, ok, err := tx.ZScore(0, key, []byte(fmt.Sprintf("m%06d", j)))
			if err != nil || !ok || score != float64((j*7919)%50_000)/4 {
				t.Fatalf("ZSCORE m%06d = %v %v %v", j, score, ok, err)
			}
		}
		if _, ok, _ := tx.ZScore(0, key, []byte("absent")); ok {
			t.Fatal("ZSCORE of an absent member found it")
		}
		for _, r := range []int{0, 1, 777, n / 2, n - 1000, n - 1} {
			rank, ok, err := tx.ZRank(0, key, model[r].Member, false)
			if err != nil || !ok || rank != int64(r) {
				t.Fatalf("ZRANK of rank %d = %d %v %v", r, rank, ok, err)
			}
			rev, _, _ := tx.ZRank(0, key, model[r].Member, true)
			if rev != int64(n-1-r) {
				t.Fatalf("ZREVRANK of rank %d = %d", r, rev)
			}
		}
		got, err := tx.ZRange(0, key, storage.ZRangeSpec{By: storage.ZByRank, Start: 150_000, Stop: 150_009})
		if err != nil {
			return err
		}
		sameMembers(t, "ZRANGE 150000 150009", got, model[150_000:150_010])
		got, err = tx.ZRange(0, key, storage.ZRangeSpec{By: storage.ZByRank, Start: 10, Stop: 12, Rev: true})
		if err != nil {
			return err
		}
		sameMembers(t, "ZRANGE 10 12 REV", got, []storage.ZMember{model[n-11], model[n-12], model[n-13]})
		for _, q := range [][2]float64{{-1e9, 1e9}, {100, 200}, {0, 12_000}, {12_499.75, 12_499.75}} {
			c, err := tx.ZCount(0, key, storage.ScoreRange{Min: q[0], Max: q[1]})
			if err != nil {
				return err
			}
			if want := len(model.byScore(q[0], q[1], 0, n)); c != int64(want) {
				t.Fatalf("ZCOUNT %v %v = %d, want %d", q[0], q[1], c, want)
			}
		}
		return nil
	})

	// ZRANDMEMBER: distinct picks by seek and by one walk, repeats.
	read(t, db, func(tx *storage.Tx) error {
		for _, count := range []int64{10, 1000, n / 2, -50} {
			pick, err := tx.ZRandMember(0, key, count)
			if err != nil {
				return err
			}
			want := count
			if want < 0 {
				want = -want
			}
			if pick.Len() != want {
				t.Fatalf("ZRANDMEMBER %d gave %d members", count, pick.Len())
			}
			seen := make(map[string]bool)
			for i := int64(0); i < pick.Len(); i++ {
				zm := pick.At(i)
				score, ok, err := tx.ZScore(0, key, zm.Member)
				if err != nil || !ok || score != zm.Score {
					t.Fatalf("ZRANDMEMBER %d picked %s=%v, stored %v %v", count, zm.Member, zm.Score, score, ok)
				}
				if count > 0 && seen[string(zm.Member)] {
					t.Fatalf("ZRANDMEMBER %d picked %s twice", count, zm.Member)
				}
				seen[string(zm.Member)] = true
			}
		}
		return nil
	})

	// ZSCAN pages through every member exactly once.
	read(t, db, func(tx *storage.Tx) error {
		var from []byte
		seen := 0
		for pages := 0; ; pages++ {
			res, err := tx.ZScan(0, key, from, 5000, nil)
			if err != nil {
				return err
			}
			seen += len(res.Members)
			if res.Next == nil {
				break
			}
			from = res.Next
		}
		if seen != n {
			t.Fatalf("ZSCAN saw %d members, want %d", seen, n)
		}
		return nil
	})

	// Removals keep the count exact; popping everything deletes the key.
	write(t, db, func(tx *storage.Tx) error {
		removed, err := tx.ZRemRange(0, key, storage.ZRangeSpec{By: storage.ZByScore, Score: storage.ScoreRange{Min: 100, Max: 200}})
		if want := len(model.byScore(100, 200, 0, n)); err != nil || removed != int64(want) {
			t.Fatalf("ZREMRANGEBYSCORE removed %d, %v; want %d", removed, err, want)
		}
		popped, err := tx.ZPop(0, key, true, 10)
		if err != nil || len(popped) != 10 || !bytes.Equal(popped[0].Member, model[n-1].Member) {
			t.Fatalf("ZPOPMAX 10 = %d members, %v", len(popped), err)
		}
		card, _ := tx.ZCard(0, key)
		if want := int64(n) - removed - 10; card != want {
			t.Fatalf("ZCARD after removals = %d, want %d", card, want)
		}
		popped, err = tx.ZPop(0, key, false, n)
		if err != nil || int64(len(popped)) != card {
			t.Fatalf("ZPOPMIN all = %d members, %v", len(popped), err)
		}
		if ok, _ := tx.Exists(0, key); ok {
			t.Fatal("the emptied sorted set still exists")
		}
		return nil
	})
}

// TestZSetLexLarge checks lex ranges on a large sorted set whose members
// share one score, the case where they are defined.
func TestZSetLexLarge(t *testing.T) {
	const n = 50_000
	db := openDB(t)
	key := []byte("lex")
	var members []storage.ZMember
	for i := 0; i < n; i++ {
		members = append(members, storage.ZMember{Member: []byte(fmt.Sprintf("w%05d", (i*31)%n))})
	}
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.ZAdd(0, key, storage.ZAddOptions{}, members)
		return err
	})
	read(t, db, func(tx *storage.Tx) error {
		got, err := tx.ZRange(0, key, storage.ZRangeSpec{By: storage.ZByLex, Limit: 100, Offset: 3,
			Lex: storage.LexRange{Min: storage.LexBound{Member: []byte("w20000"), Ex: true}, Max: storage.LexBound{Inf: 1, Ex: true}}})
		if err != nil {
			return err
		}
		if len(got) != 100 || string(got[0].Member) != "w20004" || string(got[99].Member) != "w20103" {
			t.Fatalf("ZRANGEBYLEX (w20000 + LIMIT 3 100 = %d members from %s", len(got), got[0].Member)
		}
		got, err = tx.ZRange(0, key, storage.ZRangeSpec{By: storage.ZByLex, Rev: true, Limit: 2,
			Lex: storage.LexRange{Min: storage.LexBound{Inf: -1, Ex: true}, Max: storage.LexBound{Member: []byte("w00100")}}})
		if err != nil {
			return err
		}
		if len(got) != 2 || string(got[0].Member) != "w00100" || string(got[1].Member) != "w00099" {
			t.Fatalf("ZREVRANGEBYLEX [w00100 - LIMIT 0 2 = %v", got)
		}
		c, err := tx.ZLexCount(0, key, storage.LexRange{Min: storage.LexBound{Member: []byte("w10000")}, Max: storage.LexBound{Member: []byte("w19999")}})
		if err != nil || c != 10_000 {
			t.Fatalf("ZLEXCOUNT [w10000 [w19999 = %d, %v", c, err)
		}
		return nil
	})
}
