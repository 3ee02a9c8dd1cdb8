package server

import "testing"

// Every command and subcommand in the table has its key specs and docs,
// Redis's generated ones or Moonstone's own; Moonstone's own entries name
// commands the table has, and Redis's generated table does not have them
// (a command Redis 7.0 has is described as Redis describes it).
func TestEveryCommandHasDocs(t *testing.T) {
	table := map[string]bool{}
	for _, cmd := range commandTable(nil) {
		all := []*Command{cmd}
		for _, sub := range cmd.Subcommands {
			all = append(all, sub)
		}
		for _, c := range all {
			table[c.Name] = true
			if c.docs() == nil {
				t.Errorf("%s has no entry in redisCommandDocs or moonstoneCommandDocs", c.Name)
			}
		}
	}
	for name := range moonstoneCommandDocs {
		if !table[name] {
			t.Errorf("moonstoneCommandDocs describes %s, which the table does not have", name)
		}
		if redisCommandDocs[name] != nil {
			t.Errorf("%s is in both redisCommandDocs and moonstoneCommandDocs", name)
		}
	}
}
