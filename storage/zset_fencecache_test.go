package storage_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"moonstone/storage"
)

// The fence cache serves the writes of big sorted sets with the committed
// fences: seeded random transactions on two indexed sets, a third of them
// discarded after splitting or emptying fences, some deleting a set
// whole, must leave ranks that match a model of the committed writes and
// rank indexes whose counts the consistency check accepts.
func TestZSetFenceCacheFollowsCommits(t *testing.T) {
	smallRankIndex(t, 8, 2)
	db := openDB(t)
	keys := []string{"a", "b"}
	models := map[string]zmap{"a": {}, "b": {}}
	rng := rand.New(rand.NewPCG(3, 5))
	cachedSeen := 0
	for op := 0; op < 1500; op++ {
		key := keys[rng.IntN(2)]
		next := zmap{}
		for m, s := range models[key] {
			next[m] = s
		}
		tx := db.BeginWrite()
		for n := 1 + rng.IntN(4); n > 0; n-- {
			switch r := rng.IntN(20); {
			case r == 0 && op%7 == 0:
				if _, err := tx.Del(0, []byte(key)); err != nil {
					t.Fatal(err)
				}
				next = zmap{}
			case r < 13:
				var add []storage.ZMember
				for i := rng.IntN(6); i >= 0; i-- {
					m := fmt.Sprintf("m%03d", rng.IntN(300))
					s := float64(rng.IntN(50))
					add = append(add, storage.ZMember{Member: []byte(m), Score: s})
					next[m] = s
				}
				if _, err := tx.ZAdd(0, []byte(key), storage.ZAddOptions{}, add); err != nil {
					t.Fatal(err)
				}
			default:
				var rem [][]byte
				for i := rng.IntN(6); i >= 0; i-- {
					m := fmt.Sprintf("m%03d", rng.IntN(300))
					rem = append(rem, []byte(m))
					delete(next, m)
				}
				if _, err := tx.ZRem(0, []byte(key), rem); err != nil {
					t.Fatal(err)
				}
			}
		}
		if rng.IntN(3) == 0 {
			tx.Discard()
		} else {
			p, err := tx.Commit()
			if err == nil {
				err = db.Wait(p)
			}
			if err != nil {
				t.Fatal(err)
			}
			models[key] = next
		}
		if storage.FenceCacheSets(db) > 0 {
			cachedSeen++
		}
		if op%25 != 0 {
			continue
		}
		rd := db.BeginRead()
		for _, k := range keys {
			for i, zm := range models[k].sorted() {
				r, ok, err := rd.ZRank(0, []byte(k), zm.Member, false)
				if err != nil || !ok || r != int64(i) {
					rd.Close()
					t.Fatalf("op %d: ZRANK %s %s = %d %v %v, model %d", op, k, zm.Member, r, ok, err, i)
				}
			}
		}
		rd.Close()
		checkStore(t, db, fmt.Sprintf("op %d", op))
	}
	// The cache must have served: otherwise this tested nothing.
	if cachedSeen < 500 {
		t.Fatalf("the fence cache held a set after only %d of 1500 transactions", cachedSeen)
	}
}
