package storage

import (
	"math"
	"slices"

	"moonstone/codec"
)

// Geo sets.
//
// A geo set is a sorted set whose scores are 52-bit geohashes
// (codec/geohash.go): GEOADD is ZADD with the score computed from the
// coordinates, GEOPOS and GEOHASH decode scores, and ZRANGE, ZREM, TYPE
// and the rest see an ordinary sorted set. This file holds what Redis's
// geo.c and geohash_helper.c compute on top: distances and searches.
//
// A search (GEOSEARCH, GEORADIUS and their STORE forms) follows Redis step
// by step, so it finds the same members in the same order:
//   - a cell size (step) is estimated from the radius (a box's half
//     diagonal) and the latitude, one step coarser if the centre cell's
//     neighbours would not reach the bounding box of the shape;
//   - the centre cell and its eight neighbours, less those wholly outside
//     the bounding box, are each one score range of the set, walked in the
//     order centre, N, S, E, W, NE, NW, SE, SW (a neighbour equal to the
//     one walked just before it is skipped: at the coarsest step east and
//     west are one cell);
//   - each member found is decoded and kept if inside the shape: within
//     the radius by the haversine distance, or within the box by latitude
//     distance and by distance along its own parallel;
//   - the matches are sorted by distance (stably when all are returned, by
//     Redis's partial quicksort when COUNT keeps fewer: geo_sort.go), or
//     left in walk order when no order is asked for. With ANY the walk
//     stops as soon as COUNT members matched.
//
// Cost: the members of up to nine score ranges, each one seek and a walk;
// for the usual radius the nine cells hold a few times the matches.
//
// Distances use the C library's sin, cos and asin when built with cgo on
// Linux, as redis-server does, so they agree to the last bit
// (geo_math_cgo.go); otherwise Go's (geo_math_pure.go).

// The Earth as Redis models it.
const (
	earthRadius = 6372797.560856 // metres, WGS-84's quadratic mean radius
	mercatorMax = 20037726.37    // half the Web Mercator square's width, metres
)

// degToRad is C's M_PI / 180.0: pi rounded to a double, then divided at
// run time, so that it rounds as Redis's constant does.
var degToRad = func() float64 {
	pi := math.Pi
	return pi / 180
}()

func radians(deg float64) float64 { return deg * degToRad }
func degrees(rad float64) float64 { return rad / degToRad }

// GeoDistance is the haversine distance in metres between two positions
// in degrees, as Redis's geohashGetDistance: along the meridian when the
// longitudes are (nearly) the same.
func GeoDistance(lon1, lat1, lon2, lat2 float64) float64 {
	lon1r, lon2r := radians(lon1), radians(lon2)
	v := geoSin((lon2r - lon1r) / 2)
	if v == 0 {
		return latDistance(lat1, lat2)
	}
	lat1r, lat2r := radians(lat1), radians(lat2)
	u := geoSin((lat2r - lat1r) / 2)
	// float64() rounds each product on its own: no fused multiply-add.
	a := float64(u*u) + float64(geoCos(lat1r)*geoCos(lat2r)*v*v)
	return 2 * earthRadius * geoAsin(math.Sqrt(a))
}

// latDistance is the distance in metres between two latitudes along a
// meridian.
func latDistance(lat1, lat2 float64) float64 {
	return earthRadius * math.Abs(radians(lat2)-radians(lat1))
}

// GeoShape is a search area centred on Lon, Lat: a circle of Radius, or a
// Width x Height box when Box is set, in units of Unit metres.
type GeoShape struct {
	Lon, Lat      float64
	Box           bool
	Radius        float64
	Width, Height float64
	Unit          float64
}

// GeoPoint is a member a search found.
type GeoPoint struct {
	Member   []byte
	Score    float64 // the geohash score
	Lon, Lat float64 // the decoded position
	Dist     float64 // metres from the shape's centre
}

// GeoOrder is the order of a search's result.
type GeoOrder int

// Orders: the walk's order, or by distance.
const (
	GeoUnsorted GeoOrder = iota
	GeoAsc
	GeoDesc
)

// GeoQuery is a search: the members inside Shape, in Order, at most Count
// of them (0: all). With Order set and a Count, those are the Count
// nearest (or farthest); with Any, the walk stops at the first Count
// matches, which are then ordered.
type GeoQuery struct {
	Shape GeoShape
	Order GeoOrder
	Count int64
	Any   bool
}

// GeoSearch returns the members of the sorted set at key that q selects,
// in reply order. An absent key selects nothing.
func (tx *Tx) GeoSearch(db int, key []byte, q GeoQuery) ([]GeoPoint, error) {
	m, err := tx.typed(db, key, codec.TypeZSet)
	if err != nil || m == nil {
		return nil, err
	}
	return tx.geoSearch(m, q)
}

// GeoSearchStore stores what q selects from src into dst as a sorted set,
// scored by geohash, or by distance in the shape's unit when storeDist is
// set, replacing whatever dst holds; an empty result (or an absent src)
// deletes dst. It returns the number stored.
func (tx *Tx) GeoSearchStore(db int, dst, src []byte, q GeoQuery, storeDist bool) (int64, error) {
	m, err := tx.typed(db, src, codec.TypeZSet)
	if err != nil {
		return 0, err
	}
	var points []GeoPoint
	if m != nil {
		if points, err = tx.geoSearch(m, q); err != nil {
			return 0, err
		}
	}
	members := make([]ZMember, len(points))
	for i, p := range points {
		members[i] = ZMember{Member: p.Member, Score: p.Score}
		if storeDist {
			members[i].Score = p.Dist / q.Shape.Unit
		}
	}
	return tx.zstore(db, dst, members)
}

// GeoDist is the distance in metres between two members' positions; ok is
// false when the key or either member is absent.
func (tx *Tx) GeoDist(db int, key, member1, member2 []byte) (dist float64, ok bool, err error) {
	scores, found, err := tx.ZMScore(db, key, [][]byte{member1, member2})
	if err != nil || !found[0] || !found[1] {
		return 0, false, err
	}
	lon1, lat1 := codec.GeoDecodeScore(scores[0])
	lon2, lat2 := codec.GeoDecodeScore(scores[1])
	return GeoDistance(lon1, lat1, lon2, lat2), true, nil
}

// geoSearch runs q over a live sorted set.
func (tx *Tx) geoSearch(m *Meta, q GeoQuery) ([]GeoPoint, error) {
	limit := int64(0)
	if q.Any {
		limit = q.Count
	}
	var found []GeoPoint
	cells := q.Shape.searchCells()
	last := 0 // Redis compares with the last cell walked, unless that was the centre
	for i, cell := range cells {
		if cell.IsZero() || (last != 0 && cell == cells[last]) {
			continue
		}
		if limit > 0 && int64(len(found)) >= limit {
			break
		}
		if err := tx.geoCellMembers(m, cell, &q.Shape, limit, &found); err != nil {
			return nil, err
		}
		last = i
	}
	n := int64(len(found))
	keep := n
	if q.Count > 0 && q.Count < n {
		keep = q.Count
	}
	if q.Order != GeoUnsorted {
		cmp := geoNearer
		if q.Order == GeoDesc {
			cmp = geoFarther
		}
		if keep == n {
			slices.SortStableFunc(found, cmp)
		} else {
			pqsort(found, cmp, 0, int(keep)-1)
		}
	}
	return found[:keep], nil
}

// geoCellMembers appends the members of cell that are inside shape to
// found, stopping once found holds limit (when limit > 0).
func (tx *Tx) geoCellMembers(m *Meta, cell codec.GeoCell, shape *GeoShape, limit int64, found *[]GeoPoint) error {
	min, max := cell.ScoreRange()
	lo, hi := scoreSpan(m, ScoreRange{Min: min, Max: max, MaxEx: true})
	err := tx.walkSpan(m, lo, hi, false, 0, -1, func(k []byte) error {
		score, member := codec.ParseZScoreKey(k)
		if p, ok := shape.contains(score); ok {
			p.Member = append([]byte(nil), member...)
			*found = append(*found, p)
		}
		if limit > 0 && int64(len(*found)) >= limit {
			return errStopWalk
		}
		return nil
	})
	if err == errStopWalk {
		err = nil
	}
	return err
}

// contains decodes score and reports whether its position is inside s,
// as Redis's geoWithinShape.
func (s *GeoShape) contains(score float64) (GeoPoint, bool) {
	p := GeoPoint{Score: score}
	p.Lon, p.Lat = codec.GeoDecodeScore(score)
	if !s.Box {
		p.Dist = GeoDistance(s.Lon, s.Lat, p.Lon, p.Lat)
		return p, p.Dist <= s.Radius*s.Unit
	}
	width, height := s.Width*s.Unit, s.Height*s.Unit
	if latDistance(p.Lat, s.Lat) > height/2 {
		return p, false
	}
	if GeoDistance(p.Lon, p.Lat, s.Lon, p.Lat) > width/2 {
		return p, false
	}
	p.Dist = GeoDistance(s.Lon, s.Lat, p.Lon, p.Lat)
	return p, true
}

// geoBounds is the rectangle in degrees that a shape's search must cover.
type geoBounds struct{ minLon, minLat, maxLon, maxLat float64 }

// bounds is Redis's geohashBoundingBox: the shape's half height and half
// width turned into degrees, the longitude span taken at the edge nearer
// the pole (where a degree of longitude is shortest).
func (s *GeoShape) bounds() geoBounds {
	halfHeight, halfWidth := s.Unit*s.Radius, s.Unit*s.Radius
	if s.Box {
		halfHeight, halfWidth = s.Unit*(s.Height/2), s.Unit*(s.Width/2)
	}
	latDelta := degrees(halfHeight / earthRadius)
	lonDeltaTop := degrees(halfWidth / earthRadius / geoCos(radians(s.Lat+latDelta)))
	lonDeltaBottom := degrees(halfWidth / earthRadius / geoCos(radians(s.Lat-latDelta)))
	lonDelta := lonDeltaTop
	if s.Lat < 0 {
		lonDelta = lonDeltaBottom
	}
	return geoBounds{
		minLon: s.Lon - lonDelta, maxLon: s.Lon + lonDelta,
		minLat: s.Lat - latDelta, maxLat: s.Lat + latDelta,
	}
}

// searchCells is Redis's geohashCalculateAreasByShapeWGS84: the centre
// cell and its neighbours in walk order (centre, N, S, E, W, NE, NW, SE,
// SW), neighbours not needed left zero.
func (s *GeoShape) searchCells() [9]codec.GeoCell {
	b := s.bounds()
	radius := s.Radius
	if s.Box {
		radius = math.Sqrt(float64((s.Width/2)*(s.Width/2)) + float64((s.Height/2)*(s.Height/2)))
	}
	radius *= s.Unit
	step := estimateStep(radius, s.Lat)
	centre, _ := codec.GeoEncode(s.Lon, s.Lat, step)
	nb := centre.Neighbours()
	// Near a cell's edge the estimated step can leave part of the box
	// beyond the neighbours: then cells twice as large are used.
	if step > 1 && (nb.North.Area().LatMax < b.maxLat || nb.South.Area().LatMin > b.minLat ||
		nb.East.Area().LonMax < b.maxLon || nb.West.Area().LonMin > b.minLon) {
		step--
		centre, _ = codec.GeoEncode(s.Lon, s.Lat, step)
		nb = centre.Neighbours()
	}
	// Neighbours on a side the bounding box does not reach are dropped.
	if step >= 2 {
		area := centre.Area()
		var zero codec.GeoCell
		if area.LatMin < b.minLat {
			nb.South, nb.SouthWest, nb.SouthEast = zero, zero, zero
		}
		if area.LatMax > b.maxLat {
			nb.North, nb.NorthEast, nb.NorthWest = zero, zero, zero
		}
		if area.LonMin < b.minLon {
			nb.West, nb.SouthWest, nb.NorthWest = zero, zero, zero
		}
		if area.LonMax > b.maxLon {
			nb.East, nb.SouthEast, nb.NorthEast = zero, zero, zero
		}
	}
	return [9]codec.GeoCell{centre, nb.North, nb.South, nb.East, nb.West,
		nb.NorthEast, nb.NorthWest, nb.SouthEast, nb.SouthWest}
}

// estimateStep is Redis's geohashEstimateStepsByRadius: the step whose
// cells are about the size of the radius (in metres), coarser near the
// poles, within 1..26.
func estimateStep(radius, lat float64) uint8 {
	if radius == 0 {
		return codec.GeoStepMax
	}
	step := 1
	for radius < mercatorMax {
		radius *= 2
		step++
	}
	step -= 2 // so the radius fits in the base cases
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), codec.GeoStepMax))
}
