package server

import (
	"errors"
	"fmt"
	"math"
	"time"

	"moonstone/codec"
	"moonstone/storage"
)

// XREAD and XREADGROUP (Redis's xreadCommand): parse, then serve every key
// that has something for the caller, or block.

// streamRead is one parsed XREAD / XREADGROUP.
type streamRead struct {
	keys            [][]byte
	ids             []codec.StreamID // for ">", codec.MaxStreamID
	group, consumer []byte           // XREADGROUP only
	noAck           bool
	count           int64 // 0: no limit
	timeout         int64 // ms; -1: no BLOCK
}

// xreadBlockedDefaultCount is what a blocked XREAD without COUNT gets.
const xreadBlockedDefaultCount = 1000

func cmdXRead(c *Call) {
	sr, ok := c.parseStreamRead()
	if !ok {
		return
	}
	served, ok := c.serveStreamRead(sr)
	if !ok || served {
		return
	}
	if sr.timeout == -1 || !c.canBlock {
		// Inside MULTI or a script Redis answers as if the timeout passed.
		c.r.NullArray()
		return
	}
	if sr.timeout > 0 && sr.timeout > math.MaxInt64-nowMs() {
		// Redis's deadline overflows into the past: an immediate timeout.
		c.r.NullArray()
		return
	}
	if c.Tx.Writable() {
		c.blockStreamRead(sr)
		return
	}
	// XREAD is read-only and ran on a snapshot. Registering a waiter needs
	// the write lock, so that no XADD falls between the check and the
	// registration: take it, look again, then block.
	wtx := c.Srv.beginWrite()
	if wtx == nil {
		c.Error(errBusy)
		return
	}
	// Writes that arrived after this read waited for its note (arrival.go);
	// holding the gate, it is ahead of them.
	c.Conn.note.clear()
	rtx := c.Tx
	c.Tx = wtx
	defer func() {
		c.Tx = rtx
		wtx.Discard() // nothing was written
		c.Srv.endWrite()
	}()
	if served, ok := c.serveStreamRead(sr); !ok || served {
		return
	}
	c.blockStreamRead(sr)
}

// inScript reports whether the call comes from redis.call.
func (c *Call) inScript() bool { return c.Conn == nil || c.r != c.Conn.reply }

// blockStreamRead blocks the client until one of sr's keys has entries
// for it (Redis's serveClientsBlockedOnStreamKey), or the timeout.
func (c *Call) blockStreamRead(sr *streamRead) {
	var timeout time.Duration
	if sr.timeout > 0 && sr.timeout <= math.MaxInt64/int64(time.Millisecond) {
		timeout = time.Duration(sr.timeout) * time.Millisecond
	}
	serve := func(c *Call, key []byte) bool { return c.serveBlockedStream(sr, key) }
	if sr.group == nil {
		// XREAD keeps waiting when its key is deleted or replaced.
		c.Block(codec.TypeStream, sr.keys, timeout, serve)
		return
	}
	c.BlockOrGone(codec.TypeStream, sr.keys, timeout, serve, func(c *Call, key []byte) {
		c.Error("UNBLOCKED the stream key no longer exists")
	})
}

// serveBlockedStream serves a blocked XREAD / XREADGROUP once key became
// ready; false leaves the client blocked.
func (c *Call) serveBlockedStream(sr *streamRead, key []byte) bool {
	i := 0
	for i < len(sr.keys) && string(sr.keys[i]) != string(key) {
		i++
	}
	if i == len(sr.keys) {
		return false
	}
	si, err := c.Tx.XStreamInfo(c.DB(), key, sr.group)
	if err != nil || !si.Exists {
		return false // offered only streams; a gone key goes to gone
	}
	gt := sr.ids[i]
	if sr.group != nil {
		if !si.GroupExists {
			c.Error("NOGROUP the consumer group this client was blocked on no longer exists")
			return true
		}
		gt = si.GroupLastID
	}
	// Redis checks the last generated id, but is only woken by XADD; here
	// every write to the stream (XDEL, XSETID, ...) wakes the waiters, so
	// serve only when there is an entry to give.
	if si.Length == 0 || si.LastValidID.Compare(gt) <= 0 {
		return false
	}
	count := sr.count
	if count == 0 {
		count = xreadBlockedDefaultCount
	}
	var es []storage.StreamEntry
	if sr.group != nil {
		created := c.consumerCreation(key, sr.group, sr.consumer)
		es, err = c.Tx.XReadGroup(c.DB(), key, &storage.XReadGroupArgs{
			Group: sr.group, Consumer: sr.consumer, After: gt, Count: count, NoAck: sr.noAck,
		})
		if err == nil {
			created()
		}
	} else {
		es, err = c.Tx.XRead(c.DB(), key, gt, count)
	}
	if err != nil {
		c.Err(err)
		return true
	}
	c.writeStreamRead([]streamReadResult{{key: key, entries: es}})
	return true
}

func (c *Call) parseStreamRead() (*streamRead, bool) {
	name := c.Cmd.Name
	xreadgroup := name == "xreadgroup"
	sr := &streamRead{timeout: -1}
	streamsArg := 0
	for i := 1; i < len(c.Args); i++ {
		more := len(c.Args) - i - 1
		switch {
		case c.ArgIs(i, "block") && more > 0:
			if c.inScript() {
				c.Error(fmt.Sprintf("ERR %s command is not allowed with BLOCK option from scripts", c.Args[0]))
				return nil, false
			}
			i++
			n, ok := codec.ParseInt(c.Args[i])
			if !ok {
				c.Error("ERR timeout is not an integer or out of range")
				return nil, false
			}
			if n < 0 {
				c.Error(errTimeoutNegative)
				return nil, false
			}
			sr.timeout = n
		case c.ArgIs(i, "count") && more > 0:
			i++
			n, ok := c.Int(i)
			if !ok {
				return nil, false
			}
			sr.count = max(n, 0)
		case c.ArgIs(i, "streams") && more > 0:
			streamsArg = i + 1
			n := len(c.Args) - streamsArg
			if n%2 != 0 {
				c.Error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
				return nil, false
			}
			sr.keys = c.Args[streamsArg : streamsArg+n/2]
			i = len(c.Args)
		case c.ArgIs(i, "group") && more >= 2:
			if !xreadgroup {
				c.Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
				return nil, false
			}
			sr.group, sr.consumer = c.Args[i+1], c.Args[i+2]
			i += 2
		case c.ArgIs(i, "noack"):
			if !xreadgroup {
				c.Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
				return nil, false
			}
			sr.noAck = true
		default:
			c.Error(errSyntax)
			return nil, false
		}
	}
	if streamsArg == 0 {
		c.Error(errSyntax)
		return nil, false
	}
	if xreadgroup && sr.group == nil {
		c.Error("ERR Missing GROUP option for XREADGROUP")
		return nil, false
	}
	n := len(sr.keys)
	sr.ids = make([]codec.StreamID, n)
	for i := 0; i < n; i++ {
		key, arg := sr.keys[i], c.Args[streamsArg+n+i]
		si, err := c.Tx.XStreamInfo(c.DB(), key, sr.group)
		if err != nil {
			c.Err(err)
			return nil, false
		}
		if sr.group != nil && !si.GroupExists {
			c.Error(noGroupError(key, sr.group, " in XREADGROUP with GROUP option"))
			return nil, false
		}
		switch string(arg) {
		case "$":
			if xreadgroup {
				c.Error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
				return nil, false
			}
			sr.ids[i] = si.LastID
			continue
		case ">":
			if !xreadgroup {
				c.Error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
				return nil, false
			}
			sr.ids[i] = codec.MaxStreamID
			continue
		}
		id, ok := c.streamID(streamsArg+n+i, 0, true)
		if !ok {
			return nil, false
		}
		sr.ids[i] = id
	}
	return sr, true
}

// streamReadResult is what one key gives a read.
type streamReadResult struct {
	key     []byte
	entries []storage.StreamEntry
}

// readStreams serves every key that has entries for sr, in key order;
// nothing served means the caller may block.
func (c *Call) readStreams(sr *streamRead) ([]streamReadResult, error) {
	var out []streamReadResult
	for i, key := range sr.keys {
		si, err := c.Tx.XStreamInfo(c.DB(), key, sr.group)
		if err != nil {
			return nil, err
		}
		if !si.Exists {
			continue
		}
		gt := sr.ids[i]
		serve, history := false, false
		if sr.group != nil {
			if !si.GroupExists {
				return nil, storage.ErrNoGroup
			}
			if gt != codec.MaxStreamID {
				serve, history = true, true
			} else if si.Length > 0 && si.LastValidID.Compare(si.GroupLastID) > 0 {
				serve, gt = true, si.GroupLastID
			}
		} else {
			serve = si.Length > 0 && si.LastValidID.Compare(gt) > 0
		}
		if !serve {
			continue
		}
		var es []storage.StreamEntry
		if sr.group != nil {
			created := c.consumerCreation(key, sr.group, sr.consumer)
			es, err = c.Tx.XReadGroup(c.DB(), key, &storage.XReadGroupArgs{
				Group: sr.group, Consumer: sr.consumer, After: gt, History: history,
				Count: sr.count, NoAck: sr.noAck,
			})
			if err == nil {
				created()
			}
		} else {
			es, err = c.Tx.XRead(c.DB(), key, gt, sr.count)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, streamReadResult{key: key, entries: es})
	}
	return out, nil
}

// serveStreamRead replies with what the keys have now; served false (and
// nothing written) when no key had anything. ok false means it replied
// with an error.
func (c *Call) serveStreamRead(sr *streamRead) (served, ok bool) {
	res, err := c.readStreams(sr)
	if err != nil {
		c.streamReadErr(err, sr)
		return false, false
	}
	if len(res) == 0 {
		return false, true
	}
	c.writeStreamRead(res)
	return true, true
}

func (c *Call) streamReadErr(err error, sr *streamRead) {
	if errors.Is(err, storage.ErrNoGroup) {
		c.Error("NOGROUP the consumer group this client was blocked on no longer exists")
		return
	}
	c.Err(err)
}

func (c *Call) writeStreamRead(res []streamReadResult) {
	resp3 := c.Conn != nil && c.Conn.resp == 3
	if resp3 {
		c.r.Map(len(res))
	} else {
		c.r.Array(len(res))
	}
	for _, r := range res {
		if !resp3 {
			c.r.Array(2)
		}
		c.r.Bulk(r.key)
		writeStreamEntries(c.r, r.entries)
	}
}

// cmdXReadGroup is XREAD with GROUP (the same parser tells them apart).
func cmdXReadGroup(c *Call) { cmdXRead(c) }

// xreadKeys locates XREAD's and XREADGROUP's keys: the first half of the
// arguments after STREAMS (searched from argument from on).
func xreadKeys(from int) func(args [][]byte) []int {
	return func(args [][]byte) []int {
		for i := from; i < len(args); i++ {
			if !equalFold(args[i], "streams") {
				continue
			}
			n := (len(args) - i - 1) / 2
			out := make([]int, n)
			for j := range out {
				out[j] = i + 1 + j
			}
			return out
		}
		return nil
	}
}

func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		ch := b[i]
		if ch >= 'A' && ch <= 'Z' {
			ch += 32
		}
		if ch != s[i] {
			return false
		}
	}
	return true
}
