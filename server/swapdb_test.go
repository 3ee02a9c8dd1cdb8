package server_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"moonstone/internal/testkit"
)

// dbClient is a client of database n (a pooled client's SELECT would hold
// for one of its connections only).
func dbClient(t *testing.T, addr string, n int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, DB: n, Protocol: 2, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSwapDBMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
SWAPDB
SWAPDB 0
SWAPDB 0 1 2
SWAPDB a 1
SWAPDB 0 b
SWAPDB a b
SWAPDB 0 16
SWAPDB 16 0
SWAPDB 16 x
SWAPDB -1 0
SWAPDB 0 -1
SWAPDB 2147483647 0
SWAPDB 2147483648 0
SWAPDB 0 -2147483649
SWAPDB 01 0
SWAPDB +1 0
SWAPDB -0 0
SWAPDB "1 " 0
SWAPDB 1.0 0
SWAPDB "" 0
SWAPDB 0 0
SWAPDB 15 15
SET a zero
SET t zero EX 100
RPUSH l x y
SELECT 1
SET b one
HSET h f v
SWAPDB 0 1
DBSIZE
~KEYS *
GET a
TTL t
LRANGE l 0 -1
EXISTS b h
SELECT 0
DBSIZE
GET b
HGET h f
GET a
SELECT 1
DEL l t
RANDOMKEY
SELECT 0
MOVE b 1
MOVE b 1
COPY h h2 DB 1
SELECT 1
~KEYS *
FLUSHDB
DBSIZE
SELECT 0
~KEYS *
SWAPDB 1 0
DBSIZE
SELECT 1
~KEYS *
SELECT 0
# SWAPDB inside MULTI: the commands after it see the swap
SET a zero
MULTI
SWAPDB 0 1
DBSIZE
GET a
SET a after
SELECT 1
GET a
EXEC
SELECT 0
GET a
MULTI
SWAPDB 0
EXEC
# and inside scripts (Redis 7.0 allows it)
EVAL "return redis.call('swapdb', 0, 1)" 0
EVAL "redis.call('swapdb', 0, 1); return redis.call('get', 'a')" 0
EVAL "return redis.pcall('swapdb', 0, 'x')" 0
EVAL "return redis.pcall('swapdb', 0, 99)" 0
EVAL_RO "return redis.pcall('swapdb', 0, 1)" 0
GET a
SELECT 1
GET a
`)
}

func TestSwapDBCommandTable(t *testing.T) {
	// Name, arity, flags, key positions, ACL categories.
	commandInfoMatchesRedis(t, 7, "swapdb")
	// COMMAND DOCS: the fields Moonstone fills in, as Redis has them.
	p := testkit.StartPair(t)
	ms := p.Moonstone.NewClient()
	defer ms.Close()
	ctx := context.Background()
	docs := func(c *redis.Client) string {
		d, err := c.Do(ctx, "COMMAND", "DOCS", "swapdb").Slice()
		if err != nil {
			t.Fatal(err)
		}
		fields := d[1].([]any)
		var out []string
		for i := 0; i+1 < len(fields); i += 2 {
			switch fields[i] {
			case "summary", "since", "group":
				out = append(out, fmt.Sprint(fields[i], "=", fields[i+1]))
			}
		}
		return strings.Join(out, " ")
	}
	if m, r := docs(ms), docs(p.Redis.Client); m != r {
		t.Fatalf("COMMAND DOCS swapdb\n  moonstone: %s\n  redis:     %s", m, r)
	}
}

// TestSwapDBKeyspaceFollows compares what both servers report of the
// swapped databases where the replies cannot be compared byte for byte:
// INFO keyspace (Redis's avg_ttl is an estimate) and SCAN (orders differ).
func TestSwapDBKeyspaceFollows(t *testing.T) {
	p := testkit.StartPair(t)
	ctx := context.Background()
	addrs := []string{p.Moonstone.Addr, p.Redis.Addr}
	report := func(addr string) string {
		var out []string
		info, err := dbClient(t, addr, 0).Info(ctx, "keyspace").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(info, "\r\n") {
			if strings.HasPrefix(line, "db") {
				out = append(out, line[:strings.Index(line, ",avg_ttl")])
			}
		}
		for _, dbn := range []int{0, 1, 2} {
			keys, _, err := dbClient(t, addr, dbn).Scan(ctx, 0, "*", 1000).Result()
			if err != nil {
				t.Fatal(err)
			}
			sort.Strings(keys)
			out = append(out, fmt.Sprintf("scan db %d: %v", dbn, keys))
		}
		return strings.Join(out, "\n")
	}
	for _, addr := range addrs {
		c := dbClient(t, addr, 0)
		c.Set(ctx, "a", "1", time.Hour)
		c.Set(ctx, "b", "1", 0)
		dbClient(t, addr, 2).Set(ctx, "z", "1", 0)
		if err := c.Do(ctx, "SWAPDB", 0, 1).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if m, r := report(addrs[0]), report(addrs[1]); m != r {
		t.Fatalf("after SWAPDB 0 1\nmoonstone:\n%s\nredis:\n%s", m, r)
	}
	for _, addr := range addrs {
		dbClient(t, addr, 0).Do(ctx, "SWAPDB", 1, 2)
	}
	if m, r := report(addrs[0]), report(addrs[1]); m != r {
		t.Fatalf("after SWAPDB 1 2\nmoonstone:\n%s\nredis:\n%s", m, r)
	}
}

// TestSwapDBExpiryFollows: a key with a TTL swapped into another database
// keeps it, and the sweeper removes it there, reporting "expired" in the
// database the key is in now, as redis-server does.
func TestSwapDBExpiryFollows(t *testing.T) {
	p := testkit.StartPair(t)
	ctx := context.Background()
	for _, s := range []struct{ name, addr string }{{"moonstone", p.Moonstone.Addr}, {"redis", p.Redis.Addr}} {
		c, c3 := dbClient(t, s.addr, 0), dbClient(t, s.addr, 3)
		c.ConfigSet(ctx, "notify-keyspace-events", "Ex")
		sub := c.PSubscribe(ctx, "__keyevent@*__:expired")
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		c.Set(ctx, "short", "v", 300*time.Millisecond)
		if err := c.Do(ctx, "SWAPDB", 0, 3).Err(); err != nil {
			t.Fatal(err)
		}
		if n := c.Exists(ctx, "short").Val(); n != 0 {
			t.Fatalf("%s: the key is still in db 0", s.name)
		}
		if ttl := c3.PTTL(ctx, "short").Val(); ttl <= 0 || ttl > 300*time.Millisecond {
			t.Fatalf("%s: PTTL in db 3 = %v", s.name, ttl)
		}
		m, err := sub.ReceiveMessage(ctx)
		if err != nil || m.Channel != "__keyevent@3__:expired" || m.Payload != "short" {
			t.Fatalf("%s: got %+v, %v", s.name, m, err)
		}
		sub.Close()
		if n := c3.DBSize(ctx).Val(); n != 0 {
			t.Fatalf("%s: DBSIZE of db 3 after the sweep: %d", s.name, n)
		}
	}
}

// TestSwapDBKeyspaceEvents: SWAPDB itself sends no event, and events of
// later writes name the database the client selected.
func TestSwapDBKeyspaceEvents(t *testing.T) {
	keyEvents(t, "KEA", `
SET k v
SELECT 1
SET k1 v
SWAPDB 0 1
DEL k
SELECT 0
DEL k1
SET k2 v
EXPIRE k2 100
SWAPDB 1 0
SELECT 1
PERSIST k2
`)
}

// TestSwapDBTouchesWatchedKeys follows Redis 7.0's touchAllWatchedKeysInDb
// (unit/multi's SWAPDB tests, plus keys and databases the swap leaves
// alone).
func TestSwapDBTouchesWatchedKeys(t *testing.T) {
	p := testkit.StartPair(t)
	// a watched key that exists in the watcher's database
	p.Run(t, "FLUSHALL\nSELECT 0\nSET x 30\nWATCH x")
	other(t, p, "SWAPDB", "0", "1")
	p.Run(t, "MULTI\nPING\nEXEC")
	// a watched key missing in the watcher's database, present in the other
	p.Run(t, "FLUSHALL\nSELECT 1\nSET x 30\nSELECT 0\nWATCH x")
	other(t, p, "SWAPDB", "0", "1")
	p.Run(t, "MULTI\nPING\nEXEC")
	// a watched key missing from both databases
	p.Run(t, "FLUSHALL\nSELECT 0\nSET y 1\nWATCH x")
	other(t, p, "SWAPDB", "0", "1")
	p.Run(t, "MULTI\nPING\nEXEC")
	// a watched key of a database the swap leaves alone
	p.Run(t, "FLUSHALL\nSELECT 2\nSET x 1\nSELECT 0\nSET x 1\nSELECT 2\nWATCH x")
	other(t, p, "SWAPDB", "0", "1")
	p.Run(t, "MULTI\nPING\nEXEC\nSELECT 0")
	// after a swap the watched key still belongs to its database
	p.Run(t, "FLUSHALL\nSELECT 0\nWATCH x")
	other(t, p, "SWAPDB", "0", "1")
	p.Run(t, "SELECT 1\nSET x other-db\nSELECT 0\nMULTI\nPING\nEXEC")
	p.Run(t, "WATCH x")
	other(t, p, "SWAPDB", "0", "1")
	p.Run(t, "SET x in-own-db\nMULTI\nPING\nEXEC")
	// stale keys: expired on one side, absent on the other, is no change
	p.Run(t, "FLUSHALL\nSELECT 1\nSET x foo PX 1")
	time.Sleep(20 * time.Millisecond)
	p.Run(t, "WATCH x")
	other(t, p, "SWAPDB", "0", "1")
	p.Run(t, "MULTI\nPING\nEXEC\nSELECT 0")
	p.Run(t, "FLUSHALL\nSET x foo PX 1\nSELECT 1")
	time.Sleep(20 * time.Millisecond)
	p.Run(t, "WATCH x")
	other(t, p, "SWAPDB", "0", "1")
	p.Run(t, "MULTI\nPING\nEXEC\nSELECT 0")
	// the watcher's own SWAPDB inside its transaction does not abort it
	p.Run(t, "FLUSHALL\nSET x 1\nWATCH x\nMULTI\nSWAPDB 0 1\nEXEC\nGET x")
}

func TestSwapDBServesBlockedClients(t *testing.T) {
	blockDiff(t, `
# unit/type/list "SWAPDB awakes blocked client"
SELECT 1
RPUSH k hello
1: SELECT 9
1> BRPOP k 5
blocked 1
SWAPDB 1 9
1<
# the other blocking families
SELECT 0
ZADD z 1 a
XADD s 1-1 f v
1: SELECT 1
1> BZPOPMIN z 0
2: SELECT 1
2> XREAD BLOCK 0 STREAMS s 0
blocked 2
SWAPDB 0 1
1<
2<
# a key of the wrong type, or in neither database: still blocked
SELECT 2
SET w str
1: SELECT 3
1> BLPOP w nokey 0
blocked 1
SWAPDB 2 3
CLIENT UNBLOCK $id1
1<
# unit/type/list "SWAPDB wants to wake blocked client, but the key already
# expired": it stays blocked (the key may or may not have been swept)
SELECT 10
RPUSH e hello
PEXPIRE e 50
1: SELECT 11
1> BRPOP e 0
blocked 1
sleep 60
SWAPDB 10 11
CLIENT UNBLOCK $id1
1<
# a client of a database the swap leaves alone
SELECT 4
RPUSH q v
1: SELECT 5
1> BLPOP q 0
blocked 1
SWAPDB 4 6
SWAPDB 4 6
SWAPDB 4 5
1<
# BLMOVE fed by a swap, inside MULTI, pushing on for another client
SELECT 7
RPUSH src a b
1: SELECT 8
1> BLMOVE src dst LEFT RIGHT 0
2: SELECT 8
2> BLPOP dst 0
blocked 2
MULTI
SWAPDB 7 8
EXEC
1<
2<
SELECT 8
LRANGE src 0 -1
`)
}

// TestSwapDBUnblocksReadGroup: a XREADGROUP client whose stream the swap
// takes away gets Redis's error; one whose stream comes back with the
// group is served.
func TestSwapDBUnblocksReadGroup(t *testing.T) {
	blockDiff(t, `
XGROUP CREATE s g $ MKSTREAM
1> XREADGROUP GROUP g c BLOCK 0 STREAMS s >
blocked 1
SWAPDB 0 1
1<
# its stream comes back with the group and a new entry: served
SELECT 1
XGROUP CREATE s2 g $ MKSTREAM
XADD s2 1-1 f v
SELECT 0
XGROUP CREATE s2 g $ MKSTREAM
1> XREADGROUP GROUP g c BLOCK 0 STREAMS s2 >
blocked 1
SWAPDB 0 1
1<
# its stream comes back without the group
SELECT 1
XADD s3 1-1 f v
SELECT 0
XGROUP CREATE s3 g $ MKSTREAM
1> XREADGROUP GROUP g c BLOCK 0 STREAMS s3 >
blocked 1
SWAPDB 0 1
1<
`)
}

// TestSwapDBSurvivesRestart: the swap is on disk after a clean restart
// (cmd/moonstone's crash test covers kill -9).
func TestSwapDBSurvivesRestart(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := s.Client
	c.Set(ctx, "k", "zero", 0)
	c.Set(ctx, "ttl", "zero", time.Hour)
	if err := c.Do(ctx, "SWAPDB", 0, 7).Err(); err != nil {
		t.Fatal(err)
	}
	s.Restart(t)
	c0, c7 := dbClient(t, s.Addr, 0), dbClient(t, s.Addr, 7)
	if v := c7.Get(ctx, "k").Val(); v != "zero" {
		t.Fatalf("after restart, db 7 k = %q", v)
	}
	if ttl := c7.TTL(ctx, "ttl").Val(); ttl < 59*time.Minute {
		t.Fatalf("after restart, db 7 ttl has TTL %v", ttl)
	}
	if n := c7.DBSize(ctx).Val(); n != 2 {
		t.Fatalf("after restart, DBSIZE of db 7 = %d", n)
	}
	if n := c0.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("after restart, DBSIZE of db 0 = %d", n)
	}
}
