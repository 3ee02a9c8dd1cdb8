package storage

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"slices"
	"strconv"

	"moonstone/codec"
)

// SORT and SORT_RO, following Redis 7.0's sortCommandGeneric step by step:
// load the elements, weigh them (the element itself, or a string key or
// hash field named by the BY pattern), sort, cut the LIMIT window, then
// reply with the elements or the values their GET patterns name, or store
// them as a list.
//
// Sets and sorted sets are read here straight from their member layout in
// codec (set members under TagSet, sorted-set members in score order under
// the TagZScore index), so SORT depends on nothing else in those types'
// code.

// ErrSortScore is SORT's error when a weight is not a number.
var ErrSortScore = errors.New("ERR One or more scores can't be converted into double")

// SortOptions are SORT's modifiers, as parsed by the server.
type SortOptions struct {
	// By is the BY pattern, nil for none.
	By []byte
	// NoSort is set when a BY pattern had no '*' ("BY nosort"): lists and
	// sorted sets keep their own order, sets their member order.
	NoSort      bool
	Desc, Alpha bool
	// Offset and Count are LIMIT's; Count < 0 means to the end.
	Offset, Count int64
	// Get lists the GET patterns in order ("#" is the element itself).
	Get [][]byte
	// Store names the key that receives the result as a list; nil replies
	// with it instead.
	Store []byte
	// Script is set when a script calls SORT: a set is then sorted even
	// under a constant BY, so the result does not depend on member order
	// (Redis's rule for replication).
	Script bool
}

// SortResult is what SORT produces.
type SortResult struct {
	// Values is the reply when Store is nil: the elements, or for each
	// element one value per GET pattern. A nil value is a GET that found
	// nothing (absent key, wrong type, missing field); found values are
	// never nil, even when empty.
	Values [][]byte
	// Stored is the length of the list stored when Store is set.
	Stored int64
}

// sortItem is one element being sorted with its weight.
type sortItem struct {
	elem  []byte
	score float64
	cmp   []byte // ALPHA with BY: the weight; nil when the lookup failed
}

// Sort is SORT (and SORT_RO, which never sets Store) over the list, set or
// sorted set at key. A missing key sorts as an empty list.
func (tx *Tx) Sort(db int, key []byte, o SortOptions) (SortResult, error) {
	var res SortResult
	m, err := tx.meta(db, key)
	if err != nil {
		return res, err
	}
	if m != nil && m.Type != codec.TypeList && m.Type != codec.TypeSet && m.Type != codec.TypeZSet {
		return res, ErrWrongType
	}
	by, dontSort := o.By, o.NoSort
	alpha := o.Alpha
	if dontSort && m != nil && m.Type == codec.TypeSet && (o.Store != nil || o.Script) {
		dontSort, alpha, by = false, true, nil
	}

	// The LIMIT window [start, end], clamped exactly as Redis does.
	var n int64
	if m != nil {
		n = m.Count
	}
	start := min(max(o.Offset, 0), n)
	count := min(max(o.Count, -1), n)
	end := n - 1
	if count >= 0 {
		end = start + count - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	if end >= n {
		end = n - 1
	}

	// Load the elements. Lists and sorted sets that need no sorting load
	// only the window, in their own order (reversed by DESC).
	var items []sortItem
	windowOnly := dontSort && m != nil && m.Type != codec.TypeSet
	if m != nil {
		var elems [][]byte
		switch {
		case windowOnly && end < start:
		case windowOnly:
			elems, err = tx.sortWindow(db, key, m, start, end-start+1, o.Desc)
			end -= start
			start = 0
		default:
			elems, err = tx.sortElements(db, key, m)
		}
		if err != nil {
			return res, err
		}
		items = make([]sortItem, len(elems))
		for i, e := range elems {
			items[i].elem = e
		}
	}

	if !dontSort {
		badScore := false
		for i := range items {
			w := items[i].elem
			if by != nil {
				v, err := tx.lookupByPattern(db, by, w)
				if err != nil {
					return res, err
				}
				if v == nil {
					continue
				}
				w = v
			}
			if alpha {
				if by != nil {
					items[i].cmp = w
				}
				continue
			}
			f, ok := strtod(w)
			if !ok {
				badScore = true
			}
			items[i].score = f
		}
		if badScore {
			return res, ErrSortScore
		}
		cmp := sortCompare(alpha, by != nil, o.Store != nil, o.Desc)
		if by != nil && (start != 0 || end != int64(len(items))-1) {
			pqsort(items, cmp, int(start), int(end))
		} else {
			slices.SortStableFunc(items, cmp)
		}
	}

	// Cut the window and apply GET.
	var out [][]byte
	for j := start; j <= end && j >= 0 && j < int64(len(items)); j++ {
		e := items[j].elem
		if len(o.Get) == 0 {
			out = append(out, e)
			continue
		}
		for _, pat := range o.Get {
			v, err := tx.lookupByPattern(db, pat, e)
			if err != nil {
				return res, err
			}
			if v == nil && o.Store != nil {
				v = []byte{}
			}
			out = append(out, v)
		}
	}
	if o.Store == nil {
		res.Values = out
		return res, nil
	}
	res.Stored = int64(len(out))
	return res, tx.replaceWithList(db, o.Store, out)
}

// sortElements returns every element of the collection m describes: a
// list in order, a set's members in numeric order for an intset and byte
// order otherwise, a sorted set's in score order.
func (tx *Tx) sortElements(db int, key []byte, m *Meta) ([][]byte, error) {
	switch m.Type {
	case codec.TypeList:
		l, err := tx.listOf(db, key, m)
		if err != nil {
			return nil, err
		}
		return l.read(m.Head, m.Tail, false)
	case codec.TypeSet:
		return tx.setMembers(m)
	}
	return tx.sortZSet(m, 0, -1, false)
}

// sortWindow returns n elements of a list or sorted set in their own order
// starting at index start, counted from the end when desc is set. For a
// sorted set, reaching the start is a scan of the elements before it.
func (tx *Tx) sortWindow(db int, key []byte, m *Meta, start, n int64, desc bool) ([][]byte, error) {
	if m.Type == codec.TypeList {
		l, err := tx.listOf(db, key, m)
		if err != nil {
			return nil, err
		}
		if desc {
			return l.read(m.Tail-start-n, m.Tail-start, true)
		}
		return l.read(m.Head+start, m.Head+start+n, false)
	}
	return tx.sortZSet(m, start, n, desc)
}

// sortZSet returns n members of a sorted set (all when n < 0) in score
// order, or reversed when desc is set, after skipping the first skip.
func (tx *Tx) sortZSet(m *Meta, skip, n int64, desc bool) ([][]byte, error) {
	var out [][]byte
	lo, hi := zindexBounds(m)
	err := tx.walkSpan(m, lo, hi, desc, skip, n, func(k []byte) error {
		_, member := codec.ParseZScoreKey(k)
		out = append(out, owned(member))
		return nil
	})
	return out, err
}

// lookupByPattern is Redis's lookupKeyByPattern: "#" is subst itself;
// otherwise the first '*' of pattern is replaced by subst to name a key,
// and a "->field" after the '*' names a field of that key's hash. The
// value is nil when the pattern has no '*', the key is absent or of the
// wrong type, or the field is missing. Like Redis, which works on C
// strings here, it looks for '*' and "->" only before any NUL byte.
func (tx *Tx) lookupByPattern(db int, pattern, subst []byte) ([]byte, error) {
	c := cString(pattern)
	if len(c) == 1 && c[0] == '#' {
		return subst, nil
	}
	star := bytes.IndexByte(c, '*')
	if star < 0 {
		return nil, nil
	}
	var field []byte
	keyEnd := len(pattern)
	if f := bytes.Index(c[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(c) {
		arrow := star + 1 + f
		field = pattern[arrow+2:]
		keyEnd = arrow
	}
	name := make([]byte, 0, keyEnd-1+len(subst))
	name = append(name, pattern[:star]...)
	name = append(name, subst...)
	name = append(name, pattern[star+1:keyEnd]...)
	m, err := tx.meta(db, name)
	if err != nil || m == nil {
		return nil, err
	}
	if field == nil {
		if m.Type != codec.TypeString {
			return nil, nil
		}
		return owned(m.Value), nil
	}
	if m.Type != codec.TypeHash {
		return nil, nil
	}
	v, ok, err := tx.hget(m, field)
	if err != nil || !ok {
		return nil, err
	}
	return v, nil
}

// cString is b up to its first NUL byte: what C string functions see.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// sortCompare is Redis's sortCompare. Numbers compare by score, ties by the
// elements' bytes. ALPHA compares the BY weights (a missing weight first),
// or the elements themselves; without STORE Redis compares with strcoll,
// which in the C locale is byte order up to the first NUL.
func sortCompare(alpha, byPattern, store, desc bool) func(a, b sortItem) int {
	coll := func(x, y []byte) int {
		if store {
			return bytes.Compare(x, y)
		}
		return bytes.Compare(cString(x), cString(y))
	}
	var cmp func(a, b sortItem) int
	switch {
	case !alpha:
		cmp = func(a, b sortItem) int {
			switch {
			case a.score > b.score:
				return 1
			case a.score < b.score:
				return -1
			}
			return bytes.Compare(a.elem, b.elem)
		}
	case byPattern:
		cmp = func(a, b sortItem) int {
			switch {
			case a.cmp == nil && b.cmp == nil:
				return 0
			case a.cmp == nil:
				return -1
			case b.cmp == nil:
				return 1
			}
			return coll(a.cmp, b.cmp)
		}
	default:
		cmp = func(a, b sortItem) int { return coll(a.elem, b.elem) }
	}
	if desc {
		return func(a, b sortItem) int { return -cmp(a, b) }
	}
	return cmp
}

// strtod reads a SORT weight as Redis does, with C's strtod: leading
// white space, an optional sign, then a decimal or hexadecimal number,
// "inf", "infinity" or "nan", and nothing after it but the end or a NUL
// byte. NaN, overflow and underflow (a result too small to be a normal
// double that is not exact) are errors. An empty weight is 0.
func strtod(b []byte) (float64, bool) {
	s := cString(b)
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	j := i
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		j++
	}
	body := s[j:]
	lower := bytes.ToLower(body)
	switch {
	case bytes.HasPrefix(lower, []byte("inf")):
		if len(lower) != 3 && string(lower) != "infinity" {
			return 0, false
		}
		if s[i] == '-' {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	case bytes.HasPrefix(lower, []byte("nan")):
		return 0, false
	}
	hex := len(lower) > 2 && lower[0] == '0' && lower[1] == 'x' &&
		(isHexDigit(lower[2]) || (lower[2] == '.' && len(lower) > 3 && isHexDigit(lower[3])))
	digit := isDigit
	if hex {
		body = body[2:]
		digit = isHexDigit
	}
	// mantissa: digits, optionally a point and more digits
	k, digits := 0, 0
	for k < len(body) && digit(body[k]) {
		k, digits = k+1, digits+1
	}
	if k < len(body) && body[k] == '.' {
		k++
		for k < len(body) && digit(body[k]) {
			k, digits = k+1, digits+1
		}
	}
	if digits == 0 {
		// No number at all: strtod consumes nothing, and only an empty
		// string then ends where it started.
		return 0, len(s) == 0
	}
	mantissa := body[:k]
	exp := []byte(nil)
	if k < len(body) && (body[k]|0x20 == 'e' && !hex || body[k]|0x20 == 'p' && hex) {
		e := k + 1
		if e < len(body) && (body[e] == '+' || body[e] == '-') {
			e++
		}
		if e < len(body) && isDigit(body[e]) {
			for e < len(body) && isDigit(body[e]) {
				e++
			}
			exp = body[k+1 : e]
			k = e
		}
	}
	if k != len(body) {
		return 0, false
	}
	text := string(s[i:j]) + string(mantissa)
	if hex {
		text = string(s[i:j]) + "0x" + string(mantissa) + "p"
		if exp == nil {
			text += "0"
		}
	} else if exp != nil {
		text += "e"
	}
	text += string(exp)
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, false // overflow: ERANGE
	}
	if math.Abs(f) < 0x1p-1022 && !exactDouble(text, f) {
		return 0, false // underflow: ERANGE
	}
	return f, true
}

// exactDouble reports whether f is exactly the number text spells (zero
// being exact only for a number that is zero).
func exactDouble(text string, f float64) bool {
	x, _, err := big.ParseFloat(text, 0, 4096, big.ToNearestEven)
	if err != nil {
		return false
	}
	return x.Cmp(new(big.Float).SetFloat64(f)) == 0
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHexDigit(c byte) bool {
	return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f')
}

// pqsort is Redis's pqsort.c (Bentley & McIlroy's quicksort that only
// recurses into partitions overlapping [lrange, rrange]), ported exactly:
// SORT BY ... LIMIT and a geo search with COUNT order ties as Redis does
// only if the same comparisons and swaps happen in the same order.
func pqsort[T any](a []T, cmp func(x, y T) int, lrange, rrange int) {
	pqsortRange(a, 0, len(a), cmp, lrange, rrange)
}

func pqsortRange[T any](v []T, a, n int, cmp func(x, y T) int, lrange, rrange int) {
	c := func(i, j int) int { return cmp(v[i], v[j]) }
	swap := func(i, j int) { v[i], v[j] = v[j], v[i] }
	vecswap := func(i, j, k int) {
		for ; k > 0; k-- {
			swap(i, j)
			i, j = i+1, j+1
		}
	}
	med3 := func(x, y, z int) int {
		if c(x, y) < 0 {
			if c(y, z) < 0 {
				return y
			}
			if c(x, z) < 0 {
				return z
			}
			return x
		}
		if c(y, z) > 0 {
			return y
		}
		if c(x, z) < 0 {
			return x
		}
		return z
	}
	// outside reports whether [lrange, rrange] misses [lo, lo+k).
	outside := func(lo, k int) bool {
		return (lrange < lo && rrange < lo) || (lrange >= lo+k && rrange >= lo+k)
	}
	for {
		if n < 7 {
			for pm := a + 1; pm < a+n; pm++ {
				for pl := pm; pl > a && c(pl-1, pl) > 0; pl-- {
					swap(pl, pl-1)
				}
			}
			return
		}
		pm := a + n/2
		if n > 7 {
			pl, pn := a, a+n-1
			if n > 40 {
				d := n / 8
				pl = med3(pl, pl+d, pl+2*d)
				pm = med3(pm-d, pm, pm+d)
				pn = med3(pn-2*d, pn-d, pn)
			}
			pm = med3(pl, pm, pn)
		}
		swap(a, pm)
		pa, pb := a+1, a+1
		pc, pd := a+n-1, a+n-1
		for {
			for pb <= pc {
				r := c(pb, a)
				if r > 0 {
					break
				}
				if r == 0 {
					swap(pa, pb)
					pa++
				}
				pb++
			}
			for pb <= pc {
				r := c(pc, a)
				if r < 0 {
					break
				}
				if r == 0 {
					swap(pc, pd)
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			swap(pb, pc)
			pb++
			pc--
		}
		pn := a + n
		r := min(pa-a, pb-pa)
		vecswap(a, pb-r, r)
		r = min(pd-pc, pn-pd-1)
		vecswap(pb, pn-r, r)
		if r = pb - pa; r > 1 && !outside(a, r) {
			pqsortRange(v, a, r, cmp, lrange, rrange)
		}
		if r = pd - pc; r > 1 {
			a, n = pn-r, r
			if !outside(a, r) {
				continue
			}
		}
		return
	}
}
