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
