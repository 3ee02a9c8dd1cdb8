package storage

import (
	"moonstone/codec"
)

// Consumer groups. A group is one record (last delivered id, entries read,
// pending and consumer counts); its pending entries list (PEL) is one
// record per id holding the owner, delivery time and count; each consumer
// is a record (seen time, pending count) plus an index of its own pending
// ids. Every operation touches only the records it needs, so a PEL of any
// size costs disk, not memory.

// loadGroup reads group name of the stream with version v.
func (tx *Tx) loadGroup(v uint64, name []byte) (codec.StreamGroup, bool, error) {
	raw, ok, err := tx.get(codec.StreamGroupKey(v, name))
	if err != nil || !ok {
		return codec.StreamGroup{}, false, err
	}
	g, err := codec.DecodeStreamGroup(raw)
	return g, err == nil, err
}

// groupCtx is one operation's view of a group: the group record and the
// consumers it loaded, written back by flush.
type groupCtx struct {
	tx        *Tx
	m         *Meta
	name      []byte
	g         codec.StreamGroup
	consumers map[string]*consumerRec
	order     []string
	// headGone is set when the smallest pending id was removed: flush
	// finds the next one.
	headGone bool
}

type consumerRec struct {
	name     []byte
	c        codec.StreamConsumer
	exists   bool
	dirty    bool
	headGone bool // its smallest pending id was removed (see fixHead)
}

// openGroup loads key's stream and group; ErrNoGroup when either is absent.
func (tx *Tx) openGroup(db int, key, group []byte) (*groupCtx, error) {
	m, err := tx.stream(db, key)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, ErrNoGroup
	}
	g, ok, err := tx.loadGroup(m.Version, group)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNoGroup
	}
	return &groupCtx{tx: tx, m: m, name: group, g: g, consumers: map[string]*consumerRec{}}, nil
}

// consumer loads consumer name (nil if absent and not create). refresh
// sets its seen time to now; create makes it when absent.
func (gc *groupCtx) consumer(name []byte, create, refresh bool) (*consumerRec, error) {
	cr := gc.consumers[string(name)]
	if cr == nil {
		raw, ok, err := gc.tx.get(codec.StreamConsumerKey(gc.m.Version, gc.name, name))
		if err != nil {
			return nil, err
		}
		cr = &consumerRec{name: append([]byte{}, name...), exists: ok}
		if ok {
			if cr.c, err = codec.DecodeStreamConsumer(raw); err != nil {
				return nil, err
			}
		}
		gc.consumers[string(name)] = cr
		gc.order = append(gc.order, string(name))
	}
	if !cr.exists {
		if !create {
			return nil, nil
		}
		cr.exists, cr.dirty = true, true
		cr.c = codec.StreamConsumer{SeenTime: gc.tx.now}
		gc.g.Consumers++
		return cr, nil
	}
	if refresh {
		cr.c.SeenTime = gc.tx.now
		cr.dirty = true
	}
	return cr, nil
}

// flush writes the group and every changed consumer.
func (gc *groupCtx) flush() error {
	v := gc.m.Version
	if err := gc.fixHead(); err != nil {
		return err
	}
	for _, n := range gc.order {
		cr := gc.consumers[n]
		if !cr.dirty {
			continue
		}
		if err := gc.fixConsumerHead(cr); err != nil {
			return err
		}
		if err := gc.tx.set(codec.StreamConsumerKey(v, gc.name, cr.name), codec.EncodeStreamConsumer(cr.c)); err != nil {
			return err
		}
	}
	return gc.tx.set(codec.StreamGroupKey(v, gc.name), codec.EncodeStreamGroup(gc.g))
}

// pelAdded and pelRemoved keep PELHead, the smallest pending id.
func (gc *groupCtx) pelAdded(id StreamID) {
	if gc.g.Pending == 0 || id.Compare(gc.g.PELHead) < 0 {
		gc.g.PELHead = id
		gc.headGone = false
	}
	gc.g.Pending++
}

func (gc *groupCtx) pelRemoved(id StreamID) {
	gc.g.Pending--
	if id == gc.g.PELHead {
		gc.headGone = true
	}
}

// fixHead finds the smallest pending id after the old one was removed:
// everything below the old head was already gone, so the scan starts
// there.
func (gc *groupCtx) fixHead() error {
	if gc.g.Pending <= 0 {
		gc.g.PELHead, gc.headGone = StreamID{}, false
		return nil
	}
	if !gc.headGone {
		return nil
	}
	gc.headGone = false
	prefix := codec.StreamPELPrefix(gc.m.Version, gc.name)
	it, err := gc.tx.iter(codec.StreamPELKey(gc.m.Version, gc.name, gc.g.PELHead), codec.PrefixEnd(prefix))
	if err != nil {
		return err
	}
	if it.First() {
		gc.g.PELHead = codec.IDFromTail(it.Key())
	}
	return it.Close()
}

// fixConsumerHead is fixHead for a consumer's own index.
func (gc *groupCtx) fixConsumerHead(cr *consumerRec) error {
	if cr.c.Pending <= 0 {
		cr.c.PELHead, cr.headGone = StreamID{}, false
		return nil
	}
	if !cr.headGone {
		return nil
	}
	cr.headGone = false
	prefix := codec.StreamConsumerPELPrefix(gc.m.Version, gc.name, cr.name)
	it, err := gc.tx.iter(codec.AppendStreamID(append([]byte(nil), prefix...), cr.c.PELHead), codec.PrefixEnd(prefix))
	if err != nil {
		return err
	}
	if it.First() {
		cr.c.PELHead = codec.IDFromTail(it.Key())
	}
	return it.Close()
}

// nack reads the pending entry for id (ok false when not pending).
func (gc *groupCtx) nack(id StreamID) (codec.StreamNACK, bool, error) {
	raw, ok, err := gc.tx.get(codec.StreamPELKey(gc.m.Version, gc.name, id))
	if err != nil || !ok {
		return codec.StreamNACK{}, false, err
	}
	n, err := codec.DecodeStreamNACK(raw)
	return n, err == nil, err
}

func (gc *groupCtx) putNACK(id StreamID, n codec.StreamNACK) error {
	return gc.tx.set(codec.StreamPELKey(gc.m.Version, gc.name, id), codec.EncodeStreamNACK(n))
}

// dropNACK removes a pending entry from the group and from its owner.
func (gc *groupCtx) dropNACK(id StreamID, n codec.StreamNACK) error {
	v := gc.m.Version
	if err := gc.tx.del(codec.StreamPELKey(v, gc.name, id)); err != nil {
		return err
	}
	gc.pelRemoved(id)
	return gc.unown(id, n.Consumer)
}

// unown removes id from consumer's own pending index.
func (gc *groupCtx) unown(id StreamID, consumer []byte) error {
	if err := gc.tx.del(codec.StreamConsumerPELKey(gc.m.Version, gc.name, consumer, id)); err != nil {
		return err
	}
	cr, err := gc.consumer(consumer, false, false)
	if err != nil || cr == nil {
		return err
	}
	cr.c.Pending--
	cr.dirty = true
	if id == cr.c.PELHead {
		cr.headGone = true
	}
	return nil
}

// own adds id to consumer's own pending index.
func (gc *groupCtx) own(id StreamID, cr *consumerRec) error {
	if cr.c.Pending == 0 || id.Compare(cr.c.PELHead) < 0 {
		cr.c.PELHead, cr.headGone = id, false
	}
	cr.c.Pending++
	cr.dirty = true
	return gc.tx.set(codec.StreamConsumerPELKey(gc.m.Version, gc.name, cr.name, id), nil)
}

// deliver records that entry id went to consumer cr now (XREADGROUP):
// a new pending entry, or an existing one handed over with its count reset.
func (gc *groupCtx) deliver(id StreamID, cr *consumerRec) error {
	n, ok, err := gc.nack(id)
	if err != nil {
		return err
	}
	if ok {
		if err := gc.unown(id, n.Consumer); err != nil {
			return err
		}
	} else {
		gc.pelAdded(id)
	}
	if err := gc.own(id, cr); err != nil {
		return err
	}
	return gc.putNACK(id, codec.StreamNACK{DeliveryTime: gc.tx.now, DeliveryCount: 1, Consumer: cr.name})
}

// XGroupCreate creates a group at id (or the stream's last id with dollar);
// mkstream creates an absent stream. entriesRead -1 means unknown.
func (tx *Tx) XGroupCreate(db int, key, group []byte, id StreamID, dollar, mkstream bool, entriesRead int64) error {
	prev, err := tx.stream(db, key)
	if err != nil {
		return err
	}
	if prev == nil && !mkstream {
		return ErrXGroupNoKey
	}
	var m *Meta
	if prev == nil {
		if m, err = tx.newCollection(codec.TypeStream); err != nil {
			return err
		}
	} else {
		next := *prev
		m = &next
	}
	if dollar {
		id = m.Stream.LastID
	}
	_, exists, err := tx.loadGroup(m.Version, group)
	if err != nil {
		return err
	}
	if exists {
		return ErrBusyGroup
	}
	g := codec.StreamGroup{LastID: id, EntriesRead: entriesRead}
	if err := tx.set(codec.StreamGroupKey(m.Version, group), codec.EncodeStreamGroup(g)); err != nil {
		return err
	}
	m.Stream.Groups++
	return tx.putMeta(db, key, prev, m)
}

// XGroupCheck reports the errors every XGROUP subcommand but CREATE checks
// first: ErrXGroupNoKey, and with needGroup ErrNoGroup.
func (tx *Tx) XGroupCheck(db int, key, group []byte, needGroup bool) error {
	m, err := tx.stream(db, key)
	if err != nil {
		return err
	}
	if m == nil {
		return ErrXGroupNoKey
	}
	if needGroup {
		_, ok, err := tx.loadGroup(m.Version, group)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNoGroup
		}
	}
	return nil
}

// XGroupSetID moves a group's last delivered id (dollar: the stream's last
// id) and sets its entries-read counter.
func (tx *Tx) XGroupSetID(db int, key, group []byte, id StreamID, dollar bool, entriesRead int64) error {
	gc, err := tx.openGroup(db, key, group)
	if err != nil {
		return err
	}
	if dollar {
		id = gc.m.Stream.LastID
	}
	gc.g.LastID = id
	gc.g.EntriesRead = entriesRead
	return gc.flush()
}

// XGroupDestroy deletes a group with its PEL and consumers.
func (tx *Tx) XGroupDestroy(db int, key, group []byte) (bool, error) {
	gc, err := tx.openGroup(db, key, group)
	if err == ErrNoGroup {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	v := gc.m.Version
	if err := tx.del(codec.StreamGroupKey(v, group)); err != nil {
		return false, err
	}
	for _, p := range [][]byte{
		codec.StreamPELPrefix(v, group),
		codec.StreamConsumerPrefix(v, group),
		codec.StreamConsumerPELPrefix(v, group, nil)[:len(codec.StreamConsumerPELPrefix(v, group, nil))-4],
	} {
		if err := tx.deleteRange(p, codec.PrefixEnd(p)); err != nil {
			return false, err
		}
	}
	m := *gc.m
	m.Stream.Groups--
	return true, tx.putMeta(db, key, gc.m, &m)
}

// XGroupCreateConsumer creates a consumer; false if it exists.
func (tx *Tx) XGroupCreateConsumer(db int, key, group, consumer []byte) (bool, error) {
	gc, err := tx.openGroup(db, key, group)
	if err != nil {
		return false, err
	}
	cr, err := gc.consumer(consumer, false, false)
	if err != nil || cr != nil {
		return false, err
	}
	if _, err := gc.consumer(consumer, true, false); err != nil {
		return false, err
	}
	return true, gc.flush()
}

// XGroupConsumerExists reports whether group of the stream at key has
// consumer (false when the key or the group is missing).
func (tx *Tx) XGroupConsumerExists(db int, key, group, consumer []byte) (bool, error) {
	gc, err := tx.openGroup(db, key, group)
	if err == ErrNoGroup {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	cr, err := gc.consumer(consumer, false, false)
	return cr != nil, err
}

// XGroupDelConsumer deletes a consumer and its pending entries, and
// returns how many it had; found is false when there was no such consumer.
func (tx *Tx) XGroupDelConsumer(db int, key, group, consumer []byte) (pending int64, found bool, err error) {
	gc, err := tx.openGroup(db, key, group)
	if err != nil {
		return 0, false, err
	}
	cr, err := gc.consumer(consumer, false, false)
	if err != nil || cr == nil {
		return 0, false, err
	}
	v := gc.m.Version
	prefix := codec.StreamConsumerPELPrefix(v, group, consumer)
	it, err := tx.iter(prefix, codec.PrefixEnd(prefix))
	if err != nil {
		return 0, false, err
	}
	var keys [][]byte
	for ok := it.First(); ok; ok = it.Next() {
		keys = append(keys, append([]byte(nil), it.Key()...))
	}
	if err := it.Close(); err != nil {
		return 0, false, err
	}
	for _, k := range keys {
		if err := tx.del(k); err != nil {
			return 0, false, err
		}
		if err := tx.del(codec.StreamPELKey(v, group, codec.IDFromTail(k))); err != nil {
			return 0, false, err
		}
		gc.pelRemoved(codec.IDFromTail(k))
	}
	if err := tx.del(codec.StreamConsumerKey(v, group, consumer)); err != nil {
		return 0, false, err
	}
	delete(gc.consumers, string(consumer))
	gc.order = nil
	gc.g.Consumers--
	return cr.c.Pending, true, gc.flush()
}

// XReadGroupArgs is one key of an XREADGROUP.
type XReadGroupArgs struct {
	Group, Consumer []byte
	// After is the id the read starts after: the group's last delivered id
	// for ">", else the consumer's history from After+1.
	After   StreamID
	History bool
	Count   int64 // <= 0: no limit
	NoAck   bool
}

// XReadGroup serves one key of XREADGROUP: new entries (which move the
// group's last delivered id and, without NOACK, become pending for the
// consumer) or the consumer's own pending history.
func (tx *Tx) XReadGroup(db int, key []byte, a *XReadGroupArgs) ([]StreamEntry, error) {
	gc, err := tx.openGroup(db, key, a.Group)
	if err != nil {
		return nil, err
	}
	cr, err := gc.consumer(a.Consumer, true, true)
	if err != nil {
		return nil, err
	}
	m := gc.m
	var out []StreamEntry
	start, ok := a.After.Incr()
	if a.History {
		if ok {
			if out, err = gc.history(cr, start, a.Count); err != nil {
				return nil, err
			}
		}
		return out, gc.flush()
	}
	if ok {
		if out, err = tx.streamRange(m, start, codec.MaxStreamID, a.Count, false); err != nil {
			return nil, err
		}
	}
	for _, e := range out {
		if e.ID.Compare(gc.g.LastID) > 0 {
			if gc.g.EntriesRead != -1 && !rangeHasTombstones(m, e.ID, nil) {
				gc.g.EntriesRead++
			} else if m.Stream.EntriesAdded != 0 {
				gc.g.EntriesRead = estimateDistance(m, e.ID)
			}
			gc.g.LastID = e.ID
		}
		if !a.NoAck {
			if err := gc.deliver(e.ID, cr); err != nil {
				return nil, err
			}
		}
	}
	return out, gc.flush()
}

// history returns the consumer's pending entries from start, counting a
// new delivery of each that still exists.
func (gc *groupCtx) history(cr *consumerRec, start StreamID, count int64) ([]StreamEntry, error) {
	tx, v := gc.tx, gc.m.Version
	if cr.c.Pending == 0 {
		return nil, nil
	}
	if start.Compare(cr.c.PELHead) < 0 {
		start = cr.c.PELHead
	}
	prefix := codec.StreamConsumerPELPrefix(v, gc.name, cr.name)
	it, err := tx.iter(append(prefix, codec.AppendStreamID(nil, start)...), codec.PrefixEnd(prefix))
	if err != nil {
		return nil, err
	}
	var ids []StreamID
	for ok := it.First(); ok && (count <= 0 || int64(len(ids)) < count); ok = it.Next() {
		ids = append(ids, codec.IDFromTail(it.Key()))
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	out := make([]StreamEntry, 0, len(ids))
	for _, id := range ids {
		e, ok, err := tx.streamEntry(gc.m, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			out = append(out, StreamEntry{ID: id})
			continue
		}
		n, ok, err := gc.nack(id)
		if err != nil {
			return nil, err
		}
		if ok {
			n.DeliveryTime = tx.now
			n.DeliveryCount++
			if err := gc.putNACK(id, n); err != nil {
				return nil, err
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// XAck acknowledges ids and returns how many were pending.
func (tx *Tx) XAck(db int, key, group []byte, ids []StreamID) (int64, error) {
	gc, err := tx.openGroup(db, key, group)
	if err == ErrNoGroup {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var n int64
	for _, id := range ids {
		nack, ok, err := gc.nack(id)
		if err != nil {
			return 0, err
		}
		if !ok {
			continue
		}
		if err := gc.dropNACK(id, nack); err != nil {
			return 0, err
		}
		n++
	}
	if n == 0 {
		return 0, nil
	}
	return n, gc.flush()
}

// PendingSummary is XPENDING's short form.
type PendingSummary struct {
	Count     int64
	Min, Max  StreamID
	Consumers []ConsumerPending
}

// ConsumerPending is a consumer name and its pending count.
type ConsumerPending struct {
	Name  []byte
	Count int64
}

// XPendingSummary reads a group's pending summary.
func (tx *Tx) XPendingSummary(db int, key, group []byte) (PendingSummary, error) {
	gc, err := tx.openGroup(db, key, group)
	if err != nil {
		return PendingSummary{}, err
	}
	v := gc.m.Version
	ps := PendingSummary{Count: gc.g.Pending}
	if ps.Count == 0 {
		return ps, nil
	}
	ps.Min = gc.g.PELHead
	prefix := codec.StreamPELPrefix(v, group)
	it, err := tx.iter(prefix, codec.PrefixEnd(prefix))
	if err != nil {
		return ps, err
	}
	if it.Last() {
		ps.Max = codec.IDFromTail(it.Key())
	}
	if err := it.Close(); err != nil {
		return ps, err
	}
	err = tx.eachConsumer(v, group, func(name []byte, c codec.StreamConsumer) {
		if c.Pending > 0 {
			ps.Consumers = append(ps.Consumers, ConsumerPending{append([]byte{}, name...), c.Pending})
		}
	})
	return ps, err
}

func (tx *Tx) eachConsumer(v uint64, group []byte, f func(name []byte, c codec.StreamConsumer)) error {
	prefix := codec.StreamConsumerPrefix(v, group)
	it, err := tx.iter(prefix, codec.PrefixEnd(prefix))
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		c, err := codec.DecodeStreamConsumer(it.Value())
		if err != nil {
			it.Close()
			return err
		}
		f(it.Key()[len(prefix):], c)
	}
	return it.Close()
}

// PendingEntry is one pending entry.
type PendingEntry struct {
	ID            StreamID
	Consumer      []byte
	DeliveryTime  int64
	DeliveryCount int64
}

// XPendingRange lists up to count pending entries in [start, end], idle
// for at least minIdle ms, of one consumer when consumer is not nil.
func (tx *Tx) XPendingRange(db int, key, group []byte, start, end StreamID, count, minIdle int64, consumer []byte) ([]PendingEntry, error) {
	gc, err := tx.openGroup(db, key, group)
	if err != nil {
		return nil, err
	}
	return gc.pendingRange(start, end, count, minIdle, consumer)
}

func (gc *groupCtx) pendingRange(start, end StreamID, count, minIdle int64, consumer []byte) ([]PendingEntry, error) {
	tx, v := gc.tx, gc.m.Version
	var prefix []byte
	if consumer != nil {
		cr, err := gc.consumer(consumer, false, false)
		if err != nil || cr == nil || cr.c.Pending == 0 {
			return nil, err
		}
		if start.Compare(cr.c.PELHead) < 0 {
			start = cr.c.PELHead
		}
		prefix = codec.StreamConsumerPELPrefix(v, gc.name, consumer)
	} else {
		prefix = codec.StreamPELPrefix(v, gc.name)
		if gc.g.Pending == 0 {
			return nil, nil
		}
		if start.Compare(gc.g.PELHead) < 0 {
			start = gc.g.PELHead
		}
	}
	if start.Compare(end) > 0 || count <= 0 {
		return nil, nil
	}
	it, err := tx.iter(codec.AppendStreamID(append([]byte(nil), prefix...), start),
		append(codec.AppendStreamID(append([]byte(nil), prefix...), end), 0))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []PendingEntry
	for ok := it.First(); ok && int64(len(out)) < count; ok = it.Next() {
		id := codec.IDFromTail(it.Key())
		var n codec.StreamNACK
		if consumer != nil {
			var found bool
			if n, found, err = gc.nack(id); err != nil {
				return nil, err
			}
			if !found {
				continue
			}
		} else if n, err = codec.DecodeStreamNACK(it.Value()); err != nil {
			return nil, err
		}
		if minIdle > 0 && tx.now-n.DeliveryTime < minIdle {
			continue
		}
		out = append(out, PendingEntry{ID: id, Consumer: n.Consumer, DeliveryTime: n.DeliveryTime, DeliveryCount: n.DeliveryCount})
	}
	return out, nil
}

// XClaimArgs are XCLAIM's options.
type XClaimArgs struct {
	Consumer     []byte
	MinIdle      int64
	IDs          []StreamID
	DeliveryTime int64 // -1: now
	RetryCount   int64 // -1: not given
	Force        bool
	JustID       bool
	LastID       StreamID
}

// XClaim hands pending entries to a consumer (Redis's xclaimCommand) and
// returns the claimed entries (ids only with JustID).
func (tx *Tx) XClaim(db int, key, group []byte, a *XClaimArgs) ([]StreamEntry, error) {
	gc, err := tx.openGroup(db, key, group)
	if err != nil {
		return nil, err
	}
	now := tx.now
	if a.LastID.Compare(gc.g.LastID) > 0 {
		gc.g.LastID = a.LastID
	}
	dt := a.DeliveryTime
	if dt == -1 || dt < 0 || dt > now {
		dt = now
	}
	var cr *consumerRec
	var out []StreamEntry
	for _, id := range a.IDs {
		n, pending, err := gc.nack(id)
		if err != nil {
			return nil, err
		}
		e, exists, err := tx.streamEntry(gc.m, id)
		if err != nil {
			return nil, err
		}
		if !exists {
			if pending {
				if err := gc.dropNACK(id, n); err != nil {
					return nil, err
				}
			}
			continue
		}
		forced := false
		if a.Force && !pending {
			n = codec.StreamNACK{DeliveryTime: now, DeliveryCount: 1}
			pending, forced = true, true
			gc.pelAdded(id)
		}
		if !pending {
			continue
		}
		if !forced && a.MinIdle > 0 && now-n.DeliveryTime < a.MinIdle {
			continue
		}
		if cr == nil {
			if cr, err = gc.consumer(a.Consumer, true, true); err != nil {
				return nil, err
			}
		}
		moved := forced || string(n.Consumer) != string(cr.name)
		if moved && !forced {
			if err := gc.unown(id, n.Consumer); err != nil {
				return nil, err
			}
		}
		n.DeliveryTime = dt
		if a.RetryCount >= 0 {
			n.DeliveryCount = a.RetryCount
		} else if !a.JustID {
			n.DeliveryCount++
		}
		if moved {
			if err := gc.own(id, cr); err != nil {
				return nil, err
			}
			n.Consumer = cr.name
		}
		if err := gc.putNACK(id, n); err != nil {
			return nil, err
		}
		if a.JustID {
			e.Fields = nil
		}
		out = append(out, e)
	}
	return out, gc.flush()
}

// XAutoClaim claims up to count entries idle for minIdle ms, scanning the
// PEL from start (Redis's xautoclaimCommand). It returns the claimed
// entries, the cursor for the next call (0-0 at the end) and the ids that
// were pending but no longer in the stream (now dropped).
func (tx *Tx) XAutoClaim(db int, key, group, consumer []byte, minIdle int64, start StreamID, count int64, justID bool) (claimed []StreamEntry, next StreamID, deleted []StreamID, err error) {
	gc, err := tx.openGroup(db, key, group)
	if err != nil {
		return nil, next, nil, err
	}
	now := tx.now
	v := gc.m.Version
	prefix := codec.StreamPELPrefix(v, group)
	if gc.g.Pending > 0 && start.Compare(gc.g.PELHead) < 0 {
		start = gc.g.PELHead
	}
	it, err := tx.iter(codec.AppendStreamID(append([]byte(nil), prefix...), start), codec.PrefixEnd(prefix))
	if err != nil {
		return nil, next, nil, err
	}
	defer it.Close()
	attempts := count * 10
	var cr *consumerRec
	ok := it.First()
	exhausted := false
	for {
		if attempts == 0 || count == 0 {
			break
		}
		attempts--
		if !ok {
			exhausted = true
			break
		}
		id := codec.IDFromTail(it.Key())
		n, err := codec.DecodeStreamNACK(it.Value())
		if err != nil {
			return nil, next, nil, err
		}
		e, exists, err := tx.streamEntry(gc.m, id)
		if err != nil {
			return nil, next, nil, err
		}
		if !exists {
			if err := gc.dropNACK(id, n); err != nil {
				return nil, next, nil, err
			}
			deleted = append(deleted, id)
			count--
			ok = it.Next()
			continue
		}
		if minIdle > 0 && now-n.DeliveryTime < minIdle {
			ok = it.Next()
			continue
		}
		if cr == nil {
			if cr, err = gc.consumer(consumer, true, true); err != nil {
				return nil, next, nil, err
			}
		}
		moved := string(n.Consumer) != string(cr.name)
		if moved {
			if err := gc.unown(id, n.Consumer); err != nil {
				return nil, next, nil, err
			}
		}
		n.DeliveryTime = now
		if !justID {
			n.DeliveryCount++
		}
		if moved {
			if err := gc.own(id, cr); err != nil {
				return nil, next, nil, err
			}
			n.Consumer = cr.name
		}
		if err := gc.putNACK(id, n); err != nil {
			return nil, next, nil, err
		}
		if justID {
			e.Fields = nil
		}
		claimed = append(claimed, e)
		count--
		ok = it.Next()
	}
	if !exhausted && ok {
		next = codec.IDFromTail(it.Key())
	}
	return claimed, next, deleted, gc.flush()
}

// XHasGroup reports whether key is a stream with group (WRONGTYPE for
// another type).
func (tx *Tx) XHasGroup(db int, key, group []byte) (bool, error) {
	m, err := tx.stream(db, key)
	if err != nil || m == nil {
		return false, err
	}
	_, ok, err := tx.loadGroup(m.Version, group)
	return ok, err
}
