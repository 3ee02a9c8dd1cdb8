package storage

import "testing"

func BenchmarkGeoDistance(b *testing.B) {
	var s float64
	for i := 0; i < b.N; i++ {
		s += GeoDistance(13.361389, 38.115556, 15.087269+float64(i&7)*1e-3, 37.502669)
	}
	_ = s
}
