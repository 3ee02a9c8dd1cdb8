package server_test

import (
	"strings"
	"testing"
	"time"

	"moonstone/internal/testkit"
)

// A key whose expiry is renewed lives past its first deadline and is
// removed by the active cycle at its last one, as in Redis. Moonstone
// keeps the key's first expiry-index entry when the expiry moves later
// and moves the entry when it comes due; none of that is a change a
// client sees: a WATCH made after the renewal still holds past the first
// deadline, a tracking client hears nothing until the key expires, and a
// subscriber hears only the writes and the expiry.
func TestRenewedExpiryIsSweptAtItsLastDeadline(t *testing.T) {
	p := testkit.StartPair(t)
	p.Run(t, `
CONFIG SET notify-keyspace-events KEA
PSETEX k 200 v
PEXPIRE k 1200
SET other v PX 60000
SET other v PX 90000
`)
	dial := func(addr string, args ...string) *testkit.RawConn {
		c, err := testkit.DialRaw(addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Do(args...); err != nil {
			t.Fatal(err)
		}
		return c
	}
	msub := dial(p.Moonstone.Addr, "PSUBSCRIBE", "__keyevent@0__:*")
	rsub := dial(p.Redis.Addr, "PSUBSCRIBE", "__keyevent@0__:*")
	mw := dial(p.Moonstone.Addr, "WATCH", "k")
	rw := dial(p.Redis.Addr, "WATCH", "k")
	tracker := func(addr string) *testkit.RawConn {
		c := dial(addr, "HELLO", "3")
		for _, args := range [][]string{{"CLIENT", "TRACKING", "ON"}, {"GET", "k"}} {
			if _, err := c.Do(args...); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}
	mt, rt := tracker(p.Moonstone.Addr), tracker(p.Redis.Addr)

	time.Sleep(600 * time.Millisecond) // k's first deadline, and the sweeps after it
	p.Run(t, `
DBSIZE
EXISTS k
`)
	for _, c := range []struct {
		name string
		conn *testkit.RawConn
	}{{"moonstone", mt}, {"redis", rt}} {
		if got, err := c.conn.ReadWithin(100); err == nil {
			t.Errorf("%s: a tracking client heard %q at k's first deadline", c.name, got)
		}
	}
	for _, c := range []struct {
		name string
		conn *testkit.RawConn
	}{{"moonstone", mw}, {"redis", rw}} {
		for _, args := range [][]string{{"MULTI"}, {"SET", "w", "1"}} {
			if _, err := c.conn.Do(args...); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := c.conn.Do("EXEC"); err != nil || got != "*1\r\n+OK\r\n" {
			t.Fatalf("%s: EXEC under a WATCH of k past its first deadline: %q %v", c.name, got, err)
		}
	}

	// k's last deadline: the active cycle removes it with no command
	// looking it up (DBSIZE does not).
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, r, err := p.Do("DBSIZE")
		if err != nil {
			t.Fatal(err)
		}
		if m == ":2\r\n" && r == ":2\r\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("DBSIZE past k's last deadline: moonstone %q, redis %q", m, r)
		}
		time.Sleep(50 * time.Millisecond)
	}
	m, r, err := p.Do("INFO", "stats")
	if err != nil {
		t.Fatal(err)
	}
	if infoField(m, "expired_keys") != "1" || infoField(r, "expired_keys") != "1" {
		t.Errorf("expired_keys: moonstone %q, redis %q", infoField(m, "expired_keys"), infoField(r, "expired_keys"))
	}
	mi, ri := readPair(t, mt, rt)
	if mi != ri || !strings.Contains(mi, "invalidate") {
		t.Errorf("invalidation at k's expiry: moonstone %q, redis %q", mi, ri)
	}
	for _, want := range []string{"set", "expired"} {
		mm, rm := readPair(t, msub, rsub)
		if mm != rm || !strings.Contains(mm, "__keyevent@0__:"+want+"\r\n") {
			t.Errorf("event %s: moonstone %q, redis %q", want, mm, rm)
		}
	}
}

// readPair reads one reply from each side's connection: Moonstone's, then
// Redis's.
func readPair(t *testing.T, moonstone, redis *testkit.RawConn) (string, string) {
	t.Helper()
	m, err := moonstone.Read()
	if err != nil {
		t.Fatal(err)
	}
	r, err := redis.Read()
	if err != nil {
		t.Fatal(err)
	}
	return m, r
}
