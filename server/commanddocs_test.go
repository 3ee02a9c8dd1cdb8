package server_test

import (
	"fmt"
	"net"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"moonstone/internal/testkit"
)

// Every command and subcommand both servers have is described as Redis
// 7.0.15 describes it, byte for byte, in RESP2 and RESP3: COMMAND INFO's
// ten fields (key specs with their notes, flags, begin_search and
// find_keys; tips) and COMMAND DOCS (summary, since, group, complexity,
// doc_flags, deprecated_since, replaced_by, history, arguments nested to
// the last level). Redis lists a container's subcommands in its dict's
// order, which changes from run to run, so those are compared as a set;
// each subcommand is also compared on its own.
func TestCommandInfoAndDocsMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	names := commonCommands(t, p)
	common := map[string]bool{}
	for _, n := range names {
		common[n] = true
	}
	if len(names) < 360 {
		t.Fatalf("only %d commands in common with Redis", len(names))
	}
	for _, proto := range []int{2, 3} {
		if proto == 3 {
			p.Resp3(t)
		}
		for _, name := range names {
			for _, sub := range []string{"INFO", "DOCS"} {
				m, r, err := p.Do("COMMAND", sub, name)
				if err != nil {
					t.Fatal(err)
				}
				m, r = sortSubcommands(t, sub, m, common), sortSubcommands(t, sub, r, common)
				if m != r {
					t.Errorf("RESP%d COMMAND %s %s differs: %s", proto, sub, name, firstDifference(m, r))
				}
			}
		}
	}
}

// Several names in one COMMAND INFO or DOCS, unknown ones among them.
func TestCommandDocsSeveralMatchRedis(t *testing.T) {
	script := `
COMMAND DOCS get set nosuch zadd
COMMAND DOCS client|list georadius xadd
COMMAND INFO get nosuch set eval xread lmove rename
COMMAND DOCS nosuch
COMMAND INFO nosuch
`
	testkit.Diff(t, script)
	testkit.DiffResp3(t, script)
}

// redis-cli 7.0 builds its interactive hints from COMMAND DOCS; what it
// prints of Moonstone's COMMAND DOCS is what it prints of Redis's.
func TestRedisCliCommandDocs(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not installed")
	}
	p := testkit.StartPair(t)
	run := func(addr, name string) string {
		host, port, _ := net.SplitHostPort(addr)
		out, err := exec.Command(cli, "-h", host, "-p", port, "--no-raw", "COMMAND", "DOCS", name).Output()
		if err != nil {
			t.Fatalf("redis-cli COMMAND DOCS %s: %v", name, err)
		}
		return string(out)
	}
	for _, name := range []string{"set", "client|list", "georadius", "xadd", "migrate", "zadd", "eval", "xread"} {
		m, r := run(p.Moonstone.Addr, name), run(p.Redis.Addr, name)
		if m != r {
			t.Errorf("redis-cli --no-raw COMMAND DOCS %s differs: %s", name, firstDifference(m, r))
		}
	}
}

// commonCommands lists the commands and subcommands (COMMAND LIST) that
// both servers have.
func commonCommands(t *testing.T, p *testkit.Pair) []string {
	t.Helper()
	m, r, err := p.Do("COMMAND", "LIST")
	if err != nil {
		t.Fatal(err)
	}
	list := func(raw string) map[string]bool {
		_, els, ok := testkit.Elements(raw)
		if !ok {
			t.Fatalf("COMMAND LIST: %q", raw)
		}
		out := map[string]bool{}
		for _, e := range els {
			out[bulkText(e)] = true
		}
		return out
	}
	inRedis := list(r)
	var names []string
	for n := range list(m) {
		if inRedis[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// sortSubcommands puts the subcommands of a container's COMMAND INFO or
// COMMAND DOCS reply (for one name) in sorted order, leaving out those
// that are not common to both servers (CLIENT's NO-TOUCH and SETINFO).
func sortSubcommands(t *testing.T, sub, raw string, common map[string]bool) string {
	t.Helper()
	split := func(raw string) (string, []string) {
		h, els, ok := testkit.Elements(raw)
		if !ok {
			t.Fatalf("not an aggregate: %q", raw)
		}
		return h, els
	}
	h, outer := split(raw)
	if len(outer) == 0 || outer[0] == "*-1\r\n" || outer[0] == "_\r\n" {
		return raw
	}
	if sub == "INFO" {
		eh, fields := split(outer[0])
		if len(fields) != 10 {
			t.Fatalf("COMMAND INFO entry of %d fields", len(fields))
		}
		sh, subs := split(fields[9])
		var kept []string
		for _, s := range subs {
			if _, f := split(s); common[bulkText(f[0])] {
				kept = append(kept, s)
			}
		}
		sort.Strings(kept)
		fields[9] = resize(sh, len(kept)) + strings.Join(kept, "")
		return h + eh + strings.Join(fields, "")
	}
	// DOCS: {name: {field: value, ..., "subcommands": {name: docs, ...}}}
	dh, fields := split(outer[1])
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i] == "$11\r\nsubcommands\r\n" {
			sh, subs := split(fields[i+1])
			var pairs []string
			for j := 0; j+1 < len(subs); j += 2 {
				if common[bulkText(subs[j])] {
					pairs = append(pairs, subs[j]+subs[j+1])
				}
			}
			sort.Strings(pairs)
			n := len(pairs)
			if sh[0] == '*' { // RESP2: a flat array
				n *= 2
			}
			fields[i+1] = resize(sh, n) + strings.Join(pairs, "")
		}
	}
	return h + outer[0] + dh + strings.Join(fields, "")
}

// bulkText is the text of a raw bulk string reply.
func bulkText(raw string) string {
	_, s, _ := strings.Cut(strings.TrimSuffix(raw, "\r\n"), "\r\n")
	return s
}

// resize gives an aggregate's header another length.
func resize(header string, n int) string { return fmt.Sprintf("%c%d\r\n", header[0], n) }

// firstDifference shows where two long replies part.
func firstDifference(m, r string) string {
	i := 0
	for i < len(m) && i < len(r) && m[i] == r[i] {
		i++
	}
	from := max(i-120, 0)
	clip := func(s string) string { return s[min(from, len(s)):min(i+120, len(s))] }
	return fmt.Sprintf("at byte %d\n  moonstone: %q\n  redis:     %q", i, clip(m), clip(r))
}
