package server_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"moonstone/internal/testkit"
)

// CLIENT PAUSE / UNPAUSE. Most tests run one scenario against Moonstone
// and against redis-server, through real sockets, and compare the two
// transcripts: every reply, every "held" and the blocked_clients counts.

func TestClientPauseArgumentsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
CLIENT PAUSE
CLIENT PAUSE abc
CLIENT PAUSE abc foo
CLIENT PAUSE 10 foo
CLIENT PAUSE -1
CLIENT PAUSE -1 write
CLIENT PAUSE -1 foo
CLIENT PAUSE 1.5
CLIENT PAUSE ""
CLIENT PAUSE " 1"
CLIENT PAUSE 99999999999999999999
CLIENT PAUSE 10 write extra
CLIENT pause 10 WRITE extra
CLIENT UNPAUSE x
CLIENT UNPAUSE
# a timeout of 0 pauses nothing
CLIENT PAUSE 0
CLIENT PAUSE 0 all
SET k v
# so does one whose end overflows into the past
CLIENT PAUSE 9223372036854775807 write
SET k v2
GET k
# under a WRITE pause: reads, errors found before the pause, read-only scripts
CLIENT PAUSE 100000 WRITE
GET k
PING
DBSIZE
SET k
NOSUCH x
EVAL_RO "return redis.call('get', KEYS[1])" 1 k
EVAL "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])" 1 k
EVAL_RO "return redis.call('publish', 'ch', 'msg')" 0
EVAL "#!lua flags=no-writes\nreturn redis.call('publish', 'ch', 'msg')" 0
EVAL_RO "return redis.call('spublish', 'ch', 'msg')" 0
EVALSHA_RO ffffffffffffffffffffffffffffffffffffffff 0
FCALL_RO nosuch 0
MULTI
GET k
PING
EXEC
MULTI
EXEC
EXEC
CLIENT PAUSE 100000 write
CLIENT UNPAUSE
CLIENT UNPAUSE
EVAL "return redis.call('publish', 'ch', 'msg')" 0
`)
}

// COMMAND does not show may_replicate, which Redis hides on purpose.
func TestClientPauseCommandFlagsMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	flags := regexp.MustCompile(`^\*1\r\n\*10\r\n\$\d+\r\n[^\r]+\r\n:-?\d+\r\n(\*\d+\r\n(?:\+[^\r]+\r\n)*)`)
	for _, name := range []string{"publish", "spublish", "eval", "evalsha", "fcall", "eval_ro", "fcall_ro", "client|pause", "client|unpause"} {
		m, r, err := p.Do("COMMAND", "INFO", name)
		if err != nil {
			t.Fatal(err)
		}
		mf, rf := flags.FindStringSubmatch(m), flags.FindStringSubmatch(r)
		if mf == nil || rf == nil || mf[1] != rf[1] {
			t.Errorf("COMMAND INFO %s flags:\n  moonstone: %q\n  redis:     %q", name, mf, rf)
		}
	}
}

// pauseSession runs a scenario on one server and writes its transcript.
type pauseSession struct {
	t    *testing.T
	addr string
	ctl  *testkit.RawConn
	log  strings.Builder
}

func (s *pauseSession) dial() *testkit.RawConn {
	s.t.Helper()
	rc, err := testkit.DialRaw(s.addr)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { rc.Close() })
	return rc
}

// do runs a command and logs it with its reply.
func (s *pauseSession) do(rc *testkit.RawConn, args ...string) string {
	s.t.Helper()
	reply, err := rc.Do(args...)
	if err != nil {
		s.t.Fatalf("%q: %v", args, err)
	}
	fmt.Fprintf(&s.log, "> %s\n%s", strings.Join(args, " "), reply)
	return reply
}

// send sends a command whose reply is read later.
func (s *pauseSession) send(rc *testkit.RawConn, args ...string) {
	s.t.Helper()
	if err := rc.Send(args...); err != nil {
		s.t.Fatal(err)
	}
	fmt.Fprintf(&s.log, "> %s (sent)\n", strings.Join(args, " "))
}

// read reads and logs a reply to a command sent earlier.
func (s *pauseSession) read(rc *testkit.RawConn) string {
	s.t.Helper()
	reply, err := rc.Read()
	if err != nil {
		s.t.Fatalf("read: %v", err)
	}
	fmt.Fprintf(&s.log, "< %s", reply)
	return reply
}

// silent checks that no reply comes for a while.
func (s *pauseSession) silent(rc *testkit.RawConn) {
	s.t.Helper()
	if reply, err := rc.ReadWithin(100); err == nil {
		s.t.Fatalf("a held command replied %q", reply)
	}
	s.log.WriteString("(no reply)\n")
}

var blockedRE = regexp.MustCompile(`blocked_clients:(\d+)`)

// waitBlocked waits until INFO counts n blocked clients, as the suite's
// wait_for_blocked_clients_count does.
func (s *pauseSession) waitBlocked(n int) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		reply, err := s.ctl.Do("INFO", "clients")
		if err != nil {
			s.t.Fatal(err)
		}
		m := blockedRE.FindStringSubmatch(reply)
		if m != nil && m[1] == strconv.Itoa(n) {
			fmt.Fprintf(&s.log, "blocked_clients:%d\n", n)
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waiting for %d blocked clients: %v", n, m)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *pauseSession) note(format string, args ...any) {
	fmt.Fprintf(&s.log, format+"\n", args...)
}

// diffPause runs scenario against a fresh Moonstone and a fresh
// redis-server and compares the transcripts.
func diffPause(t *testing.T, scenario func(s *pauseSession)) {
	t.Helper()
	p := testkit.StartPair(t)
	var logs [2]string
	for i, addr := range []string{p.Moonstone.Addr, p.Redis.Addr} {
		s := &pauseSession{t: t, addr: addr}
		s.ctl = s.dial()
		scenario(s)
		logs[i] = s.log.String()
	}
	if logs[0] != logs[1] {
		t.Errorf("transcripts differ\n--- moonstone\n%s--- redis\n%s", logs[0], logs[1])
	}
}

// A write held by PAUSE WRITE runs after UNPAUSE; meanwhile reads, scripts
// that do not write and blocks of reads are served.
func TestClientPauseWriteHoldsWritesServesReads(t *testing.T) {
	diffPause(t, func(s *pauseSession) {
		w := s.dial()
		s.do(s.ctl, "SET", "k", "1")
		s.do(s.ctl, "CLIENT", "PAUSE", "60000", "WRITE")
		s.send(w, "SET", "k", "2")
		s.waitBlocked(1)
		s.silent(w)
		s.do(s.ctl, "GET", "k")
		s.do(s.ctl, "MGET", "k", "nokey")
		s.do(s.ctl, "EVAL_RO", "return redis.call('get', KEYS[1])", "1", "k")
		s.do(s.ctl, "EVAL", "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", "1", "k")
		s.do(s.ctl, "MULTI")
		s.do(s.ctl, "GET", "k")
		s.do(s.ctl, "EXEC")
		s.do(s.ctl, "WATCH", "k")
		s.do(s.ctl, "UNWATCH")
		s.do(s.ctl, "CLIENT", "UNPAUSE")
		s.read(w)
		s.do(s.ctl, "GET", "k")
		s.waitBlocked(0)
	})
}

// PUBLISH and every script or function that may write are held; scripts
// and functions declared no-writes run. Commands that fail at once in
// Redis (arity, NOSCRIPT of EVALSHA_RO, FCALL_RO of no function) fail at
// once; those whose error comes from running them get it after the pause.
func TestClientPauseWriteHoldsScriptsAndPublish(t *testing.T) {
	diffPause(t, func(s *pauseSession) {
		s.do(s.ctl, "FUNCTION", "LOAD", "REPLACE", "#!lua name=pauselib\n"+
			"redis.register_function{function_name='reader', callback=function() return 'r' end, flags={'no-writes'}}\n"+
			"redis.register_function('writer', function() return 'w' end)")
		s.do(s.ctl, "PFADD", "hll", "a", "b", "c")
		s.do(s.ctl, "CLIENT", "PAUSE", "60000", "WRITE")
		held := [][]string{
			{"PFCOUNT", "hll"}, // readonly, but it may store its cache: may_replicate
			{"PUBLISH", "ch", "m"},
			{"SPUBLISH", "ch", "m"},
			{"EVAL", "return 1", "0"},
			{"EVAL", "#!lua\nreturn 2", "0"},
			{"EVAL", "#!lua flags=allow-oom\nreturn 3", "0"},
			{"EVAL", "return 4", "1"}, // numkeys too large: an error once it runs
			{"EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"},
			{"EVALSHA", "short", "0"},
			{"EVAL_RO", "#!lua\nreturn 5", "0"},
			{"FCALL", "writer", "0"},
			{"FCALL_RO", "writer", "0"},
			{"FCALL", "nosuch", "0"},
			{"SCRIPT", "LOAD", "return 6"}, // not a write in Redis either: runs
		}
		var conns []*testkit.RawConn
		n := 0
		for _, args := range held {
			rc := s.dial()
			conns = append(conns, rc)
			if args[0] == "SCRIPT" {
				s.do(rc, args...)
				continue
			}
			s.send(rc, args...)
			n++
			s.waitBlocked(n)
		}
		s.do(s.ctl, "FCALL", "reader", "0")
		s.do(s.ctl, "FCALL_RO", "reader", "0")
		s.do(s.ctl, "EVALSHA_RO", "ffffffffffffffffffffffffffffffffffffffff", "0")
		s.do(s.ctl, "FCALL_RO", "nosuch", "0")
		s.do(s.ctl, "CLIENT", "UNPAUSE")
		for i, rc := range conns {
			if held[i][0] != "SCRIPT" {
				s.read(rc)
			}
		}
		s.waitBlocked(0)
	})
}

// A block holding a write is held at EXEC; a write sent inside MULTI is
// held before it is queued; a block of reads, or an empty one, runs.
func TestClientPauseWriteAndMulti(t *testing.T) {
	diffPause(t, func(s *pauseSession) {
		w1, w2 := s.dial(), s.dial()
		s.do(w1, "MULTI")
		s.do(w1, "SET", "a", "1")
		s.do(w1, "GET", "a")
		s.do(s.ctl, "CLIENT", "PAUSE", "60000", "WRITE")
		s.send(w1, "EXEC")
		s.waitBlocked(1)
		s.do(w2, "MULTI")
		s.do(w2, "GET", "a")
		s.send(w2, "INCR", "b")
		s.waitBlocked(2)
		s.do(s.ctl, "MULTI")
		s.do(s.ctl, "EXEC")
		s.do(s.ctl, "MULTI")
		s.do(s.ctl, "GET", "a")
		s.do(s.ctl, "EVAL", "#!lua flags=no-writes\nreturn 12", "0")
		s.do(s.ctl, "EXEC")
		s.do(s.ctl, "CLIENT", "UNPAUSE")
		s.read(w1)
		s.read(w2)
		s.do(w2, "EXEC")
		s.do(s.ctl, "MGET", "a", "b")
	})
}

// A pause issued inside MULTI starts once EXEC's block is done: the rest of
// the block runs, a write sent after EXEC is held.
func TestClientPauseStartsAfterExec(t *testing.T) {
	diffPause(t, func(s *pauseSession) {
		w := s.dial()
		s.do(s.ctl, "MULTI")
		s.do(s.ctl, "SET", "f1", "x")
		s.do(s.ctl, "CLIENT", "PAUSE", "60000", "WRITE")
		s.do(s.ctl, "SET", "f2", "x")
		s.do(s.ctl, "EXEC")
		s.send(w, "SET", "f3", "x")
		s.waitBlocked(1)
		s.do(s.ctl, "MGET", "f1", "f2", "f3")
		// UNPAUSE inside MULTI also waits for EXEC.
		s.do(s.ctl, "MULTI")
		s.do(s.ctl, "CLIENT", "UNPAUSE")
		s.do(s.ctl, "GET", "f3")
		s.do(s.ctl, "EXEC")
		s.read(w)
		s.do(s.ctl, "GET", "f3")
	})
}

// Held clients run in the order they were held.
func TestClientPauseReleasesInOrder(t *testing.T) {
	diffPause(t, func(s *pauseSession) {
		s.do(s.ctl, "CLIENT", "PAUSE", "60000", "WRITE")
		var conns []*testkit.RawConn
		for i := 0; i < 6; i++ {
			rc := s.dial()
			conns = append(conns, rc)
			s.send(rc, "RPUSH", "l", strconv.Itoa(i))
			s.waitBlocked(i + 1)
		}
		// A write pipelined behind reads: the reads are answered now.
		p := s.dial()
		if err := p.Write([]byte("GET l\r\nPING\r\nSET k v\r\n")); err != nil {
			t.Fatal(err)
		}
		s.read(p)
		s.read(p)
		s.waitBlocked(7)
		s.do(s.ctl, "CLIENT", "UNPAUSE")
		for _, rc := range conns {
			s.read(rc)
		}
		s.read(p)
		s.do(s.ctl, "LRANGE", "l", "0", "-1")
	})
}

// A held client that disconnects or is killed is dropped: its command
// never runs.
func TestClientPauseDropsClientsThatLeave(t *testing.T) {
	diffPause(t, func(s *pauseSession) {
		s.do(s.ctl, "CLIENT", "PAUSE", "60000", "WRITE")
		w := s.dial()
		s.send(w, "SET", "gone", "1")
		s.waitBlocked(1)
		w.Close()
		s.waitBlocked(0)

		k := s.dial()
		id, err := k.Do("CLIENT", "ID")
		if err != nil {
			t.Fatal(err)
		}
		s.send(k, "SET", "killed", "1")
		s.waitBlocked(1)
		list, _ := s.ctl.Do("CLIENT", "LIST", "ID", strings.Trim(id, ":\r\n"))
		s.note("flags=b %v cmd=set %v", strings.Contains(list, " flags=b "), strings.Contains(list, " cmd=set "))
		kill, _ := s.ctl.Do("CLIENT", "KILL", "ID", strings.Trim(id, ":\r\n"))
		s.note("CLIENT KILL ID: %q", kill)
		s.waitBlocked(0)
		s.do(s.ctl, "CLIENT", "UNPAUSE")
		s.do(s.ctl, "MGET", "gone", "killed")
	})
}

// A held client whose connection ends is dropped also when it had sent
// more requests behind the held one, or sent them while held: none runs.
func TestClientPauseDropsClientsThatEndWithRequestsQueued(t *testing.T) {
	diffPause(t, func(s *pauseSession) {
		s.do(s.ctl, "CLIENT", "PAUSE", "60000", "WRITE")
		w := s.dial()
		s.send(w, "SET", "a", "1")
		s.send(w, "SET", "b", "1")
		s.waitBlocked(1)
		time.Sleep(50 * time.Millisecond)
		if err := w.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		s.waitBlocked(0)

		l := s.dial()
		s.send(l, "SET", "c", "1")
		s.waitBlocked(1)
		s.send(l, "SET", "d", "1")
		time.Sleep(50 * time.Millisecond)
		if err := l.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		s.waitBlocked(0)
		s.do(s.ctl, "CLIENT", "UNPAUSE")
		s.do(s.ctl, "MGET", "a", "b", "c", "d")
	})
}

// Expired keys stay while paused (reads hide them; INFO expired_keys does
// not move); once unpaused they are removed.
func TestClientPauseDefersExpiry(t *testing.T) {
	expired := regexp.MustCompile(`expired_keys:(\d+)`)
	diffPause(t, func(s *pauseSession) {
		expiredKeys := func() {
			reply, err := s.ctl.Do("INFO", "stats")
			if err != nil {
				t.Fatal(err)
			}
			s.note("expired_keys:%s", expired.FindStringSubmatch(reply)[1])
		}
		s.do(s.ctl, "CONFIG", "RESETSTAT")
		s.do(s.ctl, "SET", "e1", "v", "PX", "30")
		s.do(s.ctl, "SET", "e2", "v", "PX", "30")
		s.do(s.ctl, "SET", "e3", "v", "PX", "30")
		s.do(s.ctl, "CLIENT", "PAUSE", "60000", "WRITE")
		time.Sleep(400 * time.Millisecond) // several sweeper ticks
		s.do(s.ctl, "GET", "e1")
		s.do(s.ctl, "EXISTS", "e1", "e2", "e3")
		s.do(s.ctl, "MULTI")
		s.do(s.ctl, "GET", "e2")
		s.do(s.ctl, "TTL", "e3")
		s.do(s.ctl, "EXEC")
		expiredKeys()
		s.do(s.ctl, "CLIENT", "UNPAUSE")
		s.do(s.ctl, "GET", "e1")
		s.do(s.ctl, "GET", "e2")
		s.do(s.ctl, "GET", "e3")
		expiredKeys()
		s.do(s.ctl, "DBSIZE")
	})
}

// A pause ends by itself after its timeout; a later PAUSE keeps the later
// end and the stronger mode; PAUSE ALL holds every command, CLIENT UNPAUSE
// included.
func TestClientPauseTimeouts(t *testing.T) {
	// since reports how long a held command waited, in coarse buckets that
	// both servers fall in whatever the machine's load.
	since := func(start time.Time, min time.Duration) string {
		d := time.Since(start)
		switch {
		case d < min:
			return fmt.Sprintf("early (%v < %v)", d, min)
		case d > min+5*time.Second:
			return fmt.Sprintf("late (%v)", d)
		}
		return "on time"
	}
	diffPause(t, func(s *pauseSession) {
		w := s.dial()
		start := time.Now()
		s.do(s.ctl, "CLIENT", "PAUSE", "300", "WRITE")
		s.send(w, "SET", "t", "1")
		s.read(w)
		s.note("write: %s", since(start, 300*time.Millisecond))

		start = time.Now()
		s.do(s.ctl, "CLIENT", "PAUSE", "200", "WRITE")
		s.do(s.ctl, "CLIENT", "PAUSE", "900", "WRITE")
		s.do(s.ctl, "CLIENT", "PAUSE", "100", "WRITE") // does not shorten it
		s.send(w, "SET", "t", "2")
		s.read(w)
		s.note("extended: %s", since(start, 900*time.Millisecond))

		start = time.Now()
		s.do(s.ctl, "CLIENT", "PAUSE", "700", "WRITE")
		s.do(s.ctl, "CLIENT", "PAUSE", "0", "ALL") // ALL until the WRITE pause's end
		r := s.dial()
		s.send(r, "GET", "t")
		s.send(s.ctl, "CLIENT", "UNPAUSE")
		s.silent(r)
		s.read(s.ctl)
		s.read(r)
		s.note("strengthened: %s", since(start, 700*time.Millisecond))
	})
}

// When CLIENT PAUSE WRITE replies, no write commits until the pause ends,
// also for writes already under way, pipelined, or in scripts and blocks
// (Moonstone runs commands concurrently, unlike Redis).
func TestClientPauseStopsWritesInFlight(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	var stop atomic.Bool
	var wg sync.WaitGroup
	writer := func(send []byte, replies int) {
		defer wg.Done()
		rc, err := testkit.DialRaw(s.Addr)
		if err != nil {
			t.Error(err)
			return
		}
		defer rc.Close()
		for !stop.Load() {
			if err := rc.Write(send); err != nil {
				t.Error(err)
				return
			}
			for i := 0; i < replies; i++ {
				if _, err := rc.Read(); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}
	incr := []byte("INCR n\r\n")
	pipeline := []byte(strings.Repeat("INCR n\r\n", 16))
	body := "return redis.call('incr', 'n')"
	script := []byte(fmt.Sprintf("*3\r\n$4\r\nEVAL\r\n$%d\r\n%s\r\n$1\r\n0\r\n", len(body), body))
	block := []byte("MULTI\r\nINCR n\r\nINCR n\r\nEXEC\r\n")
	for i := 0; i < 3; i++ {
		wg.Add(4)
		go writer(incr, 1)
		go writer(pipeline, 16)
		go writer(script, 1)
		go writer(block, 4)
	}
	ctl := s.NewClient()
	defer ctl.Close()
	for round := 0; round < 20; round++ {
		time.Sleep(20 * time.Millisecond)
		if err := ctl.Do(ctx, "CLIENT", "PAUSE", "60000", "WRITE").Err(); err != nil {
			t.Fatal(err)
		}
		before, err := ctl.Get(ctx, "n").Int64()
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Millisecond)
		after, err := ctl.Get(ctx, "n").Int64()
		if err != nil {
			t.Fatal(err)
		}
		if after != before {
			t.Errorf("round %d: n went from %d to %d during the pause", round, before, after)
		}
		if err := ctl.Do(ctx, "CLIENT", "UNPAUSE").Err(); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if n, _ := ctl.Get(ctx, "n").Int64(); n == 0 {
		t.Error("no write ran")
	}
}

// A server shutting down with held clients does not wait for the pause.
func TestClientPauseShutdownWithHeldClients(t *testing.T) {
	s := testkit.Start(t)
	ctl := s.Raw(t)
	if reply, _ := ctl.Do("CLIENT", "PAUSE", "600000", "ALL"); reply != "+OK\r\n" {
		t.Fatalf("CLIENT PAUSE: %q", reply)
	}
	w := s.Raw(t)
	w.Send("SET", "k", "v")
	ctl.Send("PING")
	time.Sleep(100 * time.Millisecond)
	done := make(chan struct{})
	go func() {
		s.Stop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("shutdown waited for the pause")
	}
}
