package storage

import "sort"

// Ordering a search's matches by distance the way Redis does, so members
// at equal distances (the same position, or mirror images about the
// centre) come out in Redis's order too.
//
// Redis sorts the whole result with the C library's qsort, which in glibc
// is a stable merge sort: stableSort. When COUNT keeps fewer than it
// found, it sorts only as far as the kept prefix needs with pqsort, a
// Bentley-McIlroy quicksort (median of three, or of nine past 40
// elements; elements equal to the pivot gathered at both ends and swapped
// into the middle; insertion sort below 7) that skips the partitions lying
// wholly outside the wanted range. It is not stable, so partialSort makes
// exactly its comparisons and swaps.

// geoNearer and geoFarther compare by distance, as Redis's sort_gp_asc and
// sort_gp_desc: -1, 0 or 1.
func geoNearer(a, b *GeoPoint) int {
	switch {
	case a.Dist > b.Dist:
		return 1
	case a.Dist == b.Dist:
		return 0
	}
	return -1
}

func geoFarther(a, b *GeoPoint) int { return -geoNearer(a, b) }

// stableSort sorts p by cmp, keeping the order of equal elements.
func stableSort(p []GeoPoint, cmp func(a, b *GeoPoint) int) {
	sort.SliceStable(p, func(i, j int) bool { return cmp(&p[i], &p[j]) < 0 })
}

// partialSort puts p[lo..hi] (inclusive) in their sorted places, as
// Redis's pqsort(p, len(p), ..., lo, hi).
func partialSort(p []GeoPoint, cmp func(a, b *GeoPoint) int, lo, hi int) {
	s := pqsorter{p: p, cmp: cmp, lo: lo, hi: hi}
	s.sort(0, len(p))
}

type pqsorter struct {
	p      []GeoPoint
	cmp    func(a, b *GeoPoint) int
	lo, hi int // the wanted range
}

func (s *pqsorter) less(i, j int) int { return s.cmp(&s.p[i], &s.p[j]) }
func (s *pqsorter) swap(i, j int)     { s.p[i], s.p[j] = s.p[j], s.p[i] }

// swapRun swaps the n elements from i with the n elements from j, pairwise
// in order.
func (s *pqsorter) swapRun(i, j, n int) {
	for k := 0; k < n; k++ {
		s.swap(i+k, j+k)
	}
}

// med3 returns the index of the median of three, with pqsort's tie rules.
func (s *pqsorter) med3(a, b, c int) int {
	if s.less(a, b) < 0 {
		switch {
		case s.less(b, c) < 0:
			return b
		case s.less(a, c) < 0:
			return c
		}
		return a
	}
	switch {
	case s.less(b, c) > 0:
		return b
	case s.less(a, c) < 0:
		return a
	}
	return c
}

// wanted reports whether the n elements from a meet the wanted range.
func (s *pqsorter) wanted(a, n int) bool {
	first, last := a, a+n-1
	return !((s.lo < first && s.hi < first) || (s.lo > last && s.hi > last))
}

// sort sorts the n elements from a (the larger partitions iteratively,
// as pqsort does).
func (s *pqsorter) sort(a, n int) {
	for {
		if n < 7 {
			for m := a + 1; m < a+n; m++ {
				for l := m; l > a && s.less(l-1, l) > 0; l-- {
					s.swap(l, l-1)
				}
			}
			return
		}
		m := a + n/2
		if n > 7 {
			l, r := a, a+n-1
			if n > 40 {
				d := n / 8
				l = s.med3(l, l+d, l+2*d)
				m = s.med3(m-d, m, m+d)
				r = s.med3(r-2*d, r-d, r)
			}
			m = s.med3(l, m, r)
		}
		s.swap(a, m)
		// Partition around the pivot at a: [a+1, pa) equal, [pa, pb)
		// less, (pc, pd] greater, (pd, end) equal.
		pa, pb := a+1, a+1
		pc, pd := a+n-1, a+n-1
		for {
			for pb <= pc {
				c := s.less(pb, a)
				if c > 0 {
					break
				}
				if c == 0 {
					s.swap(pa, pb)
					pa++
				}
				pb++
			}
			for pb <= pc {
				c := s.less(pc, a)
				if c < 0 {
					break
				}
				if c == 0 {
					s.swap(pc, pd)
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			s.swap(pb, pc)
			pb++
			pc--
		}
		end := a + n
		r := min(pa-a, pb-pa)
		s.swapRun(a, pb-r, r)
		r = min(pd-pc, end-pd-1)
		s.swapRun(pb, end-r, r)
		if r := pb - pa; r > 1 && s.wanted(a, r) {
			s.sort(a, r)
		}
		r = pd - pc
		if r <= 1 {
			return
		}
		a, n = end-r, r
		if !s.wanted(a, n) {
			return
		}
	}
}
