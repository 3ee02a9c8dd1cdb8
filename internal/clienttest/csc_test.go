package clienttest_test

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"moonstone/internal/testkit"
)

// TestGoRedisClientSideCache runs go-redis v9's client-side cache (CLIENT
// TRACKING on its pooled RESP3 connections, invalidate pushes drained in
// the background) against Moonstone and redis-server: repeated reads are
// served from the cache, another client's writes reach it, and after a
// burst of concurrent reads and writes every value the cache serves is the
// store's.
func TestGoRedisClientSideCache(t *testing.T) {
	ms := testkit.Start(t, "appendfsync", "no") // 2000 writes, each fsynced otherwise
	rd := testkit.StartRedis(t)
	for _, s := range []struct{ name, addr string }{{"moonstone", ms.Addr}, {"redis", rd.Addr}} {
		t.Run(s.name, func(t *testing.T) { cachedClientStaysFresh(t, s.addr) })
	}
}

func cachedClientStaysFresh(t *testing.T, addr string) {
	ctx := context.Background()
	mutator := redis.NewClient(&redis.Options{Addr: addr})
	defer mutator.Close()
	cached := redis.NewClient(&redis.Options{
		Addr: addr, Protocol: 3, PoolSize: 4,
		ClientSideCacheConfig: &redis.ClientSideCacheConfig{MaxEntries: 1024},
	})
	defer cached.Close()

	if err := mutator.Set(ctx, "k", "v1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if v, err := cached.Get(ctx, "k").Result(); err != nil || v != "v1" {
			t.Fatalf("GET: %q %v", v, err)
		}
	}
	if st := cached.CSCStats(); st.Hits == 0 {
		t.Fatalf("no cache hits: %+v", st)
	}
	if err := mutator.Set(ctx, "k", "v2", 0).Err(); err != nil {
		t.Fatal(err)
	}
	waitFresh(t, cached, mutator, []string{"k"})

	// Concurrent readers through the cache, a writer on the side.
	keys := make([]string, 20)
	for i := range keys {
		keys[i] = fmt.Sprintf("key:%d", i)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(r)))
			for {
				select {
				case <-stop:
					return
				default:
				}
				cached.Get(ctx, keys[rng.Intn(len(keys))])
				cached.HGet(ctx, "h"+keys[rng.Intn(len(keys))], "f")
			}
		}(r)
	}
	rng := rand.New(rand.NewSource(99))
	for n := 0; n < 2000; n++ {
		k := keys[rng.Intn(len(keys))]
		var err error
		switch n % 3 {
		case 0, 1:
			err = mutator.Set(ctx, k, n, 0).Err()
		case 2:
			err = mutator.HSet(ctx, "h"+k, "f", n).Err()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	hkeys := make([]string, len(keys))
	for i, k := range keys {
		hkeys[i] = "h" + k
	}
	waitFresh(t, cached, mutator, append(keys, hkeys...))
	t.Logf("cache: %+v", cached.CSCStats())
}

// waitFresh waits (up to a second, the drainer's bound is milliseconds)
// until every key read through cached equals the store's value.
func waitFresh(t *testing.T, cached, direct *redis.Client, keys []string) {
	t.Helper()
	ctx := context.Background()
	read := func(c *redis.Client, k string) string {
		var v string
		var err error
		if k[0] == 'h' {
			v, err = c.HGet(ctx, k, "f").Result()
		} else {
			v, err = c.Get(ctx, k).Result()
		}
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		return v
	}
	deadline := time.Now().Add(time.Second)
	for {
		var stale []string
		for _, k := range keys {
			if c, d := read(cached, k), read(direct, k); c != d {
				stale = append(stale, fmt.Sprintf("%s: cached %q, store %q", k, c, d))
			}
		}
		if len(stale) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stale after a second: %v", stale)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
