package storage

import (
	"encoding/binary"
	"math"
	"testing"
	"time"

	"moonstone/codec"
)

// Seed helpers write sets, sorted sets and hashes straight in their codec
// layout, so code that only reads those types (SORT) is tested without
// depending on their commands.

// SeedSet makes key a set of members.
func (tx *Tx) SeedSet(db int, key []byte, members ...string) error {
	return tx.seed(db, key, codec.TypeSet, len(members), func(v uint64) error {
		for _, m := range members {
			if err := tx.set(codec.MemberKey(codec.TagSet, v, []byte(m)), nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// SeedZSet makes key a sorted set; scores[i] is members[i]'s score.
func (tx *Tx) SeedZSet(db int, key []byte, members []string, scores []float64) error {
	return tx.seed(db, key, codec.TypeZSet, len(members), func(v uint64) error {
		for i, m := range members {
			bits := binary.BigEndian.AppendUint64(nil, math.Float64bits(scores[i]))
			if err := tx.set(codec.MemberKey(codec.TagZMember, v, []byte(m)), bits); err != nil {
				return err
			}
			if err := tx.set(codec.ZScoreKey(v, scores[i], []byte(m)), nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// SeedHash makes key a hash of field, value pairs.
func (tx *Tx) SeedHash(db int, key []byte, pairs ...string) error {
	return tx.seed(db, key, codec.TypeHash, len(pairs)/2, func(v uint64) error {
		for i := 0; i+1 < len(pairs); i += 2 {
			if err := tx.set(codec.MemberKey(codec.TagHash, v, []byte(pairs[i])), []byte(pairs[i+1])); err != nil {
				return err
			}
		}
		return nil
	})
}

func (tx *Tx) seed(db int, key []byte, t codec.Type, n int, members func(version uint64) error) error {
	if old, err := tx.meta(db, key); err != nil {
		return err
	} else if old != nil {
		if err := tx.deleteKey(db, key, old); err != nil {
			return err
		}
	}
	m, err := tx.newCollection(t)
	if err != nil {
		return err
	}
	if err := members(m.Version); err != nil {
		return err
	}
	m.Count = int64(n)
	// Seeded sets stand for records written before the score floor
	// existed, which decode with an unknown floor, and seeded hashes for
	// those written before insertion order was kept (plain values); both
	// kinds of set decode as converted (hashtable, skiplist).
	m.ScoreFloor = math.Inf(-1)
	m.Ordered, m.HInline = false, false
	m.SetHashtable, m.ZSkiplist = true, true
	return tx.putMeta(db, key, nil, m)
}

// ListLayout returns a list's Head, Tail and Count from its metadata and
// the positions of the element records stored under its version, in key
// order.
func (tx *Tx) ListLayout(db int, key []byte) (head, tail, count int64, inline bool, positions []int64, err error) {
	m, err := tx.typed(db, key, codec.TypeList)
	if err != nil || m == nil {
		return 0, 0, 0, false, nil, err
	}
	prefix := codec.MemberPrefix(codec.TagList, m.Version)
	it, err := tx.iter(prefix, codec.PrefixEnd(prefix))
	if err != nil {
		return 0, 0, 0, false, nil, err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		positions = append(positions, codec.ListIndexFromKey(it.Key()))
	}
	return m.Head, m.Tail, m.Count, m.LInline, positions, it.Error()
}

// CountRecords counts every record under tag, whatever collection it
// belongs to.
func (tx *Tx) CountRecords(tag byte) (int, error) {
	it, err := tx.iter([]byte{tag}, []byte{tag + 1})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	n := 0
	for it.First(); it.Valid(); it.Next() {
		n++
	}
	return n, it.Error()
}

// CorruptZScoreEntry deletes member's score-index entry and nothing else,
// as a bug or a damaged disk might.
func (tx *Tx) CorruptZScoreEntry(db int, key, member []byte) error {
	m, err := tx.typed(db, key, codec.TypeZSet)
	if err != nil || m == nil {
		return err
	}
	score, _, err := tx.zscore(m, member)
	if err != nil {
		return err
	}
	return tx.del(codec.ZScoreKey(m.Version, score, member))
}

// ZRankLevels is the number of levels of key's rank index (0: none).
func (tx *Tx) ZRankLevels(db int, key []byte) (int64, error) {
	m, err := tx.typed(db, key, codec.TypeZSet)
	if err != nil || m == nil {
		return 0, err
	}
	x, err := tx.zrankLoad(m)
	if err != nil || x == nil {
		return 0, err
	}
	return x.levels, nil
}

// ZScoreFloor is a sorted set's stored score floor (false if key is not a
// sorted set).
func (tx *Tx) ZScoreFloor(db int, key []byte) (float64, bool, error) {
	m, err := tx.typed(db, key, codec.TypeZSet)
	if err != nil || m == nil {
		return 0, false, err
	}
	return m.ScoreFloor, true, nil
}

// SetZSetInlineBytes changes how many bytes of entries a sorted set keeps
// inline (0: none) until the test ends.
func SetZSetInlineBytes(t testing.TB, n int) {
	old := zsetInlineBytes
	zsetInlineBytes = n
	t.Cleanup(func() { zsetInlineBytes = old })
}

// SetListInlineBytes changes how many bytes of elements a list keeps
// inline (0: none) until the test ends.
func SetListInlineBytes(t testing.TB, n int) {
	old := listInlineBytes
	listInlineBytes = n
	t.Cleanup(func() { listInlineBytes = old })
}

// SetHashInlineBytes changes how many bytes of entries a hash keeps
// inline (0: none) until the test ends.
func SetHashInlineBytes(t testing.TB, n int) {
	old := hashInlineBytes
	hashInlineBytes = n
	t.Cleanup(func() { hashInlineBytes = old })
}

// HashInline reports whether key's hash keeps its fields inline.
func (tx *Tx) HashInline(db int, key []byte) (bool, error) {
	m, err := tx.hash(db, key)
	if err != nil || m == nil {
		return false, err
	}
	return m.HInline, nil
}

// SetSwapAppliedHook makes every commit that swaps databases call fn
// between applying its batch and publishing the new map; nil removes it.
func SetSwapAppliedHook(fn func()) { swapAppliedHook = fn }

// ZSetLayout reports whether key's sorted set keeps its members inline,
// and whether Redis would have converted it to a skiplist.
func (tx *Tx) ZSetLayout(db int, key []byte) (inline, skiplist bool, err error) {
	m, err := tx.typed(db, key, codec.TypeZSet)
	if err != nil || m == nil {
		return false, false, err
	}
	return m.ZInline, m.ZSkiplist, nil
}

// FenceCacheSets is how many sorted sets' fences the fence cache holds.
func FenceCacheSets(db *DB) int {
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	return len(db.fences.sets)
}

// FillInMemoryWALs makes new WALs on an in-memory filesystem start as
// zeros too, as real files do under always (walfs.go), until undo.
func FillInMemoryWALs() (undo func()) {
	fillInMemoryWALs = true
	return func() { fillInMemoryWALs = false }
}

// DropKeyFilter takes the key filters out of use and starts building new
// ones from the store, as a full filter is replaced.
func (db *DB) DropKeyFilter() {
	for _, k := range []*keyFilters{&db.filters.keys, &db.filters.members} {
		k.active.Store(nil)
		k.mu.Lock()
		k.notBefore = time.Time{}
		k.mu.Unlock()
	}
	db.maintainKeyFilters()
}

// KeyFilterBuilding reports whether a key filter is being built.
func (db *DB) KeyFilterBuilding() bool {
	for _, k := range []*keyFilters{&db.filters.keys, &db.filters.members} {
		k.mu.Lock()
		running := k.running
		k.mu.Unlock()
		if running {
			return true
		}
	}
	return false
}
