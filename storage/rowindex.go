package storage

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// rowGen is one generation of a row-cache shard: an append-only arena of
// entries and an open-addressed table from a key's hash to its entry.
//
// An entry at off is: key length (uvarint), key, the value's length and
// kind (uvarint: 0 for an absent record, else 1 + 2*length for a value,
// 2 + 2*length for a long string's header: rowKind), value.
//
// A table slot is one uint64: the hash's high 32 bits (its tag) above the
// entry's offset + 1, so 0 is an empty slot. Probing is linear from the
// tag's low bits, so that a rehash places a slot by its tag alone; the
// tag's other bits tell apart most keys that start at the same slot. A lookup reads one slot, almost always on the cache
// line it starts on, and then the entry; Go's map took a control word and
// a slot group on a line or two of their own before the entry, which made
// the row cache a quarter of a pipelined GET's CPU. Neither the arena nor
// the table holds a pointer, so the garbage collector never scans them.
type rowGen struct {
	arena []byte
	slots []uint64
	live  int // slots holding an entry
	used  int // slots not empty: live ones and tombstones
}

// rowTombstone marks a removed entry, so that probes go on past it. No
// live slot equals it: offsets stay below 1<<31 (newRowCache).
const rowTombstone = ^uint64(0)

// minRowSlots is a new generation's smallest table.
const minRowSlots = 1024

// find returns the slot of key's entry, or -1.
func (g *rowGen) find(h uint64, key []byte) int {
	if len(g.slots) == 0 {
		return -1
	}
	tag := h >> 32
	mask := uint64(len(g.slots) - 1)
	for i := tag & mask; ; i = (i + 1) & mask {
		s := g.slots[i]
		if s == 0 {
			return -1
		}
		if s>>32 == tag && s != rowTombstone && bytes.Equal(g.keyAt(uint32(s)-1), key) {
			return int(i)
		}
	}
}

// keyAt is the key of the entry at off.
func (g *rowGen) keyAt(off uint32) []byte {
	b := g.arena[off:]
	kl, n := binary.Uvarint(b)
	return b[n : n+int(kl)]
}

// valueAt decodes the value of the entry at off: the value (aliasing the
// arena) and what it is of the record.
func (g *rowGen) valueAt(off uint32) ([]byte, rowKind) {
	b := g.arena[off:]
	kl, n := binary.Uvarint(b)
	b = b[n+int(kl):]
	vl, n := binary.Uvarint(b)
	if vl == 0 {
		return nil, rowAbsent
	}
	l := int((vl - 1) >> 1)
	return b[n : n+l : n+l], rowValue + rowKind((vl-1)&1)
}

// appendValueWord appends the word before an entry's value: its length n
// and its kind (an absent record has no value: n is 0).
func appendValueWord(a []byte, n int, kind rowKind) []byte {
	if kind == rowAbsent {
		return binary.AppendUvarint(a, 0)
	}
	return binary.AppendUvarint(a, uint64(n)<<1+uint64(kind))
}

// offAt is the entry offset a live slot holds.
func (g *rowGen) offAt(slot int) uint32 { return uint32(g.slots[slot]) - 1 }

// point makes slot, which holds key's entry, hold the entry at off.
func (g *rowGen) point(slot int, off uint32) {
	g.slots[slot] = g.slots[slot]&^(1<<32-1) | uint64(off+1)
}

// insert adds an entry for a key the table does not hold.
func (g *rowGen) insert(h uint64, off uint32) {
	if (g.used+1)*4 > len(g.slots)*3 {
		g.rehash()
	}
	mask := uint64(len(g.slots) - 1)
	i := h >> 32 & mask
	for g.slots[i] != 0 && g.slots[i] != rowTombstone {
		i = (i + 1) & mask
	}
	if g.slots[i] == 0 {
		g.used++
	}
	g.slots[i] = h>>32<<32 | uint64(off+1)
	g.live++
}

// remove drops the entry in slot.
func (g *rowGen) remove(slot int) {
	g.slots[slot] = rowTombstone
	g.live--
}

// rehash rebuilds the table without tombstones, at twice the live entries
// or more.
func (g *rowGen) rehash() {
	size := max(minRowSlots, 1<<bits.Len(uint(g.live*2)))
	old := g.slots
	g.slots = make([]uint64, size)
	g.used, g.live = 0, 0
	for _, s := range old {
		if s == 0 || s == rowTombstone {
			continue
		}
		g.insert(s, uint32(s)-1)
	}
}
