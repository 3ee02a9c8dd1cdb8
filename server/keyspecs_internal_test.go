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
			if (c.FirstKey > 0 || c.Keys != nil) && len(c.keySpecs()) == 0 {
				t.Errorf("%s takes keys but has no key specs", c.Name)
			}
		}
	}
}
