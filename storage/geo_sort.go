package storage

// Ordering a search's matches by distance the way Redis does, so members
// at equal distances (the same position, or mirror images about the
// centre) come out in Redis's order too.
//
// Redis sorts the whole result with the C library's qsort, which in glibc
// is a stable merge sort: a stable sort here. When COUNT keeps fewer than
// it found, it sorts only as far as the kept prefix needs with pqsort, a
// Bentley-McIlroy quicksort that is not stable, so the search uses the
// exact port SORT uses too (pqsort in sort.go), which makes its very
// comparisons and swaps.

// geoNearer and geoFarther compare by distance, as Redis's sort_gp_asc and
// sort_gp_desc: -1, 0 or 1.
func geoNearer(a, b GeoPoint) int {
	switch {
	case a.Dist > b.Dist:
		return 1
	case a.Dist == b.Dist:
		return 0
	}
	return -1
}

func geoFarther(a, b GeoPoint) int { return -geoNearer(a, b) }
