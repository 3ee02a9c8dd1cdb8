package server

import (
	"math"
	"time"

	"moonstone/codec"
	"moonstone/storage"
)

// String commands. Bit commands live in cmd_bits.go.

func cmdGet(c *Call) {
	// The reply copies the value before the transaction closes.
	v, ok, err := c.Tx.GetView(c.DB(), c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	c.Srv.countLookup(ok)
	bulkOrNull(c.r, v, ok)
}

// expireUnit says how an expiry argument is expressed.
type expireUnit int

const (
	unitSeconds expireUnit = iota
	unitMillis
)

// expireArg parses argument i as SET/GETEX/SETEX's expiry and returns the
// absolute time in unix ms. Relative expiries are added to the
// transaction's clock. The checks are Redis's getExpireMillisecondsOrReply.
func (c *Call) expireArg(i int, unit expireUnit, relative bool) (int64, bool) {
	n, ok := c.Int(i)
	if !ok {
		return 0, false
	}
	if n <= 0 || (unit == unitSeconds && n > math.MaxInt64/1000) {
		c.Error(c.errExpireTime())
		return 0, false
	}
	if unit == unitSeconds {
		n *= 1000
	}
	if relative {
		now := c.now()
		if n > math.MaxInt64-now {
			c.Error(c.errExpireTime())
			return 0, false
		}
		n += now
	}
	return n, true
}

func (c *Call) errExpireTime() string {
	return "ERR invalid expire time in '" + c.Cmd.Name + "' command"
}

// now is the clock of the command's transaction (frozen inside scripts).
func (c *Call) now() int64 {
	if c.Tx != nil {
		return c.Tx.Now()
	}
	return time.Now().UnixMilli()
}

func cmdSet(c *Call) {
	var o storage.SetOptions
	var haveExpiry bool
	for i := 3; i < len(c.Args); i++ {
		opt := c.Arg(i)
		hasNext := i+1 < len(c.Args)
		switch {
		case opt == "nx" && !o.XX:
			o.NX = true
		case opt == "xx" && !o.NX:
			o.XX = true
		case opt == "get":
			o.Get = true
		case opt == "keepttl" && !haveExpiry:
			o.KeepTTL = true
		case (opt == "ex" || opt == "px" || opt == "exat" || opt == "pxat") && !o.KeepTTL && !haveExpiry && hasNext:
			haveExpiry = true
			i++
			unit := unitSeconds
			if opt == "px" || opt == "pxat" {
				unit = unitMillis
			}
			at, ok := c.expireArg(i, unit, opt == "ex" || opt == "px")
			if !ok {
				return
			}
			o.ExpireAt = at
		default:
			c.Error(errSyntax)
			return
		}
	}
	res, err := c.Tx.Set(c.DB(), c.Args[1], c.Args[2], o)
	if err != nil {
		c.Err(err)
		return
	}
	c.notifySet(c.Args[1], res.Written, o.ExpireAt)
	switch {
	case o.Get:
		bulkOrNull(c.r, res.Old, res.OldExists)
	case res.Written:
		c.OK()
	default:
		c.r.Null()
	}
}

func cmdSetNX(c *Call) {
	res, err := c.Tx.Set(c.DB(), c.Args[1], c.Args[2], storage.SetOptions{NX: true})
	if err != nil {
		c.Err(err)
		return
	}
	c.notifySet(c.Args[1], res.Written, 0)
	c.r.Int(boolInt(res.Written))
}

// cmdSetEX serves SETEX and PSETEX.
func cmdSetEX(c *Call) {
	unit := unitSeconds
	if c.Cmd.Name == "psetex" {
		unit = unitMillis
	}
	at, ok := c.expireArg(2, unit, true)
	if !ok {
		return
	}
	if _, err := c.Tx.Set(c.DB(), c.Args[1], c.Args[3], storage.SetOptions{ExpireAt: at}); err != nil {
		c.Err(err)
		return
	}
	c.notifySet(c.Args[1], true, at)
	c.OK()
}

func cmdGetSet(c *Call) {
	res, err := c.Tx.Set(c.DB(), c.Args[1], c.Args[2], storage.SetOptions{Get: true})
	if err != nil {
		c.Err(err)
		return
	}
	c.notifySet(c.Args[1], true, 0)
	bulkOrNull(c.r, res.Old, res.OldExists)
}

func cmdGetDel(c *Call) {
	v, ok, err := c.Tx.GetDel(c.DB(), c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyIf(ok, notifyGeneric, "del", c.Args[1])
	bulkOrNull(c.r, v, ok)
}

func cmdGetEx(c *Call) {
	var at int64
	persist, haveExpiry := false, false
	for i := 2; i < len(c.Args); i++ {
		opt := c.Arg(i)
		switch {
		case opt == "persist" && !haveExpiry && !persist:
			persist = true
		case (opt == "ex" || opt == "px" || opt == "exat" || opt == "pxat") && !persist && !haveExpiry && i+1 < len(c.Args):
			haveExpiry = true
			i++
			unit := unitSeconds
			if opt == "px" || opt == "pxat" {
				unit = unitMillis
			}
			var ok bool
			if at, ok = c.expireArg(i, unit, opt == "ex" || opt == "px"); !ok {
				return
			}
		default:
			c.Error(errSyntax)
			return
		}
	}
	hadTTL := persist && c.notifyHasTTL(c.Args[1])
	v, ok, err := c.Tx.GetEx(c.DB(), c.Args[1], at, persist)
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyGetEx(c.Args[1], ok, at, hadTTL)
	bulkOrNull(c.r, v, ok)
}

func cmdMGet(c *Call) {
	c.r.Array(len(c.Args) - 1)
	for _, k := range c.Args[1:] {
		v, ok, err := c.Tx.GetView(c.DB(), k) // copied by the reply, as GET's
		if err == storage.ErrWrongType {
			ok, err = false, nil
		}
		if err != nil {
			c.r.Null()
			continue
		}
		bulkOrNull(c.r, v, ok)
	}
}

func cmdMSet(c *Call) {
	if len(c.Args)%2 != 1 {
		c.Error(errArity(c.Cmd.Name))
		return
	}
	for i := 1; i < len(c.Args); i += 2 {
		if _, err := c.Tx.Set(c.DB(), c.Args[i], c.Args[i+1], storage.SetOptions{}); err != nil {
			c.Err(err)
			return
		}
		c.Notify(notifyString, "set", c.Args[i])
	}
	c.OK()
}

func cmdMSetNX(c *Call) {
	if len(c.Args)%2 != 1 {
		c.Error(errArity(c.Cmd.Name))
		return
	}
	ok, err := c.Tx.MSetNX(c.DB(), c.Args[1:])
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyEach(ok, notifyString, "set", 1, 2)
	c.r.Int(boolInt(ok))
}

func cmdAppend(c *Call) {
	n, err := c.Tx.Append(c.DB(), c.Args[1], c.Args[2])
	if err != nil {
		c.Err(err)
		return
	}
	c.Notify(notifyString, "append", c.Args[1])
	c.r.Int(n)
}

func cmdStrLen(c *Call) {
	n, err := c.Tx.StrLen(c.DB(), c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Int(n)
}

// cmdIncr serves INCR, DECR, INCRBY and DECRBY.
func cmdIncr(c *Call) {
	var delta int64 = 1
	switch c.Cmd.Name {
	case "decr":
		delta = -1
	case "incrby", "decrby":
		n, ok := c.Int(2)
		if !ok {
			return
		}
		delta = n
		if c.Cmd.Name == "decrby" {
			if n == math.MinInt64 {
				c.Error("ERR decrement would overflow")
				return
			}
			delta = -n
		}
	}
	n, err := c.Tx.IncrBy(c.DB(), c.Args[1], delta)
	if err != nil {
		c.Err(err)
		return
	}
	c.Notify(notifyString, "incrby", c.Args[1])
	c.r.Int(n)
}

func cmdIncrByFloat(c *Call) {
	if _, ok := codec.ParseLongDouble(c.Args[2]); !ok {
		c.Error(errNotFloat)
		return
	}
	v, err := c.Tx.IncrByFloat(c.DB(), c.Args[1], c.Args[2])
	if err != nil {
		c.Err(err)
		return
	}
	c.Notify(notifyString, "incrbyfloat", c.Args[1])
	c.r.Bulk(v)
}

// cmdGetRange serves GETRANGE and its old name SUBSTR.
func cmdGetRange(c *Call) {
	start, ok := c.Int(2)
	if !ok {
		return
	}
	end, ok := c.Int(3)
	if !ok {
		return
	}
	v, err := c.Tx.GetRange(c.DB(), c.Args[1], start, end)
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Bulk(v)
}

func cmdSetRange(c *Call) {
	off, ok := c.Int(2)
	if !ok {
		return
	}
	if off < 0 {
		c.Error(errOffsetRange)
		return
	}
	n, err := c.Tx.SetRange(c.DB(), c.Args[1], off, c.Args[3])
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyIf(len(c.Args[3]) > 0, notifyString, "setrange", c.Args[1])
	c.r.Int(n)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// countLookup feeds INFO's keyspace_hits and keyspace_misses.
func (s *Server) countLookup(hit bool) {
	if hit {
		s.stats.keyspaceHits.Add(1)
	} else {
		s.stats.keyspaceMisses.Add(1)
	}
}
