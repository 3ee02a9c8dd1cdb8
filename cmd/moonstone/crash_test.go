package main_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"moonstone/internal/testkit"
)

// crashRounds is how many kill -9 rounds the crash tests run; set
// MOONSTONE_CRASH_ROUNDS for a longer run.
func crashRounds(t *testing.T, def int) int {
	if s := os.Getenv("MOONSTONE_CRASH_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if testing.Short() {
		return 1
	}
	return def
}

// Under appendfsync always, every write a client saw acknowledged is on
// disk after kill -9: concurrent writers INCR their own counters and
// record the last value acknowledged; after the crash each counter is at
// least that value (at most one more: a write in flight may land).
func TestAcknowledgedWritesSurviveKill9(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	const writers = 16
	acked := make([]int64, writers)
	for round := 0; round < crashRounds(t, 3); round++ {
		p := testkit.StartProcess(t, dir, "appendfsync", "always")
		c := p.Client()
		// Every counter from earlier rounds is still there.
		for w := 0; w < writers; w++ {
			v, err := c.Get(ctx, fmt.Sprint("counter:", w)).Int64()
			if err != nil && acked[w] > 0 {
				t.Fatalf("round %d: counter %d lost: %v", round, w, err)
			}
			if v < acked[w] || v > acked[w]+1 {
				t.Fatalf("round %d: counter %d is %d, acknowledged %d", round, w, v, acked[w])
			}
			acked[w] = v
		}
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					v, err := c.Incr(ctx, fmt.Sprint("counter:", w)).Result()
					if err != nil {
						return
					}
					acked[w] = v
				}
			}(w)
		}
		time.Sleep(time.Duration(200+rand.IntN(600)) * time.Millisecond)
		p.Kill()
		close(stop)
		wg.Wait()
		c.Close()
	}
	p := testkit.StartProcess(t, dir)
	c := p.Client()
	defer c.Close()
	for w := 0; w < writers; w++ {
		v, _ := c.Get(ctx, fmt.Sprint("counter:", w)).Int64()
		if v < acked[w] {
			t.Fatalf("final: counter %d is %d, acknowledged %d", w, v, acked[w])
		}
	}
}

// SET data survives kill -9 and a restart, and so do expiries.
func TestDataSurvivesKill9(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	p := testkit.StartProcess(t, dir)
	c := p.Client()
	for i := 0; i < 100; i++ {
		if err := c.Set(ctx, fmt.Sprint("k", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.Set(ctx, "ttl", "v", time.Hour)
	c.Close()
	p.Kill()
	p = testkit.StartProcess(t, dir)
	c = p.Client()
	defer c.Close()
	for i := 0; i < 100; i++ {
		if v, err := c.Get(ctx, fmt.Sprint("k", i)).Int(); err != nil || v != i {
			t.Fatalf("k%d = %d, %v", i, v, err)
		}
	}
	if ttl := c.TTL(ctx, "ttl").Val(); ttl < 59*time.Minute {
		t.Fatalf("ttl after restart: %v", ttl)
	}
	if n := c.DBSize(ctx).Val(); n != 101 {
		t.Fatalf("DBSIZE after restart: %d", n)
	}
}

// SIGTERM shuts down cleanly: the process exits 0 and the data is there.
func TestSigtermShutsDownCleanly(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	p := testkit.StartProcess(t, dir, "appendfsync", "no")
	c := p.Client()
	c.Set(ctx, "k", "v", 0)
	c.Close()
	if err := p.Terminate(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, p.Log)
	}
	p = testkit.StartProcess(t, dir)
	c = p.Client()
	defer c.Close()
	if v := c.Get(ctx, "k").Val(); v != "v" {
		t.Fatalf("after clean restart: %q", v)
	}
}
