package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"moonstone/internal/testkit"
)

func TestMultiMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
EXEC
DISCARD
UNWATCH
WATCH
MULTI a
MULTI
MULTI
SET a 1
INCR a
GET a
EXEC
EXEC
# an empty block
MULTI
EXEC
# DISCARD drops the queue
MULTI
SET a 100
DISCARD
GET a
# runtime errors do not stop the other commands
SET s str
MULTI
INCR a
LPUSH s x
INCR a
HSET h f v
HGET s f
EXEC
GET a
HGETALL h
# queue-time errors abort the whole block
MULTI
SET a 5
NOSUCHCOMMAND x
EXEC
GET a
MULTI
SET a 6
GET
GET a b
EXEC
GET a
MULTI
SHUTDOWN
SET a 7
EXEC
GET a
# WATCH inside MULTI is refused but does not abort the block
MULTI
WATCH a
SET a 8
EXEC
GET a
# SELECT inside MULTI applies to the following commands
MULTI
SELECT 1
SET a db1
SELECT 0
GET a
EXEC
SELECT 1
GET a
SELECT 0
# RESET ends MULTI
MULTI
SET a 9
RESET
EXEC
GET a
# WATCH: unmodified key, own modification, UNWATCH, DISCARD
WATCH a
MULTI
SET a 10
EXEC
WATCH a
SET a 11
MULTI
SET a 12
EXEC
GET a
WATCH a
SET a 13
UNWATCH
MULTI
SET a 14
EXEC
WATCH a
SET a 15
MULTI
DISCARD
MULTI
SET a 16
EXEC
# EXEC ends a watch, aborted or not
WATCH a
SET a 17
MULTI
EXEC
MULTI
GET a
EXEC
# watched missing keys; DEL of a missing key is no change
WATCH nokey
DEL nokey
MULTI
GET a
EXEC
WATCH nokey
SET nokey 1
MULTI
GET a
EXEC
# collections: a member change without a count change
HSET wh f 1
WATCH wh
HSET wh f 2
MULTI
HGET wh f
EXEC
RPUSH wl a b
WATCH wl
LSET wl 0 z
MULTI
LRANGE wl 0 -1
EXEC
ZADD wz 1 m
WATCH wz
ZADD wz 2 m
MULTI
ZSCORE wz m
EXEC
# RENAME and FLUSHDB touch
SET r1 x
WATCH r1
RENAME r1 r2
MULTI
GET r2
EXEC
SET f1 x
WATCH f1
FLUSHDB
MULTI
GET f1
EXEC
# FLUSHDB does not touch a watched key that did not exist
WATCH f2
FLUSHALL
MULTI
GET f2
EXEC
# a watched key in another db
SELECT 2
SET d2 x
WATCH d2
SELECT 0
SET d2 y
SELECT 2
MULTI
GET d2
EXEC
SELECT 0
`)
}

// other runs one command on a second connection to both servers.
func other(t *testing.T, p *testkit.Pair, args ...string) {
	t.Helper()
	for _, addr := range []string{p.Moonstone.Addr, p.Redis.Addr} {
		c, err := testkit.DialRaw(addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Do(args...); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
}

func TestWatchSeesOtherClients(t *testing.T) {
	p := testkit.StartPair(t)
	p.Run(t, "SET k 1\nWATCH k")
	other(t, p, "SET", "k", "2")
	p.Run(t, "MULTI\nGET k\nEXEC")

	p.Run(t, "SET u 1\nWATCH u")
	other(t, p, "SET", "unrelated", "2")
	p.Run(t, "MULTI\nGET u\nEXEC")

	p.Run(t, "SET k 1\nWATCH k")
	other(t, p, "FLUSHALL")
	p.Run(t, "MULTI\nGET k\nEXEC")

	p.Run(t, "SET k 1\nWATCH k")
	other(t, p, "DEL", "k")
	p.Run(t, "MULTI\nGET k\nEXEC")

	p.Run(t, "SET k 1\nWATCH k")
	other(t, p, "EXPIRE", "k", "100")
	p.Run(t, "MULTI\nGET k\nEXEC")

	p.Run(t, "SADD s a\nWATCH s")
	other(t, p, "SADD", "s", "b")
	p.Run(t, "MULTI\nSCARD s\nEXEC")

	// a stale key deleted by someone else is no change
	p.Run(t, "SET st 1 PX 1")
	time.Sleep(20 * time.Millisecond)
	p.Run(t, "WATCH st")
	other(t, p, "DEL", "st")
	p.Run(t, "MULTI\nGET st\nEXEC")
}

func TestWatchSeesExpiry(t *testing.T) {
	p := testkit.StartPair(t)
	p.Run(t, "SET k 1 PX 100\nWATCH k")
	time.Sleep(150 * time.Millisecond)
	p.Run(t, "MULTI\nGET x\nEXEC")
}

func TestTxPipelineAndWatchWithGoRedis(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := s.NewClient()
	defer c.Close()

	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "n", 1, 0)
		p.Incr(ctx, "n")
		p.Get(ctx, "n")
		return nil
	})
	if err != nil || len(cmds) != 3 || cmds[2].(*redis.StringCmd).Val() != "2" {
		t.Fatalf("TxPipelined: %v %v", cmds, err)
	}

	// optimistic increments from several clients never lose an update
	const workers, each = 4, 25
	done := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			cl := s.NewClient()
			defer cl.Close()
			for i := 0; i < each; i++ {
				for {
					err := cl.Watch(ctx, func(tx *redis.Tx) error {
						v, err := tx.Get(ctx, "counter").Int()
						if err != nil && !errors.Is(err, redis.Nil) {
							return err
						}
						_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
							p.Set(ctx, "counter", v+1, 0)
							return nil
						})
						return err
					}, "counter")
					if errors.Is(err, redis.TxFailedErr) {
						continue
					}
					if err != nil {
						done <- err
						return
					}
					break
				}
			}
			done <- nil
		}()
	}
	for w := 0; w < workers; w++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if v, err := c.Get(ctx, "counter").Int(); err != nil || v != workers*each {
		t.Fatalf("counter = %d, %v; want %d", v, err, workers*each)
	}
}

// EVAL queued in MULTI runs inside EXEC's one transaction (no second
// write lock, so no deadlock), and its writes are part of the block.
func TestEvalInsideExec(t *testing.T) {
	testkit.Diff(t, `
MULTI
SET a 1
EVAL "redis.call('INCR', KEYS[1]); return redis.call('GET', KEYS[1])" 1 a
EVAL "return redis.call('SET', 'b', 'x')" 0
EXEC
GET a
GET b
`)
}

// A command refused with BUSY while a slow script runs voids an open MULTI
// block, as in Redis: EXEC then aborts and nothing of the block applies.
func TestMultiDuringBusyScriptAborts(t *testing.T) {
	s := testkit.Start(t, "busy-reply-threshold", "50")
	looper := s.Raw(t)
	client := s.Raw(t)
	admin := s.Raw(t)
	admin.Do("SET", "xx", "1")
	if err := looper.Send("EVAL", "while true do end", "0"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if r, _ := client.Do("MULTI"); r != "+OK\r\n" {
		t.Fatalf("MULTI: %q", r)
	}
	if r, _ := client.Do("INCR", "xx"); !strings.HasPrefix(r, "-BUSY") {
		t.Fatalf("INCR during a busy script: %q", r)
	}
	if r, _ := admin.Do("SCRIPT", "KILL"); r != "+OK\r\n" {
		t.Fatalf("SCRIPT KILL: %q", r)
	}
	looper.Read()
	client.Do("INCR", "xx")
	if r, _ := client.Do("EXEC"); !strings.HasPrefix(r, "-EXECABORT") {
		t.Fatalf("EXEC after a BUSY refusal: %q", r)
	}
	if r, _ := admin.Do("GET", "xx"); r != "$1\r\n1\r\n" {
		t.Fatalf("xx after the aborted block: %q", r)
	}
}
