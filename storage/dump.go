package storage

import (
	"moonstone/codec"
)

// DUMP and RESTORE: a whole key read into a codec.DumpObject, and a key
// built from one. Both go through the types' own helpers (ranges, member
// iterators, XINFO STREAM FULL's reader; list pushes, set and hash member
// writes, zstore), so a restored key is indistinguishable from one built
// by commands. The payload format itself is codec's (rdb_object.go).

// DumpObject reads key's whole value; nil when key is absent.
func (tx *Tx) DumpObject(db int, key []byte) (*codec.DumpObject, error) {
	m, err := tx.meta(db, key)
	if err != nil || m == nil {
		return nil, err
	}
	o := &codec.DumpObject{Type: m.Type}
	switch m.Type {
	case codec.TypeString:
		o.Elems = [][]byte{owned(m.Value)}
	case codec.TypeList:
		o.Elems, err = tx.ListRange(db, key, 0, -1)
	case codec.TypeSet:
		o.Elems, _, err = tx.allMembers(m, codec.TagSet, false)
	case codec.TypeHash:
		var fields, values [][]byte
		fields, values, err = tx.hashAll(m, true)
		o.Elems = make([][]byte, 0, 2*len(fields))
		for i := range fields {
			o.Elems = append(o.Elems, fields[i], values[i])
		}
	case codec.TypeZSet:
		var zs []ZMember
		zs, err = tx.zall(m)
		for _, z := range zs {
			o.Elems, o.Scores = append(o.Elems, z.Member), append(o.Scores, z.Score)
		}
	case codec.TypeStream:
		o.Stream, err = tx.dumpStream(db, key, m)
	}
	if err != nil {
		return nil, err
	}
	return o, nil
}

// dumpStream reads a whole stream: entries, node boundaries, groups with
// their PELs and consumers.
func (tx *Tx) dumpStream(db int, key []byte, m *Meta) (*codec.DumpStream, error) {
	sf, err := tx.XInfoStreamFull(db, key, 0)
	if err != nil {
		return nil, err
	}
	s := &codec.DumpStream{
		LastID: m.Stream.LastID, FirstID: m.Stream.FirstID, MaxDeleted: m.Stream.MaxDeleted,
		EntriesAdded: m.Stream.EntriesAdded,
	}
	for _, e := range sf.Entries {
		s.Entries = append(s.Entries, codec.DumpStreamEntry{ID: e.ID, Fields: e.Fields})
	}
	prefix := codec.StreamNodePrefix(m.Version)
	it, err := tx.iter(codec.StreamNodeKey(m.Version, m.Stream.HeadNode), codec.PrefixEnd(prefix))
	if err != nil {
		return nil, err
	}
	for ok := it.First(); ok; ok = it.Next() {
		s.Nodes = append(s.Nodes, codec.DumpStreamNode{Master: codec.StreamIDFromNodeKey(it.Key())})
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	for _, g := range sf.Groups {
		dg := codec.DumpStreamGroup{Name: g.Name, LastID: g.LastID, EntriesRead: g.EntriesRead}
		for _, p := range g.PEL {
			dg.PEL = append(dg.PEL, codec.DumpStreamNACK{ID: p.ID, DeliveryTime: p.DeliveryTime, DeliveryCount: p.DeliveryCount, Consumer: p.Consumer})
		}
		for _, c := range g.Consumers {
			dg.Consumers = append(dg.Consumers, codec.DumpStreamConsumer{Name: c.Name, SeenTime: c.SeenTime})
		}
		s.Groups = append(s.Groups, dg)
	}
	return s, nil
}

// Restore makes key hold o, as RESTORE does once its checks passed:
// whatever key held is deleted; an expiry (unix ms, 0 for none) already
// past leaves key absent. It reports whether an old key was deleted and
// whether key was created. o must come from codec.DecodeDump (members
// distinct, collections not empty).
func (tx *Tx) Restore(db int, key []byte, o *codec.DumpObject, expireAt int64) (deleted, created bool, err error) {
	old, err := tx.meta(db, key)
	if err != nil {
		return false, false, err
	}
	if old != nil {
		if err := tx.deleteKey(db, key, old); err != nil {
			return false, false, err
		}
		// Redis deletes, then adds: the new key is "new", not an
		// overwrite (see keyCreated).
		tx.replaced = nil
	}
	if expireAt != 0 && expireAt <= tx.now {
		return old != nil, false, nil
	}
	switch o.Type {
	case codec.TypeString:
		err = tx.putString(db, key, nil, o.Elems[0], 0, codec.StringByContent)
	case codec.TypeList:
		err = tx.replaceWithList(db, key, o.Elems)
	case codec.TypeSet, codec.TypeHash:
		var m *Meta
		if m, err = tx.newCollection(o.Type); err != nil {
			return false, false, err
		}
		for i := 0; i < len(o.Elems) && err == nil; i++ {
			if o.Type == codec.TypeSet {
				_, err = tx.saddMember(m, o.Elems[i])
			} else {
				_, err = tx.hsetField(m, o.Elems[i], o.Elems[i+1])
				i++
			}
		}
		if err == nil {
			err = tx.putMeta(db, key, nil, m)
		}
	case codec.TypeZSet:
		zs := make([]ZMember, len(o.Elems))
		for i := range zs {
			zs[i] = ZMember{Member: o.Elems[i], Score: o.Scores[i]}
		}
		_, err = tx.zstore(db, key, zs)
	case codec.TypeStream:
		err = tx.restoreStream(db, key, o.Stream)
	default:
		err = codec.ErrRDB
	}
	if err == nil && expireAt != 0 {
		_, err = tx.Expire(db, key, expireAt, ExpireAlways)
	}
	return old != nil, err == nil, err
}

// restoreStream writes a stream's records: entries, the nodes that hold
// live entries, groups with their PELs and consumers.
func (tx *Tx) restoreStream(db int, key []byte, s *codec.DumpStream) error {
	m, err := tx.newCollection(codec.TypeStream)
	if err != nil {
		return err
	}
	v := m.Version
	for _, e := range s.Entries {
		if err := tx.set(codec.StreamEntryKey(v, e.ID), codec.EncodeStreamFields(e.Fields)); err != nil {
			return err
		}
	}
	m.Count = int64(len(s.Entries))
	m.Stream = codec.StreamState{
		LastID: s.LastID, MaxDeleted: s.MaxDeleted, FirstID: s.FirstID,
		EntriesAdded: s.EntriesAdded, Groups: int64(len(s.Groups)),
	}
	if len(s.Entries) > 0 {
		m.Stream.FirstID = s.Entries[0].ID // Moonstone's invariant
	}
	for _, n := range s.Nodes {
		if n.Valid == 0 {
			continue // Redis frees a node without live entries
		}
		r := &streamNodeRecord{master: n.Master, fields: n.Fields,
			n: codec.StreamNode{Valid: n.Valid, Deleted: n.Deleted, Bytes: n.Bytes, Last: n.Last}}
		if err := tx.putNode(v, r); err != nil {
			return err
		}
		if m.Stream.Nodes == 0 {
			m.Stream.HeadNode = n.Master
		}
		m.Stream.Nodes++
	}
	for _, g := range s.Groups {
		rec := codec.StreamGroup{LastID: g.LastID, EntriesRead: g.EntriesRead,
			Pending: int64(len(g.PEL)), Consumers: int64(len(g.Consumers))}
		if s.Legacy {
			rec.EntriesRead = estimateDistance(m, g.LastID)
		}
		if len(g.PEL) > 0 {
			rec.PELHead = g.PEL[0].ID
		}
		owned := map[string]*codec.StreamConsumer{}
		for _, c := range g.Consumers {
			owned[string(c.Name)] = &codec.StreamConsumer{SeenTime: c.SeenTime}
		}
		for _, n := range g.PEL { // in id order: a consumer's first is its head
			c := owned[string(n.Consumer)]
			if c.Pending == 0 {
				c.PELHead = n.ID
			}
			c.Pending++
			nack := codec.StreamNACK{DeliveryTime: n.DeliveryTime, DeliveryCount: n.DeliveryCount, Consumer: n.Consumer}
			if err := tx.set(codec.StreamPELKey(v, g.Name, n.ID), codec.EncodeStreamNACK(nack)); err != nil {
				return err
			}
			if err := tx.set(codec.StreamConsumerPELKey(v, g.Name, n.Consumer, n.ID), nil); err != nil {
				return err
			}
		}
		for _, c := range g.Consumers {
			if err := tx.set(codec.StreamConsumerKey(v, g.Name, c.Name), codec.EncodeStreamConsumer(*owned[string(c.Name)])); err != nil {
				return err
			}
		}
		if err := tx.set(codec.StreamGroupKey(v, g.Name), codec.EncodeStreamGroup(rec)); err != nil {
			return err
		}
	}
	return tx.putMeta(db, key, nil, m)
}
