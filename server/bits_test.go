package server_test

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"moonstone/internal/testkit"
)

func TestSetBitGetBitMatchRedis(t *testing.T) {
	testkit.Diff(t, `
SETBIT k 1 1
GET k
SETBIT k 1 1
SETBIT k 1 0
SETBIT k 7 1
GET k
GETBIT k 7
GETBIT k 6
GETBIT k 100000
GETBIT missing 0
GETBIT missing 4294967295
# growing zero-pads; the old value of a new bit is 0
SETBIT k 100 1
STRLEN k
GET k
SET s "\x60"
SETBIT s 2 0
GET s
SET n 42
GETBIT n 2
GETBIT n 3
SETBIT n 7 1
GET n
# the bit value must be 0 or 1
SETBIT k 0 2
SETBIT k 0 -1
SETBIT k 0 -0
SETBIT k 0 " 1"
SETBIT k 0 x
SETBIT k 0 9223372036854775807
# offsets: negative, past proto-max-bulk-len*8, not numbers, huge
SETBIT k -1 1
SETBIT k 4294967296 1
SETBIT k 9223372036854775807 1
SETBIT k -9223372036854775808 1
SETBIT k 99999999999999999999 1
SETBIT k 1.5 1
SETBIT k #3 1
GETBIT k -1
GETBIT k 4294967296
GETBIT k 9223372036854775807
GETBIT k abc
EXISTS never
# wrong type and arity; the offset is checked before the type
LPUSH l a
SETBIT l 0 1
GETBIT l 0
SETBIT l -1 1
GETBIT l x
SETBIT k 0
GETBIT k
GETBIT k 0 1
# a SETBIT keeps the key's TTL
SET t x EX 100
SETBIT t 30 1
TTL t
`)
}

func TestBitCountMatchRedis(t *testing.T) {
	testkit.Diff(t, `
BITCOUNT missing
BITCOUNT missing 0 -1
BITCOUNT missing a b
BITCOUNT missing 0
BITCOUNT missing 0 1 BIT extra
SET s foobar
BITCOUNT s
BITCOUNT s 0 0
BITCOUNT s 1 1
BITCOUNT s 1 -2
BITCOUNT s -2 -1
BITCOUNT s -1 -2
BITCOUNT s -100 100
BITCOUNT s 100 200
BITCOUNT s 5 2
BITCOUNT s 0 0 BYTE
BITCOUNT s 5 30 BIT
BITCOUNT s 0 0 bit
BITCOUNT s 1 1 BIT
BITCOUNT s 3 3 BIT
BITCOUNT s -3 -1 BIT
BITCOUNT s -100 1000 BIT
BITCOUNT s 7 9 BIT
BITCOUNT s 47 47 BIT
BITCOUNT s 48 100 BIT
BITCOUNT s 9223372036854775807 -9223372036854775808 BIT
BITCOUNT s -9223372036854775808 9223372036854775807 BIT
BITCOUNT s -9223372036854775808 9223372036854775807
# errors, in Redis's order: both-negative empty range before the unit
BITCOUNT s -1 -5 FOO
BITCOUNT s 0 1 FOO
BITCOUNT s 0
BITCOUNT s 0 1 BIT x
BITCOUNT s a 1
BITCOUNT s 1 b
BITCOUNT s 99999999999999999999 1
SET e ""
BITCOUNT e
BITCOUNT e 0 -1 BIT
SET n 12345
BITCOUNT n
LPUSH l a
BITCOUNT l
BITCOUNT l a b
BITCOUNT
`)
}

func TestBitPosMatchRedis(t *testing.T) {
	testkit.Diff(t, `
BITPOS missing 0
BITPOS missing 1
BITPOS missing 1 x y
BITPOS missing 2
BITPOS missing x
SET e ""
BITPOS e 0
BITPOS e 1
BITPOS e 0 0
SET ones "\xff\xff\xff"
BITPOS ones 0
BITPOS ones 1
BITPOS ones 0 1
BITPOS ones 0 0 -1
BITPOS ones 0 1 1
BITPOS ones 0 0 -1 BIT
BITPOS ones 0 3 20 BIT
SET z "\x00\x00\x00"
BITPOS z 1
BITPOS z 0
BITPOS z 1 1
BITPOS z 0 -1
SET s "\x00\xff\xf0"
BITPOS s 1
BITPOS s 0
BITPOS s 1 2
BITPOS s 0 1
BITPOS s 0 1 1
BITPOS s 1 2 -1 BYTE
BITPOS s 1 7 15 BIT
BITPOS s 0 8 15 BIT
BITPOS s 0 8 19 BIT
BITPOS s 0 8 20 BIT
BITPOS s 0 12 13 BIT
BITPOS s 1 0 7 BIT
BITPOS s 1 3 -3 BIT
BITPOS s 0 -8 -1 BIT
BITPOS s 1 -100 100 bit
BITPOS s 1 5 2
BITPOS s 1 -1 -2 BIT
BITPOS s 0 9223372036854775807
BITPOS s 0 -9223372036854775808 9223372036854775807
BITPOS s 1 -9223372036854775808 9223372036854775807 BIT
# errors: the bit first, then the key, then the range
BITPOS s 2
BITPOS s -1
BITPOS s one
BITPOS s 1 x
BITPOS s 1 0 y
BITPOS s 1 0 1 FOO
BITPOS s 1 x 1 FOO
BITPOS s 1 0 y FOO
BITPOS s 1 0 1 BIT extra
SET n 1234
BITPOS n 1
BITPOS n 0 1
LPUSH l a
BITPOS l 1
BITPOS l 2
BITPOS l 1 x
BITPOS s
`)
}

func TestBitOpMatchRedis(t *testing.T) {
	testkit.Diff(t, `
SET a "\x0f\xf0\xaa"
SET b "\xff\x00"
SET c 1
BITOP AND d a b
GET d
BITOP OR d a b
GET d
BITOP XOR d a b c
GET d
BITOP NOT d a
GET d
BITOP and d a
GET d
BITOP Or d a missing
GET d
BITOP AND d a missing
GET d
BITOP AND d missing a
GET d
BITOP XOR a a a
GET a
# an empty result deletes the destination, whatever it held
LPUSH lst x
BITOP OR lst missing missing2
EXISTS lst
SET dst v EX 100
BITOP OR dst missing
EXISTS dst
SET e ""
BITOP OR d e
EXISTS d
# the destination is overwritten whatever its type, and loses its TTL
LPUSH lst2 x
BITOP OR lst2 b
GET lst2
SET ttl v EX 100
BITOP NOT ttl b
TTL ttl
# errors
BITOP NOT d a b
BITOP NOT d
BITOP NAND d a b
BITOP AND d
BITOP AND d lst3 a
LPUSH lst3 x
BITOP AND d a lst3
BITOP AND d missing lst3
BITOP NOT d lst3
BITOP NOPE d a
`)
}

func TestBitFieldMatchRedis(t *testing.T) {
	testkit.Diff(t, `
BITFIELD bf
BITFIELD bf GET u8 0
EXISTS bf
BITFIELD bf SET u8 0 255 GET u8 0 GET i8 0 GET u4 4 GET i4 4
GET bf
BITFIELD bf SET i8 #1 -2 GET i8 #1 GET u8 8 GET u16 #0
BITFIELD bf INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1
STRLEN bf
BITFIELD bf SET i64 0 -1 GET i64 0 GET u63 0 GET u63 1 GET i64 1
BITFIELD bf SET i64 0 9223372036854775807 INCRBY i64 0 1
BITFIELD bf OVERFLOW SAT SET i64 0 9223372036854775807 INCRBY i64 0 1 INCRBY i64 0 -9223372036854775808 INCRBY i64 0 -9223372036854775808 INCRBY i64 0 -1
BITFIELD bf OVERFLOW FAIL SET i64 0 -9223372036854775808 INCRBY i64 0 -1 INCRBY i64 0 1 GET i64 0
# overflow policies
BITFIELD o SET u8 0 250 INCRBY u8 0 10 OVERFLOW SAT INCRBY u8 0 300 INCRBY u8 0 -1000 OVERFLOW FAIL INCRBY u8 0 1 INCRBY u8 0 255 INCRBY u8 0 -1
BITFIELD o OVERFLOW WRAP INCRBY i8 0 200 INCRBY i8 0 -300 OVERFLOW SAT INCRBY i8 0 200 INCRBY i8 0 -300 OVERFLOW FAIL INCRBY i8 0 1 INCRBY i8 0 -1
BITFIELD o SET u8 0 -1 SET u8 0 256 OVERFLOW SAT SET u8 0 -1 SET u8 0 256 OVERFLOW FAIL SET u8 0 -1 SET u8 0 256 GET u8 0
BITFIELD o SET i8 0 128 SET i8 0 -129 OVERFLOW SAT SET i8 0 128 SET i8 0 -129 OVERFLOW FAIL SET i8 0 128 SET i8 0 -129 GET i8 0
BITFIELD o SET u1 3 1 SET i1 4 -1 GET i1 4 INCRBY i1 4 1 INCRBY u1 3 1 OVERFLOW SAT INCRBY i1 5 -5 INCRBY u63 0 9223372036854775807 INCRBY u63 0 1 INCRBY u63 0 -9223372036854775808
BITFIELD o overflow wrap incrby u63 0 9223372036854775807 incrby u63 0 9223372036854775807 incrby i63 0 9223372036854775807
# a FAIL write still creates and pads the key
BITFIELD f OVERFLOW FAIL INCRBY u2 100 10
STRLEN f
BITFIELD f GET u2 100
# unaligned fields across bytes
BITFIELD u SET u13 5 4097 GET u13 5 GET u8 5 GET i13 5 GET u3 2 SET u5 7 23
GET u
# the TTL survives
SET t x EX 100
BITFIELD t SET u8 100 7
TTL t
# BITFIELD_RO
BITFIELD_RO o GET u8 0 GET i4 #1
BITFIELD_RO missing GET u8 0
BITFIELD_RO o
BITFIELD_RO o SET u8 0 1
BITFIELD_RO o GET u8 0 INCRBY u8 0 1
BITFIELD_RO o OVERFLOW SAT
BITFIELD_RO o GET u8 0 OVERFLOW bad
BITFIELD_RO o SET u64 0 1
# errors, found while parsing before the key is looked up
BITFIELD o GET u64 0
BITFIELD o GET i65 0
BITFIELD o GET i0 0
BITFIELD o GET u 0
BITFIELD o GET I8 0
BITFIELD o GET "" 0
BITFIELD o GET x8 0
BITFIELD o GET u08 0
BITFIELD o GET u8 -1
BITFIELD o GET u8 4294967296
BITFIELD o GET u8 #536870912
BITFIELD o GET u8 #9223372036854775807
BITFIELD o GET u8 #-1
BITFIELD o GET u8 #-0
BITFIELD o GET u8 #
BITFIELD o GET u8 ##1
BITFIELD o GET u8 x
BITFIELD o GET u8 9223372036854775807
BITFIELD o SET u8 0 x
BITFIELD o SET u8 0 99999999999999999999
BITFIELD o INCRBY u8 0 1.5
BITFIELD o GET u8
BITFIELD o SET u8 0
BITFIELD o INCRBY u8 0
BITFIELD o OVERFLOW
BITFIELD o OVERFLOW NOPE GET u8 0
BITFIELD o NOPE
BITFIELD o GET u8 0 NOPE
BITFIELD o SET u8 0 1 GET u64 0
BITFIELD o GET x 0 SET u8 -1 1
LPUSH l a
BITFIELD l GET u8 0
BITFIELD l
BITFIELD l SET u8 0 1
BITFIELD l GET u8 x
BITFIELD_RO l GET u8 0
BITFIELD
`)
}

func TestLCSMatchRedis(t *testing.T) {
	testkit.Diff(t, `
MSET a ohmytext b mynewtext
LCS a b
LCS a b LEN
LCS a b IDX
LCS a b IDX MINMATCHLEN 4
LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN
LCS a b IDX WITHMATCHLEN
LCS a b idx withmatchlen minmatchlen -5
LCS a b IDX MINMATCHLEN 9223372036854775807
LCS a b LEN MINMATCHLEN 3
LCS a b WITHMATCHLEN
LCS b a IDX WITHMATCHLEN
LCS a a IDX WITHMATCHLEN
LCS a missing
LCS missing a IDX
LCS missing missing2 LEN
MSET x ACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAAC y CTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTGTGGCTGTCACTCGGCTG
LCS x y
LCS x y LEN
LCS x y IDX MINMATCHLEN 2 WITHMATCHLEN
MSET n1 12345 n2 1325
LCS n1 n2 IDX WITHMATCHLEN
# errors: types first, then options, then LEN with IDX
LPUSH l x
LCS a l
LCS l a BADOPT
LCS missing l
LCS a b BADOPT
LCS a b LEN IDX
LCS a b IDX LEN
LCS a b MINMATCHLEN
LCS a b MINMATCHLEN x
LCS a b MINMATCHLEN x LEN IDX
LCS a b LEN IDX MINMATCHLEN x
LCS a
`)
}

// TestBitLimitsMatchRedis checks the limits that follow proto-max-bulk-len:
// SETBIT/GETBIT/BITFIELD offsets, BITFIELD's few bytes of overshoot past
// it, and the size of LCS's table.
func TestBitLimitsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
CONFIG SET proto-max-bulk-len 1048576
SETBIT k 8388608 1
GETBIT k 8388608
BITFIELD k GET u8 8388608
BITFIELD k SET u8 #1048576 1
SETBIT k 8388607 1
STRLEN k
BITCOUNT k
BITPOS k 1
BITPOS k 1 -1
BITPOS k 0 -1 -1
BITFIELD k SET i64 8388607 -1
STRLEN k
BITCOUNT k -9 -1
BITFIELD k GET i64 8388607 GET u63 8388608
SETRANGE a 599 x
SETRANGE b 599 y
LCS a b LEN
SETRANGE c 499 x
LCS a c LEN
LCS c c LEN
`)
}

// TestBitmapRandomMatchesRedis drives SETBIT, GETBIT, BITCOUNT, BITPOS,
// BITOP and BITFIELD on a few keys with a seeded random sequence and
// compares every reply with redis-server's.
func TestBitmapRandomMatchesRedis(t *testing.T) {
	rng := rand.New(rand.NewSource(20240607))
	keys := []string{"r1", "r2", "r3", "r4"}
	key := func() string { return keys[rng.Intn(len(keys))] }
	// Indexes stay near the strings' lengths so ranges land on edges,
	// negative indexes and past-the-end positions alike.
	idx := func(n int) string { return fmt.Sprint(rng.Intn(2*n+1) - n) }
	var b strings.Builder
	for i := 0; i < 1500; i++ {
		switch rng.Intn(10) {
		case 0, 1, 2:
			fmt.Fprintf(&b, "SETBIT %s %d %d\n", key(), rng.Intn(300), rng.Intn(2))
		case 3:
			fmt.Fprintf(&b, "GETBIT %s %d\n", key(), rng.Intn(320))
		case 4:
			switch rng.Intn(3) {
			case 0:
				fmt.Fprintf(&b, "BITCOUNT %s\n", key())
			case 1:
				fmt.Fprintf(&b, "BITCOUNT %s %s %s\n", key(), idx(45), idx(45))
			default:
				fmt.Fprintf(&b, "BITCOUNT %s %s %s BIT\n", key(), idx(340), idx(340))
			}
		case 5, 6:
			bit := rng.Intn(2)
			switch rng.Intn(4) {
			case 0:
				fmt.Fprintf(&b, "BITPOS %s %d\n", key(), bit)
			case 1:
				fmt.Fprintf(&b, "BITPOS %s %d %s\n", key(), bit, idx(45))
			case 2:
				fmt.Fprintf(&b, "BITPOS %s %d %s %s\n", key(), bit, idx(45), idx(45))
			default:
				fmt.Fprintf(&b, "BITPOS %s %d %s %s BIT\n", key(), bit, idx(340), idx(340))
			}
		case 7:
			ops := []string{"AND", "OR", "XOR"}
			fmt.Fprintf(&b, "BITOP %s %s %s %s\n", ops[rng.Intn(3)], key(), key(), key())
		case 8:
			fmt.Fprintf(&b, "BITOP NOT %s %s\n", key(), key())
		default:
			sign := "iu"[rng.Intn(2)]
			width := 1 + rng.Intn(63)
			ow := []string{"WRAP", "SAT", "FAIL"}[rng.Intn(3)]
			fmt.Fprintf(&b, "BITFIELD %s OVERFLOW %s INCRBY %c%d %d %d GET %c%d %d\n",
				key(), ow, sign, width, rng.Intn(200), rng.Int63n(1<<20)-1<<19, sign, width, rng.Intn(200))
		}
		if i%100 == 99 {
			for _, k := range keys {
				fmt.Fprintf(&b, "GET %s\n", k)
			}
		}
	}
	testkit.Diff(t, b.String())
}
