package server_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"moonstone/internal/testkit"
)

// The key filters (storage/keyfilter.go) let a write skip looking up a key
// or member they call absent, so one that called a present key absent
// would show as a wrong reply: HSET counting an existing field as new,
// SADD a member twice, ZADD leaving a member's old score, SET over a hash
// keeping it. A random mix of writes and reads over a few keys, with
// collections past their inline bounds and restarts between rounds (the
// filters are rebuilt from disk), must answer as redis-server does.
func TestKeyFiltersRandomWritesMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	for _, cfg := range [][]string{
		{"hash-max-listpack-entries", "4"}, {"zset-max-listpack-entries", "4"}, {"set-max-intset-entries", "4"},
	} {
		if _, _, err := p.Do("CONFIG", "SET", cfg[0], cfg[1]); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(11, 25))
	key := func() string { return fmt.Sprint("k", rng.IntN(12)) }
	member := func() string { return fmt.Sprint("m", rng.IntN(10)) }
	ops := []func() []string{
		func() []string { return []string{"SET", key(), member()} },
		func() []string { return []string{"GET", key()} },
		func() []string { return []string{"INCR", key()} },
		func() []string { return []string{"DEL", key()} },
		func() []string { return []string{"EXISTS", key(), key()} },
		func() []string { return []string{"TYPE", key()} },
		func() []string { return []string{"HSET", key(), member(), "v", member(), "w"} },
		func() []string { return []string{"HGET", key(), member()} },
		func() []string { return []string{"HDEL", key(), member()} },
		func() []string { return []string{"HLEN", key()} },
		func() []string { return []string{"SADD", key(), member(), member()} },
		func() []string { return []string{"SREM", key(), member()} },
		func() []string { return []string{"SISMEMBER", key(), member()} },
		func() []string { return []string{"SCARD", key()} },
		func() []string { return []string{"ZADD", key(), fmt.Sprint(rng.IntN(5)), member()} },
		func() []string { return []string{"ZSCORE", key(), member()} },
		func() []string { return []string{"ZREM", key(), member()} },
		func() []string { return []string{"ZCARD", key()} },
		func() []string { return []string{"ZRANGE", key(), "0", "-1", "WITHSCORES"} },
		func() []string { return []string{"RENAME", key(), key()} },
		func() []string { return []string{"COPY", key(), key()} },
		func() []string { return []string{"MOVE", key(), "1"} },
		func() []string { return []string{"SWAPDB", "0", "1"} },
		func() []string { return []string{"EXPIRE", key(), "1000"} },
		func() []string { return []string{"PERSIST", key()} },
		func() []string { return []string{"DBSIZE"} },
	}
	for round := 0; round < 6; round++ {
		if round > 0 {
			p.RestartMoonstone(t)
			if _, _, err := p.Do("SELECT", "0"); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 600; i++ {
			args := ops[rng.IntN(len(ops))]()
			if args[0] == "SWAPDB" && rng.IntN(10) != 0 {
				continue // now and then: it moves every key at once
			}
			m, r, err := p.Do(args...)
			if err != nil {
				t.Fatal(err)
			}
			if m != r {
				t.Fatalf("round %d, command %d: %s\n  moonstone: %q\n  redis:     %q", round, i, strings.Join(args, " "), m, r)
			}
		}
	}
}
