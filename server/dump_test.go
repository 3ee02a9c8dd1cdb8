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
# RESTORE-ASKING is RESTORE for a cluster's migrations.
RESTORE-ASKING asking 0 %[1]s
GET asking
RESTORE-ASKING asking 0 %[1]s
RESTORE-ASKING asking
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

// ziplist builds a ziplist (Redis before 7.0) of strings and int64s, each
// in the encoding ziplist.c would pick.
func ziplist(elems ...any) []byte {
	var body []byte
	prev := 0
	for _, e := range elems {
		var ent []byte
		switch v := e.(type) {
		case string:
			switch l := len(v); {
			case l < 64:
				ent = []byte{byte(l)}
			case l < 1<<14:
				ent = []byte{0x40 | byte(l>>8), byte(l)}
			default:
				ent = []byte{0x80, byte(l >> 24), byte(l >> 16), byte(l >> 8), byte(l)}
			}
			ent = append(ent, v...)
		case int64:
			le := func(n int) []byte {
				b := make([]byte, n)
				for i := range b {
					b[i] = byte(v >> (8 * i))
				}
				return b
			}
			switch {
			case v >= 0 && v <= 12:
				ent = []byte{0xf1 + byte(v)}
			case v >= -128 && v <= 127:
				ent = append([]byte{0xfe}, le(1)...)
			case v >= -32768 && v <= 32767:
				ent = append([]byte{0xc0}, le(2)...)
			case v >= -1<<23 && v < 1<<23:
				ent = append([]byte{0xf0}, le(3)...)
			case v >= -1<<31 && v < 1<<31:
				ent = append([]byte{0xd0}, le(4)...)
			default:
				ent = append([]byte{0xe0}, le(8)...)
			}
		}
		var pl []byte
		if prev < 254 {
			pl = []byte{byte(prev)}
		} else {
			pl = []byte{0xfe, byte(prev), byte(prev >> 8), byte(prev >> 16), byte(prev >> 24)}
		}
		ent = append(pl, ent...)
		body = append(body, ent...)
		prev = len(ent)
	}
	n := 10 + len(body) + 1
	zl := []byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24), 0, 0, 0, 0, byte(len(elems)), byte(len(elems) >> 8)}
	tail := n - 1 - prev
	if len(elems) == 0 {
		tail = 10
	}
	zl[4], zl[5], zl[6], zl[7] = byte(tail), byte(tail>>8), byte(tail>>16), byte(tail>>24)
	zl = append(zl, body...)
	return append(zl, 0xff)
}

// rdbString is an uncompressed RDB string.
func rdbString(b []byte) []byte { return codec.AppendRDBString(nil, b) }

func obj(t byte, parts ...[]byte) string {
	o := []byte{t}
	for _, p := range parts {
		o = append(o, p...)
	}
	return payload(o...)
}

func TestRestoreOldEncodingsMatchRedis(t *testing.T) {
	mixed := ziplist("a", int64(5), int64(300), int64(-1), int64(-70000), int64(1<<30), int64(1<<40),
		strings.Repeat("z", 100), "", int64(12), int64(0))
	pairs := ziplist("f1", "v1", "f2", int64(7), "f3", strings.Repeat("q", 300))
	zpairs := ziplist("c", "-inf", "d", int64(-100000), "b", "1.5", "a", int64(3)) // in score order, as Redis keeps them
	// Redis's own test: a stream DUMPed by Redis 5 (RDB type 15, version 9).
	legacyStream := `"\x0F\x01\x10\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\xC3\x40\x4A\x40\x57\x16\x57\x00\x00\x00\x23\x00\x02\x01\x04\x01\x01\x01\x84\x64\x61\x74\x61\x05\x00\x01\x03\x01\x00\x20\x01\x03\x81\x61\x02\x04\x20\x0A\x00\x01\x40\x0A\x00\x62\x60\x0A\x00\x02\x40\x0A\x00\x63\x60\x0A\x40\x22\x01\x81\x64\x20\x0A\x40\x39\x20\x0A\x00\x65\x60\x0A\x00\x05\x40\x0A\x00\x66\x20\x0A\x00\xFF\x02\x06\x00\x02\x02\x67\x31\x05\x00\x04\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x3E\xF7\x83\x43\x7A\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x3E\xF7\x83\x43\x7A\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x3E\xF7\x83\x43\x7A\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x3E\xF7\x83\x43\x7A\x01\x00\x00\x01\x01\x03\x63\x31\x31\x3E\xF7\x83\x43\x7A\x01\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x02\x67\x32\x00\x00\x00\x00\x09\x00\x3D\x52\xEF\x68\x67\x52\x1D\xFA"`
	testkit.Diff(t, fmt.Sprintf(`
RESTORE zl 0 %s
LRANGE zl 0 -1
RESTORE ql 0 %s
LRANGE ql 0 -1
RESTORE plain 0 %s
LRANGE plain 0 -1
RESTORE hz 0 %s
HGETALL hz
RESTORE zz 0 %s
ZRANGE zz 0 -1 WITHSCORES
RESTORE x 0 %s
XRANGE x - +
XINFO STREAM x FULL
XINFO GROUPS x
# Consumers with their idle time zeroed: it is now minus a 2021 time, read
# a moment apart on the two servers.
EVAL "local r = redis.call('XINFO', 'CONSUMERS', 'x', 'g1') for _, c in ipairs(r) do c[6] = 0 end return r" 0
XADD x 7-0 data g
XINFO STREAM x
# Inside MULTI and scripts, like any write.
MULTI
RESTORE m 0 %[7]s
GET m
RESTORE m 0 %[7]s
EXEC
EVAL "return redis.call('restore', KEYS[1], 0, ARGV[1])" 1 ev %[7]s
GET ev
EVAL "return redis.pcall('restore', KEYS[1], 0, ARGV[1])" 1 ev %[7]s
EVAL "return redis.call('dump', KEYS[1]) == ARGV[1]" 1 ev %[7]s
`,
		obj(10, rdbString(mixed)),
		obj(14, []byte{2}, rdbString(ziplist("x", int64(1))), rdbString(mixed)),
		obj(18, []byte{2, 1}, rdbString([]byte("a plain node")), []byte{2}, rdbString(listpackOf("b", "c"))),
		obj(13, rdbString(pairs)),
		obj(12, rdbString(zpairs)),
		legacyStream,
		payload(0, 3, 'b', 'a', 'r'),
	))
}

// listpackOf is a listpack of short strings.
func listpackOf(elems ...string) []byte {
	lp := []byte{0, 0, 0, 0, byte(len(elems)), 0}
	for _, e := range elems {
		lp = append(lp, 0x80|byte(len(e)))
		lp = append(lp, e...)
		lp = append(lp, byte(1+len(e)))
	}
	lp = append(lp, 0xff)
	lp[0], lp[1] = byte(len(lp)), byte(len(lp)>>8)
	return lp
}

func TestRestoreKeyspaceEvents(t *testing.T) {
	bar := payload(0, 3, 'b', 'a', 'r')
	list := obj(1, []byte{1}, rdbString([]byte("x")))
	keyEvents(t, "KEgn", fmt.Sprintf(`
RESTORE a 0 %[1]s
RESTORE a 0 %[1]s
RESTORE a 0 %[2]s REPLACE
RESTORE a 0 %[1]s REPLACE
SADD s x
RESTORE s 0 %[3]s REPLACE
RESTORE a 1000 %[1]s ABSTTL REPLACE
RESTORE b 1000 %[1]s ABSTTL
RESTORE c 100000 %[2]s
RESTORE c 0 "bad" REPLACE
MULTI
RESTORE d 0 %[1]s
EXEC
EVAL "return redis.call('restore', KEYS[1], 0, ARGV[1])" 1 e %[2]s
`, bar, list, obj(2, []byte{1}, rdbString([]byte("m")))))
}
