package server_test

import (
	"testing"

	"moonstone/internal/testkit"
)

// Stream scripts use explicit ids (auto ids depend on the clock).

func TestStreamBasicsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
# XADD: ids, errors, arity
XADD s 1-1 a 1
XADD s 1-1 a 1
XADD s 1-0 a 1
XADD s 1-* b 2
XADD s 2-* c 3
XADD s 5 d 4 e 5
XADD s 0-0 a 1
XADD fresh 0-0 a 1
EXISTS fresh
XADD fresh 0-* a 1
XADD s
XADD s 9-1
XADD s 9-1 a
XADD s 9-1 a 1 b
XADD s bad a 1
XADD s 9-x a 1
XADD s - a 1
XADD s + a 1
XADD s 1-2-3 a 1
XADD s -1 a 1
XADD s 18446744073709551616 a 1
XADD s 10-18446744073709551615 a 1
XADD s 10-* a 1
XADD n NOMKSTREAM 1-1 a 1
EXISTS n
XADD n nomkstream * a 1
XADD s NOMKSTREAM 11-1 f v
SET str x
XADD str 1-1 a 1
XADD str NOMKSTREAM 1-1 a 1
TYPE s
OBJECT ENCODING s
# XLEN
XLEN s
XLEN missing
XLEN str
XLEN
# XRANGE / XREVRANGE
XRANGE s - +
XRANGE s - + COUNT 2
XRANGE s - + COUNT 0
XRANGE s - + COUNT -1
XRANGE missing - + COUNT 0
XRANGE s 1 1
XRANGE s 1-1 2
XRANGE s (1-1 +
XRANGE s - (5-0
XRANGE s (- +
XRANGE s - (+
XRANGE s (18446744073709551615-18446744073709551615 +
XRANGE s - (0-0
XRANGE s + -
XRANGE s x +
XRANGE s - + COUNT
XRANGE s - + COUNT x
XRANGE s - + FOO 1
XRANGE str - +
XREVRANGE s + -
XREVRANGE s + - COUNT 1
XREVRANGE s (5 (1-1
XREVRANGE s - +
XREVRANGE missing + -
XREVRANGE str + -
# XDEL
XDEL s 1-1 1-1 999-0
XDEL s bad
XDEL missing bad
XDEL str 1-1
XDEL s -
XRANGE s - +
XLEN s
XDEL s 1-2 2-0 5-0 10-18446744073709551615 11-1
XLEN s
EXISTS s
XRANGE s - +
XADD s 3-0 a 1
XADD s 12-0 a 1
XRANGE s - +
`)
}

func TestStreamTrimMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
CONFIG SET stream-node-max-entries 10
# 100 entries: ten nodes
EVAL "for i=1,100 do redis.call('XADD', KEYS[1], i..'-1', 'f', i) end return 1" 1 s
XLEN s
XINFO STREAM s
XTRIM s MAXLEN ~ 95
XLEN s
XTRIM s MAXLEN ~ 85
XLEN s
XTRIM s MAXLEN = 83
XLEN s
XTRIM s MAXLEN ~ 75
XLEN s
XTRIM s MAXLEN 75
XTRIM s MINID ~ 35
XLEN s
XTRIM s MINID 35-1
XRANGE s - + COUNT 2
XTRIM s MINID = 40
XRANGE s - + COUNT 1
XTRIM s MAXLEN ~ 0 LIMIT 5
XTRIM s MAXLEN ~ 0 LIMIT 10
XLEN s
XINFO STREAM s
XTRIM s MAXLEN 1 LIMIT 10
XTRIM s MAXLEN -1
XTRIM s MAXLEN x
XTRIM s LIMIT 10
XTRIM s
XTRIM s MAXLEN 1 MINID 1
XTRIM s MINID bad
XTRIM s MINID -
XTRIM s MAXLEN ~ 1 LIMIT -1
XTRIM s FOO 1
XTRIM missing MAXLEN 0
XTRIM missing MAXLEN x
SET str x
XTRIM str MAXLEN 0
# XADD with trimming
XADD s MAXLEN 3 200-1 f v
XLEN s
XADD s MAXLEN = 2 MINID 1 201-1 f v
XADD s MINID = 201 202-1 f v
XRANGE s - +
XADD s LIMIT 10 203-1 f v
XADD s LIMIT 0 203-1 f v
XADD s MAXLEN 1 LIMIT 10 204-1 f v
XADD s MAXLEN ~ 1 LIMIT 10 205-1 f v
XADD s MAXLEN 0 206-1 f v
XLEN s
EXISTS s
XINFO STREAM s
XADD s MAXLEN ~ 0 300-1 f v
XADD s MAXLEN
XADD s MAXLEN ~
XADD s MAXLEN ~ 5
XADD s NOMKSTREAM
XADD s MINID ~ 5
# XDEL interplay with nodes
DEL s
EVAL "for i=1,30 do redis.call('XADD', KEYS[1], i..'-1', 'f', i) end return 1" 1 s
XDEL s 1-1 2-1 3-1 4-1 5-1 6-1 7-1 8-1 9-1 10-1
XINFO STREAM s
XTRIM s MAXLEN ~ 15
XLEN s
XDEL s 15-1
XTRIM s MAXLEN ~ 5
XLEN s
XINFO STREAM s
`)
}

func TestStreamSetIDMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
XSETID missing 1-1
XADD s 5-5 a 1
XSETID s 5-4
XSETID s 5-5
XSETID s 6
XSETID s 7-1 ENTRIESADDED 0
XSETID s 7-1 ENTRIESADDED -1
XSETID s 7-1 ENTRIESADDED x
XSETID s 7-1 ENTRIESADDED 9 MAXDELETEDID 8-0
XSETID s 7-1 ENTRIESADDED 9 MAXDELETEDID 3-0
XSETID s 7-1 FOO
XSETID s bad
XSETID s -
XINFO STREAM s
XADD s 7-1 a 1
XADD s 7-2 a 1
XDEL s 5-5 7-2
XSETID s 1-1
XINFO STREAM s
SET str x
XSETID str 1-1
`)
}
