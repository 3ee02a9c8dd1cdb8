package storage

import (
	"sort"

	"moonstone/codec"
)

// stream checks a stream's redundant records: the length against the entry
// records, node counts against the entries they span, and every group's and
// consumer's pending counts against the PEL and its per-consumer index.
func (c *checker) stream(name string, m *codec.Meta) error {
	v := m.Version
	var ids []StreamID
	if err := c.scan(codec.MemberPrefix(codec.TagStreamEntry, v), func(k, val []byte) error {
		if len(k) != 25 {
			c.r.problem("%s: malformed entry key %x", name, k)
			return nil
		}
		if _, err := codec.DecodeStreamFields(val); err != nil {
			c.r.problem("%s: entry %s is undecodable", name, codec.StreamIDFromEntryKey(k))
		}
		ids = append(ids, codec.StreamIDFromEntryKey(k))
		return nil
	}); err != nil {
		return err
	}
	c.r.Members += int64(len(ids))
	if int64(len(ids)) != m.Count {
		c.r.problem("%s: stored length %d, %d entry records", name, m.Count, len(ids))
	}
	if len(ids) > 0 && ids[0] != m.Stream.FirstID {
		c.r.problem("%s: first entry %s, recorded first id %s", name, ids[0], m.Stream.FirstID)
	}
	if len(ids) > 0 && ids[len(ids)-1].Compare(m.Stream.LastID) > 0 {
		c.r.problem("%s: entry %s is above the last id %s", name, ids[len(ids)-1], m.Stream.LastID)
	}
	var nodes, valid int64
	if err := c.scan(codec.StreamNodePrefix(v), func(k, val []byte) error {
		if nodes == 0 && codec.StreamIDFromNodeKey(k) != m.Stream.HeadNode {
			c.r.problem("%s: head node recorded as %s, first node record is %s", name, m.Stream.HeadNode, codec.StreamIDFromNodeKey(k))
		}
		nodes++
		r, err := decodeNodeRecord(k, val)
		if err != nil {
			c.r.problem("%s: undecodable node record %x", name, k)
			return nil
		}
		lo := sort.Search(len(ids), func(i int) bool { return ids[i].Compare(r.master) >= 0 })
		hi := sort.Search(len(ids), func(i int) bool { return ids[i].Compare(r.n.Last) > 0 })
		n := int64(max(hi-lo, 0))
		if n != r.n.Valid {
			c.r.problem("%s: node %s counts %d entries, holds %d", name, r.master, r.n.Valid, n)
		}
		valid += r.n.Valid
		return nil
	}); err != nil {
		return err
	}
	if nodes != m.Stream.Nodes {
		c.r.problem("%s: stored node count %d, %d node records", name, m.Stream.Nodes, nodes)
	}
	if valid != m.Count {
		c.r.problem("%s: nodes count %d entries, length is %d", name, valid, m.Count)
	}
	var groups int64
	if err := c.scan(codec.StreamGroupPrefix(v), func(k, val []byte) error {
		groups++
		group := append([]byte(nil), codec.StreamGroupFromKey(k)...)
		g, err := codec.DecodeStreamGroup(val)
		if err != nil {
			c.r.problem("%s: group %q is undecodable", name, group)
			return nil
		}
		owners := map[string]int64{}
		var pel int64
		if err := c.scan(codec.StreamPELPrefix(v, group), func(k, val []byte) error {
			if pel == 0 && codec.IDFromTail(k) != g.PELHead {
				c.r.problem("%s: group %q: first pending id recorded as %s, is %s", name, group, g.PELHead, codec.IDFromTail(k))
			}
			pel++
			n, err := codec.DecodeStreamNACK(val)
			if err != nil {
				c.r.problem("%s: group %q: undecodable pending entry", name, group)
				return nil
			}
			owners[string(n.Consumer)]++
			ok, err := c.has(codec.StreamConsumerPELKey(v, group, n.Consumer, codec.IDFromTail(k)))
			if err == nil && !ok {
				c.r.problem("%s: group %q: %s pending for %q is not in its index", name, group, codec.IDFromTail(k), n.Consumer)
			}
			return err
		}); err != nil {
			return err
		}
		if pel != g.Pending {
			c.r.problem("%s: group %q counts %d pending, %d records", name, group, g.Pending, pel)
		}
		var consumers int64
		if err := c.scan(codec.StreamConsumerPrefix(v, group), func(k, val []byte) error {
			consumers++
			cname := string(k[len(codec.StreamConsumerPrefix(v, group)):])
			cs, err := codec.DecodeStreamConsumer(val)
			if err != nil {
				c.r.problem("%s: group %q: consumer %q is undecodable", name, group, cname)
				return nil
			}
			if cs.Pending > 0 {
				first := StreamID{}
				pp := codec.StreamConsumerPELPrefix(v, group, []byte(cname))
				if err := c.scan(pp, func(k, _ []byte) error {
					if first.IsZero() {
						first = codec.IDFromTail(k)
					}
					return nil
				}); err != nil {
					return err
				}
				if first != cs.PELHead {
					c.r.problem("%s: group %q: consumer %q first pending recorded as %s, is %s", name, group, cname, cs.PELHead, first)
				}
			}
			if cs.Pending != owners[cname] {
				c.r.problem("%s: group %q: consumer %q counts %d pending, owns %d", name, group, cname, cs.Pending, owners[cname])
			}
			delete(owners, cname)
			return nil
		}); err != nil {
			return err
		}
		for o := range owners {
			c.r.problem("%s: group %q: pending entries owned by missing consumer %q", name, group, o)
		}
		if consumers != g.Consumers {
			c.r.problem("%s: group %q counts %d consumers, %d records", name, group, g.Consumers, consumers)
		}
		return nil
	}); err != nil {
		return err
	}
	if groups != m.Stream.Groups {
		c.r.problem("%s: stored group count %d, %d group records", name, m.Stream.Groups, groups)
	}
	return nil
}
