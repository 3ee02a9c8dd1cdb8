package server_test

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"moonstone/internal/testkit"
)

// A CONFIG SET whose values are valid but cannot be applied (a port
// someone else listens on) fails with Redis's error and leaves every
// parameter of the call as it was, and the server where it listened.
func TestConfigSetApplyErrorRollsBackMatchesRedis(t *testing.T) {
	p := testkit.StartPair(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	p.Run(t, `
CONFIG SET maxmemory 10000002
CONFIG SET maxmemory 10000001 port `+port+` client-query-buffer-limit 10m
CONFIG GET maxmemory
CONFIG GET client-query-buffer-limit
CONFIG SET maxmemory 10000001 bind 192.0.2.1 client-query-buffer-limit 10m
CONFIG GET maxmemory
CONFIG SET maxmemory 0
PING
`)
	ms := p.Moonstone.Raw(t)
	if r, err := ms.Do("PING"); err != nil || r != "+PONG\r\n" {
		t.Fatalf("a new connection after the failed CONFIG SET: %q %v", r, err)
	}
}

// CONFIG SET port moves the listener: new clients connect on the new
// port, connected ones stay; port 0 (no TCP in Redis, which has a unix
// socket to fall back on) is refused, since Moonstone would be left with
// no way in.
func TestConfigSetPortMovesListener(t *testing.T) {
	s := testkit.Start(t)
	cl := s.Raw(t)
	free := testkit.FreePort(t)
	if r, err := cl.Do("CONFIG", "SET", "port", strconv.Itoa(free)); err != nil || r != "+OK\r\n" {
		t.Fatalf("CONFIG SET port: %q %v", r, err)
	}
	if r, err := cl.Do("PING"); err != nil || r != "+PONG\r\n" {
		t.Fatalf("the connection that moved the port: %q %v", r, err)
	}
	moved, err := testkit.DialRaw(net.JoinHostPort("127.0.0.1", strconv.Itoa(free)))
	if err != nil {
		t.Fatalf("connecting on the new port: %v", err)
	}
	defer moved.Close()
	if r, err := moved.Do("CONFIG", "GET", "port"); err != nil || !strings.Contains(r, strconv.Itoa(free)) {
		t.Fatalf("CONFIG GET port: %q %v", r, err)
	}
	if c, err := net.Dial("tcp", s.Addr); err == nil {
		c.Close()
		t.Fatalf("the old port %s still accepts", s.Addr)
	}
	want := "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n"
	if r, err := moved.Do("CONFIG", "SET", "port", "0"); err != nil || r != want {
		t.Fatalf("CONFIG SET port 0: %q %v", r, err)
	}
	if r, err := moved.Do("CONFIG", "SET", "port", strconv.Itoa(free)); err != nil || r != "+OK\r\n" {
		t.Fatalf("CONFIG SET port to itself: %q %v", r, err)
	}
	again, err := testkit.DialRaw(net.JoinHostPort("127.0.0.1", strconv.Itoa(free)))
	if err != nil {
		t.Fatalf("connecting after the refused port 0: %v", err)
	}
	defer again.Close()
	if r, err := again.Do("PING"); err != nil || r != "+PONG\r\n" {
		t.Fatalf("PING: %q %v", r, err)
	}
}

// Writing back every parameter CONFIG GET * shows, as tools that save and
// restore a configuration do (and Redis's "CONFIG sanity" test), succeeds
// and changes nothing, except for Redis's own immutable and protected
// parameters, which refuse as in Redis. Moonstone's start-up parameters
// accept their current value and refuse any other.
func TestConfigSetEveryParameterToItsValue(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	before, err := s.Client.ConfigGet(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range before {
		err := s.Client.ConfigSet(ctx, k, v).Err()
		if err == nil {
			continue
		}
		msg := err.Error()
		switch {
		case k == "cache-size" || k == "memtable-size" || k == "row-cache-size" || k == "member-cache-size" || k == "value-separation-min-size":
			t.Errorf("CONFIG SET %s %s: %v", k, v, err)
		case strings.Contains(msg, "can't set immutable config") || strings.Contains(msg, "can't set protected config"):
		default:
			t.Errorf("CONFIG SET %s %q: %v", k, v, err)
		}
	}
	after, err := s.Client.ConfigGet(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: %q became %q", k, v, after[k])
		}
	}
	for _, k := range []string{"cache-size", "memtable-size", "row-cache-size", "member-cache-size", "value-separation-min-size"} {
		err := s.Client.ConfigSet(ctx, k, "2mb").Err()
		want := "ERR CONFIG SET failed (possibly related to argument '" + k + "') - can't set immutable config"
		if err == nil || err.Error() != want {
			t.Errorf("CONFIG SET %s 2mb: %v", k, err)
		}
	}
}

// disable-thp yes, the default, turns transparent huge pages off for the
// process at start-up, as Redis does (the kernel reports it in
// /proc/self/status on Linux 5.0 and later).
func TestDisableTHP(t *testing.T) {
	testkit.Start(t)
	status, err := os.ReadFile("/proc/self/status")
	if err != nil || !strings.Contains(string(status), "THP_enabled:") {
		t.Skip("no THP_enabled in /proc/self/status")
	}
	if !strings.Contains(string(status), "THP_enabled:\t0") {
		t.Errorf("transparent huge pages still enabled after start-up under disable-thp yes")
	}
}
