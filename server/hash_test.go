package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"moonstone/internal/testkit"
)

func TestHashesMatchRedis(t *testing.T) {
	testkit.Diff(t, `
# HSET / HMSET / HSETNX
HSET h a 1 b 2
HSET h a 3 c
HSET h a 3 c 4 c 5
HSET h
HSET h a
HMSET h a 1 b
HMSET h a 9 z 8
HSETNX h a x
HSETNX h new x
HSETNX fresh f v
HSETNX h a
# reads
HGET h a
HGET h nope
HGET missing a
HMGET h a b nope z
HMGET missing a b
HMGET h
HEXISTS h a
HEXISTS h nope
HEXISTS missing a
HLEN h
HLEN missing
HSTRLEN h a
HSTRLEN h nope
HSTRLEN missing a
~HKEYS h
~HVALS h
~HGETALL h
HGETALL missing
HKEYS missing
HVALS missing
HGET h
HLEN h x
# HDEL, and the key goes away with its last field
HDEL h a nope a
HDEL missing a
HDEL h
HDEL h b c z new
EXISTS h
HLEN h
TYPE h
# empty and binary fields and values
HSET "" "" ""
HGET "" ""
HGETALL ""
HSTRLEN "" ""
HSET bin "\x00\xff" "a\r\nb"
HGET bin "\x00\xff"
HSTRLEN bin "\x00\xff"
# expiry survives field changes and ends with the key
HSET h2 a 1
EXPIRE h2 100
HSET h2 b 2
HINCRBY h2 n 1
TTL h2
HDEL h2 a b n
TTL h2
EXISTS h2
# wrong type
SET str v
HGET str a
HSET str a b
HMSET str a b
HSETNX str a b
HMGET str a
HDEL str a
HLEN str
HGETALL str
HKEYS str
HVALS str
HEXISTS str a
HSTRLEN str a
HINCRBY str a 1
HINCRBYFLOAT str a 1
HRANDFIELD str
HRANDFIELD str 1
HSCAN str 0
SADD st x
HGET st a
`)
}

func TestHashCountersMatchRedis(t *testing.T) {
	testkit.Diff(t, `
HSET n i 10
HINCRBY n i 5
HINCRBY n i -20
HINCRBY n new 7
HINCRBY fresh f 3
HINCRBY n i x
HINCRBY n i 1.5
HINCRBY n i 9223372036854775807
HINCRBY n i 99999999999999999999
HSET n big 9223372036854775800
HINCRBY n big 7
HINCRBY n big 8
HSET n neg -9223372036854775800
HINCRBY n neg -8
HINCRBY n neg -9
HSET n s abc
HINCRBY n s 1
HSET n sp " 1"
HINCRBY n sp 1
HSET n lz 01
HINCRBY n lz 1
HSET n plus +1
HINCRBY n plus 1
HSET n empty ""
HINCRBY n empty 1
HINCRBYFLOAT n sp 1
HINCRBYFLOAT n f 1.5
HINCRBYFLOAT n f 0.1
HINCRBYFLOAT n f -1.6
HINCRBYFLOAT n f 1e10
HINCRBYFLOAT n f 0.0000001
HINCRBYFLOAT n f 3.0e3
HINCRBYFLOAT n i 1.25
HINCRBYFLOAT n f abc
HINCRBYFLOAT n f +inf
HINCRBYFLOAT n f -inf
HINCRBYFLOAT n f inf
HINCRBYFLOAT n f nan
HINCRBYFLOAT n f ""
HINCRBYFLOAT n f " 1"
HINCRBYFLOAT n f "1 "
HINCRBYFLOAT n f 1e5000
HINCRBYFLOAT n f 1e-5000
HINCRBYFLOAT n hex 0x10
HINCRBYFLOAT n hex 0x1p-2
HINCRBYFLOAT n s 1
HINCRBYFLOAT n empty 1
HINCRBYFLOAT n g 1.7976931348623157e308
HINCRBYFLOAT n g 1.7976931348623157e308
HSET n e 1.5e3
HINCRBYFLOAT n e 1
HSET n e 1e1000
HINCRBYFLOAT n e 1
HINCRBYFLOAT n nk 5
HINCRBY n nk 1
HGET n nk
HINCRBYFLOAT fresh2 f 2.5
HGET fresh2 f
HGET n f
HGET n i
`)
}

// HRANDFIELD and HSCAN cases whose replies are deterministic: absent keys,
// errors, counts of zero, one-field hashes, counts past the size.
func TestHashRandomAndScanMatchRedis(t *testing.T) {
	testkit.Diff(t, `
HSET n a 1 b 2 c 3
HRANDFIELD missing
HRANDFIELD missing 5
HRANDFIELD missing -5 WITHVALUES
HRANDFIELD missing 0
HRANDFIELD n 0
HRANDFIELD n 0 WITHVALUES
HRANDFIELD n -9223372036854775808
HRANDFIELD missing -9223372036854775808
HRANDFIELD n 4611686018427387904 WITHVALUES
HRANDFIELD n -4611686018427387904 WITHVALUES
HRANDFIELD missing -4611686018427387904 WITHVALUES
~HRANDFIELD n 4611686018427387903 WITHVALUES
~HRANDFIELD n 3
~HRANDFIELD n 100
HRANDFIELD n 1 WITHVALUES x
HRANDFIELD n 1 withvaluesx
HRANDFIELD n x
HRANDFIELD n 1.5
HRANDFIELD n 99999999999999999999
HSET one f v
HRANDFIELD one
HRANDFIELD one 1
HRANDFIELD one 5
HRANDFIELD one -3
HRANDFIELD one -3 WITHVALUES
HRANDFIELD one 2 withvalues
HSCAN missing 0
HSCAN missing 0 COUNT 0
HSCAN missing 0 BADOPT
HSCAN missing x
HSCAN one x
HSCAN one 1.5
HSCAN one 0 COUNT 0
HSCAN one 0 COUNT -1
HSCAN one 0 COUNT x
HSCAN one 0 MATCH
HSCAN one 0 FOO bar
HSCAN one 0 TYPE string
HSCAN one 0
HSCAN one 0 MATCH f*
HSCAN one 0 MATCH x*
HSCAN one 0 COUNT 100 MATCH *
HSCAN one 0 match f count 5
`)
}

// A long random sequence of hash commands on a few keys, compared with
// Redis reply by reply. Seeded, so a failure replays.
func TestHashRandomizedMatchesRedis(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	keys := []string{"h1", "h2", "h3"}
	field := func() string { return fmt.Sprintf("f%d", rng.IntN(12)) }
	value := func() string {
		switch rng.IntN(5) {
		case 0:
			return fmt.Sprint(rng.IntN(1000) - 500)
		case 1:
			return fmt.Sprintf("%.3f", rng.Float64()*100-50)
		case 2:
			return ""
		default:
			return fmt.Sprintf("v%d", rng.IntN(100))
		}
	}
	var script strings.Builder
	script.WriteString("SET str x\n")
	for i := 0; i < 1500; i++ {
		k := keys[rng.IntN(len(keys))]
		if rng.IntN(40) == 0 {
			k = "str"
		}
		var line string
		switch rng.IntN(16) {
		case 0, 1:
			line = fmt.Sprintf("HSET %s %s %q", k, field(), value())
			for j := rng.IntN(3); j > 0; j-- {
				line += fmt.Sprintf(" %s %q", field(), value())
			}
		case 2:
			line = fmt.Sprintf("HSETNX %s %s %q", k, field(), value())
		case 3:
			line = fmt.Sprintf("HGET %s %s", k, field())
		case 4:
			line = fmt.Sprintf("HMGET %s %s %s %s", k, field(), field(), field())
		case 5:
			line = fmt.Sprintf("HDEL %s %s %s", k, field(), field())
		case 6:
			line = fmt.Sprintf("HEXISTS %s %s", k, field())
		case 7:
			line = "HLEN " + k
		case 8:
			line = fmt.Sprintf("HSTRLEN %s %s", k, field())
		case 9:
			line = "~HKEYS " + k
		case 10:
			line = "~HVALS " + k
		case 11:
			line = "~HGETALL " + k
		case 12:
			line = fmt.Sprintf("HINCRBY %s %s %d", k, field(), rng.IntN(200)-100)
		case 13:
			line = fmt.Sprintf("HINCRBYFLOAT %s %s %s", k, field(), []string{"1.5", "-0.25", "1e3", "3.14159", "-7", "0.1"}[rng.IntN(6)])
		case 14:
			line = "~HRANDFIELD " + k + " 100 WITHVALUES"
		case 15:
			if rng.IntN(4) == 0 {
				line = "DEL " + k
			} else {
				line = "EXISTS " + k
			}
		}
		script.WriteString(line + "\n")
	}
	testkit.Diff(t, script.String())
}

// HRANDFIELD's count rules on a hash large enough to be sampled by
// probing (see storage/sample.go): positive counts give distinct fields, at
// most the size; negative counts give exactly that many, repeats allowed;
// WITHVALUES pairs each field with its own value.
func TestHRandFieldCounts(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := s.Client
	values := map[string]string{}
	var args []any
	for i := 0; i < 3000; i++ {
		f, v := fmt.Sprintf("field:%d", i), fmt.Sprintf("value:%d", i)
		values[f] = v
		args = append(args, f, v)
	}
	if err := c.HSet(ctx, "big", args...).Err(); err != nil {
		t.Fatal(err)
	}
	for _, count := range []int{1, 10, 40, 1000, 2999, 3000, 5000} {
		got, err := c.HRandField(ctx, "big", count).Result()
		if err != nil {
			t.Fatal(err)
		}
		if want := min(count, 3000); len(got) != want {
			t.Fatalf("HRANDFIELD %d: %d fields, want %d", count, len(got), want)
		}
		seen := map[string]bool{}
		for _, f := range got {
			if _, ok := values[f]; !ok || seen[f] {
				t.Fatalf("HRANDFIELD %d: unknown or repeated field %q", count, f)
			}
			seen[f] = true
		}
	}
	for _, count := range []int{-1, -10, -40, -5000} {
		got, err := c.HRandField(ctx, "big", count).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != -count {
			t.Fatalf("HRANDFIELD %d: %d fields", count, len(got))
		}
		for _, f := range got {
			if _, ok := values[f]; !ok {
				t.Fatalf("HRANDFIELD %d: unknown field %q", count, f)
			}
		}
	}
	for _, count := range []int{5, -5, 4000} {
		pairs, err := c.HRandFieldWithValues(ctx, "big", count).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pairs {
			if values[p.Key] != p.Value {
				t.Fatalf("HRANDFIELD %d WITHVALUES: %q paired with %q", count, p.Key, p.Value)
			}
		}
	}
	one, err := c.Do(ctx, "HRANDFIELD", "big").Text()
	if err != nil || values[one] == "" {
		t.Fatalf("HRANDFIELD: %q %v", one, err)
	}
}

// HSCAN visits every field exactly once whatever COUNT is, and a field
// present for the whole scan is returned even while others come and go.
func TestHScanCoversHash(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := s.Client
	want := map[string]string{}
	var args []any
	for i := 0; i < 1000; i++ {
		f := fmt.Sprintf("f%04d", i)
		want[f] = fmt.Sprint(i)
		args = append(args, f, i)
	}
	c.HSet(ctx, "h", args...)
	scan := func(match string, count int64, during func()) map[string]int {
		seen := map[string]int{}
		var cursor uint64
		for {
			kv, next, err := c.HScan(ctx, "h", cursor, match, count).Result()
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i+1 < len(kv); i += 2 {
				if v, ok := want[kv[i]]; ok && v != kv[i+1] {
					t.Fatalf("field %s with value %s, want %s", kv[i], kv[i+1], v)
				}
				seen[kv[i]]++
			}
			if during != nil {
				during()
			}
			if next == 0 {
				return seen
			}
			cursor = next
		}
	}
	for _, count := range []int64{1, 7, 100, 5000} {
		seen := scan("", count, nil)
		if len(seen) != len(want) {
			t.Fatalf("COUNT %d: saw %d fields, want %d", count, len(seen), len(want))
		}
		for f, n := range seen {
			if n != 1 {
				t.Fatalf("COUNT %d: field %s seen %d times", count, f, n)
			}
		}
	}
	seen := scan("f00*", 10, nil)
	if len(seen) != 100 {
		t.Fatalf("MATCH f00*: %d fields, want 100", len(seen))
	}
	for f := range seen {
		if !strings.HasPrefix(f, "f00") {
			t.Fatalf("MATCH f00* returned %s", f)
		}
	}
	// Churn other fields during the scan.
	n := 0
	seen = scan("", 50, func() {
		n++
		c.HSet(ctx, "h", fmt.Sprintf("tmp%d", n), n)
		c.HDel(ctx, "h", fmt.Sprintf("tmp%d", n-1))
	})
	for f := range want {
		if seen[f] != 1 {
			t.Fatalf("under churn: field %s seen %d times", f, seen[f])
		}
	}
}

// A hash big enough to be dropped with a range deletion leaves nothing
// behind: the recreated key starts empty, and counts stay exact.
func TestBigHashDeleteAndRecreate(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := s.Client
	var args []any
	for i := 0; i < 500; i++ {
		args = append(args, fmt.Sprint(i), i)
	}
	c.HSet(ctx, "h", args...)
	if n := c.HLen(ctx, "h").Val(); n != 500 {
		t.Fatalf("HLEN %d", n)
	}
	c.Del(ctx, "h")
	c.HSet(ctx, "h", "x", 1)
	if got := c.HGetAll(ctx, "h").Val(); len(got) != 1 || got["x"] != "1" {
		t.Fatalf("recreated hash: %v", got)
	}
	var fields []string
	for i := 0; i < 500; i++ {
		fields = append(fields, fmt.Sprint(i))
	}
	c.HSet(ctx, "h", args...)
	if n := c.HDel(ctx, "h", append(fields, "x")...).Val(); n != 501 {
		t.Fatalf("HDEL removed %d", n)
	}
	if n := c.Exists(ctx, "h").Val(); n != 0 {
		t.Fatal("empty hash still exists")
	}
	if n := c.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("DBSIZE %d after the only key went away", n)
	}
}

// TestHashOrderMatchesRedis checks insertion order, which Redis's listpack
// encoding keeps until a hash grows past hash-max-listpack-entries or gets
// a field or value longer than hash-max-listpack-value.
func TestHashOrderMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
# insertion order; an overwrite keeps its place, a re-added field goes last
HSET h z 1 a 2 m 3
HGETALL h
HSET h a 9 q 4
HGETALL h
HDEL h z
HSET h z 5
HKEYS h
HVALS h
HSCAN h 0
HSCAN h 0 MATCH ?
HSCAN h 0 COUNT 1
HRANDFIELD h 100
HRANDFIELD h 100 WITHVALUES
HRANDFIELD h 4 WITHVALUES
OBJECT ENCODING h
# empty fields and values
HSET e b "" "" "" a x
HGETALL e
HVALS e
HSCAN e 0
# HINCRBY, HINCRBYFLOAT and HSETNX creating fields
HINCRBY h n 5
HINCRBYFLOAT h f 1.5
HSETNX h a x
HSETNX h s x
HINCRBY h n 1
HGETALL h
HGET h n
HMGET h a n nope f
HSTRLEN h f
# a long value converts for good: field order, even after HDEL
HSET big b 1 a 2
HGETALL big
HSET big c 0123456789012345678901234567890123456789012345678901234567890123456789
OBJECT ENCODING big
~HGETALL big
HDEL big c
OBJECT ENCODING big
~HGETALL big
# a long field name converts; HSETNX of a long value on an existing field does not
HSET lf 0123456789012345678901234567890123456789012345678901234567890123456789 v
OBJECT ENCODING lf
HSET nx b 1 a 2
HSETNX nx b 0123456789012345678901234567890123456789012345678901234567890123456789
OBJECT ENCODING nx
HGET nx b
# HINCRBYFLOAT to a long value converts
HSET fl b 1 a 2
HINCRBYFLOAT fl a 0.00000000000000000000000000000000000000000000000000000000000000001
OBJECT ENCODING fl
# conversion by count, after CONFIG SET of the limits
CONFIG SET hash-max-listpack-entries 3
HSET c b 1 a 2 c 3
OBJECT ENCODING c
HGETALL c
HSET c d 4
OBJECT ENCODING c
~HGETALL c
HDEL c a b
OBJECT ENCODING c
CONFIG SET hash-max-listpack-entries 512
OBJECT ENCODING c
# an update of a hash left over a lowered limit converts it, as a new field would
HSET u a 1 b 2 c 3
CONFIG SET hash-max-listpack-entries 2
HGET u a
OBJECT ENCODING u
HSET u a 9
OBJECT ENCODING u
HSET u2 a 1 b 2 c 3
HSETNX u2 a 5
OBJECT ENCODING u2
HINCRBY u2 b 1
OBJECT ENCODING u2
CONFIG SET hash-max-listpack-entries 512
CONFIG SET hash-max-ziplist-value 3
HSET v b abc a abcd
OBJECT ENCODING v
HSET v2 b abc a abc
OBJECT ENCODING v2
HGETALL v2
CONFIG SET hash-max-listpack-value 64
# DUMP / RESTORE, COPY, RENAME and MOVE keep the order
HSET d z 1 y 2 x 3
COPY d d2
HGETALL d2
OBJECT ENCODING d2
RENAME d2 d3
HGETALL d3
MOVE d3 1
SELECT 1
HGETALL d3
SELECT 0
DEL d3
SORT d3
# SORT reads values through GET and BY
RPUSH l 1 2 3
HSET w_1 v 3 x 1
HSET w_2 v 1 x 2
HSET w_3 v 2 x 3
SORT l BY w_*->v GET w_*->x
SORT l BY w_*->x GET w_*->v GET #
`)
}

// TestHashDumpRestoreOrderMatchesRedis round-trips a hash through DUMP and
// RESTORE on each server (payloads differ in encoding, not in content).
func TestHashDumpRestoreOrderMatchesRedis(t *testing.T) {
	ctx := context.Background()
	ms := testkit.Start(t)
	rs := testkit.StartRedis(t)
	for _, cl := range []struct {
		name string
		do   func(args ...any) (any, error)
	}{
		{"moonstone", func(args ...any) (any, error) { return ms.Client.Do(ctx, args...).Result() }},
		{"redis", func(args ...any) (any, error) { return rs.Client.Do(ctx, args...).Result() }},
	} {
		if _, err := cl.do("HSET", "h", "z", "1", "a", "2", "m", "3"); err != nil {
			t.Fatal(err)
		}
		if _, err := cl.do("HDEL", "h", "z"); err != nil {
			t.Fatal(err)
		}
		if _, err := cl.do("HSET", "h", "z", "4"); err != nil {
			t.Fatal(err)
		}
		payload, err := cl.do("DUMP", "h")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cl.do("RESTORE", "r", "0", payload); err != nil {
			t.Fatal(err)
		}
		got, err := cl.do("HKEYS", "r")
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != "[a m z]" {
			t.Errorf("%s: HKEYS after RESTORE = %v, want [a m z]", cl.name, got)
		}
	}
	// Redis's payload (a listpack) restored into Moonstone keeps its order.
	payload, err := rs.Client.Dump(ctx, "h").Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := ms.Client.Do(ctx, "RESTORE", "fromredis", "0", payload).Err(); err != nil {
		t.Fatal(err)
	}
	if got := ms.Client.HKeys(ctx, "fromredis").Val(); fmt.Sprint(got) != "[a m z]" {
		t.Errorf("HKEYS of Redis's payload restored = %v, want [a m z]", got)
	}
}

// TestHRandFieldListpackOrder checks that a few distinct picks from a hash
// Redis keeps as a listpack come in insertion order, as Redis's do (when
// the count is at most a third of the hash).
func TestHRandFieldListpackOrder(t *testing.T) {
	ctx := context.Background()
	c := testkit.Start(t).Client
	var args []any
	for i := 30; i >= 1; i-- {
		args = append(args, fmt.Sprintf("f%02d", i), i)
	}
	if err := c.HSet(ctx, "h", args...).Err(); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		got, err := c.HRandField(ctx, "h", 10).Result()
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(got); i++ {
			if got[i-1] <= got[i] {
				t.Fatalf("HRANDFIELD h 10 = %v: not in insertion order", got)
			}
		}
	}
}

// TestHashInlineGrowsIntoRecords grows hashes field by field from inside
// their metadata record, past the 512 bytes an inline hash may take and
// then past hash-max-listpack-entries, comparing every read with Redis on
// the way: whole-hash reads in listpack order (HSCAN answers a listpack
// whole), HRANDFIELD of the whole hash, the encoding, point reads; then
// removals that shrink the hashes under the budget again, and a hash
// recreated after DEL.
func TestHashInlineGrowsIntoRecords(t *testing.T) {
	var s strings.Builder
	s.WriteString("CONFIG SET hash-max-listpack-entries 90\n")
	reads := func(key string, listpack bool) {
		if listpack {
			fmt.Fprintf(&s, "HGETALL %[1]s\nHKEYS %[1]s\nHVALS %[1]s\nHSCAN %[1]s 0\nHSCAN %[1]s 0 MATCH *1*\nHRANDFIELD %[1]s 1000 WITHVALUES\n", key)
		} else {
			fmt.Fprintf(&s, "~HGETALL %[1]s\n~HKEYS %[1]s\n~HRANDFIELD %[1]s 1000 WITHVALUES\n", key)
		}
		fmt.Fprintf(&s, "HLEN %[1]s\nOBJECT ENCODING %[1]s\nHGET %[1]s field:007\nHMGET %[1]s field:000 nope field:031\nHEXISTS %[1]s field:030\nHSTRLEN %[1]s field:012\n", key)
	}
	// "g" takes about 19 bytes a field: inline up to 26 fields, then
	// records, then a hashtable past 90. "w" gets 60-byte values and
	// passes the budget at its ninth field; "n" grows by HINCRBY and
	// HSETNX.
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&s, "HSET g field:%03d value-%d\n", (i*37)%100, i)
		if i%3 == 0 {
			fmt.Fprintf(&s, "HSET g field:%03d overwritten-%d\n", (i*37)%100, i) // keeps its place
		}
		if i < 20 {
			fmt.Fprintf(&s, "HSET w field:%03d %s\n", i, strings.Repeat(string(rune('a'+i)), 60))
			fmt.Fprintf(&s, "HINCRBY n field:%03d %d\nHSETNX n field:%03d x\nHSETNX n f%03d y\n", i, i*1000, i, i)
		}
		switch {
		case i < 40 || i%5 == 0:
			reads("g", i < 90)
		}
		if i < 20 {
			reads("w", true)
			reads("n", true)
		}
	}
	// Removals: "w" shrinks under the budget again, "g" is a hashtable
	// for good; a field re-added goes last.
	for i := 0; i < 20; i += 2 {
		fmt.Fprintf(&s, "HDEL w field:%03d\n", i)
	}
	s.WriteString("HSET w field:000 back\n")
	reads("w", true)
	for i := 0; i < 100; i += 3 {
		fmt.Fprintf(&s, "HDEL g field:%03d\n", i)
	}
	reads("g", false)
	s.WriteString("DEL g\nHSET g b 1 a 2\n")
	reads("g", true)
	s.WriteString("CONFIG SET hash-max-listpack-entries 512\n")
	testkit.Diff(t, s.String())
}
