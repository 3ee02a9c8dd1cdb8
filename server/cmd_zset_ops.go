package server

import (
	"fmt"
	"math"
	"strconv"

	"moonstone/codec"
	"moonstone/storage"
)

// ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD and ZSCAN.

// zsetOp names what a ZUNION-family command computes.
type zsetOp int

const (
	opUnion zsetOp = iota
	opInter
	opDiff
	opInterCard
)

// zsetOpCommand runs Redis's zunionInterDiffGenericCommand: numkeys, the
// input keys (type-checked before any option is read), then WEIGHTS,
// AGGREGATE, WITHSCORES or LIMIT as the command allows.
func zsetOpCommand(c *Call, op zsetOp, store bool) {
	numkeysIdx := 1
	if store {
		numkeysIdx = 2
	}
	setnum, ok := c.Int(numkeysIdx)
	if !ok {
		return
	}
	if setnum < 1 {
		c.Error(fmt.Sprintf("ERR at least 1 input key is needed for '%s' command", c.Cmd.Name))
		return
	}
	if setnum > int64(len(c.Args)-(numkeysIdx+1)) {
		c.Error(errSyntax)
		return
	}
	first := numkeysIdx + 1
	srcs, err := c.Tx.ZSources(c.DB(), c.Args[first:first+int(setnum)])
	if err != nil {
		c.Err(err)
		return
	}
	agg := storage.ZAggSum
	withScores := false
	var limit int64
	card := op == opInterCard
	for j := first + int(setnum); j < len(c.Args); {
		remaining := len(c.Args) - j
		switch {
		case op != opDiff && !card && remaining >= len(srcs)+1 && c.ArgIs(j, "weights"):
			j++
			for i := range srcs {
				w, ok := codec.ParseFloat(c.Args[j])
				if !ok {
					c.Error("ERR weight value is not a float")
					return
				}
				srcs[i].Weight = w
				j++
			}
		case op != opDiff && !card && remaining >= 2 && c.ArgIs(j, "aggregate"):
			switch c.Arg(j + 1) {
			case "sum":
				agg = storage.ZAggSum
			case "min":
				agg = storage.ZAggMin
			case "max":
				agg = storage.ZAggMax
			default:
				c.Error(errSyntax)
				return
			}
			j += 2
		case !store && !card && c.ArgIs(j, "withscores"):
			withScores = true
			j++
		case card && remaining >= 2 && c.ArgIs(j, "limit"):
			n, ok := codec.ParseInt(c.Args[j+1])
			if !ok || n < 0 {
				c.Error("ERR LIMIT can't be negative")
				return
			}
			limit = n
			j += 2
		default:
			c.Error(errSyntax)
			return
		}
	}
	if card {
		n, err := c.Tx.ZInterCard(srcs, limit)
		if err != nil {
			c.Err(err)
			return
		}
		c.r.Int(n)
		return
	}
	var members []storage.ZMember
	switch op {
	case opUnion:
		members, err = c.Tx.ZUnion(srcs, agg)
	case opInter:
		members, err = c.Tx.ZInter(srcs, agg)
	default:
		members, err = c.Tx.ZDiff(srcs)
	}
	if err != nil {
		c.Err(err)
		return
	}
	if store {
		existed := c.NotifyExists(c.Args[1])
		n, err := c.Tx.ZStore(c.DB(), c.Args[1], members)
		if err != nil {
			c.Err(err)
			return
		}
		c.NotifyStore(notifyZset, c.Cmd.Name, c.Args[1], n, existed)
		c.r.Int(n)
		return
	}
	zmembers(c.r, members, withScores)
}

func cmdZUnion(c *Call)      { zsetOpCommand(c, opUnion, false) }
func cmdZInter(c *Call)      { zsetOpCommand(c, opInter, false) }
func cmdZDiff(c *Call)       { zsetOpCommand(c, opDiff, false) }
func cmdZUnionStore(c *Call) { zsetOpCommand(c, opUnion, true) }
func cmdZInterStore(c *Call) { zsetOpCommand(c, opInter, true) }
func cmdZDiffStore(c *Call)  { zsetOpCommand(c, opDiff, true) }
func cmdZInterCard(c *Call)  { zsetOpCommand(c, opInterCard, false) }

// zsetOpKeys locates the keys of ZUNION, ZINTER, ZDIFF and ZINTERCARD.
func zsetOpKeys(args [][]byte) []int { return numkeysKeys(args, 1, 0) }

// zsetOpStoreKeys locates the keys of the STORE forms: the destination,
// then the inputs.
func zsetOpStoreKeys(args [][]byte) []int { return numkeysKeys(args, 2, 1) }

func cmdZScan(c *Call) {
	// Redis reads the cursor, then the key, then the options: a missing
	// key answers an empty page whatever the options say.
	if _, ok := parseScanCursor(c.Args[2]); !ok {
		c.Error(errCursor)
		return
	}
	n, err := c.Tx.ZCard(c.DB(), c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	if n == 0 {
		emptyScanPage(c)
		return
	}
	a, ok := c.parseScan(2, false)
	if !ok {
		return
	}
	from, known := c.Srv.cursors.resume(a.cursor)
	var match func([]byte) bool
	if a.match != nil {
		match = func(member []byte) bool { return globMatch(a.match, member, false) }
	}
	res, err := c.Tx.ZScan(c.DB(), c.Args[1], from, a.count, match)
	if err != nil {
		c.Err(err)
		return
	}
	if !known && !res.Whole {
		// A forgotten cursor ends the scan, as for SCAN; a small set is
		// returned whole whatever the cursor, as Redis does.
		emptyScanPage(c)
		return
	}
	c.r.Array(2)
	c.r.BulkString(strconv.FormatUint(c.Srv.cursors.save(res.Next), 10))
	c.r.Array(2 * len(res.Members))
	for _, zm := range res.Members {
		c.r.Bulk(zm.Member)
		if res.Whole {
			c.r.BulkString(listpackScore(zm.Score))
		} else {
			c.r.BulkString(codec.FormatDouble(zm.Score))
		}
	}
}

func emptyScanPage(c *Call) {
	c.r.Array(2)
	c.r.BulkString("0")
	c.r.Array(0)
}

// listpackScore formats a score as Redis stores it in a compact sorted set
// (d2string), which is what ZSCAN shows for one: an integral score within
// ±2^62 as an integer, anything else as "%.17g".
func listpackScore(f float64) string {
	if f >= -(1<<62) && f <= 1<<62 && f == math.Trunc(f) {
		return codec.FormatInt(int64(f))
	}
	return codec.FormatDouble(f)
}
