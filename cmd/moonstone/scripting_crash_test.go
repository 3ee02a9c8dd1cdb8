package main_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"moonstone/internal/testkit"
)

// transferScript moves an amount between two ledger accounts and records
// the transfer under the worker's next sequence number, all in one script:
// the balances, the worker's counter and the record move together or not
// at all.
const transferScript = `
local from, to, counter, prefix = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local amount = tonumber(ARGV[1])
local balance = tonumber(redis.call('GET', from) or 0)
if balance < amount then
  return {err = 'Insufficient balance'}
end
redis.call('DECRBY', from, amount)
redis.call('INCRBY', to, amount)
local seq = redis.call('INCR', counter)
redis.call('SET', prefix .. seq, from .. ' ' .. to .. ' ' .. amount)
return seq`

// Under appendfsync always, kill -9 at any moment of a load of concurrent
// ledger transfers loses nothing acknowledged and tears no script: after
// each restart the balances add up, every acknowledged transfer is there,
// and replaying the transfer records from the opening balances gives
// exactly the balances on disk. The script is loaded once, before the
// first crash, and called with EVALSHA after every restart.
func TestLedgerTransfersSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test")
	}
	const (
		accounts = 20
		opening  = 1000
		workers  = 16
	)
	dir := t.TempDir()
	ctx := context.Background()
	acked := make([]int64, workers)
	var sha string
	for round := 0; round < crashRounds(t, 4); round++ {
		p := testkit.StartProcess(t, dir, "appendfsync", "always")
		c := p.Client()
		if round == 0 {
			for a := 0; a < accounts; a++ {
				if err := c.Set(ctx, fmt.Sprint("acct:", a), opening, 0).Err(); err != nil {
					t.Fatal(err)
				}
			}
			var err error
			if sha, err = c.ScriptLoad(ctx, transferScript).Result(); err != nil {
				t.Fatal(err)
			}
		}
		checkLedger(t, ctx, c, round, accounts, opening, workers, acked)

		var wg sync.WaitGroup
		stop := make(chan struct{})
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(round), uint64(w)))
				keys := []string{"", "", fmt.Sprint("w:", w), fmt.Sprintf("w:%d:t:", w)}
				for {
					select {
					case <-stop:
						return
					default:
					}
					from := rng.IntN(accounts)
					to := (from + 1 + rng.IntN(accounts-1)) % accounts
					keys[0], keys[1] = fmt.Sprint("acct:", from), fmt.Sprint("acct:", to)
					seq, err := c.EvalSha(ctx, sha, keys, 1+rng.IntN(200)).Int64()
					if err != nil {
						if strings.Contains(err.Error(), "Insufficient balance") {
							continue
						}
						return // the server is gone
					}
					acked[w] = seq
				}
			}(w)
		}
		time.Sleep(time.Duration(200+rand.IntN(800)) * time.Millisecond)
		p.Kill()
		close(stop)
		wg.Wait()
		c.Close()
	}
	p := testkit.StartProcess(t, dir, "appendfsync", "always")
	c := p.Client()
	defer c.Close()
	checkLedger(t, ctx, c, -1, accounts, opening, workers, acked)
}

func checkLedger(t *testing.T, ctx context.Context, c *redis.Client, round, accounts, opening, workers int, acked []int64) {
	t.Helper()
	balances := make([]int64, accounts)
	replayed := make([]int64, accounts)
	var sum int64
	for a := 0; a < accounts; a++ {
		v, err := c.Get(ctx, fmt.Sprint("acct:", a)).Int64()
		if err != nil {
			t.Fatalf("round %d: account %d: %v", round, a, err)
		}
		balances[a] = v
		replayed[a] = int64(opening)
		sum += v
	}
	if sum != int64(accounts*opening) {
		t.Fatalf("round %d: balances sum to %d, want %d", round, sum, accounts*opening)
	}
	for w := 0; w < workers; w++ {
		count, err := c.Get(ctx, fmt.Sprint("w:", w)).Int64()
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		// Every acknowledged transfer is there; at most one more, in
		// flight at the crash, may have landed too.
		if count < acked[w] || count > acked[w]+1 {
			t.Fatalf("round %d: worker %d has %d transfers, %d acknowledged", round, w, count, acked[w])
		}
		acked[w] = count
		for seq := int64(1); seq <= count+1; seq++ {
			rec, err := c.Get(ctx, fmt.Sprintf("w:%d:t:%d", w, seq)).Result()
			if seq == count+1 {
				if err != redis.Nil {
					t.Fatalf("round %d: worker %d has a record past its counter: %q", round, w, rec)
				}
				break
			}
			if err != nil {
				t.Fatalf("round %d: worker %d transfer %d missing: %v", round, w, seq, err)
			}
			f := strings.Fields(rec)
			from, _ := strconv.Atoi(strings.TrimPrefix(f[0], "acct:"))
			to, _ := strconv.Atoi(strings.TrimPrefix(f[1], "acct:"))
			amount, _ := strconv.ParseInt(f[2], 10, 64)
			replayed[from] -= amount
			replayed[to] += amount
		}
	}
	total := int64(0)
	for _, n := range acked {
		total += n
	}
	t.Logf("round %d: %d transfers on disk, ledger consistent", round, total)
	for a := range balances {
		if balances[a] != replayed[a] {
			t.Fatalf("round %d: account %d holds %d, its transfer records say %d", round, a, balances[a], replayed[a])
		}
	}
}
