package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"moonstone/internal/testkit"
)

// DBSIZE is kept as a counter, not counted: after any mix of commands that
// create, delete, rename, copy, move and empty keys of every type, it must
// equal the number of keys KEYS finds, in every database.
func TestDBSizeStaysExact(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := s.Client
	rng := rand.New(rand.NewPCG(7, 7))
	key := func() string { return fmt.Sprint("k", rng.IntN(8)) }
	cmds := []func() []any{
		func() []any { return []any{"SET", key(), "v"} },
		func() []any { return []any{"DEL", key()} },
		func() []any { return []any{"HSET", key(), "f" + fmt.Sprint(rng.IntN(3)), "v"} },
		func() []any { return []any{"HDEL", key(), "f" + fmt.Sprint(rng.IntN(3))} },
		func() []any { return []any{"SADD", key(), rng.IntN(3)} },
		func() []any { return []any{"SREM", key(), rng.IntN(3)} },
		func() []any { return []any{"SPOP", key()} },
		func() []any { return []any{"RPUSH", key(), "x"} },
		func() []any { return []any{"LPOP", key()} },
		func() []any { return []any{"LTRIM", key(), 1, 0} },
		func() []any { return []any{"ZADD", key(), rng.IntN(5), "m" + fmt.Sprint(rng.IntN(3))} },
		func() []any { return []any{"ZREM", key(), "m" + fmt.Sprint(rng.IntN(3))} },
		func() []any { return []any{"ZPOPMIN", key()} },
		func() []any { return []any{"RENAME", key(), key()} },
		func() []any { return []any{"RENAMENX", key(), key()} },
		func() []any { return []any{"COPY", key(), key()} },
		func() []any { return []any{"COPY", key(), key(), "REPLACE"} },
		func() []any { return []any{"COPY", key(), key(), "DB", 1, "REPLACE"} },
		func() []any { return []any{"MOVE", key(), 1} },
		func() []any { return []any{"PEXPIRE", key(), 0} },
		func() []any { return []any{"EXPIRE", key(), 100} },
		func() []any { return []any{"PERSIST", key()} },
		func() []any { return []any{"SINTERSTORE", key(), key(), key()} },
		func() []any { return []any{"SUNIONSTORE", key(), key(), key()} },
		func() []any { return []any{"ZUNIONSTORE", key(), 2, key(), key()} },
		func() []any { return []any{"ZRANGESTORE", key(), key(), 0, -1} },
		func() []any { return []any{"LMOVE", key(), key(), "LEFT", "RIGHT"} },
		func() []any { return []any{"SMOVE", key(), key(), rng.IntN(3)} },
		func() []any { return []any{"GETDEL", key()} },
		func() []any { return []any{"APPEND", key(), "x"} },
		func() []any { return []any{"BITOP", "OR", key(), key(), key()} },
		func() []any { return []any{"SORT", key(), "STORE", key()} },
		func() []any {
			return []any{"EVAL", "redis.call('SET', KEYS[1], 1) redis.call('DEL', KEYS[2])", 2, key(), key()}
		},
		func() []any { return []any{"EVAL", "redis.call('SET', KEYS[1], 1) error('x')", 1, key()} },
	}
	for step := 0; step < 1500; step++ {
		args := cmds[rng.IntN(len(cmds))]()
		c.Do(ctx, args...) // errors (WRONGTYPE, no such key) are part of the mix
		if step%10 != 0 {
			continue
		}
		for db := 0; db < 2; db++ {
			c.Do(ctx, "SELECT", db)
			keys, err := c.Do(ctx, "KEYS", "*").StringSlice()
			if err != nil {
				t.Fatal(err)
			}
			n, _ := c.Do(ctx, "DBSIZE").Int()
			if n != len(keys) {
				t.Fatalf("step %d (%v): db %d DBSIZE %d but KEYS finds %d: %v", step, args, db, n, len(keys), keys)
			}
		}
		c.Do(ctx, "SELECT", 0)
	}
}
