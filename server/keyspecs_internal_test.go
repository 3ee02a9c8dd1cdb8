package server

import "testing"

// Every command that takes keys has its key specs' flags, so COMMAND
// GETKEYSANDFLAGS never answers a key without flags.
func TestEveryKeyedCommandHasKeyFlags(t *testing.T) {
	for _, cmd := range commandTable(nil) {
		all := []*Command{cmd}
		for _, sub := range cmd.Subcommands {
			all = append(all, sub)
		}
		for _, c := range all {
			_, ok := keySpecFlags[c.Name]
			if (c.FirstKey > 0 || c.Keys != nil) && !ok {
				t.Errorf("%s takes keys but has no entry in keySpecFlags", c.Name)
			}
		}
	}
}
