package server_test

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"moonstone/internal/testkit"
)

// ACL describes Moonstone's one user as Redis describes its default user,
// with Redis's errors for everything else.
func TestACLCommandsMatchRedis(t *testing.T) {
	script := `
ACL WHOAMI
ACL USERS
ACL LIST
ACL GETUSER default
ACL GETUSER nosuch
ACL GETUSER Default
ACL CAT
ACL CAT nosuch
ACL CAT "bad\ncategory"
ACL CAT read write
ACL GENPASS 0
ACL GENPASS -1
ACL GENPASS 4097
ACL GENPASS x
ACL GENPASS 1 2
ACL LOG
ACL LOG 5
ACL LOG -1
ACL LOG RESET
ACL LOG x
ACL LOG 1 2
ACL SAVE
ACL LOAD
ACL SAVE x
ACL HELP
acl help
ACL HELP x
ACL
ACL nosuch
ACL DRYRUN default GET x
ACL DRYRUN default get
ACL DRYRUN default nosuch x
ACL DRYRUN nosuch GET x
ACL DRYRUN default CLIENT
ACL DRYRUN default CLIENT nosuch
ACL DRYRUN default CLIENT ID
ACL DRYRUN default CLIENT ID x
ACL DRYRUN default config get maxmemory
ACL DRYRUN default SET k v EX 10
ACL DRYRUN default
ACL DELUSER default
ACL DELUSER alice bob
ACL DELUSER alice default
ACL SETUSER
ACL SETUSER "a b"
ACL SETUSER "a\x00b"
ACL SETUSER default
ACL SETUSER default on ~* &* +@all
ACL SETUSER default allkeys allchannels allcommands
ACL SETUSER default resetkeys ~* resetchannels &* nocommands +@all
ACL SETUSER default +get +@string +config|get
ACL SETUSER default nosuchrule
ACL SETUSER default +nosuch
ACL SETUSER default -nosuch
ACL SETUSER default +@nosuch
ACL SETUSER default -@nosuch
ACL SETUSER default +config|get|x
ACL SETUSER default +config|
ACL SETUSER default +config|nosuch
ACL SETUSER default ~key
ACL SETUSER default %R~key
ACL SETUSER default &chan
ACL SETUSER default #abc
ACL SETUSER default !abc
ACL SETUSER default <nosuchpassword
ACL SETUSER default !0000000000000000000000000000000000000000000000000000000000000000
ACL SETUSER default resetkeys %X~key
ACL SETUSER default resetkeys "~a b"
ACL SETUSER default (~x
ACL SETUSER default (nosuch)
ACL SETUSER default "(~x +get" "+nosuch)"
ACL SETUSER alice foo
ACL SETUSER default sanitize-payload
ACL LIST
ACL GETUSER default
ACL SETUSER default on nopass
ACL WHOAMI
MULTI
ACL WHOAMI
ACL GETUSER default
EXEC
EVAL "return redis.pcall('acl', 'whoami')" 0
`
	testkit.Diff(t, script)
	testkit.DiffResp3(t, "ACL GETUSER default\nACL LIST\nACL CAT\nACL LOG")
}

// ACL GETUSER and LIST show requirepass as the default user's password,
// and ACL SETUSER default changes the user's passwords, as in Redis: the
// same replies, and new connections need the new password.
func TestACLDefaultUserPassword(t *testing.T) {
	p := testkit.StartPair(t)
	p.Run(t, `
CONFIG SET requirepass foo
AUTH foo
ACL LIST
ACL GETUSER default
ACL SETUSER default resetpass >bar
ACL LIST
ACL GETUSER default
AUTH foo
AUTH bar
ACL SETUSER default <bar >baz
ACL LIST
ACL SETUSER default >baz
ACL LIST
ACL SETUSER default nopass
ACL LIST
ACL GETUSER default
ACL SETUSER default #2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae !2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae >qux
ACL LIST
CONFIG SET requirepass ""
ACL LIST
ACL GETUSER default
CONFIG SET requirepass secret
ACL SETUSER default sanitize-payload
ACL LIST
`)
	ms, rd := pairConns(t, p)
	m, r := doBoth(t, ms, rd, "GET", "k")
	if m != r || !strings.HasPrefix(m, "-NOAUTH") {
		t.Errorf("a new connection after requirepass secret:\n  moonstone: %q\n  redis:     %q", m, r)
	}
	for _, args := range [][]string{{"AUTH", "qux"}, {"AUTH", "secret"}, {"ACL", "SETUSER", "default", "resetpass", ">new"}} {
		if m, r := doBoth(t, ms, rd, args...); m != r {
			t.Errorf("%v:\n  moonstone: %q\n  redis:     %q", args, m, r)
		}
	}
	ms2, rd2 := pairConns(t, p)
	for _, args := range [][]string{{"AUTH", "secret"}, {"AUTH", "new"}, {"ACL", "WHOAMI"}} {
		if m, r := doBoth(t, ms2, rd2, args...); m != r {
			t.Errorf("%v:\n  moonstone: %q\n  redis:     %q", args, m, r)
		}
	}
	// As in Redis, requirepass keeps the value it was set to.
	if m, r := doBoth(t, ms2, rd2, "CONFIG", "GET", "requirepass"); m != r {
		t.Errorf("CONFIG GET requirepass after ACL SETUSER:\n  moonstone: %q\n  redis:     %q", m, r)
	}
}

// ACL CAT lists each category's commands as Redis does, and COMMAND INFO
// gives every command the categories Redis gives it, for the commands
// both servers have.
func TestACLCategoriesMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	ms := p.Moonstone.NewClient()
	defer ms.Close()
	ctx := context.Background()
	names := func(c *redis.Client, args ...any) map[string]bool {
		v, err := c.Do(ctx, args...).StringSlice()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, n := range v {
			out[n] = true
		}
		return out
	}
	mine, theirs := names(ms, "COMMAND", "LIST"), names(p.Redis.Client, "COMMAND", "LIST")
	skip := func(n string) bool {
		return !mine[n] || !theirs[n]
	}
	cats, err := p.Redis.Client.Do(ctx, "ACL", "CAT").StringSlice()
	if err != nil {
		t.Fatal(err)
	}
	for _, cat := range cats {
		m, r := names(ms, "ACL", "CAT", cat), names(p.Redis.Client, "ACL", "CAT", strings.ToUpper(cat))
		var diff []string
		for n := range m {
			if !r[n] && !skip(n) {
				diff = append(diff, "+"+n)
			}
		}
		for n := range r {
			if !m[n] && !skip(n) {
				diff = append(diff, "-"+n)
			}
		}
		sort.Strings(diff)
		if len(diff) > 0 {
			t.Errorf("ACL CAT %s: moonstone has %v", cat, diff)
		}
	}
	infos := func(c *redis.Client) map[string]string {
		v, err := c.Do(ctx, "COMMAND", "INFO").Slice()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		var walk func(e []any)
		walk = func(e []any) {
			out[e[0].(string)] = fmt.Sprint(e[6])
			if subs, ok := e[9].([]any); ok {
				for _, s := range subs {
					walk(s.([]any))
				}
			}
		}
		for _, e := range v {
			walk(e.([]any))
		}
		return out
	}
	mi, ri := infos(ms), infos(p.Redis.Client)
	for n, cats := range ri {
		if !skip(n) && mi[n] != cats {
			t.Errorf("COMMAND INFO %s categories\n  moonstone: %s\n  redis:     %s", n, mi[n], cats)
		}
	}
}

// ACL GENPASS draws bits/4 hex digits, rounded up, 256 bits by default.
func TestACLGenPass(t *testing.T) {
	s := testkit.Start(t)
	c := s.NewClient()
	defer c.Close()
	ctx := context.Background()
	hex := regexp.MustCompile(`^[0-9a-f]+$`)
	seen := map[string]bool{}
	for _, tc := range []struct {
		bits  []any
		chars int
	}{{nil, 64}, {[]any{1}, 1}, {[]any{5}, 2}, {[]any{128}, 32}, {[]any{4095}, 1024}, {[]any{4096}, 1024}} {
		pass, err := c.Do(ctx, append([]any{"ACL", "GENPASS"}, tc.bits...)...).Text()
		if err != nil || len(pass) != tc.chars || !hex.MatchString(pass) {
			t.Errorf("ACL GENPASS %v: %q %v", tc.bits, pass, err)
		}
		if len(pass) >= 32 && seen[pass] {
			t.Errorf("ACL GENPASS %v repeats %q", tc.bits, pass)
		}
		seen[pass] = true
	}
}

// The slow log keeps ACL SETUSER's user and modifiers out, as Redis does.
func TestACLSetUserRedactedInSlowlog(t *testing.T) {
	p := testkit.StartPair(t)
	p.Run(t, `
CONFIG SET slowlog-log-slower-than 0
SLOWLOG RESET
ACL SETUSER default on >secret nopass
`)
	ctx := context.Background()
	ms := p.Moonstone.NewClient()
	defer ms.Close()
	args := func(c *redis.Client) string {
		v, err := c.Do(ctx, "SLOWLOG", "GET", "10").Slice()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range v {
			if a := fmt.Sprint(e.([]any)[3]); strings.HasPrefix(strings.ToLower(a), "[acl") {
				return a
			}
		}
		return ""
	}
	if m, r := args(ms), args(p.Redis.Client); m != r || m == "" || strings.Contains(m, "secret") {
		t.Errorf("slow log of ACL SETUSER\n  moonstone: %s\n  redis:     %s", m, r)
	}
}
