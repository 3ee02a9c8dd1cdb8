package server

import (
	"math"
	"strconv"

	"moonstone/storage"
)

// Hash commands.

// cmdHSet serves HSET (replies with the number of new fields) and its
// deprecated twin HMSET (replies OK).
func cmdHSet(c *Call) {
	if len(c.Args)%2 == 1 {
		c.Error(errArity(c.Cmd.Name))
		return
	}
	n, err := c.Tx.HSet(c.DB(), c.Args[1], c.Args[2:])
	if err != nil {
		c.Err(err)
		return
	}
	c.Notify(notifyHash, "hset", c.Args[1])
	if c.Cmd.Name == "hmset" {
		c.OK()
		return
	}
	c.r.Int(n)
}

func cmdHSetNX(c *Call) {
	ok, err := c.Tx.HSetNX(c.DB(), c.Args[1], c.Args[2], c.Args[3])
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyIf(ok, notifyHash, "hset", c.Args[1])
	c.r.Int(boolInt(ok))
}

func cmdHGet(c *Call) {
	v, ok, err := c.Tx.HGet(c.DB(), c.Args[1], c.Args[2])
	if err != nil {
		c.Err(err)
		return
	}
	bulkOrNull(c.r, v, ok)
}

func cmdHMGet(c *Call) {
	vals, err := c.Tx.HMGet(c.DB(), c.Args[1], c.Args[2:])
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Array(len(vals))
	for _, v := range vals {
		bulkOrNull(c.r, v, v != nil)
	}
}

func cmdHDel(c *Call) {
	n, err := c.Tx.HDel(c.DB(), c.Args[1], c.Args[2:])
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyRemoved(n > 0, notifyHash, "hdel", c.Args[1])
	c.r.Int(n)
}

func cmdHExists(c *Call) {
	ok, err := c.Tx.HExists(c.DB(), c.Args[1], c.Args[2])
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Int(boolInt(ok))
}

func cmdHLen(c *Call) {
	n, err := c.Tx.HLen(c.DB(), c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Int(n)
}

func cmdHStrLen(c *Call) {
	n, err := c.Tx.HStrLen(c.DB(), c.Args[1], c.Args[2])
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Int(n)
}

// What a whole-collection reply lists for each member.
const (
	listMembers = 1 << iota
	listValues
)

// cmdHGetAll serves HGETALL, HKEYS and HVALS.
func cmdHGetAll(c *Call) {
	it, err := c.Tx.HIter(c.DB(), c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	switch c.Cmd.Name {
	case "hkeys":
		c.streamMembers(it, listMembers)
	case "hvals":
		c.streamMembers(it, listValues)
	default:
		c.streamMembers(it, listMembers|listValues)
	}
}

// streamMembers writes a collection from its iterator: an array of
// members or values, or a map of both. The length comes from the metadata
// and is announced first; should the iterator disagree (an I/O error mid
// way), the reply is padded or cut to that length so the connection stays
// in sync, and the fault is logged.
func (c *Call) streamMembers(it *storage.MemberIter, what int) {
	n := it.Count
	if what == listMembers|listValues {
		c.r.Map(int(n))
	} else if c.Cmd.Group == "set" {
		c.r.Set(int(n))
	} else {
		c.r.Array(int(n))
	}
	var written int64
	for written < n && it.Next() {
		if what&listMembers != 0 {
			c.r.Bulk(it.Member())
		}
		if what&listValues != 0 {
			c.r.Bulk(it.Value())
		}
		written++
	}
	err := it.Close()
	if written < n || err != nil {
		c.Srv.logf(levelWarning, "%s: %d of %d members read: %v", c.Cmd.Name, written, n, err)
		for ; written < n; written++ {
			c.r.Null()
			if what == listMembers|listValues {
				c.r.Null()
			}
		}
	}
}

func cmdHIncrBy(c *Call) {
	delta, ok := c.Int(3)
	if !ok {
		return
	}
	n, err := c.Tx.HIncrBy(c.DB(), c.Args[1], c.Args[2], delta)
	if err != nil {
		c.Err(err)
		return
	}
	c.Notify(notifyHash, "hincrby", c.Args[1])
	c.r.Int(n)
}

func cmdHIncrByFloat(c *Call) {
	v, err := c.Tx.HIncrByFloat(c.DB(), c.Args[1], c.Args[2], c.Args[3])
	if err != nil {
		c.Err(err)
		return
	}
	c.Notify(notifyHash, "hincrbyfloat", c.Args[1])
	c.r.Bulk(v)
}

// randomCount parses the count argument of HRANDFIELD and SRANDMEMBER:
// an integer in [-LONG_MAX, LONG_MAX]. A negative count asks for picks
// that may repeat.
func (c *Call) randomCount(i int) (count int64, distinct bool, ok bool) {
	n, ok := c.Int(i)
	if !ok {
		return 0, false, false
	}
	if n == math.MinInt64 {
		c.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return 0, false, false
	}
	if n < 0 {
		return -n, false, true
	}
	return n, true, true
}

// cmdHRandField serves HRANDFIELD key [count [WITHVALUES]].
func cmdHRandField(c *Call) {
	if len(c.Args) == 2 {
		f, _, err := c.Tx.HRandField(c.DB(), c.Args[1], 1, true, false)
		if err != nil {
			c.Err(err)
			return
		}
		if len(f) == 0 {
			c.r.Null()
			return
		}
		c.r.Bulk(f[0])
		return
	}
	count, distinct, ok := c.randomCount(2)
	if !ok {
		return
	}
	withValues := false
	if len(c.Args) > 4 || (len(c.Args) == 4 && !c.ArgIs(3, "withvalues")) {
		c.Error(errSyntax)
		return
	}
	if len(c.Args) == 4 {
		withValues = true
		if count > math.MaxInt64/2 {
			c.Error("ERR value is out of range")
			return
		}
	}
	fields, values, err := c.Tx.HRandField(c.DB(), c.Args[1], count, distinct, withValues)
	if err != nil {
		c.Err(err)
		return
	}
	// RESP2 flattens field/value pairs; RESP3 nests them in pairs.
	if withValues {
		pairs(c.r, len(fields))
		for i := range fields {
			pair(c.r)
			c.r.Bulk(fields[i])
			c.r.Bulk(values[i])
		}
		return
	}
	bulkStrings(c.r, fields)
}

// cmdHScan serves HSCAN key cursor [MATCH pattern] [COUNT count].
func cmdHScan(c *Call) {
	collectionScan(c, c.Tx.HLen, c.Tx.HScan)
}

// collectionScan is HSCAN and SSCAN: Redis checks the cursor, then the key,
// and only then the options, so options are not even read for an absent
// key. A cursor names the member where the next page starts (see
// cursorTable).
func collectionScan(c *Call, size func(db int, key []byte) (int64, error),
	page func(db int, key []byte, o storage.ScanOptions) (storage.MemberScan, error)) {
	if _, err := strconv.ParseUint(string(c.Args[2]), 10, 64); err != nil {
		c.Error(errCursor)
		return
	}
	n, err := size(c.DB(), c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	if n == 0 {
		emptyScan(c)
		return
	}
	a, ok := c.parseScan(2, false)
	if !ok {
		return
	}
	from, known := c.Srv.cursors.resume(a.cursor)
	if !known {
		emptyScan(c) // a forgotten cursor ends its scan, as in SCAN
		return
	}
	o := storage.ScanOptions{From: from, Count: a.count}
	if a.match != nil {
		pattern := a.match
		o.Prefix = literalPrefix(pattern)
		if len(o.Prefix) == 0 {
			o.Prefix = nil
		}
		o.Match = func(m []byte) bool { return globMatch(pattern, m, false) }
	}
	res, err := page(c.DB(), c.Args[1], o)
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Array(2)
	c.r.BulkString(strconv.FormatUint(c.Srv.cursors.save(res.Next), 10))
	if res.Values == nil {
		bulkStrings(c.r, res.Members)
		return
	}
	c.r.Array(2 * len(res.Members))
	for i := range res.Members {
		c.r.Bulk(res.Members[i])
		c.r.Bulk(res.Values[i])
	}
}

func emptyScan(c *Call) {
	c.r.Array(2)
	c.r.BulkString("0")
	c.r.Array(0)
}
