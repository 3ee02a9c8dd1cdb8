package server

import (
	"hash/maphash"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// The access table: a fixed array of slots, each one 64-bit word holding
// the last key hashed to it, known by 32 bits of its hash (not its name),
// with the time of its last use (Unix seconds modulo 2^24, as Redis's LRU
// clock) and its LFU counter. A use reads and swaps one word, without a
// lock, and the table takes a fixed 128 KB whatever the data set: it keeps
// exact times for the keys used most recently. It is that small to stay in
// the CPU's caches: at 512 KB the slot's cache miss cost 7-9% of the
// server's CPU under pipelined GETs of random keys, at 128 KB 2-3%. When a key takes a slot
// from another, the one it displaced is remembered only in the floor of
// its group of slots: no key of the group that is not held was used later.
// A key not found is reported idle since its group's floor (since the
// start for a group that never lost a key), which is never more than the
// truth. After a restart every key is idle since the start.
//
// A key's slot is chosen by 14 bits of its hash and the tag compares 32
// more, so another key passes for the one held about once in 4 * 10^9
// comparisons; that would only give it the other's time.

const (
	accessSlotBits  = 14 // 16,384 slots of 8 bytes
	accessGroupBits = 6  // 64 slots share a floor
	accessClockBits = 24 // the time's bits in a slot, as Redis's LRU clock
	accessClockMask = 1<<accessClockBits - 1
)

type accessTable struct {
	seed   maphash.Seed
	start  uint32        // Unix seconds when the table was made
	now    atomic.Uint32 // Unix seconds, refreshed every 100 ms (tick)
	slots  []atomic.Uint64
	floors []atomic.Uint32 // per group of slots, Unix seconds

	// Under an LFU maxmemory-policy, uses also count in Redis's
	// logarithmic counter (configure).
	lfu          atomic.Bool
	logFactor    atomic.Int64 // lfu-log-factor
	decayMinutes atomic.Int64 // lfu-decay-time
}

// A slot's word: tag (32 bits, never 0 for a held key) | time (24) |
// LFU counter (8). An empty slot is 0.
func slotWord(tag uint32, at uint32, freq uint8) uint64 {
	return uint64(tag)<<32 | uint64(at&accessClockMask)<<8 | uint64(freq)
}

func slotTag(w uint64) uint32 { return uint32(w >> 32) }

// accessEntry is what the table knows of a key: Redis's lru field.
type accessEntry struct {
	at   uint32 // Unix seconds of the last use
	freq uint8  // the LFU counter as of at, counted under an LFU policy
}

// entry decodes a held key's word, taking its 24-bit time to the latest
// Unix second not after now with those low bits.
func slotEntry(w uint64, now uint32) accessEntry {
	low := uint32(w>>8) & accessClockMask
	at := now&^accessClockMask | low
	if at > now {
		at -= 1 << accessClockBits
	}
	return accessEntry{at: at, freq: uint8(w)}
}

// lfuInitVal is the counter of a new key (Redis's LFU_INIT_VAL), so that
// it is not the first evicted.
const lfuInitVal = 5

func newAccessTable(now time.Time) *accessTable {
	t := &accessTable{
		seed:   maphash.MakeSeed(),
		slots:  make([]atomic.Uint64, 1<<accessSlotBits),
		floors: make([]atomic.Uint32, 1<<(accessSlotBits-accessGroupBits)),
	}
	t.tick(now)
	t.start = t.now.Load()
	t.logFactor.Store(10)
	t.decayMinutes.Store(1)
	return t
}

// configure applies maxmemory-policy, lfu-log-factor and lfu-decay-time.
func (t *accessTable) configure(cfg *Config) {
	t.lfu.Store(strings.Contains(cfg.Get("maxmemory-policy"), "lfu"))
	f, _ := strconv.ParseInt(cfg.Get("lfu-log-factor"), 10, 64)
	d, _ := strconv.ParseInt(cfg.Get("lfu-decay-time"), 10, 64)
	t.logFactor.Store(f)
	t.decayMinutes.Store(d)
}

// tick refreshes the table's clock; like Redis's LRU clock, it moves in
// steps, so a use costs no clock read.
func (t *accessTable) tick(now time.Time) { t.now.Store(unixSeconds(now)) }

func unixSeconds(now time.Time) uint32 { return uint32(max(now.Unix(), 0)) }

// locate returns key's slot index and tag, for key of physical database
// phys.
func (t *accessTable) locate(phys int, key []byte) (i uint64, tag uint32) {
	h := maphash.Bytes(t.seed, key) ^ uint64(phys+1)*0x9e3779b97f4a7c15
	return h >> (64 - accessSlotBits), uint32(h) | 1
}

// store makes slot i hold the word next, the key tagged tag, if the slot
// still holds old; a key it displaces first raises its group's floor.
func (t *accessTable) store(i uint64, old, next uint64, now uint32) bool {
	if old != 0 && slotTag(old) != slotTag(next) {
		at := slotEntry(old, now).at
		f := &t.floors[i>>accessGroupBits]
		for cur := f.Load(); cur < at && !f.CompareAndSwap(cur, at); cur = f.Load() {
		}
	}
	return t.slots[i].CompareAndSwap(old, next)
}

// touch records a use of key now: its time and, under an LFU policy,
// its counter (Redis's updateLFU; a key new to the table starts at
// lfuInitVal).
func (t *accessTable) touch(phys int, key []byte) {
	now := t.now.Load()
	i, tag := t.locate(phys, key)
	for {
		old := t.slots[i].Load()
		held := old != 0 && slotTag(old) == tag
		var freq uint8
		if t.lfu.Load() {
			freq = lfuInitVal
			if held {
				freq = t.lfuIncr(t.lfuDecayed(slotEntry(old, now), now))
			}
		}
		next := slotWord(tag, now, freq)
		if old == next || t.store(i, old, next, now) {
			return
		}
	}
}

// set records that key was last used idle seconds ago, with LFU counter
// freq (RESTORE's IDLETIME and FREQ).
func (t *accessTable) set(phys int, key []byte, idle int64, freq uint8) {
	now := t.now.Load()
	at := uint32(int64(now) - min(max(idle, 0), int64(now)))
	// The 24-bit time holds the last 194 days, as Redis's LRU clock.
	at = max(at, now-accessClockMask)
	i, tag := t.locate(phys, key)
	for !t.store(i, t.slots[i].Load(), slotWord(tag, at, freq), now) {
	}
}

// lookup returns what the table knows of key: its time and counter, or
// its group's floor and a counter of 0.
func (t *accessTable) lookup(phys int, key []byte) accessEntry {
	now := t.now.Load()
	i, tag := t.locate(phys, key)
	if w := t.slots[i].Load(); w != 0 && slotTag(w) == tag {
		return slotEntry(w, now)
	}
	return accessEntry{at: max(t.floors[i>>accessGroupBits].Load(), t.start)}
}

// idle returns how many seconds ago key was last used, as far as the
// table knows: exact if it holds the key, a lower bound if not.
func (t *accessTable) idle(phys int, key []byte) int64 {
	return max(int64(t.now.Load())-int64(t.lookup(phys, key).at), 0)
}

// freq is OBJECT FREQ: key's LFU counter, decayed to now.
func (t *accessTable) freq(phys int, key []byte) uint8 {
	return t.lfuDecayed(t.lookup(phys, key), t.now.Load())
}

// lfuDecayed is Redis's LFUDecrAndReturn: the counter less one for every
// lfu-decay-time minutes since the last use.
func (t *accessTable) lfuDecayed(e accessEntry, now uint32) uint8 {
	period := t.decayMinutes.Load()
	if period <= 0 || now <= e.at {
		return e.freq
	}
	n := int64(now-e.at) / 60 / period
	if n >= int64(e.freq) {
		return 0
	}
	return e.freq - uint8(n)
}

// lfuIncr is Redis's LFULogIncr: the counter grows by one with a
// probability that falls as it grows, so 255 stands for about a million
// uses at the default lfu-log-factor of 10.
func (t *accessTable) lfuIncr(counter uint8) uint8 {
	if counter == 255 {
		return 255
	}
	base := float64(max(int(counter)-lfuInitVal, 0))
	if rand.Float64() < 1/(base*float64(t.logFactor.Load())+1) {
		counter++
	}
	return counter
}
