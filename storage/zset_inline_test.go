package storage_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"moonstone/storage"
)

// TestZSetInlineRandom runs seeded random writes on sorted sets that start
// inside their metadata record, spill to records as their entries grow,
// are converted by a long member, emptied and recreated, and checks each
// one against a model: contents, ranks, counts and ranges (compareZ), the
// encoding Redis's rules give (a listpack until a member past the value
// limit or past the entry limit arrives, and for good), and the store's
// consistency check, which verifies that an inline set has no records.
func TestZSetInlineRandom(t *testing.T) {
	storage.SetZSetInlineBytes(t, 100) // about 8 entries
	db := openDB(t)
	db.SetZSetLimits(24, 16)
	rng := rand.New(rand.NewPCG(3, 5))
	keys := [][]byte{[]byte("a"), []byte("b"), []byte("c")}
	models := map[string]zmap{}
	skiplist := map[string]bool{}
	member := func() string {
		m := fmt.Sprintf("m%02d", rng.IntN(28))
		if rng.IntN(60) == 0 {
			m += strings.Repeat("x", 14+rng.IntN(4)) // 17-20 bytes, some past the limit
		}
		return m
	}
	score := func() float64 { return float64(rng.IntN(30) - 10) }
	var seen struct{ inline, spilled, skiplist int }
	for op := 0; op < 4000; op++ {
		key := keys[rng.IntN(len(keys))]
		model := models[string(key)]
		if model == nil {
			model = zmap{}
			models[string(key)] = model
		}
		write(t, db, func(tx *storage.Tx) error {
			switch what := rng.IntN(10); {
			case what < 5:
				var add []storage.ZMember
				for i := rng.IntN(2); i >= 0; i-- {
					add = append(add, storage.ZMember{Member: []byte(member()), Score: score()})
				}
				if len(model) == 0 {
					skiplist[string(key)] = len(add[0].Member) > 16
				}
				for _, zm := range add {
					if _, ok := model[string(zm.Member)]; !ok && (len(model)+1 > 24 || len(zm.Member) > 16) {
						skiplist[string(key)] = true
					}
					model[string(zm.Member)] = zm.Score
				}
				_, err := tx.ZAdd(0, key, storage.ZAddOptions{}, add)
				return err
			case what == 5:
				m, by := member(), score()
				if _, ok := model[m]; !ok && (len(model) == 0 || len(model)+1 > 24 || len(m) > 16) {
					skiplist[string(key)] = len(model) > 0 || len(m) > 16
				}
				model[m] += by
				_, err := tx.ZAdd(0, key, storage.ZAddOptions{Incr: true}, []storage.ZMember{{Member: []byte(m), Score: by}})
				return err
			case what == 6:
				rem := [][]byte{[]byte(member()), []byte(member())}
				for _, m := range rem {
					delete(model, string(m))
				}
				_, err := tx.ZRem(0, key, rem)
				return err
			case what == 7:
				popped, err := tx.ZPop(0, key, rng.IntN(2) == 0, int64(rng.IntN(3)))
				for _, zm := range popped {
					delete(model, string(zm.Member))
				}
				return err
			case what == 8:
				lo := score()
				hi := lo + float64(rng.IntN(8))
				for m, s := range model {
					if s >= lo && s <= hi {
						delete(model, m)
					}
				}
				_, err := tx.ZRemRange(0, key, storage.ZRangeSpec{By: storage.ZByScore, Score: storage.ScoreRange{Min: lo, Max: hi}})
				return err
			case what == 9 && rng.IntN(2) == 0:
				clear(model)
				_, err := tx.Del(0, key)
				return err
			default:
				// ZUNIONSTORE-like rebuild from another key: the new set
				// is a listpack, and inline, if it fits.
				src := keys[rng.IntN(len(keys))]
				members, err := tx.ZRange(0, src, storage.ZRangeSpec{By: storage.ZByRank, Start: 0, Stop: -1})
				if err != nil {
					return err
				}
				clear(model)
				longest := 0
				for _, zm := range members {
					model[string(zm.Member)] = zm.Score
					longest = max(longest, len(zm.Member))
				}
				skiplist[string(key)] = len(members) > 24 || longest > 16
				_, err = tx.ZStore(0, key, members)
				return err
			}
		})
		read(t, db, func(tx *storage.Tx) error {
			if err := compareZ(t, tx, key, model, rng); err != nil {
				return err
			}
			if err := compareLex(t, tx, key, model); err != nil {
				return err
			}
			enc, err := tx.ZSetEncoding(0, key)
			if err != nil {
				return err
			}
			inline, _, err := tx.ZSetLayout(0, key)
			if err != nil {
				return err
			}
			switch {
			case len(model) == 0:
				if enc != "" {
					t.Fatalf("op %d: an empty set is still there (%s)", op, enc)
				}
			case (enc == "skiplist") != skiplist[string(key)]:
				t.Fatalf("op %d: %s with %d members has encoding %s, model skiplist %v", op, key, len(model), enc, skiplist[string(key)])
			case inline:
				seen.inline++
			case enc == "skiplist":
				seen.skiplist++
			default:
				seen.spilled++
			}
			return nil
		})
		if op%200 == 199 {
			checkStore(t, db, fmt.Sprintf("after op %d", op))
		}
	}
	t.Logf("states seen: %+v", seen)
	if seen.inline < 100 || seen.spilled < 100 || seen.skiplist < 100 {
		t.Fatalf("the run did not cover its cases: %+v", seen)
	}
}

// compareLex checks ZRANGEBYLEX over the whole set against the model when
// every member has one score, the case Redis defines.
func compareLex(t *testing.T, tx *storage.Tx, key []byte, model zmap) error {
	t.Helper()
	s := model.sorted()
	if len(s) == 0 || s[0].Score != s[len(s)-1].Score {
		return nil
	}
	min := storage.LexBound{Member: s[len(s)/2].Member}
	got, err := tx.ZRange(0, key, storage.ZRangeSpec{By: storage.ZByLex, Lex: storage.LexRange{Min: min, Max: storage.LexBound{Inf: 1}}, Limit: -1})
	if err != nil {
		return err
	}
	var want []storage.ZMember
	for _, zm := range s {
		if bytes.Compare(zm.Member, min.Member) >= 0 {
			want = append(want, zm)
		}
	}
	sameMembers(t, "ZRANGEBYLEX", got, want)
	return nil
}

// TestZSetInlineFollowsKey checks that an inline set survives COPY,
// RENAME, a restart and expiry like any other key, and that DEL and
// expiry leave no records behind.
func TestZSetInlineFollowsKey(t *testing.T) {
	dir := t.TempDir()
	db, err := storage.Open(storage.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	zs := []storage.ZMember{{Member: []byte("x"), Score: 2}, {Member: []byte("y"), Score: 1}}
	write(t, db, func(tx *storage.Tx) error {
		if _, err := tx.ZAdd(0, []byte("z"), storage.ZAddOptions{}, zs); err != nil {
			return err
		}
		if _, err := tx.Copy(0, []byte("z"), 1, []byte("copy"), false); err != nil {
			return err
		}
		_, err := tx.Rename(0, []byte("z"), []byte("moved"), false)
		return err
	})
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.ZRem(1, []byte("copy"), [][]byte{[]byte("x")})
		return err
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = storage.Open(storage.Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	read(t, db, func(tx *storage.Tx) error {
		got, err := tx.ZRange(0, []byte("moved"), storage.ZRangeSpec{By: storage.ZByRank, Start: 0, Stop: -1})
		if err != nil {
			return err
		}
		sameMembers(t, "renamed", got, []storage.ZMember{zs[1], zs[0]})
		if got, err = tx.ZRange(1, []byte("copy"), storage.ZRangeSpec{By: storage.ZByRank, Start: 0, Stop: -1}); err != nil {
			return err
		}
		sameMembers(t, "copy after ZREM", got, []storage.ZMember{zs[1]})
		inline, _, err := tx.ZSetLayout(0, []byte("moved"))
		if !inline {
			t.Fatalf("a 2-member set is not inline")
		}
		return err
	})
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.Del(0, []byte("moved"))
		return err
	})
	read(t, db, func(tx *storage.Tx) error {
		for _, tag := range []byte{'z', 'Z', 'r'} {
			if n, err := tx.CountRecords(tag); err != nil || n != 0 {
				t.Fatalf("%d %c records after inline sets only (%v)", n, tag, err)
			}
		}
		return nil
	})
	checkStore(t, db, "at the end")
}
