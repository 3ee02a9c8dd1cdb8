package main_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

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

// SWAPDB is one atomic, durable write: a client runs MULTI, SWAPDB 0 1,
// INCR swaps (in db 2), EXEC in a loop until kill -9. After each restart
// the swap count is what was acknowledged (or one more, in flight), and
// the databases are swapped exactly that many times: never the counter
// without the swap, nor the swap without the counter.
func TestSwapDBSurvivesKill9(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var acked int64
	for round := 0; round <= crashRounds(t, 3); round++ {
		p := testkit.StartProcess(t, dir, "appendfsync", "always")
		db := func(n int) *redis.Client {
			return redis.NewClient(&redis.Options{Addr: p.Addr, DB: n, Protocol: 2, MaxRetries: -1})
		}
		c0, c1, c2 := db(0), db(1), db(2)
		if round == 0 {
			c0.Set(ctx, "who", "zero", 0)
			c1.Set(ctx, "who", "one", 0)
		}
		swaps, _ := c2.Get(ctx, "swaps").Int64()
		if swaps < acked || swaps > acked+1 {
			t.Fatalf("round %d: %d swaps counted, %d acknowledged", round, swaps, acked)
		}
		want := [2]string{"zero", "one"}
		if swaps%2 == 1 {
			want = [2]string{"one", "zero"}
		}
		if got := [2]string{c0.Get(ctx, "who").Val(), c1.Get(ctx, "who").Val()}; got != want {
			t.Fatalf("round %d: after %d swaps db 0 and db 1 hold %v", round, swaps, got)
		}
		if n0, n1 := c0.DBSize(ctx).Val(), c1.DBSize(ctx).Val(); n0 != 1 || n1 != 1 {
			t.Fatalf("round %d: DBSIZE %d and %d", round, n0, n1)
		}
		acked = swaps
		t.Logf("round %d: %d swaps", round, swaps)
		if round == crashRounds(t, 3) {
			break
		}
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				var incr *redis.IntCmd
				_, err := c2.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
					pipe.Do(ctx, "SWAPDB", 0, 1)
					incr = pipe.Incr(ctx, "swaps")
					return nil
				})
				if err != nil {
					return
				}
				acked = incr.Val()
			}
		}()
		time.Sleep(time.Duration(100+rand.IntN(400)) * time.Millisecond)
		p.Kill()
		close(stop)
		<-done
		c0.Close()
		c1.Close()
		c2.Close()
	}
}

// kill -9 while clients renew, shorten and drop short expiries, and while
// the sweeper moves the expiry-index entries of renewed keys and removes
// expired ones, leaves an index that `moonstone check` finds exact: every
// key with an expiry has its entry where its metadata says, and no entry
// is left for a key that is gone or has moved.
func TestKillDuringExpiryRenewalsLeavesAnExactIndex(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	const workers, keys = 8, 64
	for round := 0; round < crashRounds(t, 4); round++ {
		p := testkit.StartProcess(t, dir, "appendfsync", [...]string{"always", "no"}[round%2])
		c := p.Client()
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(round), uint64(w)))
				for {
					select {
					case <-stop:
						return
					default:
					}
					k := fmt.Sprint("key:", w, ":", rng.IntN(keys))
					var err error
					switch rng.IntN(6) {
					case 0:
						err = c.Set(ctx, k, "v", time.Duration(50+rng.IntN(300))*time.Millisecond).Err()
					case 1, 2: // renewed: mostly later, sometimes earlier
						err = c.PExpire(ctx, k, time.Duration(20+rng.IntN(600))*time.Millisecond).Err()
					case 3:
						err = c.Persist(ctx, k).Err()
					case 4:
						err = c.Del(ctx, k).Err()
					default:
						err = c.HSet(ctx, k+":h", "f", "v").Err()
						if err == nil {
							err = c.PExpire(ctx, k+":h", time.Duration(50+rng.IntN(400))*time.Millisecond).Err()
						}
					}
					if err != nil {
						return
					}
				}
			}(w)
		}
		killAndCheck(t, p, c, stop, &wg, dir, round)
	}
}

// kill -9 while producers push jobs onto queues and workers move them to
// a working list and then remove them (a reliable queue: LMOVE, then LREM
// once done) loses and duplicates no job: every job whose push was
// acknowledged is on a queue or a working list, or its removal was sent;
// none whose removal was acknowledged is left; none is there twice; and
// `moonstone check` finds the lists exact. Each round starts from empty
// queues, which producers fill past what a list keeps in its metadata
// record (they push faster than workers take), so the lists go from
// inline to records during the round, and the drain after it empties them.
func TestKillDuringQueueMovesLosesNoJob(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	const producers, workers, queues = 4, 4, 3
	for round := 0; round < crashRounds(t, 4); round++ {
		p := testkit.StartProcess(t, dir, "appendfsync", [...]string{"always", "no"}[round%2])
		c := p.Client()
		var mu sync.Mutex
		pushed := map[string]bool{} // acknowledged
		removing := map[string]bool{}
		removed := map[string]bool{} // acknowledged
		var wg sync.WaitGroup
		stop := make(chan struct{})
		stopped := func() bool {
			select {
			case <-stop:
				return true
			default:
				return false
			}
		}
		for w := 0; w < producers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(round), uint64(w)))
				for seq := 0; !stopped(); {
					var jobs []any
					for range 1 + rng.IntN(3) {
						jobs = append(jobs, fmt.Sprintf("job:%d:%d:%d", round, w, seq))
						seq++
					}
					if c.RPush(ctx, fmt.Sprint("queue:", rng.IntN(queues)), jobs...).Err() != nil {
						return
					}
					mu.Lock()
					for _, j := range jobs {
						pushed[j.(string)] = true
					}
					mu.Unlock()
				}
			}(w)
		}
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(round), uint64(100+w)))
				for !stopped() {
					q := rng.IntN(queues)
					job, err := c.LMove(ctx, fmt.Sprint("queue:", q), fmt.Sprint("working:", q), "LEFT", "RIGHT").Result()
					if err == redis.Nil {
						continue
					}
					if err != nil {
						return
					}
					mu.Lock()
					removing[job] = true
					mu.Unlock()
					n, err := c.LRem(ctx, fmt.Sprint("working:", q), 1, job).Result()
					if err != nil {
						return
					}
					if n != 1 {
						t.Errorf("job %s was not on working:%d", job, q)
						return
					}
					mu.Lock()
					removed[job] = true
					mu.Unlock()
				}
			}(w)
		}
		killAndCheck(t, p, c, stop, &wg, dir, round)

		p = testkit.StartProcess(t, dir, "appendfsync", "always")
		c = p.Client()
		seen := map[string]bool{}
		for q := 0; q < queues; q++ {
			for _, l := range []string{fmt.Sprint("queue:", q), fmt.Sprint("working:", q)} {
				jobs, err := c.LRange(ctx, l, 0, -1).Result()
				if err != nil {
					t.Fatal(err)
				}
				for _, j := range jobs {
					switch {
					case seen[j]:
						t.Fatalf("round %d: job %s is queued twice", round, j)
					case removed[j]:
						t.Fatalf("round %d: job %s is still on %s after its removal was acknowledged", round, j, l)
					}
					seen[j] = true
				}
				if err := c.Del(ctx, l).Err(); err != nil { // the next round starts empty
					t.Fatal(err)
				}
			}
		}
		lost := 0
		for j := range pushed {
			if !seen[j] && !removing[j] {
				lost++
			}
		}
		if lost > 0 || len(pushed) == 0 || len(removed) == 0 {
			t.Fatalf("round %d: %d of %d acknowledged jobs lost (%d removed)", round, lost, len(pushed), len(removed))
		}
		p.Terminate()
		c.Close()
	}
}

// killAndCheck lets the workers run for a random 300-800 ms, kills the
// server with SIGKILL, stops the workers and runs `moonstone check` on
// dir, which must find no problem.
func killAndCheck(t *testing.T, p *testkit.Process, c *redis.Client, stop chan struct{}, wg *sync.WaitGroup, dir string, round int) {
	t.Helper()
	time.Sleep(time.Duration(300+rand.IntN(500)) * time.Millisecond)
	p.Kill()
	close(stop)
	wg.Wait()
	c.Close()
	out := mustRun(t, "check", "--dir", dir)
	if !strings.Contains(out, " 0 problems") {
		t.Fatalf("round %d: check after kill -9:\n%s", round, out)
	}
}
