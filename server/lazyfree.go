package server

import (
	"moonstone/codec"
	"moonstone/storage"
)

// INFO's lazyfreed_objects: Redis counts the values it hands to its
// background thread instead of freeing them at once. That is what UNLINK,
// DEL under lazyfree-lazy-user-del, and FLUSHALL or FLUSHDB ASYNC (or
// under lazyfree-lazy-user-flush) do with a value whose freeing takes
// more than lazyFreeThreshold steps, and with every key of a flushed
// database. Moonstone frees nothing in the foreground anyway (a key of
// any size goes with a range deletion, and compaction reclaims the space),
// so it counts the same deletions by the same rules, for the clients and
// dashboards that read the counter; lazyfree_pending_objects stays 0.

// lazyFreeThreshold is Redis's LAZYFREE_THRESHOLD.
const lazyFreeThreshold = 64

// freeEffort is Redis's lazyfreeGetFreeEffort for key, of type t: a
// list's quicklist nodes (estimated from the key's footprint), a
// hashtable set's or hash's and a skiplist sorted set's length, a
// stream's radix-tree nodes plus, for each group, one and the first
// group's pending entries; 1 for anything else.
func (s *Server) freeEffort(tx *storage.Tx, db int, key []byte, t codec.Type) (int64, error) {
	switch t {
	case codec.TypeList:
		bytes, _, err := tx.Footprint(db, key)
		return s.quicklistNodes(bytes), err
	case codec.TypeSet:
		if enc, err := tx.SetEncoding(db, key); err != nil || enc != "hashtable" {
			return 1, err
		}
		return tx.SCard(db, key)
	case codec.TypeHash:
		if enc, err := tx.HashEncoding(db, key); err != nil || enc != "hashtable" {
			return 1, err
		}
		return tx.HLen(db, key)
	case codec.TypeZSet:
		if enc, err := tx.ZSetEncoding(db, key); err != nil || enc != "skiplist" {
			return 1, err
		}
		return tx.ZCard(db, key)
	case codec.TypeStream:
		info, err := tx.XInfoStream(db, key)
		if err != nil || info.Groups == 0 {
			return info.RaxNodes, err
		}
		groups, err := tx.XInfoGroups(db, key)
		if err != nil || len(groups) == 0 {
			return info.RaxNodes, err
		}
		return info.RaxNodes + int64(len(groups))*(1+groups[0].Pending), nil
	}
	return 1, nil
}

// quicklistNodes estimates the nodes of a quicklist holding bytes of
// elements, at list-max-listpack-size (quicklistShape counts them exactly
// from the elements, which a deletion does not read).
func (s *Server) quicklistNodes(bytes int64) int64 {
	limit := int64(8192)
	if fill := s.cfg.int("list-max-listpack-size"); fill < 0 {
		limit = 4096 << min(-fill-1, 4)
	}
	return max(1, (bytes+limit-1)/limit)
}

// lazyDelete reports whether a deletion by c's command frees lazily in
// Redis: UNLINK always, DEL under lazyfree-lazy-user-del.
func (c *Call) lazyDelete() bool {
	return c.Cmd.Name == "unlink" || c.Srv.cfg.Get("lazyfree-lazy-user-del") == "yes"
}

// lazyFlush reports whether c, a FLUSHALL or FLUSHDB, frees lazily:
// ASYNC, or no mode under lazyfree-lazy-user-flush.
func (c *Call) lazyFlush() bool {
	if len(c.Args) == 2 {
		return c.ArgIs(1, "async")
	}
	return c.Srv.cfg.Get("lazyfree-lazy-user-flush") == "yes"
}
