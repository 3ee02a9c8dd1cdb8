package server

import (
	"strconv"
	"testing"
	"time"
)

// The access table never reports a key idler than it is, whichever keys
// displaced which, and answers exactly for nearly all of the keys used
// last.
func TestAccessTableNeverOverstatesIdleness(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	tab := newAccessTable(start)
	const keys = 4 << accessSlotBits
	usedAt := make([]uint32, keys)
	// Keys used one after another, ten per second, some used twice.
	for i := range keys {
		now := start.Add(time.Duration(i) * 100 * time.Millisecond)
		tab.tick(now)
		tab.touch(0, []byte("key:"+strconv.Itoa(i)))
		usedAt[i] = unixSeconds(now)
		if i%7 == 0 && i > 100 {
			j := i - 100
			tab.touch(0, []byte("key:"+strconv.Itoa(j)))
			usedAt[j] = unixSeconds(now)
		}
	}
	now := tab.now.Load()
	exactLatest := 0
	for i := range keys {
		truth := int64(now - usedAt[i])
		got := tab.idle(0, []byte("key:"+strconv.Itoa(i)))
		if got > truth {
			t.Fatalf("key %d: idle %d s, used %d s ago", i, got, truth)
		}
		if i >= keys-200 && got == truth {
			exactLatest++
		}
	}
	// A key is displaced by a later one with a chance of at most 200 in
	// 2^14: a key or two of the last 200.
	if exactLatest < 190 {
		t.Errorf("%d of the last 200 keys answered exactly", exactLatest)
	}
	// Another database's key of the same name is another key.
	if got := tab.idle(1, []byte("key:"+strconv.Itoa(keys-1))); got == 0 {
		t.Errorf("a key never used in database 1 is idle %d s", got)
	}
}

// Under an LFU policy a key's counter starts at 5, grows by one on a use
// with a probability that falls as it grows, and loses one for every
// lfu-decay-time minutes without use.
func TestAccessTableCountsUsesAsRedisLFU(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	tab := newAccessTable(start)
	tab.lfu.Store(true)
	key := []byte("k")
	tab.touch(0, key)
	if f := tab.freq(0, key); f != lfuInitVal {
		t.Fatalf("a new key counts %d", f)
	}
	tab.touch(0, key)
	if f := tab.freq(0, key); f != lfuInitVal+1 {
		t.Fatalf("after one more use: %d", f)
	}
	// About 100 * (1 + 10*k) uses take the counter past 5+k: 10k uses
	// leave it well below 255 and well above 10.
	for range 10_000 {
		tab.touch(0, key)
	}
	f := tab.freq(0, key)
	if f < 10 || f > 60 {
		t.Fatalf("after 10k uses the counter is %d", f)
	}
	tab.tick(start.Add(5*time.Minute + time.Second))
	if got := tab.freq(0, key); got != f-5 {
		t.Fatalf("5 minutes later the counter is %d, want %d", got, f-5)
	}
	tab.decayMinutes.Store(0)
	if got := tab.freq(0, key); got != f {
		t.Fatalf("with lfu-decay-time 0 the counter decays to %d", got)
	}
	tab.set(0, key, 30, 100)
	if tab.freq(0, key) != 100 || tab.idle(0, key) != 30 {
		t.Fatalf("RESTORE's FREQ 100 IDLETIME 30: freq %d idle %d", tab.freq(0, key), tab.idle(0, key))
	}
}
