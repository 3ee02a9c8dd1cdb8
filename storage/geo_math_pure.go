//go:build !cgo || !linux

package storage

import "math"

// Without cgo, distances use Go's math package, whose Sin, Cos and Asin
// can differ from glibc's (which redis-server uses) in the last bit: a
// STOREDIST score then differs in its last digits, and a distance printed
// with four decimals in its last digit about once in a million.

func geoSin(x float64) float64  { return math.Sin(x) }
func geoCos(x float64) float64  { return math.Cos(x) }
func geoAsin(x float64) float64 { return math.Asin(x) }
