package codec

import (
	"encoding/binary"
	"math"
)

// AppendInt64 appends v so that byte order equals numeric order: the sign
// bit is flipped, so negative numbers sort before positive ones.
func AppendInt64(b []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(v)^(1<<63))
}

// DecodeInt64 reverses AppendInt64.
func DecodeInt64(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)) }

// AppendFloat64 appends f so that byte order equals numeric order: positive
// numbers get their sign bit set, negative numbers have every bit inverted
// (so larger magnitudes sort first). -0 is stored as +0 because Redis treats
// them as the same score.
func AppendFloat64(b []byte, f float64) []byte {
	if f == 0 {
		f = 0
	}
	u := math.Float64bits(f)
	if u&(1<<63) != 0 {
		u = ^u
	} else {
		u |= 1 << 63
	}
	return binary.BigEndian.AppendUint64(b, u)
}

// DecodeFloat64 reverses AppendFloat64.
func DecodeFloat64(b []byte) float64 {
	u := binary.BigEndian.Uint64(b)
	if u&(1<<63) != 0 {
		u &^= 1 << 63
	} else {
		u = ^u
	}
	return math.Float64frombits(u)
}
