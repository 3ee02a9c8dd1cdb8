package storage

import (
	"bytes"

	"moonstone/codec"
)

// Sorted-set ranges: by score, by lex and by rank. A score or lex range
// resolves to a span, a run [lo, hi) of score-index keys, found by key
// arithmetic or a couple of seeks; everything else (ZRANGE, ZCOUNT,
// ZREMRANGEBY*, ZRANGESTORE) walks or counts spans.

// ScoreRange is a ZRANGEBYSCORE interval; MinEx and MaxEx make a bound
// exclusive, as a "(" prefix does.
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

// below reports whether every score in r is under floor: nothing at or
// above floor can be in r.
func (r ScoreRange) below(floor float64) bool {
	return r.Max < floor || (r.Max == floor && r.MaxEx)
}

// reaches reports whether r's lower end is at or below floor, so r leaves
// no score at or above floor that is under its upper end.
func (r ScoreRange) reaches(floor float64) bool {
	return r.Min < floor || (r.Min == floor && !r.MinEx)
}

// LexBound is one end of a ZRANGEBYLEX interval: "-" (Inf < 0), "+"
// (Inf > 0), or Member, exclusive when Ex ("(") and inclusive otherwise
// ("[").
type LexBound struct {
	Member []byte
	Ex     bool
	Inf    int
}

// LexRange is a ZRANGEBYLEX interval.
type LexRange struct{ Min, Max LexBound }

// ZRangeBy says how a ZRangeSpec selects members.
type ZRangeBy int

// Kinds of range.
const (
	ZByRank ZRangeBy = iota
	ZByScore
	ZByLex
)

// ZRangeSpec is a ZRANGE request in any of its forms.
type ZRangeSpec struct {
	By ZRangeBy
	// Start and Stop are ZByRank's indexes (negative counts from the end),
	// ranks in the reversed order when Rev is set.
	Start, Stop int64
	Score       ScoreRange
	Lex         LexRange
	Rev         bool
	// Offset and Limit are LIMIT for ZByScore and ZByLex; a negative Limit
	// means no limit, and a negative Offset selects nothing, as in Redis.
	Offset, Limit int64
}

// ZRange returns the members spec selects, in reply order.
func (tx *Tx) ZRange(db int, key []byte, spec ZRangeSpec) ([]ZMember, error) {
	m, err := tx.typed(db, key, codec.TypeZSet)
	if err != nil || m == nil {
		return nil, err
	}
	return tx.zrange(m, spec)
}

// ZRangeStore stores the members spec selects from src into dst (replacing
// whatever dst holds, deleting it when nothing is selected) and returns how
// many there are.
func (tx *Tx) ZRangeStore(db int, dst, src []byte, spec ZRangeSpec) (int64, error) {
	m, err := tx.typed(db, src, codec.TypeZSet)
	if err != nil {
		return 0, err
	}
	var members []ZMember
	if m != nil {
		if members, err = tx.zrange(m, spec); err != nil {
			return 0, err
		}
	}
	return tx.zstore(db, dst, members)
}

// ZCount counts the members with a score in r: two ranks with a rank
// index; otherwise it walks the shorter of the range and the rest of the
// set, O(min(k, n-k)).
func (tx *Tx) ZCount(db int, key []byte, r ScoreRange) (int64, error) {
	m, err := tx.typed(db, key, codec.TypeZSet)
	if err != nil || m == nil {
		return 0, err
	}
	lo, hi := scoreSpan(m, r)
	return tx.countSpan(m, lo, hi)
}

// ZLexCount counts the members in the lex range r.
func (tx *Tx) ZLexCount(db int, key []byte, r LexRange) (int64, error) {
	m, err := tx.typed(db, key, codec.TypeZSet)
	if err != nil || m == nil {
		return 0, err
	}
	lo, hi, err := tx.lexSpan(m, r, false)
	if err != nil {
		return 0, err
	}
	return tx.countSpan(m, lo, hi)
}

// ZRank returns member's rank, counted from the highest score when rev is
// set. Cost O(levels x B) with a rank index, else O(min(rank, n-rank)).
func (tx *Tx) ZRank(db int, key, member []byte, rev bool) (int64, bool, error) {
	m, err := tx.typed(db, key, codec.TypeZSet)
	if err != nil || m == nil {
		return 0, false, err
	}
	score, ok, err := tx.zscore(m, member)
	if err != nil || !ok {
		return 0, false, err
	}
	lo, _ := zindexBounds(m)
	rank, err := tx.countSpan(m, lo, codec.ZScoreKey(m.Version, score, member))
	if err != nil {
		return 0, false, err
	}
	if rev {
		rank = m.Count - 1 - rank
	}
	return rank, true, nil
}

// ZRemRange removes the members spec selects (Rev, Offset and Limit are
// ignored) and returns how many it removed. Removing a whole set deletes
// the key in one step.
func (tx *Tx) ZRemRange(db int, key []byte, spec ZRangeSpec) (int64, error) {
	m, err := tx.typed(db, key, codec.TypeZSet)
	if err != nil || m == nil {
		return 0, err
	}
	spec.Rev = false
	var keys [][]byte
	collect := func(k []byte) error {
		keys = append(keys, append([]byte(nil), k...))
		return nil
	}
	if spec.By == ZByRank {
		a, b, ok := rankRange(m.Count, spec.Start, spec.Stop)
		if !ok {
			return 0, nil
		}
		if a == 0 && b == m.Count-1 {
			return m.Count, tx.deleteKey(db, key, m)
		}
		if _, err := tx.zrankWalk(m, a, b, collect); err != nil {
			return 0, err
		}
	} else {
		if spec.By == ZByScore && spec.Score.below(m.ScoreFloor) {
			return 0, nil // a sliding window with nothing to expire
		}
		lo, hi, err := tx.zspan(m, spec)
		if err != nil {
			return 0, err
		}
		// A small set is walked once and deleted whole if the walk took
		// every member (a rate limiter's window emptying); a big one is
		// checked with two seeks first, so that emptying it is one range
		// deletion rather than a list of every member.
		if m.Count > smallRemove {
			all, err := tx.spanCoversAll(m, lo, hi)
			if err != nil {
				return 0, err
			}
			if all {
				return m.Count, tx.deleteKey(db, key, m)
			}
		}
		// A score range that starts at or below the floor removes the
		// set's lowest members: the first one it leaves is the new least
		// score, found by walking one entry further.
		bottom := spec.By == ZByScore && spec.Score.reaches(m.ScoreFloor)
		var after []byte
		if bottom {
			_, end := zindexBounds(m)
			after, err = tx.walkUpTo(m, lo, hi, end, collect)
		} else {
			err = tx.walkSpan(m, lo, hi, false, 0, -1, collect)
		}
		if err != nil {
			return 0, err
		}
		if len(keys) == 0 {
			return 0, nil
		}
		if int64(len(keys)) == m.Count {
			return m.Count, tx.deleteKey(db, key, m)
		}
		if after != nil {
			floor, _ := codec.ParseZScoreKey(after)
			next := *m
			next.ScoreFloor = floor
			m = &next
		}
	}
	next := *m
	for _, k := range keys {
		_, member := codec.ParseZScoreKey(k)
		if err := tx.zremoveKeys(&next, member, k); err != nil {
			return 0, err
		}
	}
	next.Count -= int64(len(keys))
	return int64(len(keys)), tx.zsave(db, key, m, &next)
}

// zrange reads the members spec selects from a live sorted set.
func (tx *Tx) zrange(m *Meta, spec ZRangeSpec) ([]ZMember, error) {
	var out []ZMember
	collect := func(k []byte) error {
		score, member := codec.ParseZScoreKey(k)
		out = append(out, ZMember{Member: append([]byte(nil), member...), Score: score})
		return nil
	}
	if spec.By == ZByRank {
		start, stop := spec.Start, spec.Stop
		a, b, ok := rankRange(m.Count, start, stop)
		if !ok {
			return nil, nil
		}
		if spec.Rev {
			a, b = m.Count-1-b, m.Count-1-a
		}
		backward, err := tx.zrankWalk(m, a, b, collect)
		if err != nil {
			return nil, err
		}
		if backward != spec.Rev {
			reverse(out)
		}
		return out, nil
	}
	lo, hi, err := tx.zspan(m, spec)
	if err != nil {
		return nil, err
	}
	offset := spec.Offset
	if offset > 2*ZSetRankBlock && spec.Limit != 0 && lo != nil && bytes.Compare(lo, hi) < 0 {
		if lo, hi, offset, err = tx.zskip(m, lo, hi, spec.Rev, offset); err != nil {
			return nil, err
		}
	}
	return out, tx.walkSpan(m, lo, hi, spec.Rev, offset, spec.Limit, collect)
}

// zskip narrows the span [lo, hi) past its first offset entries (its last,
// when rev) with the rank index, when the set has one, instead of walking
// them; it returns the span and the offset left to walk.
func (tx *Tx) zskip(m *Meta, lo, hi []byte, rev bool, offset int64) ([]byte, []byte, int64, error) {
	x, err := tx.zrankLoad(m)
	if err != nil || x == nil {
		return lo, hi, offset, err
	}
	a, err := tx.zrankOfKey(x, m, lo)
	if err != nil {
		return nil, nil, 0, err
	}
	b, err := tx.zrankOfKey(x, m, hi)
	if err != nil {
		return nil, nil, 0, err
	}
	if offset >= b-a {
		return nil, nil, 0, nil
	}
	r := a + offset
	if rev {
		r = b - 1 - offset
	}
	k, err := tx.zrankSelect(x, r)
	if err != nil {
		return nil, nil, 0, err
	}
	if rev {
		return lo, append(k, 0), 0, nil
	}
	return k, hi, 0, nil
}

// zspan resolves a score or lex spec to a span.
func (tx *Tx) zspan(m *Meta, spec ZRangeSpec) (lo, hi []byte, err error) {
	if spec.By == ZByScore {
		lo, hi = scoreSpan(m, spec.Score)
		return lo, hi, nil
	}
	return tx.lexSpan(m, spec.Lex, spec.Rev)
}

// rankRange turns Redis's start/stop indexes into forward ranks a..b of a
// set of n members, false when the range is empty.
func rankRange(n, start, stop int64) (a, b int64, ok bool) {
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
		return 0, 0, false
	}
	if stop >= n {
		stop = n - 1
	}
	return start, stop, true
}

func reverse(s []ZMember) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

// scoreSpan is the span of index keys whose score is in r. An empty range
// (min above max, or equal bounds with one exclusive) gives lo >= hi.
func scoreSpan(m *Meta, r ScoreRange) (lo, hi []byte) {
	lo = codec.ZScorePrefix(m.Version, r.Min)
	if r.MinEx {
		lo = codec.PrefixEnd(lo)
	}
	hi = codec.ZScorePrefix(m.Version, r.Max)
	if !r.MaxEx {
		hi = codec.PrefixEnd(hi)
	}
	return lo, hi
}

// lexSpan resolves a lex range to a span. Redis defines lex ranges for
// sorted sets whose members all have one score; the index is then in
// member order and the span is key arithmetic after two seeks (the first
// and last entries, to see that the scores agree). With mixed scores Redis
// answers what its compact encoding's walk finds, and so does lexSpan, at
// the cost of a scan: forward, from the first member at or above min while
// members stay at or below max; backward (rev), from the last member at or
// below max while they stay at or above min.
func (tx *Tx) lexSpan(m *Meta, r LexRange, rev bool) (lo, hi []byte, err error) {
	blo, bhi := zindexBounds(m)
	it, err := tx.zcursor(m, blo, bhi)
	if err != nil {
		return nil, nil, err
	}
	defer it.Close()
	if !it.First() {
		return nil, nil, it.Error()
	}
	first := append([]byte(nil), it.Key()...)
	it.Last()
	if bytes.Equal(first[:17], it.Key()[:17]) {
		lo, hi = lexKeys(first[:17], r)
		return lo, hi, nil
	}
	if lexCompare(r.Min, r.Max) > 0 || (lexCompare(r.Min, r.Max) == 0 && (r.Min.Ex || r.Max.Ex)) ||
		!lexGteMin(memberOf(it.Key()), r.Min) || !lexLteMax(memberOf(first), r.Max) {
		return nil, nil, nil
	}
	if !rev {
		for ok := it.First(); ok; ok = it.Next() {
			member := memberOf(it.Key())
			if lo == nil {
				if !lexGteMin(member, r.Min) {
					continue
				}
				if !lexLteMax(member, r.Max) {
					return nil, nil, it.Error()
				}
				lo = append([]byte(nil), it.Key()...)
			} else if !lexLteMax(member, r.Max) {
				break
			}
			hi = append(append(hi[:0], it.Key()...), 0)
		}
		return lo, hi, it.Error()
	}
	for ok := it.Last(); ok; ok = it.Prev() {
		member := memberOf(it.Key())
		if hi == nil {
			if !lexLteMax(member, r.Max) {
				continue
			}
			if !lexGteMin(member, r.Min) {
				return nil, nil, it.Error()
			}
			hi = append(append([]byte(nil), it.Key()...), 0)
		} else if !lexGteMin(member, r.Min) {
			break
		}
		lo = append(lo[:0], it.Key()...)
	}
	return lo, hi, it.Error()
}

// lexKeys is the span of a lex range among index keys that share prefix
// (tag, version and one score).
func lexKeys(prefix []byte, r LexRange) (lo, hi []byte) {
	bound := func(b LexBound, upper bool) []byte {
		switch {
		case b.Inf < 0:
			return prefix
		case b.Inf > 0:
			return codec.PrefixEnd(prefix)
		}
		k := append(append([]byte(nil), prefix...), b.Member...)
		if b.Ex != upper {
			// Just past the member: an exclusive min or inclusive max.
			k = append(k, 0)
		}
		return k
	}
	return bound(r.Min, false), bound(r.Max, true)
}

// memberOf is the member part of a score-index key.
func memberOf(k []byte) []byte {
	_, member := codec.ParseZScoreKey(k)
	return member
}

// lexCompare orders two bounds as Redis's sdscmplex: "-" is below
// everything, "+" above.
func lexCompare(a, b LexBound) int {
	if a.Inf != 0 || b.Inf != 0 {
		if a.Inf == b.Inf {
			return 0
		}
		if a.Inf < 0 || b.Inf > 0 {
			return -1
		}
		return 1
	}
	return bytes.Compare(a.Member, b.Member)
}

func lexGteMin(member []byte, min LexBound) bool {
	c := lexCompare(LexBound{Member: member}, min)
	if min.Ex || min.Inf != 0 {
		return c > 0
	}
	return c >= 0
}

func lexLteMax(member []byte, max LexBound) bool {
	c := lexCompare(LexBound{Member: member}, max)
	if max.Ex || max.Inf != 0 {
		return c < 0
	}
	return c <= 0
}

// walkSpan visits the index keys in [lo, hi), backward when rev, skipping
// offset of them and stopping after limit (negative: no limit). A negative
// offset visits nothing (Redis's offset loop runs off the end). The key
// passed to fn is valid only during the call. Cost: offset + visited.
func (tx *Tx) walkSpan(m *Meta, lo, hi []byte, rev bool, offset, limit int64, fn func(k []byte) error) error {
	if lo == nil || bytes.Compare(lo, hi) >= 0 || offset < 0 || limit == 0 {
		return nil
	}
	it, err := tx.zcursor(m, lo, hi)
	if err != nil {
		return err
	}
	defer it.Close()
	step := it.Next
	ok := false
	if rev {
		step = it.Prev
		ok = it.Last()
	} else {
		ok = it.First()
	}
	for ; ok && offset > 0; offset-- {
		ok = step()
	}
	for ; ok && limit != 0; limit-- {
		if err := fn(it.Key()); err != nil {
			return err
		}
		ok = step()
	}
	return it.Error()
}

// walkUpTo visits the index keys in [lo, hi) and returns a copy of the
// first key in [hi, end), nil if there is none.
func (tx *Tx) walkUpTo(m *Meta, lo, hi, end []byte, fn func(k []byte) error) ([]byte, error) {
	if bytes.Compare(lo, hi) > 0 {
		lo = hi
	}
	it, err := tx.zcursor(m, lo, end)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if bytes.Compare(it.Key(), hi) >= 0 {
			return append([]byte(nil), it.Key()...), nil
		}
		if err := fn(it.Key()); err != nil {
			return nil, err
		}
	}
	return nil, it.Error()
}

// zrankWalk visits the index entries at forward ranks a..b (0 <= a <= b <
// n) of a live sorted set. With a rank index it finds rank a there when
// that beats walking to it; otherwise it enters the index from the nearer
// end, stepping over min(a, n-1-b) entries, so the cost is
// O(min(a, n-1-b, levels x B) + b-a).
// It reports whether it walked backward (visiting b down to a).
func (tx *Tx) zrankWalk(m *Meta, a, b int64, fn func(k []byte) error) (backward bool, err error) {
	lo, hi := zindexBounds(m)
	if min(a, m.Count-1-b) > 2*ZSetRankBlock {
		x, err := tx.zrankLoad(m)
		if err != nil {
			return false, err
		}
		if x != nil {
			// Find rank a in the rank index, then walk forward.
			k, err := tx.zrankSelect(x, a)
			if err != nil {
				return false, err
			}
			return false, tx.walkSpan(m, k, hi, false, 0, b-a+1, fn)
		}
	}
	it, err := tx.zcursor(m, lo, hi)
	if err != nil {
		return false, err
	}
	defer it.Close()
	backward = m.Count-1-b < a
	ok, step, skip := it.First(), it.Next, a
	if backward {
		ok, step, skip = it.Last(), it.Prev, m.Count-1-b
	}
	for ; ok && skip > 0; skip-- {
		ok = step()
	}
	for i := a; ok && i <= b; i++ {
		if err := fn(it.Key()); err != nil {
			return backward, err
		}
		ok = step()
	}
	return backward, it.Error()
}

// countSpan counts the index entries in [lo, hi): with a rank index, as
// the difference of two ranks. Without one it walks the span and, in step, the two stretches of the index outside it,
// and stops as soon as either side is fully counted. With k entries inside
// and n-k outside, the cost is O(min(k, n-k)).
func (tx *Tx) countSpan(m *Meta, lo, hi []byte) (int64, error) {
	if lo == nil || bytes.Compare(lo, hi) >= 0 {
		return 0, nil
	}
	if x, err := tx.zrankLoad(m); err != nil {
		return 0, err
	} else if x != nil {
		a, err := tx.zrankOfKey(x, m, lo)
		if err != nil {
			return 0, err
		}
		b, err := tx.zrankOfKey(x, m, hi)
		return b - a, err
	}
	blo, bhi := zindexBounds(m)
	lo, hi = clampKey(lo, blo, bhi), clampKey(hi, blo, bhi)
	in, err := tx.zcursor(m, lo, hi)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	before, err := tx.zcursor(m, blo, lo)
	if err != nil {
		return 0, err
	}
	defer before.Close()
	after, err := tx.zcursor(m, hi, bhi)
	if err != nil {
		return 0, err
	}
	defer after.Close()
	inOK, beforeOK, afterOK := in.First(), before.Last(), after.First()
	var inside, outside int64
	for {
		if !inOK {
			return inside, in.Error()
		}
		if !beforeOK && !afterOK {
			if err := before.Error(); err != nil {
				return 0, err
			}
			return m.Count - outside, after.Error()
		}
		inside++
		inOK = in.Next()
		if beforeOK {
			outside++
			beforeOK = before.Prev()
		}
		if afterOK {
			outside++
			afterOK = after.Next()
		}
	}
}

// clampKey limits k to [lo, hi].
func clampKey(k, lo, hi []byte) []byte {
	if bytes.Compare(k, lo) < 0 {
		return lo
	}
	if bytes.Compare(k, hi) > 0 {
		return hi
	}
	return k
}

// smallRemove is the size up to which ZREMRANGEBYSCORE and ZREMRANGEBYLEX
// walk a set without first checking whether the range covers all of it.
const smallRemove = 1024

// spanCoversAll reports whether [lo, hi) holds every index entry: two
// seeks.
func (tx *Tx) spanCoversAll(m *Meta, lo, hi []byte) (bool, error) {
	if lo == nil || bytes.Compare(lo, hi) >= 0 {
		return false, nil
	}
	blo, bhi := zindexBounds(m)
	it, err := tx.zcursor(m, blo, bhi)
	if err != nil {
		return false, err
	}
	defer it.Close()
	if !it.First() || bytes.Compare(it.Key(), lo) < 0 {
		return false, it.Error()
	}
	it.Last()
	return bytes.Compare(it.Key(), hi) < 0, it.Error()
}
