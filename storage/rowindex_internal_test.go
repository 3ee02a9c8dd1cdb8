package storage

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The row cache's table is driven here with hashes chosen by the test, so
// that keys share tags and probe sequences far more often than maphash
// would ever make them: many keys per tag, chains that wrap around the
// table's end, removals leaving tombstones in the middle of chains, and the
// rehashes of a growing generation. Every lookup must agree with a map.
func TestRowIndexAgreesWithAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sh := &rowShard{half: 1 << 20}
	model := map[string]string{} // key -> value; absent records as "\x00absent"
	hashOf := map[string]uint64{}
	// Few distinct tags and start slots: heavy collisions.
	hash := func(k string) uint64 {
		h, ok := hashOf[k]
		if !ok {
			start := uint64(rng.IntN(8))
			if rng.IntN(2) == 1 {
				start = minRowSlots - 1 - start // chains that wrap around a new table's end
			}
			h = (uint64(rng.IntN(4))<<20 | start) << 32
			hashOf[k] = h
		}
		return h
	}
	for step := 0; step < 20000; step++ {
		k := fmt.Sprint("key", rng.IntN(3000))
		h := hash(k)
		switch rng.IntN(4) {
		case 0, 1: // put a value of a length that often repeats, so some are written in place
			v := fmt.Sprint(rng.IntN(200))
			switch rng.IntN(10) {
			case 0:
				sh.put(h, []byte(k), nil, rowAbsent)
				model[k] = "\x00absent"
			case 1: // a header of the same length as a value is not the value
				sh.put(h, []byte(k), []byte(v), rowHeader)
				model[k] = "header:" + v
			default:
				sh.put(h, []byte(k), []byte(v), rowValue)
				model[k] = v
			}
		case 2: // remove from the current generation
			if slot := sh.cur.find(h, []byte(k)); slot >= 0 {
				sh.cur.remove(slot)
				delete(model, k)
			}
		case 3:
			slot := sh.cur.find(h, []byte(k))
			want, has := model[k]
			if (slot >= 0) != has {
				t.Fatalf("step %d: %s found %v, want %v", step, k, slot >= 0, has)
			}
			if slot < 0 {
				continue
			}
			if got := entryString(sh.cur.valueAt(sh.cur.offAt(slot))); got != want {
				t.Fatalf("step %d: %s = %q, want %q", step, k, got, want)
			}
		}
		if sh.old.arena != nil {
			t.Fatalf("step %d: the generation turned over; the test needs a bigger arena", step)
		}
	}
	for k, want := range model {
		slot := sh.cur.find(hashOf[k], []byte(k))
		if slot < 0 {
			t.Fatalf("%s lost", k)
		}
		if got := entryString(sh.cur.valueAt(sh.cur.offAt(slot))); got != want {
			t.Fatalf("%s = %q, want %q", k, got, want)
		}
	}
	if sh.cur.live != len(model) {
		t.Fatalf("live = %d, want %d", sh.cur.live, len(model))
	}
}

// entryString is the model's spelling of an entry.
func entryString(v []byte, kind rowKind) string {
	switch kind {
	case rowAbsent:
		return "\x00absent"
	case rowHeader:
		return "header:" + string(v)
	}
	return string(v)
}

// A value of the length already cached is written over the old one, so
// repeated SETs of same-sized values do not fill the arena.
func TestRowCachePutSameLengthInPlace(t *testing.T) {
	sh := &rowShard{half: 1 << 10}
	h := uint64(12345)
	sh.put(h, []byte("k"), []byte("aaa"), rowValue)
	n := len(sh.cur.arena)
	for i := 0; i < 1000; i++ {
		sh.put(h, []byte("k"), []byte(fmt.Sprintf("%03d", i)), rowValue)
	}
	if len(sh.cur.arena) != n || sh.old.arena != nil {
		t.Fatalf("arena grew from %d to %d bytes (old generation %v)", n, len(sh.cur.arena), sh.old.arena != nil)
	}
	if v, kind, found := sh.cur.lookup(h, []byte("k")); !found || kind != rowValue || string(v) != "999" {
		t.Fatalf("lookup = %q %v %v, want 999", v, kind, found)
	}
	// A longer value is appended; an absence of the same length as a
	// value is not the value.
	sh.put(h, []byte("k"), []byte("abcd"), rowValue)
	sh.put(h, []byte("k"), nil, rowAbsent)
	if _, kind, found := sh.cur.lookup(h, []byte("k")); !found || kind != rowAbsent {
		t.Fatalf("lookup after an absence: kind %v found %v", kind, found)
	}
	if sh.cur.live != 1 {
		t.Fatalf("live = %d, want 1", sh.cur.live)
	}
}
