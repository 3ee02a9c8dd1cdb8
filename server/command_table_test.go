package server_test

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/redis/go-redis/v9"

	"moonstone/internal/testkit"
)

// The administrative commands' table entries are Redis 7.0.15's: COMMAND
// INFO's name, arity, flags, key positions, ACL categories and tips for
// each command and subcommand, and COMMAND DOCS's summary, since and group.
// (TestCommandInfoAndDocsMatchRedis compares every command's whole entries.)
func TestAdminCommandTableMatchesRedis(t *testing.T) {
	commandTableMatchesRedis(t, "wait", "role", "replicaof", "slaveof", "failover", "sync", "psync", "replconf",
		"cluster", "readonly", "readwrite", "asking", "module", "lolwut", "latency", "memory", "acl",
		"config|help", "object", "command|help", "bgrewriteaof", "restore-asking")
}

// commandTableMatchesRedis compares COMMAND INFO's first eight fields and
// COMMAND DOCS's summary, since and group of each named command and its
// subcommands.
func commandTableMatchesRedis(t *testing.T, names ...string) {
	t.Helper()
	p := testkit.StartPair(t)
	ms := p.Moonstone.NewClient()
	defer ms.Close()
	ctx := context.Background()
	entries := func(c *redis.Client, name string) map[string]string {
		out := map[string]string{}
		info, err := c.Do(ctx, "COMMAND", "INFO", name).Slice()
		if err != nil || len(info) != 1 || info[0] == nil {
			t.Fatalf("COMMAND INFO %s: %v %v", name, info, err)
		}
		var walk func(e []any)
		walk = func(e []any) {
			out[e[0].(string)] = fmt.Sprint(e[:8])
			if subs, ok := e[9].([]any); ok {
				for _, s := range subs {
					walk(s.([]any))
				}
			}
		}
		walk(info[0].([]any))
		for n := range out {
			d, err := c.Do(ctx, "COMMAND", "DOCS", n).Slice()
			if err != nil || len(d) != 2 {
				t.Fatalf("COMMAND DOCS %s: %v %v", n, d, err)
			}
			fields := d[1].([]any)
			for i := 0; i+1 < len(fields); i += 2 {
				switch fields[i] {
				case "summary", "since", "group":
					out[n] += fmt.Sprint(" ", fields[i], "=", fields[i+1])
				}
			}
		}
		return out
	}
	for _, name := range names {
		m, r := entries(ms, name), entries(p.Redis.Client, name)
		var keys []string
		for k := range r {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if len(m) != len(r) {
			t.Errorf("%s: %d entries, Redis has %d", name, len(m), len(r))
		}
		for _, k := range keys {
			if m[k] != r[k] {
				t.Errorf("%s\n  moonstone: %s\n  redis:     %s", k, m[k], r[k])
			}
		}
	}
}
