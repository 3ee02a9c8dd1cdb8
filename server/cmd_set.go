package server

import (
	"moonstone/codec"
	"moonstone/storage"
)

// Set commands.

func cmdSAdd(c *Call) {
	n, err := c.Tx.SAdd(c.DB(), c.Args[1], c.Args[2:])
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyIf(n > 0, notifySet, "sadd", c.Args[1])
	c.r.Int(n)
}

func cmdSRem(c *Call) {
	n, err := c.Tx.SRem(c.DB(), c.Args[1], c.Args[2:])
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyRemoved(n > 0, notifySet, "srem", c.Args[1])
	c.r.Int(n)
}

func cmdSIsMember(c *Call) {
	ok, err := c.Tx.SIsMember(c.DB(), c.Args[1], c.Args[2])
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Int(boolInt(ok))
}

func cmdSMIsMember(c *Call) {
	in, err := c.Tx.SMIsMember(c.DB(), c.Args[1], c.Args[2:])
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Array(len(in))
	for _, ok := range in {
		c.r.Int(boolInt(ok))
	}
}

func cmdSMembers(c *Call) {
	it, err := c.Tx.SIter(c.DB(), c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	c.streamMembers(it, listMembers)
}

func cmdSCard(c *Call) {
	n, err := c.Tx.SCard(c.DB(), c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Int(n)
}

// cmdSPop serves SPOP key [count].
func cmdSPop(c *Call) {
	if len(c.Args) > 3 {
		c.Error(errSyntax)
		return
	}
	if len(c.Args) == 2 {
		m, err := c.Tx.SPop(c.DB(), c.Args[1], 1)
		if err != nil {
			c.Err(err)
			return
		}
		c.notifyRemoved(len(m) > 0, notifySet, "spop", c.Args[1])
		if len(m) == 0 {
			c.r.Null()
			return
		}
		c.r.Bulk(m[0])
		return
	}
	n, ok := codec.ParseInt(c.Args[2])
	if !ok || n < 0 {
		c.Error("ERR value is out of range, must be positive")
		return
	}
	members, err := c.Tx.SPop(c.DB(), c.Args[1], n)
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyRemoved(len(members) > 0, notifySet, "spop", c.Args[1])
	setReply(c.r, members)
}

// setReply writes members as a set (an array in RESP2).
func setReply(r Reply, members [][]byte) {
	r.Set(len(members))
	for _, m := range members {
		r.Bulk(m)
	}
}

// cmdSRandMember serves SRANDMEMBER key [count].
func cmdSRandMember(c *Call) {
	if len(c.Args) > 3 {
		c.Error(errSyntax)
		return
	}
	if len(c.Args) == 2 {
		m, err := c.Tx.SRandMember(c.DB(), c.Args[1], 1, true)
		if err != nil {
			c.Err(err)
			return
		}
		if len(m) == 0 {
			c.r.Null()
			return
		}
		c.r.Bulk(m[0])
		return
	}
	count, distinct, ok := c.randomCount(2)
	if !ok {
		return
	}
	members, err := c.Tx.SRandMember(c.DB(), c.Args[1], count, distinct)
	if err != nil {
		c.Err(err)
		return
	}
	bulkStrings(c.r, members)
}

func cmdSMove(c *Call) {
	dstHad := c.notifyIsMember(c.Args[2], c.Args[3])
	ok, err := c.Tx.SMove(c.DB(), c.Args[1], c.Args[2], c.Args[3])
	if err != nil {
		c.Err(err)
		return
	}
	c.notifySMove(ok, dstHad)
	c.r.Int(boolInt(ok))
}

// setOpOf names the operation of SINTER, SUNION, SDIFF and their STORE
// forms.
func setOpOf(name string) storage.SetOp {
	switch name {
	case "sinter", "sinterstore":
		return storage.SetInter
	case "sdiff", "sdiffstore":
		return storage.SetDiff
	}
	return storage.SetUnion
}

// cmdSCombine serves SINTER, SUNION and SDIFF.
func cmdSCombine(c *Call) {
	members, err := c.Tx.SCombine(c.DB(), setOpOf(c.Cmd.Name), c.Args[1:])
	if err != nil {
		c.Err(err)
		return
	}
	setReply(c.r, members)
}

// cmdSCombineStore serves SINTERSTORE, SUNIONSTORE and SDIFFSTORE.
func cmdSCombineStore(c *Call) {
	existed := c.NotifyExists(c.Args[1])
	n, err := c.Tx.SCombineStore(c.DB(), setOpOf(c.Cmd.Name), c.Args[1], c.Args[2:])
	if err != nil {
		c.Err(err)
		return
	}
	c.NotifyStore(notifySet, c.Cmd.Name, c.Args[1], n, existed)
	c.r.Int(n)
}

// cmdSInterCard serves SINTERCARD numkeys key [key ...] [LIMIT limit].
func cmdSInterCard(c *Call) {
	numkeys, ok := codec.ParseInt(c.Args[1])
	if !ok || numkeys < 1 {
		c.Error("ERR numkeys should be greater than 0")
		return
	}
	if numkeys > int64(len(c.Args)-2) {
		c.Error("ERR Number of keys can't be greater than number of args")
		return
	}
	var limit int64
	for i := 2 + int(numkeys); i < len(c.Args); i++ {
		if !c.ArgIs(i, "limit") || i+1 >= len(c.Args) {
			c.Error(errSyntax)
			return
		}
		i++
		n, ok := codec.ParseInt(c.Args[i])
		if !ok || n < 0 {
			c.Error("ERR LIMIT can't be negative")
			return
		}
		limit = n
	}
	n, err := c.Tx.SInterCard(c.DB(), c.Args[2:2+numkeys], limit)
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Int(n)
}

// sinterCardKeys locates SINTERCARD's keys: numkeys of them after numkeys.
func sinterCardKeys(args [][]byte) []int {
	if len(args) < 2 {
		return nil
	}
	n, ok := codec.ParseInt(args[1])
	if !ok || n < 1 || n > int64(len(args)-2) {
		return nil
	}
	out := make([]int, n)
	for i := range out {
		out[i] = 2 + i
	}
	return out
}

// cmdSScan serves SSCAN key cursor [MATCH pattern] [COUNT count].
func cmdSScan(c *Call) {
	collectionScan(c, c.Tx.SCard, c.Tx.SScan)
}
