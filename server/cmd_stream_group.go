package server

import (
	"errors"
	"fmt"
	"math"

	"moonstone/codec"
	"moonstone/storage"
)

// Consumer-group commands: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM and
// XINFO.

// subcommandSyntax is Redis's addReplySubcommandSyntaxError.
func (c *Call) subcommandSyntax() {
	sub := string(c.Args[1])
	if len(sub) > 128 {
		sub = sub[:128]
	}
	c.Error(sanitize(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP.",
		sub, upper(c.Args[0]))))
}

func upper(b []byte) string {
	out := []byte(string(b))
	for i, ch := range out {
		if ch >= 'a' && ch <= 'z' {
			out[i] = ch - 32
		}
	}
	return string(out)
}

func xgroupNoGroup(group, key []byte) string {
	return sanitize(fmt.Sprintf("NOGROUP No such consumer group '%s' for key name '%s'", cString(group), cString(key)))
}

// cmdXGroup serves every XGROUP subcommand but HELP, in the order of
// Redis's xgroupCommand: options, key, group, then the subcommand's own
// arguments.
func cmdXGroup(c *Call) {
	sub := c.Arg(1)
	key, group := c.Args[2], c.Args[3]
	mkstream := false
	entriesRead := int64(-1)
	for i := 5; i < len(c.Args); {
		switch {
		case sub == "create" && c.ArgIs(i, "mkstream"):
			mkstream = true
			i++
		case (sub == "create" || sub == "setid") && c.ArgIs(i, "entriesread") && i+1 < len(c.Args):
			n, ok := c.Int(i + 1)
			if !ok {
				return
			}
			if n < 0 && n != -1 {
				c.Error("ERR value for ENTRIESREAD must be positive or -1")
				return
			}
			entriesRead = n
			i += 2
		default:
			c.subcommandSyntax()
			return
		}
	}
	if !mkstream {
		needGroup := sub == "setid" || sub == "createconsumer" || sub == "delconsumer"
		err := c.Tx.XGroupCheck(c.DB(), key, group, needGroup)
		if errors.Is(err, storage.ErrNoGroup) {
			c.Error(xgroupNoGroup(group, key))
			return
		}
		if err != nil {
			c.Err(err)
			return
		}
	} else if _, ok := c.streamExists(key); !ok {
		return
	}
	switch {
	case sub == "create" && len(c.Args) <= 8:
		var id codec.StreamID
		dollar := string(c.Args[4]) == "$"
		if !dollar {
			var ok bool
			if id, ok = c.streamID(4, 0, true); !ok {
				return
			}
		}
		if err := c.Tx.XGroupCreate(c.DB(), key, group, id, dollar, mkstream, entriesRead); err != nil {
			c.Err(err)
			return
		}
		c.Notify(notifyStream, "xgroup-create", key)
		c.OK()
	case sub == "setid" && (len(c.Args) == 5 || len(c.Args) == 7):
		var id codec.StreamID
		dollar := string(c.Args[4]) == "$"
		if !dollar {
			var ok bool
			if id, ok = c.streamID(4, 0, false); !ok {
				return
			}
		}
		if err := c.Tx.XGroupSetID(c.DB(), key, group, id, dollar, entriesRead); err != nil {
			c.Err(err)
			return
		}
		c.Notify(notifyStream, "xgroup-setid", key)
		c.OK()
	case sub == "destroy" && len(c.Args) == 4:
		ok, err := c.Tx.XGroupDestroy(c.DB(), key, group)
		if err != nil {
			c.Err(err)
			return
		}
		if ok {
			c.Notify(notifyStream, "xgroup-destroy", key)
		}
		c.r.Int(boolInt(ok))
	case sub == "createconsumer" && len(c.Args) == 5:
		ok, err := c.Tx.XGroupCreateConsumer(c.DB(), key, group, c.Args[4])
		if err != nil {
			c.Err(err)
			return
		}
		if ok {
			c.Notify(notifyStream, "xgroup-createconsumer", key)
		}
		c.r.Int(boolInt(ok))
	case sub == "delconsumer" && len(c.Args) == 5:
		n, found, err := c.Tx.XGroupDelConsumer(c.DB(), key, group, c.Args[4])
		if err != nil {
			c.Err(err)
			return
		}
		if found {
			c.Notify(notifyStream, "xgroup-delconsumer", key)
		}
		c.r.Int(n)
	default:
		c.subcommandSyntax()
	}
}

func cmdXGroupHelp(c *Call) {
	replyHelp(c, "XGROUP",
		"CREATE <key> <groupname> <id|$> [option]",
		"    Create a new consumer group. Options are:",
		"    * MKSTREAM",
		"      Create the empty stream if it does not exist.",
		"    * ENTRIESREAD entries_read",
		"      Set the group's entries_read counter (internal use).",
		"CREATECONSUMER <key> <groupname> <consumer>",
		"    Create a new consumer in the specified group.",
		"DELCONSUMER <key> <groupname> <consumer>",
		"    Remove the specified consumer.",
		"DESTROY <key> <groupname>",
		"    Remove the specified group.",
		"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
		"    Set the current group ID and entries_read counter.",
	)
}

func cmdXAck(c *Call) {
	key, group := c.Args[1], c.Args[2]
	if _, ok := c.streamExists(key); !ok {
		return
	}
	has, err := c.Tx.XHasGroup(c.DB(), key, group)
	if err != nil {
		c.Err(err)
		return
	}
	if !has {
		c.r.Int(0)
		return
	}
	ids, ok := c.parseStreamIDs(3)
	if !ok {
		return
	}
	n, err := c.Tx.XAck(c.DB(), key, group, ids)
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Int(n)
}

func cmdXPending(c *Call) {
	key, group := c.Args[1], c.Args[2]
	n := len(c.Args)
	if n != 3 && (n < 6 || n > 9) {
		c.Error(errSyntax)
		return
	}
	var start, end codec.StreamID
	var count, minIdle int64
	var consumer []byte
	if n >= 6 {
		si := 3
		if c.ArgIs(3, "idle") {
			var ok bool
			if minIdle, ok = c.Int(4); !ok {
				return
			}
			if n < 8 {
				c.Error(errSyntax)
				return
			}
			si += 2
		}
		var ok bool
		if count, ok = c.Int(si + 2); !ok {
			return
		}
		count = max(count, 0)
		if start, ok = c.streamIntervalStart(si); !ok {
			return
		}
		if end, ok = c.streamIntervalEnd(si + 1); !ok {
			return
		}
		if si+3 < n {
			consumer = c.Args[si+3]
		}
	}
	if n == 3 {
		ps, err := c.Tx.XPendingSummary(c.DB(), key, group)
		if c.pendingErr(err, key, group) {
			return
		}
		c.r.Array(4)
		c.r.Int(ps.Count)
		if ps.Count == 0 {
			c.r.Null()
			c.r.Null()
			c.r.NullArray()
			return
		}
		writeStreamID(c.r, ps.Min)
		writeStreamID(c.r, ps.Max)
		c.r.Array(len(ps.Consumers))
		for _, cp := range ps.Consumers {
			c.r.Array(2)
			c.r.Bulk(cp.Name)
			c.r.BulkString(itoa(cp.Count))
		}
		return
	}
	pes, err := c.Tx.XPendingRange(c.DB(), key, group, start, end, count, minIdle, consumer)
	if c.pendingErr(err, key, group) {
		return
	}
	now := c.Tx.Now()
	c.r.Array(len(pes))
	for _, pe := range pes {
		c.r.Array(4)
		writeStreamID(c.r, pe.ID)
		c.r.Bulk(pe.Consumer)
		c.r.Int(max(now-pe.DeliveryTime, 0))
		c.r.Int(pe.DeliveryCount)
	}
}

// pendingErr replies to err, if any, as the group commands do.
func (c *Call) pendingErr(err error, key, group []byte) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, storage.ErrNoGroup):
		c.Error(noGroupError(key, group, ""))
	default:
		c.Err(err)
	}
	return true
}

func cmdXClaim(c *Call) {
	key, group := c.Args[1], c.Args[2]
	if _, ok := c.streamExists(key); !ok {
		return
	}
	has, err := c.Tx.XHasGroup(c.DB(), key, group)
	if err != nil {
		c.Err(err)
		return
	}
	if !has {
		c.Error(noGroupError(key, group, ""))
		return
	}
	minIdle, ok := codec.ParseInt(c.Args[4])
	if !ok {
		c.Error("ERR Invalid min-idle-time argument for XCLAIM")
		return
	}
	a := storage.XClaimArgs{Consumer: c.Args[3], MinIdle: max(minIdle, 0), DeliveryTime: -1, RetryCount: -1}
	j := 5
	for ; j < len(c.Args); j++ {
		id, _, ok := codec.ParseStreamID(c.Args[j], 0, true, false)
		if !ok {
			break
		}
		a.IDs = append(a.IDs, id)
	}
	now := c.Tx.Now()
	for ; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		switch {
		case c.ArgIs(j, "force"):
			a.Force = true
		case c.ArgIs(j, "justid"):
			a.JustID = true
		case c.ArgIs(j, "idle") && more > 0:
			j++
			n, ok := codec.ParseInt(c.Args[j])
			if !ok {
				c.Error("ERR Invalid IDLE option argument for XCLAIM")
				return
			}
			a.DeliveryTime = now - n
		case c.ArgIs(j, "time") && more > 0:
			j++
			n, ok := codec.ParseInt(c.Args[j])
			if !ok {
				c.Error("ERR Invalid TIME option argument for XCLAIM")
				return
			}
			a.DeliveryTime = n
		case c.ArgIs(j, "retrycount") && more > 0:
			j++
			n, ok := codec.ParseInt(c.Args[j])
			if !ok {
				c.Error("ERR Invalid RETRYCOUNT option argument for XCLAIM")
				return
			}
			a.RetryCount = n
		case c.ArgIs(j, "lastid") && more > 0:
			j++
			if a.LastID, ok = c.streamID(j, 0, true); !ok {
				return
			}
		default:
			c.Error(sanitize(fmt.Sprintf("ERR Unrecognized XCLAIM option '%s'", cString(c.Args[j]))))
			return
		}
	}
	if a.DeliveryTime == -1 {
		// IDLE may compute -1 itself; keep "not given" distinct.
		a.DeliveryTime = now
	}
	created := c.consumerCreation(key, group, a.Consumer)
	es, err := c.Tx.XClaim(c.DB(), key, group, &a)
	if c.pendingErr(err, key, group) {
		return
	}
	created()
	writeClaimed(c.r, es, a.JustID)
}

// consumerCreation notes whether consumer exists in key's group before a
// command that may create it (XREADGROUP, XCLAIM, XAUTOCLAIM); the func it
// returns, called once the command succeeded, reports
// "xgroup-createconsumer" if the command created it, as Redis's
// streamCreateConsumer does. It reads only while stream events are on.
func (c *Call) consumerCreation(key, group, consumer []byte) (report func()) {
	if !c.notifying(notifyStream) {
		return func() {}
	}
	existed, err := c.Tx.XGroupConsumerExists(c.DB(), key, group, consumer)
	if err != nil || existed {
		return func() {}
	}
	return func() {
		if now, err := c.Tx.XGroupConsumerExists(c.DB(), key, group, consumer); err == nil && now {
			c.Notify(notifyStream, "xgroup-createconsumer", key)
		}
	}
}

func writeClaimed(r Reply, es []storage.StreamEntry, justID bool) {
	if !justID {
		writeStreamEntries(r, es)
		return
	}
	r.Array(len(es))
	for _, e := range es {
		writeStreamID(r, e.ID)
	}
}

func cmdXAutoClaim(c *Call) {
	key, group := c.Args[1], c.Args[2]
	minIdle, ok := codec.ParseInt(c.Args[4])
	if !ok {
		c.Error("ERR Invalid min-idle-time argument for XAUTOCLAIM")
		return
	}
	start, ok := c.streamIntervalStart(5)
	if !ok {
		return
	}
	count := int64(100)
	justID := false
	for j := 6; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		switch {
		case c.ArgIs(j, "count") && more > 0:
			n, ok := codec.ParseInt(c.Args[j+1])
			if !ok || n < 1 || n > math.MaxInt64/16 {
				c.Error("ERR COUNT must be > 0")
				return
			}
			count = n
			j++
		case c.ArgIs(j, "justid"):
			justID = true
		default:
			c.Error(errSyntax)
			return
		}
	}
	created := c.consumerCreation(key, group, c.Args[3])
	claimed, next, deleted, err := c.Tx.XAutoClaim(c.DB(), key, group, c.Args[3], max(minIdle, 0), start, count, justID)
	if c.pendingErr(err, key, group) {
		return
	}
	created()
	c.r.Array(3)
	writeStreamID(c.r, next)
	writeClaimed(c.r, claimed, justID)
	c.r.Array(len(deleted))
	for _, id := range deleted {
		writeStreamID(c.r, id)
	}
}

func cmdXInfoHelp(c *Call) {
	replyHelp(c, "XINFO",
		"CONSUMERS <key> <groupname>",
		"    Show consumers of <groupname>.",
		"GROUPS <key>",
		"    Show the stream consumer groups.",
		"STREAM <key> [FULL [COUNT <count>]",
		"    Show information about the stream.",
	)
}

func cmdXInfoConsumers(c *Call) {
	key, group := c.Args[2], c.Args[3]
	cs, err := c.Tx.XInfoConsumers(c.DB(), key, group)
	if errors.Is(err, storage.ErrNoGroup) {
		c.Error(xgroupNoGroup(group, key))
		return
	}
	if err != nil {
		c.Err(err)
		return
	}
	now := c.Tx.Now()
	c.r.Array(len(cs))
	for _, ci := range cs {
		c.r.Map(3)
		c.r.BulkString("name")
		c.r.Bulk(ci.Name)
		c.r.BulkString("pending")
		c.r.Int(ci.Pending)
		c.r.BulkString("idle")
		c.r.Int(max(now-ci.SeenTime, 0))
	}
}

func cmdXInfoGroups(c *Call) {
	gs, err := c.Tx.XInfoGroups(c.DB(), c.Args[2])
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Array(len(gs))
	for i := range gs {
		g := &gs[i]
		c.r.Map(6)
		c.r.BulkString("name")
		c.r.Bulk(g.Name)
		c.r.BulkString("consumers")
		c.r.Int(g.Consumers)
		c.r.BulkString("pending")
		c.r.Int(g.Pending)
		writeGroupCounters(c.r, g)
	}
}

// writeGroupCounters writes last-delivered-id, entries-read and lag.
func writeGroupCounters(r Reply, g *storage.GroupInfo) {
	r.BulkString("last-delivered-id")
	writeStreamID(r, g.LastID)
	r.BulkString("entries-read")
	if g.EntriesRead == -1 {
		r.Null()
	} else {
		r.Int(g.EntriesRead)
	}
	r.BulkString("lag")
	if g.LagKnown {
		r.Int(g.Lag)
	} else {
		r.Null()
	}
}

// writeStreamCounters writes the fields XINFO STREAM starts with.
func writeStreamCounters(r Reply, length, nodes, raxNodes int64, s *codec.StreamState) {
	r.BulkString("length")
	r.Int(length)
	r.BulkString("radix-tree-keys")
	r.Int(nodes)
	r.BulkString("radix-tree-nodes")
	r.Int(raxNodes)
	r.BulkString("last-generated-id")
	writeStreamID(r, s.LastID)
	r.BulkString("max-deleted-entry-id")
	writeStreamID(r, s.MaxDeleted)
	r.BulkString("entries-added")
	r.Int(s.EntriesAdded)
	r.BulkString("recorded-first-entry-id")
	writeStreamID(r, s.FirstID)
}

func cmdXInfoStream(c *Call) {
	key := c.Args[2]
	opts := c.Args[3:]
	if len(opts) == 0 {
		ss, err := c.Tx.XInfoStream(c.DB(), key)
		if err != nil {
			c.Err(err)
			return
		}
		c.r.Map(10)
		writeStreamCounters(c.r, ss.Length, ss.Nodes, ss.RaxNodes, &ss.State)
		c.r.BulkString("groups")
		c.r.Int(ss.Groups)
		c.r.BulkString("first-entry")
		if ss.First == nil {
			c.r.Null()
		} else {
			writeStreamEntry(c.r, ss.First)
		}
		c.r.BulkString("last-entry")
		if ss.Last == nil {
			c.r.Null()
		} else {
			writeStreamEntry(c.r, ss.Last)
		}
		return
	}
	// Redis looks the key up before it reads the options.
	if _, err := c.Tx.XInfoStream(c.DB(), key); err != nil {
		c.Err(err)
		return
	}
	count := int64(10)
	if len(opts) != 1 && len(opts) != 3 || !c.ArgIs(3, "full") || len(opts) == 3 && !c.ArgIs(4, "count") {
		c.subcommandSyntax()
		return
	}
	if len(opts) == 3 {
		n, ok := c.Int(5)
		if !ok {
			return
		}
		if n < 0 {
			n = 10
		}
		count = n
	}
	sf, err := c.Tx.XInfoStreamFull(c.DB(), key, count)
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Map(9)
	writeStreamCounters(c.r, sf.Length, sf.Nodes, sf.RaxNodes, &sf.State)
	c.r.BulkString("entries")
	writeStreamEntries(c.r, sf.Entries)
	c.r.BulkString("groups")
	c.r.Array(len(sf.Groups))
	for i := range sf.Groups {
		g := &sf.Groups[i]
		c.r.Map(7)
		c.r.BulkString("name")
		c.r.Bulk(g.Name)
		writeGroupCounters(c.r, &g.GroupInfo)
		c.r.BulkString("pel-count")
		c.r.Int(g.Pending)
		c.r.BulkString("pending")
		c.r.Array(len(g.PEL))
		for _, pe := range g.PEL {
			c.r.Array(4)
			writeStreamID(c.r, pe.ID)
			c.r.Bulk(pe.Consumer)
			c.r.Int(pe.DeliveryTime)
			c.r.Int(pe.DeliveryCount)
		}
		c.r.BulkString("consumers")
		c.r.Array(len(g.Consumers))
		for _, ci := range g.Consumers {
			c.r.Map(4)
			c.r.BulkString("name")
			c.r.Bulk(ci.Name)
			c.r.BulkString("seen-time")
			c.r.Int(ci.SeenTime)
			c.r.BulkString("pel-count")
			c.r.Int(ci.Pending)
			c.r.BulkString("pending")
			c.r.Array(len(ci.PEL))
			for _, pe := range ci.PEL {
				c.r.Array(3)
				writeStreamID(c.r, pe.ID)
				c.r.Int(pe.DeliveryTime)
				c.r.Int(pe.DeliveryCount)
			}
		}
	}
}
