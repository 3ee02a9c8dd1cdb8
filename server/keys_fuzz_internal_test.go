package server

import (
	"bytes"
	"sort"
	"testing"
)

// Key positions are found in a request's raw arguments before any command
// runs (ACL key checks in dispatch, arrival order), outside the recover
// that guards commands: whatever a client sends, every command's key
// finder must stay inside the arguments and never panic.
func FuzzKeyPositionsStayInArguments(f *testing.F) {
	type entry struct {
		prefix [][]byte // the command's name, or its parent's and its own
		cmd    *Command
	}
	table := commandTable(nil)
	var cmds []entry
	for _, name := range sortedNames(table) {
		cmd := table[name]
		cmds = append(cmds, entry{[][]byte{[]byte(name)}, cmd})
		for _, sub := range sortedNames(cmd.Subcommands) {
			cmds = append(cmds, entry{[][]byte{[]byte(name), []byte(sub)}, cmd.Subcommands[sub]})
		}
	}
	for _, seed := range []string{
		"2 k1 k2", "-1 k", "0", "9223372036854775807 a b", "STREAMS s1 s2 0 0",
		"1 k STORE d", "k BY x GET # STORE d", "KEYS 2 a b", "3 a b", "numkeys 1 x",
		"COUNT 1 STREAMS a >", "a b WEIGHTS 1 2 AGGREGATE SUM", "-9223372036854775808 k",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		words := bytes.Fields(data)
		for _, e := range cmds {
			cmd := e.cmd
			args := append(append([][]byte{}, e.prefix...), words...)
			if !cmd.arityOK(len(args)) {
				continue
			}
			for _, i := range cmd.KeyPositions(args) {
				if i < 0 || i >= len(args) {
					t.Fatalf("%q: key position %d outside %d arguments", args, i, len(args))
				}
			}
		}
	})
}

func sortedNames(m map[string]*Command) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
