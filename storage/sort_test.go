package storage_test

import (
	"context"
	"testing"

	"moonstone/internal/testkit"
)

// TestSortCollectionsMatchRedis sorts sets and sorted sets, weighing them
// by strings and hash fields, and compares with Redis. Moonstone's sets,
// sorted sets and hashes are written here straight in their codec layout
// (SeedSet, SeedZSet, SeedHash), so the test depends only on that layout,
// not on those types' commands; Redis gets the same data through SADD,
// ZADD and HSET.
func TestSortCollectionsMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	ctx := context.Background()
	rd := p.Redis.Client
	tx := p.Moonstone.Srv.DB().BeginWrite()
	seed := func(err error) {
		t.Helper()
		if err != nil {
			tx.Discard()
			t.Fatal(err)
		}
	}
	redis := func(args ...any) {
		t.Helper()
		if err := rd.Do(ctx, args...).Err(); err != nil {
			t.Fatal(err)
		}
	}

	seed(tx.SeedSet(0, []byte("s"), "5", "3", "1", "10", "2", "4", "-7.5"))
	redis("SADD", "s", "5", "3", "1", "10", "2", "4", "-7.5")
	seed(tx.SeedSet(0, []byte("fruit"), "banana", "apple", "cherry", "date"))
	redis("SADD", "fruit", "banana", "apple", "cherry", "date")
	seed(tx.SeedZSet(0, []byte("z"), []string{"a", "b", "c", "d", "e"}, []float64{3, 1, 2, 5, 4}))
	redis("ZADD", "z", 3, "a", 1, "b", 2, "c", 5, "d", 4, "e")
	seed(tx.SeedZSet(0, []byte("zn"), []string{"30", "10", "20", "5"}, []float64{1, 2, 2, -1}))
	redis("ZADD", "zn", 1, "30", 2, "10", 2, "20", -1, "5")
	for _, h := range [][]string{
		{"h_a", "w", "30", "name", "Alpha"},
		{"h_b", "w", "10", "name", "Bravo"},
		{"h_c", "w", "20", "name", ""},
		{"h_d", "w", "x"},
		{"h_1", "w", "-1", "name", "one"},
		{"h_banana", "w", "b"},
		{"h_apple", "w", "a"},
		{"h_cherry", "w", "c"},
	} {
		seed(tx.SeedHash(0, []byte(h[0]), h[1:]...))
		args := []any{"HSET", h[0]}
		for _, f := range h[1:] {
			args = append(args, f)
		}
		redis(args...)
	}
	seed(tx.SeedSet(0, []byte("aset"), "x"))
	redis("SADD", "aset", "x")
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	p.Run(t, `
MSET w_1 5 w_2 4 w_3 3 w_4 2 w_5 1 w_10 0 w_-7.5 9 w_e 7
SORT s
SORT s DESC
SORT s LIMIT 2 3
SORT s LIMIT 2 3 DESC
SORT s LIMIT -1 2
SORT s LIMIT 5 100
SORT s LIMIT 7 1
SORT s LIMIT 0 0
SORT s LIMIT 0 -5
SORT s BY w_*
SORT s BY w_* DESC
SORT s BY w_* LIMIT 1 3
SORT s BY w_* GET # GET w_*
SORT s BY w_* GET nokey
SORT s BY h_*->w
SORT s GET h_*->name
SORT s ALPHA
~SORT s BY nosort
SORT s BY nosort STORE dst
LRANGE dst 0 -1
SORT s BY nosort DESC LIMIT 1 2 STORE dst
LRANGE dst 0 -1
SORT fruit
SORT fruit ALPHA
SORT fruit ALPHA DESC LIMIT 1 2
SORT fruit BY h_*->w ALPHA
SORT fruit BY h_*->w ALPHA DESC
SORT fruit BY h_*->w
SORT_RO fruit ALPHA GET h_*->w GET #
SORT_RO fruit BY nosort STORE dst
# sorted sets: their own order under BY nosort, with LIMIT and DESC
SORT z ALPHA
SORT z
SORT z BY nosort
SORT z BY nosort DESC
SORT z BY nosort LIMIT 1 2
SORT z BY nosort DESC LIMIT 1 2
SORT z BY nosort LIMIT 4 10
SORT z BY nosort LIMIT 5 1
SORT z BY nosort DESC LIMIT 0 0
SORT z BY nosort GET h_*->name GET #
SORT z BY h_*->w
SORT z BY h_*->w ALPHA
SORT z BY h_*->w ALPHA DESC
SORT z BY h_*->name ALPHA
SORT z BY h_*->missing
# ties keep the order elements were loaded in, which for Redis's sets and
# sorted sets is hash order: only the multiset can match
~SORT z BY h_*-> ALPHA
~SORT z BY w_* ALPHA
SORT z BY w_* GET h_*->name GET h_*-> GET # STORE out
LRANGE out 0 -1
SORT z BY nosort DESC STORE out
LRANGE out 0 -1
SORT zn
SORT zn DESC
SORT zn BY nosort
SORT zn BY nosort DESC
SORT zn ALPHA
SORT zn GET w_*
SORT aset BY nosort STORE s2
LRANGE s2 0 -1
# weights of the wrong type count as missing
SORT z BY s
~SORT z BY s_* ALPHA
~SORT z BY fruit* ALPHA
`)
}
