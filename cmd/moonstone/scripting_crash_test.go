package main_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"moonstone/internal/testkit"
)

// The kill campaign: the load a ledger or a rate limiter puts on Moonstone,
// a real server process, kill -9 at a random moment, restart on the same
// directory, check, repeat.

// transferScript moves an amount between two ledger accounts if the payer
// holds it, and records the transfer under the worker's next sequence
// number, all in one script: the balances, the worker's counter and the
// record move together or not at all.
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

// rateScript is the sliding-window limiter of the scripting guide, with a
// call counter beside it: KEYS[1] is the window (a sorted set of allowed
// request times), KEYS[2] counts calls. The client passes its clock as
// ARGV[3]; the campaign uses the call number as a logical clock, so the
// window's content after n calls is a known function of n.
const rateScript = `
local key, calls = KEYS[1], KEYS[2]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, 0, now - window)
local current = redis.call('ZCARD', key)
local allowed = 0
if current < limit then
  redis.call('ZADD', key, now, now)
  redis.call('EXPIRE', key, 86400)
  allowed = 1
end
redis.call('INCR', calls)
return allowed`

const (
	rateLimit  = 5
	rateWindow = 8
)

// rateStep applies the limiter's rule to a window for a call at time t:
// it returns the new window and whether the call was allowed.
func rateStep(window []int64, t int64) ([]int64, bool) {
	kept := window[:0]
	for _, m := range window {
		if m > t-rateWindow {
			kept = append(kept, m)
		}
	}
	if len(kept) < rateLimit {
		return append(kept, t), true
	}
	return kept, false
}

// rateWindowAfter is the window's content after calls 1..n, as strings
// (the members' form in the sorted set).
func rateWindowAfter(n int64) []string {
	var w []int64
	for t := int64(1); t <= n; t++ {
		w, _ = rateStep(w, t)
	}
	out := make([]string, len(w))
	for i, m := range w {
		out[i] = strconv.FormatInt(m, 10)
	}
	return out
}

// ledger is the campaign's load and its client-side record of what was
// acknowledged.
type ledger struct {
	accounts, opening     int
	transferers, limiters int
	transferSHA, rateSHA  string

	// acked[w] is the last transfer sequence number worker w saw
	// acknowledged; rateAcked[w] the last rate-limit call.
	acked     []atomic.Int64
	rateAcked []atomic.Int64
	// verified[w] is how many of worker w's records were replayed into
	// replayed, the balances the records imply.
	verified []int64
	replayed []int64
}

func newLedger(accounts, opening, transferers, limiters int) *ledger {
	l := &ledger{accounts: accounts, opening: opening, transferers: transferers, limiters: limiters,
		acked: make([]atomic.Int64, transferers), rateAcked: make([]atomic.Int64, limiters),
		verified: make([]int64, transferers), replayed: make([]int64, accounts)}
	for a := range l.replayed {
		l.replayed[a] = int64(opening)
	}
	return l
}

// setup writes the opening balances and loads both scripts; they are then
// called with EVALSHA only, also after restarts.
func (l *ledger) setup(t *testing.T, c *redis.Client) {
	ctx := context.Background()
	for a := 0; a < l.accounts; a++ {
		if err := c.Set(ctx, fmt.Sprint("acct:", a), l.opening, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if l.transferSHA, err = c.ScriptLoad(ctx, transferScript).Result(); err != nil {
		t.Fatal(err)
	}
	if l.rateSHA, err = c.ScriptLoad(ctx, rateScript).Result(); err != nil {
		t.Fatal(err)
	}
}

// pipelineDepth is how many transfers the pipelining worker sends at once.
const pipelineDepth = 8

// run starts the load and returns a function that stops it and waits for
// the workers, which end on their own when the server goes away. Worker 0
// pipelines its transfers; the others send one at a time.
func (l *ledger) run(t *testing.T, c *redis.Client, seed uint64) (stop func()) {
	ctx := context.Background()
	var wg sync.WaitGroup
	done := make(chan struct{})
	stopped := func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
	for w := 0; w < l.transferers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			transfer := func(c redis.Scripter) *redis.Cmd {
				from := rng.IntN(l.accounts)
				to := (from + 1 + rng.IntN(l.accounts-1)) % l.accounts
				keys := []string{fmt.Sprint("acct:", from), fmt.Sprint("acct:", to), fmt.Sprint("w:", w), fmt.Sprintf("w:%d:t:", w)}
				return c.EvalSha(ctx, l.transferSHA, keys, 1+rng.IntN(200))
			}
			for !stopped() {
				var cmds []*redis.Cmd
				if w == 0 {
					pipe := c.Pipeline()
					for i := 0; i < pipelineDepth; i++ {
						cmds = append(cmds, transfer(pipe))
					}
					pipe.Exec(ctx)
				} else {
					cmds = append(cmds, transfer(c))
				}
				for _, cmd := range cmds {
					seq, err := cmd.Int64()
					if err != nil {
						if strings.Contains(err.Error(), "Insufficient balance") {
							continue
						}
						return // the server is gone
					}
					if seq > l.acked[w].Load() {
						l.acked[w].Store(seq)
					}
				}
			}
		}(w)
	}
	for w := 0; w < l.limiters; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			keys := []string{fmt.Sprint("rl:", w), fmt.Sprint("rl:", w, ":calls")}
			// The model window, replayed up to the calls on disk.
			var window []int64
			for t := int64(1); t <= l.rateAcked[w].Load(); t++ {
				window, _ = rateStep(window, t)
			}
			for !stopped() {
				now := l.rateAcked[w].Load() + 1
				allowed, err := c.EvalSha(ctx, l.rateSHA, keys, rateLimit, rateWindow, now).Int64()
				if err != nil {
					return
				}
				var want bool
				if window, want = rateStep(window, now); want != (allowed == 1) {
					t.Errorf("limiter %d call %d: allowed=%d, the rule says %v", w, now, allowed, want)
					return
				}
				l.rateAcked[w].Store(now)
			}
		}(w)
	}
	return func() {
		close(done)
		wg.Wait()
	}
}

// check verifies the store against what clients saw. Every acknowledged
// transfer and rate-limit call must be there; each worker had at most
// slack requests in flight when the server died, which may have landed.
// slack < 0 allows any number (a backup cut while the load ran on).
// Balances must sum to the opening total and equal what the transfer
// records imply; each limiter's window must be exactly what its call count
// implies. After the check, the acknowledged counts are set to what is on
// disk, so the load resumes from there.
func (l *ledger) check(t *testing.T, c *redis.Client, round int, slack int64) {
	t.Helper()
	ctx := context.Background()
	inBounds := func(n, acked, extra int64) bool {
		return n >= acked && (slack < 0 || n <= acked+extra)
	}
	var sum int64
	balances := make([]int64, l.accounts)
	for a := range balances {
		v, err := c.Get(ctx, fmt.Sprint("acct:", a)).Int64()
		if err != nil {
			t.Fatalf("round %d: account %d: %v", round, a, err)
		}
		balances[a] = v
		sum += v
	}
	if want := int64(l.accounts * l.opening); sum != want {
		t.Fatalf("round %d: balances sum to %d, want %d", round, sum, want)
	}
	transfers := int64(0)
	for w := 0; w < l.transferers; w++ {
		count, err := c.Get(ctx, fmt.Sprint("w:", w)).Int64()
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		extra := int64(1)
		if w == 0 {
			extra = pipelineDepth
		}
		if !inBounds(count, l.acked[w].Load(), extra) {
			t.Fatalf("round %d: worker %d has %d transfers, %d acknowledged", round, w, count, l.acked[w].Load())
		}
		if count < l.verified[w] {
			t.Fatalf("round %d: worker %d has %d transfers, %d seen in an earlier round", round, w, count, l.verified[w])
		}
		l.acked[w].Store(count)
		transfers += count
		// Replay the records not replayed yet, and make sure none lies past
		// the counter (a record without its counter would be half a script).
		keys := []string{}
		for seq := l.verified[w] + 1; seq <= count+1; seq++ {
			keys = append(keys, fmt.Sprintf("w:%d:t:%d", w, seq))
		}
		recs, err := c.MGet(ctx, keys...).Result()
		if err != nil {
			t.Fatal(err)
		}
		for i, rec := range recs {
			seq := l.verified[w] + 1 + int64(i)
			if seq == count+1 {
				if rec != nil {
					t.Fatalf("round %d: worker %d has a record past its counter: %v", round, w, rec)
				}
				break
			}
			s, ok := rec.(string)
			if !ok {
				t.Fatalf("round %d: worker %d transfer %d has no record", round, w, seq)
			}
			f := strings.Fields(s)
			from, _ := strconv.Atoi(strings.TrimPrefix(f[0], "acct:"))
			to, _ := strconv.Atoi(strings.TrimPrefix(f[1], "acct:"))
			amount, _ := strconv.ParseInt(f[2], 10, 64)
			l.replayed[from] -= amount
			l.replayed[to] += amount
		}
		l.verified[w] = count
	}
	for a := range balances {
		if balances[a] != l.replayed[a] {
			t.Fatalf("round %d: account %d holds %d, its transfer records say %d", round, a, balances[a], l.replayed[a])
		}
	}
	calls := int64(0)
	for w := 0; w < l.limiters; w++ {
		n, err := c.Get(ctx, fmt.Sprint("rl:", w, ":calls")).Int64()
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		if !inBounds(n, l.rateAcked[w].Load(), 1) {
			t.Fatalf("round %d: limiter %d has %d calls, %d acknowledged", round, w, n, l.rateAcked[w].Load())
		}
		l.rateAcked[w].Store(n)
		calls += n
		got, err := c.ZRange(ctx, fmt.Sprint("rl:", w), 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		if want := rateWindowAfter(n); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("round %d: limiter %d after %d calls holds window %v, want %v", round, w, n, got, want)
		}
	}
	t.Logf("round %d: %d transfers, %d rate-limit calls on disk; consistent", round, transfers, calls)
}

// kill -9 at any moment of a load of concurrent ledger transfers and
// rate-limit calls loses nothing acknowledged and tears no script. Even
// rounds run under appendfsync always, odd ones alternate everysec and no,
// which lose nothing on a crash of the process either (only on a power
// loss: storage/walfs.go). Rounds are short so the default run does 20 in
// about ten seconds; MOONSTONE_CRASH_ROUNDS=200 is the long mode.
func TestKillCampaign(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test")
	}
	dir := t.TempDir()
	l := newLedger(20, 1000, 12, 4)
	rounds := crashRounds(t, 20)
	for round := 0; round < rounds; round++ {
		policy := "always"
		if round%2 == 1 {
			policy = [...]string{"everysec", "no"}[round/2%2]
		}
		p := testkit.StartProcess(t, dir, "appendfsync", policy)
		c := p.Client()
		if round == 0 {
			l.setup(t, c)
		}
		l.check(t, c, round, 1)
		stop := l.run(t, c, uint64(round))
		time.Sleep(time.Duration(50+rand.IntN(400)) * time.Millisecond)
		p.Kill()
		stop()
		c.Close()
	}
	p := testkit.StartProcess(t, dir, "appendfsync", "always")
	c := p.Client()
	defer c.Close()
	l.check(t, c, rounds, 1)
	// The last restart proves the state once more with a fresh replay.
	fresh := newLedger(20, 1000, 12, 4)
	fresh.check(t, c, rounds, -1)
}

// A backup taken with the CLI while transfers run restores to a ledger
// whose balances add up, whose records match the balances, which holds
// every transfer acknowledged before the backup began, and where the
// scripts are loaded.
func TestBackupDuringLoadRestores(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	p := testkit.StartProcess(t, data, "appendfsync", "always")
	c := p.Client()
	defer c.Close()
	l := newLedger(20, 1000, 8, 2)
	l.setup(t, c)
	stop := l.run(t, c, 1)
	time.Sleep(300 * time.Millisecond)
	before := newLedger(20, 1000, 8, 2)
	for w := range before.acked {
		before.acked[w].Store(l.acked[w].Load())
	}
	for w := range before.rateAcked {
		before.rateAcked[w].Store(l.rateAcked[w].Load())
	}
	backup := filepath.Join(t.TempDir(), "backup")
	mustRun(t, "backup", "--to", backup, "--port", p.Addr[strings.LastIndex(p.Addr, ":")+1:])
	time.Sleep(100 * time.Millisecond)
	stop()
	if l.acked[1].Load() <= before.acked[1].Load() {
		t.Log("no transfer acknowledged after the backup; the load was slow")
	}

	restored := filepath.Join(t.TempDir(), "restored")
	mustRun(t, "restore", "--from", backup, "--dir", restored)
	p2 := testkit.StartProcess(t, restored)
	c2 := p2.Client()
	defer c2.Close()
	before.check(t, c2, 0, -1)
	for _, sha := range []string{l.transferSHA, l.rateSHA} {
		if ok, err := c2.ScriptExists(ctx, sha).Result(); err != nil || !ok[0] {
			t.Fatalf("script %s not in the restored store: %v %v", sha, ok, err)
		}
	}
	// The restored ledger takes new transfers through EVALSHA.
	before.transferSHA, before.rateSHA = l.transferSHA, l.rateSHA
	stop = before.run(t, c2, 2)
	time.Sleep(100 * time.Millisecond)
	stop()
	before.check(t, c2, 1, 1)
}
