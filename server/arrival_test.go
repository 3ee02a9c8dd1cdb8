package server_test

import (
	"strings"
	"testing"

	"moonstone/internal/testkit"
)

// Requests sent on different connections a moment apart are served in the
// order they arrived where that decides the outcome, as Redis's one thread
// serves them: the sequence of Redis's own list unit ("BRPOPLPUSH with
// multiple blocked clients"), sent without waiting between the three
// connections. The first pop must fail on its string target and the
// second get the element; served in another order, the first pop blocks
// forever. Goroutine scheduling can still reorder a round now and then on
// a loaded machine, so the test asks for nearly every round, not all:
// without arrival order about two rounds in three fail.
func TestBlockingPopsServedInArrivalOrder(t *testing.T) {
	s := testkit.Start(t)
	const rounds = 40
	ok := 0
	for i := 0; i < rounds; i++ {
		r, rd1, rd2 := s.Raw(t), s.Raw(t), s.Raw(t)
		if _, err := r.Do("DEL", "blist", "target1", "target2"); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Do("SET", "target1", "nolist"); err != nil {
			t.Fatal(err)
		}
		rd1.Send("BRPOPLPUSH", "blist", "target1", "0")
		rd2.Send("BRPOPLPUSH", "blist", "target2", "0")
		if _, err := r.Do("LPUSH", "blist", "foo"); err != nil {
			t.Fatal(err)
		}
		a, errA := rd1.ReadWithin(200)
		b, errB := rd2.ReadWithin(200)
		if errA == nil && errB == nil && strings.HasPrefix(a, "-WRONGTYPE") && b == "$3\r\nfoo\r\n" {
			ok++
		}
		r.Close()
		rd1.Close()
		rd2.Close()
	}
	if ok < rounds*9/10 {
		t.Fatalf("%d of %d rounds served in arrival order", ok, rounds)
	}
}
