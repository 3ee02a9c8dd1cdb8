package testkit

import (
	"fmt"
	"strings"
	"testing"
)

// Pair is a Moonstone and a redis-server side by side, with one raw
// connection to each.
type Pair struct {
	Moonstone *Server
	Redis     *Redis
	ms, rd    *RawConn
}

// StartPair starts both servers. Moonstone gets opts as config pairs.
func StartPair(t testing.TB, opts ...string) *Pair {
	t.Helper()
	return StartPairArgs(t, nil, opts...)
}

// StartPairArgs is StartPair with redisArgs ("--name value" pairs) given to
// redis-server, for settings both servers need at start-up.
func StartPairArgs(t testing.TB, redisArgs []string, opts ...string) *Pair {
	t.Helper()
	r := StartRedis(t, redisArgs...)
	m := Start(t, opts...)
	p := &Pair{Moonstone: m, Redis: r, ms: m.Raw(t)}
	rd, err := DialRaw(r.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rd.Close() })
	p.rd = rd
	return p
}

// Do runs one command on both servers and returns both raw replies.
func (p *Pair) Do(args ...string) (moonstone, redis string, err error) {
	if moonstone, err = p.ms.Do(args...); err != nil {
		return "", "", fmt.Errorf("moonstone: %w", err)
	}
	if redis, err = p.rd.Do(args...); err != nil {
		return "", "", fmt.Errorf("redis: %w", err)
	}
	return moonstone, redis, nil
}

// Run runs a script (see the package comment) on both servers, reporting
// every command whose replies differ.
func (p *Pair) Run(t testing.TB, script string) {
	t.Helper()
	for n, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		unorderedReply := strings.HasPrefix(line, "~")
		line = strings.TrimPrefix(line, "~")
		args, err := ParseLine(line)
		if err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		m, r, err := p.Do(args...)
		if err != nil {
			t.Fatalf("line %d %q: %v", n+1, line, err)
		}
		if unorderedReply {
			m, r = unordered(m), unordered(r)
		}
		if m != r {
			t.Errorf("line %d: %s\n  moonstone: %q\n  redis:     %q", n+1, line, m, r)
		}
	}
}

// Resp3 switches both raw connections to RESP3 with HELLO 3. HELLO's reply
// names each server's own client id, so it is checked, not compared.
func (p *Pair) Resp3(t testing.TB) {
	t.Helper()
	m, r, err := p.Do("HELLO", "3")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m, "%7\r\n") || !strings.HasPrefix(r, "%7\r\n") {
		t.Fatalf("HELLO 3:\n  moonstone: %q\n  redis:     %q", m, r)
	}
}

// DiffResp3 is Diff with both connections in RESP3 (HELLO 3): maps, sets,
// doubles, nulls and the rest are compared byte for byte.
func DiffResp3(t testing.TB, script string) {
	t.Helper()
	p := StartPair(t)
	p.Resp3(t)
	p.Run(t, script)
}

// Diff starts a fresh pair and runs script on it: the one-call form of
// the differential test.
func Diff(t testing.TB, script string) {
	t.Helper()
	StartPair(t).Run(t, script)
}

// RestartMoonstone restarts Moonstone on its data directory and connects
// to it again (the new connection starts in database 0).
func (p *Pair) RestartMoonstone(t testing.TB) {
	t.Helper()
	p.ms.Close()
	p.Moonstone.Restart(t)
	p.ms = p.Moonstone.Raw(t)
}
