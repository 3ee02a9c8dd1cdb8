package storage

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
)

// CheckReport is what Check found.
type CheckReport struct {
	Keys        int64 // metadata records
	Collections int64
	Members     int64 // member and index records visited
	Expiries    int64 // expiry-index records
	Scripts     int64
	// Problems names each inconsistency; at most MaxCheckProblems are kept.
	Problems []string
	// ProblemCount counts every inconsistency, kept or not.
	ProblemCount int64
}

// MaxCheckProblems bounds CheckReport.Problems.
const MaxCheckProblems = 1000

// OK reports whether the store is consistent.
func (r *CheckReport) OK() bool { return r.ProblemCount == 0 }

func (r *CheckReport) problem(format string, args ...any) {
	r.ProblemCount++
	if len(r.Problems) < MaxCheckProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// Check verifies, on one snapshot, that the store's redundant records agree:
// every collection's stored count matches its member records (list
// positions Head..Tail-1 all present; sorted-set member records and score
// index agree one to one), no member record belongs to a collection that
// does not exist, the expiry index matches the metadata expiries, the stored
// per-database key counts match the keys, and every script record hashes to
// its SHA1. It is meant for a stopped data directory (moonstone check), but
// is safe on a live store. An error means the check could not run; problems
// found are in the report.
func (db *DB) Check() (*CheckReport, error) { return db.CheckWithProgress(nil) }

// CheckProgressEvery is the least time between two progress calls.
const CheckProgressEvery = 250 * time.Millisecond

// CheckWithProgress is Check, calling progress (unless nil) with the phase
// under way and the counts so far: once when the check starts, then at
// most every CheckProgressEvery. progress must not keep the report.
func (db *DB) CheckWithProgress(progress func(phase string, r *CheckReport)) (*CheckReport, error) {
	snap := db.pdb.NewSnapshot()
	defer snap.Close()
	c := &checker{snap: snap, r: &CheckReport{}, versions: map[uint64]codec.Type{}, progress: progress}
	steps := []struct {
		phase string
		run   func() error
	}{
		{"database map", c.dbMap},
		{"keys and members", c.metas},
		{"expiry index", c.expiries},
		{"orphan members", c.orphans},
		{"key counts", c.counts},
		{"scripts", c.scripts},
	}
	for _, step := range steps {
		c.phase = step.phase
		if err := step.run(); err != nil {
			return c.r, err
		}
	}
	return c.r, nil
}

type checker struct {
	snap     *pebble.Snapshot
	r        *CheckReport
	versions map[uint64]codec.Type
	// keys and expires are counted per physical database, as stored;
	// problems name logical databases, through dbs.
	dbs     *dbMap
	keys    [MaxDatabases]int64
	expires [MaxDatabases]int64

	progress func(phase string, r *CheckReport)
	phase    string
	records  int // records scanned since the clock was last read
	reported time.Time
}

// tick reports progress now and then; reading the clock every record
// would cost more than the check.
func (c *checker) tick() {
	if c.progress == nil {
		return
	}
	if c.records++; c.records < 1024 && !c.reported.IsZero() {
		return
	}
	c.records = 0
	if now := time.Now(); c.reported.IsZero() || now.Sub(c.reported) >= CheckProgressEvery {
		c.reported = now
		c.progress(c.phase, c.r)
	}
}

// scan calls fn for every record with prefix; k and v are valid only
// during the call.
func (c *checker) scan(prefix []byte, fn func(k, v []byte) error) error {
	it, err := c.snap.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: codec.PrefixEnd(prefix)})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		c.tick()
		if err := fn(it.Key(), it.Value()); err != nil {
			it.Close()
			return err
		}
	}
	if err := it.Error(); err != nil {
		it.Close()
		return err
	}
	return it.Close()
}

func (c *checker) has(k []byte) (bool, error) {
	_, closer, err := c.snap.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	closer.Close()
	return true, nil
}

// dbMap reads the database map (dbmap.go): a permutation of the
// databases, only in a directory stamped with the format that has it.
func (c *checker) dbMap() error {
	c.dbs = identityDBMap()
	v, closer, err := c.snap.Get(dbMapKey)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	defer closer.Close()
	m, err := decodeDBMap(v)
	if err != nil {
		c.r.problem("%v", err)
		return nil
	}
	c.dbs = m
	f, fcloser, err := c.snap.Get(formatKey)
	if err != nil && !errors.Is(err, pebble.ErrNotFound) {
		return err
	}
	if err == nil {
		defer fcloser.Close()
	}
	if n, _ := strconv.Atoi(string(f)); n < 2 {
		c.r.problem("database map record in a directory of format %q", f)
	}
	return nil
}

// db names physical database p by its logical number, for problems.
func (c *checker) db(p int) int { return int(c.dbs.logical[p]) }

func (c *checker) metas() error {
	return c.scan([]byte{codec.TagMeta}, func(k, v []byte) error {
		c.r.Keys++
		dbn, key := codec.DBFromMeta(k), append([]byte(nil), codec.UserKeyFromMeta(k)...)
		m, err := codec.DecodeMeta(v)
		if err != nil {
			c.r.problem("db %d key %q: undecodable metadata record", c.db(dbn), key)
			return nil
		}
		c.keys[dbn]++
		if m.ExpireAt != 0 {
			c.expires[dbn]++
			ok, err := c.has(codec.ExpiryKey(dbn, m.IndexedAt, key))
			if err != nil {
				return err
			}
			if !ok {
				c.r.problem("db %d key %q: expires at %d but has no expiry-index record at %d", c.db(dbn), key, m.ExpireAt, m.IndexedAt)
			}
		}
		if m.Type == codec.TypeString {
			return nil
		}
		c.r.Collections++
		if prev, dup := c.versions[m.Version]; dup {
			c.r.problem("db %d key %q: version %d is also used by another %s", c.db(dbn), key, m.Version, prev)
		}
		c.versions[m.Version] = m.Type
		return c.collection(dbn, key, &m)
	})
}

func (c *checker) collection(dbn int, key []byte, m *codec.Meta) error {
	name := fmt.Sprintf("db %d %s %q", c.db(dbn), m.Type, key)
	switch m.Type {
	case codec.TypeHash, codec.TypeSet:
		if m.HInline {
			return c.inlineHash(name, m)
		}
		var n int64
		seqs := map[uint64]bool{}
		if err := c.scan(codec.MemberPrefix(m.Type.MemberTag(), m.Version), func(k, v []byte) error {
			n++
			if !m.Ordered {
				return nil
			}
			// An ordered hash's values carry distinct sequences below
			// the next one.
			if len(v) < codec.HashSeqLen {
				c.r.problem("%s: value record of %q has no insertion sequence", name, codec.MemberFromKey(k))
				return nil
			}
			seq := hashSeq(v)
			if seq >= m.NextSeq || seqs[seq] {
				c.r.problem("%s: field %q has sequence %d (next %d, or repeated)", name, codec.MemberFromKey(k), seq, m.NextSeq)
			}
			seqs[seq] = true
			return nil
		}); err != nil {
			return err
		}
		c.r.Members += n
		if n != m.Count {
			c.r.problem("%s: stored count %d, %d member records", name, m.Count, n)
		}
	case codec.TypeList:
		if m.LInline {
			return c.inlineList(name, m)
		}
		if m.Tail-m.Head != m.Count {
			c.r.problem("%s: stored count %d, but head %d and tail %d span %d", name, m.Count, m.Head, m.Tail, m.Tail-m.Head)
		}
		var n int64
		next := m.Head
		if err := c.scan(codec.MemberPrefix(codec.TagList, m.Version), func(k, v []byte) error {
			n++
			if len(k) != 17 {
				c.r.problem("%s: malformed element key %x", name, k)
				return nil
			}
			i := codec.ListIndexFromKey(k)
			if i < m.Head || i >= m.Tail {
				c.r.problem("%s: element at position %d outside [%d, %d)", name, i, m.Head, m.Tail)
				return nil
			}
			if i > next {
				c.r.problem("%s: positions %d..%d missing", name, next, i-1)
			}
			next = i + 1
			return nil
		}); err != nil {
			return err
		}
		if next < m.Tail {
			c.r.problem("%s: positions %d..%d missing", name, next, m.Tail-1)
		}
		c.r.Members += n
		if n != m.Count {
			c.r.problem("%s: stored count %d, %d element records", name, m.Count, n)
		}
	case codec.TypeZSet:
		if m.ZInline {
			return c.inlineZSet(name, m)
		}
		scores := map[string]float64{}
		if err := c.scan(codec.MemberPrefix(codec.TagZMember, m.Version), func(k, v []byte) error {
			s, ok := codec.DecodeZScoreValue(v)
			if !ok {
				c.r.problem("%s: member %q has a malformed score", name, codec.MemberFromKey(k))
				s = math.NaN()
			}
			scores[string(codec.MemberFromKey(k))] = s
			return nil
		}); err != nil {
			return err
		}
		c.r.Members += int64(len(scores))
		if int64(len(scores)) != m.Count {
			c.r.problem("%s: stored count %d, %d member records", name, m.Count, len(scores))
		}
		for mem, s := range scores {
			if s < m.ScoreFloor {
				c.r.problem("%s: member %q has score %v, under the set's score floor %v", name, mem, s, m.ScoreFloor)
				break
			}
		}
		indexed := map[string]bool{}
		if err := c.scan(codec.MemberPrefix(codec.TagZScore, m.Version), func(k, v []byte) error {
			c.r.Members++
			if len(k) < 17 {
				c.r.problem("%s: malformed score-index key %x", name, k)
				return nil
			}
			score, member := codec.ParseZScoreKey(k)
			s, ok := scores[string(member)]
			switch {
			case !ok:
				c.r.problem("%s: score index holds %q, which has no member record", name, member)
			case s != score:
				c.r.problem("%s: member %q has score %v, its index entry %v", name, member, s, score)
			case indexed[string(member)]:
				c.r.problem("%s: member %q is indexed twice", name, member)
			}
			indexed[string(member)] = true
			return nil
		}); err != nil {
			return err
		}
		for mem := range scores {
			if !indexed[mem] {
				c.r.problem("%s: member %q is missing from the score index", name, mem)
			}
		}
		return c.rankIndex(name, m)
	case codec.TypeStream:
		return c.stream(name, m)
	default:
		c.r.problem("%s: unexpected type %d", name, m.Type)
	}
	return nil
}

// inlineZSet checks a sorted set kept in its metadata record
// (zset_inline.go): its entries decode, are in order with distinct members
// at or above the score floor, their number is the count, the set is still
// a listpack, and no record lives under its version.
func (c *checker) inlineZSet(name string, m *codec.Meta) error {
	entries, ok := codec.SplitZEntries(nil, m.ZEntries)
	if !ok {
		c.r.problem("%s: undecodable inline entries", name)
		return nil
	}
	c.r.Members += int64(len(entries))
	if int64(len(entries)) != m.Count {
		c.r.problem("%s: stored count %d, %d inline entries", name, m.Count, len(entries))
	}
	if m.ZSkiplist {
		c.r.problem("%s: inline, but converted to a skiplist", name)
	}
	seen := map[string]bool{}
	for i, e := range entries {
		score, member := codec.ParseZEntry(e)
		switch {
		case i > 0 && bytes.Compare(entries[i-1], e) >= 0:
			c.r.problem("%s: inline entry %q out of order", name, member)
		case seen[string(member)]:
			c.r.problem("%s: member %q is inline twice", name, member)
		case score < m.ScoreFloor:
			c.r.problem("%s: member %q has score %v, under the set's score floor %v", name, member, score, m.ScoreFloor)
		}
		seen[string(member)] = true
	}
	return c.noRecords(name, m.Version, codec.TagZMember, codec.TagZScore, codec.TagZRank)
}

// inlineList checks an inline list: its elements decode, as many as its
// count, at positions [0, count), and it has no element records.
func (c *checker) inlineList(name string, m *codec.Meta) error {
	elems, ok := codec.SplitLEntries(nil, m.LEntries)
	if !ok {
		c.r.problem("%s: undecodable inline elements", name)
		return nil
	}
	c.r.Members += int64(len(elems))
	if int64(len(elems)) != m.Count {
		c.r.problem("%s: stored count %d, %d inline elements", name, m.Count, len(elems))
	}
	if m.Head != 0 || m.Tail != m.Count {
		c.r.problem("%s: inline, but head %d and tail %d for count %d", name, m.Head, m.Tail, m.Count)
	}
	return c.noRecords(name, m.Version, codec.TagList)
}

// noRecords reports every record with one of tags under the version of an
// inline collection, whose members live in its metadata record.
func (c *checker) noRecords(name string, version uint64, tags ...byte) error {
	for _, tag := range tags {
		if err := c.scan(codec.MemberPrefix(tag, version), func(k, v []byte) error {
			c.r.problem("%s: inline, but record %x exists under its version", name, k)
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// inlineHash checks a hash kept in its metadata record (hash_inline.go):
// its entries decode, their number is the count, no field is there twice,
// the hash is still a listpack, and no value record lives under its
// version.
func (c *checker) inlineHash(name string, m *codec.Meta) error {
	fields, _, ok := codec.SplitHEntries(nil, nil, m.HEntries)
	if !ok {
		c.r.problem("%s: undecodable inline entries", name)
		return nil
	}
	c.r.Members += int64(len(fields))
	if int64(len(fields)) != m.Count {
		c.r.problem("%s: stored count %d, %d inline entries", name, m.Count, len(fields))
	}
	if m.HashTable {
		c.r.problem("%s: inline, but converted to a hashtable", name)
	}
	seen := map[string]bool{}
	for _, f := range fields {
		if seen[string(f)] {
			c.r.problem("%s: field %q is inline twice", name, f)
		}
		seen[string(f)] = true
	}
	return c.noRecords(name, m.Version, codec.TagHash)
}

// rankIndex checks a sorted set's rank index (zset_rank.go), if it has
// one: the header names the levels present and the top level's size, each
// level starts with the empty suffix, every level-0 fence counts the
// score-index entries of its block, every higher fence counts the entries
// and the fences of the level below in its block and starts where one of
// them does, and the top level counts the whole set.
func (c *checker) rankIndex(name string, m *codec.Meta) error {
	var header []byte
	var levels [][]zfence
	counts := map[string][2]int64{}
	bad := false
	if err := c.scan(codec.MemberPrefix(codec.TagZRank, m.Version), func(k, v []byte) error {
		c.r.Members++
		if len(k) == 9 {
			header = append([]byte(nil), v...)
			return nil
		}
		level, suffix := codec.ParseZRankFenceKey(k)
		if level >= countLevel {
			e, ch, ok := codec.DecodeZRankFence(v)
			if !ok {
				c.r.problem("%s: malformed rank-index counts %x", name, k)
				bad = true
			}
			counts[string(k[9:])] = [2]int64{e, ch}
			return nil
		}
		if level > len(levels) {
			c.r.problem("%s: rank-index fence %x skips a level", name, k)
			bad = true
			return nil
		}
		if level == len(levels) {
			levels = append(levels, nil)
		}
		levels[level] = append(levels[level], zfence{suffix: append([]byte(nil), suffix...)})
		return nil
	}); err != nil || bad {
		return err
	}
	for l, fences := range levels {
		for i := range fences {
			ck := append([]byte{byte(l) | countLevel}, fences[i].suffix...)
			cnt, ok := counts[string(ck)]
			if !ok {
				c.r.problem("%s: rank-index fence at level %d %x has no counts", name, l, fences[i].suffix)
				return nil
			}
			fences[i].entries, fences[i].children = cnt[0], cnt[1]
			delete(counts, string(ck))
		}
	}
	for ck := range counts {
		c.r.problem("%s: rank-index counts %x without a fence", name, ck)
	}
	if header == nil {
		if levels != nil {
			c.r.problem("%s: rank-index fences without a header", name)
		}
		return nil
	}
	nl, top, ok := codec.DecodeZRankHeader(header)
	switch {
	case !ok:
		c.r.problem("%s: malformed rank-index header", name)
		return nil
	case nl != int64(len(levels)) || nl == 0:
		c.r.problem("%s: rank-index header says %d levels, %d found", name, nl, len(levels))
		return nil
	case top != int64(len(levels[nl-1])):
		c.r.problem("%s: rank-index header says %d top fences, %d found", name, top, len(levels[nl-1]))
	}
	for l, fences := range levels {
		if len(fences[0].suffix) != 0 {
			c.r.problem("%s: rank-index level %d does not start at the first entry", name, l)
			return nil
		}
	}
	// Level 0 against the score index.
	f0 := levels[0]
	got := make([]int64, len(f0))
	j := 0
	if err := c.scan(codec.MemberPrefix(codec.TagZScore, m.Version), func(k, v []byte) error {
		s := k[9:]
		for j+1 < len(f0) && bytes.Compare(f0[j+1].suffix, s) <= 0 {
			j++
		}
		got[j]++
		return nil
	}); err != nil {
		return err
	}
	for i, f := range f0 {
		if got[i] != f.entries {
			c.r.problem("%s: rank-index fence at %x counts %d entries, its block holds %d", name, f.suffix, f.entries, got[i])
		}
	}
	// Each higher level against the one below.
	for l := 1; l < len(levels); l++ {
		below, j := levels[l-1], 0
		for i, f := range levels[l] {
			for j < len(below) && bytes.Compare(below[j].suffix, f.suffix) < 0 {
				j++
			}
			if j == len(below) || !bytes.Equal(below[j].suffix, f.suffix) {
				c.r.problem("%s: rank-index level %d fence at %x starts no level %d fence", name, l, f.suffix, l-1)
				return nil
			}
			var entries, children int64
			for k := j; k < len(below) && (i+1 == len(levels[l]) || bytes.Compare(below[k].suffix, levels[l][i+1].suffix) < 0); k++ {
				entries += below[k].entries
				children++
			}
			if entries != f.entries || children != f.children {
				c.r.problem("%s: rank-index level %d fence at %x counts %d entries in %d fences, its block holds %d in %d",
					name, l, f.suffix, f.entries, f.children, entries, children)
			}
		}
	}
	var total int64
	for _, f := range levels[len(levels)-1] {
		total += f.entries
	}
	if total != m.Count {
		c.r.problem("%s: rank index counts %d entries, the set has %d", name, total, m.Count)
	}
	return nil
}

// expiries checks every expiry-index record against its metadata.
func (c *checker) expiries() error {
	return c.scan([]byte{codec.TagExpiry}, func(k, v []byte) error {
		c.r.Expiries++
		if len(k) < 10 {
			c.r.problem("malformed expiry-index key %x", k)
			return nil
		}
		dbn, at, key := codec.ParseExpiryKey(k)
		mv, closer, err := c.snap.Get(codec.MetaKey(dbn, key))
		if errors.Is(err, pebble.ErrNotFound) {
			c.r.problem("db %d key %q: expiry-index record at %d for a key that does not exist", c.db(dbn), key, at)
			return nil
		}
		if err != nil {
			return err
		}
		m, err := codec.DecodeMeta(mv)
		closer.Close()
		if err == nil && m.IndexedAt != at {
			c.r.problem("db %d key %q: expiry-index record at %d, metadata says %d", c.db(dbn), key, at, m.IndexedAt)
		}
		return nil
	})
}

// orphans finds member records whose version no collection owns.
func (c *checker) orphans() error {
	for _, tag := range []byte{codec.TagHash, codec.TagList, codec.TagSet, codec.TagZMember, codec.TagZScore, codec.TagZRank, codec.TagStreamEntry, codec.TagStreamAux} {
		var last []byte
		if err := c.scan([]byte{tag}, func(k, v []byte) error {
			if len(k) < 9 {
				c.r.problem("malformed member key %x", k)
				return nil
			}
			if last != nil && bytes.Equal(last, k[:9]) {
				return nil
			}
			last = append(last[:0], k[:9]...)
			ver := binary.BigEndian.Uint64(k[1:9])
			t, ok := c.versions[ver]
			if !ok {
				c.r.problem("member records under tag %q belong to version %d, which no key owns", tag, ver)
			} else if !bytes.Contains(memberTags(t), []byte{tag}) {
				c.r.problem("member records under tag %q belong to version %d, a %s", tag, ver, t)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// counts compares the stored per-database counts with the keys found.
func (c *checker) counts() error {
	for dbn := 0; dbn < MaxDatabases; dbn++ {
		var keys, expires int64
		v, closer, err := c.snap.Get(countKey(dbn))
		switch {
		case errors.Is(err, pebble.ErrNotFound):
		case err != nil:
			return err
		default:
			if len(v) == 16 {
				keys = int64(binary.BigEndian.Uint64(v))
				expires = int64(binary.BigEndian.Uint64(v[8:]))
			} else {
				c.r.problem("db %d: malformed key-count record", c.db(dbn))
			}
			closer.Close()
		}
		if keys != c.keys[dbn] {
			c.r.problem("db %d: stored key count %d, %d keys found", c.db(dbn), keys, c.keys[dbn])
		}
		if expires != c.expires[dbn] {
			c.r.problem("db %d: stored count of keys with an expiry %d, %d found", c.db(dbn), expires, c.expires[dbn])
		}
	}
	return nil
}

// scripts checks that every stored script hashes to its key.
func (c *checker) scripts() error {
	return c.scan([]byte{codec.TagScript}, func(k, v []byte) error {
		c.r.Scripts++
		if len(v) == 0 || (v[0] != scriptLoaded && v[0] != scriptEval) {
			c.r.problem("script %s: unknown origin byte", k[1:])
			return nil
		}
		sum := sha1.Sum(v[1:])
		if got := hex.EncodeToString(sum[:]); got != string(k[1:]) {
			c.r.problem("script %s: its body hashes to %s", k[1:], got)
		}
		return nil
	})
}
