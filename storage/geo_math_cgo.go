//go:build cgo && linux

package storage

// #cgo LDFLAGS: -lm
// #include <math.h>
import "C"

// The trigonometry of distances comes from the C library's libm, the one
// redis-server calls, so distances agree with Redis's to the last bit
// (Go's math package differs from glibc's in the last bit for a large
// share of arguments, which STOREDIST's full-precision scores would show).

func geoSin(x float64) float64  { return float64(C.sin(C.double(x))) }
func geoCos(x float64) float64  { return float64(C.cos(C.double(x))) }
func geoAsin(x float64) float64 { return float64(C.asin(C.double(x))) }
