package storage

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"slices"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
)

// Member-level helpers shared by the collection types whose members are
// plain `tag | version | member → value` records (hashes and sets): point
// reads, ordered iteration, cursor scans and random sampling. None of them
// loads a whole collection into memory unless the caller asked for all of
// it.

// has reports whether a record exists, without copying its value.
func (tx *Tx) has(key []byte) (bool, error) {
	_, closer, err := tx.r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	closer.Close()
	return true, nil
}

// MemberIter walks a collection's members in member (byte) order. Count is
// the number of members the metadata records, known before the first Next,
// so a reply can announce its length and then stream.
//
// Member and Value alias Pebble's buffers: they are valid only until the
// next call to Next or Close.
type MemberIter struct {
	Count   int64
	it      *pebble.Iterator
	started bool
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
func (mi *MemberIter) Member() []byte { return codec.MemberFromKey(mi.it.Key()) }

// Value is the current member's value (empty for sets).
func (mi *MemberIter) Value() []byte { return mi.it.Value() }

// Close releases the iterator and reports any error that stopped it early.
func (mi *MemberIter) Close() error {
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

// Random sampling.
//
// Pebble keeps no order statistics, so "the i-th member" costs a walk of i
// records. Sampling therefore has two modes:
//
//   - exact: walk the members once and pick by rank. Every member is equally
//     likely. Used when the collection is small (exactSampleMax) or when the
//     caller wants so many members that a walk is cheaper than one seek per
//     pick (count*seekCost >= size).
//   - probe: seek to a uniformly random point between the first and the last
//     member (the 8 bytes after their common prefix, read as a number), then
//     step forward a random 0..probeWalk-1 members, wrapping at the end. One
//     seek and a few steps per pick, whatever the size. The trade-off: a
//     member's chance is proportional to the average width of the key-space
//     gaps before the probeWalk members preceding it, so members that follow
//     sparse stretches of the key space are picked more often than members in
//     dense runs. The random step smooths runs of members that share a long
//     prefix (which the 8-byte projection cannot tell apart) so none of them
//     is unreachable. For keys spread evenly (fixed-width ids, hashes, UUIDs)
//     the distribution is close to uniform.
const (
	exactSampleMax = 256
	seekCost       = 16
	probeWalk      = 16
	// maxRandomReply bounds a sample with repeats (a negative count): the
	// reply is built in memory, so an absurd count must not take the
	// server down with it.
	maxRandomReply = 1 << 24
)

// ErrSampleTooLarge refuses a random sample with repeats larger than
// maxRandomReply.
var ErrSampleTooLarge = errors.New("ERR value is out of range")

// sample holds the members (and values, if asked) a sampler picked.
type sample struct {
	members, values [][]byte
}

func (s *sample) add(member, value []byte, withValues bool) {
	s.members = append(s.members, append([]byte{}, member...))
	if withValues {
		s.values = append(s.values, append([]byte{}, value...))
	}
}

// shuffle puts a sample in random order (an exact walk yields member order).
func (s *sample) shuffle() {
	rand.Shuffle(len(s.members), func(i, j int) {
		s.members[i], s.members[j] = s.members[j], s.members[i]
		if s.values != nil {
			s.values[i], s.values[j] = s.values[j], s.values[i]
		}
	})
}

// useProbes says whether picking count members of a collection of size
// should seek (probe mode) rather than walk (exact mode).
func useProbes(size, count int64) bool {
	return size > exactSampleMax && count < size/seekCost
}

// sampleMembers picks count members of m at random. With distinct, the
// members are different and count is at most m.Count (the caller clamps);
// otherwise each pick is independent, so members may repeat.
func (tx *Tx) sampleMembers(m *Meta, tag byte, count int64, distinct, withValues bool) (sample, error) {
	if m == nil || count <= 0 {
		return sample{}, nil
	}
	if !distinct && count > maxRandomReply {
		return sample{}, ErrSampleTooLarge
	}
	prefix := codec.MemberPrefix(tag, m.Version)
	it, err := tx.iter(prefix, codec.PrefixEnd(prefix))
	if err != nil {
		return sample{}, err
	}
	defer it.Close()
	if useProbes(m.Count, count) {
		p, err := newProber(it, len(prefix))
		if err != nil {
			return sample{}, err
		}
		s, ok, err := p.sample(count, distinct, withValues)
		if err != nil || ok {
			return s, err
		}
		// Too many collisions: the key space is too lopsided for probing
		// to find distinct members cheaply. Fall back to a walk.
	}
	if distinct {
		return selectDistinct(it, m.Count, count, withValues)
	}
	return selectWithRepeats(it, m.Count, count, withValues)
}

// selectDistinct walks every member once and keeps each with probability
// needed/remaining (Knuth's selection sampling): count distinct members,
// every subset equally likely.
func selectDistinct(it *pebble.Iterator, size, count int64, withValues bool) (sample, error) {
	var s sample
	need, left := count, size
	for ok := it.First(); ok && need > 0; ok = it.Next() {
		if rand.Int64N(left) < need {
			s.add(codec.MemberFromKey(it.Key()), it.Value(), withValues)
			need--
		}
		left--
	}
	if err := it.Error(); err != nil {
		return sample{}, err
	}
	s.shuffle()
	return s, nil
}

// selectWithRepeats draws count independent uniform ranks, sorts them and
// walks the members once, emitting a member once per time its rank was
// drawn; the result is then shuffled.
func selectWithRepeats(it *pebble.Iterator, size, count int64, withValues bool) (sample, error) {
	ranks := make([]int64, count)
	for i := range ranks {
		ranks[i] = rand.Int64N(size)
	}
	slices.Sort(ranks)
	s := sample{members: make([][]byte, 0, count)}
	var rank int64
	next := 0
	for ok := it.First(); ok && next < len(ranks); ok = it.Next() {
		for next < len(ranks) && ranks[next] == rank {
			s.add(codec.MemberFromKey(it.Key()), it.Value(), withValues)
			next++
		}
		rank++
	}
	if err := it.Error(); err != nil {
		return sample{}, err
	}
	s.shuffle()
	return s, nil
}

// prober picks members by seeking to random points of the member range.
type prober struct {
	it     *pebble.Iterator
	head   []byte // tag | version | common prefix of the first and last member
	lo, hi uint64 // the 8 bytes after head of the first and last member
}

func newProber(it *pebble.Iterator, prefixLen int) (*prober, error) {
	if !it.First() {
		return nil, it.Error()
	}
	first := append([]byte(nil), it.Key()...)
	if !it.Last() {
		return nil, it.Error()
	}
	last := it.Key()
	n := prefixLen
	for n < len(first) && n < len(last) && first[n] == last[n] {
		n++
	}
	return &prober{it: it, head: first[:n:n], lo: window(first[n:]), hi: window(last[n:])}, nil
}

// window reads the first 8 bytes of b as a big-endian number, padding a
// shorter b with zeros (which keeps the order of keys).
func window(b []byte) uint64 {
	var w [8]byte
	copy(w[:], b)
	return binary.BigEndian.Uint64(w[:])
}

// pick positions the iterator on a random member.
func (p *prober) pick() bool {
	var u uint64
	if span := p.hi - p.lo; span == ^uint64(0) {
		u = rand.Uint64()
	} else {
		u = p.lo + rand.Uint64N(span+1)
	}
	probe := binary.BigEndian.AppendUint64(append([]byte(nil), p.head...), u)
	if !p.it.SeekGE(probe) && !p.it.First() {
		return false
	}
	for steps := rand.IntN(probeWalk); steps > 0; steps-- {
		if !p.it.Next() && !p.it.First() {
			return false
		}
	}
	return true
}

// sample picks count members by probing. For distinct members it retries
// on collisions within a budget and reports ok=false when the budget runs
// out, leaving the caller to walk instead.
func (p *prober) sample(count int64, distinct, withValues bool) (s sample, ok bool, err error) {
	var seen map[string]struct{}
	budget := count
	if distinct {
		seen = make(map[string]struct{}, count)
		budget = 4*count + 64
	}
	for int64(len(s.members)) < count {
		if budget == 0 {
			return sample{}, false, nil
		}
		budget--
		if !p.pick() {
			return sample{}, false, p.it.Error()
		}
		member := codec.MemberFromKey(p.it.Key())
		if distinct {
			if _, dup := seen[string(member)]; dup {
				continue
			}
			seen[string(member)] = struct{}{}
		}
		s.add(member, p.it.Value(), withValues)
	}
	return s, true, nil
}
