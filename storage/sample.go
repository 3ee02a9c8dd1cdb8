package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
)

// Random sampling of a collection's members (HRANDFIELD, SRANDMEMBER,
// SPOP).
//
// Pebble keeps no order statistics, so "the i-th member" costs a walk of i
// records. Sampling therefore has two modes:
//
//   - exact: walk the members once and pick by rank. Every member (every
//     subset, for distinct picks) is equally likely. Used when the collection
//     is small (exactSampleMax) or when so many members are wanted that one
//     walk costs less than probing for each (count*probeCost >= size).
//
//   - probe: seek to random points of the member range, at a cost that does
//     not grow with the collection. A seek lands on the first member at or
//     after the point, so a member's chance is the width of the key-space gap
//     before it. Three corrections bring that close to uniform on the keys
//     people use:
//
//     1. Gaps are measured with a model learned from a small sample of
//     members (the first and last runs and runs after a few probes): each
//     byte position after the common prefix is a digit over the alphabet
//     the sample uses, plus "ended" where members end. Decimal ids, hex and
//     base64 tokens and UUIDs become evenly spaced numbers, where raw bytes
//     would leave wide holes (between '9' and 'a', say).
//     2. Each pick lands sirCandidates times and keeps one landing with
//     probability proportional to 1/gap (sampling-importance-resampling):
//     members behind wide gaps are landed on often and kept rarely.
//     3. From the kept member the pick steps forward a random 0..probeWalk-1
//     members, so members behind narrow gaps (or that the model cannot
//     tell apart, differing only past the modelled positions) share the
//     chances of their neighbours.
//
//     The trade-off: probe mode is approximately uniform, not exactly.
//     Members behind unusually wide or narrow stretches of the key space are
//     picked more or less often than the rest. Measured on 1000-member sets
//     (storage/sample_test.go) as the total variation distance from uniform,
//     where sampling noise alone gives about 0.06: zero-padded ids and random
//     hex tokens 0.06-0.08, variable-length decimal ids 0.09, short words
//     0.14, ids with attribute suffixes ("u:12:email") 0.39. Distinct picks
//     retry on repeats; if repeats keep coming, the sample falls back to an
//     exact walk.
const (
	exactSampleMax = 512
	probeCost      = 64
	sirCandidates  = 4
	probeWalk      = 16
	learnRun       = 16
	learnProbes    = 8
	// maxModelSpan bounds the product of the model's digit radixes, so
	// positions fit a uint64 with room for the wrap-around slot.
	maxModelSpan = 1 << 62
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
// should probe rather than walk.
func useProbes(size, count int64) bool {
	return size > exactSampleMax && count < size/probeCost
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
		p, err := tx.newProber(it, prefix, m)
		if err != nil {
			return sample{}, err
		}
		if p != nil {
			s, ok, err := p.sample(count, distinct, withValues)
			if err != nil || ok {
				return s, err
			}
		}
		// Repeats kept coming: walk instead.
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
	for ok := it.First(); ok && need > 0 && left > 0; ok = it.Next() {
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

// keyModel maps members to numbers in an order-preserving way, spacing
// them by the alphabet the members use (see the comment at the top of the
// file).
type keyModel struct {
	cp     []byte   // common prefix of every member
	alpha  []byte   // the bytes the sample uses after cp, sorted
	ends   []bool   // per position: whether members end there (digit 0)
	weight []uint64 // per position: the value of one digit
}

// newKeyModel learns a model from sampled members (each with prefix cp).
// Every position uses the bytes seen at any position: a small sample sees
// few of the bytes each position can hold (the high digits of sequential
// ids barely change), but it sees the alphabet as a whole.
func newKeyModel(cp []byte, members [][]byte) *keyModel {
	km := &keyModel{cp: cp}
	var seen [256]bool
	longest := 0
	for _, m := range members {
		s := m[len(cp):]
		longest = max(longest, len(s))
		for _, b := range s {
			seen[b] = true
		}
	}
	for b := range 256 {
		if seen[b] {
			km.alpha = append(km.alpha, byte(b))
		}
	}
	var radix []uint64
	span := uint64(1)
	for q := 0; q < longest; q++ {
		ends := false
		for _, m := range members {
			if len(m)-len(cp) <= q {
				ends = true
				break
			}
		}
		r := uint64(len(km.alpha))
		if ends {
			r++
		}
		if span > maxModelSpan/r {
			break
		}
		span *= r
		km.ends = append(km.ends, ends)
		radix = append(radix, r)
	}
	km.weight = make([]uint64, len(radix))
	w := uint64(1)
	for q := len(radix) - 1; q >= 0; q-- {
		km.weight[q] = w
		w *= radix[q]
	}
	return km
}

// digit is member suffix s's digit at position q: 0 for "ended" (when
// members end there), else the rank of the largest known byte not above
// s[q].
func (km *keyModel) digit(q int, s []byte) uint64 {
	if len(s) <= q {
		return 0
	}
	alpha := km.alpha
	r := sort.Search(len(alpha), func(i int) bool { return alpha[i] > s[q] })
	if r == 0 {
		return 0
	}
	if km.ends[q] {
		return uint64(r)
	}
	return uint64(r - 1)
}

// position maps a member (which starts with cp) to its number.
func (km *keyModel) position(member []byte) uint64 {
	s := member[len(km.cp):]
	var v uint64
	for q, w := range km.weight {
		v += km.digit(q, s) * w
	}
	return v
}

// probe builds a member-space key whose number is u: seeking to it lands
// on the first member numbered u or more.
func (km *keyModel) probe(u uint64) []byte {
	out := append([]byte(nil), km.cp...)
	for q, w := range km.weight {
		d := u / w
		u %= w
		if km.ends[q] {
			if d == 0 {
				break
			}
			d--
		}
		out = append(out, km.alpha[min(int(d), len(km.alpha)-1)])
	}
	return out
}

// prober picks members by seeking to random points of the member range.
type prober struct {
	it     *pebble.Iterator
	prefix []byte // tag | version
	km     *keyModel
	lo, hi uint64 // numbers of the first and last member
	// wrap is the width of the slot past hi that lands on the first
	// member, which otherwise would have no gap before it: the mean gap.
	wrap uint64
}

// newProber sets up probing of the collection m under it. The key model
// comes from the store's cache when one was learned for this collection at
// a similar size, else it is learned now. It returns nil when the members
// are too alike to model (the caller walks instead).
func (tx *Tx) newProber(it *pebble.Iterator, prefix []byte, m *Meta) (*prober, error) {
	if !it.First() {
		return nil, it.Error()
	}
	first := append([]byte(nil), codec.MemberFromKey(it.Key())...)
	if !it.Last() {
		return nil, it.Error()
	}
	last := append([]byte(nil), codec.MemberFromKey(it.Key())...)
	km := tx.db.models.get(m.Version, m.Count)
	if km == nil || !bytes.HasPrefix(first, km.cp) || !bytes.HasPrefix(last, km.cp) {
		var err error
		if km, err = learnModel(it, prefix, first, last); err != nil {
			return nil, err
		}
		tx.db.models.put(m.Version, m.Count, km)
	}
	p := &prober{it: it, prefix: prefix, km: km}
	p.lo, p.hi = km.position(first), km.position(last)
	if p.hi <= p.lo {
		return nil, nil
	}
	p.wrap = max((p.hi-p.lo)/uint64(m.Count), 1)
	return p, nil
}

// learnModel reads a small sample of the members under it (runs from the
// first and the last, and after a few raw byte-space probes, which widen the
// sample of the alphabet wherever they land) and fits a key model to it.
func learnModel(it *pebble.Iterator, prefix, first, last []byte) (*keyModel, error) {
	var learned [][]byte
	// collect copies up to learnRun members, moving with step.
	collect := func(ok bool, step func() bool) error {
		for i := 0; i < learnRun && ok; i++ {
			learned = append(learned, append([]byte(nil), codec.MemberFromKey(it.Key())...))
			ok = step()
		}
		return it.Error()
	}
	if err := collect(it.First(), it.Next); err != nil {
		return nil, err
	}
	if err := collect(it.Last(), it.Prev); err != nil {
		return nil, err
	}
	n := 0
	for n < len(first) && n < len(last) && first[n] == last[n] {
		n++
	}
	cp := first[:n:n]
	lo, hi := window(first[n:]), window(last[n:])
	for i := 0; i < learnProbes && hi > lo; i++ {
		key := binary.BigEndian.AppendUint64(append(slices.Clone(prefix), cp...), lo+rand.Uint64N(hi-lo))
		if err := collect(it.SeekGE(key), it.Next); err != nil {
			return nil, err
		}
	}
	return newKeyModel(cp, learned), nil
}

// modelCache keeps the key models learned for large collections, so that
// repeated random picks (SRANDMEMBER in a loop, SPOP as a work queue) do
// not each pay for learning. Entries are keyed by collection version, which
// is never reused, so a model can only be stale, never wrong: a stale model
// makes picks less uniform, not incorrect. A model is used again while the
// collection's size stays within an eighth of the size it was learned at.
type modelCache struct {
	mu sync.Mutex
	m  map[uint64]cachedModel
}

type cachedModel struct {
	km    *keyModel
	count int64
}

const maxCachedModels = 4096

func (c *modelCache) get(version uint64, count int64) *keyModel {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[version]
	if !ok || count < e.count-e.count/8 || count > e.count+e.count/8 {
		return nil
	}
	return e.km
}

func (c *modelCache) put(version uint64, count int64, km *keyModel) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[uint64]cachedModel)
	}
	if len(c.m) >= maxCachedModels {
		for v := range c.m { // map order: an arbitrary victim
			delete(c.m, v)
			break
		}
	}
	c.m[version] = cachedModel{km: km, count: count}
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
	it := p.it
	var chosen []byte
	var total float64
	for c := 0; c < sirCandidates; c++ {
		gap, ok := p.land()
		if !ok {
			return false
		}
		w := 1 / float64(max(gap, 1))
		total += w
		if rand.Float64()*total < w {
			chosen = append(chosen[:0], it.Key()...)
		}
	}
	if !it.SeekGE(chosen) {
		return false
	}
	for steps := rand.IntN(probeWalk); steps > 0; steps-- {
		if !it.Next() && !it.First() {
			return false
		}
	}
	return true
}

// land seeks to a uniformly random point and returns the width of the gap
// before the member it landed on.
func (p *prober) land() (uint64, bool) {
	it := p.it
	u := p.lo + rand.Uint64N(p.hi-p.lo+p.wrap)
	if u > p.hi {
		return p.wrap, it.First()
	}
	key := append(append([]byte(nil), p.prefix...), p.km.probe(u)...)
	if !it.SeekGE(key) {
		return p.wrap, it.First()
	}
	pos := p.km.position(codec.MemberFromKey(it.Key()))
	if !it.Prev() {
		return p.wrap, it.First()
	}
	gap := pos - p.km.position(codec.MemberFromKey(it.Key()))
	return gap, it.Next()
}

// sample picks count members by probing. For distinct members it retries
// on repeats within a budget and reports ok=false when the budget runs
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
