package server_test

import (
	"testing"

	"moonstone/internal/testkit"
)

// MODULE answers as a Redis 7.0 without modules: LIST is empty; LOAD,
// LOADEX and UNLOAD are refused under enable-module-command no (the
// default), a rejected call that voids MULTI.
func TestModuleCommandsMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	p.Run(t, `
CONFIG RESETSTAT
MODULE LIST
MODULE HELP
module help
MODULE HELP x
MODULE
MODULE nosuch
MODULE LIST x
MODULE LOAD /no/such/module.so
MODULE LOAD /no/such/module.so arg1 arg2
MODULE LOADEX /no/such/module.so CONFIG name value ARGS a
MODULE UNLOAD mymodule
MODULE UNLOAD
MODULE LOAD
MULTI
MODULE LIST
MODULE LOAD /no/such/module.so
PING
EXEC
EVAL "return redis.pcall('module', 'list')" 0
CONFIG GET enable-module-command
`)
	got, want := pairStats(t, p)
	if join(got) != join(want) {
		t.Errorf("stats differ\nmoonstone:\n%s\nredis:\n%s", join(got), join(want))
	}
}

// With enable-module-command yes (or local, for a loopback client), the
// commands run, and fail as Redis fails on a module it cannot load or
// does not have.
func TestModuleCommandsWhenEnabled(t *testing.T) {
	for _, mode := range []string{"yes", "local"} {
		p := testkit.StartPairArgs(t, []string{"--enable-module-command", mode}, "enable-module-command", mode)
		p.Run(t, `
CONFIG RESETSTAT
MODULE LOAD /no/such/module.so
MODULE LOADEX /no/such/module.so CONFIG name value ARGS a
MODULE LOADEX /no/such/module.so CONFIG name
MODULE UNLOAD mymodule
MODULE LIST
MULTI
MODULE UNLOAD mymodule
EXEC
`)
		got, want := pairStats(t, p)
		if join(got) != join(want) {
			t.Errorf("%s: stats differ\nmoonstone:\n%s\nredis:\n%s", mode, join(got), join(want))
		}
	}
}

// LOLWUT answers Redis 7.0's version line for every version.
func TestLolwutMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
LOLWUT
lolwut
LOLWUT VERSION 7
LOLWUT VERSION 4
LOLWUT VERSION 7 10 20
LOLWUT VERSION -1
LOLWUT VERSION x
LOLWUT VERSION
LOLWUT 5 10
LOLWUT whatever
EVAL "return redis.call('lolwut')" 0
`)
	testkit.DiffResp3(t, "LOLWUT")
}

func join(lines []string) string {
	out := ""
	for _, l := range lines {
		out += l + "\n"
	}
	return out
}
