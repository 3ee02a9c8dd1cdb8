package server

import (
	"errors"

	"moonstone/codec"
)

// DUMP and RESTORE (Redis's cluster.c): a key's value as Redis's own
// serialization, one RDB object plus version and CRC64, so values move
// between Moonstone and Redis in either direction. The payload format is
// codec/rdb_object.go; building and reading keys is storage/dump.go.

func cmdDump(c *Call) {
	o, err := c.Tx.DumpObject(c.DB(), c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	if o == nil {
		c.r.Null()
		return
	}
	c.r.Bulk(codec.EncodeDump(o))
}

// cmdRestore checks in Redis's order: options, then an existing key
// (unless REPLACE), then the TTL, then the payload's footer and its
// object.
func cmdRestore(c *Call) {
	var replace, absTTL, idle, freq bool
	var idleSecs, freqCount int64 = 0, lfuInitVal
	for i := 4; i < len(c.Args); i++ {
		more := i+1 < len(c.Args)
		switch {
		case c.ArgIs(i, "replace"):
			replace = true
		case c.ArgIs(i, "absttl"):
			absTTL = true
		case c.ArgIs(i, "idletime") && more && !freq:
			n, ok := c.Int(i + 1)
			if !ok {
				return
			}
			if n < 0 {
				c.Error("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			idle, idleSecs = true, n
			i++
		case c.ArgIs(i, "freq") && more && !idle:
			n, ok := c.Int(i + 1)
			if !ok {
				return
			}
			if n < 0 || n > 255 {
				c.Error("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			freq, freqCount = true, n
			i++
		default:
			c.Error(errSyntax)
			return
		}
	}
	key := c.Args[1]
	if !replace {
		exists, err := c.Tx.Exists(c.DB(), key)
		if err != nil {
			c.Err(err)
			return
		}
		if exists {
			c.Error("BUSYKEY Target key name already exists.")
			return
		}
	}
	ttl, ok := c.Int(2)
	if !ok {
		return
	}
	if ttl < 0 {
		c.Error("ERR Invalid TTL value, must be >= 0")
		return
	}
	o, err := codec.DecodeDump(c.Args[3])
	if errors.Is(err, codec.ErrDumpPayload) {
		c.Error("ERR DUMP payload version or checksum are wrong")
		return
	}
	if err != nil {
		c.Error("ERR Bad data format")
		return
	}
	if ttl != 0 && !absTTL {
		ttl += c.Tx.Now() // wraps like Redis's long long sum: then already past
	}
	deleted, created, err := c.Tx.Restore(c.DB(), key, o, ttl)
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyIf(deleted && !created, notifyGeneric, "del", key)
	c.notifyIf(created, notifyGeneric, "restore", key)
	// The key was last used IDLETIME seconds ago, or now, and counts
	// FREQ uses (access.go).
	c.Srv.access.set(c.Tx.PhysicalDB(c.DB()), key, idleSecs, uint8(freqCount))
	c.r.Status("OK")
}
