package storage

import (
	"slices"

	"moonstone/codec"
)

// Small lists inside their metadata record.
//
// A new list starts inline: its elements, head first, are in its metadata
// record (Meta.LEntries, codec/linline.go) instead of a record each. A job
// queue's LPUSH and RPOP then rewrite one record where each wrote an
// element record and the metadata, and a capped list's LPUSH, LTRIM and
// LRANGE are one cached point read and one write. While a list is inline
// an operation works on its elements as a slice (list.elems) and save
// writes them back; Head is 0 and Tail the count. The first save that
// finds the elements past listInlineBytes spills them to element records
// at positions [0, n) (spill) and the list stays records from then on,
// until pops leave it small again (shrinkInline) or it is emptied: an
// empty list is deleted, and the next push starts an inline one.

// listInlineBytes bounds the elements an inline list keeps in its metadata
// record. Every write to the list rewrites them, so the bound keeps a push
// or a pop close to the cost of the element record it replaces, as for
// hashes (hashInlineBytes).
var listInlineBytes = 512

// listOf is the list m, key's metadata, describes.
func (tx *Tx) listOf(db int, key []byte, m *Meta) (*list, error) {
	l := &list{tx: tx, db: db, key: key, prev: m, m: *m}
	if m.LInline {
		// An element takes at least a byte: a corrupt count allocates no
		// more than the payload's length.
		n := min(max(m.Count, 0), int64(len(m.LEntries)))
		elems, ok := codec.SplitLEntries(make([][]byte, 0, n), m.LEntries)
		if !ok || int64(len(elems)) != m.Count || m.Head != 0 || m.Tail != m.Count {
			return nil, codec.ErrCorruptMeta
		}
		l.elems = elems
	}
	return l, nil
}

// keep makes elems an inline list's elements; they are written by save.
func (l *list) keep(elems [][]byte) {
	l.elems = elems
	l.m.Head, l.m.Tail = 0, int64(len(elems))
}

// pushInline is push for an inline list.
func (l *list) pushInline(end ListEnd, values [][]byte) {
	if end == ListRight {
		l.keep(append(l.elems, values...))
		return
	}
	elems := make([][]byte, 0, len(values)+len(l.elems))
	for i := len(values) - 1; i >= 0; i-- {
		elems = append(elems, values[i])
	}
	l.keep(append(elems, l.elems...))
}

// popInline is pop for an inline list: n elements off end, in the order
// popped. They alias the metadata record read, which nothing writes.
func (l *list) popInline(end ListEnd, n int64) [][]byte {
	k := len(l.elems) - int(n)
	if end == ListLeft {
		vals := slices.Clone(l.elems[:n])
		l.keep(l.elems[n:])
		return vals
	}
	vals := slices.Clone(l.elems[k:])
	slices.Reverse(vals)
	l.keep(l.elems[:k])
	return vals
}

// removeInline is removeAt for an inline list.
func (l *list) removeInline(idx []int64) {
	elems := make([][]byte, 0, len(l.elems)-len(idx))
	for i, v := range l.elems {
		if len(idx) > 0 && idx[0] == int64(i) {
			idx = idx[1:]
			continue
		}
		elems = append(elems, v)
	}
	l.keep(elems)
}

// saveInline writes an inline list's elements into its metadata, or
// spills them to element records when they no longer fit.
func (l *list) saveInline() error {
	size := codec.LEntriesSize(l.elems)
	if size <= listInlineBytes {
		l.m.LEntries = codec.JoinLEntries(make([]byte, 0, size), l.elems)
		return nil
	}
	for i, v := range l.elems {
		if err := l.tx.set(l.at(int64(i)), v); err != nil {
			return err
		}
	}
	l.m.LInline, l.m.LEntries, l.elems = false, nil, nil
	return nil
}

// A list of records moves back inline when a pop leaves it at most
// listShrinkElems elements that take at most half of listInlineBytes: a
// job queue that once burst past the bound goes back to one record a push
// or pop once it drains, and the half leaves room for pushes before it
// spills again.
const listShrinkElems = 8

// mayShrink reports whether a list of records left with rest elements by
// a pop of vals is worth reading to move it back inline: the elements
// popped stand for the size of the rest, so a queue of large jobs is not
// read at every pop to find it does not fit.
func mayShrink(rest int64, vals [][]byte) bool {
	if rest <= 0 || rest > listShrinkElems {
		return false
	}
	longest := 0
	for _, v := range vals {
		longest = max(longest, len(v))
	}
	return rest*int64(longest+2) <= int64(listInlineBytes/2)
}

// shrinkInline moves a small list of records back into its metadata
// record: its elements are read, their records deleted, and save writes
// them inline. A list whose elements turn out too large stays as it is.
func (l *list) shrinkInline() error {
	elems, err := l.read(l.m.Head, l.m.Tail, false)
	if err != nil {
		return err
	}
	if codec.LEntriesSize(elems) > listInlineBytes/2 {
		return nil
	}
	// A list of records may come from a directory older than inline lists.
	if err := l.tx.stampFormat(8); err != nil {
		return err
	}
	if err := l.deletePositions(l.m.Head, l.m.Tail); err != nil {
		return err
	}
	l.m.LInline = true
	l.keep(elems)
	return nil
}
