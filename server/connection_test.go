package server_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"moonstone/internal/testkit"
)

func TestConnectionCommandsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
PING
PING hello
PING a b
ECHO "with space"
ECHO
SELECT 1
SET k db1
SELECT 0
GET k
AUTH pass
AUTH default pass
AUTH a b c
HELLO 2 SETNAME bad name
HELLO 4
HELLO x
HELLO 2 BADOPT
CLIENT SETNAME "has space"
CLIENT SETNAME ok-name
CLIENT GETNAME
CLIENT SETNAME ""
CLIENT GETNAME
CLIENT NOSUCH
CLIENT
CLIENT KILL 1.2.3.4:5
CLIENT KILL ID 0
CLIENT KILL ID 999999
CLIENT KILL BAD x
CLIENT LIST TYPE bogus
CLIENT KILL USER wrong_user
CLIENT KILL USER default TYPE master
CLIENT KILL TYPE replica SKIPME no
CLIENT KILL TYPE wrong_type
CLIENT KILL ID str
CLIENT KILL ID -1
CLIENT KILL ID 10 wrong_arg
CLIENT KILL SKIPME yes_or_no
CLIENT KILL MAXAGE 1
CLIENT KILL ADDR 1.2.3.4:5 LADDR 1.2.3.4:6
MULTI
EXEC extra
EXEC
MULTI
SET k v
EXEC extra
GET k
DISCARD
NOSUCHCOMMAND a b
nosuchcommand
GET
GET a b
COMMAND GETKEYS GET k
COMMAND GETKEYS MSET a 1 b 2
COMMAND GETKEYS PING
COMMAND GETKEYS PING a
COMMAND GETKEYS NOSUCH a b
COMMAND GETKEYS GET
COMMAND GETKEYS GET k x
COMMAND GETKEYS SET k
COMMAND INFO nosuch
CONFIG GET maxmemory-policy
CONFIG GET hash-max-ziplist-entries
CONFIG SET hash-max-ziplist-entries 100
CONFIG GET hash-max-listpack-entries
CONFIG SET hash-max-ziplist-entries bad
CONFIG SET nosuch 1
CONFIG SET daemonize yes
CONFIG SET maxmemory-policy bogus
CONFIG SET list-max-ziplist-size -2 set-max-intset-entries 512
CONFIG SET a
CONFIG GET
CONFIG NOSUCH
OBJECT REFCOUNT nokey
MEMORY USAGE nokey
SHUTDOWN ABORT
SHUTDOWN BOGUS
`)
}

// HELLO 3 switches to RESP3 (its reply is already a RESP3 map); HELLO 2
// answers Redis's handshake map.
func TestHelloHandshake(t *testing.T) {
	s := testkit.Start(t)
	rc := s.Raw(t)
	if r, _ := rc.Do("HELLO", "3"); !strings.HasPrefix(r, "%7\r\n") || !strings.Contains(r, "proto\r\n:3\r\n") {
		t.Fatalf("HELLO 3: %q", r)
	}
	ctx := context.Background()
	vals, err := s.Client.Do(ctx, "HELLO", "2").StringSlice()
	if err == nil || len(vals) == 0 {
		// The map holds an integer, so go-redis cannot make it strings;
		// read it generically instead.
		res, err := s.Client.Do(ctx, "HELLO", "2").Slice()
		if err != nil || len(res) != 14 || res[0] != "server" || res[3] != "7.0.15" || res[5] != int64(2) {
			t.Fatalf("HELLO 2: %v %v", res, err)
		}
	}
	// go-redis v9 with its default protocol (RESP3) connects and works.
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("RESP3-first client: %v", err)
	}
}

// With requirepass, commands need AUTH; wrong passwords get WRONGPASS; the
// error texts are Redis's.
func TestRequirePass(t *testing.T) {
	s := testkit.Start(t, "requirepass", "s3cret")
	r := testkit.StartRedis(t, "--requirepass", "s3cret")
	ms, err := testkit.DialRaw(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	rd, err := testkit.DialRaw(r.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	for _, cmd := range [][]string{
		{"GET", "k"},
		{"PING"},
		{"HELLO", "2"},
		{"AUTH", "wrong"},
		{"AUTH", "other", "s3cret"},
		{"AUTH", "s3cret"},
		{"SET", "k", "v"},
		{"GET", "k"},
		{"AUTH", "default", "s3cret"},
		{"RESET"},
		{"GET", "k"},
		{"HELLO", "2", "AUTH", "default", "wrong"},
	} {
		a, _ := ms.Do(cmd...)
		b, _ := rd.Do(cmd...)
		if a != b {
			t.Errorf("%v:\n  moonstone: %q\n  redis:     %q", cmd, a, b)
		}
	}
}

// CLIENT LIST shows connections with their names; CLIENT KILL closes one.
func TestClientListAndKill(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	victim := s.Raw(t)
	victim.Do("CLIENT", "SETNAME", "victim")
	list, err := s.Client.ClientList(ctx).Result()
	if err != nil || !strings.Contains(list, "name=victim") {
		t.Fatalf("CLIENT LIST: %q %v", list, err)
	}
	id, _ := victim.Do("CLIENT", "ID")
	id = strings.TrimSuffix(strings.TrimPrefix(id, ":"), "\r\n")
	if n, err := s.Client.Do(ctx, "CLIENT", "KILL", "ID", id).Int(); err != nil || n != 1 {
		t.Fatalf("CLIENT KILL ID: %d %v", n, err)
	}
	if _, err := victim.Do("PING"); err == nil {
		t.Fatal("killed client still served")
	}
}

// With timeout set, an idle client is disconnected; CONFIG SET changes it
// for connections that start waiting afterwards.
func TestIdleTimeout(t *testing.T) {
	s := testkit.Start(t)
	if err := s.Client.ConfigSet(context.Background(), "timeout", "1").Err(); err != nil {
		t.Fatal(err)
	}
	idle := s.Raw(t)
	if r, _ := idle.Do("PING"); r != "+PONG\r\n" {
		t.Fatalf("PING: %q", r)
	}
	time.Sleep(1500 * time.Millisecond)
	if _, err := idle.Do("PING"); err == nil {
		t.Fatal("idle client still connected after the timeout")
	}
}

// CLIENT INFO and CLIENT LIST describe a connection with Redis's fields:
// qbuf is the size of the request being run (a client's own line) and 0
// for others, argv-mem its arguments' bytes; flags and multi show a
// monitor (O), a subscriber (P) and a MULTI block (x, with the number of
// commands queued and multi-mem their size as Redis counts it), for the
// connection itself and seen from another.
func TestClientInfoFieldsMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	fields := []string{"flags", "db", "sub", "psub", "ssub", "multi", "qbuf", "argv-mem", "multi-mem", "obl", "oll", "omem", "events", "cmd", "user", "redir", "resp"}
	pick := func(line string) string {
		var out []string
		for _, f := range fields {
			m := regexp.MustCompile(`(?:^| )` + regexp.QuoteMeta(f) + `=(\S*)`).FindStringSubmatch(line)
			if m == nil {
				out = append(out, f+"=<absent>")
				continue
			}
			out = append(out, f+"="+m[1])
		}
		return strings.Join(out, " ")
	}
	// named finds the line of the client called name in a CLIENT LIST.
	named := func(list, name string) string {
		for _, l := range strings.Split(list, "\n") {
			if strings.Contains(l, " name="+name+" ") {
				return l
			}
		}
		return ""
	}
	type side struct {
		name         string
		self, other  *testkit.RawConn
		sub, watcher *testkit.RawConn
	}
	var sides []*side
	for _, s := range []struct{ name, addr string }{{"moonstone", p.Moonstone.Addr}, {"redis", p.Redis.Addr}} {
		dial := func(name string) *testkit.RawConn {
			rc, err := testkit.DialRaw(s.addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rc.Close() })
			rc.Do("CLIENT", "SETNAME", name)
			return rc
		}
		sides = append(sides, &side{name: s.name, self: dial("self"), other: dial("other"), sub: dial("sub"), watcher: dial("watcher")})
	}
	check := func(what string, get func(sd *side) string) {
		t.Helper()
		var got []string
		for _, sd := range sides {
			got = append(got, pick(get(sd)))
		}
		if got[0] != got[1] {
			t.Errorf("%s:\n  moonstone: %s\n  redis:     %s", what, got[0], got[1])
		}
	}
	do := func(c func(sd *side) *testkit.RawConn, args ...string) {
		for _, sd := range sides {
			if _, err := c(sd).Do(args...); err != nil {
				t.Fatal(err)
			}
		}
	}
	check("CLIENT INFO", func(sd *side) string { r, _ := sd.self.Do("CLIENT", "INFO"); return r })
	check("CLIENT LIST, own line", func(sd *side) string { r, _ := sd.self.Do("CLIENT", "LIST"); return named(r, "self") })
	check("CLIENT LIST, another idle client", func(sd *side) string { r, _ := sd.self.Do("CLIENT", "LIST"); return named(r, "other") })
	do(func(sd *side) *testkit.RawConn { return sd.other }, "MULTI")
	do(func(sd *side) *testkit.RawConn { return sd.other }, "SET", "k", "v")
	do(func(sd *side) *testkit.RawConn { return sd.other }, "INCR", "n")
	do(func(sd *side) *testkit.RawConn { return sd.sub }, "SUBSCRIBE", "a", "b")
	do(func(sd *side) *testkit.RawConn { return sd.sub }, "PSUBSCRIBE", "c*")
	do(func(sd *side) *testkit.RawConn { return sd.watcher }, "MONITOR")
	check("another client in MULTI", func(sd *side) string { r, _ := sd.self.Do("CLIENT", "LIST"); return named(r, "other") })
	check("a subscriber", func(sd *side) string { r, _ := sd.self.Do("CLIENT", "LIST"); return named(r, "sub") })
	check("a monitor", func(sd *side) string { r, _ := sd.self.Do("CLIENT", "LIST"); return named(r, "watcher") })
	check("CLIENT LIST TYPE normal, own line", func(sd *side) string {
		r, _ := sd.self.Do("CLIENT", "LIST", "TYPE", "normal")
		return named(r, "self")
	})
}

// An idle client's query buffer is given back after two seconds, as
// Redis's clientsCron does: CLIENT LIST shows its 16 KB (qbuf-free) after a
// request, none once the client has been idle three seconds, and the
// client is served as before afterwards, with a new buffer. Redis's
// querybuf unit checks the same.
func TestIdleClientsGiveBackTheirQueryBuffer(t *testing.T) {
	p := testkit.StartPair(t)
	queryBuffer := func(list string) (idle, size int) {
		for _, l := range strings.Split(list, "\n") {
			if !strings.Contains(l, " name=idler ") {
				continue
			}
			var qbuf, free int
			for _, f := range strings.Fields(l) {
				k, v, _ := strings.Cut(f, "=")
				switch k {
				case "idle":
					idle, _ = strconv.Atoi(v)
				case "qbuf":
					qbuf, _ = strconv.Atoi(v)
				case "qbuf-free":
					free, _ = strconv.Atoi(v)
				}
			}
			return idle, qbuf + free
		}
		t.Fatalf("no client named idler in %q", list)
		return 0, 0
	}
	for _, s := range []struct{ name, addr string }{{"moonstone", p.Moonstone.Addr}, {"redis", p.Redis.Addr}} {
		idler, observer := testkit.Dial(t, s.addr), testkit.Dial(t, s.addr)
		list := func() string {
			r, err := observer.Do("CLIENT", "LIST")
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		if r, err := idler.Do("CLIENT", "SETNAME", "idler"); err != nil || r != "+OK\r\n" {
			t.Fatalf("%s: CLIENT SETNAME: %q %v", s.name, r, err)
		}
		if _, size := queryBuffer(list()); size < 16384 || size >= 32768 {
			t.Fatalf("%s: query buffer after a request: %d bytes, want 16 KB to 32 KB", s.name, size)
		}
		deadline := time.Now().Add(8 * time.Second)
		for {
			idle, size := queryBuffer(list())
			if idle >= 3 && size == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: query buffer of a client idle %d s: %d bytes, want 0", s.name, idle, size)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if r, err := idler.Do("SET", "k", strings.Repeat("v", 20000)); err != nil || r != "+OK\r\n" {
			t.Fatalf("%s: SET after the buffer was given back: %q %v", s.name, r, err)
		}
		if r, err := idler.Do("STRLEN", "k"); err != nil || r != ":20000\r\n" {
			t.Fatalf("%s: STRLEN after the buffer was given back: %q %v", s.name, r, err)
		}
		if _, size := queryBuffer(list()); size < 16384 {
			t.Fatalf("%s: query buffer after a new request: %d bytes", s.name, size)
		}
	}
}
