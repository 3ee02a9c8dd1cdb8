package server_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"moonstone/internal/testkit"
)

func TestKeysMatchRedis(t *testing.T) {
	testkit.Diff(t, `
MSET a 1 b 2 c 3 "bin\x00key" x
DEL a b nokey
DEL
EXISTS a c c nokey
EXISTS
TOUCH c nokey
TYPE c
TYPE nokey
RENAME c d
GET d
RENAME nokey e
RENAME d d
RENAMENX d d
SET e 5
RENAMENX d e
RENAMENX d f
GET f
COPY f g
COPY f g
COPY f g REPLACE
COPY f f
COPY f g DB 1 REPLACE
COPY f g DB 99
COPY f g DB x
COPY f g BADOPT
COPY nokey g
SELECT 1
GET g
SELECT 0
MOVE f 1
MOVE f 1
MOVE g 0
MOVE g 99
MOVE g x
SELECT 1
GET f
DEL f g
SELECT 0
SET pat:1 a
SET pat:2 b
SET pat:10 c
SET other d
~KEYS pat:*
~KEYS pat:?
~KEYS *
~KEYS pat:[12]
~KEYS pat:[^1]*
KEYS nomatch*
DBSIZE
SELECT 16
SELECT -1
SELECT x
FLUSHDB
DBSIZE
FLUSHDB BAD
FLUSHALL ASYNC
FLUSHALL SYNC
RANDOMKEY
SET only 1
RANDOMKEY
`)
}

func TestExpireMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
SET k v
EXPIRE k 100
TTL k
EXPIRE k 100 NX
EXPIRE k 200 XX
TTL k
EXPIRE k 50 GT
EXPIRE k 500 GT
TTL k
EXPIRE k 1000 LT
EXPIRE k 10 LT
TTL k
EXPIRE k 10 NX XX
EXPIRE k 10 GT LT
EXPIRE k 10 FOO
EXPIRE k abc
EXPIRE k 9223372036854775807
PEXPIRE k 9223372036854775807
EXPIREAT k 9223372036854775807
PERSIST k
PERSIST k
TTL k
PTTL k
EXPIRETIME k
PEXPIRETIME k
TTL nokey
PTTL nokey
EXPIRETIME nokey
EXPIRE nokey 10
SET p v
EXPIRE p 100 XX
EXPIRE p 100 LT
TTL p
PERSIST p
EXPIRE p 100 GT
TTL p
EXPIREAT p 99999999999
EXPIRETIME p
PEXPIREAT p 99999999999999
PEXPIRETIME p
EXPIRE p -1
EXISTS p
SET q v
EXPIREAT q 1
EXISTS q
SET r v
PEXPIRE r 0
GET r
`)
}

// Expired keys vanish for every read at once and are removed from disk by
// the active sweeper: DBSIZE (which counts keys not yet removed, as in
// Redis) falls to zero without anyone touching them.
func TestExpiryIsActiveAndPassive(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := s.Client
	for i := 0; i < 500; i++ {
		if err := c.Set(ctx, fmt.Sprint("tmp:", i), "v", 100*time.Millisecond).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.Set(ctx, "keep", "v", 0)
	time.Sleep(150 * time.Millisecond)
	if n, _ := c.Exists(ctx, "tmp:1", "tmp:499").Result(); n != 0 {
		t.Fatalf("expired keys still visible: %d", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := c.DBSize(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sweeper left %d keys", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	info, _ := c.Info(ctx, "stats").Result()
	if !containsLine(info, "expired_keys:500") {
		t.Fatalf("expired_keys not counted:\n%s", info)
	}
}

// A key recreated after expiry starts fresh: no TTL, no old value.
func TestKeyRecreatedAfterExpiry(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := s.Client
	c.Set(ctx, "k", "old", 50*time.Millisecond)
	time.Sleep(80 * time.Millisecond)
	if v, _ := c.Append(ctx, "k", "new").Result(); v != 3 {
		t.Fatalf("APPEND on expired key gave length %d, want 3", v)
	}
	if ttl, _ := c.TTL(ctx, "k").Result(); ttl != -1 {
		t.Fatalf("recreated key kept a TTL: %v", ttl)
	}
}

// SCAN visits every key exactly once across pages, whatever COUNT is, and
// honours MATCH and TYPE.
func TestScanCoversKeyspace(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := s.Client
	want := map[string]bool{}
	for i := 0; i < 1000; i++ {
		k := fmt.Sprintf("key:%04d", i)
		want[k] = true
		c.Set(ctx, k, i, 0)
	}
	for _, count := range []int64{1, 7, 100, 5000} {
		seen := map[string]int{}
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, "", count).Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				seen[k]++
			}
			if next == 0 {
				break
			}
			cursor = next
		}
		if len(seen) != len(want) {
			t.Fatalf("COUNT %d: saw %d keys, want %d", count, len(seen), len(want))
		}
		for k, n := range seen {
			if n != 1 || !want[k] {
				t.Fatalf("COUNT %d: key %q seen %d times", count, k, n)
			}
		}
	}
	var got []string
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, "key:00*", 50).Result()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, keys...)
		if next == 0 {
			break
		}
		cursor = next
	}
	sort.Strings(got)
	if len(got) != 100 || got[0] != "key:0000" || got[99] != "key:0099" {
		t.Fatalf("MATCH key:00* gave %d keys", len(got))
	}
	keys, _, err := c.ScanType(ctx, 0, "", 5000, "hash").Result()
	if err != nil || len(keys) != 0 {
		t.Fatalf("SCAN TYPE hash over strings: %v %v", keys, err)
	}
	if err := c.Do(ctx, "SCAN", "notacursor").Err(); err == nil || err.Error() != "ERR invalid cursor" {
		t.Fatalf("bad cursor: %v", err)
	}
}

func containsLine(text, line string) bool {
	for _, l := range splitLines(text) {
		if l == line {
			return true
		}
	}
	return false
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			l := s[start:i]
			if len(l) > 0 && l[len(l)-1] == '\r' {
				l = l[:len(l)-1]
			}
			out = append(out, l)
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
