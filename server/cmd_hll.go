package server

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"

	"moonstone/codec"
	"moonstone/storage"
)

// HyperLogLog: PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST.
//
// An HLL is a string value in Redis's layout (codec/hll.go): each command
// reads the string with the ordinary string storage, changes it with the
// codec, and writes it back keeping its expiry, so GET, SETRANGE, DUMP and
// the rest see Redis's bytes. An error leaves the value untouched: a
// corrupted value found halfway through a PFADD's elements keeps none of
// them (Redis keeps the registers set before the bad step).
//
// PFCOUNT of one key stores the count it computes in the value's cached
// cardinality, as Redis does, though Redis flags it readonly. Moonstone
// keeps the flag, so a client's PFCOUNT runs on a snapshot like any read;
// only when the cache is stale does it take the write lock, look again,
// and store the count if the value is still the one it counted. Inside
// MULTI and scripts it already runs in a write transaction and stores the
// count there. PFCOUNT of several keys counts their union and writes
// nothing.

const (
	errNotHLL     = "WRONGTYPE Key is not a valid HyperLogLog string value."
	errCorruptHLL = "INVALIDOBJ Corrupted HLL object detected"
)

// hllAt reads key as an HLL: nil for a missing key. It replies and returns
// false when the key holds another type or a string that is not an HLL.
// lookup counts the read in keyspace_hits / misses, as Redis does for
// keys it reads (not for the key a command writes).
func (c *Call) hllAt(key []byte, lookup bool) (*codec.HLL, bool) {
	// Tx.Get returns the caller's own copy: the codec changes it in place.
	v, ok, err := c.Tx.Get(c.DB(), key)
	if err != nil {
		c.Err(err)
		return nil, false
	}
	if lookup {
		c.Srv.countLookup(ok)
	}
	if !ok {
		return nil, true
	}
	h, err := codec.ParseHLL(v)
	if err != nil {
		c.Error(errNotHLL)
		return nil, false
	}
	return h, true
}

// storeHLL writes h as key's value, keeping the key's expiry.
func (c *Call) storeHLL(key []byte, h *codec.HLL) bool {
	if _, err := c.Tx.Set(c.DB(), key, h.Bytes(), storage.SetOptions{KeepTTL: true, Encoding: codec.StringRaw}); err != nil {
		c.Err(err)
		return false
	}
	return true
}

// hllSparseMax is hll-sparse-max-bytes: the longest a sparse value grows
// before it turns dense.
func (c *Call) hllSparseMax() int { return c.Srv.cfg.int("hll-sparse-max-bytes") }

func cmdPFAdd(c *Call) {
	key := c.Args[1]
	h, ok := c.hllAt(key, false)
	if !ok {
		return
	}
	updated := h == nil // creating the key is a change, with or without elements
	if h == nil {
		h = codec.NewHLL()
	}
	sparseMax := c.hllSparseMax()
	for _, elem := range c.Args[2:] {
		changed, err := h.Add(elem, sparseMax)
		if err != nil {
			c.Error(errCorruptHLL)
			return
		}
		updated = updated || changed
	}
	if updated {
		h.InvalidateCache()
		if !c.storeHLL(key, h) {
			return
		}
		c.Notify(notifyString, "pfadd", key)
	}
	c.r.Int(boolInt(updated))
}

func cmdPFCount(c *Call) {
	if len(c.Args) > 2 {
		pfCountUnion(c)
		return
	}
	key := c.Args[1]
	h, ok := c.hllAt(key, true)
	if !ok {
		return
	}
	if h == nil {
		c.r.Int(0)
		return
	}
	if n, valid := h.CachedCount(); valid {
		c.r.Int(int64(n))
		return
	}
	n, err := h.Count()
	if err != nil {
		c.Error(errCorruptHLL)
		return
	}
	h.SetCachedCount(n)
	if c.Tx.Writable() {
		if !c.storeHLL(key, h) {
			return
		}
	} else {
		c.storeHLLCount(key, h)
	}
	// The count as Redis replies it: a cache with its top bit set (only a
	// crafted value gives one) goes out as a negative number.
	c.r.Int(int64(n))
}

// storeHLLCount stores the count of a client's PFCOUNT, which ran on a
// snapshot: under the write lock, in a transaction of its own, if key
// still holds the value counted (h, count aside) with a stale cache.
// When a busy script holds the lock, or the value changed meanwhile, the
// cache stays stale for a later PFCOUNT to fill. PFCOUNT is not flagged
// fast, so its read is a snapshot: a point read (storage.BeginPointRead)
// holds commits off, and this commit would wait for it forever.
func (c *Call) storeHLLCount(key []byte, h *codec.HLL) {
	s := c.Srv
	tx := s.beginWrite()
	if tx == nil {
		return
	}
	defer s.endWrite()
	if s.pause.inForce() {
		// A pause began after dispatch let this PFCOUNT through: nothing
		// may commit during it (pause.go), so the cache stays stale.
		tx.Discard()
		return
	}
	cur, ok, err := tx.Get(c.DB(), key)
	counted := h.Bytes()
	same := err == nil && ok && len(cur) == len(counted) &&
		bytes.Equal(cur[:8], counted[:8]) && bytes.Equal(cur[16:], counted[16:])
	if same {
		cached, _ := codec.ParseHLL(cur)
		_, valid := cached.CachedCount()
		same = !valid
	}
	if !same {
		tx.Discard()
		return
	}
	if _, err := tx.Set(c.DB(), key, counted, storage.SetOptions{KeepTTL: true, Encoding: codec.StringRaw}); err != nil {
		tx.Discard()
		return
	}
	s.commitAndWait(tx, c.Conn)
}

// pfCountUnion is PFCOUNT of several keys: the count of their union,
// missing keys counting as empty HLLs.
func pfCountUnion(c *Call) {
	var raw codec.HLLRaw
	for _, key := range c.Args[1:] {
		h, ok := c.hllAt(key, true)
		if !ok {
			return
		}
		if h == nil {
			continue
		}
		if err := h.MergeInto(&raw); err != nil {
			c.Error(errCorruptHLL)
			return
		}
	}
	c.r.Int(int64(raw.Count()))
}

// cmdPFMerge merges the HLLs of every key, the destination's own included,
// into the destination. As in Redis, the destination turns dense when any
// input is dense, and otherwise takes the union register by register, so
// it stays sparse while it fits.
func cmdPFMerge(c *Call) {
	var raw codec.HLLRaw
	var dest *codec.HLL
	dense := false
	for i, key := range c.Args[1:] {
		h, ok := c.hllAt(key, true)
		if !ok {
			return
		}
		if h == nil {
			continue
		}
		dense = dense || !h.Sparse()
		if err := h.MergeInto(&raw); err != nil {
			c.Error(errCorruptHLL)
			return
		}
		if i == 0 {
			dest = h
		}
	}
	if dest == nil {
		dest = codec.NewHLL()
	}
	if dense {
		if _, err := dest.ToDense(); err != nil {
			c.Error(errCorruptHLL)
			return
		}
	}
	if err := dest.SetAll(&raw, c.hllSparseMax()); err != nil {
		c.Error(errCorruptHLL)
		return
	}
	dest.InvalidateCache()
	if !c.storeHLL(c.Args[1], dest) {
		return
	}
	c.Notify(notifyString, "pfadd", c.Args[1])
	c.OK()
}

// cmdPFDebug is PFDEBUG GETREG | DECODE | ENCODING | TODENSE key. GETREG
// and TODENSE turn a sparse value dense, and store it.
func cmdPFDebug(c *Call) {
	key := c.Args[2]
	h, ok := c.hllAt(key, false)
	if !ok {
		return
	}
	if h == nil {
		c.Error("ERR The specified key does not exist")
		return
	}
	sub := string(c.Args[1])
	switch strings.ToLower(sub) {
	case "getreg":
		if !c.hllToDense(key, h) {
			return
		}
		regs, _ := h.Registers() // dense: cannot fail
		c.r.Array(len(regs))
		for _, v := range regs {
			c.r.Int(int64(v))
		}
	case "decode":
		if !h.Sparse() {
			c.Error("ERR HLL encoding is not sparse")
			return
		}
		c.r.BulkString(h.DecodeSparse())
	case "encoding":
		if h.Sparse() {
			c.r.Status("sparse")
		} else {
			c.r.Status("dense")
		}
	case "todense":
		wasSparse := h.Sparse()
		if !c.hllToDense(key, h) {
			return
		}
		c.r.Int(boolInt(wasSparse))
	default:
		c.Error(sanitize(fmt.Sprintf("ERR Unknown PFDEBUG subcommand '%s'", sub)))
	}
}

// hllToDense turns key's sparse value h dense and stores it; a dense one
// is left alone. It replies and returns false on error.
func (c *Call) hllToDense(key []byte, h *codec.HLL) bool {
	converted, err := h.ToDense()
	if err != nil {
		c.Error(errCorruptHLL)
		return false
	}
	return !converted || c.storeHLL(key, h)
}

// cmdPFSelfTest checks the registers and the estimator (codec.HLLSelfTest).
func cmdPFSelfTest(c *Call) {
	rnd := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	if err := codec.HLLSelfTest(c.hllSparseMax(), rnd); err != nil {
		c.Error("ERR " + err.Error())
		return
	}
	c.OK()
}
