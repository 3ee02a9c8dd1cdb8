package server

import (
	"math"
	"strings"

	"moonstone/codec"
	"moonstone/storage"
)

// List commands. The blocking forms (BLPOP, BRPOP, BLMOVE, BLMPOP,
// BRPOPLPUSH) will reuse storage's ListPop, ListMPop and ListMove.

// Error texts of the list family, Redis 7.0's.
const (
	errMustBePositive = "ERR value is out of range, must be positive"
	errRankZero       = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	errCountNegative  = "ERR COUNT can't be negative"
	errMaxLenNegative = "ERR MAXLEN can't be negative"
	errNumKeys        = "ERR numkeys should be greater than 0"
	errCountPositive  = "ERR count should be greater than 0"
)

// intWithin parses argument i as an integer within [lo, hi] and replies
// msg when it is not one, out of range or not a number alike: Redis's
// getRangeLongFromObjectOrReply with a message.
func (c *Call) intWithin(i int, lo, hi int64, msg string) (int64, bool) {
	n, ok := codec.ParseInt(c.Args[i])
	if !ok || n < lo || n > hi {
		c.Error(msg)
		return 0, false
	}
	return n, true
}

// listEnd parses LEFT or RIGHT.
func (c *Call) listEnd(i int) (storage.ListEnd, bool) {
	switch c.Arg(i) {
	case "left":
		return storage.ListLeft, true
	case "right":
		return storage.ListRight, true
	}
	c.Error(errSyntax)
	return 0, false
}

// cmdPush serves LPUSH, RPUSH, LPUSHX and RPUSHX.
func cmdPush(c *Call) {
	end := storage.ListRight
	if c.Cmd.Name[0] == 'l' {
		end = storage.ListLeft
	}
	n, err := c.Tx.ListPush(c.DB(), c.Args[1], end, c.Args[2:], strings.HasSuffix(c.Cmd.Name, "x"))
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyIf(n > 0, notifyList, listEvent(end, "push"), c.Args[1])
	c.r.Int(n)
}

// cmdPop serves LPOP and RPOP. Without a count the reply is one element
// (null when the key is absent); with a count it is an array (a null array
// when the key is absent, an empty one for a count of 0).
func cmdPop(c *Call) {
	end := storage.ListRight
	if c.Cmd.Name == "lpop" {
		end = storage.ListLeft
	}
	if len(c.Args) > 3 {
		c.Error(errArity(c.Cmd.Name))
		return
	}
	withCount := len(c.Args) == 3
	count := int64(1)
	if withCount {
		var ok bool
		if count, ok = c.intWithin(2, 0, math.MaxInt64, errMustBePositive); !ok {
			return
		}
	}
	vals, ok, err := c.Tx.ListPop(c.DB(), c.Args[1], end, count)
	c.notifyRemoved(err == nil && len(vals) > 0, notifyList, listEvent(end, "pop"), c.Args[1])
	switch {
	case err != nil:
		c.Err(err)
	case !withCount && !ok:
		c.r.Null()
	case !withCount:
		c.r.Bulk(vals[0])
	case !ok:
		c.r.NullArray()
	default:
		bulkStrings(c.r, vals)
	}
}

// cmdLMPop is LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count].
func cmdLMPop(c *Call) {
	keys, end, count, ok := c.lmpopArgs(1)
	if !ok {
		return
	}
	key, vals, err := c.Tx.ListMPop(c.DB(), keys, end, count)
	c.notifyRemoved(err == nil && key != nil, notifyList, listEvent(end, "pop"), key)
	switch {
	case err != nil:
		c.Err(err)
	case key == nil:
		c.r.NullArray()
	default:
		c.r.Array(2)
		c.r.Bulk(key)
		bulkStrings(c.r, vals)
	}
}

// lmpopArgs parses LMPOP's arguments from numkeys at index at on (BLMPOP
// has its timeout before them).
func (c *Call) lmpopArgs(at int) (keys [][]byte, end storage.ListEnd, count int64, ok bool) {
	numKeys, ok := c.intWithin(at, 1, math.MaxInt64, errNumKeys)
	if !ok {
		return nil, 0, 0, false
	}
	if numKeys > int64(len(c.Args)-at-2) {
		c.Error(errSyntax)
		return nil, 0, 0, false
	}
	whereIdx := at + 1 + int(numKeys)
	if end, ok = c.listEnd(whereIdx); !ok {
		return nil, 0, 0, false
	}
	count = -1
	for i := whereIdx + 1; i < len(c.Args); i++ {
		if count == -1 && c.ArgIs(i, "count") && i+1 < len(c.Args) {
			i++
			if count, ok = c.intWithin(i, 1, math.MaxInt64, errCountPositive); !ok {
				return nil, 0, 0, false
			}
			continue
		}
		c.Error(errSyntax)
		return nil, 0, 0, false
	}
	if count == -1 {
		count = 1
	}
	return c.Args[at+1 : whereIdx], end, count, true
}

// lmpopKeys locates LMPOP's keys: numkeys of them after numkeys.
func lmpopKeys(args [][]byte) []int {
	if len(args) < 2 {
		return nil
	}
	n, ok := codec.ParseInt(args[1])
	if !ok || n < 1 || n > int64(len(args))-2 {
		return nil
	}
	out := make([]int, n)
	for i := range out {
		out[i] = 2 + i
	}
	return out
}

func cmdLLen(c *Call) {
	n, err := c.Tx.ListLen(c.DB(), c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Int(n)
}

func cmdLRange(c *Call) {
	start, ok := c.Int(2)
	if !ok {
		return
	}
	stop, ok := c.Int(3)
	if !ok {
		return
	}
	vals, err := c.Tx.ListRange(c.DB(), c.Args[1], start, stop)
	if err != nil {
		c.Err(err)
		return
	}
	bulkStrings(c.r, vals)
}

// cmdLIndex is LINDEX. Redis looks the key up before it parses the index,
// so a missing key answers null and a key of another type WRONGTYPE even
// when the index is not a number.
func cmdLIndex(c *Call) {
	index, isInt := codec.ParseInt(c.Args[2])
	if !isInt {
		n, err := c.Tx.ListLen(c.DB(), c.Args[1])
		switch {
		case err != nil:
			c.Err(err)
		case n == 0:
			c.r.Null()
		default:
			c.Error(errNotInteger)
		}
		return
	}
	v, ok, err := c.Tx.ListIndex(c.DB(), c.Args[1], index)
	if err != nil {
		c.Err(err)
		return
	}
	bulkOrNull(c.r, v, ok)
}

// cmdLSet is LSET. As for LINDEX, the key is checked before the index.
func cmdLSet(c *Call) {
	index, isInt := codec.ParseInt(c.Args[2])
	if !isInt {
		n, err := c.Tx.ListLen(c.DB(), c.Args[1])
		switch {
		case err != nil:
			c.Err(err)
		case n == 0:
			c.Err(storage.ErrNoSuchKey)
		default:
			c.Error(errNotInteger)
		}
		return
	}
	if err := c.Tx.ListSet(c.DB(), c.Args[1], index, c.Args[3]); err != nil {
		c.Err(err)
		return
	}
	c.Notify(notifyList, "lset", c.Args[1])
	c.OK()
}

// cmdLInsert is LINSERT key BEFORE|AFTER pivot element.
func cmdLInsert(c *Call) {
	var after bool
	switch c.Arg(2) {
	case "after":
		after = true
	case "before":
	default:
		c.Error(errSyntax)
		return
	}
	n, err := c.Tx.ListInsert(c.DB(), c.Args[1], after, c.Args[3], c.Args[4])
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyIf(n > 0, notifyList, "linsert", c.Args[1])
	c.r.Int(n)
}

func cmdLRem(c *Call) {
	count, ok := c.Int(2)
	if !ok {
		return
	}
	n, err := c.Tx.ListRem(c.DB(), c.Args[1], count, c.Args[3])
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyRemoved(n > 0, notifyList, "lrem", c.Args[1])
	c.r.Int(n)
}

func cmdLTrim(c *Call) {
	start, ok := c.Int(2)
	if !ok {
		return
	}
	stop, ok := c.Int(3)
	if !ok {
		return
	}
	existed := c.NotifyExists(c.Args[1])
	if err := c.Tx.ListTrim(c.DB(), c.Args[1], start, stop); err != nil {
		c.Err(err)
		return
	}
	c.notifyRemoved(existed, notifyList, "ltrim", c.Args[1])
	c.OK()
}

// cmdLPos is LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len].
// Without COUNT the reply is one index or null; with it, an array.
func cmdLPos(c *Call) {
	o := storage.ListPosOptions{Rank: 1, Limit: 1}
	withCount := false
	for i := 3; i < len(c.Args); i++ {
		more := i+1 < len(c.Args)
		var ok bool
		switch {
		case c.ArgIs(i, "rank") && more:
			i++
			if o.Rank, ok = c.Int(i); !ok {
				return
			}
			if o.Rank == 0 {
				c.Error(errRankZero)
				return
			}
		case c.ArgIs(i, "count") && more:
			i++
			if o.Limit, ok = c.intWithin(i, 0, math.MaxInt64, errCountNegative); !ok {
				return
			}
			withCount = true
		case c.ArgIs(i, "maxlen") && more:
			i++
			if o.MaxLen, ok = c.intWithin(i, 0, math.MaxInt64, errMaxLenNegative); !ok {
				return
			}
		default:
			c.Error(errSyntax)
			return
		}
	}
	if !withCount {
		o.Limit = 1
	}
	idx, err := c.Tx.ListPos(c.DB(), c.Args[1], c.Args[2], o)
	switch {
	case err != nil:
		c.Err(err)
	case withCount:
		c.r.Array(len(idx))
		for _, i := range idx {
			c.r.Int(i)
		}
	case len(idx) == 0:
		c.r.Null()
	default:
		c.r.Int(idx[0])
	}
}

// cmdLMove serves LMOVE source destination LEFT|RIGHT LEFT|RIGHT and
// RPOPLPUSH source destination.
func cmdLMove(c *Call) {
	from, to := storage.ListRight, storage.ListLeft
	if c.Cmd.Name == "lmove" {
		var ok bool
		if from, ok = c.listEnd(3); !ok {
			return
		}
		if to, ok = c.listEnd(4); !ok {
			return
		}
	}
	v, ok, err := c.Tx.ListMove(c.DB(), c.Args[1], c.Args[2], from, to)
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyLMove(ok, from, to)
	bulkOrNull(c.r, v, ok)
}
