package server_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"moonstone/internal/testkit"
	"moonstone/server"
)

// trackSide is one server's named connections in a tracking conversation.
type trackSide struct {
	name  string
	addr  string
	conns map[string]*testkit.RawConn
	ids   map[string]string // connection name -> its CLIENT ID
}

func (s *trackSide) conn(t *testing.T, name string) *testkit.RawConn {
	t.Helper()
	if c := s.conns[name]; c != nil {
		return c
	}
	c, err := testkit.DialRaw(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	id, err := c.Do("CLIENT", "ID")
	if err != nil || !strings.HasPrefix(id, ":") {
		t.Fatalf("%s CLIENT ID: %q %v", s.name, id, err)
	}
	s.conns[name] = c
	s.ids[name] = strings.TrimSuffix(id[1:], "\r\n")
	return c
}

// normalize replaces the integers that are this side's client ids with
// the connections' names, so replies that name clients compare.
func (s *trackSide) normalize(frame string) string {
	for name, id := range s.ids {
		frame = strings.ReplaceAll(frame, ":"+id+"\r\n", ":<"+name+">\r\n")
	}
	return frame
}

var idRef = regexp.MustCompile(`\$id:([A-Z]+)`)

// trackDiff plays a conversation on Moonstone and redis-server and compares
// every frame each connection receives, byte for byte. Each line is
//
//	A CMD args...   send on connection A, read one frame
//	A3 CMD args...  send, read three frames (a reply and two pushes, ...)
//	A0 CMD args...  send, read nothing
//	A? CMD args...  send, read one frame without comparing it (HELLO)
//	A#...           compare with client ids replaced by connection names
//	A<              read one frame (a push) and compare it
//	A.              PING, compare every frame up to PONG (what was pending)
//	sleep MS        wait
//
// Connections open on first use; $id:R in an argument is R's client id on
// that server.
func trackDiff(t *testing.T, script string, opts ...string) {
	t.Helper()
	p := testkit.StartPair(t, opts...)
	sides := []*trackSide{
		{name: "moonstone", addr: p.Moonstone.Addr, conns: map[string]*testkit.RawConn{}, ids: map[string]string{}},
		{name: "redis", addr: p.Redis.Addr, conns: map[string]*testkit.RawConn{}, ids: map[string]string{}},
	}
	head := regexp.MustCompile(`^([A-Z]+)(#?)([0-9]*|\?|<|\.)(#?)$`)
	for n, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.SplitN(line, " ", 2)
		if fields[0] == "sleep" {
			var ms int
			fmt.Sscan(fields[1], &ms)
			time.Sleep(time.Duration(ms) * time.Millisecond)
			continue
		}
		m := head.FindStringSubmatch(fields[0])
		if m == nil {
			t.Fatalf("line %d: bad head %q", n+1, fields[0])
		}
		who, mode, ids := m[1], m[3], m[2] != "" || m[4] != ""
		var args []string
		if len(fields) == 2 {
			var err error
			if args, err = testkit.ParseLine(fields[1]); err != nil {
				t.Fatalf("line %d: %v", n+1, err)
			}
		}
		frames := 1
		switch mode {
		case "<":
			args = nil
		case ".":
			args = []string{"PING"}
		case "?":
		case "":
		default:
			fmt.Sscan(mode, &frames)
		}
		got := make([][]string, len(sides))
		for i, s := range sides {
			c := s.conn(t, who)
			if args != nil {
				sent := make([]string, len(args))
				for j, a := range args {
					sent[j] = idRef.ReplaceAllStringFunc(a, func(ref string) string {
						s.conn(t, ref[4:])
						return s.ids[ref[4:]]
					})
				}
				if err := c.Send(sent...); err != nil {
					t.Fatalf("line %d %s: %v", n+1, s.name, err)
				}
			}
			for k := 0; k < frames || mode == "." && !isPong(got[i][len(got[i])-1]); k++ {
				f, err := c.ReadWithin(5000)
				if err != nil {
					t.Fatalf("line %d %q: %s: frame %d: %v (so far %q)", n+1, line, s.name, k, err, got[i])
				}
				if ids {
					f = s.normalize(f)
				}
				got[i] = append(got[i], f)
			}
		}
		if testing.Verbose() {
			t.Logf("line %d %s\n  moonstone %q\n  redis     %q", n+1, line, got[0], got[1])
		}
		if mode == "?" {
			continue
		}
		if strings.Join(got[0], "") != strings.Join(got[1], "") {
			t.Errorf("line %d: %s\n  moonstone: %q\n  redis:     %q", n+1, line, got[0], got[1])
		}
	}
}

// isPong reports PING's reply, also in RESP2's subscribed mode.
func isPong(f string) bool { return f == "+PONG\r\n" || f == "*2\r\n$4\r\npong\r\n$0\r\n\r\n" }

func TestTrackingResp3PushMatchesRedis(t *testing.T) {
	trackDiff(t, `
A? HELLO 3
A CLIENT TRACKING on
A CLIENT TRACKINGINFO
B SET k 1
A GET k
A.
B SET k 2
A<
# Forgotten once told: no second message.
B SET k 3
A.
A MGET k x y
B MSET y 1 x 2 k 3
A<
A<
A<
A.
# Keys are names, not keys of one database.
A GET k
B SELECT 5
B SET k other
A<
# The tracking client's own write: the reply, then the message.
A GET k
A2 SET k mine
A GET k
A2 DEL k
A.
# Reads of other commands remember their keys (key positions).
A HGET h f
A LRANGE l 0 -1
A ZSCORE z m
A EXISTS e1 e2
A OBJECT ENCODING o
B SELECT 0
B HSET h f v
A<
B RPUSH l a
A<
B ZADD z 1 m
A<
B MSET e2 1 o 1
A<
A<
A.
# Write commands remember nothing.
A SET w 1
A GETDEL w
A INCR w
B SET w 2
A.
# Tracking off: keys read before are forgotten lazily, nothing is sent.
A GET k
A CLIENT TRACKING off
B SET k 4
A.
A CLIENT TRACKINGINFO
A CLIENT GETREDIR
`)
}

func TestTrackingResp2RedirectMatchesRedis(t *testing.T) {
	trackDiff(t, `
R SUBSCRIBE __redis__:invalidate
A CLIENT TRACKING on REDIRECT $id:R
A# CLIENT GETREDIR
A# CLIENT TRACKINGINFO
A GET k
B SET k 1
R<
# A RESP2 client without redirect hears nothing.
C CLIENT TRACKING on
C GET c
B SET c 1
C.
# Two clients redirect to one connection.
C CLIENT TRACKING on REDIRECT $id:R
C GET c
A GET a
B MSET a 1 c 1
R<
R<
# Flushes send a null to every tracking client.
A GET k
B FLUSHALL
R<
R<
B FLUSHDB
R<
R<
R.
# A RESP3 redirect target gets pushes, whether subscribed or not.
S? HELLO 3
A CLIENT TRACKING on REDIRECT $id:S
A GET k
B SET k 2
S<
B FLUSHDB
S<
# The target leaves: a RESP2 client just notes it (broken_redirect).
A GET k
S QUIT
sleep 50
B SET k 3
A.
A# CLIENT TRACKINGINFO
A# CLIENT GETREDIR
A CLIENT TRACKING on REDIRECT 999999
A CLIENT TRACKING off
`)
}

func TestTrackingRedirectBrokenResp3MatchesRedis(t *testing.T) {
	trackDiff(t, `
A? HELLO 3
A CLIENT TRACKING on REDIRECT $id:R
A GET k
A GET j
R QUIT
sleep 50
B MSET k 1 j 1
A#<
A#<
A# CLIENT TRACKINGINFO
A CLIENT TRACKING on
A CLIENT TRACKINGINFO
`)
}

func TestTrackingBcastMatchesRedis(t *testing.T) {
	trackDiff(t, `
A? HELLO 3
A CLIENT TRACKING on BCAST PREFIX a: PREFIX b:
A CLIENT TRACKINGINFO
B MULTI
B INCR a:1
B INCR b:2
B INCR c:3
B INCR a:0
B SET b:2 x
B EXEC
# One message per prefix, the keys in byte order.
A<
A<
A.
B SET nomatch 1
A.
A CLIENT TRACKING on BCAST PREFIX c:
B MSET c:1 1 a:9 1
A<
A<
A.
A CLIENT TRACKING on BCAST PREFIX c
A CLIENT TRACKING on BCAST PREFIX x PREFIX xy
A CLIENT TRACKING on BCAST PREFIX yz PREFIX y
A CLIENT TRACKING on BCAST PREFIX x PREFIX x
A CLIENT TRACKING on PREFIX x
A CLIENT TRACKING on
A CLIENT TRACKING on BCAST OPTIN
A CLIENT TRACKINGINFO
A CLIENT TRACKING off
A CLIENT TRACKINGINFO
# BCAST with no prefix follows every key; NOLOOP leaves out the client's own.
A CLIENT TRACKING on BCAST NOLOOP
A SET mine 1
A.
B SET theirs 1
A<
A MSET mine 2 mine2 3
A.
B FLUSHALL
A<
A.
# Reads remember nothing in BCAST mode.
A CLIENT TRACKING off
A CLIENT TRACKING on BCAST PREFIX p
A GET q
B SET q 1
A.
`)
}

func TestTrackingOptInOptOutMatchesRedis(t *testing.T) {
	trackDiff(t, `
A? HELLO 3
A CLIENT CACHING yes
A CLIENT TRACKING on OPTIN
A CLIENT TRACKINGINFO
A GET k
A CLIENT CACHING yes
A CLIENT TRACKINGINFO
A GET j
A GET i
B MSET k 1 j 1 i 1
A<
A.
# CLIENT commands keep the choice; any other command uses it up.
A CLIENT CACHING yes
A# CLIENT ID
A PING
A GET k
B SET k 2
A.
# Inside MULTI it lasts until EXEC.
A CLIENT CACHING yes
A MULTI
A GET a
A GET b
A EXEC
A GET c
B MSET a 1 b 1 c 1
A<
A<
A.
A CLIENT CACHING no
A CLIENT CACHING maybe
A CLIENT TRACKING on OPTOUT
A CLIENT TRACKING on OPTIN OPTOUT
A CLIENT TRACKING off
A CLIENT CACHING yes
A CLIENT TRACKING on OPTOUT
A CLIENT CACHING yes
A CLIENT CACHING no
A CLIENT TRACKINGINFO
A GET k
A GET j
B MSET k 3 j 3
A<
A.
`)
}

func TestTrackingNoLoopMatchesRedis(t *testing.T) {
	trackDiff(t, `
A? HELLO 3
A CLIENT TRACKING on NOLOOP
A CLIENT TRACKINGINFO
A MGET k j
A SET k 1
A.
# The client's own write forgets the key too.
B SET k 2
A.
B SET j 2
A<
A GET s
A EVAL "return redis.call('set', KEYS[1], 'x')" 1 s
A.
A GET m
A MULTI
A SET m 1
A EXEC
A.
`)
}

func TestTrackingScriptsAndTransactionsMatchRedis(t *testing.T) {
	trackDiff(t, `
A? HELLO 3
A CLIENT TRACKING on
# A script's write invalidates.
A GET k
B EVAL "return redis.call('set', KEYS[1], 'x')" 1 k
A<
# A script remembers its declared keys once it calls a read command.
A EVAL "return redis.call('set', 'other', 'x')" 2 k1 k2
B MSET k1 1 k2 1
A.
A EVAL "return redis.call('get', 'other')" 2 k1 k2
B MSET k2 2 k1 2
A<
A<
A EVAL_RO "return redis.call('ping')" 1 k1
B SET k1 3
A.
A EVAL_RO "return redis.call('exists', 'zzz')" 1 k1
B SET k1 4
A<
A EVAL "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])" 1 k3
B SET k3 1
A<
A FUNCTION LOAD "#!lua name=lib\nredis.register_function{function_name='rd', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}\nredis.register_function('wr', function(keys) return redis.call('set', keys[1], 'y') end)"
A FCALL_RO rd 1 f1
A FCALL rd 1 f2
B MSET f1 1 f2 1
A<
A<
# Read then write in one script: the message follows the reply.
A2 EVAL "redis.call('get', KEYS[1]); return redis.call('set', KEYS[1], 'z')" 1 g
A.
# Write then read: the key stays remembered.
A EVAL "redis.call('set', KEYS[1], 'z'); return redis.call('get', KEYS[1])" 1 g
A.
B SET g 1
A<
# MULTI: reads and writes in order; the messages follow EXEC's reply.
A MSET a 1 b 2
A GET a
A MULTI
A INCR a
A GET b
A2 EXEC
A MULTI
A INCR b
A GET b
A EXEC
A.
B SET b 9
A<
A MULTI
A FLUSHDB
A2 EXEC
B SET b 1
A.
# A blocked client is told after the reply that served it.
A RPUSH l2 a
A LRANGE l2 0 -1
A0 BLMOVE l1 l2 LEFT LEFT 0
sleep 100
B RPUSH l1 x
A<
A<
A.
`)
}

func TestTrackingExpiryMatchesRedis(t *testing.T) {
	trackDiff(t, `
R SUBSCRIBE __redis__:invalidate
A CLIENT TRACKING on REDIRECT $id:R
B SET k v PX 100
A GET k
sleep 400
R<
R.
`)
}

func TestTrackingErrorsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
CLIENT TRACKING
CLIENT TRACKING maybe
CLIENT TRACKING on foo
CLIENT TRACKING on REDIRECT
CLIENT TRACKING on REDIRECT abc
CLIENT TRACKING on REDIRECT 0
CLIENT TRACKING on REDIRECT 999999
CLIENT TRACKING on PREFIX
CLIENT TRACKING off BCAST
CLIENT TRACKING off REDIRECT 999999
CLIENT TRACKING ON BCAST PREFIX FOOBAR PREFIX FOO
CLIENT TRACKING ON BCAST PREFIX FOO PREFIX FOOBAR
CLIENT TRACKING ON BCAST PREFIX FOO PREFIX BAR
CLIENT TRACKING ON BCAST PREFIX FO
CLIENT TRACKING ON BCAST PREFIX BARB
CLIENT TRACKING ON BCAST PREFIX "a\x00b" PREFIX a
CLIENT TRACKINGINFO
CLIENT TRACKING OFF
CLIENT CACHING
CLIENT CACHING yes
CLIENT CACHING yes no
CLIENT GETREDIR x
CLIENT TRACKINGINFO x
EVAL "return redis.call('client', 'tracking', 'on')" 0
MULTI
CLIENT TRACKING on
GET k
EXEC
CLIENT TRACKINGINFO
CLIENT TRACKING off
`)
}

// TestTrackingInfoFields checks INFO's tracking fields and CLIENT LIST's
// flags (Redis's values are the ones the tests of its suite expect).
func TestTrackingInfoFields(t *testing.T) {
	s := testkit.Start(t)
	a, b, c := s.Raw(t), s.Raw(t), s.Raw(t)
	do := func(rc *testkit.RawConn, args ...string) string {
		t.Helper()
		r, err := rc.Do(args...)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	field := func(name string) string {
		info := do(c, "INFO")
		m := regexp.MustCompile(`\r\n` + name + `:([^\r]*)\r\n`).FindStringSubmatch(info)
		if m == nil {
			t.Fatalf("INFO has no %s", name)
		}
		return m[1]
	}
	want := func(name, v string) {
		t.Helper()
		if got := field(name); got != v {
			t.Errorf("%s = %s, want %s", name, got, v)
		}
	}
	want("tracking_clients", "0")
	do(a, "CLIENT", "TRACKING", "on")
	do(a, "MGET", "k1", "k2")
	do(b, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p:", "PREFIX", "q:")
	do(b, "GET", "k1")
	want("tracking_clients", "2")
	want("tracking_total_keys", "2")
	want("tracking_total_items", "2")
	want("tracking_total_prefixes", "2")
	list := do(c, "CLIENT", "LIST")
	if !regexp.MustCompile(`flags=t db`).MatchString(list) || !regexp.MustCompile(`flags=tB db`).MatchString(list) {
		t.Errorf("CLIENT LIST flags: %q", list)
	}
	do(c, "SET", "k1", "x")
	want("tracking_total_keys", "1")
	do(c, "FLUSHALL")
	want("tracking_total_keys", "0")
	want("tracking_total_items", "0")
	do(b, "CLIENT", "TRACKING", "off")
	want("tracking_total_prefixes", "0")
	want("tracking_clients", "1")
	do(a, "RESET")
	want("tracking_clients", "0")
}

// TestTrackingDiscardedWritesSendNothing: a script that raises an error
// leaves nothing behind in Moonstone, so it invalidates nothing (Redis
// keeps a failed script's writes, and tells). A write that fails alone
// changes nothing either; EXEC keeps the effects around a failing command.
func TestTrackingDiscardedWritesSendNothing(t *testing.T) {
	s := testkit.Start(t)
	a, b := s.Raw(t), s.Raw(t)
	do := func(rc *testkit.RawConn, want string, args ...string) { t.Helper(); doRaw(t, rc, want, args...) }
	do(a, "", "HELLO", "3")
	do(a, "+OK\r\n", "CLIENT", "TRACKING", "on")
	do(b, "+OK\r\n", "SET", "s", "1")
	do(a, "*2\r\n_\r\n_\r\n", "MGET", "k", "h")
	do(b, "", "EVAL", "redis.call('set', KEYS[1], 'x'); error('boom')", "1", "k")
	do(b, "", "HSET", "s", "f", "v") // WRONGTYPE: nothing written
	do(a, "+PONG\r\n", "PING")
	do(b, "", "MULTI")
	do(b, "", "HSET", "s", "f", "v")
	do(b, "", "HSET", "h", "f", "v")
	do(b, "", "EXEC")
	do(a, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nh\r\n", "PING")
	if f, _ := a.Read(); f != "+PONG\r\n" {
		t.Fatalf("after the invalidation: %q", f)
	}
}

// TestTrackingSwapDBInvalidatesEverything: after SWAPDB every key of both
// databases may hold something else, so tracking clients get the null
// invalidation FLUSHDB sends (Redis 7.0 sends nothing, leaving caches
// stale).
func TestTrackingSwapDBInvalidatesEverything(t *testing.T) {
	s := testkit.Start(t)
	a, b := s.Raw(t), s.Raw(t)
	for _, step := range [][]string{{"HELLO", "3"}, {"CLIENT", "TRACKING", "on"}, {"GET", "k"}} {
		if _, err := a.Do(step...); err != nil {
			t.Fatal(err)
		}
	}
	if r, _ := b.Do("SWAPDB", "0", "1"); r != "+OK\r\n" {
		t.Fatalf("SWAPDB: %q", r)
	}
	if f, _ := a.Do("PING"); f != ">2\r\n$10\r\ninvalidate\r\n_\r\n" {
		t.Fatalf("after SWAPDB: %q", f)
	}
	if f, _ := a.Read(); f != "+PONG\r\n" {
		t.Fatalf("after the invalidation: %q", f)
	}
	// The table was emptied: k is not remembered any more.
	b.Do("SET", "k", "1")
	if f, _ := a.Do("PING"); f != "+PONG\r\n" {
		t.Fatalf("after SET: %q", f)
	}
}

// TestTrackingCachesStayFresh runs a tracking client that caches what it
// reads (GET, HGET, MGET, EVAL_RO, MULTI) and drops what it is told about,
// against writers running at the same time (SET, HSET, scripts, MULTI,
// expiry), then checks every value still cached against the store: reads
// run concurrently with commits, so a key must never be forgotten between
// a read's snapshot and its reply.
func TestTrackingCachesStayFresh(t *testing.T) {
	s := testkit.Start(t, "appendfsync", "no")
	const keys = 40
	key := func(i int) string { return fmt.Sprintf("k%d", i%keys) }
	stop := make(chan struct{})
	done := make(chan error, 3)
	for w := 0; w < 3; w++ {
		go func(w int) {
			c, err := testkit.DialRaw(s.Addr)
			if err != nil {
				done <- err
				return
			}
			defer c.Close()
			for n := 0; ; n++ {
				select {
				case <-stop:
					done <- nil
					return
				default:
				}
				k, v := key(n*7+w*13), fmt.Sprintf("%d-%d", w, n)
				var args []string
				switch n % 6 {
				case 0, 1:
					args = []string{"SET", k, v}
				case 2:
					args = []string{"HSET", "h" + k, "f", v}
				case 3:
					args = []string{"EVAL", "redis.call('set', KEYS[1], ARGV[1]); return redis.call('hset', 'h'..KEYS[1], 'f', ARGV[1])", "1", k, v}
				case 4:
					args = []string{"SET", k, v, "PX", "5"}
				case 5:
					if err := c.Send("MULTI"); err != nil {
						done <- err
						return
					}
					c.Read()
					c.Do("SET", k, v)
					c.Do("HSET", "h"+k, "f", v)
					args = []string{"EXEC"}
				}
				if _, err := c.Do(args...); err != nil {
					done <- err
					return
				}
			}
		}(w)
	}

	a := s.Raw(t)
	cache := map[string]string{}
	var reply func() string
	// reply reads frames until a reply, applying invalidations.
	reply = func() string {
		for {
			f, err := a.ReadWithin(10000)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(f, ">") {
				return f
			}
			if strings.HasSuffix(f, "invalidate\r\n_\r\n") {
				clear(cache)
				continue
			}
			_, els, _ := testkitSplit(f)
			for _, k := range els {
				delete(cache, k)
			}
		}
	}
	send := func(args ...string) string {
		if err := a.Send(args...); err != nil {
			t.Fatal(err)
		}
		return reply()
	}
	send("HELLO", "3")
	send("CLIENT", "TRACKING", "on")
	deadline := time.Now().Add(2 * time.Second)
	for n := 0; time.Now().Before(deadline); n++ {
		k := key(n * 11)
		switch n % 5 {
		case 0, 1:
			cache[k] = send("GET", k)
		case 2:
			cache["h"+k] = send("HGET", "h"+k, "f")
		case 3:
			cache[k] = send("EVAL_RO", "return redis.call('get', KEYS[1])", "1", k)
		case 4:
			send("MULTI")
			send("GET", k)
			cache[k] = strings.TrimPrefix(send("EXEC"), "*1\r\n")
		}
	}
	close(stop)
	for w := 0; w < 3; w++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond) // the sweeper's last expiries
	send("PING")                       // everything queued before it arrives first
	check := s.Raw(t)
	check.Do("HELLO", "3")
	stale := 0
	for k, v := range cache {
		var now string
		if strings.HasPrefix(k, "h") {
			now, _ = check.Do("HGET", k, "f")
		} else {
			now, _ = check.Do("GET", k)
		}
		if now != v {
			stale++
			t.Errorf("%s cached %q, store has %q", k, v, now)
		}
	}
	t.Logf("%d keys cached at the end, %d stale", len(cache), stale)
}

// testkitSplit returns the keys of an invalidation push.
func testkitSplit(f string) (string, []string, bool) {
	i := strings.Index(f, "invalidate\r\n")
	if i < 0 {
		return "", nil, false
	}
	rest := strings.Split(f[i+len("invalidate\r\n"):], "\r\n")
	var keys []string
	for j := 1; j+1 < len(rest); j += 2 { // "*n", then "$len", "key" pairs
		keys = append(keys, rest[j+1])
	}
	return "", keys, true
}

// TestTrackingReadOvertakenByAWrite: a read runs on a snapshot while
// writes commit; one that commits after the snapshot, before the reply,
// must still invalidate what the read returns, on the client's own
// connection (RESP3) and on a redirect target.
func TestTrackingReadOvertakenByAWrite(t *testing.T) {
	var writer atomic.Pointer[testkit.RawConn] // set here, used by the server's goroutine
	undo := server.WithReadDuring("slowget", func() {
		if r, err := writer.Load().Do("SET", "k", "new"); err != nil || r != "+OK\r\n" {
			t.Errorf("SET during the read: %q %v", r, err)
		}
	})
	defer undo()
	s := testkit.Start(t)
	writer.Store(s.Raw(t))
	w := s.Raw(t)
	a, r := s.Raw(t), s.Raw(t)
	do := func(rc *testkit.RawConn, want string, args ...string) { t.Helper(); doRaw(t, rc, want, args...) }
	do(w, "+OK\r\n", "SET", "k", "old")
	do(a, "", "HELLO", "3")
	do(a, "+OK\r\n", "CLIENT", "TRACKING", "on")
	do(a, "$3\r\nold\r\n", "SLOWGET", "k")
	do(a, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n", "PING")
	do(a, "+PONG\r\n")

	id, _ := r.Do("CLIENT", "ID")
	do(r, "", "SUBSCRIBE", "__redis__:invalidate")
	do(a, "+OK\r\n", "CLIENT", "TRACKING", "on", "REDIRECT", strings.TrimSuffix(id[1:], "\r\n"))
	do(a, "$3\r\nnew\r\n", "SLOWGET", "k")
	if f, _ := r.ReadWithin(5000); f != "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n" {
		t.Fatalf("redirected: %q", f)
	}
	// Remembered again after the read: the next write is told too.
	do(w, "+OK\r\n", "SET", "k", "newer")
	if f, _ := r.ReadWithin(5000); f != "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n" {
		t.Fatalf("the write after the read: %q", f)
	}
}

// TestTrackingWriteCommandsInvalidateAsRedis runs write commands of every
// family against keys a tracking client has read, and compares the
// invalidations with redis-server's: which keys, in which order.
func TestTrackingWriteCommandsInvalidateAsRedis(t *testing.T) {
	setup := `B MSET s abc n 10
B SET e v EX 1000
B HSET h f v c 1
B RPUSH l a b c
B RPUSH l2 x
B SADD st a b
B SADD st2 c
B ZADD z 1 a 2 b
B ZADD z2 3 c
B XADD x 1-1 f v
B GEOADD g 1 1 m`
	keys := "s n e h l l2 st st2 z z2 x g d missing s2 s3"
	commands := []string{
		"SET s v", "SET s v NX", "SET missing v XX", "SET s v GET", "SETNX s v", "APPEND s x", "SETRANGE s 1 y",
		"INCR n", "DECRBY n 3", "INCRBYFLOAT n 1.5", "GETSET s v", "GETDEL s", "GETDEL missing",
		"GETEX s PX 100000", "GETEX s", "GETEX e PERSIST", "MSET s 1 n 2", "MSETNX missing 1 s 2", "MSETNX missing 1 s2 2",
		"DEL s h missing", "UNLINK l", "EXPIRE s 100", "EXPIRE s 100 XX", "PEXPIREAT s 1", "PERSIST e", "PERSIST s",
		"RENAME s s2", "RENAME h s2", "RENAMENX s n", "COPY s s3", "COPY s n REPLACE", "COPY h s3", "MOVE s 1",
		"SETBIT s 3 1", "BITOP AND d s n", "BITFIELD s SET u8 0 1", "BITFIELD s GET u8 0",
		"HSET h f v", "HSET h f v2", "HSETNX h f x", "HSETNX h g x", "HDEL h f", "HDEL h nothing", "HDEL h f c",
		"HINCRBY h c 1", "HINCRBYFLOAT h c 1.5",
		"LPUSH l a", "RPUSHX missing a", "LPUSHX l z", "LPOP l", "RPOP l 10", "LSET l 0 x", "LINSERT l BEFORE b z",
		"LINSERT l BEFORE nothing z", "LREM l 0 a", "LREM l 0 nothing", "LTRIM l 0 0", "LTRIM l 0 -1",
		"LMOVE l l2 LEFT RIGHT", "RPOPLPUSH l l", "LMPOP 2 missing l LEFT", "BLPOP l 1", "BLMOVE l l2 RIGHT LEFT 1",
		"SADD st x", "SADD st a", "SREM st a", "SREM st nothing", "SPOP st2", "SMOVE st st2 a", "SMOVE st st2 nothing",
		"SINTERSTORE d st st2", "SUNIONSTORE st st st2", "SDIFFSTORE d st missing", "SINTERSTORE d missing st",
		"ZADD z 1 a", "ZADD z 5 a", "ZADD z XX 1 new", "ZADD z NX 9 a", "ZINCRBY z 1 a", "ZREM z a", "ZREM z nothing",
		"ZPOPMIN z", "ZMPOP 1 z MAX", "ZREMRANGEBYSCORE z 0 100", "ZREMRANGEBYSCORE z 50 100", "ZREMRANGEBYRANK z 0 0",
		"ZUNIONSTORE d 2 z z2", "ZINTERSTORE z 2 z z2", "ZRANGESTORE d z 0 -1", "BZPOPMAX z 1",
		"XADD x 2-1 f v", "XADD x MAXLEN 0 3-1 f v", "XDEL x 1-1", "XDEL x 9-9", "XTRIM x MAXLEN 0",
		// (XGROUP CREATE on an existing stream and XSETID invalidate the
		// stream in Moonstone, not in Redis 7.0: docs/compatibility.md.)
		"XGROUP CREATE missing grp $ MKSTREAM",
		"SORT l ALPHA STORE d", "GEOADD g 2 2 m2", "GEOSEARCHSTORE d g FROMLONLAT 1 1 BYRADIUS 1000 km",
		"EVAL \"redis.call('set', 'n', 1); return redis.call('del', 's')\" 0",
		"FLUSHDB", "FLUSHALL",
	}
	var b strings.Builder
	b.WriteString("A? HELLO 3\nA CLIENT TRACKING on\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "B FLUSHALL\nA.\n%s\nA EXISTS %s\nB %s\nA.\n", setup, keys, c)
	}
	trackDiff(t, b.String())
}

func TestTrackingOptionChangesMatchRedis(t *testing.T) {
	trackDiff(t, `
A? HELLO 3
# BCAST again without a prefix adds the empty one.
A CLIENT TRACKING on BCAST PREFIX p
A CLIENT TRACKING on BCAST
A CLIENT TRACKINGINFO
B SET p1 1
A<
A<
A.
A CLIENT TRACKING off
# Redirect to itself.
A# CLIENT TRACKING on REDIRECT $id:A
A# CLIENT TRACKINGINFO
A GET k
B SET k 1
A<
# Options are replaced by the next CLIENT TRACKING on.
A CLIENT TRACKING on OPTIN NOLOOP
A CLIENT TRACKINGINFO
A CLIENT CACHING yes
A CLIENT TRACKING on
A CLIENT TRACKINGINFO
A CLIENT TRACKING on OPTIN
A CLIENT TRACKINGINFO
A CLIENT CACHING yes
A CLIENT TRACKING off
A CLIENT TRACKING on OPTIN
A CLIENT TRACKINGINFO
A CLIENT TRACKING off
# Back to RESP2 without a redirect: nothing more arrives.
A CLIENT TRACKING on
A GET j
A? HELLO 2
B SET j 1
A.
A CLIENT TRACKING off
# RESET turns tracking off.
A? HELLO 3
A CLIENT TRACKING on
A GET r
A RESET
A? HELLO 3
B SET r 1
A.
A CLIENT TRACKINGINFO
`)
}

// doRaw runs a command on rc and fails the test on an error, or on a
// reply other than want unless want is empty.
func doRaw(t *testing.T, rc *testkit.RawConn, want string, args ...string) {
	t.Helper()
	got, err := rc.Do(args...)
	if err != nil {
		t.Fatal(err)
	}
	if want != "" && got != want {
		t.Fatalf("%v: %q, want %q", args, got, want)
	}
}

// TestTrackingOwnWriteSendsItsPushWithTheReply: a RESP3 client that
// writes a key it tracks gets the invalidation in the same socket write as
// the reply, after it, as from Redis. A client-side cache (node-redis's)
// resolves the write on its reply and may answer the next read from its
// cache at once: a push sent separately can come too late, and the read
// returns the overwritten value.
func TestTrackingOwnWriteSendsItsPushWithTheReply(t *testing.T) {
	ms := testkit.Start(t)
	rd := testkit.StartRedis(t)
	for _, s := range []struct{ name, addr string }{{"moonstone", ms.Addr}, {"redis", rd.Addr}} {
		t.Run(s.name, func(t *testing.T) {
			c, err := testkit.DialRaw(s.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, cmd := range [][]string{{"HELLO", "3"}, {"CLIENT", "TRACKING", "on"}} {
				if _, err := c.Do(cmd...); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 100 {
				write := []string{"SET", "k", strconv.Itoa(i)}
				if i%5 == 4 {
					write = []string{"FLUSHDB", "SYNC"}
				}
				if r, err := c.Do("GET", "k"); err != nil || r == "" {
					t.Fatalf("GET: %q, %v", r, err)
				}
				if r, err := c.Do(write...); err != nil || r != "+OK\r\n" {
					t.Fatalf("%q: %q, %v", write, r, err)
				}
				if c.Buffered() == 0 {
					t.Fatalf("round %d: %q's reply came without its invalidation", i, write)
				}
				push, err := c.Read()
				if err != nil || !strings.HasPrefix(push, ">2\r\n$10\r\ninvalidate\r\n") {
					t.Fatalf("round %d: after %q's reply: %q, %v", i, write, push, err)
				}
			}
		})
	}
}
