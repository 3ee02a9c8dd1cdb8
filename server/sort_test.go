package server_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"moonstone/internal/testkit"
)

// SORT over sets and sorted sets, and BY/GET through hash fields, are
// tested in storage (sort_test.go), which writes those types in their
// codec layout. Here: lists, string weights, options and errors.

func TestSortListMatchRedis(t *testing.T) {
	testkit.Diff(t, `
RPUSH l 3 1 2 10 -5 2.5 1e2 0x10
SORT l
SORT l ASC
SORT l DESC
SORT l desc asc
SORT l LIMIT 0 3
SORT l LIMIT 2 3 DESC
SORT l LIMIT -5 2
SORT l LIMIT 6 100
SORT l LIMIT 8 1
SORT l LIMIT 100 1
SORT l LIMIT 1 0
SORT l LIMIT 1 -1
SORT l LIMIT 9223372036854775807 9223372036854775807
SORT l LIMIT -9223372036854775808 -9223372036854775808
SORT l LIMIT 1 2 LIMIT 0 1
SORT l ALPHA
SORT l ALPHA DESC LIMIT 1 3
# BY a constant: the list's own order
SORT l BY nosort
SORT l BY nosort DESC
SORT l BY nosort LIMIT 2 3
SORT l BY nosort DESC LIMIT 2 3
SORT l BY nosort LIMIT 8 3
SORT l BY nosort LIMIT 0 0
SORT l BY nosort ALPHA
# BY a pattern: weights from string keys, missing weighs 0
MSET w_3 30 w_1 10 w_2 20 w_10 -1 w_-5 5
SORT l BY w_*
SORT l BY w_* DESC
SORT l BY w_* LIMIT 1 3
SORT l BY w_* ALPHA
SORT l BY w_* ALPHA DESC
SORT l BY w_* GET # GET w_*
SORT l BY w_* GET w_* LIMIT 0 2
SORT l BY nosort GET w_*
SORT l GET nostar
SORT l GET #
SORT l GET # GET # LIMIT 0 2
SORT l BY nosort BY w_*
SORT l BY w_* BY nosort
# GET and BY patterns with the '*' in the middle
MSET pre_3_post c pre_1_post a
SORT l GET pre_*_post LIMIT 0 4
SORT l BY pre_*_post ALPHA GET pre_*_post
# weights of the wrong type count as missing
LPUSH wl 1
SORT l BY wl GET wl
SORT l BY w* GET wl*
# missing key: an empty list
SORT missing
SORT missing BY nosort
SORT missing LIMIT 0 10
SORT_RO missing
`)
}

func TestSortErrorsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
RPUSH l 3 1 2
RPUSH words b a c
SET s v
SORT words
SORT words DESC LIMIT 0 1
SORT words BY nosort
SORT words ALPHA
MSET x_a 1 x_b oops
SORT words BY x_*
SORT words BY x_* ALPHA
SORT s
SORT s BY nosort
SORT s LIMIT x 1
SORT l LIMIT
SORT l LIMIT 1
SORT l LIMIT x 1
SORT l LIMIT 1 x
SORT l LIMIT 1.5 1
SORT l BY
SORT l GET
SORT l STORE
SORT l FOO
SORT l ALPHA FOO
SORT_RO l STORE dst
SORT_RO l STORE
SORT_RO s
SORT_RO words
SORT l LIMIT 1 x STORE
SORT
SORT_RO
`)
}

// TestSortWeightsMatchRedis checks which strings SORT reads as numbers:
// Redis uses C's strtod and refuses trailing text, NaN, overflow and
// inexact underflow. Redis never clears errno before strtod, so after one
// weight overflows or underflows it refuses every later non-integer weight
// on that thread: the weights that must be refused come last.
func TestSortWeightsMatchRedis(t *testing.T) {
	var b strings.Builder
	for _, w := range []string{
		`""`, `" 1"`, `"1 "`, `"\t2"`, "0x1A", "0X1a", "0x", "0x.8", "0x1p3", "0x1P-2", "0x1p", "0xg",
		"1e308", "0x1p-1074", "0.0", "-0", "inf", "-inf", "+Infinity", "INF", "infinit", "infinityx",
		"nan", "-nan", "NaN(123)", "1e", "1e+", "1e+5", "1E-2", ".5", "5.", ".", "+.5e1", "-.e1", "1_0",
		`"   "`, "+", "-", "12abc", `"1\x00junk"`, "007", "9007199254740993", "1.7976931348623157e308",
		"2.2250738585072014e-308",
		// refused for ERANGE: from here on Redis's errno stays ERANGE
		"1e-310", "1e-400", "1e400", "-1e400", "0x1p-1075", "4.9e-324", "0x1p99999",
	} {
		fmt.Fprintf(&b, "DEL l\nRPUSH l 3 %s\nSORT l\nSORT l DESC\nSET w %s\nSORT l BY w\nRPUSH k 3\nSORT k BY w*\n", w, w)
	}
	testkit.Diff(t, b.String())
}

func TestSortStoreMatchRedis(t *testing.T) {
	testkit.Diff(t, `
RPUSH l 3 1 2
SORT l STORE dst
LRANGE dst 0 -1
TYPE dst
# STORE replaces any type and drops the TTL
SET dst v EX 100
SORT l DESC STORE dst
LRANGE dst 0 -1
TTL dst
SORT l STORE l
LRANGE l 0 -1
# GETs are stored, missing values as empty strings
MSET n_1 one n_3 three
SORT l GET n_* GET # STORE dst
LRANGE dst 0 -1
# an empty result deletes the destination
SORT l LIMIT 5 1 STORE dst
EXISTS dst
SET dst2 v
SORT missing STORE dst2
EXISTS dst2
SORT l STORE a STORE b
EXISTS a
LRANGE b 0 -1
SORT l BY nosort STORE dst
LRANGE dst 0 -1
SORT l BY nosort DESC LIMIT 1 5 STORE dst
LRANGE dst 0 -1
# a failed sort stores nothing
RPUSH bad x
SORT bad STORE dst
LRANGE dst 0 -1
COMMAND GETKEYS SORT l STORE dst
COMMAND GETKEYS SORT l STORE a LIMIT 0 1 STORE b
COMMAND GETKEYS SORT l GET store x
COMMAND GETKEYS SORT l STORE
COMMAND GETKEYS SORT_RO l GET x
`)
}

// TestSortTiesMatchRedis covers ALPHA sorting by weights where several
// elements weigh the same: Redis keeps their list order (glibc's qsort is
// a stable merge sort), except with BY and a LIMIT window, where its
// partial quicksort (pqsort) leaves ties in an order of its own.
func TestSortTiesMatchRedis(t *testing.T) {
	testkit.Diff(t, `
RPUSH tl e d c b a f g h i j k
SORT tl BY nokey_* ALPHA
SORT tl BY nokey_*
MSET w_a 1 w_b 1 w_c 1 w_d 1 w_e 0
SORT tl BY w_* ALPHA
SORT tl BY w_* ALPHA DESC
SORT tl BY w_* ALPHA LIMIT 0 3
SORT tl BY w_* ALPHA LIMIT 2 5
SORT tl BY w_* ALPHA DESC LIMIT 1 4
SORT tl BY w_* LIMIT 3 4
`)
	// Longer lists with many ties take pqsort through its median-of-three
	// and median-of-nine pivots and its recursion.
	rng := rand.New(rand.NewPCG(11, 3))
	p := testkit.StartPair(t)
	var script strings.Builder
	for _, n := range []int{7, 8, 39, 41, 60, 200} {
		fmt.Fprintf(&script, "DEL t%d\nRPUSH t%d", n, n)
		for i := 0; i < n; i++ {
			fmt.Fprintf(&script, " e%d", i)
		}
		script.WriteString("\nMSET")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&script, " tw_e%d %d", i, rng.IntN(4))
		}
		script.WriteString("\n")
		for k := 0; k < 6; k++ {
			off, cnt := rng.IntN(n), 1+rng.IntN(n)
			desc := []string{"", " DESC"}[rng.IntN(2)]
			fmt.Fprintf(&script, "SORT t%d BY tw_* ALPHA LIMIT %d %d%s\n", n, off, cnt, desc)
			fmt.Fprintf(&script, "SORT t%d BY tw_* LIMIT %d %d%s\n", n, off, cnt, desc)
		}
	}
	p.Run(t, script.String())
}

// TestSortPatternsMatchRedis covers how BY and GET patterns name keys: only
// the first '*' is replaced, "->" after it names a hash field, "->" at the
// end is part of the key, and like Redis's C string functions the search
// for '*' and "->" stops at a NUL byte.
func TestSortPatternsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
RPUSH l 1 2
MSET k_1_* a k_2_* b k_1-> x k_2-> y
SORT l GET k_*_*
SORT l GET k_*->
SET "p\x00*1" n
SORT l GET "p\x00*"
SORT l BY "p\x00*"
SORT l GET "#\x00"
SORT l GET "#x"
SORT l GET ""
SORT l GET *
SET 1 one
SORT l GET *
SORT l BY * DESC
`)
}

func TestSortCommandTableMatchesRedis(t *testing.T) {
	// Redis derives SORT's ACL categories from its key types, not its group:
	// compare up to the key positions only.
	commandInfoMatchesRedis(t, 6, "sort", "sort_ro")
}

// TestSortRandomMatchRedis sorts random lists with random weights and
// options and compares every reply.
func TestSortRandomMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	rng := rand.New(rand.NewPCG(5, 8))
	elems := []string{"1", "2", "3", "10", "-4", "2.5", "b", "a", "c", "1e1"}
	for round := 0; round < 40; round++ {
		var script strings.Builder
		script.WriteString("DEL l\nRPUSH l")
		n := 1 + rng.IntN(12)
		for i := 0; i < n; i++ {
			script.WriteString(" " + elems[rng.IntN(len(elems))])
		}
		script.WriteString("\nMSET")
		for _, e := range elems {
			script.WriteString(" w_" + e + " " + strconv.Itoa(rng.IntN(5)))
		}
		script.WriteString("\n")
		for k := 0; k < 10; k++ {
			cmd := "SORT l"
			if rng.IntN(3) == 0 {
				cmd += []string{" BY w_*", " BY nosort", " BY h_*->f"}[rng.IntN(3)]
			}
			if rng.IntN(2) == 0 {
				cmd += fmt.Sprintf(" LIMIT %d %d", rng.IntN(n+2)-1, rng.IntN(n+2)-1)
			}
			if rng.IntN(2) == 0 {
				cmd += " ALPHA"
			}
			if rng.IntN(2) == 0 {
				cmd += " DESC"
			}
			if rng.IntN(3) == 0 {
				cmd += " GET # GET w_*"
			}
			script.WriteString(cmd + "\n")
		}
		p.Run(t, script.String())
	}
}
