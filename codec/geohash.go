package codec

import "math"

// Geohashes: how a geo set stores a position in a sorted-set score.
//
// A geo set is a sorted set whose scores are 52-bit geohashes, exactly as in
// Redis, so GEOADD's members are ordinary sorted-set members and a set filled
// by ZADD can be read by GEOPOS. The world is the Web Mercator square:
// longitude -180..180, latitude -85.05112878..85.05112878 (no geohash
// reaches the poles). A cell of step s (1..26) cuts each range into 2^s
// parts; its hash interleaves the latitude index in the even bits with the
// longitude index in the odd bits, so a prefix of the hash is an enclosing
// cell, and the 2*s-bit hash shifted left to 52 bits is the lowest score in
// that cell: every position in a cell of step s is a score range
// [align(h), align(h+1)).
//
// Decoding gives the centre of the step-26 cell, about 0.6 m across at the
// equator, which is what GEOPOS replies. A score that is not a 52-bit
// integer (a ZADD of -1, of 1.5, of inf) decodes as Redis's C cast to
// uint64_t does on x86-64 (GeoScoreBits), so such a member reports the same
// odd position Redis reports.

// The limits of the geohash square (EPSG:900913).
const (
	GeoLonMin = -180.0
	GeoLonMax = 180.0
	GeoLatMin = -85.05112878
	GeoLatMax = 85.05112878
	// GeoStepMax is the precision of a stored position: 26 bits per
	// coordinate, 52 in all, which a float64 score holds exactly.
	GeoStepMax = 26
)

// GeoCell is a geohash cell: Step bits of each coordinate, interleaved in
// the low 2*Step bits of Bits. The zero cell (Step 0) stands for no cell.
type GeoCell struct {
	Bits uint64
	Step uint8
}

// IsZero reports whether c is the zero cell.
func (c GeoCell) IsZero() bool { return c.Bits == 0 && c.Step == 0 }

// GeoArea is the rectangle a cell covers, in degrees.
type GeoArea struct {
	LonMin, LonMax float64
	LatMin, LatMax float64
}

// geoRange is one coordinate's span for encoding: the Web Mercator square
// for stored positions, or the standard -90..90 for GEOHASH's strings.
type geoRange struct{ min, max float64 }

var (
	geoLonRange    = geoRange{GeoLonMin, GeoLonMax}
	geoLatRange    = geoRange{GeoLatMin, GeoLatMax}
	geoStdLatRange = geoRange{-90, 90}
)

// GeoEncode returns the step-s cell holding lon, lat, or false when the
// point is outside the geohash square or step is not in 1..32.
func GeoEncode(lon, lat float64, step uint8) (GeoCell, bool) {
	return geoEncode(geoLonRange, geoLatRange, lon, lat, step)
}

func geoEncode(lonR, latR geoRange, lon, lat float64, step uint8) (GeoCell, bool) {
	if step == 0 || step > 32 {
		return GeoCell{}, false
	}
	// Redis checks the square's limits first, then the range's.
	if lon > GeoLonMax || lon < GeoLonMin || lat > GeoLatMax || lat < GeoLatMin {
		return GeoCell{}, false
	}
	if lat < latR.min || lat > latR.max || lon < lonR.min || lon > lonR.max {
		return GeoCell{}, false
	}
	latOff := (lat - latR.min) / (latR.max - latR.min)
	lonOff := (lon - lonR.min) / (lonR.max - lonR.min)
	scale := float64(uint64(1) << step)
	// The indexes are truncated to 32 bits, as C's conversion of the
	// scaled offsets does: a point on the upper edge gets index 2^step,
	// one past the last cell, as in Redis.
	return GeoCell{Bits: interleave(uint32(latOff*scale), uint32(lonOff*scale)), Step: step}, true
}

// Area decodes c into the rectangle it covers. Every bit of Bits counts,
// also above 2*Step (scores that are not geohashes decode to areas off the
// square, which GeoCentre clamps).
func (c GeoCell) Area() GeoArea {
	return c.area(geoLonRange, geoLatRange)
}

func (c GeoCell) area(lonR, latR geoRange) GeoArea {
	latIdx, lonIdx := deinterleave(c.Bits)
	cells := float64(uint64(1) << c.Step)
	latScale := latR.max - latR.min
	lonScale := lonR.max - lonR.min
	// idx+1 is 32-bit arithmetic, wrapping to 0 as C's unsigned int does.
	// The float64 conversions keep each product rounded on its own (no
	// fused multiply-add), as the C code computes it.
	return GeoArea{
		LatMin: latR.min + float64(float64(latIdx)/cells*latScale),
		LatMax: latR.min + float64(float64(latIdx+1)/cells*latScale),
		LonMin: lonR.min + float64(float64(lonIdx)/cells*lonScale),
		LonMax: lonR.min + float64(float64(lonIdx+1)/cells*lonScale),
	}
}

// Centre is the middle of the area, clamped to the geohash square.
func (a GeoArea) Centre() (lon, lat float64) {
	lon = (a.LonMin + a.LonMax) / 2
	lon = min(max(lon, GeoLonMin), GeoLonMax)
	lat = (a.LatMin + a.LatMax) / 2
	lat = min(max(lat, GeoLatMin), GeoLatMax)
	return lon, lat
}

// Aligned is c's lowest score: its bits shifted up to 52.
func (c GeoCell) Aligned() uint64 { return c.Bits << (52 - 2*uint(c.Step)) }

// ScoreRange is the scores of the positions inside c: min inclusive, max
// exclusive.
func (c GeoCell) ScoreRange() (min, max float64) {
	next := GeoCell{Bits: c.Bits + 1, Step: c.Step}
	return float64(c.Aligned()), float64(next.Aligned())
}

// GeoScore is the score GEOADD stores for a point inside the square.
func GeoScore(lon, lat float64) float64 {
	c, _ := GeoEncode(lon, lat, GeoStepMax)
	return float64(c.Aligned())
}

// GeoScoreBits converts a score to a step-26 hash as Redis's
// (uint64_t)score does when compiled for x86-64: a score below 2^63 is
// truncated to a signed 64-bit integer and its bits taken (so -1 is all
// ones); one at or above 2^63 has 2^63 taken off first and the top bit put
// back. cvttsd2si's out-of-range answer, 0x8000000000000000, covers what is
// left: scores below -2^63, -inf, and (after the XOR with the top bit, 0)
// scores from 2^64 up and +inf.
func GeoScoreBits(score float64) uint64 {
	const two63 = 9223372036854775808.0
	if !(score >= two63) { // NaN too, as comisd's unordered result

		return uint64(cvttsd2si(score))
	}
	return uint64(cvttsd2si(score-two63)) ^ (1 << 63)
}

// cvttsd2si is x86-64's truncating conversion to int64, with its "integer
// indefinite" result for NaN and out-of-range values.
func cvttsd2si(f float64) int64 {
	if math.IsNaN(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(f)
}

// GeoDecodeScore returns the position a score stands for: the centre of
// its step-26 cell, clamped to the square.
func GeoDecodeScore(score float64) (lon, lat float64) {
	return GeoCell{Bits: GeoScoreBits(score), Step: GeoStepMax}.Area().Centre()
}

// geohashAlphabet is the standard geohash base32 alphabet.
const geohashAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// GeohashString is GEOHASH's reply for a stored position: the standard
// 11-character geohash, whose latitude range is -90..90 rather than the
// square's, so the position is re-encoded. It has 52 bits of precision;
// the eleventh character is always '0'.
func GeohashString(lon, lat float64) string {
	c, _ := geoEncode(geoLonRange, geoStdLatRange, lon, lat, GeoStepMax)
	var buf [11]byte
	for i := 0; i < 10; i++ {
		buf[i] = geohashAlphabet[(c.Bits>>(52-(i+1)*5))&0x1f]
	}
	buf[10] = geohashAlphabet[0]
	return string(buf[:])
}

// Neighbours are the eight cells around one, of the same step.
type Neighbours struct {
	North, South, East, West                   GeoCell
	NorthEast, NorthWest, SouthEast, SouthWest GeoCell
}

// Neighbours returns the cells around c. Indexes wrap around at the edges
// of the square, east of the last column to the first and north of the top
// row to the bottom, as in Redis.
func (c GeoCell) Neighbours() Neighbours {
	return Neighbours{
		North:     c.move(0, 1),
		South:     c.move(0, -1),
		East:      c.move(1, 0),
		West:      c.move(-1, 0),
		NorthEast: c.move(1, 1),
		NorthWest: c.move(-1, 1),
		SouthEast: c.move(1, -1),
		SouthWest: c.move(-1, -1),
	}
}

// Bit masks of the interleaved coordinates: longitude in the odd bits,
// latitude in the even bits.
const (
	lonBits = 0xaaaaaaaaaaaaaaaa
	latBits = 0x5555555555555555
)

// move steps c by dx columns and dy rows (each -1, 0 or 1), modulo the
// number of cells: the coordinate's bits are added to with the other
// coordinate's bits filled with ones, so the carry runs through them.
func (c GeoCell) move(dx, dy int) GeoCell {
	shift := 64 - 2*uint(c.Step)
	c.Bits = moveBits(c.Bits, dx, lonBits, latBits>>shift, lonBits>>shift)
	c.Bits = moveBits(c.Bits, dy, latBits, lonBits>>shift, latBits>>shift)
	return c
}

// moveBits steps the coordinate selected by mask (the other one is kept)
// by d; fill is the other coordinate's bits within the cell's width and
// keep the coordinate's own.
func moveBits(bits uint64, d int, mask, fill, keep uint64) uint64 {
	if d == 0 {
		return bits
	}
	v := bits & mask
	other := bits &^ mask
	if d > 0 {
		v += fill + 1
	} else {
		v = (v | fill) - (fill + 1)
	}
	return (v & keep) | other
}

// interleave puts lat's bits in the even positions and lon's in the odd.
func interleave(lat, lon uint32) uint64 {
	return spread(lat) | spread(lon)<<1
}

// deinterleave splits bits into the latitude index (even bits) and the
// longitude index (odd bits).
func deinterleave(bits uint64) (lat, lon uint32) {
	return squeeze(bits), squeeze(bits >> 1)
}

// spread moves bit i of v to bit 2i.
func spread(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000ffff0000ffff
	x = (x | x<<8) & 0x00ff00ff00ff00ff
	x = (x | x<<4) & 0x0f0f0f0f0f0f0f0f
	x = (x | x<<2) & 0x3333333333333333
	x = (x | x<<1) & 0x5555555555555555
	return x
}

// squeeze is spread's inverse: bit 2i of x to bit i, odd bits dropped.
func squeeze(x uint64) uint32 {
	x &= 0x5555555555555555
	x = (x | x>>1) & 0x3333333333333333
	x = (x | x>>2) & 0x0f0f0f0f0f0f0f0f
	x = (x | x>>4) & 0x00ff00ff00ff00ff
	x = (x | x>>8) & 0x0000ffff0000ffff
	x = (x | x>>16) & 0x00000000ffffffff
	return uint32(x)
}
