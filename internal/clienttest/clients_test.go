package clienttest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/go-redsync/redsync/v4"
	"github.com/go-redsync/redsync/v4/redis/goredis/v9"
	"github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"
	limiterredis "github.com/ulule/limiter/v3/drivers/store/redis"

	"moonstone/internal/testkit"
)

// side is one server under test with a go-redis v9 client in its default
// protocol (RESP3: HELLO 3, then CLIENT SETINFO).
type side struct {
	name   string
	client *redis.Client
}

// bothSides starts Moonstone and redis-server; index 0 is Moonstone.
func bothSides(t *testing.T) [2]side {
	t.Helper()
	ms := testkit.Start(t)
	rd := testkit.StartRedis(t)
	var out [2]side
	for i, s := range []struct{ name, addr string }{{"moonstone", ms.Addr}, {"redis", rd.Addr}} {
		c := redis.NewClient(&redis.Options{Addr: s.addr})
		t.Cleanup(func() { c.Close() })
		if proto := c.Do(context.Background(), "HELLO").Val(); proto == nil {
			t.Fatalf("%s: HELLO failed", s.name)
		}
		out[i] = side{s.name, c}
	}
	return out
}

// near reports whether two durations differ by at most tol.
func near(a, b, tol time.Duration) bool {
	d := a - b
	return d <= tol && d >= -tol
}

// rateStep is one redis_rate operation; limits are per hour so that the
// few milliseconds between the two servers' runs change no count.
type rateStep struct {
	op    string // allow, allowN, atMost, reset
	key   string
	limit redis_rate.Limit
	n     int
}

func TestRedisRateMatchesRedis(t *testing.T) {
	ctx := context.Background()
	sides := bothSides(t)
	hourly := redis_rate.PerHour(10)
	burst := redis_rate.Limit{Rate: 100, Burst: 20, Period: time.Hour}
	steps := []rateStep{
		{"allow", "a", hourly, 1},
		{"allow", "a", hourly, 1},
		{"allowN", "a", hourly, 5},
		{"allowN", "a", hourly, 5},
		{"allow", "a", hourly, 1},
		{"atMost", "a", hourly, 4},
		{"reset", "a", hourly, 0},
		{"allow", "a", hourly, 1},
		{"atMost", "b", burst, 50},
		{"atMost", "b", burst, 3},
		{"allowN", "b", burst, 1},
		{"allowN", "c", burst, 0},
		{"allowN", "c", burst, 21},
	}
	var results [2][]*redis_rate.Result
	for i, s := range sides {
		// A fresh limiter per side: its scripts are not cached yet, so the
		// first call goes EVALSHA, NOSCRIPT, EVAL.
		lim := redis_rate.NewLimiter(s.client)
		for _, st := range steps {
			var res *redis_rate.Result
			var err error
			switch st.op {
			case "allow":
				res, err = lim.Allow(ctx, st.key, st.limit)
			case "allowN":
				res, err = lim.AllowN(ctx, st.key, st.limit, st.n)
			case "atMost":
				res, err = lim.AllowAtMost(ctx, st.key, st.limit, st.n)
			case "reset":
				err = lim.Reset(ctx, st.key)
			}
			if err != nil {
				t.Fatalf("%s: %s %s: %v", s.name, st.op, st.key, err)
			}
			results[i] = append(results[i], res)
		}
	}
	for j, st := range steps {
		m, r := results[0][j], results[1][j]
		if m == nil || r == nil {
			if m != r {
				t.Errorf("step %d %s: moonstone %+v, redis %+v", j, st.op, m, r)
			}
			continue
		}
		if m.Allowed != r.Allowed || m.Remaining != r.Remaining ||
			!near(m.RetryAfter, r.RetryAfter, 5*time.Second) || !near(m.ResetAfter, r.ResetAfter, 5*time.Second) {
			t.Errorf("step %d %s %s n=%d:\n  moonstone: %+v\n  redis:     %+v", j, st.op, st.key, st.n, *m, *r)
		}
	}
	// The library went EVALSHA, got NOSCRIPT, fell back to EVAL, and used
	// EVALSHA from then on.
	stats := sides[0].client.Info(ctx, "commandstats").Val()
	for _, want := range []string{"cmdstat_evalsha:calls=", "cmdstat_eval:calls="} {
		if !strings.Contains(stats, want) {
			t.Errorf("INFO commandstats lacks %s:\n%s", want, stats)
		}
	}
}

// lockRun is what one server's redsync run observed.
type lockRun struct {
	Lock, SecondTry, Extend, Valid, Unlock, UnlockAgain, SecondAfter, OtherUnlock string
	TTLBefore, TTLAfter                                                           bool
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	var taken *redsync.ErrTaken
	if errors.As(err, &taken) {
		return "taken"
	}
	if errors.Is(err, redsync.ErrFailed) {
		return "failed"
	}
	if errors.Is(err, redsync.ErrLockAlreadyExpired) {
		return "expired"
	}
	return err.Error()
}

func boolErr(ok bool, err error) string {
	if err != nil {
		return errText(err)
	}
	if ok {
		return "true"
	}
	return "false"
}

func TestRedsyncMatchesRedis(t *testing.T) {
	ctx := context.Background()
	sides := bothSides(t)
	var runs [2]lockRun
	for i, s := range sides {
		rs := redsync.New(goredis.NewPool(s.client))
		var r lockRun
		m1 := rs.NewMutex("resource", redsync.WithExpiry(30*time.Second), redsync.WithTries(1))
		m2 := rs.NewMutex("resource", redsync.WithExpiry(30*time.Second), redsync.WithTries(1))
		r.Lock = errText(m1.Lock())
		r.SecondTry = errText(m2.Lock())
		ttl := s.client.PTTL(ctx, "resource").Val()
		r.TTLBefore = ttl > 0 && ttl <= 30*time.Second
		// Shorten the key's TTL by hand, then Extend must restore it.
		s.client.PExpire(ctx, "resource", 5*time.Second)
		r.Extend = boolErr(m1.Extend())
		ttl = s.client.PTTL(ctx, "resource").Val()
		r.TTLAfter = ttl > 25*time.Second && ttl <= 30*time.Second
		r.Valid = boolErr(m1.Valid())
		r.OtherUnlock = boolErr(m2.Unlock()) // not its lock
		r.Unlock = boolErr(m1.Unlock())
		r.UnlockAgain = boolErr(m1.Unlock())
		r.SecondAfter = errText(m2.Lock())
		if ok, err := m2.Unlock(); !ok || err != nil {
			t.Fatalf("%s: unlock m2: %v %v", s.name, ok, err)
		}
		runs[i] = r

		// Expiry: a lock whose holder never unlocks is free once its TTL
		// has passed.
		short := rs.NewMutex("expiring", redsync.WithExpiry(200*time.Millisecond), redsync.WithTries(1))
		if err := short.Lock(); err != nil {
			t.Fatalf("%s: short lock: %v", s.name, err)
		}
		other := rs.NewMutex("expiring", redsync.WithTries(1))
		if err := other.Lock(); err == nil {
			t.Fatalf("%s: a held lock was taken", s.name)
		}
		deadline := time.Now().Add(10 * time.Second)
		for other.Lock() != nil {
			if time.Now().After(deadline) {
				t.Fatalf("%s: an expired lock was never freed", s.name)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if ok, err := short.Extend(); ok || err == nil {
			t.Errorf("%s: extending a lost lock: %v %v", s.name, ok, err)
		}
		other.Unlock()
	}
	if runs[0] != runs[1] {
		t.Errorf("redsync:\n  moonstone: %+v\n  redis:     %+v", runs[0], runs[1])
	}
	want := lockRun{Lock: "ok", SecondTry: "taken", Extend: "true", Valid: "true", OtherUnlock: "taken",
		Unlock: "true", UnlockAgain: "expired", SecondAfter: "ok", TTLBefore: true, TTLAfter: true}
	if runs[0] != want {
		t.Errorf("moonstone redsync run: %+v, want %+v", runs[0], want)
	}
}

// limitStep is one ulule/limiter operation.
type limitStep struct {
	op  string // get, peek, incr, reset
	key string
	n   int64
}

func TestUluleLimiterMatchesRedis(t *testing.T) {
	ctx := context.Background()
	sides := bothSides(t)
	rate := limiter.Rate{Period: time.Hour, Limit: 5}
	steps := []limitStep{
		{"peek", "ip1", 0},
		{"get", "ip1", 0},
		{"get", "ip1", 0},
		{"peek", "ip1", 0},
		{"incr", "ip1", 2},
		{"get", "ip1", 0},
		{"get", "ip1", 0},
		{"peek", "ip1", 0},
		{"reset", "ip1", 0},
		{"peek", "ip1", 0},
		{"incr", "ip2", 7},
		{"get", "ip2", 0},
	}
	var results [2][]limiter.Context
	start := time.Now()
	for i, s := range sides {
		store, err := limiterredis.NewStoreWithOptions(s.client, limiter.StoreOptions{Prefix: "limiter"})
		if err != nil {
			t.Fatalf("%s: store: %v", s.name, err)
		}
		lim := limiter.New(store, rate)
		for _, st := range steps {
			var c limiter.Context
			switch st.op {
			case "get":
				c, err = lim.Get(ctx, st.key)
			case "peek":
				c, err = lim.Peek(ctx, st.key)
			case "incr":
				c, err = lim.Increment(ctx, st.key, st.n)
			case "reset":
				c, err = lim.Reset(ctx, st.key)
			}
			if err != nil {
				t.Fatalf("%s: %s %s: %v", s.name, st.op, st.key, err)
			}
			results[i] = append(results[i], c)
		}
	}
	slack := int64(time.Since(start)/time.Second) + 2
	for j, st := range steps {
		m, r := results[0][j], results[1][j]
		d := m.Reset - r.Reset
		if m.Limit != r.Limit || m.Remaining != r.Remaining || m.Reached != r.Reached || d > slack || d < -slack {
			t.Errorf("step %d %s %s:\n  moonstone: %+v\n  redis:     %+v", j, st.op, st.key, m, r)
		}
	}
}
