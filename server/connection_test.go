package server_test

import (
	"context"
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
