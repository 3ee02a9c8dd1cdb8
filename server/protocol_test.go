package server_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"moonstone/internal/testkit"
)

// Malformed requests get Redis's protocol error, byte for byte, and the
// connection is closed, exactly as redis-server does.
func TestMalformedRequestsMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	cases := []string{
		"*3000000000\r\n",
		"*20\r\n$fooo\r\n",
		"*1\r\nfoo\r\n",
		"*1\r\n\r\n", // an empty bulk header once crashed the server
		"*2\r\n$3\r\nGET\r\n\r\n",
		"*1\r\n$-10\r\n",
		"*1\r\n$2000000000\r\n",
		"*1\r\n$blabla\r\n",
		"*x\r\n",
		"set \"unbalanced\r\n",
		"set \"a\"b c\r\n",
		"*1\r\n$" + strings.Repeat("9", 200000) + "\r\n",
		strings.Repeat("x", 70000),
	}
	for _, req := range cases {
		got := rawExchange(t, p.Moonstone.Addr, req)
		want := rawExchange(t, p.Redis.Addr, req)
		if got != want {
			t.Errorf("request %.40q:\n  moonstone: %q\n  redis:     %q", req, got, want)
		}
	}
}

// rawExchange sends req, then reads until the server closes the connection
// (or goes quiet), returning everything it sent.
func rawExchange(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte(req))
	c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	out, _ := io.ReadAll(c)
	return string(out)
}

// Inline commands, empty lines and negative multibulk counts behave as in
// Redis.
func TestInlineAndEmptyRequestsMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	for _, req := range []string{
		"PING\r\n",
		"\r\n\r\nPING\r\n",
		"set k \"a b\\x41\"\r\nget k\r\n",
		"set k 'it''s'\r\nget k\r\n",
		"*-10\r\nPING\r\n",
		"*0\r\nPING\r\n",
		"echo\r\n",
		"PING\n",
	} {
		got := rawExchange(t, p.Moonstone.Addr, req)
		want := rawExchange(t, p.Redis.Addr, req)
		if got != want {
			t.Errorf("request %q:\n  moonstone: %q\n  redis:     %q", req, got, want)
		}
	}
}

// Hostile headers cost nothing: a client announcing a huge multibulk or
// bulk and then sending nothing is not allocated for, and other clients are
// served as usual.
func TestHostileLengthsDoNotHurtOthers(t *testing.T) {
	s := testkit.Start(t)
	var conns []net.Conn
	for _, req := range []string{"*2147483647\r\n", "*2\r\n$536870912\r\n", "*1000000\r\n$1\r\na\r\n"} {
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		c.Write([]byte(req))
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	ctx := context.Background()
	for i := 0; i < 100; i++ {
		if err := s.Client.Set(ctx, "k", i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := s.Client.Get(ctx, "k").Result(); v != "99" {
		t.Fatalf("got %q", v)
	}
}

// proto-max-bulk-len bounds one argument; client-query-buffer-limit bounds
// a whole command, and a client passing it is disconnected.
func TestRequestLimits(t *testing.T) {
	s := testkit.Start(t, "proto-max-bulk-len", "1mb", "client-query-buffer-limit", "2mb")
	got := rawExchange(t, s.Addr, "*2\r\n$4\r\nECHO\r\n$1048577\r\n")
	if got != "-ERR Protocol error: invalid bulk length\r\n" {
		t.Fatalf("oversized bulk: %q", got)
	}
	big := strings.Repeat("x", 1<<20)
	req := "*4\r\n$4\r\nMSET\r\n$1\r\na\r\n$1048576\r\n" + big + "\r\n$1048576\r\n" + big + "\r\n"
	if got := rawExchange(t, s.Addr, req); got != "" {
		t.Fatalf("over the query limit: got %q, want the connection closed", got)
	}
	ctx := context.Background()
	if err := s.Client.Set(ctx, "k", strings.Repeat("y", 1<<19), 0).Err(); err != nil {
		t.Fatal(err)
	}
}

// Pipelined commands are answered in order; the replies of a pipeline of
// writes arrive together.
func TestPipelining(t *testing.T) {
	s := testkit.Start(t)
	rc := s.Raw(t)
	var req strings.Builder
	for i := 0; i < 200; i++ {
		req.WriteString("*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n")
	}
	if err := rc.Write([]byte(req.String())); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 200; i++ {
		r, err := rc.Read()
		if err != nil {
			t.Fatal(err)
		}
		if want := ":" + itoa(i) + "\r\n"; r != want {
			t.Fatalf("reply %d: %q", i, r)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// Requests that arrive in pieces of any size, sometimes a pipeline at a
// time and sometimes with a pause inside a request, are all answered, in
// order. Between requests the reader waits for the poller instead of
// reading an empty socket (stampedReader); a piece that arrives while a
// command runs must still be read, or the client would wait forever.
func TestRequestsInPiecesAreAllAnswered(t *testing.T) {
	s := testkit.Start(t)
	const clients, rounds = 8, 150
	errs := make(chan error, clients)
	for c := 0; c < clients; c++ {
		go func() {
			errs <- sendInPieces(s.Raw(t), c, rounds)
		}()
	}
	for range clients {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// sendInPieces runs rounds of up to 8 pipelined SETs, GETs and INCRs of
// client c's own keys, cut into pieces at random points, and checks every
// reply.
func sendInPieces(rc *testkit.RawConn, c, rounds int) error {
	rnd := rand.New(rand.NewPCG(uint64(c), 7))
	counter := 0
	for round := range rounds {
		var req []byte
		var want []string
		for range 1 + rnd.IntN(8) {
			key := fmt.Sprintf("c%d:%d", c, rnd.IntN(4))
			switch rnd.IntN(3) {
			case 0:
				// Values up to 40 KB: some are longer than the read buffer.
				val := strings.Repeat(string(rune('a'+rnd.IntN(26))), rnd.IntN(40<<10))
				req = append(req, testkit.Request("SET", key, val)...)
				req = append(req, testkit.Request("GET", key)...)
				want = append(want, "+OK\r\n", fmt.Sprintf("$%d\r\n%s\r\n", len(val), val))
			case 1:
				counter++
				req = append(req, testkit.Request("INCR", fmt.Sprintf("c%d:n", c))...)
				want = append(want, fmt.Sprintf(":%d\r\n", counter))
			default:
				req = append(req, testkit.Request("PING")...)
				want = append(want, "+PONG\r\n")
			}
		}
		for len(req) > 0 {
			n := min(len(req), 1+rnd.IntN(3000))
			if rnd.IntN(4) == 0 {
				n = min(len(req), 1+rnd.IntN(20))
			}
			if err := rc.Write(req[:n]); err != nil {
				return err
			}
			req = req[n:]
			if rnd.IntN(5) == 0 {
				time.Sleep(time.Duration(rnd.IntN(300)) * time.Microsecond)
			}
		}
		for i, w := range want {
			got, err := rc.ReadWithin(10000)
			if err != nil {
				return fmt.Errorf("client %d round %d reply %d: %v", c, round, i, err)
			}
			if got != w {
				return fmt.Errorf("client %d round %d reply %d: %.60q, want %.60q", c, round, i, got, w)
			}
		}
	}
	return nil
}
