package storage

import (
	"errors"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
)

// Member-level helpers shared by the collection types whose members are
// plain `tag | version | member → value` records (hashes and sets): point
// reads, ordered iteration and cursor scans (random picks are in
// sample.go). None of them loads a whole collection into memory.

// has reports whether a record exists, without copying its value.
func (tx *Tx) has(key []byte) (bool, error) {
	if e := tx.reads.find(key); e != nil {
		return e.ok, nil
	}
	rows := tx.rowsAnswer(key)
	cache := tx.db.cacheFor(key)
	if rows {
		if _, kind, found := cache.get(noCopy, key, false); found {
			return kind == rowValue, nil
		}
	}
	if tx.certainlyAbsent(key) {
		return false, nil
	}
	r := tx.reader()
	if rows {
		r = tx.db.pdb // as in read: the batch holds nothing of key
	}
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		if rows {
			cache.fill(key, nil, false)
		}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if rows {
		cache.fill(key, v, true)
	}
	closer.Close()
	return true, nil
}

// noCopy is a copyOut for a caller that needs no value, only whether the
// record is there.
func noCopy([]byte) []byte { return nil }

// MemberIter walks a collection's members in member (byte) order. Count is
// the number of members the metadata records, known before the first Next,
// so a reply can announce its length and then stream.
//
// Member and Value alias Pebble's buffers: they are valid only until the
// next call to Next or Close.
//
// An iterator may instead walk members read beforehand (read: a hash in
// insertion order; list: an intset's members in numeric order) or an
// inline hash's entries (fromMeta: inline is what is left of them after
// the current one), and may skip a prefix of every value (an ordered
// hash's sequence).
type MemberIter struct {
	Count   int64
	it      *pebble.Iterator
	started bool
	skip    int
	read    *hashFields
	list    [][]byte
	pos     int
	// fromMeta walks inline; field and value are the current entry's,
	// err what stopped the walk (an entry that does not decode).
	fromMeta     bool
	inline       []byte
	field, value []byte
	err          error
}

// memberIter opens an iterator over the members of m with tag (an absent
// collection, m == nil, gives an empty iterator).
func (tx *Tx) memberIter(m *Meta, tag byte) (*MemberIter, error) {
	if m == nil {
		return &MemberIter{}, nil
	}
	prefix := codec.MemberPrefix(tag, m.Version)
	it, err := tx.iter(prefix, codec.PrefixEnd(prefix))
	if err != nil {
		return nil, err
	}
	return &MemberIter{Count: m.Count, it: it}, nil
}

// Next moves to the next member and reports whether there is one.
func (mi *MemberIter) Next() bool {
	if mi.fromMeta {
		f, v, rest, ok, valid := codec.NextHEntry(mi.inline)
		if !valid {
			mi.err = codec.ErrCorruptMeta
		}
		mi.field, mi.value, mi.inline = f, v, rest
		return ok
	}
	if mi.read != nil || mi.list != nil {
		if mi.started {
			mi.pos++
		}
		mi.started = true
		if mi.list != nil {
			return mi.pos < len(mi.list)
		}
		return mi.pos < mi.read.len()
	}
	if mi.it == nil {
		return false
	}
	if !mi.started {
		mi.started = true
		return mi.it.First()
	}
	return mi.it.Next()
}

// Member is the current member (a hash field, a set member).
func (mi *MemberIter) Member() []byte {
	if mi.fromMeta {
		return mi.field
	}
	if mi.list != nil {
		return mi.list[mi.pos]
	}
	if mi.read != nil {
		return mi.read.field(mi.pos)
	}
	return codec.MemberFromKey(mi.it.Key())
}

// Value is the current member's value (empty for sets).
func (mi *MemberIter) Value() []byte {
	if mi.fromMeta {
		return mi.value
	}
	if mi.list != nil {
		return nil
	}
	if mi.read != nil {
		return mi.read.value(mi.pos)
	}
	if v := mi.it.Value(); len(v) >= mi.skip {
		return v[mi.skip:]
	}
	return nil
}

// Close releases the iterator and reports any error that stopped it early.
func (mi *MemberIter) Close() error {
	if mi.fromMeta {
		mi.inline = nil
		return mi.err
	}
	if mi.read != nil {
		mi.read.release()
		mi.read = nil
		mi.pos = 0
		return nil
	}
	if mi.list != nil {
		mi.list = nil
		return nil
	}
	if mi.it == nil {
		return nil
	}
	err := mi.it.Close()
	mi.it = nil
	return err
}

// MemberScan is one page of HSCAN or SSCAN.
type MemberScan struct {
	Members [][]byte
	Values  [][]byte // hashes only
	// Next is the member the next page starts at, nil when the scan is
	// complete.
	Next []byte
}

// ScanOptions select the members a scan page returns.
type ScanOptions struct {
	// From is the member to resume at (inclusive), nil for the start.
	From []byte
	// Count is how many members to visit (not to return: as in Redis, a
	// filtered page may come back short or empty).
	Count int
	// Prefix, when set, is a prefix every member Match accepts carries:
	// the scan visits only that range.
	Prefix []byte
	// Match filters members; nil accepts all.
	Match func(member []byte) bool
}

// scanMembers reads one page of a collection's members in member order.
func (tx *Tx) scanMembers(m *Meta, tag byte, o ScanOptions, withValues bool) (MemberScan, error) {
	var res MemberScan
	if m == nil {
		return res, nil
	}
	prefix := codec.MemberPrefix(tag, m.Version)
	lower, upper := prefix, codec.PrefixEnd(prefix)
	if o.Prefix != nil {
		lower = codec.MemberKey(tag, m.Version, o.Prefix)
		if end := codec.PrefixEnd(lower); end != nil {
			upper = end
		}
	}
	if o.From != nil {
		if from := codec.MemberKey(tag, m.Version, o.From); string(from) > string(lower) {
			lower = from
		}
	}
	it, err := tx.iter(lower, upper)
	if err != nil {
		return res, err
	}
	defer it.Close()
	visited := 0
	for it.First(); it.Valid(); it.Next() {
		member := codec.MemberFromKey(it.Key())
		if visited >= o.Count {
			res.Next = append([]byte{}, member...)
			break
		}
		visited++
		if o.Match != nil && !o.Match(member) {
			continue
		}
		res.Members = append(res.Members, append([]byte{}, member...))
		if withValues {
			res.Values = append(res.Values, append([]byte{}, it.Value()...))
		}
	}
	return res, it.Error()
}
