package server

import (
	"math"

	"moonstone/codec"
	"moonstone/storage"
)

// Sorted-set commands: writes, point reads, pops and ZRANDMEMBER here;
// ranges in cmd_zset_range.go; ZUNION/ZINTER/ZDIFF and ZSCAN in
// cmd_zset_ops.go. Argument checks come in Redis's order, so the same bad
// command gets the same error.

const (
	errZAddXXNX      = "ERR XX and NX options at the same time are not compatible"
	errZAddGTLTNX    = "ERR GT, LT, and/or NX options at the same time are not compatible"
	errZAddIncrPairs = "ERR INCR option supports a single increment-element pair"
	errNotPositive   = "ERR value is out of range, must be positive"
)

// zmembers writes members, each with its score when withScores is set:
// WITHSCORES pairs (flat in RESP2, nested in RESP3).
func zmembers(r Reply, members []storage.ZMember, withScores bool) {
	if withScores {
		pairs(r, len(members))
	} else {
		r.Array(len(members))
	}
	for _, zm := range members {
		if withScores {
			pair(r)
		}
		r.Bulk(zm.Member)
		if withScores {
			r.Double(zm.Score)
		}
	}
}

func cmdZAdd(c *Call) {
	var o storage.ZAddOptions
	ch := false
	i := 2
options:
	for ; i < len(c.Args); i++ {
		switch c.Arg(i) {
		case "nx":
			o.NX = true
		case "xx":
			o.XX = true
		case "ch":
			ch = true
		case "incr":
			o.Incr = true
		case "gt":
			o.GT = true
		case "lt":
			o.LT = true
		default:
			break options
		}
	}
	rest := len(c.Args) - i
	if rest == 0 || rest%2 != 0 {
		c.Error(errSyntax)
		return
	}
	switch {
	case o.NX && o.XX:
		c.Error(errZAddXXNX)
		return
	case (o.GT && o.NX) || (o.LT && o.NX) || (o.GT && o.LT):
		c.Error(errZAddGTLTNX)
		return
	case o.Incr && rest > 2:
		c.Error(errZAddIncrPairs)
		return
	}
	members := make([]storage.ZMember, 0, rest/2)
	for ; i < len(c.Args); i += 2 {
		score, ok := c.Float(i)
		if !ok {
			return
		}
		members = append(members, storage.ZMember{Member: c.Args[i+1], Score: score})
	}
	zaddReply(c, o, ch, members)
}

// zaddReply adds members to the sorted set at c.Args[1] with o, notifies,
// and replies as ZADD does (CH: changed rather than added members); GEOADD
// shares it.
func zaddReply(c *Call, o storage.ZAddOptions, ch bool, members []storage.ZMember) {
	res, err := c.Tx.ZAdd(c.DB(), c.Args[1], o, members)
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyIf(res.Added+res.Updated > 0, notifyZset, zaddEvent(o.Incr), c.Args[1])
	switch {
	case o.Incr && res.Processed:
		c.r.Double(res.Score)
	case o.Incr:
		c.r.Null()
	case ch:
		c.r.Int(res.Added + res.Updated)
	default:
		c.r.Int(res.Added)
	}
}

func cmdZIncrBy(c *Call) {
	incr, ok := c.Float(2)
	if !ok {
		return
	}
	res, err := c.Tx.ZAdd(c.DB(), c.Args[1], storage.ZAddOptions{Incr: true},
		[]storage.ZMember{{Member: c.Args[3], Score: incr}})
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyIf(res.Added+res.Updated > 0, notifyZset, "zincr", c.Args[1])
	c.r.Double(res.Score)
}

func cmdZRem(c *Call) {
	n, err := c.Tx.ZRem(c.DB(), c.Args[1], c.Args[2:])
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyRemoved(n > 0, notifyZset, "zrem", c.Args[1])
	c.r.Int(n)
}

func cmdZScore(c *Call) {
	score, ok, err := c.Tx.ZScore(c.DB(), c.Args[1], c.Args[2])
	switch {
	case err != nil:
		c.Err(err)
	case !ok:
		c.r.Null()
	default:
		c.r.Double(score)
	}
}

func cmdZMScore(c *Call) {
	scores, found, err := c.Tx.ZMScore(c.DB(), c.Args[1], c.Args[2:])
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Array(len(scores))
	for i, score := range scores {
		if found[i] {
			c.r.Double(score)
		} else {
			c.r.Null()
		}
	}
}

func cmdZCard(c *Call) {
	n, err := c.Tx.ZCard(c.DB(), c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Int(n)
}

// cmdZRank serves ZRANK and ZREVRANK.
func cmdZRank(c *Call) {
	rank, ok, err := c.Tx.ZRank(c.DB(), c.Args[1], c.Args[2], c.Cmd.Name == "zrevrank")
	switch {
	case err != nil:
		c.Err(err)
	case !ok:
		c.r.Null()
	default:
		c.r.Int(rank)
	}
}

// cmdZPop serves ZPOPMIN and ZPOPMAX.
func cmdZPop(c *Call) {
	if len(c.Args) > 3 {
		c.Error(errSyntax)
		return
	}
	count := int64(1)
	if len(c.Args) == 3 {
		// Redis's getPositiveLongFromObjectOrReply: one message for both.
		n, ok := codec.ParseInt(c.Args[2])
		if !ok || n < 0 {
			c.Error(errNotPositive)
			return
		}
		count = n
	}
	popped, err := c.Tx.ZPop(c.DB(), c.Args[1], c.Cmd.Name == "zpopmax", count)
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyRemoved(len(popped) > 0, notifyZset, c.Cmd.Name, c.Args[1])
	if len(c.Args) == 2 {
		// A pop without a count is a flat member, score in RESP3 too.
		c.r.Array(2 * len(popped))
		for _, zm := range popped {
			c.r.Bulk(zm.Member)
			c.r.Double(zm.Score)
		}
		return
	}
	zmembers(c.r, popped, true)
}

func cmdZMPop(c *Call) {
	keys, max, count, ok := c.zmpopArgs(1)
	if !ok {
		return
	}
	key, popped, err := c.Tx.ZMPop(c.DB(), keys, max, count)
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyRemoved(key != nil && len(popped) > 0, notifyZset, zpopEvent(max), key)
	if key == nil {
		c.r.NullArray()
		return
	}
	replyZMPop(c.r, key, popped)
}

// zmpopArgs parses ZMPOP's arguments from numkeys at index at on (BZMPOP
// has its timeout before them).
func (c *Call) zmpopArgs(at int) (keys [][]byte, max bool, count int64, ok bool) {
	numkeys, ok := c.intWithin(at, 1, math.MaxInt64, errNumKeys)
	if !ok {
		return nil, false, 0, false
	}
	where := int64(at) + 1 + numkeys
	if numkeys > int64(len(c.Args)) || where >= int64(len(c.Args)) {
		c.Error(errSyntax)
		return nil, false, 0, false
	}
	switch c.Arg(int(where)) {
	case "min":
	case "max":
		max = true
	default:
		c.Error(errSyntax)
		return nil, false, 0, false
	}
	count = -1
	for j := int(where) + 1; j < len(c.Args); j++ {
		if count != -1 || !c.ArgIs(j, "count") || j+1 >= len(c.Args) {
			c.Error(errSyntax)
			return nil, false, 0, false
		}
		j++
		n, ok := c.intWithin(j, 1, math.MaxInt64, errCountPositive)
		if !ok {
			return nil, false, 0, false
		}
		count = n
	}
	if count == -1 {
		count = 1
	}
	return c.Args[at+1 : where], max, count, true
}

// replyZMPop writes ZMPOP's reply: the key, then member-score pairs.
func replyZMPop(r Reply, key []byte, popped []storage.ZMember) {
	r.Array(2)
	r.Bulk(key)
	r.Array(len(popped))
	for _, zm := range popped {
		r.Array(2)
		r.Bulk(zm.Member)
		r.Double(zm.Score)
	}
}

// zmpopKeys locates ZMPOP's keys: numkeys of them after the count.
func zmpopKeys(args [][]byte) []int { return numkeysKeys(args, 1, 0) }

// numkeysKeys locates the keys of a command whose argument at numkeysAt
// counts the keys that follow it; first, when not 0, is one more key
// before them (a destination).
func numkeysKeys(args [][]byte, numkeysAt, first int) []int {
	var out []int
	if first > 0 {
		out = append(out, first)
	}
	if numkeysAt >= len(args) {
		return out
	}
	n, ok := codec.ParseInt(args[numkeysAt])
	if !ok || n < 1 || n > int64(len(args)-numkeysAt-1) {
		// As Redis's genericGetKeys: a call that will fail on its
		// numkeys has no keys, not even its destination.
		return nil
	}
	for i := numkeysAt + 1; i < len(args) && int64(i-numkeysAt) <= n; i++ {
		out = append(out, i)
	}
	return out
}

func cmdZRandMember(c *Call) {
	if len(c.Args) < 3 {
		pick, err := c.Tx.ZRandMember(c.DB(), c.Args[1], 1)
		switch {
		case err != nil:
			c.Err(err)
		case pick.Len() == 0:
			c.r.Null()
		default:
			c.r.Bulk(pick.At(0).Member)
		}
		return
	}
	count, ok := c.Int(2)
	if !ok {
		return
	}
	if count == math.MinInt64 {
		c.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return
	}
	withScores := false
	if len(c.Args) > 4 || (len(c.Args) == 4 && !c.ArgIs(3, "withscores")) {
		c.Error(errSyntax)
		return
	}
	if len(c.Args) == 4 {
		withScores = true
		if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
			c.Error("ERR value is out of range")
			return
		}
	}
	pick, err := c.Tx.ZRandMember(c.DB(), c.Args[1], count)
	if err != nil {
		c.Err(err)
		return
	}
	n := int(pick.Len())
	if withScores {
		pairs(c.r, n)
	} else {
		c.r.Array(n)
	}
	for i := 0; i < n; i++ {
		zm := pick.At(int64(i))
		if withScores {
			pair(c.r)
		}
		c.r.Bulk(zm.Member)
		if withScores {
			c.r.Double(zm.Score)
		}
	}
}
