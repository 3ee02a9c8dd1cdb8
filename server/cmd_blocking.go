package server

import (
	"bytes"

	"moonstone/codec"
	"moonstone/storage"
)

// Blocking list and sorted-set commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
// BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP. Each first tries its non-blocking
// form; with nothing to pop it blocks (blocking.go), or, inside MULTI or a
// script, replies as if it had timed out, as Redis 7.0 does. The argument
// checks run in Redis's order: BLMPOP and BZMPOP parse numkeys, the
// direction and COUNT before the timeout; the others the timeout first
// (BLMOVE its directions first).

// cmdBPop serves BLPOP and BRPOP key [key ...] timeout.
func cmdBPop(c *Call) {
	end := storage.ListRight
	if c.Cmd.Name == "blpop" {
		end = storage.ListLeft
	}
	timeout, ok := c.BlockTimeout(len(c.Args) - 1)
	if !ok {
		return
	}
	keys := c.Args[1 : len(c.Args)-1]
	key, vals, err := c.Tx.ListMPop(c.DB(), keys, end, 1)
	switch {
	case err != nil:
		c.Err(err)
	case key != nil:
		c.r.Array(2)
		c.r.Bulk(key)
		c.r.Bulk(vals[0])
	case !c.CanBlock():
		c.r.NullArray()
	default:
		c.Block(codec.TypeList, keys, timeout, func(c *Call, key []byte) bool {
			vals, ok, err := c.Tx.ListPop(c.DB(), key, end, 1)
			switch {
			case err != nil:
				c.Err(err)
			case !ok || len(vals) == 0:
				return false
			default:
				c.r.Array(2)
				c.r.Bulk(key)
				c.r.Bulk(vals[0])
			}
			return true
		})
	}
}

// cmdBLMove serves BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
// and BRPOPLPUSH source destination timeout. As in Redis, only the source
// decides whether the client blocks; the destination's type is checked
// when an element moves (a wrong type then unblocks it with WRONGTYPE).
func cmdBLMove(c *Call) {
	from, to := storage.ListRight, storage.ListLeft
	at := 3
	if c.Cmd.Name == "blmove" {
		var ok bool
		if from, ok = c.listEnd(3); !ok {
			return
		}
		if to, ok = c.listEnd(4); !ok {
			return
		}
		at = 5
	}
	timeout, ok := c.BlockTimeout(at)
	if !ok {
		return
	}
	src, dst := c.Args[1], c.Args[2]
	n, err := c.Tx.ListLen(c.DB(), src)
	switch {
	case err != nil:
		c.Err(err)
	case n > 0:
		v, ok, err := c.Tx.ListMove(c.DB(), src, dst, from, to)
		if err != nil {
			c.Err(err)
			return
		}
		bulkOrNull(c.r, v, ok)
	case !c.CanBlock():
		c.r.Null()
	default:
		c.Block(codec.TypeList, [][]byte{src}, timeout, func(c *Call, key []byte) bool {
			if !bytes.Equal(key, src) {
				return false
			}
			v, ok, err := c.Tx.ListMove(c.DB(), src, dst, from, to)
			switch {
			case err != nil:
				c.Err(err)
			case !ok:
				return false
			default:
				c.r.Bulk(v)
			}
			return true
		})
	}
}

// cmdBLMPop serves BLMPOP timeout numkeys key [key ...] LEFT|RIGHT
// [COUNT count].
func cmdBLMPop(c *Call) {
	keys, end, count, ok := c.lmpopArgs(2)
	if !ok {
		return
	}
	timeout, ok := c.BlockTimeout(1)
	if !ok {
		return
	}
	key, vals, err := c.Tx.ListMPop(c.DB(), keys, end, count)
	switch {
	case err != nil:
		c.Err(err)
	case key != nil:
		c.r.Array(2)
		c.r.Bulk(key)
		bulkStrings(c.r, vals)
	case !c.CanBlock():
		c.r.NullArray()
	default:
		c.Block(codec.TypeList, keys, timeout, func(c *Call, key []byte) bool {
			vals, ok, err := c.Tx.ListPop(c.DB(), key, end, count)
			switch {
			case err != nil:
				c.Err(err)
			case !ok || len(vals) == 0:
				return false
			default:
				c.r.Array(2)
				c.r.Bulk(key)
				bulkStrings(c.r, vals)
			}
			return true
		})
	}
}

// cmdBZPop serves BZPOPMIN and BZPOPMAX key [key ...] timeout.
func cmdBZPop(c *Call) {
	max := c.Cmd.Name == "bzpopmax"
	timeout, ok := c.BlockTimeout(len(c.Args) - 1)
	if !ok {
		return
	}
	keys := c.Args[1 : len(c.Args)-1]
	key, popped, err := c.Tx.ZMPop(c.DB(), keys, max, 1)
	switch {
	case err != nil:
		c.Err(err)
	case key != nil:
		replyBZPop(c.r, key, popped[0])
	case !c.CanBlock():
		c.r.NullArray()
	default:
		c.Block(codec.TypeZSet, keys, timeout, func(c *Call, key []byte) bool {
			popped, err := c.Tx.ZPop(c.DB(), key, max, 1)
			switch {
			case err != nil:
				c.Err(err)
			case len(popped) == 0:
				return false
			default:
				replyBZPop(c.r, key, popped[0])
			}
			return true
		})
	}
}

func replyBZPop(r Reply, key []byte, zm storage.ZMember) {
	r.Array(3)
	r.Bulk(key)
	r.Bulk(zm.Member)
	r.Double(zm.Score)
}

// cmdBZMPop serves BZMPOP timeout numkeys key [key ...] MIN|MAX
// [COUNT count].
func cmdBZMPop(c *Call) {
	keys, max, count, ok := c.zmpopArgs(2)
	if !ok {
		return
	}
	timeout, ok := c.BlockTimeout(1)
	if !ok {
		return
	}
	key, popped, err := c.Tx.ZMPop(c.DB(), keys, max, count)
	switch {
	case err != nil:
		c.Err(err)
	case key != nil:
		replyZMPop(c.r, key, popped)
	case !c.CanBlock():
		c.r.NullArray()
	default:
		c.Block(codec.TypeZSet, keys, timeout, func(c *Call, key []byte) bool {
			popped, err := c.Tx.ZPop(c.DB(), key, max, count)
			switch {
			case err != nil:
				c.Err(err)
			case len(popped) == 0:
				return false
			default:
				replyZMPop(c.r, key, popped)
			}
			return true
		})
	}
}

// blmpopKeys locates BLMPOP's and BZMPOP's keys: numkeys of them after
// numkeys, which follows the timeout.
func blmpopKeys(args [][]byte) []int { return numkeysKeys(args, 2, 0) }
