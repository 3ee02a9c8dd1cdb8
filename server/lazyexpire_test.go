package server_test

import (
	"strings"
	"testing"
	"time"

	"moonstone/internal/testkit"
)

// With the active cycle off, a command that looks an expired key up
// removes it, as Redis's lazy expiry does: DBSIZE and expired_keys follow
// reads (MGET, EXISTS, TYPE, HGET, a read-only script), and a subscriber
// hears "expired". Keys no command looks up stay counted.
func TestReadsRemoveTheExpiredKeysTheyMeet(t *testing.T) {
	p := debugPair(t)
	p.Run(t, `
CONFIG SET notify-keyspace-events Ex
DEBUG SET-ACTIVE-EXPIRE 0
PSETEX k1 100 a
PSETEX k2 100 a
PSETEX k3 100 a
HSET h f v
PEXPIRE h 100
PSETEX untouched 100 a
SET keep v
DBSIZE
`)
	sub := func(addr string) *testkit.RawConn {
		c, err := testkit.DialRaw(addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Do("SUBSCRIBE", "__keyevent@0__:expired"); err != nil {
			t.Fatal(err)
		}
		return c
	}
	msub, rsub := sub(p.Moonstone.Addr), sub(p.Redis.Addr)
	time.Sleep(300 * time.Millisecond)
	p.Run(t, `
DBSIZE
MGET k1 k2
DBSIZE
EXISTS k3
TYPE k3
HGET h f
DBSIZE
GET keep
`)
	m, r, err := p.Do("INFO", "stats")
	if err != nil {
		t.Fatal(err)
	}
	if infoField(m, "expired_keys") != "4" || infoField(r, "expired_keys") != "4" {
		t.Errorf("expired_keys: moonstone %q, redis %q", infoField(m, "expired_keys"), infoField(r, "expired_keys"))
	}
	for _, key := range []string{"k1", "k2", "k3", "h"} {
		mm, rm := readPair(t, msub, rsub)
		if mm != rm || !strings.HasSuffix(mm, key+"\r\n") {
			t.Errorf("expired event for %s: moonstone %q, redis %q", key, mm, rm)
		}
	}
}

// A reader that meets an expired key while a long script holds the write
// lock answers at once, and the key is removed once the script ends.
func TestReadOfAnExpiredKeyDoesNotWaitForAScript(t *testing.T) {
	s := testkit.Start(t, "enable-debug-command", "yes")
	c, busy := s.Raw(t), s.Raw(t)
	for _, args := range [][]string{{"DEBUG", "SET-ACTIVE-EXPIRE", "0"}, {"SET", "k", "v", "PX", "20"}} {
		if _, err := c.Do(args...); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	// A script that writes, then spins for 600 ms under the write lock.
	if err := busy.Send("EVAL", "redis.call('set', 'w', 1) local t = redis.call('time') local s = t[1] * 1000000 + t[2] while true do t = redis.call('time') if t[1] * 1000000 + t[2] - s > 600000 then break end end return 1", "0"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if got, err := c.Do("GET", "k"); err != nil || got != "$-1\r\n" {
		t.Fatalf("GET of an expired key: %q %v", got, err)
	}
	if d := time.Since(start); d > 300*time.Millisecond {
		t.Fatalf("GET waited %v for the script", d)
	}
	if got, err := c.Do("DBSIZE"); err != nil || got != ":1\r\n" {
		t.Fatalf("DBSIZE while the script runs: %q %v", got, err)
	}
	if got, err := busy.Read(); err != nil || got != ":1\r\n" {
		t.Fatalf("the script: %q %v", got, err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		got, err := c.Do("DBSIZE")
		if err != nil {
			t.Fatal(err)
		}
		if got == ":1\r\n" {
			break // w only: k was removed after the script
		}
		if time.Now().After(deadline) {
			t.Fatalf("DBSIZE after the script: %q", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
