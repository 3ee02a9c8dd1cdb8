package server_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"moonstone/internal/testkit"
	"moonstone/server"
)

// runClients runs a script on both servers like Pair.Run, with several
// clients: a line "@name command" runs on client name's connection (one
// per server, opened on first use), other lines on client "main".
func runClients(t *testing.T, p *testkit.Pair, script string) {
	t.Helper()
	type both struct{ ms, rd *testkit.RawConn }
	conns := map[string]both{}
	for n, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name := "main"
		if strings.HasPrefix(line, "@") {
			name, line, _ = strings.Cut(line[1:], " ")
		}
		c, ok := conns[name]
		if !ok {
			c.ms, c.rd = pairConns(t, p)
			conns[name] = c
		}
		args, err := testkit.ParseLine(line)
		if err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		m, r := doBoth(t, c.ms, c.rd, args...)
		if m != r {
			t.Errorf("line %d [%s]: %s\n  moonstone: %q\n  redis:     %q", n+1, name, line, m, r)
		}
	}
}

// ACL SETUSER's rules, as GETUSER and LIST describe them, and its errors.
// (Rules that leave several single commands to list are left out: Redis
// lists those in its hash table's order.)
func TestACLSetUserRulesMatchRedis(t *testing.T) {
	testkit.Diff(t, `
ACL SETUSER alice
ACL GETUSER alice
ACL LIST
ACL SETUSER alice on >p1 >p2 ~k* %R~r* %W~w* &ch* -@all +@string -append
ACL GETUSER alice
ACL LIST
ACL SETUSER alice >p1 <p2 #6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b
ACL GETUSER alice
ACL SETUSER alice !6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b resetkeys resetchannels allkeys
ACL LIST
ACL SETUSER bob on nopass +@all -@dangerous ~* &*
ACL LIST
ACL SETUSER bob -get
ACL GETUSER bob
ACL SETUSER carol on nopass +@read +@write -@admin allkeys
ACL GETUSER carol
ACL SETUSER carol (~x* +get) "(%R~y*" "+@hash)"
ACL GETUSER carol
ACL LIST
ACL SETUSER carol clearselectors
ACL GETUSER carol
ACL SETUSER dave +select|0
ACL GETUSER dave
ACL SETUSER dave +config|get|x
ACL SETUSER dave +config|
ACL SETUSER dave +config|nosuch
ACL SETUSER dave +nosuch
ACL SETUSER dave -nosuch
ACL SETUSER dave +@nosuch
ACL SETUSER dave +
ACL SETUSER dave ~x allkeys ~y
ACL SETUSER dave &x allchannels &y
ACL SETUSER dave <nope
ACL SETUSER dave !nope
ACL SETUSER dave #abc
ACL SETUSER dave foo
ACL SETUSER dave (~x
ACL SETUSER dave (~x +nosuch)
ACL SETUSER dave "~a b"
ACL SETUSER dave %X~a
ACL SETUSER dave %~c
ACL SETUSER dave %
ACL SETUSER dave %RW~a %R~a %W~b %R
ACL GETUSER dave
ACL SETUSER dave skip-sanitize-payload
ACL GETUSER dave
ACL SETUSER dave reset
ACL GETUSER dave
ACL SETUSER erin on +@all -@string +get
ACL GETUSER erin
ACL SETUSER frank +@hash +@set -hset
ACL GETUSER frank
ACL SETUSER hank +client -client|kill
ACL SETUSER ian +acl|whoami
ACL GETUSER hank
ACL SETUSER "a b"
ACL SETUSER default resetpass >pw
ACL LIST
ACL SETUSER default nopass
ACL USERS
ACL DELUSER dave nosuch
ACL DELUSER default dave
ACL USERS
`)
}

// AUTH and HELLO AUTH as any user, and what each user may then run:
// NOPERM for commands, keys and channels, in MULTI, at EXEC, in scripts.
func TestACLPermissionsMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	runClients(t, p, `
ACL SETUSER alice on >p1 ~k* %R~r* %W~w* &ch* -@all +@string +@keyspace -append +subscribe +psubscribe +publish +multi +exec +eval +acl|whoami +ssubscribe +spublish +sort
@a AUTH alice bad
@a AUTH nobody x
@a ACL WHOAMI
@a AUTH alice p1
@a ACL WHOAMI
@a GET k1
@a GET x
@a SET r1 v
@a SET w1 v
@a GET w1
@a GETSET w1 v
@a APPEND k1 v
@a HSET k1 a b
@a MGET k1 x1 k2
@a EXISTS w1 r1
@a SORT k1 STORE w1
@a SORT k1 STORE r1
@a SORT k1 BY v*
@a SORT k1 GET v*
@a SORT k1 BY nosort
@a PUBLISH ch1 m
@a PUBLISH x m
@a SPUBLISH ch1 m
@a SPUBLISH x m
@a PSUBSCRIBE c*
@a MULTI
@a GET x
@a GET k1
@a EXEC
@a MULTI
@a HSET a b c
@a EXEC
@a EVAL "return redis.call('get','x')" 0
@a EVAL "return redis.pcall('get','x')" 0
@a EVAL "return redis.pcall('hset','k1','a','b')" 0
@a EVAL "return redis.pcall('set','r1','v')" 0
@a EVAL "return redis.pcall('publish','x','y')" 0
@a EVAL "return redis.acl_check_cmd('get','x')" 0
@a EVAL "return redis.acl_check_cmd('get','k1')" 0
@a EVAL "return redis.call('get',KEYS[1])" 1 x
@a CLIENT ID
ACL SETUSER bob on nopass +@all -get
@b AUTH bob whatever
@b GET x
@b ACL WHOAMI
ACL SETUSER carol off >c
@c AUTH carol c
@c HELLO 2 AUTH carol c
@c HELLO 2 AUTH alice bad
@c ACL WHOAMI
ACL SETUSER alice -exec
@a MULTI
@a GET k1
@a EXEC
@a SUBSCRIBE x
@a SUBSCRIBE ch1 x
ACL DRYRUN alice GET x
ACL DRYRUN alice GET k1
ACL DRYRUN alice SET r1 v
ACL DRYRUN alice PUBLISH x m
ACL DRYRUN alice PSUBSCRIBE ch*
ACL DRYRUN alice PSUBSCRIBE c*
ACL DRYRUN alice HSET k1 a b
ACL DRYRUN alice EXEC
ACL DRYRUN nobody GET x
CLIENT KILL USER nosuch
CLIENT KILL USER bob
`)
}

// A queued command the user lost in the meantime is refused at EXEC.
func TestACLRulesChangedBeforeExecMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	runClients(t, p, `
ACL SETUSER alice on nopass ~* &* +@all
@a AUTH alice x
@a MULTI
@a SET k v
@a GET k
@a PUBLISH ch m
ACL SETUSER alice -set resetchannels
@a EXEC
ACL SETUSER alice resetkeys ~other
@a MULTI
@a GET k
@a EXEC
`)
}

// ACL LOG: denied commands, keys and channels and failed AUTHs, grouped
// as Redis groups them. Ages and client details are compared apart.
func TestACLLogMatchesRedis(t *testing.T) {
	p := testkit.StartPair(t)
	runClients(t, p, `
ACL LOG RESET
ACL SETUSER alice on >p ~k* &ch -@all +get +publish +multi +exec +eval
@a AUTH alice p
@a GET x
@a GET x
@a SET k v
@a PUBLISH x m
@a MULTI
@a GET y
@a EXEC
@a EVAL "return redis.pcall('get','z')" 0
@a AUTH alice wrong
@a AUTH nobody wrong
@a MULTI
@a AUTH alice wrong
@a EXEC
ACL LOG 0
ACL LOG -1
ACL LOG x
`)
	ms, rd := pairConns(t, p)
	age := regexp.MustCompile(`(?s)\$11\r\nage-seconds\r\n\$\d+\r\n[0-9.e-]+\r\n\$11\r\nclient-info\r\n\$\d+\r\n[^\r]*\r\n`)
	m, r := doBoth(t, ms, rd, "ACL", "LOG")
	if !strings.Contains(m, "cmd=eval user=alice") || !strings.Contains(m, "cmd=get user=alice") {
		t.Errorf("ACL LOG's client-info:\n%q", m)
	}
	m, r = age.ReplaceAllString(m, ""), age.ReplaceAllString(r, "")
	if m != r {
		t.Errorf("ACL LOG:\n  moonstone: %q\n  redis:     %q", m, r)
	}
	for _, args := range [][]string{{"ACL", "LOG", "RESET"}, {"ACL", "LOG"}} {
		if m, r := doBoth(t, ms, rd, args...); m != r {
			t.Errorf("%v:\n  moonstone: %q\n  redis:     %q", args, m, r)
		}
	}
}

// CLIENT LIST names each connection's user.
func TestACLClientListUser(t *testing.T) {
	s := testkit.Start(t)
	c := s.Raw(t)
	for _, cmd := range [][]string{{"ACL", "SETUSER", "alice", "on", ">p", "+@all"}, {"AUTH", "alice", "p"}} {
		if got, _ := c.Do(cmd...); got != "+OK\r\n" {
			t.Fatalf("%v: %q", cmd, got)
		}
	}
	got, _ := c.Do("CLIENT", "INFO")
	if !strings.Contains(got, " user=alice ") {
		t.Errorf("CLIENT INFO: %q", got)
	}
	got, _ = c.Do("RESET")
	if got, _ = c.Do("CLIENT", "INFO"); !strings.Contains(got, " user=default ") {
		t.Errorf("CLIENT INFO after RESET: %q", got)
	}
}

// Deleting a user closes its connections; the one that deleted it gets
// its reply first. Taking channels from a user closes its subscribers
// whose subscriptions are no longer allowed.
func TestACLDisconnects(t *testing.T) {
	s := testkit.Start(t)
	admin := s.Raw(t)
	victim, self, sub, kept := s.Raw(t), s.Raw(t), s.Raw(t), s.Raw(t)
	do := func(c *testkit.RawConn, want string, args ...string) {
		t.Helper()
		got, err := c.Do(args...)
		if err != nil || want != "" && got != want {
			t.Fatalf("%v: %q %v, want %q", args, got, err, want)
		}
	}
	do(admin, "+OK\r\n", "ACL", "SETUSER", "alice", "on", "nopass", "+@all", "~*", "&ch*")
	do(admin, "+OK\r\n", "ACL", "SETUSER", "bob", "on", "nopass", "+@all", "~*", "&*")
	do(victim, "+OK\r\n", "AUTH", "alice", "x")
	do(self, "+OK\r\n", "AUTH", "alice", "x")
	do(sub, "+OK\r\n", "AUTH", "bob", "x")
	do(kept, "+OK\r\n", "AUTH", "bob", "x")
	do(sub, "", "SUBSCRIBE", "news")
	do(kept, "", "PSUBSCRIBE", "ch*")
	do(self, ":1\r\n", "ACL", "DELUSER", "alice")
	for _, c := range []*testkit.RawConn{victim, self} {
		if got, err := c.Do("PING"); err == nil {
			t.Errorf("a connection of a deleted user still answers: %q", got)
		}
	}
	// bob's channels shrink to ch*: news is no longer allowed, the
	// literal pattern ch* still is.
	do(admin, "+OK\r\n", "ACL", "SETUSER", "bob", "resetchannels", "&ch*")
	if got, err := sub.ReadWithin(2000); err == nil {
		t.Errorf("a subscriber to a revoked channel got %q, want the connection closed", got)
	}
	do(kept, "", "PING")
	deadline := time.Now().Add(2 * time.Second)
	for {
		got, _ := admin.Do("CLIENT", "LIST")
		if strings.Count(got, "user=bob") == 1 || time.Now().After(deadline) {
			if n := strings.Count(got, "user=bob"); n != 1 {
				t.Errorf("CLIENT LIST shows %d connections of bob, want 1: %q", n, got)
			}
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ACL SAVE writes the users to aclfile in ACL LIST's form; ACL LOAD reads
// them back, and refuses a broken file whole with Redis's description.
func TestACLFileMatchesRedis(t *testing.T) {
	dir := t.TempDir()
	msFile, rdFile := filepath.Join(dir, "ms.acl"), filepath.Join(dir, "rd.acl")
	for _, f := range []string{msFile, rdFile} {
		if err := os.WriteFile(f, []byte("user default on nopass ~* &* +@all\nuser alice on >p ~k* +get\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := testkit.StartPairArgs(t, []string{"--aclfile", rdFile}, "aclfile", msFile)
	ms, rd := pairConns(t, p)
	same := func(args ...string) {
		t.Helper()
		m, r := doBoth(t, ms, rd, args...)
		if strings.ReplaceAll(m, msFile, rdFile) != r {
			t.Errorf("%v:\n  moonstone: %q\n  redis:     %q", args, m, r)
		}
	}
	same("ACL", "LIST")
	same("ACL", "SETUSER", "bob", "on", ">q", "~b*", "&x", "+@hash", "(+get ~g*)")
	same("ACL", "SAVE")
	mData, _ := os.ReadFile(msFile)
	rData, _ := os.ReadFile(rdFile)
	if string(mData) != string(rData) {
		t.Errorf("ACL SAVE wrote\n%s\nRedis wrote\n%s", mData, rData)
	}
	same("ACL", "DELUSER", "bob")
	same("ACL", "LOAD")
	same("ACL", "LIST")
	for _, content := range []string{
		"user alice on +nosuch >x\nuser default on nopass +@all\n",
		"user alice on ~a allkeys ~b foo\nuser alice on\n",
		"# a comment\nalice on\nuser\n",
		"\n\nuser bob on nopass +@all ~*\r\n",
	} {
		for _, f := range []string{msFile, rdFile} {
			os.WriteFile(f, []byte(content), 0o644)
		}
		same("ACL", "LOAD")
		same("ACL", "LIST")
	}
	os.Remove(msFile)
	os.Remove(rdFile)
	same("ACL", "LOAD")
	// Redis 7.0.15 crashes on an unclosed selector in the file.
	os.WriteFile(msFile, []byte("user bob on (~x +get\n"), 0o644)
	want := "-ERR " + msFile + ":1: Unmatched parenthesis in selector definition.WARNING: ACL errors detected, no change to the previously active ACL rules was performed\r\n"
	if got, _ := ms.Do("ACL", "LOAD"); got != want {
		t.Errorf("ACL LOAD of an unclosed selector: %q, want %q", got, want)
	}
}

// A server without aclfile answers ACL LOAD and SAVE as Redis does, and
// users of "user" directives exist from the start.
func TestACLConfigUsers(t *testing.T) {
	testkit.Diff(t, "ACL LOAD\nACL SAVE")
	s := testkit.Start(t, "user", "alice on >p ~k* +get", "user", "default on nopass ~* &* +@all -flushdb")
	c := s.Raw(t)
	for _, tc := range []struct{ cmd, want string }{
		{"ACL USERS", "*2\r\n$5\r\nalice\r\n$7\r\ndefault\r\n"},
		{"FLUSHDB", "-NOPERM this user has no permissions to run the 'flushdb' command\r\n"},
		{"AUTH alice p", "+OK\r\n"},
		{"GET k1", "$-1\r\n"},
		{"SET k1 v", "-NOPERM this user has no permissions to run the 'set' command\r\n"},
	} {
		args, _ := testkit.ParseLine(tc.cmd)
		if got, _ := c.Do(args...); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.cmd, got, tc.want)
		}
	}
}

// A config file's user directives are read as Redis reads them; a bad
// one, or users in both the config file and an aclfile, stop start-up.
func TestACLConfigFileUsers(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ conf, err string }{
		{"user alice on \">p w\" ~k* +get\n", ""},
		{"user alice on +nosuch\n", "Error in user declaration '+nosuch': Unknown command or category name in ACL"},
		{"user alice on\nuser alice off\n", "Error in user declaration 'alice': Duplicate user found. A user can only be defined once in config files"},
		{"user alice on\naclfile " + filepath.Join(dir, "x.acl") + "\n", "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid."},
	} {
		conf := filepath.Join(dir, "moonstone.conf")
		os.WriteFile(conf, []byte(tc.conf), 0o644)
		cfg, err := server.ParseArgs([]string{conf, "--dir", filepath.Join(dir, "data"), "--loglevel", "warning"})
		if err != nil {
			t.Fatalf("%q: %v", tc.conf, err)
		}
		srv, err := server.New(cfg)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.conf, err)
		case tc.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.err)):
			t.Errorf("%q: %v, want %q", tc.conf, err, tc.err)
		}
		if srv != nil {
			srv.Shutdown()
		}
	}
}
