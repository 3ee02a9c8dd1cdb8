package server

// moonstoneCommandDocs are the entries (commanddocs.go) of the commands
// Redis 7.0 does not have: Moonstone's own, and CLIENT SETINFO and CLIENT
// NO-TOUCH, which arrived in Redis 7.2 and are described as 7.2 does.
// An entry here wins over a generated one of the same name.
var moonstoneCommandDocs = map[string]*commandDocs{
	"checkpoint": {
		Summary:    "Writes a consistent copy of the data directory to a new directory (Moonstone).",
		Complexity: "O(1): the copy is made of hard links to Pebble's immutable files, plus a copy of the write-ahead log.",
		Args: []docArg{
			{Name: "directory", Type: "string"},
		},
	},
	"client|no-touch": {
		Summary:    "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.",
		Complexity: "O(1)",
		Args: []docArg{
			{Name: "enabled", Type: "oneof", Args: []docArg{
				{Name: "on", Type: "pure-token", Token: "ON"},
				{Name: "off", Type: "pure-token", Token: "OFF"},
			}},
		},
	},
	"client|setinfo": {
		Summary:    "Sets information specific to the client or connection.",
		Complexity: "O(1)",
		Tips:       "request_policy:all_nodes response_policy:all_succeeded",
		Args: []docArg{
			{Name: "attr", Type: "oneof", Args: []docArg{
				{Name: "libname", Type: "string", Token: "LIB-NAME"},
				{Name: "libver", Type: "string", Token: "LIB-VER"},
			}},
		},
	},
	"moonstone": {
		Summary:    "A container for Moonstone's own diagnostics (Moonstone).",
		Complexity: "Depends on subcommand.",
	},
	"moonstone|help": {
		Summary:    "Show helpful text about the different subcommands",
		Complexity: "O(1)",
	},
	"moonstone|metrics": {
		Summary:    "Returns Pebble's metrics report (Moonstone).",
		Complexity: "O(1)",
		Tips:       "nondeterministic_output",
	},
}
