package codec_test

import (
	"math"
	"testing"

	"moonstone/codec"
)

// The expected values are redis-server 7.0.15's: GEOADD's scores, GEOPOS's
// and GEOHASH's replies for the same points.
func TestGeohashIsRedis(t *testing.T) {
	for _, c := range []struct {
		lon, lat       float64
		score          float64
		posLon, posLat string
		hash           string
	}{
		{13.361389, 38.115556, 3479099956230698, "13.36138933897018433", "38.11555639549629859", "sqc8b49rny0"},
		{15.087269, 37.502669, 3479447370796909, "15.08726745843887329", "37.50266842333162032", "sqdtr74hyu0"},
		{0, 0, 3377699720527872, "0.00000268220901489", "0.00000126736058093", "s0000000000"},
		{-180, -85.05112878, 0, "-179.99999731779098511", "-85.05112751263942528", "00bh0hbj200"},
		// The upper corner gets index 2^26 on both axes: bits 52 and 53.
		{180, 85.05112878, 13510798882111488, "180", "85.0511287799999991", "bp05b5048p0"},
	} {
		score := codec.GeoScore(c.lon, c.lat)
		if score != c.score {
			t.Errorf("GeoScore(%v, %v) = %.0f, want %.0f", c.lon, c.lat, score, c.score)
		}
		lon, lat := codec.GeoDecodeScore(score)
		if got, got2 := codec.FormatHumanDouble(lon), codec.FormatHumanDouble(lat); got != c.posLon || got2 != c.posLat {
			t.Errorf("position of %.0f = %s %s, want %s %s", score, got, got2, c.posLon, c.posLat)
		}
		if got := codec.GeohashString(lon, lat); got != c.hash {
			t.Errorf("GeohashString of %.0f = %s, want %s", score, got, c.hash)
		}
	}
}

// Scores that are not geohashes decode as Redis's (uint64_t) cast does on
// x86-64.
func TestGeoScoreBitsIsCCast(t *testing.T) {
	for _, c := range []struct {
		score float64
		want  uint64
	}{
		{0, 0}, {1.5, 1}, {-1, math.MaxUint64}, {-1.5, math.MaxUint64},
		{1e19, 10000000000000000000}, {2e19, 0}, {math.Inf(1), 0},
		{math.Inf(-1), 1 << 63}, {-1e300, 1 << 63}, {1e300, 0},
		{9223372036854775808, 1 << 63},
	} {
		if got := codec.GeoScoreBits(c.score); got != c.want {
			t.Errorf("GeoScoreBits(%v) = %#x, want %#x", c.score, got, c.want)
		}
	}
}

func TestGeoNeighboursWrap(t *testing.T) {
	c, ok := codec.GeoEncode(0, 0, 2)
	if !ok {
		t.Fatal("encode failed")
	}
	n := c.Neighbours()
	// Step 2 has 4x4 cells; (0, 0) is column 2, row 2.
	a := c.Area()
	if a.LonMin != 0 || a.LonMax != 90 {
		t.Fatalf("centre cell %+v", a)
	}
	if e := n.East.Area(); e.LonMin != 90 || e.LatMin != a.LatMin {
		t.Errorf("east %+v", e)
	}
	if w := n.West.Area(); w.LonMin != -90 {
		t.Errorf("west %+v", w)
	}
	ne := n.NorthEast
	for i := 0; i < 3; i++ {
		ne = ne.Neighbours().NorthEast
	}
	if ne != c {
		t.Errorf("four steps north-east should wrap around to the start: %+v", ne)
	}
	if lo, hi := c.ScoreRange(); hi-lo != 1<<48 {
		t.Errorf("a step-2 cell spans 2^48 scores, got %v..%v", lo, hi)
	}
}

func TestFormatFixed4IsFixedpointD2string(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		{0, "0.0000"}, {math.Copysign(0, -1), "0.0000"}, {0.0001, "0.0001"}, {6.0642951598391699e-05, "0.0001"},
		{0.01, "0.0100"}, {-0.01, "-0.0100"}, {10.01, "10.0100"}, {166274.15156960033, "166274.1516"},
		{0.00004, "0.0000"}, {-0.00004, "0.0000"}, {0.00005, "0.0000"}, {0.00015, "0.0001"}, {0.00025, "0.0002"}, {0.00035, "0.0004"}, // llrint of the product
		{12345678.9, "12345678.9000"},
	} {
		if got := codec.FormatFixed4(c.in); got != c.want {
			t.Errorf("FormatFixed4(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestFormatCFloat(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		{200, "200.000000"}, {-0.5, "-0.500000"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"},
		{1e20, "100000000000000000000.000000"}, {1e-7, "0.000000"},
	} {
		if got := codec.FormatCFloat(c.in); got != c.want {
			t.Errorf("FormatCFloat(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}
