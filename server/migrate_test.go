package server_test

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"moonstone/internal/testkit"
)

// migrateSide is one source server and the target it migrates to, with a
// raw connection to each.
type migrateSide struct {
	name        string
	src, target *testkit.RawConn
	targetPort  string
}

// do runs a command on the source, "T" standing for the target's port.
func (s *migrateSide) do(t *testing.T, args ...string) string {
	t.Helper()
	for i, a := range args {
		if a == "T" {
			args[i] = s.targetPort
		}
	}
	r, err := s.src.Do(args...)
	if err != nil {
		t.Fatalf("%s: %v: %v", s.name, args, err)
	}
	return r
}

func newMigrateSides(t *testing.T, targetArgs ...string) []*migrateSide {
	p := testkit.StartPair(t)
	var sides []*migrateSide
	for _, src := range []struct{ name, addr string }{{"moonstone", p.Moonstone.Addr}, {"redis", p.Redis.Addr}} {
		target := testkit.StartRedis(t, targetArgs...)
		_, port, _ := net.SplitHostPort(target.Addr)
		sides = append(sides, &migrateSide{name: src.name, src: testkit.Dial(t, src.addr), target: testkit.Dial(t, target.Addr), targetPort: port})
	}
	return sides
}

// MIGRATE from Moonstone and from Redis, each to a redis-server of its own,
// step by step: every reply must be Redis's, and so must what the source
// and the target hold afterwards. A key the target refuses stays; the keys
// it took leave the source even when MIGRATE answers an error for others.
func TestMigrateMatchesRedis(t *testing.T) {
	sides := newMigrateSides(t)
	steps := []struct {
		src    []string // run on the source
		target []string // then on the target
	}{
		{src: []string{"SET", "k", "v"}},
		{src: []string{"MIGRATE", "127.0.0.1", "T", "k", "0", "1000"}},
		{src: []string{"EXISTS", "k"}, target: []string{"GET", "k"}},
		{src: []string{"MIGRATE", "127.0.0.1", "T", "k", "0", "1000"}}, // NOKEY
		{src: []string{"SET", "k", "v2"}},
		{src: []string{"MIGRATE", "127.0.0.1", "T", "k", "0", "1000"}}, // BUSYKEY from the target
		{src: []string{"GET", "k"}},
		{src: []string{"MIGRATE", "127.0.0.1", "T", "k", "0", "1000", "REPLACE"}},
		{src: []string{"EXISTS", "k"}, target: []string{"GET", "k"}},
		{src: []string{"SET", "c", "copied"}},
		{src: []string{"MIGRATE", "127.0.0.1", "T", "c", "0", "1000", "COPY"}},
		{src: []string{"GET", "c"}, target: []string{"GET", "c"}},
		// The KEYS form: b is refused, a and d are taken, x is not there.
		{target: []string{"SET", "b", "theirs"}},
		{src: []string{"MSET", "a", "1", "b", "2", "d", "4"}},
		{src: []string{"MIGRATE", "127.0.0.1", "T", "", "0", "1000", "KEYS", "a", "b", "x", "d"}},
		{src: []string{"MGET", "a", "b", "d"}, target: []string{"MGET", "a", "b", "d"}},
		// Every type, with its TTL, into another database.
		{src: []string{"HSET", "h", "f1", "v1", "f2", "v2"}},
		{src: []string{"RPUSH", "l", "x", "y", "z"}},
		{src: []string{"SADD", "s", "m1", "m2"}},
		{src: []string{"ZADD", "z", "1", "one", "2.5", "two"}},
		{src: []string{"XADD", "st", "1-1", "f", "v"}},
		{src: []string{"SET", "ttl", "v", "PX", "100000"}},
		{src: []string{"MIGRATE", "127.0.0.1", "T", "", "3", "5000", "KEYS", "h", "l", "s", "z", "st", "ttl"}},
		{src: []string{"EXISTS", "h", "l", "s", "z", "st", "ttl"}, target: []string{"SELECT", "3"}},
		{target: []string{"HGETALL", "h"}},
		{target: []string{"LRANGE", "l", "0", "-1"}},
		{target: []string{"SORT", "s", "ALPHA"}},
		{target: []string{"ZRANGE", "z", "0", "-1", "WITHSCORES"}},
		{target: []string{"XRANGE", "st", "-", "+"}},
		{target: []string{"SELECT", "0"}},
		// Errors MIGRATE finds itself.
		{src: []string{"MIGRATE", "127.0.0.1", "T", "k2", "0", "1000", "BOGUS"}},
		{src: []string{"MIGRATE", "127.0.0.1", "T", "k2", "0", "1000", "AUTH"}},
		{src: []string{"MIGRATE", "127.0.0.1", "T", "k2", "0", "1000", "AUTH2", "user"}},
		{src: []string{"MIGRATE", "127.0.0.1", "T", "k2", "0", "1000", "KEYS", "a"}},
		{src: []string{"MIGRATE", "127.0.0.1", "T", "k2", "0", "soon"}},
		{src: []string{"MIGRATE", "127.0.0.1", "T", "k2", "zero", "1000"}},
		{src: []string{"MIGRATE", "127.0.0.1", "T", "k2", "0"}},
		{src: []string{"MIGRATE", "127.0.0.1", "T", "", "0", "1000", "KEYS"}},
		// A target database that does not exist.
		{src: []string{"SET", "k3", "v"}},
		{src: []string{"MIGRATE", "127.0.0.1", "T", "k3", "99", "1000"}},
		{src: []string{"EXISTS", "k3"}},
		{src: []string{"MIGRATE", "127.0.0.1", "T", "k3", "0", "1000"}},
		{src: []string{"EXISTS", "k3"}, target: []string{"GET", "k3"}},
	}
	for n, st := range steps {
		var got [2][2]string
		for i, s := range sides {
			if st.src != nil {
				got[i][0] = s.do(t, append([]string(nil), st.src...)...)
			}
			if st.target != nil {
				r, err := s.target.Do(st.target...)
				if err != nil {
					t.Fatal(err)
				}
				got[i][1] = r
			}
		}
		if got[0] != got[1] {
			t.Fatalf("step %d %q / %q:\nmoonstone %q\nredis     %q", n, st.src, st.target, got[0], got[1])
		}
	}
	// The TTL went along.
	for _, s := range sides {
		s.target.Do("SELECT", "3")
		r, _ := s.target.Do("PTTL", "ttl")
		ms, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(r, ":")))
		if err != nil || ms < 90000 || ms > 100000 {
			t.Fatalf("%s: PTTL on the target = %q", s.name, r)
		}
	}
}

// MIGRATE to a target that wants a password, and to targets that are not
// there or never answer: Redis's replies, and the keys stay.
func TestMigrateAuthAndFailuresMatchRedis(t *testing.T) {
	sides := newMigrateSides(t, "--requirepass", "sesame")
	dead := testkit.FreePort(t)
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close() // reads nothing, answers nothing
		}
	}()
	_, silentPort, _ := net.SplitHostPort(silent.Addr().String())
	steps := [][]string{
		{"SET", "k", "v"},
		{"MIGRATE", "127.0.0.1", "T", "k", "0", "1000"},
		{"MIGRATE", "127.0.0.1", "T", "k", "0", "1000", "AUTH", "wrong"},
		{"MIGRATE", "127.0.0.1", "T", "k", "0", "1000", "AUTH2", "default", "wrong"},
		{"EXISTS", "k"},
		{"MIGRATE", "127.0.0.1", "T", "k", "0", "1000", "AUTH", "sesame"},
		{"EXISTS", "k"},
		{"SET", "k", "v"},
		{"MIGRATE", "127.0.0.1", "T", "k", "1", "1000", "AUTH2", "default", "sesame"},
		{"SET", "k", "v"},
		{"MIGRATE", "127.0.0.1", strconv.Itoa(dead), "k", "0", "200"},
		{"MIGRATE", "127.0.0.1", silentPort, "k", "0", "200"},
		{"EXISTS", "k"},
	}
	for n, st := range steps {
		var got [2]string
		for i, s := range sides {
			start := time.Now()
			got[i] = s.do(t, append([]string(nil), st...)...)
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("%s: step %d took %v", s.name, n, d)
			}
		}
		if got[0] != got[1] {
			t.Fatalf("step %d %q:\nmoonstone %q\nredis     %q", n, st, got[0], got[1])
		}
	}
	for _, s := range sides {
		s.target.Do("AUTH", "sesame")
		s.target.Do("SELECT", "1")
		if r, _ := s.target.Do("GET", "k"); r != "$1\r\nv\r\n" {
			t.Fatalf("%s: the target's db 1 holds %q", s.name, r)
		}
	}
}

// MIGRATE keeps its connection to a target for the next one (INFO counts
// it), and when the target has closed it meanwhile, the next MIGRATE
// connects again without an error. Moonstone is the target here too.
func TestMigrateReconnectsToMoonstone(t *testing.T) {
	src := testkit.Start(t)
	target := testkit.Start(t)
	_, port, _ := net.SplitHostPort(target.Addr)
	c := src.Raw(t)
	tc := target.Raw(t)
	for round := 0; round < 3; round++ {
		key := "k" + strconv.Itoa(round)
		if r, _ := c.Do("HSET", key, "f", "v"); r != ":1\r\n" {
			t.Fatalf("HSET = %q", r)
		}
		if r, _ := c.Do("MIGRATE", "127.0.0.1", port, key, "0", "1000"); r != "+OK\r\n" {
			t.Fatalf("round %d: MIGRATE = %q", round, r)
		}
		if r, _ := tc.Do("HGET", key, "f"); r != "$1\r\nv\r\n" {
			t.Fatalf("round %d: the target's HGET = %q", round, r)
		}
		if r, _ := c.Do("INFO", "stats"); !strings.Contains(r, "migrate_cached_sockets:1\r\n") {
			t.Fatalf("round %d: INFO stats does not count the cached socket", round)
		}
		// The target drops every client but this one: the cached
		// connection is dead now.
		if r, _ := tc.Do("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"); r != ":1\r\n" {
			t.Fatalf("CLIENT KILL = %q", r)
		}
	}
}

// A target whose reply line is longer than MIGRATE reads at once: the
// error is reported cut short, and the key stays.
func TestMigrateLongTargetError(t *testing.T) {
	s := testkit.Start(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	long := "-ERR " + strings.Repeat("x", 10000) + "\r\n"
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64<<10)
		c.Read(buf)                       // SELECT and RESTORE, small enough for one read
		c.Write([]byte("+OK\r\n" + long)) // SELECT's reply, then RESTORE's
		c.Read(buf)                       // until MIGRATE closes or reuses it
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	c := s.Raw(t)
	c.Do("SET", "k", "v")
	r, err := c.Do("MIGRATE", "127.0.0.1", port, "k", "0", "2000")
	want := "-ERR Target instance replied with error: ERR " + strings.Repeat("x", 1018) + "\r\n"
	if err != nil || r != want {
		t.Fatalf("MIGRATE = %.80q… (%d bytes), %v", r, len(r), err)
	}
	if r, _ := c.Do("EXISTS", "k"); r != ":1\r\n" {
		t.Fatalf("EXISTS after a refused MIGRATE = %q", r)
	}
}
