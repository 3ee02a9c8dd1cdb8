package storage

import (
	"testing"
	"time"
)

// A burst of events (Pebble retrying a flush on a full disk, writes
// stalling under a stream of large values) logs one line a second, and
// the next line says how many were held back.
func TestLogLimitLetsALineASecondThrough(t *testing.T) {
	var l logLimit
	if ok, n := l.allow(); !ok || n != 0 {
		t.Fatalf("first event: allow %v, held back %d; want true, 0", ok, n)
	}
	for i := 0; i < 999; i++ {
		if ok, _ := l.allow(); ok {
			t.Fatalf("event %d of a burst was let through", i+2)
		}
	}
	time.Sleep(1100 * time.Millisecond)
	if ok, n := l.allow(); !ok || n != 999 {
		t.Fatalf("a second later: allow %v, held back %d; want true, 999", ok, n)
	}
}
