package server

import (
	"math"
	"strconv"
	"strings"

	"moonstone/codec"
	"moonstone/storage"
)

// Generic key commands: existence, type, renaming, copying, iteration.

// cmdDel serves DEL and UNLINK (the same thing on disk: a range deletion
// keeps even huge collections cheap to drop), counting the values Redis
// would have freed lazily (lazyfree.go).
func cmdDel(c *Call) {
	var n, lazy int64
	lazyDelete := c.lazyDelete()
	for _, k := range c.Args[1:] {
		effort := int64(0)
		if lazyDelete {
			t, err := c.Tx.Type(c.DB(), k)
			if err == nil && t != codec.TypeNone {
				effort, err = c.Srv.freeEffort(c.Tx, c.DB(), k, t)
			}
			if err != nil {
				c.Err(err)
				return
			}
		}
		ok, err := c.Tx.Del(c.DB(), k)
		if err != nil {
			c.Err(err)
			return
		}
		c.notifyIf(ok, notifyGeneric, "del", k)
		n += boolInt(ok)
		if ok && effort > lazyFreeThreshold {
			lazy++
		}
	}
	c.Srv.stats.lazyfreed.Add(lazy)
	c.r.Int(n)
}

// cmdExists serves EXISTS and TOUCH: both count the keys that exist.
func cmdExists(c *Call) {
	var n int64
	for _, k := range c.Args[1:] {
		ok, err := c.Tx.Exists(c.DB(), k)
		if err != nil {
			c.Err(err)
			return
		}
		n += boolInt(ok)
	}
	c.r.Int(n)
}

func cmdType(c *Call) {
	t, err := c.Tx.Type(c.DB(), c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Status(t.String())
}

// cmdRename serves RENAME and RENAMENX.
func cmdRename(c *Call) {
	nx := c.Cmd.Name == "renamenx"
	ok, err := c.Tx.Rename(c.DB(), c.Args[1], c.Args[2], nx)
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyRename(ok)
	if nx {
		c.r.Int(boolInt(ok))
		return
	}
	c.OK()
}

func cmdMove(c *Call) {
	n, ok := codec.ParseInt(c.Args[2])
	if !ok || n < math.MinInt32 || n > math.MaxInt32 {
		c.Error(errNotInteger)
		return
	}
	if n < 0 || n >= int64(c.Srv.cfg.Databases()) {
		c.Error(errDBIndex)
		return
	}
	if int(n) == c.DB() {
		c.Error(errSameObject)
		return
	}
	moved, err := c.Tx.Move(c.DB(), c.Args[1], int(n))
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyIf(moved, notifyGeneric, "move_from", c.Args[1])
	if moved {
		c.NotifyDB(notifyGeneric, "move_to", c.Args[1], int(n))
		c.Srv.touchKey(c, int(n), c.Args[1])
	}
	c.r.Int(boolInt(moved))
}

func cmdCopy(c *Call) {
	dstDB, replace := c.DB(), false
	for i := 3; i < len(c.Args); i++ {
		switch {
		case c.ArgIs(i, "replace"):
			replace = true
		case c.ArgIs(i, "db") && i+1 < len(c.Args):
			i++
			n, ok := codec.ParseInt(c.Args[i])
			if !ok || n < math.MinInt32 || n > math.MaxInt32 {
				c.Error(errNotInteger)
				return
			}
			if n < 0 || n >= int64(c.Srv.cfg.Databases()) {
				c.Error(errDBIndex)
				return
			}
			dstDB = int(n)
		default:
			c.Error(errSyntax)
			return
		}
	}
	if dstDB == c.DB() && string(c.Args[1]) == string(c.Args[2]) {
		c.Error(errSameObject)
		return
	}
	ok, err := c.Tx.Copy(c.DB(), c.Args[1], dstDB, c.Args[2], replace)
	if err != nil {
		c.Err(err)
		return
	}
	if ok {
		c.NotifyDB(notifyGeneric, "copy_to", c.Args[2], dstDB)
		c.Srv.touchKey(c, dstDB, c.Args[2])
	}
	c.r.Int(boolInt(ok))
}

func cmdKeys(c *Call) {
	pattern := c.Args[1]
	all := len(pattern) == 1 && pattern[0] == '*'
	from := literalPrefix(pattern)
	var keys [][]byte
	for {
		res, err := c.Tx.Scan(c.DB(), from, 1024, func(k []byte, _ codec.Type) bool {
			return all || globMatch(pattern, k, false)
		})
		if err != nil {
			c.Err(err)
			return
		}
		keys = append(keys, res.Keys...)
		if res.Next == nil || !hasPrefix(res.Next, literalPrefix(pattern)) {
			break
		}
		from = res.Next
	}
	bulkStrings(c.r, keys)
}

// literalPrefix is the part of a glob pattern before its first wildcard:
// every match starts with it, so a scan can begin there.
func literalPrefix(p []byte) []byte {
	for i, ch := range p {
		switch ch {
		case '*', '?', '[', '\\':
			return p[:i]
		}
	}
	return p
}

func hasPrefix(b, p []byte) bool { return len(b) >= len(p) && string(b[:len(p)]) == string(p) }

// scanArgs are the MATCH / COUNT / TYPE options shared by the SCAN family.
type scanArgs struct {
	cursor uint64
	match  []byte
	count  int
	typ    string
}

// parseScan reads a SCAN-family cursor (argument i) and its options; typeOK
// says whether TYPE is accepted (SCAN only).
func (c *Call) parseScan(i int, typeOK bool) (scanArgs, bool) {
	a := scanArgs{count: 10}
	cur, ok := parseScanCursor(c.Args[i])
	if !ok {
		c.Error(errCursor)
		return a, false
	}
	a.cursor = cur
	for j := i + 1; j < len(c.Args); j += 2 {
		if j+1 >= len(c.Args) {
			c.Error(errSyntax)
			return a, false
		}
		switch {
		case c.ArgIs(j, "count"):
			n, ok := c.Int(j + 1)
			if !ok {
				return a, false
			}
			if n < 1 {
				c.Error(errSyntax)
				return a, false
			}
			a.count = int(min(n, 1<<20))
		case c.ArgIs(j, "match"):
			a.match = c.Args[j+1]
			if len(a.match) == 1 && a.match[0] == '*' {
				a.match = nil
			}
		case c.ArgIs(j, "type") && typeOK:
			a.typ = strings.ToLower(string(c.Args[j+1]))
		default:
			c.Error(errSyntax)
			return a, false
		}
	}
	return a, true
}

// parseScanCursor reads a cursor as Redis's parseScanCursorOrReply does
// with strtoul: an optional sign ("-1" wraps around), decimal digits, no
// leading space, no overflow; the empty string is cursor 0.
func parseScanCursor(b []byte) (uint64, bool) {
	if len(b) > 0 && (b[0] == ' ' || (b[0] >= '\t' && b[0] <= '\r')) {
		return 0, false
	}
	neg := false
	digits := b
	if len(digits) > 0 && (digits[0] == '+' || digits[0] == '-') {
		neg = digits[0] == '-'
		digits = digits[1:]
	}
	if len(digits) == 0 {
		return 0, len(b) == 0
	}
	var v uint64
	for _, ch := range digits {
		if ch < '0' || ch > '9' || v > (math.MaxUint64-uint64(ch-'0'))/10 {
			return 0, false
		}
		v = v*10 + uint64(ch-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

func cmdScan(c *Call) {
	a, ok := c.parseScan(1, true)
	if !ok {
		return
	}
	from, ok := c.Srv.cursors.resume(a.cursor)
	if !ok {
		c.r.Array(2)
		c.r.BulkString("0")
		c.r.Array(0)
		return
	}
	res, err := c.Tx.Scan(c.DB(), from, a.count, func(k []byte, t codec.Type) bool {
		if a.typ != "" && t.String() != a.typ {
			return false
		}
		return a.match == nil || globMatch(a.match, k, false)
	})
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Array(2)
	c.r.BulkString(strconv.FormatUint(c.Srv.cursors.save(res.Next), 10))
	bulkStrings(c.r, res.Keys)
}

func cmdRandomKey(c *Call) {
	k, err := c.Tx.RandomKey(c.DB())
	if err != nil {
		c.Err(err)
		return
	}
	bulkOrNull(c.r, k, k != nil)
}

func cmdDBSize(c *Call) { c.r.Int(c.Tx.KeyCount(c.DB())) }

// cmdSwapDB swaps two databases: one small write whatever they hold
// (storage/dbmap.go). Clients keep their database numbers and see the
// other data.
func cmdSwapDB(c *Call) {
	a, ok := dbIndexArg(c, 1, "ERR invalid first DB index")
	if !ok {
		return
	}
	b, ok := dbIndexArg(c, 2, "ERR invalid second DB index")
	if !ok {
		return
	}
	if n := c.Srv.cfg.Databases(); a < 0 || a >= n || b < 0 || b >= n {
		c.Error(errDBIndex)
		return
	}
	if err := c.Tx.SwapDB(a, b); err != nil {
		c.Err(err)
		return
	}
	c.OK()
}

// dbIndexArg parses argument i as Redis's getIntFromObjectOrReply does: an
// integer that fits a C int, else msg.
func dbIndexArg(c *Call, i int, msg string) (int, bool) {
	n, ok := codec.ParseInt(c.Args[i])
	if !ok || n < math.MinInt32 || n > math.MaxInt32 {
		c.Error(msg)
		return 0, false
	}
	return int(n), true
}

// flushMode reads FLUSHDB/FLUSHALL's optional ASYNC|SYNC. Both modes are
// the same here: the deletion is a handful of range tombstones either way.
func flushMode(c *Call) bool {
	if len(c.Args) == 1 {
		return true
	}
	if len(c.Args) == 2 && (c.ArgIs(1, "async") || c.ArgIs(1, "sync")) {
		return true
	}
	c.Error(errSyntax)
	return false
}

func cmdFlushDB(c *Call) {
	if !flushMode(c) {
		return
	}
	keys := c.Tx.KeyCount(c.DB())
	if err := c.Tx.FlushDB(c.DB()); err != nil {
		c.Err(err)
		return
	}
	if c.lazyFlush() {
		c.Srv.stats.lazyfreed.Add(keys)
	}
	c.OK()
}

func cmdFlushAll(c *Call) {
	if !flushMode(c) {
		return
	}
	var keys int64
	for db := range c.Srv.cfg.Databases() {
		keys += c.Tx.KeyCount(db)
	}
	if err := c.Tx.FlushAll(); err != nil {
		c.Err(err)
		return
	}
	if c.lazyFlush() {
		c.Srv.stats.lazyfreed.Add(keys)
	}
	c.OK()
}

// Expiry commands.

// cmdExpire serves EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT.
func cmdExpire(c *Call) {
	cond := storage.ExpireAlways
	var nx, xx, gt, lt bool
	for i := 3; i < len(c.Args); i++ {
		switch c.Arg(i) {
		case "nx":
			nx = true
		case "xx":
			xx = true
		case "gt":
			gt = true
		case "lt":
			lt = true
		default:
			c.Error("ERR Unsupported option " + string(c.Args[i]))
			return
		}
	}
	switch {
	case nx && (xx || gt || lt):
		c.Error(errNXAndOthers)
		return
	case gt && lt:
		c.Error(errNXXXGTLT)
		return
	case nx:
		cond = storage.ExpireNX
	case xx && gt:
		cond = storage.ExpireGT
	case xx && lt:
		cond = storage.ExpireLT
	case xx:
		cond = storage.ExpireXX
	case gt:
		cond = storage.ExpireGT
	case lt:
		cond = storage.ExpireLT
	}
	when, ok := c.Int(2)
	if !ok {
		return
	}
	name := c.Cmd.Name
	if name == "expire" || name == "expireat" {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.Error(c.errExpireTime())
			return
		}
		when *= 1000
	}
	if name == "expire" || name == "pexpire" {
		now := c.now()
		if when > math.MaxInt64-now {
			c.Error(c.errExpireTime())
			return
		}
		when += now
	}
	if xx && (gt || lt) {
		// XX combined with GT/LT: the key must have an expiry too.
		at, err := c.Tx.ExpireAt(c.DB(), c.Args[1])
		if err != nil {
			c.Err(err)
			return
		}
		if at == -1 {
			c.r.Int(0)
			return
		}
	}
	done, err := c.Tx.Expire(c.DB(), c.Args[1], when, cond)
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyExpire(done, when)
	c.r.Int(boolInt(done))
}

// cmdTTL serves TTL, PTTL, EXPIRETIME and PEXPIRETIME.
func cmdTTL(c *Call) {
	at, err := c.Tx.ExpireAt(c.DB(), c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	if at < 0 {
		c.r.Int(at)
		return
	}
	name := c.Cmd.Name
	v := at
	if name == "ttl" || name == "pttl" {
		v = max(at-c.now(), 0)
	}
	if name == "ttl" || name == "expiretime" {
		v = (v + 500) / 1000
	}
	c.r.Int(v)
}

func cmdPersist(c *Call) {
	ok, err := c.Tx.Persist(c.DB(), c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyIf(ok, notifyGeneric, "persist", c.Args[1])
	c.r.Int(boolInt(ok))
}
