package server

import (
	"strconv"

	"moonstone/storage"
)

// Keyspace notifications (notify-keyspace-events), as Redis's notify.c.
//
// A write handler calls c.Notify(class, event, key) right after its storage
// call, for each change Redis reports. When notifications are off that is
// one atomic load. Otherwise the event is queued on the call's write
// transaction (storage.Tx.AfterCommit), so it is published only if the
// transaction commits, after its commit and in the order the commands
// made their changes; a call outside a write transaction publishes at once.
// Keys the store removes because they expired ("expired") and keys it
// creates ("new") are reported by storage through a hook installed only
// while those classes are on.

// Notification classes: Redis's NOTIFY_* bits (config_params.go).
const (
	notifyGeneric = paramNotifyGeneric
	notifyString  = paramNotifyString
	notifyList    = paramNotifyList
	notifySet     = paramNotifySet
	notifyHash    = paramNotifyHash
	notifyZset    = paramNotifyZset
	notifyExpired = paramNotifyExpired
	notifyStream  = paramNotifyStream
	notifyNew     = paramNotifyNew
)

// setNotifyFlags applies notify-keyspace-events, as flag bits
// (Config.NotifyFlags).
func (s *Server) setNotifyFlags(f int64) {
	if f&(paramNotifyKeyspace|paramNotifyKeyevent) == 0 {
		f = 0 // neither channel kind: nothing is ever published
	}
	s.pubsub.notify.Store(f)
	s.db.SetKeyHook(s.storageKeyEvent, f&notifyExpired != 0, f&notifyNew != 0)
}

// storageKeyEvent is the storage hook: "expired" or "new" for key, queued
// on the transaction that made the change.
func (s *Server) storageKeyEvent(tx *storage.Tx, event string, db int, key []byte) {
	class := notifyExpired
	if event == "new" {
		class = notifyNew
	}
	k := append([]byte(nil), key...)
	tx.AfterCommit(func() { s.notifyKeyspaceEvent(class, event, k, db) })
}

// notifying reports whether events of class are published.
func (c *Call) notifying(class int) bool {
	return c.Srv.pubsub.notify.Load()&int64(class) != 0
}

// Notify reports event on key of the selected database.
func (c *Call) Notify(class int, event string, key []byte) {
	if c.Srv.pubsub.notify.Load()&int64(class) == 0 {
		return
	}
	c.NotifyDB(class, event, key, c.DB())
}

// NotifyDB reports event on key of database db (MOVE, COPY ... DB).
func (c *Call) NotifyDB(class int, event string, key []byte, db int) {
	if c.Srv.pubsub.notify.Load()&int64(class) == 0 {
		return
	}
	s := c.Srv
	k := append([]byte(nil), key...)
	if c.Tx != nil && c.Tx.Writable() {
		c.Tx.AfterCommit(func() { s.notifyKeyspaceEvent(class, event, k, db) })
		return
	}
	s.notifyKeyspaceEvent(class, event, k, db)
}

// NotifyExists reports whether key exists when notifications are on (and
// false otherwise, without a lookup). Store commands ask before their
// storage call, since Redis reports "del" for an empty result only when
// the destination existed; LTRIM, since it reports nothing for a missing
// key.
func (c *Call) NotifyExists(key []byte) bool {
	if c.Srv.pubsub.notify.Load() == 0 || c.Tx == nil {
		return false
	}
	ok, _ := c.Tx.Exists(c.DB(), key)
	return ok
}

// NotifyDelIfGone reports "del" when key no longer exists: a pop or removal
// that emptied a collection, which storage deleted.
func (c *Call) NotifyDelIfGone(key []byte) {
	if !c.notifying(notifyGeneric) || c.Tx == nil {
		return
	}
	if ok, err := c.Tx.Exists(c.DB(), key); err == nil && !ok {
		c.Notify(notifyGeneric, "del", key)
	}
}

// NotifyStore reports a store command's result: event when it stored n > 0
// elements, "del" when the result was empty and the destination existed
// before (existed, from NotifyExists).
func (c *Call) NotifyStore(class int, event string, key []byte, n int64, existed bool) {
	if key == nil { // SORT without STORE
		return
	}
	if n > 0 {
		c.Notify(class, event, key)
	} else if existed {
		c.Notify(notifyGeneric, "del", key)
	}
}

// notifyKeyspaceEvent publishes one event on the keyspace and keyevent
// channels the configuration asks for.
func (s *Server) notifyKeyspaceEvent(class int, event string, key []byte, db int) {
	flags := s.pubsub.notify.Load()
	if flags&int64(class) == 0 {
		return
	}
	dbs := strconv.Itoa(db)
	if flags&paramNotifyKeyspace != 0 {
		ch := make([]byte, 0, 16+len(dbs)+len(key))
		ch = append(ch, "__keyspace@"...)
		ch = append(ch, dbs...)
		ch = append(ch, "__:"...)
		ch = append(ch, key...)
		s.publish(ch, []byte(event), false)
	}
	if flags&paramNotifyKeyevent != 0 {
		ch := make([]byte, 0, 16+len(dbs)+len(event))
		ch = append(ch, "__keyevent@"...)
		ch = append(ch, dbs...)
		ch = append(ch, "__:"...)
		ch = append(ch, event...)
		s.publish(ch, key, false)
	}
}

// notifyIf is Notify when cond holds.
func (c *Call) notifyIf(cond bool, class int, event string, key []byte) {
	if cond {
		c.Notify(class, event, key)
	}
}

// notifySet reports a written string: "set", then "expire" when the write
// gave it an expiry (SET EX and friends).
func (c *Call) notifySet(key []byte, written bool, expireAt int64) {
	if written {
		c.Notify(notifyString, "set", key)
		c.notifyIf(expireAt != 0, notifyGeneric, "expire", key)
	}
}

// notifyHasTTL reports whether key has an expiry, when generic events are
// on (GETEX PERSIST reports "persist" only if there was one to remove).
func (c *Call) notifyHasTTL(key []byte) bool {
	if !c.notifying(notifyGeneric) || c.Tx == nil {
		return false
	}
	at, err := c.Tx.ExpireAt(c.DB(), key)
	return err == nil && at > 0
}

// notifyGetEx reports what GETEX did to an existing key.
func (c *Call) notifyGetEx(key []byte, found bool, at int64, hadTTL bool) {
	switch {
	case !found:
	case at != 0 && at <= c.Tx.Now():
		c.Notify(notifyGeneric, "del", key)
	case at != 0:
		c.Notify(notifyGeneric, "expire", key)
	case hadTTL:
		c.Notify(notifyGeneric, "persist", key)
	}
}

// notifyEach reports event on every other argument from i on (MSETNX's
// keys) when cond holds.
func (c *Call) notifyEach(cond bool, class int, event string, from, step int) {
	if !cond {
		return
	}
	for i := from; i < len(c.Args); i += step {
		c.Notify(class, event, c.Args[i])
	}
}

// notifyRename reports a RENAME that moved a key to another name.
func (c *Call) notifyRename(moved bool) {
	if moved && string(c.Args[1]) != string(c.Args[2]) {
		c.Notify(notifyGeneric, "rename_from", c.Args[1])
		c.Notify(notifyGeneric, "rename_to", c.Args[2])
	}
}

// notifyExpire reports an EXPIRE that took effect: "del" when the time
// was already past (the key is gone), "expire" otherwise.
func (c *Call) notifyExpire(done bool, at int64) {
	if done {
		if at <= c.Tx.Now() {
			c.Notify(notifyGeneric, "del", c.Args[1])
		} else {
			c.Notify(notifyGeneric, "expire", c.Args[1])
		}
	}
}

// notifyBitField reports "setbit" when a BITFIELD SET or INCRBY wrote
// (not refused by OVERFLOW FAIL).
func (c *Call) notifyBitField(ops []storage.BitFieldOp, res []storage.BitFieldReply) {
	for i, op := range ops {
		if op.Kind != storage.BitFieldGet && i < len(res) && !res[i].Nil {
			c.Notify(notifyString, "setbit", c.Args[1])
			return
		}
	}
}

// notifyRemoved reports a removal from a collection: event when cond
// holds, then "del" if that emptied (and so deleted) the collection.
func (c *Call) notifyRemoved(cond bool, class int, event string, key []byte) {
	if cond {
		c.Notify(class, event, key)
		c.NotifyDelIfGone(key)
	}
}

// listEvent names a push or pop at one end of a list: "lpush", "rpop", ...
func listEvent(end storage.ListEnd, op string) string {
	if end == storage.ListLeft {
		return "l" + op
	}
	return "r" + op
}

// notifyLMove reports an LMOVE that moved an element: the push on the
// destination, then the pop on the source, then "del" if it emptied.
func (c *Call) notifyLMove(moved bool, from, to storage.ListEnd) {
	if moved {
		c.Notify(notifyList, listEvent(to, "push"), c.Args[2])
		c.notifyRemoved(true, notifyList, listEvent(from, "pop"), c.Args[1])
	}
}

// notifyIsMember reports whether member is in the set at key, when set
// events are on (SMOVE reports "sadd" only when the destination lacked it).
func (c *Call) notifyIsMember(key, member []byte) bool {
	if !c.notifying(notifySet) || c.Tx == nil {
		return false
	}
	ok, _ := c.Tx.SIsMember(c.DB(), key, member)
	return ok
}

// notifySMove reports an SMOVE that moved a member between two sets.
func (c *Call) notifySMove(moved, dstHad bool) {
	if moved && string(c.Args[1]) != string(c.Args[2]) {
		c.notifyRemoved(true, notifySet, "srem", c.Args[1])
		c.notifyIf(!dstHad, notifySet, "sadd", c.Args[2])
	}
}

// zaddEvent is ZADD's event: "zincr" with INCR.
func zaddEvent(incr bool) string {
	if incr {
		return "zincr"
	}
	return "zadd"
}

// zpopEvent is ZPOPMIN/ZPOPMAX's event (ZMPOP and the blocking forms too).
func zpopEvent(max bool) string {
	if max {
		return "zpopmax"
	}
	return "zpopmin"
}

// notifyStrLen is the length of the string at key before a SETBIT (-1 when
// absent), when string events are on.
func (c *Call) notifyStrLen(key []byte) int64 {
	if !c.notifying(notifyString) || c.Tx == nil {
		return 0
	}
	if ok, _ := c.Tx.Exists(c.DB(), key); !ok {
		return -1
	}
	n, _ := c.Tx.StrLen(c.DB(), key)
	return n
}

// notifySetBit reports a SETBIT that changed the string: a bit flipped, or
// the string was created or grown to reach the offset.
func (c *Call) notifySetBit(prevLen, offset, old int64, on bool) {
	if prevLen < 0 || offset>>3 >= prevLen || (old == 1) != on {
		c.Notify(notifyString, "setbit", c.Args[1])
	}
}
