package main_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"moonstone/internal/testkit"
)

// Values of 2 KB, 70 KB and 1.1 MB live in Pebble's blob files once
// flushed, apart from their keys; a 1.1 MB value fills the 8 MB memtable
// in a few SETs, so flushes run throughout. After kill -9 every key holds a
// whole value, never a mix of two or a cut one: the last acknowledged, or
// the one in flight when the process died. Each value names its key,
// version and size, and its body follows from them.
func TestLargeValuesSurviveKill9Whole(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	const writers, keys = 6, 4
	acked := make([][keys]int, writers) // version acknowledged per key; 0: none
	for round := range crashRounds(t, 3) {
		p := testkit.StartProcess(t, dir, "appendfsync", "always")
		c := p.Client()
		for w := range writers {
			for k := range keys {
				v, err := c.Get(ctx, bigKey(w, k)).Result()
				if acked[w][k] == 0 && err != nil {
					continue
				}
				if err != nil {
					t.Fatalf("round %d: %s lost (acknowledged version %d): %v", round, bigKey(w, k), acked[w][k], err)
				}
				version, err := checkBigValue(w, k, v)
				if err != nil {
					t.Fatalf("round %d: %s: %v", round, bigKey(w, k), err)
				}
				if version < acked[w][k] || version > acked[w][k]+1 {
					t.Fatalf("round %d: %s is version %d, acknowledged %d", round, bigKey(w, k), version, acked[w][k])
				}
				acked[w][k] = version
			}
		}
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					k := i % keys
					version := acked[w][k] + 1
					if c.Set(ctx, bigKey(w, k), bigValue(w, k, version), 0).Err() != nil {
						return
					}
					acked[w][k] = version
				}
			}()
		}
		time.Sleep(time.Duration(800+rand.IntN(800)) * time.Millisecond)
		p.Kill()
		close(stop)
		wg.Wait()
		c.Close()
	}
}

func bigKey(w, k int) string { return fmt.Sprintf("big:%d:%d", w, k) }

// bigSizes are the value sizes, taken in turn by version.
var bigSizes = [...]int{2 << 10, 70 << 10, 1100 << 10}

// bigValue is "w:k:version:size|" and a body of letters that follows
// from them, size bytes in all.
func bigValue(w, k, version int) string {
	size := bigSizes[version%len(bigSizes)]
	head := fmt.Sprintf("%d:%d:%d:%d|", w, k, version, size)
	var b strings.Builder
	b.Grow(size)
	b.WriteString(head)
	for i := len(head); i < size; i++ {
		b.WriteByte(byte('a' + (i*7+version*13+k)%26))
	}
	return b.String()
}

// checkBigValue returns the version of a value bigValue made for key
// (w, k), or why it is not one.
func checkBigValue(w, k int, v string) (int, error) {
	var gw, gk, version, size int
	if _, err := fmt.Sscanf(v, "%d:%d:%d:%d|", &gw, &gk, &version, &size); err != nil {
		return 0, fmt.Errorf("no header in %.40q", v)
	}
	if gw != w || gk != k {
		return 0, fmt.Errorf("holds key %d:%d's value", gw, gk)
	}
	if len(v) != size {
		return 0, fmt.Errorf("version %d is %d bytes, not %d", version, len(v), size)
	}
	if v != bigValue(w, k, version) {
		return 0, fmt.Errorf("version %d's body is not whole", version)
	}
	return version, nil
}
