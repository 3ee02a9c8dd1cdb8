package storage

import (
	"bytes"
	"errors"
	"slices"

	"moonstone/codec"
)

// Lists.
//
// A small list keeps its elements in its metadata record
// (list_inline.go), where an element's position is its index: Head is 0.
// Once past that, its metadata holds Head and Tail: its elements occupy
// the absolute positions [Head, Tail) with no gap, one record each at
// codec.ListKey(version, position), whose index is encoded so that byte
// order is numeric order. Element i, counted from the left from 0, is at
// Head+i. Pushing on the left moves Head down (below zero if need be),
// pushing on the right moves Tail up. Count is always Tail-Head, and a list
// that becomes empty is deleted, as in Redis.
//
// What each operation costs in Pebble reads and writes (n elements) once
// the list is records (an inline list's cost is the one record, whatever
// the operation):
//   - LPUSH/RPUSH/LPOP/RPOP of one element, LINDEX, LSET, LLEN: one point
//     read or write plus the metadata, whatever n.
//   - LRANGE, LPOP/RPOP with a count, LPOS: one seek to the first position
//     wanted, then a scan of the elements returned (LPOS: examined).
//   - LTRIM: blind deletes of the trimmed positions (no reads), or one range
//     deletion when many go.
//   - LINSERT: a scan from the head to the pivot (i reads), then the shorter
//     side of the insertion point moves by one position: min(i, n-i)
//     rewrites.
//   - LREM: a scan from the end it starts at until it has found its count of
//     matches (all of the list for count 0), then the gaps are closed by
//     moving the survivors on the shorter side of the removals: from the
//     first removal to the tail, or from the head to the last removal,
//     whichever moves fewer elements.

// errCorruptList reports a list whose metadata promises an element that is
// not there.
var errCorruptList = errors.New("storage: list element missing")

// ListEnd names one end of a list.
type ListEnd int

const (
	// ListLeft is the head: LPUSH, LPOP, index 0.
	ListLeft ListEnd = iota
	// ListRight is the tail: RPUSH, RPOP, index -1.
	ListRight
)

// list is a list being read or changed by one operation: its metadata as
// loaded (prev) and as it will be saved (m).
type list struct {
	tx   *Tx
	db   int
	key  []byte
	prev *Meta // nil for a list this operation creates
	m    Meta
	// elems are an inline list's elements, head first (m.LInline).
	elems [][]byte
	// shrink is set when a pop left a list of records small enough that
	// save should try to move it back inline (list_inline.go).
	shrink bool
}

// openList loads key as a list: nil when absent, ErrWrongType when key holds
// another type.
func (tx *Tx) openList(db int, key []byte) (*list, error) {
	m, err := tx.typed(db, key, codec.TypeList)
	if err != nil || m == nil {
		return nil, err
	}
	return tx.listOf(db, key, m)
}

// createList starts a new, empty list at key (which must not exist).
func (tx *Tx) createList(db int, key []byte) (*list, error) {
	m, err := tx.newCollection(codec.TypeList)
	if err != nil {
		return nil, err
	}
	return &list{tx: tx, db: db, key: key, m: *m}, nil
}

func (l *list) len() int64 {
	if l.m.LInline {
		return int64(len(l.elems))
	}
	return l.m.Tail - l.m.Head
}

// at is the record key of absolute position p.
func (l *list) at(p int64) []byte { return codec.ListKey(l.m.Version, p) }

// save writes the list's metadata back, or deletes the key if the list is
// now empty. Elements must already be written or deleted.
func (l *list) save() error {
	if l.len() == 0 {
		if l.prev == nil {
			return nil
		}
		l.m.Count = 0 // the elements are gone: deleteKey finds nothing to delete
		return l.tx.deleteKey(l.db, l.key, &l.m)
	}
	if l.shrink && !l.m.LInline {
		if err := l.shrinkInline(); err != nil {
			return err
		}
	}
	if l.m.LInline {
		if err := l.saveInline(); err != nil {
			return err
		}
	}
	l.m.Count = l.len()
	return l.tx.putMeta(l.db, l.key, l.prev, &l.m)
}

// push adds values one at a time at end, so LPUSH a b c leaves c first.
func (l *list) push(end ListEnd, values ...[]byte) error {
	if l.m.LInline {
		l.pushInline(end, values)
		return nil
	}
	for _, v := range values {
		var p int64
		if end == ListLeft {
			l.m.Head--
			p = l.m.Head
		} else {
			p = l.m.Tail
			l.m.Tail++
		}
		if err := l.tx.set(l.at(p), v); err != nil {
			return err
		}
	}
	return nil
}

// pop removes up to count elements from end and returns them in the order
// they were popped.
func (l *list) pop(end ListEnd, count int64) ([][]byte, error) {
	n := min(count, l.len())
	if n <= 0 {
		return nil, nil
	}
	if l.m.LInline {
		return l.popInline(end, n), nil
	}
	lo, hi := l.m.Head, l.m.Head+n
	if end == ListRight {
		lo, hi = l.m.Tail-n, l.m.Tail
	}
	vals, err := l.read(lo, hi, end == ListRight)
	if err != nil {
		return nil, err
	}
	if err := l.deletePositions(lo, hi); err != nil {
		return nil, err
	}
	if end == ListLeft {
		l.m.Head = hi
	} else {
		l.m.Tail = lo
	}
	l.shrink = mayShrink(l.len(), vals)
	return vals, nil
}

// read returns the elements at absolute positions [lo, hi), from hi-1 down
// when reverse is set. One element is a point read; more are one seek and a
// scan.
func (l *list) read(lo, hi int64, reverse bool) ([][]byte, error) {
	if hi <= lo {
		return nil, nil
	}
	if l.m.LInline {
		out := slices.Clone(l.elems[lo:hi])
		if reverse {
			slices.Reverse(out)
		}
		return out, nil
	}
	if hi-lo == 1 {
		v, ok, err := l.tx.get(l.at(lo))
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errCorruptList
		}
		return [][]byte{v}, nil
	}
	out := make([][]byte, 0, hi-lo)
	err := l.scan(lo, hi, reverse, func(_ int64, v []byte) (bool, error) {
		out = append(out, owned(v))
		return true, nil
	})
	if err == nil && int64(len(out)) != hi-lo {
		err = errCorruptList
	}
	return out, err
}

// scan calls fn with each element at absolute positions [lo, hi), in order
// or from hi-1 down, until fn returns false. v is valid only during the
// call: fn must copy it to keep it.
func (l *list) scan(lo, hi int64, reverse bool, fn func(p int64, v []byte) (bool, error)) error {
	if hi <= lo {
		return nil
	}
	if l.m.LInline {
		for i := range hi - lo {
			p := lo + i
			if reverse {
				p = hi - 1 - i
			}
			if more, err := fn(p, l.elems[p]); err != nil || !more {
				return err
			}
		}
		return nil
	}
	it, err := l.tx.iter(l.at(lo), l.at(hi))
	if err != nil {
		return err
	}
	valid := it.First
	next := it.Next
	if reverse {
		valid, next = it.Last, it.Prev
	}
	for ok := valid(); ok; ok = next() {
		more, err := fn(codec.ListIndexFromKey(it.Key()), it.Value())
		if err != nil {
			it.Close()
			return err
		}
		if !more {
			break
		}
	}
	if err := it.Error(); err != nil {
		it.Close()
		return err
	}
	return it.Close()
}

// deletePositions removes the records at absolute positions [lo, hi)
// without reading them: point deletes for a few, one range deletion for
// many (see smallCollection).
func (l *list) deletePositions(lo, hi int64) error {
	if hi-lo > smallCollection {
		return l.tx.deleteRange(l.at(lo), l.at(hi))
	}
	for p := lo; p < hi; p++ {
		if err := l.tx.del(l.at(p)); err != nil {
			return err
		}
	}
	return nil
}

// move rewrites the elements at absolute positions [lo, hi) delta places
// away. The iterator sees the batch as it was when it opened, but the scan
// also runs away from the positions it writes, so it never reads a record
// it has just moved. Batch.Set copies v, so the iterator's buffer may be
// passed straight to it.
func (l *list) move(lo, hi, delta int64) error {
	return l.scan(lo, hi, delta > 0, func(p int64, v []byte) (bool, error) {
		return true, l.tx.set(l.at(p+delta), v)
	})
}

// insertAt inserts v so that it becomes element k (0 <= k <= len), moving
// whichever side of k is shorter by one position.
func (l *list) insertAt(k int64, v []byte) error {
	if l.m.LInline {
		l.keep(slices.Insert(l.elems, int(k), v))
		return nil
	}
	n := l.len()
	if k < n-k {
		if err := l.move(l.m.Head, l.m.Head+k, -1); err != nil {
			return err
		}
		l.m.Head--
	} else {
		if err := l.move(l.m.Head+k, l.m.Tail, 1); err != nil {
			return err
		}
		l.m.Tail++
	}
	return l.tx.set(l.at(l.m.Head+k), v)
}

// removeAt deletes the elements at the given indexes (ascending, distinct,
// not all of the list) and closes the gaps from the shorter side.
func (l *list) removeAt(idx []int64) error {
	if l.m.LInline {
		l.removeInline(idx)
		return nil
	}
	n, m := l.len(), int64(len(idx))
	first, last := idx[0], idx[m-1]
	// Survivors that must move: those after the first removal if the gaps
	// close toward the head, those before the last removal otherwise.
	towardHead := n-1-first-(m-1) <= last-(m-1)
	if towardHead {
		i := 0 // idx[:i] lie before the element being visited
		err := l.scan(l.m.Head+first, l.m.Tail, false, func(p int64, v []byte) (bool, error) {
			for i < len(idx) && l.m.Head+idx[i] <= p {
				i++
			}
			if i > 0 && l.m.Head+idx[i-1] == p {
				return true, nil // removed
			}
			return true, l.tx.set(l.at(p-int64(i)), v)
		})
		if err != nil {
			return err
		}
		if err := l.deletePositions(l.m.Tail-m, l.m.Tail); err != nil {
			return err
		}
		l.m.Tail -= m
		return nil
	}
	j := len(idx) // idx[j:] lie after the element being visited
	err := l.scan(l.m.Head, l.m.Head+last+1, true, func(p int64, v []byte) (bool, error) {
		for j > 0 && l.m.Head+idx[j-1] >= p {
			j--
		}
		if j < len(idx) && l.m.Head+idx[j] == p {
			return true, nil // removed
		}
		return true, l.tx.set(l.at(p+int64(len(idx)-j)), v)
	})
	if err != nil {
		return err
	}
	if err := l.deletePositions(l.m.Head, l.m.Head+m); err != nil {
		return err
	}
	l.m.Head += m
	return nil
}

// normalizeRange turns LRANGE/LTRIM's inclusive start and stop (negative
// counts from the end) into a half-open index range [from, to) within a list
// of n elements, empty when nothing is selected. The rules are Redis's.
func normalizeRange(start, stop, n int64) (from, to int64) {
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= n {
		return 0, 0
	}
	if stop >= n {
		stop = n - 1
	}
	return start, stop + 1
}

// ListPush is LPUSH and RPUSH, or with onlyExisting LPUSHX and RPUSHX: it
// pushes values one at a time at end and returns the new length (0 when
// onlyExisting is set and key does not exist).
func (tx *Tx) ListPush(db int, key []byte, end ListEnd, values [][]byte, onlyExisting bool) (int64, error) {
	l, err := tx.openList(db, key)
	if err != nil {
		return 0, err
	}
	if l == nil {
		if onlyExisting {
			return 0, nil
		}
		if l, err = tx.createList(db, key); err != nil {
			return 0, err
		}
	}
	if err := l.push(end, values...); err != nil {
		return 0, err
	}
	return l.len(), l.save()
}

// ListPop is LPOP and RPOP: it removes up to count elements from end and
// returns them in the order popped. ok is false when key does not exist; a
// count of 0 only checks the key. Blocking pops reuse it once a key has
// elements.
func (tx *Tx) ListPop(db int, key []byte, end ListEnd, count int64) (vals [][]byte, ok bool, err error) {
	l, err := tx.openList(db, key)
	if err != nil || l == nil {
		return nil, false, err
	}
	if vals, err = l.pop(end, count); err != nil {
		return nil, false, err
	}
	return vals, true, l.save()
}

// ListMPop is LMPOP: it pops up to count elements from end of the first
// key in keys that holds a list, and returns that key. A key holding
// another type before it is ErrWrongType. key is nil when every key is
// absent.
func (tx *Tx) ListMPop(db int, keys [][]byte, end ListEnd, count int64) (key []byte, vals [][]byte, err error) {
	for _, k := range keys {
		l, err := tx.openList(db, k)
		if err != nil {
			return nil, nil, err
		}
		if l == nil || l.len() == 0 {
			continue
		}
		if vals, err = l.pop(end, count); err != nil {
			return nil, nil, err
		}
		return k, vals, l.save()
	}
	return nil, nil, nil
}

// ListLen is LLEN.
func (tx *Tx) ListLen(db int, key []byte) (int64, error) {
	l, err := tx.openList(db, key)
	if err != nil || l == nil {
		return 0, err
	}
	return l.len(), nil
}

// ListRange is LRANGE: the elements from start to stop inclusive, negative
// indexes counting from the end.
func (tx *Tx) ListRange(db int, key []byte, start, stop int64) ([][]byte, error) {
	l, err := tx.openList(db, key)
	if err != nil || l == nil {
		return nil, err
	}
	from, to := normalizeRange(start, stop, l.len())
	return l.read(l.m.Head+from, l.m.Head+to, false)
}

// ListIndex is LINDEX. ok is false when key does not exist or the index is
// out of range.
func (tx *Tx) ListIndex(db int, key []byte, index int64) (v []byte, ok bool, err error) {
	l, err := tx.openList(db, key)
	if err != nil || l == nil {
		return nil, false, err
	}
	n := l.len()
	if index < 0 {
		index += n
	}
	if index < 0 || index >= n {
		return nil, false, nil
	}
	vals, err := l.read(l.m.Head+index, l.m.Head+index+1, false)
	if err != nil {
		return nil, false, err
	}
	return vals[0], true, nil
}

// ListSet is LSET: ErrNoSuchKey when key does not exist, ErrIndexRange when
// the index is outside the list. It writes the element without reading it.
func (tx *Tx) ListSet(db int, key []byte, index int64, value []byte) error {
	l, err := tx.openList(db, key)
	if err != nil {
		return err
	}
	if l == nil {
		return ErrNoSuchKey
	}
	n := l.len()
	if index < 0 {
		index += n
	}
	if index < 0 || index >= n {
		return ErrIndexRange
	}
	if l.m.LInline {
		l.elems[index] = value
		return l.save()
	}
	return tx.set(l.at(l.m.Head+index), value)
}

// ListInsert is LINSERT: it inserts value before (or after) the first
// element equal to pivot and returns the new length; -1 when no element
// equals pivot, 0 when key does not exist.
func (tx *Tx) ListInsert(db int, key []byte, after bool, pivot, value []byte) (int64, error) {
	l, err := tx.openList(db, key)
	if err != nil || l == nil {
		return 0, err
	}
	k := int64(-1)
	err = l.scan(l.m.Head, l.m.Tail, false, func(p int64, v []byte) (bool, error) {
		if bytes.Equal(v, pivot) {
			k = p - l.m.Head
			return false, nil
		}
		return true, nil
	})
	if err != nil || k < 0 {
		return -1, err
	}
	if after {
		k++
	}
	if err := l.insertAt(k, value); err != nil {
		return 0, err
	}
	return l.len(), l.save()
}

// ListRem is LREM: it removes the first count elements equal to value
// (from the tail when count is negative, every one when count is 0) and
// returns how many it removed.
func (tx *Tx) ListRem(db int, key []byte, count int64, value []byte) (int64, error) {
	l, err := tx.openList(db, key)
	if err != nil || l == nil {
		return 0, err
	}
	reverse := count < 0
	limit := count
	if reverse {
		limit = -count // -MinInt64 stays negative: no limit, as in Redis
	}
	var idx []int64
	err = l.scan(l.m.Head, l.m.Tail, reverse, func(p int64, v []byte) (bool, error) {
		if bytes.Equal(v, value) {
			idx = append(idx, p-l.m.Head)
			if limit > 0 && int64(len(idx)) == limit {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil || len(idx) == 0 {
		return 0, err
	}
	removed := int64(len(idx))
	if removed == l.len() {
		return removed, tx.deleteKey(db, key, l.prev)
	}
	if reverse {
		for i, j := 0, len(idx)-1; i < j; i, j = i+1, j-1 {
			idx[i], idx[j] = idx[j], idx[i]
		}
	}
	if err := l.removeAt(idx); err != nil {
		return 0, err
	}
	return removed, l.save()
}

// ListTrim is LTRIM: it keeps only the elements from start to stop
// inclusive (LRANGE's rules), deleting the key if none remain.
func (tx *Tx) ListTrim(db int, key []byte, start, stop int64) error {
	l, err := tx.openList(db, key)
	if err != nil || l == nil {
		return err
	}
	from, to := normalizeRange(start, stop, l.len())
	if from == to {
		return tx.deleteKey(db, key, l.prev)
	}
	if l.m.LInline {
		l.keep(l.elems[from:to])
		return l.save()
	}
	if err := l.deletePositions(l.m.Head, l.m.Head+from); err != nil {
		return err
	}
	if err := l.deletePositions(l.m.Head+to, l.m.Tail); err != nil {
		return err
	}
	l.m.Head, l.m.Tail = l.m.Head+from, l.m.Head+to
	return l.save()
}

// ListPosOptions are LPOS's RANK, COUNT and MAXLEN.
type ListPosOptions struct {
	// Rank is the match to start from: 1 the first, -1 the first from the
	// tail. It must not be 0.
	Rank int64
	// Limit is how many matches to return; 0 means all.
	Limit int64
	// MaxLen is how many elements to examine; 0 means all.
	MaxLen int64
}

// ListPos is LPOS: the indexes (counted from the head) of the elements
// equal to elem, in the order found.
func (tx *Tx) ListPos(db int, key, elem []byte, o ListPosOptions) ([]int64, error) {
	l, err := tx.openList(db, key)
	if err != nil || l == nil {
		return nil, err
	}
	rank, reverse := o.Rank, false
	if rank < 0 {
		// As in Redis, -MinInt64 stays negative, so every match counts.
		rank, reverse = -rank, true
	}
	var out []int64
	var seen, matches int64
	err = l.scan(l.m.Head, l.m.Tail, reverse, func(p int64, v []byte) (bool, error) {
		if o.MaxLen != 0 && seen >= o.MaxLen {
			return false, nil
		}
		seen++
		if !bytes.Equal(v, elem) {
			return true, nil
		}
		matches++
		if matches < rank {
			return true, nil
		}
		out = append(out, p-l.m.Head)
		return o.Limit == 0 || matches-rank+1 < o.Limit, nil
	})
	return out, err
}

// ListMove is LMOVE and RPOPLPUSH: it pops one element from the from end of
// src and pushes it at the to end of dst, creating dst if needed. ok is
// false when src does not exist. dst holding another type is ErrWrongType,
// checked before anything changes.
func (tx *Tx) ListMove(db int, src, dst []byte, from, to ListEnd) (v []byte, ok bool, err error) {
	s, err := tx.openList(db, src)
	if err != nil || s == nil {
		return nil, false, err
	}
	d := s
	if !bytes.Equal(src, dst) {
		if d, err = tx.openList(db, dst); err != nil {
			return nil, false, err
		}
	}
	// A list that exists is never empty: the move happens. Redis signals
	// the destination first; so does the change log (changes.go).
	tx.noteKeyChange(db, dst)
	vals, err := s.pop(from, 1)
	if err != nil {
		return nil, false, err
	}
	if len(vals) == 0 {
		return nil, false, nil
	}
	if d == nil {
		if d, err = tx.createList(db, dst); err != nil {
			return nil, false, err
		}
	}
	if err := d.push(to, vals[0]); err != nil {
		return nil, false, err
	}
	if d != s {
		if err := s.save(); err != nil {
			return nil, false, err
		}
	}
	return vals[0], true, d.save()
}

// replaceWithList makes key a new list holding values (SORT ... STORE),
// replacing whatever key held, expiry included; no values deletes key.
func (tx *Tx) replaceWithList(db int, key []byte, values [][]byte) error {
	old, err := tx.meta(db, key)
	if err != nil {
		return err
	}
	if old != nil {
		if err := tx.deleteKey(db, key, old); err != nil {
			return err
		}
	}
	if len(values) == 0 {
		return nil
	}
	l, err := tx.createList(db, key)
	if err != nil {
		return err
	}
	if err := l.push(ListRight, values...); err != nil {
		return err
	}
	return l.save()
}

// owned copies b out of a Pebble buffer. The copy is never nil, so an empty
// element stays distinguishable from "absent" where callers use nil for it.
func owned(b []byte) []byte { return append(make([]byte, 0, len(b)), b...) }
