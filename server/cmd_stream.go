package server

import (
	"fmt"
	"math"
	"time"

	"moonstone/codec"
	"moonstone/storage"
)

// Stream commands: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID and
// the replies they share. Consumer groups are in cmd_stream_group.go,
// XREAD and XREADGROUP in cmd_stream_read.go. Argument checks follow
// Redis's t_stream.c step by step, because which error a bad command gets
// depends on their order.

const errInvalidStreamID = "ERR Invalid stream ID specified as stream command argument"

// streamID parses argument i as a stream id (Redis's
// streamGenericParseIDOrReply).
func (c *Call) streamID(i int, missingSeq uint64, strict bool) (codec.StreamID, bool) {
	id, _, ok := codec.ParseStreamID(c.Args[i], missingSeq, strict, false)
	if !ok {
		c.Error(errInvalidStreamID)
	}
	return id, ok
}

// streamIntervalStart and streamIntervalEnd parse a range bound, with "("
// for an exclusive one (Redis's streamParseIntervalIDOrReply).
func (c *Call) streamIntervalStart(i int) (codec.StreamID, bool) {
	id, ex, ok := c.streamInterval(i, 0)
	if !ok {
		return id, false
	}
	if ex {
		if id, ok = id.Incr(); !ok {
			c.Error("ERR invalid start ID for the interval")
			return id, false
		}
	}
	return id, true
}

func (c *Call) streamIntervalEnd(i int) (codec.StreamID, bool) {
	id, ex, ok := c.streamInterval(i, math.MaxUint64)
	if !ok {
		return id, false
	}
	if ex {
		if id, ok = id.Decr(); !ok {
			c.Error("ERR invalid end ID for the interval")
			return id, false
		}
	}
	return id, true
}

func (c *Call) streamInterval(i int, missingSeq uint64) (id codec.StreamID, exclude, ok bool) {
	a := c.Args[i]
	if len(a) > 1 && a[0] == '(' {
		id, _, ok = codec.ParseStreamID(a[1:], missingSeq, true, false)
		exclude = true
	} else {
		id, _, ok = codec.ParseStreamID(a, missingSeq, false, false)
	}
	if !ok {
		c.Error(errInvalidStreamID)
	}
	return id, exclude, ok
}

// writeStreamID writes an id as a bulk string.
func writeStreamID(r Reply, id codec.StreamID) { r.BulkString(id.String()) }

// writeStreamEntry writes [id, [field, value, ...]] (a null array for the
// fields of a pending entry that was deleted).
func writeStreamEntry(r Reply, e *storage.StreamEntry) {
	r.Array(2)
	writeStreamID(r, e.ID)
	if e.Fields == nil {
		r.NullArray()
		return
	}
	bulkStrings(r, e.Fields)
}

func writeStreamEntries(r Reply, es []storage.StreamEntry) {
	r.Array(len(es))
	for i := range es {
		writeStreamEntry(r, &es[i])
	}
}

func (c *Call) streamNodeLimits() storage.StreamNodeLimits {
	return storage.StreamNodeLimits{
		MaxEntries: int64(c.Srv.cfg.int("stream-node-max-entries")),
		MaxBytes:   int64(c.Srv.cfg.int("stream-node-max-bytes")),
	}
}

// parseStreamTrim parses XADD's and XTRIM's options (Redis's
// streamParseAddOrTrimArgsOrReply). For XADD it stops at the id and
// returns its position, filling a; ok false means it replied.
func (c *Call) parseStreamTrim(xadd bool, a *storage.XAddArgs) (int, bool) {
	t := &a.Trim
	limitGiven := false
	i := 2
	for ; i < len(c.Args); i++ {
		more := len(c.Args) - 1 - i
		opt := c.Args[i]
		switch {
		case xadd && string(opt) == "*":
		case c.ArgIs(i, "maxlen") && more > 0, c.ArgIs(i, "minid") && more > 0:
			if t.Strategy != storage.TrimNone {
				c.Error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
				return 0, false
			}
			isMaxLen := c.ArgIs(i, "maxlen")
			t.Approx = false
			next := string(c.Args[i+1])
			if more >= 2 && next == "~" {
				t.Approx = true
				i++
			} else if more >= 2 && next == "=" {
				i++
			}
			if isMaxLen {
				n, ok := c.Int(i + 1)
				if !ok {
					return 0, false
				}
				if n < 0 {
					c.Error("ERR The MAXLEN argument must be >= 0.")
					return 0, false
				}
				t.MaxLen, t.Strategy = n, storage.TrimMaxLen
			} else {
				id, ok := c.streamID(i+1, 0, true)
				if !ok {
					return 0, false
				}
				t.MinID, t.Strategy = id, storage.TrimMinID
			}
			i++
			continue
		case c.ArgIs(i, "limit") && more > 0:
			n, ok := c.Int(i + 1)
			if !ok {
				return 0, false
			}
			if n < 0 {
				c.Error("ERR The LIMIT argument must be >= 0.")
				return 0, false
			}
			t.Limit, limitGiven = n, true
			i++
			continue
		case xadd && c.ArgIs(i, "nomkstream"):
			a.NoMkStream = true
			continue
		case xadd:
			id, seqGiven, ok := codec.ParseStreamID(opt, 0, true, true)
			if !ok {
				c.Error(errInvalidStreamID)
				return 0, false
			}
			a.ID, a.SeqGiven, a.IDGiven = id, seqGiven, true
		default:
			c.Error(errSyntax)
			return 0, false
		}
		break
	}
	if t.Limit != 0 && t.Strategy == storage.TrimNone {
		c.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
		return 0, false
	}
	if !xadd && t.Strategy == storage.TrimNone {
		c.Error("ERR syntax error, XTRIM must be called with a trimming strategy")
		return 0, false
	}
	switch {
	case limitGiven && !t.Approx:
		c.Error("ERR syntax error, LIMIT cannot be used without the special ~ option")
		return 0, false
	case !limitGiven && t.Approx:
		t.Limit = 100 * c.streamNodeLimits().MaxEntries
		if t.Limit <= 0 {
			t.Limit = 10000
		}
		if t.Limit > 1000000 {
			t.Limit = 1000000
		}
	case !limitGiven:
		t.Limit = 0
	}
	return i, true
}

func cmdXAdd(c *Call) {
	a := storage.XAddArgs{Nodes: c.streamNodeLimits()}
	idPos, ok := c.parseStreamTrim(true, &a)
	if !ok {
		return
	}
	fieldPos := idPos + 1
	if n := len(c.Args) - fieldPos; n < 2 || n%2 == 1 {
		c.Error(errArity(c.Cmd.Name))
		return
	}
	if a.IDGiven && a.SeqGiven && a.ID.IsZero() {
		c.Error("ERR The ID specified in XADD must be greater than 0-0")
		return
	}
	a.Fields = c.Args[fieldPos:]
	id, ok, err := c.Tx.XAdd(c.DB(), c.Args[1], &a)
	if err != nil {
		c.Err(err)
		return
	}
	if !ok {
		c.r.Null()
		return
	}
	c.Notify(notifyStream, "xadd", c.Args[1])
	if a.Trimmed > 0 {
		c.Notify(notifyStream, "xtrim", c.Args[1])
	}
	writeStreamID(c.r, id)
}

func cmdXLen(c *Call) {
	n, err := c.Tx.XLen(c.DB(), c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Int(n)
}

// cmdXRange serves XRANGE key start end and XREVRANGE key end start.
func cmdXRange(c *Call) {
	rev := c.Cmd.Name == "xrevrange"
	si, ei := 2, 3
	if rev {
		si, ei = 3, 2
	}
	start, ok := c.streamIntervalStart(si)
	if !ok {
		return
	}
	end, ok := c.streamIntervalEnd(ei)
	if !ok {
		return
	}
	count := int64(-1)
	for j := 4; j < len(c.Args); j++ {
		if c.ArgIs(j, "count") && j+1 < len(c.Args) {
			n, ok := c.Int(j + 1)
			if !ok {
				return
			}
			count = max(n, 0)
			j++
			continue
		}
		c.Error(errSyntax)
		return
	}
	t, err := c.Tx.Type(c.DB(), c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	switch {
	case t == codec.TypeNone:
		c.r.Array(0)
		return
	case t != codec.TypeStream:
		c.Err(storage.ErrWrongType)
		return
	case count == 0:
		c.r.NullArray()
		return
	}
	es, err := c.Tx.XRange(c.DB(), c.Args[1], start, end, count, rev)
	if err != nil {
		c.Err(err)
		return
	}
	writeStreamEntries(c.r, es)
}

// streamExists checks key before commands that answer 0 for an absent key
// ahead of parsing the rest (XDEL): ok false means it replied.
func (c *Call) streamExists(key []byte) (exists, ok bool) {
	t, err := c.Tx.Type(c.DB(), key)
	switch {
	case err != nil:
		c.Err(err)
		return false, false
	case t == codec.TypeNone:
		return false, true
	case t != codec.TypeStream:
		c.Err(storage.ErrWrongType)
		return false, false
	}
	return true, true
}

// parseStreamIDs parses arguments from i on as strict ids.
func (c *Call) parseStreamIDs(i int) ([]codec.StreamID, bool) {
	ids := make([]codec.StreamID, 0, len(c.Args)-i)
	for j := i; j < len(c.Args); j++ {
		id, ok := c.streamID(j, 0, true)
		if !ok {
			return nil, false
		}
		ids = append(ids, id)
	}
	return ids, true
}

func cmdXDel(c *Call) {
	exists, ok := c.streamExists(c.Args[1])
	if !ok {
		return
	}
	if !exists {
		c.r.Int(0)
		return
	}
	ids, ok := c.parseStreamIDs(2)
	if !ok {
		return
	}
	n, err := c.Tx.XDel(c.DB(), c.Args[1], ids)
	if err != nil {
		c.Err(err)
		return
	}
	if n > 0 {
		c.Notify(notifyStream, "xdel", c.Args[1])
	}
	c.r.Int(n)
}

func cmdXTrim(c *Call) {
	var a storage.XAddArgs
	if _, ok := c.parseStreamTrim(false, &a); !ok {
		return
	}
	n, err := c.Tx.XTrim(c.DB(), c.Args[1], &a.Trim)
	if err != nil {
		c.Err(err)
		return
	}
	if n > 0 {
		c.Notify(notifyStream, "xtrim", c.Args[1])
	}
	c.r.Int(n)
}

func cmdXSetID(c *Call) {
	id, ok := c.streamID(2, 0, true)
	if !ok {
		return
	}
	entriesAdded := int64(-1)
	var maxDeleted codec.StreamID
	for i := 3; i < len(c.Args); i += 2 {
		more := len(c.Args) - 1 - i
		switch {
		case c.ArgIs(i, "entriesadded") && more > 0:
			n, ok := c.Int(i + 1)
			if !ok {
				return
			}
			if n < 0 {
				c.Error("ERR entries_added must be positive")
				return
			}
			entriesAdded = n
		case c.ArgIs(i, "maxdeletedid") && more > 0:
			if maxDeleted, ok = c.streamID(i+1, 0, true); !ok {
				return
			}
			if id.Compare(maxDeleted) < 0 {
				c.Error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
				return
			}
		default:
			c.Error(errSyntax)
			return
		}
	}
	if err := c.Tx.XSetID(c.DB(), c.Args[1], id, entriesAdded, maxDeleted); err != nil {
		c.Err(err)
		return
	}
	c.Notify(notifyStream, "xsetid", c.Args[1])
	c.OK()
}

// nowMs is the server clock in unix milliseconds.
func nowMs() int64 { return time.Now().UnixMilli() }

// noGroupError words ErrNoGroup for commands that name key and group.
func noGroupError(key, group []byte, suffix string) string {
	return sanitize(fmt.Sprintf("NOGROUP No such key '%s' or consumer group '%s'%s", cString(key), cString(group), suffix))
}

// cString is what a C "%s" prints of b: up to its first NUL.
func cString(b []byte) string {
	for i, ch := range b {
		if ch == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
