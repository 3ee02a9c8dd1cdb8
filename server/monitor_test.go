package server_test

import (
	"fmt"
	"math/rand"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"moonstone/internal/testkit"
)

// A monitor side: a connection in MONITOR mode and a client whose
// commands it watches, on one server.
type monitorSide struct {
	name       string
	mon, cl    *testkit.RawConn
	clientAddr string
}

func startMonitorSide(t *testing.T, name, addr string) *monitorSide {
	t.Helper()
	dial := func() *testkit.RawConn {
		rc, err := testkit.DialRaw(addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rc.Close() })
		return rc
	}
	m := &monitorSide{name: name, mon: dial(), cl: dial()}
	if r, err := m.mon.Do("MONITOR"); err != nil || r != "+OK\r\n" {
		t.Fatalf("%s: MONITOR: %q %v", name, r, err)
	}
	info, err := m.cl.Do("CLIENT", "INFO")
	if err != nil {
		t.Fatal(err)
	}
	m.clientAddr = regexp.MustCompile(`addr=(\S+)`).FindStringSubmatch(info)[1]
	return m
}

var monitorLine = regexp.MustCompile(`^\+(\d+)\.(\d{6}) \[(\d+) ([^\]]+)\] (.*)\r\n$`)

// normalize checks a monitor line's shape and time, and replaces the
// time and the client's address so two servers' lines compare.
func (m *monitorSide) normalize(t *testing.T, line string) string {
	t.Helper()
	f := monitorLine.FindStringSubmatch(line)
	if f == nil {
		t.Fatalf("%s: not a monitor line: %q", m.name, line)
	}
	secs, _ := strconv.ParseInt(f[1], 10, 64)
	if d := time.Since(time.Unix(secs, 0)); d < -time.Minute || d > time.Minute {
		t.Errorf("%s: monitor line time %s is %v away from now", m.name, f[1], d)
	}
	from := f[4]
	if from == m.clientAddr {
		from = "client"
	}
	return fmt.Sprintf("[%s %s] %s", f[3], from, f[5])
}

// linesUntil reads monitor lines up to the one holding marker.
func (m *monitorSide) linesUntil(t *testing.T, marker string) []string {
	t.Helper()
	var out []string
	for {
		r, err := m.mon.ReadWithin(5000)
		if err != nil {
			t.Fatalf("%s: reading the monitor after %d lines: %v", m.name, len(out), err)
		}
		out = append(out, m.normalize(t, r))
		if strings.Contains(r, marker) {
			return out
		}
	}
}

// compareMonitors runs script (testkit.Diff's format; a "!" before a
// command means its reply is not compared) on both clients, then compares
// what both monitors saw, line by line.
func compareMonitors(t *testing.T, p *testkit.Pair, ms, rd *monitorSide, script string) {
	t.Helper()
	for n, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		anyReply := strings.HasPrefix(line, "!")
		args, err := testkit.ParseLine(strings.TrimPrefix(line, "!"))
		if err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		m, err1 := ms.cl.Do(args...)
		r, err2 := rd.cl.Do(args...)
		if err1 != nil || err2 != nil {
			t.Fatalf("line %d %q: %v %v", n+1, line, err1, err2)
		}
		if !anyReply && m != r {
			t.Errorf("line %d: %s\n  moonstone: %q\n  redis:     %q", n+1, line, m, r)
		}
	}
	marker := fmt.Sprintf("end-of-script-%d", rand.Int63())
	for _, side := range []*monitorSide{ms, rd} {
		if _, err := side.cl.Do("ECHO", marker); err != nil {
			t.Fatal(err)
		}
	}
	got, want := ms.linesUntil(t, marker), rd.linesUntil(t, marker)
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("monitor line %d:\n  moonstone: %s\n  redis:     %s", i+1, g, w)
		}
	}
}

// What a monitor sees is what Redis's sees, line by line: every executed
// command of another client with Redis's quoting, none of the refused
// ones (unknown, wrong arity), no admin commands, AUTH and HELLO's
// credentials redacted, commands that fail while running (WRONGTYPE)
// included, MULTI/EXEC as Redis shows them, a script's line before its
// redis.call lines ("[db lua]", the script's own SELECT included),
// functions likewise, blocking commands once.
func TestMonitorMatchesRedis(t *testing.T) {
	p := testkit.StartPair(t)
	ms := startMonitorSide(t, "moonstone", p.Moonstone.Addr)
	rd := startMonitorSide(t, "redis", p.Redis.Addr)
	compareMonitors(t, p, ms, rd, `
SET foo bar
GET foo
SET "with space" "quote\" backslash\\ nl\n cr\r tab\t bell\a bs\b nul\x00 hi\xff\x80 é"
SET 12345 -0.5
MSET a 1 b 2
LPUSH foo x
NOSUCHCOMMAND a b
GET
GET a b
AUTH onlypass
AUTH someuser somepass
AUTH a b c
!HELLO 3 AUTH default secret
!HELLO 2
!HELLO 2 AUTH default secret SETNAME named
!CLIENT ID
CLIENT GETNAME
CLIENT SETNAME "bad name"
CLIENT SETNAME named
CONFIG GET maxmemory
CONFIG SET maxmemory 0
!CLIENT LIST
SLOWLOG LEN
!INFO server
PING
ECHO hi
SELECT 3
SET k3 v3
SELECT 0
MULTI
SET m 1
INCR m
EXEC
MULTI
SYNTAX ERROR
EXEC
MULTI
GET m
DISCARD
MULTI
EXEC extra
EXEC
DISCARD
WATCH m
UNWATCH
EVAL "redis.call('set', KEYS[1], ARGV[1]) return redis.pcall('incr', 'foo')" 1 x y
EVAL "redis.call('select', '5') redis.call('set', 'in5', 'v') return redis.call('get', 'in5')" 0
EVAL "return redis.call('nosuch')" 0
EVAL "return redis.call('get')" 0
EVAL "return redis.call('client', 'list')" 0
EVAL_RO "return redis.call('get', 'foo')" 0
EVAL_RO "return redis.call('set', 'foo', 'x')" 0
EVAL "return 1" notanumber
SCRIPT LOAD "return redis.call('get', KEYS[1])"
EVALSHA 4e6d8fc8bb01276962cce5371fa795a7763657ae 1 foo
EVALSHA 0000000000000000000000000000000000000000 0
EVALSHA tooshort 0
FUNCTION LOAD "#!lua name=monlib\nredis.register_function('f', function(keys, args) return redis.call('set', keys[1], args[1]) end)"
FCALL f 1 fk fv
FCALL nosuch 0
FCALL_RO f 1 fk fv
BLPOP emptylist 0.01
RPUSH l a b c
BLPOP l 0
OBJECT ENCODING foo
DEL foo a b l
MIGRATE 127.0.0.1 1 k 0 100
MIGRATE 127.0.0.1 1 k 0 100 AUTH secret
MIGRATE 127.0.0.1 1 "" 0 100 COPY AUTH2 user secret KEYS k1 k2
PUBLISH ch msg
FLUSHALL
`)
}

// The monitoring connection itself: its own commands are fed after their
// replies, lines queued before a command come before its reply, commands
// that touch the keyspace are refused (inside MULTI too, which then
// aborts), a second MONITOR gets no reply, MONITOR inside MULTI fails when
// EXEC runs it, and RESET ends monitoring: nothing follows +RESET.
func TestMonitorConnectionMatchesRedis(t *testing.T) {
	p := testkit.StartPair(t)
	type side struct {
		name    string
		mon, cl *testkit.RawConn
	}
	var sides []side
	for _, s := range []struct{ name, addr string }{{"moonstone", p.Moonstone.Addr}, {"redis", p.Redis.Addr}} {
		mon, err := testkit.DialRaw(s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer mon.Close()
		cl, err := testkit.DialRaw(s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		sides = append(sides, side{s.name, mon, cl})
	}
	addrs := regexp.MustCompile(`^\+\d+\.\d{6} \[(\d+) [^\]]+\]`)
	// step sends args on the monitor (or, with client set, on the client)
	// and reads n replies from the monitor on both servers.
	step := func(client bool, n int, args ...string) {
		t.Helper()
		var got [2][]string
		for i, s := range sides {
			c := s.mon
			if client {
				c = s.cl
				if _, err := c.Do(args...); err != nil {
					t.Fatal(err)
				}
			} else if err := c.Send(args...); err != nil {
				t.Fatal(err)
			}
			for j := 0; j < n; j++ {
				r, err := s.mon.ReadWithin(5000)
				if err != nil {
					t.Fatalf("%s: %v: reply %d: %v", s.name, args, j, err)
				}
				got[i] = append(got[i], addrs.ReplaceAllString(r, "+T [$1 addr]"))
			}
		}
		if strings.Join(got[0], "") != strings.Join(got[1], "") {
			t.Errorf("%v\n  moonstone: %q\n  redis:     %q", args, got[0], got[1])
		}
	}
	step(false, 1, "MULTI")
	step(false, 1, "MONITOR")
	step(false, 1, "EXEC")
	step(false, 1, "MONITOR")
	step(true, 1, "SET", "k", "v")
	step(false, 2, "PING")
	step(false, 1, "GET", "k")
	step(false, 1, "PUBLISH", "ch", "m")
	step(false, 1, "EVAL", "return 1", "0")
	step(false, 1, "EVAL_RO", "return 1", "0")
	step(false, 2, "SELECT", "2")
	step(false, 2, "MULTI")
	step(false, 1, "GET", "k")
	step(false, 1, "PING")
	step(false, 2, "EXEC")
	// A second MONITOR answers nothing: the PING behind it answers next.
	step(false, 0, "MONITOR")
	step(false, 2, "PING", "after")
	// A line queued before the monitor's command comes before its reply.
	step(true, 0, "SET", "k", "v2")
	step(false, 3, "ECHO", "x")
	step(true, 0, "INCR", "n")
	step(false, 2, "RESET")
	for _, s := range sides {
		if _, err := s.cl.Do("SET", "after", "reset"); err != nil {
			t.Fatal(err)
		}
		if r, err := s.mon.ReadWithin(300); err == nil {
			t.Errorf("%s: a line after RESET: %q", s.name, r)
		}
	}
}

// QUIT on a monitor answers +OK and closes; the server goes on feeding the
// other monitors.
func TestMonitorQuit(t *testing.T) {
	s := testkit.Start(t)
	a, b, cl := s.Raw(t), s.Raw(t), s.Raw(t)
	for _, m := range []*testkit.RawConn{a, b} {
		if r, err := m.Do("MONITOR"); err != nil || r != "+OK\r\n" {
			t.Fatalf("MONITOR: %q %v", r, err)
		}
	}
	if r, err := a.Do("quit"); err != nil || r != "+OK\r\n" {
		t.Fatalf("QUIT: %q %v", r, err)
	}
	if r, err := a.ReadWithin(2000); err == nil {
		t.Fatalf("after QUIT: %q", r)
	}
	// b saw a's QUIT, then sees the client's SET.
	if _, err := cl.Do("set", "k", "v"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"quit"`, `"set" "k" "v"`} {
		r, err := b.ReadWithin(5000)
		if err != nil || !strings.HasSuffix(r, want+"\r\n") {
			t.Fatalf("monitor b: %q %v, want ...%s", r, err, want)
		}
	}
}

// Every byte value is quoted as Redis quotes it (sdscatrepr).
func TestMonitorQuotingMatchesRedis(t *testing.T) {
	p := testkit.StartPair(t)
	ms := startMonitorSide(t, "moonstone", p.Moonstone.Addr)
	rd := startMonitorSide(t, "redis", p.Redis.Addr)
	var all []byte
	for b := 0; b < 256; b++ {
		all = append(all, byte(b))
	}
	rng := rand.New(rand.NewSource(1))
	args := []string{"ECHO", string(all)}
	for i := 0; i < 200; i++ {
		buf := make([]byte, rng.Intn(12))
		rng.Read(buf)
		args = append(args[:1], string(buf))
		for _, side := range []*monitorSide{ms, rd} {
			if _, err := side.cl.Do(args...); err != nil {
				t.Fatal(err)
			}
		}
	}
	args = []string{"ECHO", string(all)}
	for _, side := range []*monitorSide{ms, rd} {
		if _, err := side.cl.Do(args...); err != nil {
			t.Fatal(err)
		}
	}
	marker := "quoting-done"
	for _, side := range []*monitorSide{ms, rd} {
		side.cl.Do("ECHO", marker)
	}
	got, want := ms.linesUntil(t, marker), rd.linesUntil(t, marker)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		for i := range got {
			if i < len(want) && got[i] != want[i] {
				t.Errorf("line %d:\n  moonstone: %s\n  redis:     %s", i+1, got[i], want[i])
			}
		}
		t.Fatalf("%d lines against %d", len(got), len(want))
	}
}

// Under concurrent clients a monitor sees each command exactly once, a
// client's commands in the order it sent them, a script's calls right
// after its EVAL line and EXEC's commands right before its EXEC line,
// with no other writer's line between them. (Commands that take no write
// lock, such as MULTI here, run concurrently and may come between.)
func TestMonitorConcurrentClients(t *testing.T) {
	s := testkit.Start(t)
	mon := s.Raw(t)
	if r, err := mon.Do("MONITOR"); err != nil || r != "+OK\r\n" {
		t.Fatalf("MONITOR: %q %v", r, err)
	}
	const clients, rounds = 8, 50
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rc, err := testkit.DialRaw(s.Addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer rc.Close()
			for i := 0; i < rounds; i++ {
				k := fmt.Sprintf("c%d", c)
				v := strconv.Itoa(i)
				for _, cmd := range [][]string{
					{"set", k, v},
					{"eval", "return redis.call('incr', KEYS[1] .. ':n')", "1", k},
					{"multi"}, {"get", k}, {"exec"},
				} {
					if _, err := rc.Do(cmd...); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}(c)
	}
	wg.Wait()
	if _, err := s.Raw(t).Do("echo", "done"); err != nil {
		t.Fatal(err)
	}
	next := map[string]int{}              // client key -> next round expected
	gets := map[string]string{}           // client address -> its GET awaiting EXEC
	var pendingScript, pendingExec string // a writer's unfinished lines
	for {
		r, err := mon.ReadWithin(5000)
		if err != nil {
			t.Fatalf("reading the monitor: %v", err)
		}
		if strings.HasSuffix(r, `"echo" "done"`+"\r\n") {
			break
		}
		f := monitorLine.FindStringSubmatch(r)
		if f == nil {
			t.Fatalf("not a monitor line: %q", r)
		}
		from, args := f[4], f[5]
		writer := from == "lua" || args == `"exec"` || strings.HasPrefix(args, `"set" `) ||
			strings.HasPrefix(args, `"eval" `) || strings.HasPrefix(args, `"get" `)
		if writer && pendingScript != "" && from != "lua" {
			t.Fatalf("%q between an EVAL and its call %s", r, pendingScript)
		}
		if writer && pendingExec != "" && args != `"exec"` {
			t.Fatalf("%q between EXEC's GET and its EXEC line", r)
		}
		switch {
		case from == "lua":
			if args != pendingScript {
				t.Fatalf("script line %q does not follow its EVAL (want %q)", args, pendingScript)
			}
			pendingScript = ""
		case strings.HasPrefix(args, `"set" `):
			var c, i int
			if _, err := fmt.Sscanf(args, `"set" "c%d" "%d"`, &c, &i); err != nil {
				t.Fatalf("%q: %v", args, err)
			}
			key := strconv.Itoa(c)
			if next[key] != i {
				t.Fatalf("client %d: SET of round %d, expected round %d", c, i, next[key])
			}
			next[key]++
		case strings.HasPrefix(args, `"eval" `):
			k := args[strings.LastIndex(args, " ")+1:]
			pendingScript = `"incr" "` + strings.Trim(k, `"`) + `:n"`
		case args == `"multi"`:
		case strings.HasPrefix(args, `"get" `):
			gets[from] = args
			pendingExec = from
		case args == `"exec"`:
			if gets[from] == "" || pendingExec != from {
				t.Fatalf("EXEC line of %s without its GET right before it", from)
			}
			gets[from], pendingExec = "", ""
		default:
			t.Fatalf("unexpected line %q", r)
		}
	}
	for c := 0; c < clients; c++ {
		if n := next[strconv.Itoa(c)]; n != rounds {
			t.Errorf("client %d: %d SETs seen, want %d", c, n, rounds)
		}
	}
}

// CLIENT LIST flags a monitor O and names MONITOR its last command; it is
// a normal client for TYPE and counts in INFO's connected_clients, as in
// Redis.
func TestMonitorInClientListMatchesRedis(t *testing.T) {
	p := testkit.StartPair(t)
	field := func(line, name string) string {
		m := regexp.MustCompile(`\b` + name + `=(\S*)`).FindStringSubmatch(line)
		if m == nil {
			return "<absent>"
		}
		return m[1]
	}
	for _, s := range []struct{ name, addr string }{{"moonstone", p.Moonstone.Addr}, {"redis", p.Redis.Addr}} {
		mon, err := testkit.DialRaw(s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer mon.Close()
		if _, err := mon.Do("CLIENT", "SETNAME", "watcher"); err != nil {
			t.Fatal(err)
		}
		if r, err := mon.Do("MONITOR"); err != nil || r != "+OK\r\n" {
			t.Fatalf("%s: MONITOR: %q %v", s.name, r, err)
		}
		cl, err := testkit.DialRaw(s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		for _, typ := range []string{"normal", "pubsub"} {
			list, err := cl.Do("CLIENT", "LIST", "TYPE", typ)
			if err != nil {
				t.Fatal(err)
			}
			var line string
			for _, l := range strings.Split(list, "\n") {
				if field(l, "name") == "watcher" {
					line = l
				}
			}
			switch {
			case typ == "pubsub" && line != "":
				t.Errorf("%s: the monitor listed as a pubsub client: %q", s.name, line)
			case typ == "normal" && (field(line, "flags") != "O" || field(line, "cmd") != "monitor"):
				t.Errorf("%s: the monitor's line: %q", s.name, line)
			}
		}
	}
}

// With no monitor, none is fed; once the last monitor leaves the server
// stops feeding (the registry empties, so the per-command check is one
// load again).
func TestMonitorLeavingStopsFeeding(t *testing.T) {
	s := testkit.Start(t)
	mon := s.Raw(t)
	if r, err := mon.Do("MONITOR"); err != nil || r != "+OK\r\n" {
		t.Fatalf("MONITOR: %q %v", r, err)
	}
	if n := s.Srv.Monitors(); n != 1 {
		t.Fatalf("monitors: %d", n)
	}
	mon.Close()
	deadline := time.Now().Add(5 * time.Second)
	for s.Srv.Monitors() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("monitors after the monitor left: %d", s.Srv.Monitors())
		}
		time.Sleep(10 * time.Millisecond)
	}
	reset := s.Raw(t)
	reset.Do("MONITOR")
	if r, err := reset.Do("RESET"); err != nil || r != "+RESET\r\n" {
		t.Fatalf("RESET: %q %v", r, err)
	}
	if n := s.Srv.Monitors(); n != 0 {
		t.Fatalf("monitors after RESET: %d", n)
	}
}
