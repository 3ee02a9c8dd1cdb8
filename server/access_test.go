package server_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"moonstone/internal/testkit"
)

// OBJECT IDLETIME follows the use of keys as in Redis: reads and writes
// (from clients and from scripts), TOUCH, DUMP, MOVE's and COPY's
// destinations reset it; TTL, TYPE, EXISTS, OBJECT, MEMORY USAGE and a
// script that only names the key do not; RESTORE sets it; SWAPDB carries
// it with the keys; DEBUG OBJECT reports it. The same steps run against
// redis-server, which must agree.
func TestIdleTimeFollowsKeyUseAsInRedis(t *testing.T) {
	p := debugPair(t)
	type server struct {
		name string
		conn *testkit.RawConn
	}
	ms := p.Moonstone.Raw(t)
	rd, err := testkit.DialRaw(p.Redis.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	servers := []server{{"moonstone", ms}, {"redis", rd}}

	do := func(s server, args ...string) string {
		t.Helper()
		reply, err := s.conn.Do(args...)
		if err != nil {
			t.Fatalf("%s: %v: %v", s.name, args, err)
		}
		if strings.HasPrefix(reply, "-") {
			t.Fatalf("%s: %v: %s", s.name, args, reply)
		}
		return reply
	}
	idle := func(s server, db, key string) int {
		t.Helper()
		do(s, "SELECT", db)
		reply := do(s, "OBJECT", "IDLETIME", key)
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(reply, ":")))
		if err != nil {
			t.Fatalf("%s: OBJECT IDLETIME %s: %q", s.name, key, reply)
		}
		return n
	}

	for _, s := range servers {
		do(s, "SELECT", "0")
		for _, k := range []string{"untouched", "read", "touched", "dumped", "scripted", "named", "moved", "copied", "swapped"} {
			do(s, "SET", k, "v")
		}
		do(s, "RPUSH", "list", "a")
	}
	time.Sleep(3 * time.Second) // as the suite does: idle times are whole seconds of a coarse clock

	for _, s := range servers {
		do(s, "SELECT", "0")
		for _, args := range [][]string{
			{"TTL", "untouched"}, {"PTTL", "untouched"}, {"TYPE", "untouched"}, {"EXISTS", "untouched"},
			{"OBJECT", "ENCODING", "untouched"}, {"MEMORY", "USAGE", "untouched"},
			{"EVAL", "return 1", "1", "named"},
			{"GET", "read"}, {"TOUCH", "touched"}, {"DUMP", "dumped"}, {"LPUSH", "list", "b"},
			{"EVAL", "return redis.call('get', KEYS[1])", "1", "scripted"},
			{"MOVE", "moved", "1"}, {"COPY", "copied", "copy", "DB", "2"},
		} {
			do(s, args...)
		}
		payload := do(s, "DUMP", "list")
		bulk := payload[strings.Index(payload, "\r\n")+2 : len(payload)-2]
		do(s, "RESTORE", "restored", "0", bulk, "IDLETIME", "1000")
		// A fresh key of the same name in database 3: after SWAPDB the
		// old one is in 3 and the fresh one in 0.
		do(s, "SELECT", "3")
		do(s, "SET", "swapped", "fresh")
		do(s, "SWAPDB", "0", "3")
	}

	for _, s := range servers {
		for _, k := range []string{"untouched", "named"} {
			if n := idle(s, "3", k); n < 2 {
				t.Errorf("%s: %s idle %d s after 3 s of lookups that do not touch it", s.name, k, n)
			}
		}
		for _, k := range []string{"read", "touched", "dumped", "list", "scripted"} {
			if n := idle(s, "3", k); n > 1 {
				t.Errorf("%s: %s idle %d s just after its use", s.name, k, n)
			}
		}
		if n := idle(s, "1", "moved"); n > 1 {
			t.Errorf("%s: a MOVEd key idle %d s", s.name, n)
		}
		if n := idle(s, "2", "copy"); n > 1 {
			t.Errorf("%s: a COPY idle %d s", s.name, n)
		}
		if n := idle(s, "3", "restored"); n < 1000 || n > 1002 {
			t.Errorf("%s: RESTORE ... IDLETIME 1000 gives %d", s.name, n)
		}
		if n := idle(s, "3", "swapped"); n < 2 {
			t.Errorf("%s: the swapped-out key idle %d s", s.name, n)
		}
		if n := idle(s, "0", "swapped"); n > 1 {
			t.Errorf("%s: the swapped-in fresh key idle %d s", s.name, n)
		}
		do(s, "SELECT", "3")
		line := do(s, "DEBUG", "OBJECT", "untouched")
		m := regexp.MustCompile(`lru_seconds_idle:(\d+)`).FindStringSubmatch(line)
		if m == nil || m[1] == "0" || m[1] == "1" {
			t.Errorf("%s: DEBUG OBJECT of a key idle 2 s: %q", s.name, line)
		}
	}
}

// Under an LFU policy OBJECT FREQ gives Redis's counter: 5 for a new key,
// 6 after its first use, RESTORE's FREQ.
func TestObjectFreqCountsUsesAsRedis(t *testing.T) {
	p := testkit.StartPair(t)
	p.Run(t, `
CONFIG SET maxmemory-policy allkeys-lfu
SET k v
OBJECT FREQ k
GET k
OBJECT FREQ k
RPUSH l a
OBJECT FREQ l
TYPE l
EXISTS l
OBJECT FREQ l
SET r v
DEL r
RESTORE r 0 "\x00\x01v\n\x00\x91\x08\xce\xb2\x198\x8a\xce" FREQ 100
OBJECT FREQ r
CONFIG SET maxmemory-policy allkeys-lru
OBJECT FREQ k
`)
}
