package scripting

// rand48 is Redis's redisLrand48 (src/rand.c): the 48-bit linear
// congruential generator of drand48, x' = (0x5DEECE66D·x + 0xB) mod 2^48,
// so math.random yields exactly Redis's sequence for a given seed.
type rand48 struct{ x uint64 }

const (
	rand48Mul  = 0x5DEECE66D
	rand48Add  = 0xB
	rand48Mask = 1<<48 - 1
	// rand48Max is REDIS_LRAND48_MAX (INT32_MAX).
	rand48Max = 1<<31 - 1
)

// seed is redisSrand48: the seed's 32 bits above the constant 0x330E.
func (r *rand48) seed(s int32) {
	r.x = uint64(uint32(s))<<16 | 0x330E
}

// next is redisLrand48: the top 31 bits of the advanced state.
func (r *rand48) next() int32 {
	r.x = (rand48Mul*r.x + rand48Add) & rand48Mask
	return int32(r.x >> 17)
}
