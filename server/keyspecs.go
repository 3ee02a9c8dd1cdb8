package server

import "strings"

// Key flags, for COMMAND GETKEYSANDFLAGS: Redis 7.0 describes each
// command's keys with key specs (commanddocs.go), each carrying flags that
// say how the command uses those keys (RO/RW/OW/RM, and access, update,
// insert, delete). The command table keeps only where the keys are
// (FirstKey..LastKey, or a Keys function); the flags are its key specs'.
//
// Which spec a key belongs to: the first key found belongs to the first
// spec and every later one to the last spec. That is exact for every
// Redis 7.0 command: commands with two specs have one key for the first
// (a source or a destination) before the keys of the second, and the
// three-spec ones (SORT, GEORADIUS, GEORADIUSBYMEMBER) report at most two
// keys, the second being a destination. keyFlags handles the commands
// whose flags depend on their arguments, as Redis's getkeys functions do.

// keyFlags returns the flags of the i-th key that cmd called with
// args names, as COMMAND GETKEYSANDFLAGS reports them.
func keyFlags(cmd *Command, args [][]byte, i int) []string {
	specs := cmd.keySpecs()
	switch cmd.Name {
	case "set":
		// RW when GET returns the old value, else it is overwritten.
		for _, a := range args[3:] {
			if strings.EqualFold(string(a), "get") {
				return []string{"RW", "access", "update"}
			}
		}
		return []string{"OW", "update"}
	case "bitfield":
		if bitfieldReadOnly(args) {
			return []string{"RO", "access"}
		}
		return []string{"RW", "access", "update"}
	case "migrate":
		// The KEYS form's keys too: Redis's migrateGetKeys flags them
		// all like the single key.
		return strings.Fields(specs[0].Flags)
	}
	switch {
	case len(specs) == 0:
		return nil
	case i == 0:
		return strings.Fields(specs[0].Flags)
	default:
		return strings.Fields(specs[len(specs)-1].Flags)
	}
}

// bitfieldReadOnly reports whether a BITFIELD call only reads, as Redis's
// bitfieldGetKeys decides it: GET and OVERFLOW alone, with their
// arguments; anything else, a syntax error included, counts as a write.
func bitfieldReadOnly(args [][]byte) bool {
	for i := 2; i < len(args); i++ {
		more := len(args) - i - 1
		switch {
		case strings.EqualFold(string(args[i]), "get") && more >= 2:
			i += 2
		case strings.EqualFold(string(args[i]), "overflow") && more >= 1:
			i++
		default:
			return false
		}
	}
	return true
}

// hasKeys reports whether cmd takes key arguments at all, as Redis's
// doesCommandHaveKeys: shard channels (SSUBSCRIBE, SPUBLISH, ...) are
// located like keys but flagged not_key, and do not count.
func (cmd *Command) hasKeys() bool {
	if specs := cmd.keySpecs(); len(specs) > 0 {
		for _, ks := range specs {
			if ks.Flags != "not_key" {
				return true
			}
		}
		return false
	}
	return cmd.FirstKey > 0 || cmd.Keys != nil
}
