package storage

import (
	"bytes"
	"math"

	"moonstone/codec"
)

// Sorted sets.
//
// A sorted set is two record kinds under its version (see codec):
//
//	z | version | member                -> score (8 bytes, IEEE bits)
//	Z | version | score (ordered) | member -> empty
//
// The member record answers ZSCORE and the lookup half of ZADD and ZREM with
// one point read. The score index is ordered by (score, member), which is
// exactly the order of Redis's skiplist, so a score or lex range is one seek
// followed by a walk over the result: a 100-member range of a 10-million
// member set reads about 100 entries. The metadata count is exact after
// every change, and a sorted set that loses its last member is deleted, as
// in Redis.
//
// A set of ZSetRankThreshold members or more also has a rank index
// (zset_rank.go), a counted B-tree of fences over the score index, so
// ranks (ZRANK, ZRANGE by index, ZREMRANGEBYRANK, ZCOUNT, LIMIT offsets)
// cost O(levels x B), about a thousand entries read at ten million
// members. Smaller sets walk the score index from its nearer end:
// O(min(rank, n-rank)) entries.
//
// Scores are stored with -0 folded into 0, as Redis's compact (listpack)
// encoding does for the sorted sets of up to 128 members that it uses by
// default; a score computed by a command (ZINCRBY, ZUNION) is still
// replied as computed.
//
// A small set keeps its members inside its metadata record instead
// (zset_inline.go); the functions below that touch records send it there.
//
// The files: zset.go holds the records and the point operations (ZADD,
// ZREM, ZSCORE, pops); zset_inline.go small sets and the encoding Redis
// would give a set; zset_range.go the score, lex and rank ranges;
// zset_ops.go ZUNION/ZINTER/ZDIFF, ZRANDMEMBER and ZSCAN.

// ZMember is one sorted-set member with its score. Member is owned by the
// caller.
type ZMember struct {
	Member []byte
	Score  float64
}

// ZAddOptions are ZADD's flags. Incr is ZADD INCR and ZINCRBY: the one
// member's score is added to its current score.
type ZAddOptions struct {
	NX, XX, GT, LT, Incr bool
}

// ZAddResult reports what ZADD did.
type ZAddResult struct {
	Added, Updated int64
	// Score is the last processed member's new score, and Processed says
	// whether any member passed NX/XX/GT/LT: with Incr, ZADD replies Score,
	// or nil when nothing was processed.
	Score     float64
	Processed bool
}

// ZAdd is ZADD and ZINCRBY: each member in order, with Redis's option
// rules. A key that is absent is created unless XX is set.
func (tx *Tx) ZAdd(db int, key []byte, o ZAddOptions, members []ZMember) (ZAddResult, error) {
	var res ZAddResult
	prev, err := tx.typed(db, key, codec.TypeZSet)
	if err != nil {
		return res, err
	}
	var m *Meta
	if prev == nil {
		if o.XX {
			return res, nil
		}
		if m, err = tx.newCollection(codec.TypeZSet); err != nil {
			return res, err
		}
		// Redis 7.0 picks a new set's encoding by its first member alone;
		// later members convert it as they are added (zgrow).
		m.ZSkiplist = len(members) == 0 || !tx.zsetFits(1, len(members[0].Member))
		m.ZInline = !m.ZSkiplist
	} else {
		cp := *prev
		m = &cp
	}
	// A set this command creates has a version never used before, so none
	// of its members is in the store: whether one exists is known from the
	// members added so far, without a lookup each (ZADD of a rate
	// limiter's new window, of a new leaderboard).
	var added map[string]float64
	for _, zm := range members {
		score := zm.Score
		var cur float64
		var exists bool
		if prev == nil {
			cur, exists = added[string(zm.Member)]
		} else if cur, exists, err = tx.zscore(m, zm.Member); err != nil {
			return res, err
		}
		switch {
		case exists:
			if o.NX {
				continue
			}
			if o.Incr {
				score += cur
				if math.IsNaN(score) {
					return res, ErrScoreNaN
				}
			}
			if (o.LT && score >= cur) || (o.GT && score <= cur) {
				continue
			}
			res.Score, res.Processed = score, true
			if score != cur {
				if err := tx.zput(m, zm.Member, score, cur, true); err != nil {
					return res, err
				}
				res.Updated++
			}
		case !o.XX:
			if err := tx.zgrow(m, zm.Member); err != nil {
				return res, err
			}
			if err := tx.zput(m, zm.Member, score, 0, false); err != nil {
				return res, err
			}
			m.Count++
			res.Added++
			res.Score, res.Processed = score, true
		default:
			continue
		}
		if prev == nil && len(members) > 1 {
			if added == nil {
				added = make(map[string]float64, len(members))
			}
			added[string(zm.Member)] = score
		}
	}
	return res, tx.zsave(db, key, prev, m)
}

// ZRem removes members and returns how many were there.
func (tx *Tx) ZRem(db int, key []byte, members [][]byte) (int64, error) {
	prev, err := tx.typed(db, key, codec.TypeZSet)
	if err != nil || prev == nil {
		return 0, err
	}
	m := *prev
	var removed int64
	for _, member := range members {
		score, ok, err := tx.zscore(&m, member)
		if err != nil {
			return 0, err
		}
		if !ok {
			continue
		}
		if err := tx.zremove(&m, member, score); err != nil {
			return 0, err
		}
		m.Count--
		removed++
		if m.Count == 0 {
			break
		}
	}
	return removed, tx.zsave(db, key, prev, &m)
}

// ZScore returns member's score.
func (tx *Tx) ZScore(db int, key, member []byte) (float64, bool, error) {
	m, err := tx.typed(db, key, codec.TypeZSet)
	if err != nil || m == nil {
		return 0, false, err
	}
	return tx.zscore(m, member)
}

// ZMScore returns the score of each member; found[i] is false for a member
// (or key) that does not exist.
func (tx *Tx) ZMScore(db int, key []byte, members [][]byte) (scores []float64, found []bool, err error) {
	m, err := tx.typed(db, key, codec.TypeZSet)
	if err != nil {
		return nil, nil, err
	}
	scores = make([]float64, len(members))
	found = make([]bool, len(members))
	if m == nil {
		return scores, found, nil
	}
	for i, member := range members {
		if scores[i], found[i], err = tx.zscore(m, member); err != nil {
			return nil, nil, err
		}
	}
	return scores, found, nil
}

// ZCard is the number of members (0 for an absent key).
func (tx *Tx) ZCard(db int, key []byte) (int64, error) {
	m, err := tx.typed(db, key, codec.TypeZSet)
	if err != nil || m == nil {
		return 0, err
	}
	return m.Count, nil
}

// ZPop removes and returns up to count members from the low end (max
// false) or the high end, in pop order. An absent key, or count 0, pops
// nothing; the type is checked first either way. It is the body of ZPOPMIN
// and ZPOPMAX, and of their blocking forms once a key has members.
func (tx *Tx) ZPop(db int, key []byte, max bool, count int64) ([]ZMember, error) {
	m, err := tx.typed(db, key, codec.TypeZSet)
	if err != nil || m == nil || count == 0 {
		return nil, err
	}
	return tx.zpop(db, key, m, max, count)
}

// ZMPop pops from the first of keys that exists, as ZMPOP: it returns that
// key and what was popped, or a nil key when none exists. A key of another
// type met before that is ErrWrongType.
func (tx *Tx) ZMPop(db int, keys [][]byte, max bool, count int64) ([]byte, []ZMember, error) {
	for _, key := range keys {
		m, err := tx.typed(db, key, codec.TypeZSet)
		if err != nil {
			return nil, nil, err
		}
		if m == nil {
			continue
		}
		popped, err := tx.zpop(db, key, m, max, count)
		return key, popped, err
	}
	return nil, nil, nil
}

// zpop removes up to count members from one end of a live sorted set. It
// reads count entries; popping everything deletes the key in one step.
func (tx *Tx) zpop(db int, key []byte, m *Meta, max bool, count int64) ([]ZMember, error) {
	count = min(count, m.Count)
	var out []ZMember
	var keys [][]byte
	lo, hi := zindexBounds(m)
	err := tx.walkSpan(m, lo, hi, max, 0, count, func(k []byte) error {
		score, member := codec.ParseZScoreKey(k)
		out = append(out, ZMember{Member: append([]byte(nil), member...), Score: score})
		keys = append(keys, append([]byte(nil), k...))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if count == m.Count {
		return out, tx.deleteKey(db, key, m)
	}
	next := *m
	for i, zm := range out {
		if err := tx.zremoveKeys(&next, zm.Member, keys[i]); err != nil {
			return nil, err
		}
	}
	next.Count -= int64(len(out))
	return out, tx.zsave(db, key, m, &next)
}

// zscore is a point read of member's record, or a look through an inline
// set's entries.
func (tx *Tx) zscore(m *Meta, member []byte) (float64, bool, error) {
	if m.ZInline {
		score, ok, valid := codec.ZEntryScore(m.ZEntries, member)
		if !valid {
			return 0, false, codec.ErrCorruptMeta
		}
		return score, ok, nil
	}
	v, ok, err := tx.get(codec.MemberKey(codec.TagZMember, m.Version, member))
	if err != nil || !ok {
		return 0, false, err
	}
	score, ok := codec.DecodeZScoreValue(v)
	if !ok {
		return 0, false, codec.ErrCorruptMeta
	}
	return score, true, nil
}

// zput writes member with score, replacing its index entry under old when
// it existed. The caller keeps the count.
func (tx *Tx) zput(m *Meta, member []byte, score, old float64, existed bool) error {
	if score == 0 {
		score = 0 // fold -0
	}
	if m.ZInline {
		return tx.zputInline(m, member, score, old, existed)
	}
	if existed {
		if err := tx.del(codec.ZScoreKey(m.Version, old, member)); err != nil {
			return err
		}
	}
	if err := tx.set(codec.MemberKey(codec.TagZMember, m.Version, member), codec.ZScoreValue(score)); err != nil {
		return err
	}
	m.ScoreFloor = min(m.ScoreFloor, score)
	ik := codec.ZScoreKey(m.Version, score, member)
	if err := tx.set(ik, nil); err != nil {
		return err
	}
	x, err := tx.zrankLoad(m)
	if err != nil || x == nil {
		return err
	}
	if existed {
		return tx.zrankMove(x, codec.ZScoreKey(m.Version, old, member)[9:], ik[9:])
	}
	return tx.zrankInsert(x, ik[9:])
}

// zremove deletes member (whose score is score) from both records. The
// caller keeps the count.
func (tx *Tx) zremove(m *Meta, member []byte, score float64) error {
	return tx.zremoveKeys(m, member, codec.ZScoreKey(m.Version, score, member))
}

func (tx *Tx) zremoveKeys(m *Meta, member, indexKey []byte) error {
	if m.ZInline {
		return zremoveInline(m, indexKey)
	}
	if err := tx.del(codec.MemberKey(codec.TagZMember, m.Version, member)); err != nil {
		return err
	}
	if err := tx.del(indexKey); err != nil {
		return err
	}
	x, err := tx.zrankLoad(m)
	if err != nil || x == nil {
		return err
	}
	return tx.zrankDelete(x, indexKey[9:])
}

// zsave writes m, the new state of a sorted set whose earlier metadata was
// prev (nil if it did not exist): an empty set is deleted, an unchanged
// record writes nothing.
func (tx *Tx) zsave(db int, key []byte, prev, m *Meta) error {
	switch {
	case m.Count == 0:
		if prev == nil {
			return nil
		}
		// Every member is already deleted in this batch: delete the rest of
		// the key without a range tombstone.
		return tx.deleteKey(db, key, m)
	case prev != nil && prev.Count == m.Count && prev.ScoreFloor == m.ScoreFloor &&
		prev.ZSkiplist == m.ZSkiplist && prev.ZInline == m.ZInline && bytes.Equal(prev.ZEntries, m.ZEntries):
		return nil
	}
	before := int64(0)
	if prev != nil {
		before = prev.Count
	}
	if err := tx.zrankResize(m, before); err != nil {
		return err
	}
	return tx.putMeta(db, key, prev, m)
}

// zindexBounds is the key range holding m's whole score index.
func zindexBounds(m *Meta) (lo, hi []byte) {
	p := codec.MemberPrefix(codec.TagZScore, m.Version)
	return p, codec.PrefixEnd(p)
}

// zstore replaces dst, whatever it holds, with a sorted set of members
// (distinct, any order); no members deletes dst. It returns the new size.
// Like Redis's setKey, it drops dst's expiry.
func (tx *Tx) zstore(db int, dst []byte, members []ZMember) (int64, error) {
	old, err := tx.meta(db, dst)
	if err != nil {
		return 0, err
	}
	if old != nil {
		if err := tx.deleteKey(db, dst, old); err != nil {
			return 0, err
		}
	}
	if len(members) == 0 {
		return 0, nil
	}
	m, err := tx.newCollection(codec.TypeZSet)
	if err != nil {
		return 0, err
	}
	m.Count = int64(len(members))
	if tx.zsetInline(m, members) {
		return m.Count, tx.putMeta(db, dst, nil, m)
	}
	for _, zm := range members {
		if err := tx.zput(m, zm.Member, zm.Score, 0, false); err != nil {
			return 0, err
		}
	}
	if err := tx.zrankResize(m, 0); err != nil {
		return 0, err
	}
	return m.Count, tx.putMeta(db, dst, nil, m)
}
