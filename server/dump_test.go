package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"moonstone/codec"
	"moonstone/internal/testkit"
)

// quote writes b as a double-quoted redis-cli argument.
func quote(b []byte) string {
	var s strings.Builder
	s.WriteByte('"')
	for _, c := range b {
		fmt.Fprintf(&s, "\\x%02x", c)
	}
	s.WriteByte('"')
	return s.String()
}

// payload seals RDB object bytes as a DUMP payload.
func payload(obj ...byte) string { return quote(codec.SealPayload(obj)) }

func TestRestoreErrorsMatchRedis(t *testing.T) {
	bar := payload(0, 3, 'b', 'a', 'r') // the string "bar"
	baz := payload(0, 3, 'b', 'a', 'z')
	v11 := []byte{0, 3, 'b', 'a', 'r', 11, 0}
	v11 = append(v11, make([]byte, 8)...)
	crc := codec.CRC64(0, v11[:len(v11)-8])
	for i := 0; i < 8; i++ {
		v11[len(v11)-8+i] = byte(crc >> (8 * i))
	}
	script := fmt.Sprintf(`
DUMP nokey
DUMP
DUMP a b
RESTORE
RESTORE k 0
SET foo bar
DUMP foo
RESTORE foo 0 "..."
RESTORE foo 0 %[1]s
RESTORE foo -1 "..." REPLACE
RESTORE foo abc "..." REPLACE
RESTORE foo 0 "..." REPLACE
RESTORE foo 0 "" REPLACE
RESTORE foo 0 "..." invalid-option
RESTORE foo 0 "..." idletime -1
RESTORE foo 0 "..." idletime x
RESTORE foo 0 "..." idletime
RESTORE foo 0 "..." freq 256
RESTORE foo 0 "..." freq -1
RESTORE foo 0 "..." freq 1.5
RESTORE foo 0 %[1]s idletime 10 freq 5 REPLACE
RESTORE foo 0 %[1]s freq 5 idletime 10 REPLACE
RESTORE nokey -5 %[1]s
RESTORE nokey 0 %[3]s
EXISTS nokey
RESTORE new 0 %[1]s
GET new
TTL new
RESTORE new 0 %[2]s
RESTORE new 0 %[2]s REPLACE idletime 5
GET new
RESTORE new 0 %[1]s REPLACE freq 100 ABSTTL
GET new
RESTORE far 4102444800000 %[1]s ABSTTL
PEXPIRETIME far
RESTORE past 1000 %[1]s ABSTTL
EXISTS past
SET gone x
RESTORE gone 1000 %[1]s ABSTTL REPLACE
EXISTS gone
RESTORE wrap 9223372036854775807 %[1]s
EXISTS wrap
RESTORE int 0 %[4]s
GET int
TYPE int
RESTORE lzf 0 %[5]s
GET lzf
# Bad data format: unknown types, truncated or empty objects,
# duplicates, a zipmap, NaN scores.
RESTORE bad 0 %[6]s
RESTORE bad 0 %[7]s
RESTORE bad 0 %[8]s
RESTORE bad 0 %[9]s
RESTORE bad 0 %[10]s
RESTORE bad 0 %[11]s
RESTORE bad 0 %[12]s
RESTORE bad 0 %[13]s
RESTORE bad 0 %[14]s
EXISTS bad
# Older encodings that Redis 7.0 still loads.
RESTORE old1 0 %[15]s
LRANGE old1 0 -1
RESTORE old2 0 %[16]s
ZRANGE old2 0 -1 WITHSCORES
RESTORE old3 0 %[17]s
~SMEMBERS old3
RESTORE old4 0 %[18]s
LRANGE old4 0 -1
`, bar, baz, quote(v11),
		payload(0, 0xc0, 0x7b),                                // 4: int8 123
		payload(0, 0xc3, 5, 8, 1, 'a', 'b', 0x80, 1),          // 5: LZF "abababab"
		payload(8, 0),                                         // 6: type 8 (unused)
		payload(2, 0),                                         // 7: empty set
		payload(2, 2, 1, 'a', 1, 'a'),                         // 8: duplicate set member
		payload(4, 1, 1, 'a'),                                 // 9: hash missing its value
		payload(5, 1, 1, 'a', 0, 0, 0, 0, 0, 0, 0xf8, 0x7f),   // 10: NaN score
		payload(1, 0x80, 0xff, 0xff, 0xff, 0xff),              // 11: list length beyond the payload
		payload(9, 0),                                         // 12: zipmap
		payload(18, 1, 2, 3, 1, 2, 3),                         // 13: listpack node that is not a listpack
		payload(0),                                            // 14: truncated string
		payload(1, 2, 1, 'x', 0xc0, 0xff),                     // 15: plain list, an int-encoded element
		payload(3, 2, 1, 'a', 3, '1', '.', '5', 1, 'b', 254),  // 16: zset with text scores
		payload(11, 2, 0, 0, 0, 2, 0, 0, 0, 0xfe, 0xff, 7, 0), // 17: intset {-2, 7}
		payload(1, 1, 0xc3, 4, 4, 0, 'a', 0x20, 0),            // 18: LZF "aaaa"
	)
	testkit.Diff(t, script)
}

// keyView reads a key's whole value as comparable data (sets sorted,
// streams as XINFO STREAM FULL).
func keyView(t *testing.T, c *redis.Client, key string) any {
	t.Helper()
	ctx := context.Background()
	typ, err := c.Type(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	var v any
	switch typ {
	case "string":
		v, err = c.Get(ctx, key).Result()
	case "list":
		v, err = c.LRange(ctx, key, 0, -1).Result()
	case "set":
		var m []string
		m, err = c.SMembers(ctx, key).Result()
		sort.Strings(m)
		v = m
	case "hash":
		v, err = c.HGetAll(ctx, key).Result()
	case "zset":
		v, err = c.ZRangeWithScores(ctx, key, 0, -1).Result()
	case "stream":
		v, err = c.Do(ctx, "XINFO", "STREAM", key, "FULL", "COUNT", "0").Result()
	default:
		t.Fatalf("%s: type %s", key, typ)
	}
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return []any{typ, v}
}

// dumpBothWays moves each key from redis-server to Moonstone and back:
// Redis's DUMP restored on Moonstone must read the same, and Moonstone's
// DUMP of it restored on redis-server (and on Moonstone) too.
func dumpBothWays(t *testing.T, p *testkit.Pair, keys []string) {
	t.Helper()
	ctx := context.Background()
	rc, mc := p.Redis.Client, p.Moonstone.Client
	for _, k := range keys {
		fromRedis, err := rc.Dump(ctx, k).Result()
		if err != nil {
			t.Fatalf("%s: redis DUMP: %v", k, err)
		}
		if err := mc.Do(ctx, "RESTORE", k, 0, fromRedis, "REPLACE").Err(); err != nil {
			t.Errorf("%s: RESTORE of Redis's payload on Moonstone: %v", k, err)
			continue
		}
		want := keyView(t, rc, k)
		if got := keyView(t, mc, k); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Redis's payload restored on Moonstone:\n got %v\nwant %v", k, got, want)
			continue
		}
		fromMoonstone, err := mc.Dump(ctx, k).Result()
		if err != nil {
			t.Fatalf("%s: Moonstone DUMP: %v", k, err)
		}
		if err := rc.Do(ctx, "RESTORE", k+":back", 0, fromMoonstone).Err(); err != nil {
			t.Errorf("%s: RESTORE of Moonstone's payload on redis-server: %v", k, err)
			continue
		}
		if got := keyView(t, rc, k+":back"); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Moonstone's payload restored on redis-server:\n got %v\nwant %v", k, got, want)
		}
		if err := mc.Do(ctx, "RESTORE", k+":own", 0, fromMoonstone).Err(); err != nil {
			t.Errorf("%s: RESTORE of Moonstone's payload on Moonstone: %v", k, err)
			continue
		}
		if got := keyView(t, mc, k+":own"); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Moonstone's payload restored on Moonstone:\n got %v\nwant %v", k, got, want)
		}
	}
}

// redisDo runs commands on redis-server only.
func redisDo(t *testing.T, c *redis.Client, cmds ...[]any) {
	t.Helper()
	for _, cmd := range cmds {
		if err := c.Do(context.Background(), cmd...).Err(); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
	}
}

func dseq(n int, f func(i int) []any) []any {
	var out []any
	for i := 0; i < n; i++ {
		out = append(out, f(i)...)
	}
	return out
}

func dcmd(args ...any) []any { return args }

func TestDumpRestoreEveryEncodingBothWays(t *testing.T) {
	p := testkit.StartPair(t)
	rc := p.Redis.Client
	long := strings.Repeat("a", 1000)
	redisDo(t, rc,
		// strings: raw, int-encoded, LZF-compressed, binary
		dcmd("SET", "s:raw", "bar"), dcmd("SET", "s:int", "12345"), dcmd("SET", "s:min", "-9223372036854775808"),
		dcmd("SET", "s:lzf", long), dcmd("SET", "s:bin", "\x00\xff\r\n"), dcmd("SET", "s:empty", ""),
		// lists: one listpack node; many nodes; compressed inner nodes
		dcmd("RPUSH", "l:small", "a", "1", "-3", "", "9223372036854775807"),
		append(dcmd("RPUSH", "l:big"), dseq(3000, func(i int) []any { return []any{fmt.Sprint("e", i)} })...),
		dcmd("CONFIG", "SET", "list-max-listpack-size", "4"),
		dcmd("CONFIG", "SET", "list-compress-depth", "1"),
		append(dcmd("RPUSH", "l:lzf"), dseq(100, func(i int) []any { return []any{fmt.Sprint(strings.Repeat("x", 60), i)} })...),
		dcmd("CONFIG", "SET", "list-max-listpack-size", "-2"),
		dcmd("CONFIG", "SET", "list-compress-depth", "0"),
		// sets: intset, hashtable of strings, hashtable of many integers
		dcmd("SADD", "st:intset", "1", "2", "-5", "70000", "-9223372036854775808"),
		dcmd("SADD", "st:hash", "a", "b", "c", "1"),
		append(dcmd("SADD", "st:bigint"), dseq(600, func(i int) []any { return []any{i} })...),
		// hashes: listpack, hashtable by count, hashtable by value size
		dcmd("HSET", "h:small", "f", "v", "n", "12", "neg", "-7000", "e", ""),
		append(dcmd("HSET", "h:big"), dseq(600, func(i int) []any { return []any{fmt.Sprint("f", i), i} })...),
		dcmd("HSET", "h:long", "f", strings.Repeat("v", 100)),
		// sorted sets: listpack, skiplist
		dcmd("ZADD", "z:small", "1", "a", "1.5", "b", "-2", "c", "inf", "d", "-inf", "e", "0", "f", "3.14159265358979", "g"),
		append(dcmd("ZADD", "z:big"), dseq(300, func(i int) []any { return []any{float64(i) / 7, fmt.Sprint("m", i)} })...),
		// streams: mixed fields, a deleted entry, groups with PELs
		dcmd("XADD", "x:small", "1-1", "a", "1", "b", "2"),
		dcmd("XADD", "x:small", "1-2", "a", "3", "b", "4"),
		dcmd("XADD", "x:small", "2-0", "c", "5"),
		dcmd("XADD", "x:small", "3-0", "a", "1", "b", "2", "c", "3"),
		dcmd("XADD", "x:small", "4-0", "a", "x"),
		dcmd("XDEL", "x:small", "1-2"),
		dcmd("XGROUP", "CREATE", "x:small", "g1", "0"),
		dcmd("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "2", "STREAMS", "x:small", ">"),
		dcmd("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "1", "STREAMS", "x:small", ">"),
		dcmd("XACK", "x:small", "g1", "1-1"),
		dcmd("XGROUP", "CREATE", "x:small", "g2", "$"),
		dcmd("XGROUP", "CREATECONSUMER", "x:small", "g2", "carol"),
		dcmd("XGROUP", "CREATE", "x:empty", "g", "$", "MKSTREAM"),
		dcmd("XADD", "x:gone", "5-5", "a", "b"),
		dcmd("XDEL", "x:gone", "5-5"),
	)
	for i := 0; i < 700; i++ {
		redisDo(t, rc, dcmd("XADD", "x:big", fmt.Sprint(i+1, "-", i%3), "f", i, "g", strings.Repeat("y", i%50)))
	}
	redisDo(t, rc, dcmd("XTRIM", "x:big", "MAXLEN", "~", "450"),
		dcmd("XGROUP", "CREATE", "x:big", "g", "0"),
		dcmd("XREADGROUP", "GROUP", "g", "c1", "COUNT", "30", "STREAMS", "x:big", ">"),
		dcmd("XDEL", "x:big", "300-2", "301-0"))
	keys := []string{"s:raw", "s:int", "s:min", "s:lzf", "s:bin", "s:empty",
		"l:small", "l:big", "l:lzf", "st:intset", "st:hash", "st:bigint",
		"h:small", "h:big", "h:long", "z:small", "z:big",
		"x:small", "x:big", "x:empty", "x:gone"}
	dumpBothWays(t, p, keys)
}

// TestDumpRestoreRandom moves random collections of every type both ways:
// binary members, integers of every width, long and empty strings.
func TestDumpRestoreRandom(t *testing.T) {
	p := testkit.StartPair(t)
	rnd := rand.New(rand.NewPCG(7, 11))
	elem := func() string {
		switch rnd.IntN(5) {
		case 0:
			return fmt.Sprint(rnd.Int64N(1<<uint(rnd.IntN(62)+1)) - 1<<uint(rnd.IntN(8)))
		case 1:
			b := make([]byte, rnd.IntN(20))
			for i := range b {
				b[i] = byte(rnd.IntN(256))
			}
			return string(b)
		case 2:
			return strings.Repeat(string(rune('a'+rnd.IntN(26))), rnd.IntN(300))
		}
		return fmt.Sprint("m", rnd.IntN(1000))
	}
	var keys []string
	for round := 0; round < 40; round++ {
		k := fmt.Sprint("k", round)
		n := 1 + rnd.IntN([]int{5, 100, 1000}[rnd.IntN(3)])
		var c []any
		switch round % 5 {
		case 0:
			c = dcmd("RPUSH", k)
			for i := 0; i < n; i++ {
				c = append(c, elem())
			}
		case 1:
			c = dcmd("SADD", k)
			for i := 0; i < n; i++ {
				c = append(c, elem())
			}
		case 2:
			c = dcmd("HSET", k)
			for i := 0; i < n; i++ {
				c = append(c, elem(), elem())
			}
		case 3:
			c = dcmd("ZADD", k)
			for i := 0; i < n; i++ {
				c = append(c, rnd.NormFloat64()*1e3, elem())
			}
		case 4:
			for i := 0; i < n; i++ {
				redisDo(t, p.Redis.Client, dcmd("XADD", k, "*", elem(), elem()))
			}
			keys = append(keys, k)
			continue
		}
		redisDo(t, p.Redis.Client, c)
		keys = append(keys, k)
	}
	dumpBothWays(t, p, keys)
}
