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
	inArrivalOrder(t, 36, func() bool {
		r, rd1, rd2 := s.Raw(t), s.Raw(t), s.Raw(t)
		defer r.Close()
		defer rd1.Close()
		defer rd2.Close()
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
		return errA == nil && errB == nil && strings.HasPrefix(a, "-WRONGTYPE") && b == "$3\r\nfoo\r\n"
	})
}

// A write sent right behind a blocking read on another connection comes
// after it, as in Redis: the sequence of Redis's stream unit ("Blocking
// XREAD: key type changed with SET"). XREAD BLOCK ... $ must block on the
// stream before the SET turns it into a string, stay blocked, and get the
// entry of the XADD that recreates it; run after the SET, it answers
// WRONGTYPE instead. Without the wait 0-2 rounds of 40 pass; with it 40,
// or fewer when the machine is so loaded that the reader's goroutine is
// not run within the 2 ms a write waits (31 seen), hence half.
func TestWritesWaitForEarlierBlockingReads(t *testing.T) {
	s := testkit.Start(t)
	r := s.Raw(t)
	// Blocking is in use: writes keep arrival order with blocking reads.
	if _, err := r.Do("BLPOP", "nolist", "0.01"); err != nil {
		t.Fatal(err)
	}
	inArrivalOrder(t, 20, func() bool {
		rd := s.Raw(t)
		defer rd.Close()
		for _, cmd := range [][]string{{"DEL", "mystream"}, {"XADD", "mystream", "666", "f", "v"}} {
			if _, err := r.Do(cmd...); err != nil {
				t.Fatal(err)
			}
		}
		rd.Send("XREAD", "BLOCK", "0", "STREAMS", "mystream", "$")
		for _, cmd := range [][]string{{"SET", "mystream", "val1"}, {"DEL", "mystream"}, {"XADD", "mystream", "667", "f", "v"}} {
			if _, err := r.Do(cmd...); err != nil {
				t.Fatal(err)
			}
		}
		got, err := rd.ReadWithin(200)
		return err == nil && strings.Contains(got, "667-0")
	})
}

// PUBLISH sent right behind an UNSUBSCRIBE on another connection comes
// after it, as in Redis (the pubsub unit's "PUBLISH/SUBSCRIBE after
// UNSUBSCRIBE without arguments"): it must reach nobody. Half the rounds
// must pass, as for writes behind blocking reads.
func TestPublishWaitsForEarlierUnsubscribe(t *testing.T) {
	s := testkit.Start(t)
	r := s.Raw(t)
	inArrivalOrder(t, 20, func() bool {
		rd := s.Raw(t)
		defer rd.Close()
		rd.Send("SUBSCRIBE", "chan1", "chan2")
		for j := 0; j < 2; j++ {
			if _, err := rd.ReadWithin(1000); err != nil {
				t.Fatal(err)
			}
		}
		rd.Send("UNSUBSCRIBE")
		got, err := r.Do("PUBLISH", "chan1", "hello")
		if err != nil {
			t.Fatal(err)
		}
		return got == ":0\r\n"
	})
}

// A write sent right behind another connection's EXEC, on a key that
// connection WATCHes, comes after it, as in Redis: the sequence of Redis's
// list unit ("BRPOPLPUSH does not affect WATCH while still blocked"). The
// LPUSH serves a blocked BRPOPLPUSH into the watched list; run before the
// EXEC, it aborts the transaction. Half the rounds must pass, as for
// writes behind blocking reads.
func TestWritesWaitForEarlierWatchedExec(t *testing.T) {
	s := testkit.Start(t)
	r := s.Raw(t)
	inArrivalOrder(t, 20, func() bool {
		blocked, watching := s.Raw(t), s.Raw(t)
		defer blocked.Close()
		defer watching.Close()
		for _, cmd := range [][]string{{"DEL", "src", "dst"}, {"SET", "somekey", "somevalue"}} {
			if _, err := r.Do(cmd...); err != nil {
				t.Fatal(err)
			}
		}
		blocked.Send("BRPOPLPUSH", "src", "dst", "0")
		for _, cmd := range [][]string{{"WATCH", "dst"}, {"MULTI"}, {"GET", "somekey"}} {
			if _, err := watching.Do(cmd...); err != nil {
				t.Fatal(err)
			}
		}
		watching.Send("EXEC")
		if _, err := r.Do("LPUSH", "src", "element"); err != nil {
			t.Fatal(err)
		}
		got, err := watching.ReadWithin(1000)
		return err == nil && got == "*1\r\n$9\r\nsomevalue\r\n"
	})
}

// inArrivalOrder runs round, one sequence of requests on several
// connections, 40 times, and fails unless at least need of them came out
// as Redis's one thread serves them: goroutine scheduling on a loaded
// machine may still reorder a round now and then.
func inArrivalOrder(t *testing.T, need int, round func() bool) {
	t.Helper()
	const rounds = 40
	ok := 0
	for range rounds {
		if round() {
			ok++
		}
	}
	t.Logf("%d of %d rounds served in arrival order", ok, rounds)
	if ok < need {
		t.Fatalf("%d of %d rounds served in arrival order, want %d", ok, rounds, need)
	}
}
