package storage

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"sort"

	"moonstone/codec"
)

// ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD, ZRANDMEMBER and
// ZSCAN.

// ZSource is one input of ZUNION, ZINTER or ZDIFF: a sorted set, a set
// (whose members all score 1, as in Redis) or an absent key (empty).
// Weight multiplies its scores; ZSources sets it to 1.
type ZSource struct {
	Weight float64
	m      *Meta
}

// Len is the number of members of the source.
func (s ZSource) Len() int64 {
	if s.m == nil {
		return 0
	}
	return s.m.Count
}

// ZSources opens the inputs of a ZUNION-family command. A key holding
// anything but a sorted set or a set is ErrWrongType.
func (tx *Tx) ZSources(db int, keys [][]byte) ([]ZSource, error) {
	out := make([]ZSource, len(keys))
	for i, key := range keys {
		m, err := tx.meta(db, key)
		if err != nil {
			return nil, err
		}
		if m != nil && m.Type != codec.TypeZSet && m.Type != codec.TypeSet {
			return nil, ErrWrongType
		}
		out[i] = ZSource{Weight: 1, m: m}
	}
	return out, nil
}

// ZAggregate is how ZUNION and ZINTER combine one member's scores.
type ZAggregate int

// Aggregates.
const (
	ZAggSum ZAggregate = iota
	ZAggMin
	ZAggMax
)

// aggregate folds val into *target as Redis's zunionInterAggregate: a sum
// of +inf and -inf is 0.
func (a ZAggregate) aggregate(target *float64, val float64) {
	switch a {
	case ZAggSum:
		*target += val
		if math.IsNaN(*target) {
			*target = 0
		}
	case ZAggMin:
		if val < *target {
			*target = val
		}
	case ZAggMax:
		if val > *target {
			*target = val
		}
	}
}

// ZUnion is the union of srcs with weighted, aggregated scores, ordered by
// score then member. Sources are combined smallest first, as Redis does,
// so floating-point sums round the same way.
func (tx *Tx) ZUnion(srcs []ZSource, agg ZAggregate) ([]ZMember, error) {
	acc := make(map[string]float64)
	for _, s := range byCardinality(srcs) {
		err := tx.zsourceEach(s, func(member []byte, v float64) error {
			score := s.Weight * v
			if math.IsNaN(score) {
				score = 0
			}
			if cur, ok := acc[string(member)]; ok {
				agg.aggregate(&cur, score)
				score = cur
			}
			acc[string(member)] = score
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]ZMember, 0, len(acc))
	for member, score := range acc {
		out = append(out, ZMember{Member: []byte(member), Score: score})
	}
	sortMembers(out)
	return out, nil
}

// ZInter is the intersection of srcs, ordered by score then member. It
// walks the smallest source and looks each member up in the others:
// O(smallest * sources) point reads.
func (tx *Tx) ZInter(srcs []ZSource, agg ZAggregate) ([]ZMember, error) {
	var out []ZMember
	err := tx.zinter(srcs, agg, func(member []byte, score float64) bool {
		out = append(out, ZMember{Member: append([]byte(nil), member...), Score: score})
		return true
	})
	sortMembers(out)
	return out, err
}

// ZInterCard counts the intersection of srcs, stopping at limit when it is
// positive.
func (tx *Tx) ZInterCard(srcs []ZSource, limit int64) (int64, error) {
	var n int64
	err := tx.zinter(srcs, ZAggSum, func([]byte, float64) bool {
		n++
		return limit <= 0 || n < limit
	})
	return n, err
}

// errStopWalk ends a walk early without an error.
var errStopWalk = errors.New("storage: walk stopped")

// zinter calls fn for each member of the intersection until fn returns
// false.
func (tx *Tx) zinter(srcs []ZSource, agg ZAggregate, fn func(member []byte, score float64) bool) error {
	order := byCardinality(srcs)
	if len(order) == 0 || order[0].Len() == 0 {
		return nil
	}
	err := tx.zsourceEach(order[0], func(member []byte, v float64) error {
		score := order[0].Weight * v
		if math.IsNaN(score) {
			score = 0
		}
		for _, s := range order[1:] {
			val, ok, err := tx.zsourceScore(s, member)
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			agg.aggregate(&score, val*s.Weight)
		}
		if !fn(member, score) {
			return errStopWalk
		}
		return nil
	})
	if err == errStopWalk {
		return nil
	}
	return err
}

// ZDiff is the members of srcs[0] found in no other source, with their
// scores in srcs[0] (weights do not apply), ordered by score then member.
// Cost O(n0 * sources) point reads.
func (tx *Tx) ZDiff(srcs []ZSource) ([]ZMember, error) {
	if len(srcs) == 0 {
		return nil, nil
	}
	var out []ZMember
	err := tx.zsourceEach(srcs[0], func(member []byte, score float64) error {
		for _, s := range srcs[1:] {
			_, ok, err := tx.zsourceScore(s, member)
			if err != nil || ok {
				return err
			}
		}
		out = append(out, ZMember{Member: append([]byte(nil), member...), Score: score})
		return nil
	})
	sortMembers(out)
	return out, err
}

// ZStore replaces dst, whatever it holds, with a sorted set of members
// (distinct), dropping any expiry; no members deletes dst. It returns the
// new size. It is the write half of ZUNIONSTORE, ZINTERSTORE and
// ZDIFFSTORE.
func (tx *Tx) ZStore(db int, dst []byte, members []ZMember) (int64, error) {
	return tx.zstore(db, dst, members)
}

// byCardinality orders sources smallest first, keeping the given order
// among equals (glibc's qsort, which Redis uses, is a stable merge sort).
func byCardinality(srcs []ZSource) []ZSource {
	order := append([]ZSource(nil), srcs...)
	sort.SliceStable(order, func(i, j int) bool { return order[i].Len() < order[j].Len() })
	return order
}

// sortMembers orders members as a sorted set does: by score, then by
// member bytes.
func sortMembers(s []ZMember) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].Score != s[j].Score {
			return s[i].Score < s[j].Score
		}
		return bytes.Compare(s[i].Member, s[j].Member) < 0
	})
}

// zsourceEach visits every member of a source with its unweighted score.
// member is valid only during the call.
func (tx *Tx) zsourceEach(s ZSource, fn func(member []byte, score float64) error) error {
	if s.Len() == 0 {
		return nil
	}
	if s.m.Type == codec.TypeSet {
		return tx.setMembersEach(s.m, func(member []byte) error { return fn(member, 1) })
	}
	if s.m.ZInline {
		lo, hi := zindexBounds(s.m)
		return tx.walkSpan(s.m, lo, hi, false, 0, -1, func(k []byte) error {
			score, member := codec.ParseZScoreKey(k)
			return fn(member, score)
		})
	}
	prefix := codec.MemberPrefix(codec.TagZMember, s.m.Version)
	it, err := tx.iter(prefix, codec.PrefixEnd(prefix))
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		score, valid := codec.DecodeZScoreValue(it.Value())
		if !valid {
			return codec.ErrCorruptMeta
		}
		if err := fn(codec.MemberFromKey(it.Key()), score); err != nil {
			return err
		}
	}
	return it.Error()
}

// zsourceScore looks member up in a source: its score in a sorted set, 1 in
// a set.
func (tx *Tx) zsourceScore(s ZSource, member []byte) (float64, bool, error) {
	if s.Len() == 0 {
		return 0, false, nil
	}
	if s.m.Type == codec.TypeSet {
		_, ok, err := tx.get(codec.MemberKey(codec.TagSet, s.m.Version, member))
		return 1, ok, err
	}
	return tx.zscore(s.m, member)
}

// setMembersEach visits the members of a set (records s|version|member,
// see codec). The sorted-set operations read sets only through this
// function and the point read in zsourceScore.
func (tx *Tx) setMembersEach(m *Meta, fn func(member []byte) error) error {
	prefix := codec.MemberPrefix(codec.TagSet, m.Version)
	it, err := tx.iter(prefix, codec.PrefixEnd(prefix))
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(codec.MemberFromKey(it.Key())); err != nil {
			return err
		}
	}
	return it.Error()
}

// ZRandom is what ZRANDMEMBER picked: Len members, read with At.
type ZRandom struct {
	pool []ZMember
	n    int64
	draw bool // At draws from pool at random, repeats allowed
}

// Len is the number of members to reply with.
func (r *ZRandom) Len() int64 { return r.n }

// At returns the i-th pick.
func (r *ZRandom) At(i int64) ZMember {
	if r.draw {
		return r.pool[rand.IntN(len(r.pool))]
	}
	return r.pool[i]
}

const (
	// zrandExact is the size up to which ZRANDMEMBER reads the whole set
	// and samples exactly uniformly.
	zrandExact = 4096
	// zrandPool bounds the members read for a repeating (negative count)
	// sample of a larger set; a longer reply draws from them.
	zrandPool = 4096
)

// ZRandMember picks members as ZRANDMEMBER key count does: count > 0
// distinct members (the whole set, in order, when count >= its size),
// count < 0 that many with repeats.
//
// Without a rank index, an exactly uniform pick costs a walk of the set.
// Sets of up to zrandExact members, and distinct picks of more than a third
// of a set, are read whole and sampled exactly. Otherwise a pick is one
// seek to a random point between the first and last member: O(1), but a
// member that follows a wide gap in member order is likelier.
func (tx *Tx) ZRandMember(db int, key []byte, count int64) (*ZRandom, error) {
	m, err := tx.typed(db, key, codec.TypeZSet)
	if err != nil || m == nil || count == 0 {
		return &ZRandom{}, err
	}
	n := m.Count
	switch {
	case count >= n:
		// The whole set, from the highest score down: the order in which
		// Redis's set-operation iterator walks a sorted set.
		all, err := tx.zall(m)
		reverse(all)
		return &ZRandom{pool: all, n: int64(len(all))}, err
	case n <= zrandExact && (count == 1 || count == -1):
		// One pick (ZRANDMEMBER without a count): a random rank, reached
		// from the nearer end.
		r := rand.Int64N(n)
		var pool []ZMember
		_, err := tx.zrankWalk(m, r, r, func(k []byte) error {
			score, member := codec.ParseZScoreKey(k)
			pool = append(pool, ZMember{Member: append([]byte(nil), member...), Score: score})
			return nil
		})
		return &ZRandom{pool: pool, n: int64(len(pool))}, err
	case n <= zrandExact:
		all, err := tx.zall(m)
		if err != nil {
			return nil, err
		}
		if count < 0 {
			return &ZRandom{pool: all, n: -count, draw: true}, nil
		}
		for i := int64(0); i < count; i++ {
			j := i + rand.Int64N(int64(len(all))-i)
			all[i], all[j] = all[j], all[i]
		}
		return &ZRandom{pool: all[:count], n: count}, nil
	case count < 0:
		pool, err := tx.zrandomSeeks(m, min(-count, zrandPool), false)
		return &ZRandom{pool: pool, n: -count, draw: -count > int64(len(pool))}, err
	case count*3 > n:
		picked, err := tx.zselect(m, count)
		rand.Shuffle(len(picked), func(i, j int) { picked[i], picked[j] = picked[j], picked[i] })
		return &ZRandom{pool: picked, n: int64(len(picked))}, err
	}
	pool, err := tx.zrandomSeeks(m, count, true)
	return &ZRandom{pool: pool, n: int64(len(pool))}, err
}

// zall reads a whole sorted set in order.
func (tx *Tx) zall(m *Meta) ([]ZMember, error) {
	out := make([]ZMember, 0, m.Count)
	lo, hi := zindexBounds(m)
	err := tx.walkSpan(m, lo, hi, false, 0, -1, func(k []byte) error {
		score, member := codec.ParseZScoreKey(k)
		out = append(out, ZMember{Member: append([]byte(nil), member...), Score: score})
		return nil
	})
	return out, err
}

// zselect picks count of a set's members uniformly in one walk (Knuth's
// selection sampling), in index order.
func (tx *Tx) zselect(m *Meta, count int64) ([]ZMember, error) {
	out := make([]ZMember, 0, count)
	lo, hi := zindexBounds(m)
	seen := int64(0)
	err := tx.walkSpan(m, lo, hi, false, 0, -1, func(k []byte) error {
		need := count - int64(len(out))
		if need > 0 && rand.Int64N(m.Count-seen) < need {
			score, member := codec.ParseZScoreKey(k)
			out = append(out, ZMember{Member: append([]byte(nil), member...), Score: score})
		}
		seen++
		return nil
	})
	return out, err
}

// zrandomSeeks picks k members by random seeks among the member records,
// distinct ones when distinct is set (k must then be well below the set's
// size; if the seeks keep meeting the same members, the rest is filled in
// member order).
func (tx *Tx) zrandomSeeks(m *Meta, k int64, distinct bool) ([]ZMember, error) {
	prefix := codec.MemberPrefix(codec.TagZMember, m.Version)
	it, err := tx.iter(prefix, codec.PrefixEnd(prefix))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	if !it.First() {
		return nil, it.Error()
	}
	first := append([]byte(nil), codec.MemberFromKey(it.Key())...)
	it.Last()
	last := append([]byte(nil), codec.MemberFromKey(it.Key())...)
	out := make([]ZMember, 0, k)
	seen := make(map[string]bool)
	take := func() error {
		member := codec.MemberFromKey(it.Key())
		if distinct {
			if seen[string(member)] {
				return nil
			}
			seen[string(member)] = true
		}
		score, ok := codec.DecodeZScoreValue(it.Value())
		if !ok {
			return codec.ErrCorruptMeta
		}
		out = append(out, ZMember{Member: append([]byte(nil), member...), Score: score})
		return nil
	}
	for attempts := 8*k + 64; int64(len(out)) < k && attempts > 0; attempts-- {
		probe := append(append([]byte(nil), prefix...), randomBetween(first, last)...)
		if !it.SeekGE(probe) {
			if err := it.Error(); err != nil {
				return nil, err
			}
			continue // past the last member: draw again
		}
		if err := take(); err != nil {
			return nil, err
		}
	}
	for ok := it.First(); ok && int64(len(out)) < k; ok = it.Next() {
		if err := take(); err != nil {
			return nil, err
		}
	}
	return out, it.Error()
}

// randomBetween returns a random byte string ordered roughly between a and
// b (a < b), shaped like them: their common prefix, a byte between theirs
// at the first difference, then bytes drawn from the range of the byte
// values that follow in a and b (digits for numeric members, and so on), up
// to the longer one's length.
func randomBetween(a, b []byte) []byte {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	if p == len(b) {
		return append([]byte(nil), a...)
	}
	low := 0
	if p < len(a) {
		low = int(a[p])
	}
	out := append(append([]byte(nil), a[:p]...), byte(low+rand.IntN(int(b[p])-low+1)))
	minB, maxB := 255, 0
	for _, tail := range [][]byte{a[min(p+1, len(a)):], b[p+1:]} {
		for _, ch := range tail {
			minB, maxB = min(minB, int(ch)), max(maxB, int(ch))
		}
	}
	for i := len(out); i < max(len(a), len(b)) && minB <= maxB; i++ {
		out = append(out, byte(minB+rand.IntN(maxB-minB+1)))
	}
	return out
}

// ZScanResult is one page of ZSCAN.
type ZScanResult struct {
	Members []ZMember
	// Next is the member to resume from, nil when the scan is complete.
	Next []byte
	// Whole says the set is a listpack by Redis's rules (zset_inline.go),
	// which ZSCAN returns whole, in score order, as Redis does.
	Whole bool
}

// ZScan returns up to count members from member from (inclusive; nil for
// the start) in member order, keeping those match accepts (nil: all).
func (tx *Tx) ZScan(db int, key, from []byte, count int, match func(member []byte) bool) (ZScanResult, error) {
	var res ZScanResult
	m, err := tx.typed(db, key, codec.TypeZSet)
	if err != nil || m == nil {
		return res, err
	}
	keep := func(member []byte, score float64) {
		if match == nil || match(member) {
			res.Members = append(res.Members, ZMember{Member: append([]byte(nil), member...), Score: score})
		}
	}
	if !m.ZSkiplist {
		res.Whole = true
		lo, hi := zindexBounds(m)
		err := tx.walkSpan(m, lo, hi, false, 0, -1, func(k []byte) error {
			score, member := codec.ParseZScoreKey(k)
			keep(member, score)
			return nil
		})
		return res, err
	}
	prefix := codec.MemberPrefix(codec.TagZMember, m.Version)
	it, err := tx.iter(append(append([]byte(nil), prefix...), from...), codec.PrefixEnd(prefix))
	if err != nil {
		return res, err
	}
	defer it.Close()
	visited := 0
	for ok := it.First(); ok; ok = it.Next() {
		member := codec.MemberFromKey(it.Key())
		if visited >= count {
			res.Next = append([]byte(nil), member...)
			break
		}
		visited++
		score, valid := codec.DecodeZScoreValue(it.Value())
		if !valid {
			return res, codec.ErrCorruptMeta
		}
		keep(member, score)
	}
	return res, it.Error()
}
