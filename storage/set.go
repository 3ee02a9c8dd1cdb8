package storage

import (
	"bytes"
	"cmp"
	"container/heap"
	"slices"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
)

// Sets: one metadata record (type, expiry, version, member count) and one
// empty record per member, `s | version | member`. Membership is a point
// read, SCARD reads the count in the metadata, and the set algebra streams
// its inputs in member order: SINTER walks the smallest set and point-checks
// the others, SDIFF walks the first and point-checks the rest, SUNION
// merges every input's ordered stream.

// lookupSet loads key's metadata as a set (nil when absent).
func (tx *Tx) lookupSet(db int, key []byte) (*Meta, error) {
	return tx.typed(db, key, codec.TypeSet)
}

// setForWrite loads key's set metadata, or fresh metadata for a new set;
// prev is what was there (nil for a new key), for putMeta.
func (tx *Tx) setForWrite(db int, key []byte) (m, prev *Meta, err error) {
	prev, err = tx.lookupSet(db, key)
	if err != nil {
		return nil, nil, err
	}
	if prev != nil {
		next := *prev
		return &next, prev, nil
	}
	m, err = tx.newCollection(codec.TypeSet)
	return m, nil, err
}

// saddMember adds one member and reports whether it is new, keeping m's
// count and encoding exact.
func (tx *Tx) saddMember(m *Meta, member []byte) (bool, error) {
	k := codec.MemberKey(codec.TagSet, m.Version, member)
	ok, err := tx.has(k)
	if err != nil || ok {
		return false, err
	}
	if err := tx.set(k, nil); err != nil {
		return false, err
	}
	tx.setGrown(m, member)
	return true, nil
}

// setGrown counts a member just added to m, and converts m as Redis's
// setTypeAdd does: an intset takes integers (as string2ll reads them) up
// to set-max-intset-entries, and becomes a hashtable, for good, at the
// first member that is not one or is one too many. A new set starts as an
// intset, so its first member decides, as setTypeCreate does.
func (tx *Tx) setGrown(m *Meta, member []byte) {
	m.Count++
	if m.SetHashtable {
		return
	}
	if _, isInt := codec.ParseInt(member); !isInt || m.Count > tx.db.setEntries.Load() {
		m.SetHashtable = true
	}
}

// SetSetLimits changes set-max-intset-entries: the size past which a set
// written from now on is converted to a hashtable.
func (db *DB) SetSetLimits(entries int64) { db.setEntries.Store(entries) }

// SetEncoding is what OBJECT ENCODING answers for a set.
func (tx *Tx) SetEncoding(db int, key []byte) (string, error) {
	m, err := tx.lookupSet(db, key)
	if err != nil || m == nil {
		return "", err
	}
	if m.SetHashtable {
		return "hashtable", nil
	}
	return "intset", nil
}

// SAdd adds members and returns how many were new.
func (tx *Tx) SAdd(db int, key []byte, members [][]byte) (int64, error) {
	m, prev, err := tx.setForWrite(db, key)
	if err != nil {
		return 0, err
	}
	var added int64
	for _, mem := range members {
		isNew, err := tx.saddMember(m, mem)
		if err != nil {
			return 0, err
		}
		if isNew {
			added++
		}
	}
	return added, tx.putMetaIfGrown(db, key, prev, m)
}

// sremMember removes one member and reports whether it was there.
func (tx *Tx) sremMember(m *Meta, member []byte) (bool, error) {
	k := codec.MemberKey(codec.TagSet, m.Version, member)
	ok, err := tx.has(k)
	if err != nil || !ok {
		return false, err
	}
	if err := tx.del(k); err != nil {
		return false, err
	}
	m.Count--
	return true, nil
}

// SRem removes members and returns how many were there. A set left empty
// is deleted.
func (tx *Tx) SRem(db int, key []byte, members [][]byte) (int64, error) {
	m, err := tx.lookupSet(db, key)
	if err != nil || m == nil {
		return 0, err
	}
	next := *m
	var removed int64
	for _, mem := range members {
		ok, err := tx.sremMember(&next, mem)
		if err != nil {
			return 0, err
		}
		if ok {
			removed++
		}
	}
	return removed, tx.shrunk(db, key, m, &next)
}

// SIsMember reports whether member is in the set.
func (tx *Tx) SIsMember(db int, key, member []byte) (bool, error) {
	m, err := tx.lookupSet(db, key)
	if err != nil || m == nil {
		return false, err
	}
	return tx.has(codec.MemberKey(codec.TagSet, m.Version, member))
}

// SMIsMember reports, for each member, whether it is in the set.
func (tx *Tx) SMIsMember(db int, key []byte, members [][]byte) ([]bool, error) {
	m, err := tx.lookupSet(db, key)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(members))
	if m == nil {
		return out, nil
	}
	for i, mem := range members {
		if out[i], err = tx.has(codec.MemberKey(codec.TagSet, m.Version, mem)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SCard is the number of members (0 for an absent key), from the metadata.
func (tx *Tx) SCard(db int, key []byte) (int64, error) {
	m, err := tx.lookupSet(db, key)
	if err != nil || m == nil {
		return 0, err
	}
	return m.Count, nil
}

// SIter walks every member of a set (SMEMBERS): an intset's in numeric
// order, as Redis walks one, others in member order. The caller must Close
// it.
func (tx *Tx) SIter(db int, key []byte) (*MemberIter, error) {
	m, err := tx.lookupSet(db, key)
	if err != nil {
		return nil, err
	}
	if m != nil && !m.SetHashtable {
		all, err := tx.setMembers(m)
		if err != nil {
			return nil, err
		}
		return &MemberIter{Count: m.Count, list: all}, nil
	}
	return tx.memberIter(m, codec.TagSet)
}

// setMembers reads every member of a set: an intset's in numeric order,
// others in member order.
func (tx *Tx) setMembers(m *Meta) ([][]byte, error) {
	all, _, err := tx.allMembers(m, codec.TagSet, false)
	if err == nil && !m.SetHashtable {
		sortInts(all)
	}
	return all, err
}

// sortInts orders members that are all integers numerically.
func sortInts(members [][]byte) {
	slices.SortFunc(members, func(a, b []byte) int {
		x, _ := codec.ParseInt(a)
		y, _ := codec.ParseInt(b)
		return cmp.Compare(x, y)
	})
}

// SPop removes and returns count distinct random members (all of them when
// count reaches the size, deleting the key).
func (tx *Tx) SPop(db int, key []byte, count int64) ([][]byte, error) {
	m, err := tx.lookupSet(db, key)
	if err != nil || m == nil || count <= 0 {
		return nil, err
	}
	if count >= m.Count {
		all, err := tx.setMembers(m)
		if err != nil {
			return nil, err
		}
		return all, tx.deleteKey(db, key, m)
	}
	s, err := tx.sampleMembers(m, codec.TagSet, count, true, false)
	if err != nil {
		return nil, err
	}
	next := *m
	for _, mem := range s.members {
		if _, err := tx.sremMember(&next, mem); err != nil {
			return nil, err
		}
	}
	return s.members, tx.shrunk(db, key, m, &next)
}

// SRandMember picks count random members: distinct ones (at most SCARD)
// with distinct, independent picks that may repeat otherwise.
func (tx *Tx) SRandMember(db int, key []byte, count int64, distinct bool) ([][]byte, error) {
	m, err := tx.lookupSet(db, key)
	if err != nil || m == nil {
		return nil, err
	}
	if distinct && count >= m.Count {
		return tx.setMembers(m)
	}
	s, err := tx.sampleMembers(m, codec.TagSet, count, distinct, false)
	return s.members, err
}

// SMove moves member from src to dst and reports whether src had it. As in
// Redis, an absent src answers false before dst's type is checked.
func (tx *Tx) SMove(db int, src, dst, member []byte) (bool, error) {
	sm, err := tx.meta(db, src)
	if err != nil {
		return false, err
	}
	dm, err := tx.meta(db, dst)
	if err != nil || sm == nil {
		return false, err
	}
	if sm.Type != codec.TypeSet || (dm != nil && dm.Type != codec.TypeSet) {
		return false, ErrWrongType
	}
	if bytes.Equal(src, dst) {
		return tx.has(codec.MemberKey(codec.TagSet, sm.Version, member))
	}
	snext := *sm
	ok, err := tx.sremMember(&snext, member)
	if err != nil || !ok {
		return false, err
	}
	if err := tx.shrunk(db, src, sm, &snext); err != nil {
		return false, err
	}
	d, prev, err := tx.setForWrite(db, dst)
	if err != nil {
		return false, err
	}
	if _, err := tx.saddMember(d, member); err != nil {
		return false, err
	}
	return true, tx.putMetaIfGrown(db, dst, prev, d)
}

// SetOp is a set-algebra operation.
type SetOp int

// The set-algebra operations.
const (
	SetUnion SetOp = iota
	SetInter
	SetDiff
)

// SCombine computes the union, intersection or difference of the sets at
// keys (an absent key is an empty set) and returns its members: in
// numeric order when they are all integers, as Redis answers an intset
// (its result when it fits one, or the smallest input it walks for an
// intersection; otherwise its order is arbitrary), in member order
// otherwise.
func (tx *Tx) SCombine(db int, op SetOp, keys [][]byte) ([][]byte, error) {
	var out [][]byte
	ints := true
	err := tx.combine(db, op, keys, func(member []byte) (bool, error) {
		if ints {
			_, ints = codec.ParseInt(member)
		}
		out = append(out, append([]byte{}, member...))
		return true, nil
	})
	if ints {
		sortInts(out)
	}
	return out, err
}

// SCombineStore stores the result of op over keys at dst, replacing
// whatever dst held (an empty result deletes dst), and returns its size.
func (tx *Tx) SCombineStore(db int, op SetOp, dst []byte, keys [][]byte) (int64, error) {
	var d *Meta
	// The result goes under a fresh version while the inputs are read, so
	// dst may be one of them; the old dst is dropped afterwards.
	err := tx.combine(db, op, keys, func(member []byte) (bool, error) {
		if d == nil {
			var err error
			if d, err = tx.newCollection(codec.TypeSet); err != nil {
				return false, err
			}
		}
		tx.setGrown(d, member)
		return true, tx.set(codec.MemberKey(codec.TagSet, d.Version, member), nil)
	})
	if err != nil {
		return 0, err
	}
	old, err := tx.meta(db, dst)
	if err != nil {
		return 0, err
	}
	if old != nil {
		if err := tx.deleteKey(db, dst, old); err != nil {
			return 0, err
		}
	}
	if d == nil {
		return 0, nil
	}
	return d.Count, tx.putMeta(db, dst, nil, d)
}

// SInterCard counts the intersection of the sets at keys, stopping at
// limit when it is positive.
func (tx *Tx) SInterCard(db int, keys [][]byte, limit int64) (int64, error) {
	var n int64
	err := tx.combine(db, SetInter, keys, func([]byte) (bool, error) {
		n++
		return limit <= 0 || n < limit, nil
	})
	return n, err
}

// combine runs op over keys and calls emit once for each member of the
// result, in member order; emit returns false to stop early. The member
// passed to emit is valid only during the call.
func (tx *Tx) combine(db int, op SetOp, keys [][]byte, emit func([]byte) (bool, error)) error {
	sets := make([]*Meta, len(keys))
	for i, k := range keys {
		m, err := tx.lookupSet(db, k)
		if err != nil {
			return err
		}
		sets[i] = m
	}
	switch op {
	case SetInter:
		return tx.inter(sets, emit)
	case SetDiff:
		return tx.diff(sets, emit)
	}
	return tx.union(sets, emit)
}

// inter walks the smallest set and keeps the members every other set has.
func (tx *Tx) inter(sets []*Meta, emit func([]byte) (bool, error)) error {
	if slices.Contains(sets, nil) {
		return nil
	}
	sets = slices.Clone(sets)
	slices.SortStableFunc(sets, func(a, b *Meta) int { return cmp.Compare(a.Count, b.Count) })
	return tx.filterFirst(sets[0], sets[1:], true, emit)
}

// diff walks the first set and keeps the members no other set has.
func (tx *Tx) diff(sets []*Meta, emit func([]byte) (bool, error)) error {
	first := sets[0]
	if first == nil {
		return nil
	}
	var others []*Meta
	for _, m := range sets[1:] {
		if m == nil {
			continue
		}
		if m.Version == first.Version {
			return nil // a set minus itself
		}
		others = append(others, m)
	}
	// Larger sets first: a member is likelier to be found, and dropped,
	// at the first check.
	slices.SortStableFunc(others, func(a, b *Meta) int { return cmp.Compare(b.Count, a.Count) })
	return tx.filterFirst(first, others, false, emit)
}

// filterFirst walks first and emits each member that is in every one of
// others (all == true) or in none of them (all == false).
func (tx *Tx) filterFirst(first *Meta, others []*Meta, all bool, emit func([]byte) (bool, error)) error {
	mi, err := tx.memberIter(first, codec.TagSet)
	if err != nil {
		return err
	}
	defer mi.Close()
	for mi.Next() {
		member := mi.Member()
		keep := true
		for _, o := range others {
			if o.Version == first.Version {
				continue
			}
			in, err := tx.has(codec.MemberKey(codec.TagSet, o.Version, member))
			if err != nil {
				return err
			}
			if in != all {
				keep = false
				break
			}
		}
		if !keep {
			continue
		}
		more, err := emit(member)
		if err != nil {
			return err
		}
		if !more {
			break
		}
	}
	return mi.Close()
}

// union merges the ordered member streams of every set, emitting each
// member once.
func (tx *Tx) union(sets []*Meta, emit func([]byte) (bool, error)) error {
	var h mergeHeap
	defer func() {
		for _, it := range h {
			it.Close()
		}
	}()
	seen := map[uint64]bool{}
	for _, m := range sets {
		if m == nil || seen[m.Version] {
			continue
		}
		seen[m.Version] = true
		prefix := codec.MemberPrefix(codec.TagSet, m.Version)
		it, err := tx.iter(prefix, codec.PrefixEnd(prefix))
		if err != nil {
			return err
		}
		if !it.First() {
			err := it.Close()
			if err != nil {
				return err
			}
			continue
		}
		h = append(h, it)
	}
	heap.Init(&h)
	var last []byte
	started := false
	for len(h) > 0 {
		it := h[0]
		member := codec.MemberFromKey(it.Key())
		if !started || !bytes.Equal(member, last) {
			started = true
			last = append(last[:0], member...)
			more, err := emit(last)
			if err != nil {
				return err
			}
			if !more {
				return nil
			}
		}
		if it.Next() {
			heap.Fix(&h, 0)
			continue
		}
		heap.Pop(&h)
		if err := it.Close(); err != nil {
			return err
		}
	}
	return nil
}

// mergeHeap orders positioned iterators by their current member. All keys
// share the tag and have an 8-byte version before the member, so members
// compare by the key tail.
type mergeHeap []*pebble.Iterator

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	return bytes.Compare(codec.MemberFromKey(h[i].Key()), codec.MemberFromKey(h[j].Key())) < 0
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(*pebble.Iterator)) }
func (h *mergeHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// SScan reads one SSCAN page. Redis answers an intset's scan whole, in
// numeric order, with cursor 0, and so does SScan.
func (tx *Tx) SScan(db int, key []byte, o ScanOptions) (MemberScan, error) {
	m, err := tx.lookupSet(db, key)
	if err != nil {
		return MemberScan{}, err
	}
	if m == nil || m.SetHashtable {
		return tx.scanMembers(m, codec.TagSet, o, false)
	}
	all, err := tx.setMembers(m)
	var res MemberScan
	for _, member := range all {
		if o.Match == nil || o.Match(member) {
			res.Members = append(res.Members, member)
		}
	}
	return res, err
}
