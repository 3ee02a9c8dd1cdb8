package server

// The command table: every command Moonstone serves, in one place. Dispatch,
// arity checks, COMMAND's replies, what scripts and MULTI may call and which
// transaction a command runs in all read it. Flags, key positions and
// groups are Redis 7.0's. Key specs, tips and COMMAND DOCS's documentation
// are Redis's too, generated into commanddocs_gen.go and found by name
// (commanddocs.go).

// def builds a command entry. keys is {first, last, step}.
func def(name string, arity int, flags string, keys [3]int, group, since string, run func(*Call), summary string) *Command {
	return &Command{
		Name: name, Arity: arity, Flags: parseFlags(flags),
		FirstKey: keys[0], LastKey: keys[1], Step: keys[2],
		Group: group, Since: since, Run: run, Summary: summary,
	}
}

// parent builds a container command whose first argument names a
// subcommand; each sub's name becomes "parent|sub".
func parent(name string, arity int, group, since, summary string, subs ...*Command) *Command {
	p := &Command{Name: name, Arity: arity, Group: group, Since: since, Summary: summary,
		Subcommands: make(map[string]*Command)}
	for _, s := range subs {
		short := s.Name
		s.Name = name + "|" + short
		if s.Group == "" {
			s.Group = group
		}
		p.Subcommands[short] = s
	}
	return p
}

// withACL gives cmd the ACL categories Redis's table names for it
// (acl_categories: "admin dangerous"), instead of its group's; the
// categories its flags imply are added anyway.
func withACL(cmd *Command, categories string) *Command {
	cmd.ACL = mustACLCategories(categories)
	return cmd
}

// withFlags adds flags to cmd: for a container, whose own flags Redis
// shows in COMMAND INFO (COMMAND's loading and stale).
func withFlags(cmd *Command, flags string) *Command {
	cmd.Flags |= parseFlags(flags)
	return cmd
}

// withRun gives a container a handler for a call without a subcommand,
// as Redis's COMMAND has (a bare COMMAND lists every command).
func withRun(cmd *Command, run func(*Call)) *Command {
	cmd.Run = run
	return cmd
}

var (
	noKeys   = [3]int{}
	key1     = [3]int{1, 1, 1}
	keys12   = [3]int{1, 2, 1}
	keysAll  = [3]int{1, -1, 1}
	keyPairs = [3]int{1, -1, 2}
	key2     = [3]int{2, 2, 1}
)

// testCommands, set only by tests (export_test.go), adds commands to the
// table of servers made while it is set: stand-ins for bugs, such as a
// command that panics.
var testCommands func() []*Command

func commandTable(extra func() []*Command) map[string]*Command {
	list := []*Command{
		// connection
		def("ping", -1, "fast", noKeys, "connection", "1.0.0", cmdPing, "Returns the server's liveliness response."),
		def("echo", 2, "loading stale fast", noKeys, "connection", "1.0.0", cmdEcho, "Returns the given string."),
		def("quit", -1, "noscript loading stale fast no_auth allow_busy", noKeys, "connection", "1.0.0", cmdQuit, "Closes the connection."),
		def("select", 2, "loading stale fast", noKeys, "connection", "1.0.0", cmdSelect, "Changes the selected database."),
		def("auth", -2, "noscript loading stale fast no_auth allow_busy", noKeys, "connection", "1.0.0", cmdAuth, "Authenticates the connection."),
		def("hello", -1, "noscript loading stale fast no_auth allow_busy", noKeys, "connection", "6.0.0", cmdHello, "Handshakes with the Redis server."),
		def("reset", 1, "noscript loading stale fast no_auth allow_busy", noKeys, "connection", "6.2.0", cmdReset, "Resets the connection."),
		parent("client", -2, "connection", "2.4.0", "A container for client connection commands.",
			def("id", 2, "noscript loading stale", noKeys, "", "5.0.0", cmdClientID, "Returns the unique client ID of the connection."),
			def("setname", 3, "noscript loading stale", noKeys, "", "2.6.9", cmdClientSetName, "Sets the connection name."),
			def("getname", 2, "noscript loading stale", noKeys, "", "2.6.9", cmdClientGetName, "Returns the name of the connection."),
			def("setinfo", 4, "noscript loading stale", noKeys, "", "7.2.0", cmdClientSetInfo, "Sets information specific to the client or connection."),
			def("info", 2, "noscript loading stale", noKeys, "", "6.2.0", cmdClientInfo, "Returns information about the connection."),
			def("list", -2, "admin noscript loading stale", noKeys, "", "2.4.0", cmdClientList, "Lists open connections."),
			def("kill", -3, "admin noscript loading stale", noKeys, "", "2.4.0", cmdClientKill, "Terminates open connections."),
			def("reply", 3, "noscript loading stale", noKeys, "", "3.2.0", cmdClientReply, "Instruct the server whether to reply to commands"),
			def("pause", -3, "admin noscript loading stale", noKeys, "", "2.9.50", cmdClientPause, "Stop processing commands from clients for some time"),
			def("unpause", 2, "admin noscript loading stale", noKeys, "", "6.2.0", cmdClientUnpause, "Resume processing of clients that were paused"),
			def("unblock", -3, "admin noscript loading stale", noKeys, "", "5.0.0", cmdClientUnblock, "Unblock a client blocked in a blocking command from a different connection"),
			def("no-evict", 3, "admin noscript loading stale", noKeys, "", "7.0.0", cmdClientNoop, "Sets the client eviction mode of the connection."),
			def("no-touch", 3, "noscript loading stale", noKeys, "", "7.2.0", cmdClientNoop, "Controls whether commands sent by the client affect the LRU/LFU of accessed keys."),
			def("help", 2, "loading stale", noKeys, "", "5.0.0", cmdClientHelp, "Show helpful text about the different subcommands"),
			// client-side caching (cmd_tracking.go)
			def("tracking", -3, "noscript loading stale", noKeys, "", "6.0.0", cmdClientTracking, "Controls server-assisted client-side caching for the connection."),
			def("caching", 3, "noscript loading stale", noKeys, "", "6.0.0", cmdClientCaching, "Instructs the server whether to track the keys in the next request."),
			def("getredir", 2, "noscript loading stale", noKeys, "", "6.0.0", cmdClientGetRedir, "Returns the client ID to which the connection's tracking notifications are redirected."),
			def("trackinginfo", 2, "noscript loading stale", noKeys, "", "6.2.0", cmdClientTrackingInfo, "Returns information about server-assisted client-side caching for the connection."),
		),

		// server
		withACL(def("info", -1, "loading stale", noKeys, "server", "1.0.0", cmdInfo, "Returns information and statistics about the server."), "dangerous"),
		def("time", 1, "loading stale fast", noKeys, "server", "2.6.0", cmdTime, "Returns the server time."),
		withACL(def("dbsize", 1, "readonly fast", noKeys, "server", "1.0.0", cmdDBSize, "Returns the number of keys in the database."), "keyspace"),
		withACL(def("flushdb", -1, "write", noKeys, "server", "1.0.0", cmdFlushDB, "Removes all keys from the current database."), "keyspace dangerous"),
		withACL(def("flushall", -1, "write", noKeys, "server", "1.0.0", cmdFlushAll, "Removes all keys from all databases."), "keyspace dangerous"),
		withACL(def("swapdb", 3, "write fast", noKeys, "server", "4.0.0", cmdSwapDB, "Swaps two Redis databases"), "keyspace dangerous"),
		def("monitor", 1, "admin noscript loading stale", noKeys, "server", "1.0.0", cmdMonitor, "Listens for all requests received by the server in real-time."),
		def("shutdown", -1, "admin noscript loading stale no_multi allow_busy", noKeys, "server", "1.0.0", cmdShutdown, "Synchronously saves the database(s) to disk and shuts down the Redis server."),
		// persistence (cmd_persistence.go)
		def("checkpoint", 2, "admin noscript no_multi", noKeys, "server", "7.0.0", cmdCheckpoint, "Writes a consistent copy of the data directory to a new directory (Moonstone)."),
		def("save", 1, "admin noscript no_async_loading no_multi", noKeys, "server", "1.0.0", cmdSave, "Synchronously saves the database(s) to disk."),
		def("bgsave", -1, "admin noscript no_async_loading", noKeys, "server", "1.0.0", cmdBGSave, "Asynchronously saves the database(s) to disk."),
		def("bgrewriteaof", 1, "admin noscript no_async_loading", noKeys, "server", "1.0.0", cmdBGRewriteAOF, "Asynchronously rewrite the append-only file"),
		withACL(def("lastsave", 1, "loading stale fast", noKeys, "server", "1.0.0", cmdLastSave, "Returns the Unix timestamp of the last successful save to disk."), "admin dangerous"),
		withRun(withFlags(withACL(parent("command", -1, "server", "2.8.13", "Returns detailed information about all commands.",
			withACL(def("count", 2, "loading stale", noKeys, "", "2.8.13", cmdCommandCount, "Returns a count of commands."), "connection"),
			withACL(def("info", -2, "loading stale", noKeys, "", "2.8.13", cmdCommandInfo, "Returns information about one, multiple or all commands."), "connection"),
			withACL(def("docs", -2, "loading stale", noKeys, "", "7.0.0", cmdCommandDocs, "Returns documentary information about one, multiple or all commands."), "connection"),
			withACL(def("list", -2, "loading stale", noKeys, "", "7.0.0", cmdCommandList, "Returns a list of command names."), "connection"),
			withACL(def("getkeys", -4, "loading stale", noKeys, "", "2.8.13", cmdCommandGetKeys, "Extracts the key names from an arbitrary command."), "connection"),
			withACL(def("getkeysandflags", -4, "loading stale", noKeys, "", "7.0.0", cmdCommandGetKeys, "Extracts the key names and access flags for an arbitrary command."), "connection"),
			withACL(def("help", 2, "loading stale", noKeys, "", "5.0.0", cmdCommandHelp, "Show helpful text about the different subcommands"), "connection"),
		), "connection"), "loading stale"), cmdCommand),
		parent("config", -2, "server", "2.0.0", "A container for server configuration commands.",
			def("get", -3, "admin noscript loading stale", noKeys, "", "2.0.0", cmdConfigGet, "Returns the effective values of configuration parameters."),
			def("set", -4, "admin noscript loading stale", noKeys, "", "2.0.0", cmdConfigSet, "Sets configuration parameters in-flight."),
			def("resetstat", 2, "admin noscript loading stale", noKeys, "", "2.0.0", cmdConfigResetStat, "Resets the server's statistics."),
			def("rewrite", 2, "admin noscript loading stale", noKeys, "", "2.8.0", cmdConfigRewrite, "Persists the effective configuration to file."),
			def("help", 2, "loading stale", noKeys, "", "5.0.0", cmdConfigHelp, "Show helpful text about the different subcommands"),
		),
		parent("moonstone", -2, "server", "7.0.0", "A container for Moonstone's own diagnostics (Moonstone).",
			def("metrics", 2, "admin loading stale", noKeys, "", "7.0.0", cmdMoonstoneMetrics, "Returns Pebble's metrics report (Moonstone)."),
			def("help", 2, "loading stale", noKeys, "", "7.0.0", cmdMoonstoneHelp, "Show helpful text about the different subcommands"),
		),
		// slowlog (slowlog.go, cmd_slowlog.go)
		parent("slowlog", -2, "server", "2.2.12", "A container for slow log commands.",
			def("get", -2, "admin loading stale", noKeys, "", "2.2.12", cmdSlowlogGet, "Returns the slow log's entries."),
			def("len", 2, "admin loading stale", noKeys, "", "2.2.12", cmdSlowlogLen, "Returns the number of entries in the slow log."),
			def("reset", 2, "admin loading stale", noKeys, "", "2.2.12", cmdSlowlogReset, "Clears all entries from the slow log."),
			def("help", 2, "loading stale", noKeys, "", "6.2.0", cmdSlowlogHelp, "Show helpful text about the different subcommands"),
		),
		parent("memory", -2, "server", "4.0.0", "A container for memory diagnostics commands",
			def("usage", -3, "readonly", [3]int{2, 2, 1}, "", "4.0.0", cmdMemoryUsage, "Estimate the memory usage of a key"),
			def("doctor", 2, "", noKeys, "", "4.0.0", cmdMemoryDoctor, "Outputs memory problems report"),
			def("stats", 2, "", noKeys, "", "4.0.0", cmdMemoryStats, "Show memory usage details"),
			def("malloc-stats", 2, "", noKeys, "", "4.0.0", cmdMemoryMallocStats, "Show allocator internal stats"),
			def("purge", 2, "", noKeys, "", "4.0.0", cmdMemoryPurge, "Ask the allocator to release memory"),
			def("help", 2, "loading stale", noKeys, "", "4.0.0", cmdMemoryHelp, "Show helpful text about the different subcommands"),
		),
		parent("object", -2, "generic", "2.2.3", "A container for object introspection commands",
			def("encoding", 3, "readonly", key2, "", "2.2.3", cmdObject, "Inspect the internal encoding of a Redis object"),
			def("refcount", 3, "readonly", key2, "", "2.2.3", cmdObject, "Get the number of references to the value of the key"),
			def("idletime", 3, "readonly", key2, "", "2.2.3", cmdObject, "Get the time since a Redis object was last accessed"),
			def("freq", 3, "readonly", key2, "", "4.0.0", cmdObject, "Get the logarithmic access frequency counter of a Redis object"),
			def("help", 2, "loading stale", noKeys, "", "6.2.0", cmdObjectHelp, "Show helpful text about the different subcommands"),
		),

		// strings
		def("get", 2, "readonly fast", key1, "string", "1.0.0", cmdGet, "Returns the string value of a key."),
		def("set", -3, "write denyoom", key1, "string", "1.0.0", cmdSet, "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist."),
		def("setnx", 3, "write denyoom fast", key1, "string", "1.0.0", cmdSetNX, "Set the string value of a key only when the key doesn't exist."),
		def("setex", 4, "write denyoom", key1, "string", "2.0.0", cmdSetEX, "Sets the string value and expiration time of a key. Creates the key if it doesn't exist."),
		def("psetex", 4, "write denyoom", key1, "string", "2.6.0", cmdSetEX, "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist."),
		def("getset", 3, "write denyoom fast", key1, "string", "1.0.0", cmdGetSet, "Returns the previous string value of a key after setting it to a new value."),
		def("getdel", 2, "write fast", key1, "string", "6.2.0", cmdGetDel, "Returns the string value of a key after deleting the key."),
		def("getex", -2, "write fast", key1, "string", "6.2.0", cmdGetEx, "Returns the string value of a key after setting its expiration time."),
		def("mget", -2, "readonly fast", keysAll, "string", "1.0.0", cmdMGet, "Atomically returns the string values of one or more keys."),
		def("mset", -3, "write denyoom", keyPairs, "string", "1.0.1", cmdMSet, "Atomically creates or modifies the string values of one or more keys."),
		def("msetnx", -3, "write denyoom", keyPairs, "string", "1.0.1", cmdMSetNX, "Atomically modifies the string values of one or more keys only when all keys don't exist."),
		def("append", 3, "write denyoom fast", key1, "string", "2.0.0", cmdAppend, "Appends a string to the value of a key. Creates the key if it doesn't exist."),
		def("strlen", 2, "readonly fast", key1, "string", "2.2.0", cmdStrLen, "Returns the length of a string value."),
		def("incr", 2, "write denyoom fast", key1, "string", "1.0.0", cmdIncr, "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist."),
		def("decr", 2, "write denyoom fast", key1, "string", "1.0.0", cmdIncr, "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist."),
		def("incrby", 3, "write denyoom fast", key1, "string", "1.0.0", cmdIncr, "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist."),
		def("decrby", 3, "write denyoom fast", key1, "string", "1.0.0", cmdIncr, "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist."),
		def("incrbyfloat", 3, "write denyoom fast", key1, "string", "2.6.0", cmdIncrByFloat, "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist."),
		def("getrange", 4, "readonly", key1, "string", "2.4.0", cmdGetRange, "Returns a substring of the string stored at a key."),
		def("substr", 4, "readonly", key1, "string", "1.0.0", cmdGetRange, "Returns a substring from a string value."),
		def("setrange", 4, "write denyoom", key1, "string", "2.2.0", cmdSetRange, "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist."),

		// generic
		def("del", -2, "write", keysAll, "generic", "1.0.0", cmdDel, "Deletes one or more keys."),
		def("unlink", -2, "write fast", keysAll, "generic", "4.0.0", cmdDel, "Asynchronously deletes one or more keys."),
		def("exists", -2, "readonly fast", keysAll, "generic", "1.0.0", cmdExists, "Determines whether one or more keys exist."),
		def("touch", -2, "readonly fast", keysAll, "generic", "3.2.1", cmdExists, "Returns the number of existing keys out of those specified after updating the time they were last accessed."),
		def("type", 2, "readonly fast", key1, "generic", "1.0.0", cmdType, "Determines the type of value stored at a key."),
		def("rename", 3, "write", keys12, "generic", "1.0.0", cmdRename, "Renames a key and overwrites the destination."),
		def("renamenx", 3, "write fast", keys12, "generic", "1.0.0", cmdRename, "Renames a key only when the target key name doesn't exist."),
		def("copy", -3, "write denyoom", keys12, "generic", "6.2.0", cmdCopy, "Copies the value of a key to a new key."),
		def("move", 3, "write fast", key1, "generic", "1.0.0", cmdMove, "Moves a key to another database."),
		withACL(def("keys", 2, "readonly", noKeys, "generic", "1.0.0", cmdKeys, "Returns all key names that match a pattern."), "keyspace dangerous"),
		def("scan", -2, "readonly", noKeys, "generic", "2.8.0", cmdScan, "Iterates over the key names in the database."),
		def("randomkey", 1, "readonly", noKeys, "generic", "1.0.0", cmdRandomKey, "Returns a random key name from the database."),
		def("expire", -3, "write fast", key1, "generic", "1.0.0", cmdExpire, "Sets the expiration time of a key in seconds."),
		def("pexpire", -3, "write fast", key1, "generic", "2.6.0", cmdExpire, "Sets the expiration time of a key in milliseconds."),
		def("expireat", -3, "write fast", key1, "generic", "1.2.0", cmdExpire, "Sets the expiration time of a key to a Unix timestamp."),
		def("pexpireat", -3, "write fast", key1, "generic", "2.6.0", cmdExpire, "Sets the expiration time of a key to a Unix milliseconds timestamp."),
		def("ttl", 2, "readonly fast", key1, "generic", "1.0.0", cmdTTL, "Returns the expiration time in seconds of a key."),
		def("pttl", 2, "readonly fast", key1, "generic", "2.6.0", cmdTTL, "Returns the expiration time in milliseconds of a key."),
		def("expiretime", 2, "readonly fast", key1, "generic", "7.0.0", cmdTTL, "Returns the expiration time of a key as a Unix timestamp."),
		def("pexpiretime", 2, "readonly fast", key1, "generic", "7.0.0", cmdTTL, "Returns the expiration time of a key as a Unix milliseconds timestamp."),
		def("persist", 2, "write fast", key1, "generic", "2.2.0", cmdPersist, "Removes the expiration time of a key."),
		def("dump", 2, "readonly", key1, "generic", "2.6.0", cmdDump, "Returns a serialized representation of the value stored at a key."),
		withACL(def("restore", -4, "write denyoom", key1, "generic", "2.6.0", cmdRestore, "Creates a key from the serialized representation of a value."), "keyspace dangerous"),
		withACL(def("restore-asking", -4, "write denyoom asking", key1, "server", "3.0.0", cmdRestore, "An internal command for migrating keys in a cluster"), "keyspace dangerous"),
		withACL(withKeys(def("migrate", -6, "write movablekeys", [3]int{3, 3, 1}, "generic", "2.6.0", cmdMigrate, "Atomically transfer a key from a Redis instance to another one."), migrateKeys), "keyspace dangerous"),

		// bitmap (cmd_bits.go)
		def("setbit", 4, "write denyoom", key1, "bitmap", "2.2.0", cmdSetBit, "Sets or clears the bit at offset in the string value stored at key"),
		def("getbit", 3, "readonly fast", key1, "bitmap", "2.2.0", cmdGetBit, "Returns the bit value at offset in the string value stored at key"),
		def("bitcount", -2, "readonly", key1, "bitmap", "2.6.0", cmdBitCount, "Count set bits in a string"),
		def("bitpos", -3, "readonly", key1, "bitmap", "2.8.7", cmdBitPos, "Find first bit set or clear in a string"),
		def("bitop", -4, "write denyoom", [3]int{2, -1, 1}, "bitmap", "2.6.0", cmdBitOp, "Perform bitwise operations between strings"),
		def("bitfield", -2, "write denyoom", key1, "bitmap", "3.2.0", cmdBitField, "Perform arbitrary bitfield integer operations on strings"),
		def("bitfield_ro", -2, "readonly fast", key1, "bitmap", "6.0.0", cmdBitField, "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD"),
		// LCS is a string command (group "string") built like the bit commands.
		def("lcs", -3, "readonly", keys12, "string", "7.0.0", cmdLCS, "Find longest common substring"),

		// hyperloglog (cmd_hll.go): strings in Redis's HLL layout
		def("pfadd", -2, "write denyoom fast", key1, "hyperloglog", "2.8.9", cmdPFAdd, "Adds the specified elements to the specified HyperLogLog."),
		def("pfcount", -2, "readonly may_replicate", keysAll, "hyperloglog", "2.8.9", cmdPFCount, "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s)."),
		def("pfmerge", -2, "write denyoom", keysAll, "hyperloglog", "2.8.9", cmdPFMerge, "Merge N different HyperLogLogs into a single one."),
		def("pfdebug", 3, "write denyoom admin", key2, "hyperloglog", "2.8.9", cmdPFDebug, "Internal commands for debugging HyperLogLog values"),
		def("pfselftest", 1, "admin", noKeys, "hyperloglog", "2.8.9", cmdPFSelfTest, "An internal command for testing HyperLogLog values"),

		// hash (cmd_hash.go)
		def("hset", -4, "write denyoom fast", key1, "hash", "2.0.0", cmdHSet, "Set the string value of a hash field"),
		def("hsetnx", 4, "write denyoom fast", key1, "hash", "2.0.0", cmdHSetNX, "Set the value of a hash field, only if the field does not exist"),
		def("hget", 3, "readonly fast", key1, "hash", "2.0.0", cmdHGet, "Get the value of a hash field"),
		def("hmset", -4, "write denyoom fast", key1, "hash", "2.0.0", cmdHSet, "Set multiple hash fields to multiple values"),
		def("hmget", -3, "readonly fast", key1, "hash", "2.0.0", cmdHMGet, "Get the values of all the given hash fields"),
		def("hdel", -3, "write fast", key1, "hash", "2.0.0", cmdHDel, "Delete one or more hash fields"),
		def("hexists", 3, "readonly fast", key1, "hash", "2.0.0", cmdHExists, "Determine if a hash field exists"),
		def("hlen", 2, "readonly fast", key1, "hash", "2.0.0", cmdHLen, "Get the number of fields in a hash"),
		def("hstrlen", 3, "readonly fast", key1, "hash", "3.2.0", cmdHStrLen, "Get the length of the value of a hash field"),
		def("hkeys", 2, "readonly", key1, "hash", "2.0.0", cmdHGetAll, "Get all the fields in a hash"),
		def("hvals", 2, "readonly", key1, "hash", "2.0.0", cmdHGetAll, "Get all the values in a hash"),
		def("hgetall", 2, "readonly", key1, "hash", "2.0.0", cmdHGetAll, "Get all the fields and values in a hash"),
		def("hincrby", 4, "write denyoom fast", key1, "hash", "2.0.0", cmdHIncrBy, "Increment the integer value of a hash field by the given number"),
		def("hincrbyfloat", 4, "write denyoom fast", key1, "hash", "2.6.0", cmdHIncrByFloat, "Increment the float value of a hash field by the given amount"),
		def("hrandfield", -2, "readonly", key1, "hash", "6.2.0", cmdHRandField, "Get one or multiple random fields from a hash"),
		def("hscan", -3, "readonly", key1, "hash", "2.8.0", cmdHScan, "Incrementally iterate hash fields and associated values"),

		// list (cmd_list.go)
		def("lpush", -3, "write denyoom fast", key1, "list", "1.0.0", cmdPush, "Prepend one or multiple elements to a list"),
		def("rpush", -3, "write denyoom fast", key1, "list", "1.0.0", cmdPush, "Append one or multiple elements to a list"),
		def("lpushx", -3, "write denyoom fast", key1, "list", "2.2.0", cmdPush, "Prepend an element to a list, only if the list exists"),
		def("rpushx", -3, "write denyoom fast", key1, "list", "2.2.0", cmdPush, "Append an element to a list, only if the list exists"),
		def("lpop", -2, "write fast", key1, "list", "1.0.0", cmdPop, "Remove and get the first elements in a list"),
		def("rpop", -2, "write fast", key1, "list", "1.0.0", cmdPop, "Remove and get the last elements in a list"),
		def("llen", 2, "readonly fast", key1, "list", "1.0.0", cmdLLen, "Get the length of a list"),
		def("lrange", 4, "readonly", key1, "list", "1.0.0", cmdLRange, "Get a range of elements from a list"),
		def("lindex", 3, "readonly", key1, "list", "1.0.0", cmdLIndex, "Get an element from a list by its index"),
		def("lset", 4, "write denyoom", key1, "list", "1.0.0", cmdLSet, "Set the value of an element in a list by its index"),
		def("linsert", 5, "write denyoom", key1, "list", "2.2.0", cmdLInsert, "Insert an element before or after another element in a list"),
		def("lrem", 4, "write", key1, "list", "1.0.0", cmdLRem, "Remove elements from a list"),
		def("ltrim", 4, "write", key1, "list", "1.0.0", cmdLTrim, "Trim a list to the specified range"),
		def("lpos", -3, "readonly", key1, "list", "6.0.6", cmdLPos, "Return the index of matching elements on a list"),
		def("lmove", 5, "write denyoom", keys12, "list", "6.2.0", cmdLMove, "Pop an element from a list, push it to another list and return it"),
		def("rpoplpush", 3, "write denyoom", keys12, "list", "1.2.0", cmdLMove, "Remove the last element in a list, prepend it to another list and return it"),
		withKeys(def("lmpop", -4, "write movablekeys", noKeys, "list", "7.0.0", cmdLMPop, "Pop elements from a list"), lmpopKeys),

		// blocking (cmd_blocking.go, blocking.go)
		def("blpop", -3, "write noscript blocking", [3]int{1, -2, 1}, "list", "2.0.0", cmdBPop, "Remove and get the first element in a list, or block until one is available"),
		def("brpop", -3, "write noscript blocking", [3]int{1, -2, 1}, "list", "2.0.0", cmdBPop, "Remove and get the last element in a list, or block until one is available"),
		def("brpoplpush", 4, "write denyoom noscript blocking", keys12, "list", "2.2.0", cmdBLMove, "Pop an element from a list, push it to another list and return it; or block until one is available"),
		def("blmove", 6, "write denyoom noscript blocking", keys12, "list", "6.2.0", cmdBLMove, "Pop an element from a list, push it to another list and return it; or block until one is available"),
		withKeys(def("blmpop", -5, "write blocking movablekeys", noKeys, "list", "7.0.0", cmdBLMPop, "Pop elements from a list, or block until one is available"), blmpopKeys),
		def("bzpopmin", -3, "write noscript blocking fast", [3]int{1, -2, 1}, "sorted-set", "5.0.0", cmdBZPop, "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available"),
		def("bzpopmax", -3, "write noscript blocking fast", [3]int{1, -2, 1}, "sorted-set", "5.0.0", cmdBZPop, "Remove and return the member with the highest score from one or more sorted sets, or block until one is available"),
		withKeys(def("bzmpop", -5, "write blocking movablekeys", noKeys, "sorted-set", "7.0.0", cmdBZMPop, "Remove and return members with scores in a sorted set or block until one is available"), blmpopKeys),

		// set (cmd_set.go)
		def("sadd", -3, "write denyoom fast", key1, "set", "1.0.0", cmdSAdd, "Add one or more members to a set"),
		def("srem", -3, "write fast", key1, "set", "1.0.0", cmdSRem, "Remove one or more members from a set"),
		def("sismember", 3, "readonly fast", key1, "set", "1.0.0", cmdSIsMember, "Determine if a given value is a member of a set"),
		def("smismember", -3, "readonly fast", key1, "set", "6.2.0", cmdSMIsMember, "Returns the membership associated with the given elements for a set"),
		def("smembers", 2, "readonly", key1, "set", "1.0.0", cmdSMembers, "Get all the members in a set"),
		def("scard", 2, "readonly fast", key1, "set", "1.0.0", cmdSCard, "Get the number of members in a set"),
		def("spop", -2, "write fast", key1, "set", "1.0.0", cmdSPop, "Remove and return one or multiple random members from a set"),
		def("srandmember", -2, "readonly", key1, "set", "1.0.0", cmdSRandMember, "Get one or multiple random members from a set"),
		def("smove", 4, "write fast", keys12, "set", "1.0.0", cmdSMove, "Move a member from one set to another"),
		def("sinter", -2, "readonly", keysAll, "set", "1.0.0", cmdSCombine, "Intersect multiple sets"),
		def("sunion", -2, "readonly", keysAll, "set", "1.0.0", cmdSCombine, "Add multiple sets"),
		def("sdiff", -2, "readonly", keysAll, "set", "1.0.0", cmdSCombine, "Subtract multiple sets"),
		def("sinterstore", -3, "write denyoom", keysAll, "set", "1.0.0", cmdSCombineStore, "Intersect multiple sets and store the resulting set in a key"),
		def("sunionstore", -3, "write denyoom", keysAll, "set", "1.0.0", cmdSCombineStore, "Add multiple sets and store the resulting set in a key"),
		def("sdiffstore", -3, "write denyoom", keysAll, "set", "1.0.0", cmdSCombineStore, "Subtract multiple sets and store the resulting set in a key"),
		withKeys(def("sintercard", -3, "readonly movablekeys", noKeys, "set", "7.0.0", cmdSInterCard, "Intersect multiple sets and return the cardinality of the result"), sinterCardKeys),
		def("sscan", -3, "readonly", key1, "set", "2.8.0", cmdSScan, "Incrementally iterate Set elements"),

		// sorted-set (cmd_zset.go)
		def("zadd", -4, "write denyoom fast", key1, "sorted-set", "1.2.0", cmdZAdd, "Add one or more members to a sorted set, or update its score if it already exists"),
		def("zincrby", 4, "write denyoom fast", key1, "sorted-set", "1.2.0", cmdZIncrBy, "Increment the score of a member in a sorted set"),
		def("zrem", -3, "write fast", key1, "sorted-set", "1.2.0", cmdZRem, "Remove one or more members from a sorted set"),
		def("zscore", 3, "readonly fast", key1, "sorted-set", "1.2.0", cmdZScore, "Get the score associated with the given member in a sorted set"),
		def("zmscore", -3, "readonly fast", key1, "sorted-set", "6.2.0", cmdZMScore, "Get the score associated with the given members in a sorted set"),
		def("zcard", 2, "readonly fast", key1, "sorted-set", "1.2.0", cmdZCard, "Get the number of members in a sorted set"),
		def("zcount", 4, "readonly fast", key1, "sorted-set", "2.0.0", cmdZCount, "Count the members in a sorted set with scores within the given values"),
		def("zlexcount", 4, "readonly fast", key1, "sorted-set", "2.8.9", cmdZLexCount, "Count the number of members in a sorted set between a given lexicographical range"),
		def("zrange", -4, "readonly", key1, "sorted-set", "1.2.0", cmdZRange, "Return a range of members in a sorted set"),
		def("zrangestore", -5, "write denyoom", keys12, "sorted-set", "6.2.0", cmdZRangeStore, "Store a range of members from sorted set into another key"),
		def("zrangebyscore", -4, "readonly", key1, "sorted-set", "1.0.5", cmdZRangeByScore, "Return a range of members in a sorted set, by score"),
		def("zrevrangebyscore", -4, "readonly", key1, "sorted-set", "2.2.0", cmdZRangeByScore, "Return a range of members in a sorted set, by score, with scores ordered from high to low"),
		def("zrangebylex", -4, "readonly", key1, "sorted-set", "2.8.9", cmdZRangeByLex, "Return a range of members in a sorted set, by lexicographical range"),
		def("zrevrangebylex", -4, "readonly", key1, "sorted-set", "2.8.9", cmdZRangeByLex, "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings."),
		def("zrevrange", -4, "readonly", key1, "sorted-set", "1.2.0", cmdZRevRange, "Return a range of members in a sorted set, by index, with scores ordered from high to low"),
		def("zrank", 3, "readonly fast", key1, "sorted-set", "2.0.0", cmdZRank, "Determine the index of a member in a sorted set"),
		def("zrevrank", 3, "readonly fast", key1, "sorted-set", "2.0.0", cmdZRank, "Determine the index of a member in a sorted set, with scores ordered from high to low"),
		def("zremrangebyscore", 4, "write", key1, "sorted-set", "1.2.0", cmdZRemRange, "Remove all members in a sorted set within the given scores"),
		def("zremrangebyrank", 4, "write", key1, "sorted-set", "2.0.0", cmdZRemRange, "Remove all members in a sorted set within the given indexes"),
		def("zremrangebylex", 4, "write", key1, "sorted-set", "2.8.9", cmdZRemRange, "Remove all members in a sorted set between the given lexicographical range"),
		def("zpopmin", -2, "write fast", key1, "sorted-set", "5.0.0", cmdZPop, "Remove and return members with the lowest scores in a sorted set"),
		def("zpopmax", -2, "write fast", key1, "sorted-set", "5.0.0", cmdZPop, "Remove and return members with the highest scores in a sorted set"),
		withKeys(def("zmpop", -4, "write movablekeys", noKeys, "sorted-set", "7.0.0", cmdZMPop, "Remove and return members with scores in a sorted set"), zmpopKeys),
		def("zrandmember", -2, "readonly", key1, "sorted-set", "6.2.0", cmdZRandMember, "Get one or multiple random elements from a sorted set"),
		withKeys(def("zunion", -3, "readonly movablekeys", noKeys, "sorted-set", "6.2.0", cmdZUnion, "Add multiple sorted sets"), zsetOpKeys),
		withKeys(def("zinter", -3, "readonly movablekeys", noKeys, "sorted-set", "6.2.0", cmdZInter, "Intersect multiple sorted sets"), zsetOpKeys),
		withKeys(def("zdiff", -3, "readonly movablekeys", noKeys, "sorted-set", "6.2.0", cmdZDiff, "Subtract multiple sorted sets"), zsetOpKeys),
		withKeys(def("zunionstore", -4, "write denyoom movablekeys", key1, "sorted-set", "2.0.0", cmdZUnionStore, "Add multiple sorted sets and store the resulting sorted set in a new key"), zsetOpStoreKeys),
		withKeys(def("zinterstore", -4, "write denyoom movablekeys", key1, "sorted-set", "2.0.0", cmdZInterStore, "Intersect multiple sorted sets and store the resulting sorted set in a new key"), zsetOpStoreKeys),
		withKeys(def("zdiffstore", -4, "write denyoom movablekeys", key1, "sorted-set", "6.2.0", cmdZDiffStore, "Subtract multiple sorted sets and store the resulting sorted set in a new key"), zsetOpStoreKeys),
		withKeys(def("zintercard", -3, "readonly movablekeys", noKeys, "sorted-set", "7.0.0", cmdZInterCard, "Intersect multiple sorted sets and return the cardinality of the result"), zsetOpKeys),
		def("zscan", -3, "readonly", key1, "sorted-set", "2.8.0", cmdZScan, "Incrementally iterate sorted sets elements and associated scores"),

		// geo (cmd_geo.go): sorted sets scored by geohash
		def("geoadd", -5, "write denyoom", key1, "geo", "3.2.0", cmdGeoAdd, "Add one or more geospatial items in the geospatial index represented using a sorted set"),
		def("geopos", -2, "readonly", key1, "geo", "3.2.0", cmdGeoPos, "Returns longitude and latitude of members of a geospatial index"),
		def("geohash", -2, "readonly", key1, "geo", "3.2.0", cmdGeoHash, "Returns members of a geospatial index as standard geohash strings"),
		def("geodist", -4, "readonly", key1, "geo", "3.2.0", cmdGeoDist, "Returns the distance between two members of a geospatial index"),
		def("geosearch", -7, "readonly", key1, "geo", "6.2.0", cmdGeoSearch, "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle."),
		def("geosearchstore", -8, "write denyoom", keys12, "geo", "6.2.0", cmdGeoSearchStore, "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key."),
		withKeys(def("georadius", -6, "write denyoom movablekeys", key1, "geo", "3.2.0", cmdGeoRadius, "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point"), georadiusKeys),
		withKeys(def("georadiusbymember", -5, "write denyoom movablekeys", key1, "geo", "3.2.0", cmdGeoRadiusByMember, "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member"), georadiusByMemberKeys),
		def("georadius_ro", -6, "readonly", key1, "geo", "3.2.10", cmdGeoRadius, "A read-only variant for GEORADIUS"),
		def("georadiusbymember_ro", -5, "readonly", key1, "geo", "3.2.10", cmdGeoRadiusByMember, "A read-only variant for GEORADIUSBYMEMBER"),

		// stream (cmd_stream.go, cmd_stream_group.go, cmd_stream_read.go)
		def("xadd", -5, "write denyoom fast", key1, "stream", "5.0.0", cmdXAdd, "Appends a new message to a stream. Creates the key if it doesn't exist."),
		def("xlen", 2, "readonly fast", key1, "stream", "5.0.0", cmdXLen, "Return the number of messages in a stream."),
		def("xrange", -4, "readonly", key1, "stream", "5.0.0", cmdXRange, "Returns the messages from a stream within a range of IDs."),
		def("xrevrange", -4, "readonly", key1, "stream", "5.0.0", cmdXRange, "Returns the messages from a stream within a range of IDs in reverse order."),
		def("xdel", -3, "write fast", key1, "stream", "5.0.0", cmdXDel, "Returns the number of messages after removing them from a stream."),
		def("xtrim", -4, "write", key1, "stream", "5.0.0", cmdXTrim, "Deletes messages from the beginning of a stream."),
		def("xsetid", -3, "write denyoom fast", key1, "stream", "5.0.0", cmdXSetID, "An internal command for replicating stream values."),
		withKeys(def("xread", -4, "readonly blocking movablekeys", noKeys, "stream", "5.0.0", cmdXRead, "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise."), xreadKeys(1)),
		withKeys(def("xreadgroup", -7, "write blocking movablekeys", noKeys, "stream", "5.0.0", cmdXReadGroup, "Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise."), xreadKeys(4)),
		def("xack", -4, "write fast", key1, "stream", "5.0.0", cmdXAck, "Returns the number of messages that were successfully acknowledged by the consumer group member of a stream."),
		def("xpending", -3, "readonly", key1, "stream", "5.0.0", cmdXPending, "Returns the information and entries from a stream consumer group's pending entries list."),
		def("xclaim", -6, "write fast", key1, "stream", "5.0.0", cmdXClaim, "Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered a consumer group member."),
		def("xautoclaim", -6, "write fast", key1, "stream", "6.2.0", cmdXAutoClaim, "Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to as consumer group member."),
		parent("xgroup", -2, "stream", "5.0.0", "A container for consumer groups commands.",
			def("create", -5, "write denyoom", key2, "", "5.0.0", cmdXGroup, "Creates a consumer group."),
			def("setid", -5, "write", key2, "", "5.0.0", cmdXGroup, "Sets the last-delivered ID of a consumer group."),
			def("destroy", 4, "write", key2, "", "5.0.0", cmdXGroup, "Destroys a consumer group."),
			def("createconsumer", 5, "write denyoom", key2, "", "6.2.0", cmdXGroup, "Creates a consumer in a consumer group."),
			def("delconsumer", 5, "write", key2, "", "5.0.0", cmdXGroup, "Deletes a consumer from a consumer group."),
			def("help", 2, "loading stale", noKeys, "", "5.0.0", cmdXGroupHelp, "Returns helpful text about the different subcommands."),
		),
		parent("xinfo", -2, "stream", "5.0.0", "A container for stream introspection commands.",
			def("stream", -3, "readonly", key2, "", "5.0.0", cmdXInfoStream, "Returns information about a stream."),
			def("groups", 3, "readonly", key2, "", "5.0.0", cmdXInfoGroups, "Returns a list of the consumer groups of a stream."),
			def("consumers", 4, "readonly", key2, "", "5.0.0", cmdXInfoConsumers, "Returns a list of the consumers in a consumer group."),
			def("help", 2, "loading stale", noKeys, "", "5.0.0", cmdXInfoHelp, "Returns helpful text about the different subcommands."),
		),

		// sort (cmd_sort.go)
		withACL(withKeys(def("sort", -2, "write denyoom movablekeys", key1, "generic", "1.0.0", cmdSort, "Sort the elements in a list, set or sorted set"), sortKeys), "set sortedset list dangerous"),
		withACL(def("sort_ro", -2, "readonly movablekeys", key1, "generic", "7.0.0", cmdSort, "Sort the elements in a list, set or sorted set. Read-only variant of SORT."), "set sortedset list dangerous"),

		// transactions (cmd_multi.go)
		def("multi", 1, "noscript loading stale fast allow_busy", noKeys, "transactions", "1.2.0", cmdMulti, "Mark the start of a transaction block"),
		def("exec", 1, "noscript loading stale skip_slowlog", noKeys, "transactions", "1.2.0", cmdExec, "Execute all commands issued after MULTI"),
		def("discard", 1, "noscript loading stale fast allow_busy", noKeys, "transactions", "2.0.0", cmdDiscard, "Discard all commands issued after MULTI"),
		def("watch", -2, "noscript loading stale fast allow_busy", keysAll, "transactions", "2.2.0", cmdWatch, "Watch the given keys to determine execution of the MULTI/EXEC block"),
		def("unwatch", 1, "noscript loading stale fast allow_busy", noKeys, "transactions", "2.2.0", cmdUnwatch, "Forget about all watched keys"),

		// scripting (cmd_scripting.go)
		withKeys(def("eval", -3, "noscript stale skip_monitor may_replicate no_mandatory_keys movablekeys", noKeys, "scripting", "2.6.0", cmdEval, "Executes a server-side Lua script."), evalKeys),
		withKeys(def("evalsha", -3, "noscript stale skip_monitor may_replicate no_mandatory_keys movablekeys", noKeys, "scripting", "2.6.0", cmdEvalSHA, "Executes a server-side Lua script by SHA1 digest."), evalKeys),
		withKeys(def("eval_ro", -3, "readonly noscript stale skip_monitor no_mandatory_keys movablekeys", noKeys, "scripting", "7.0.0", cmdEval, "Executes a read-only server-side Lua script."), evalKeys),
		withKeys(def("evalsha_ro", -3, "readonly noscript stale skip_monitor no_mandatory_keys movablekeys", noKeys, "scripting", "7.0.0", cmdEvalSHA, "Executes a read-only server-side Lua script by SHA1 digest."), evalKeys),
		parent("script", -2, "scripting", "2.6.0", "A container for Lua scripts management commands.",
			def("load", 3, "noscript stale", noKeys, "", "2.6.0", cmdScriptLoad, "Loads a server-side Lua script to the script cache."),
			def("exists", -3, "noscript", noKeys, "", "2.6.0", cmdScriptExists, "Determines whether server-side Lua scripts exist in the script cache."),
			def("flush", -2, "noscript", noKeys, "", "2.6.0", cmdScriptFlush, "Removes all server-side Lua scripts from the script cache."),
			def("kill", 2, "noscript allow_busy", noKeys, "", "2.6.0", cmdScriptKill, "Terminates a server-side Lua script during execution."),
			def("help", 2, "loading stale", noKeys, "", "5.0.0", cmdScriptHelp, "Returns helpful text about the different subcommands."),
			def("debug", 3, "noscript", noKeys, "", "3.2.0", cmdScriptDebug, "Sets the debug mode of server-side Lua scripts."),
		),

		// pubsub (cmd_pubsub.go)
		def("subscribe", -2, "pubsub noscript loading stale", noKeys, "pubsub", "2.0.0", cmdSubscribe, "Listen for messages published to the given channels"),
		def("unsubscribe", -1, "pubsub noscript loading stale", noKeys, "pubsub", "2.0.0", cmdUnsubscribe, "Stop listening for messages posted to the given channels"),
		def("psubscribe", -2, "pubsub noscript loading stale", noKeys, "pubsub", "2.0.0", cmdPSubscribe, "Listen for messages published to channels matching the given patterns"),
		def("punsubscribe", -1, "pubsub noscript loading stale", noKeys, "pubsub", "2.0.0", cmdPUnsubscribe, "Stop listening for messages posted to channels matching the given patterns"),
		def("publish", 3, "pubsub loading stale fast may_replicate", noKeys, "pubsub", "2.0.0", cmdPublish, "Post a message to a channel"),
		def("ssubscribe", -2, "pubsub noscript loading stale", keysAll, "pubsub", "7.0.0", cmdSSubscribe, "Listen for messages published to the given shard channels"),
		def("sunsubscribe", -1, "pubsub noscript loading stale", keysAll, "pubsub", "7.0.0", cmdSUnsubscribe, "Stop listening for messages posted to the given shard channels"),
		def("spublish", 3, "pubsub loading stale fast may_replicate", key1, "pubsub", "7.0.0", cmdSPublish, "Post a message to a shard channel"),
		parent("pubsub", -2, "pubsub", "2.8.0", "A container for Pub/Sub commands",
			def("channels", -2, "pubsub loading stale", noKeys, "", "2.8.0", cmdPubSubChannels, "List active channels"),
			def("numsub", -2, "pubsub loading stale", noKeys, "", "2.8.0", cmdPubSubNumSub, "Get the count of subscribers for channels"),
			def("numpat", 2, "pubsub loading stale", noKeys, "", "2.8.0", cmdPubSubNumPat, "Get the count of unique patterns pattern subscriptions"),
			def("shardchannels", -2, "pubsub loading stale", noKeys, "", "7.0.0", cmdPubSubShardChannels, "List active shard channels"),
			def("shardnumsub", -2, "pubsub loading stale", noKeys, "", "7.0.0", cmdPubSubShardNumSub, "Get the count of subscribers for shard channels"),
			def("help", 2, "loading stale", noKeys, "", "6.2.0", cmdPubSubHelp, "Show helpful text about the different subcommands"),
		),

		// functions (cmd_function.go)
		withKeys(def("fcall", -3, "noscript stale skip_monitor may_replicate no_mandatory_keys movablekeys", noKeys, "scripting", "7.0.0", cmdFcall, "Invokes a function."), evalKeys),
		withKeys(def("fcall_ro", -3, "readonly noscript stale skip_monitor no_mandatory_keys movablekeys", noKeys, "scripting", "7.0.0", cmdFcallRO, "Invokes a read-only function."), evalKeys),
		parent("function", -2, "scripting", "7.0.0", "A container for function commands.",
			def("load", -3, "write denyoom noscript", noKeys, "", "7.0.0", cmdFunctionLoad, "Creates a library."),
			def("delete", 3, "write noscript", noKeys, "", "7.0.0", cmdFunctionDelete, "Deletes a library and its functions."),
			def("flush", -2, "write noscript", noKeys, "", "7.0.0", cmdFunctionFlush, "Deletes all libraries and functions."),
			def("list", -2, "noscript", noKeys, "", "7.0.0", cmdFunctionList, "Returns information about all libraries."),
			def("dump", 2, "noscript", noKeys, "", "7.0.0", cmdFunctionDump, "Dumps all libraries into a serialized binary payload."),
			def("restore", -3, "write denyoom noscript", noKeys, "", "7.0.0", cmdFunctionRestore, "Restores all libraries from a payload."),
			def("stats", 2, "noscript allow_busy", noKeys, "", "7.0.0", cmdFunctionStats, "Returns information about a function during execution."),
			def("kill", 2, "noscript allow_busy", noKeys, "", "7.0.0", cmdFunctionKill, "Terminates a function during execution."),
			def("help", 2, "loading stale", noKeys, "", "7.0.0", cmdFunctionHelp, "Returns helpful text about the different subcommands."),
		),

		// replication (cmd_replication.go): a master without replicas
		withACL(def("wait", 3, "noscript", noKeys, "generic", "3.0.0", cmdWait, "Wait for the synchronous replication of all the write commands sent in the context of the current connection"), "connection"),
		withACL(def("role", 1, "noscript loading stale fast", noKeys, "server", "2.8.12", cmdRole, "Return the role of the instance in the context of replication"), "admin dangerous"),
		def("replicaof", 3, "admin noscript stale no_async_loading", noKeys, "server", "5.0.0", cmdReplicaOf, "Make the server a replica of another instance, or promote it as master."),
		def("slaveof", 3, "admin noscript stale no_async_loading", noKeys, "server", "1.0.0", cmdReplicaOf, "Make the server a replica of another instance, or promote it as master."),
		def("failover", -1, "admin noscript stale", noKeys, "server", "6.2.0", cmdFailover, "Start a coordinated failover between this server and one of its replicas."),
		def("sync", 1, "admin noscript no_async_loading no_multi", noKeys, "server", "1.0.0", cmdSync, "Internal command used for replication"),
		def("psync", -3, "admin noscript no_async_loading no_multi", noKeys, "server", "2.8.0", cmdSync, "Internal command used for replication"),
		def("replconf", -1, "admin noscript loading stale allow_busy", noKeys, "server", "3.0.0", cmdReplConf, "An internal command for configuring the replication stream"),

		// cluster (cmd_cluster.go): cluster support disabled, as in a standalone Redis
		parent("cluster", -2, "cluster", "3.0.0", "A container for cluster commands",
			def("addslots", -3, "admin stale no_async_loading", noKeys, "", "3.0.0", cmdClusterDisabled, "Assign new hash slots to receiving node"),
			def("addslotsrange", -4, "admin stale no_async_loading", noKeys, "", "7.0.0", cmdClusterDisabled, "Assign new hash slots to receiving node"),
			def("bumpepoch", 2, "admin stale no_async_loading", noKeys, "", "3.0.0", cmdClusterDisabled, "Advance the cluster config epoch"),
			def("count-failure-reports", 3, "admin stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Return the number of failure reports active for a given node"),
			def("countkeysinslot", 3, "stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Return the number of local keys in the specified hash slot"),
			def("delslots", -3, "admin stale no_async_loading", noKeys, "", "3.0.0", cmdClusterDisabled, "Set hash slots as unbound in receiving node"),
			def("delslotsrange", -4, "admin stale no_async_loading", noKeys, "", "7.0.0", cmdClusterDisabled, "Set hash slots as unbound in receiving node"),
			def("failover", -2, "admin stale no_async_loading", noKeys, "", "3.0.0", cmdClusterDisabled, "Forces a replica to perform a manual failover of its master."),
			def("flushslots", 2, "admin stale no_async_loading", noKeys, "", "3.0.0", cmdClusterDisabled, "Delete a node's own slots information"),
			def("forget", 3, "admin stale no_async_loading", noKeys, "", "3.0.0", cmdClusterDisabled, "Remove a node from the nodes table"),
			def("getkeysinslot", 4, "stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Return local key names in the specified hash slot"),
			def("help", 2, "loading stale", noKeys, "", "5.0.0", cmdClusterDisabled, "Show helpful text about the different subcommands"),
			def("info", 2, "stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Provides info about Redis Cluster node state"),
			def("keyslot", 3, "stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Returns the hash slot of the specified key"),
			def("links", 2, "stale", noKeys, "", "7.0.0", cmdClusterDisabled, "Returns a list of all TCP links to and from peer nodes in cluster"),
			def("meet", -4, "admin stale no_async_loading", noKeys, "", "3.0.0", cmdClusterDisabled, "Force a node cluster to handshake with another node"),
			def("myid", 2, "stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Return the node id"),
			def("nodes", 2, "stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Get Cluster config for the node"),
			def("replicas", 3, "admin stale", noKeys, "", "5.0.0", cmdClusterDisabled, "List replica nodes of the specified master node"),
			def("replicate", 3, "admin stale no_async_loading", noKeys, "", "3.0.0", cmdClusterDisabled, "Reconfigure a node as a replica of the specified master node"),
			def("reset", -2, "admin noscript stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Reset a Redis Cluster node"),
			def("saveconfig", 2, "admin stale no_async_loading", noKeys, "", "3.0.0", cmdClusterDisabled, "Forces the node to save cluster state on disk"),
			def("set-config-epoch", 3, "admin stale no_async_loading", noKeys, "", "3.0.0", cmdClusterDisabled, "Set the configuration epoch in a new node"),
			def("setslot", -4, "admin stale no_async_loading", noKeys, "", "3.0.0", cmdClusterDisabled, "Bind a hash slot to a specific node"),
			def("shards", 2, "stale", noKeys, "", "7.0.0", cmdClusterDisabled, "Get array of cluster slots to node mappings"),
			def("slaves", 3, "admin stale", noKeys, "", "3.0.0", cmdClusterDisabled, "List replica nodes of the specified master node"),
			def("slots", 2, "stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Get array of Cluster slot to node mappings"),
		),
		withACL(def("asking", 1, "fast", noKeys, "cluster", "3.0.0", cmdClusterDisabled, "Sent by cluster clients after an -ASK redirect"), "connection"),
		withACL(def("readonly", 1, "loading stale fast", noKeys, "cluster", "3.0.0", cmdClusterDisabled, "Enables read queries for a connection to a cluster replica node"), "connection"),
		withACL(def("readwrite", 1, "loading stale fast", noKeys, "cluster", "3.0.0", cmdClusterDisabled, "Disables read queries for a connection to a cluster replica node"), "connection"),

		// modules (cmd_module.go): none can be loaded
		parent("module", -2, "server", "4.0.0", "A container for module commands",
			def("help", 2, "loading stale", noKeys, "", "5.0.0", cmdModuleHelp, "Show helpful text about the different subcommands"),
			def("list", 2, "admin noscript", noKeys, "", "4.0.0", cmdModuleList, "List all modules loaded by the server"),
			def("load", -3, "admin noscript no_async_loading protected", noKeys, "", "4.0.0", cmdModuleLoad, "Load a module"),
			def("loadex", -3, "admin noscript no_async_loading protected", noKeys, "", "7.0.0", cmdModuleLoad, "Load a module with extended parameters"),
			def("unload", 3, "admin noscript no_async_loading protected", noKeys, "", "4.0.0", cmdModuleUnload, "Unload a module"),
		),
		// DEBUG (cmd_debug.go): a protected command, refused unless enable-debug-command allows it
		def("debug", -2, "admin noscript loading stale protected", noKeys, "server", "1.0.0", cmdDebug, "A container for debugging commands"),
		def("lolwut", -1, "readonly fast", noKeys, "server", "5.0.0", cmdLolwut, "Display some computer art and the Redis version"),

		// ACL (cmd_acl.go): users, their rules and the ACL file
		parent("acl", -2, "server", "6.0.0", "A container for Access List Control commands ",
			def("cat", -2, "noscript loading stale", noKeys, "", "6.0.0", cmdACLCat, "List the ACL categories or the commands inside a category"),
			def("deluser", -3, "admin noscript loading stale", noKeys, "", "6.0.0", cmdACLDelUser, "Remove the specified ACL users and the associated rules"),
			def("dryrun", -4, "admin noscript loading stale", noKeys, "", "7.0.0", cmdACLDryRun, "Returns whether the user can execute the given command without executing the command."),
			def("genpass", -2, "noscript loading stale", noKeys, "", "6.0.0", cmdACLGenPass, "Generate a pseudorandom secure password to use for ACL users"),
			def("getuser", 3, "admin noscript loading stale", noKeys, "", "6.0.0", cmdACLGetUser, "Get the rules for a specific ACL user"),
			def("help", 2, "loading stale", noKeys, "", "6.0.0", cmdACLHelp, "Show helpful text about the different subcommands"),
			def("list", 2, "admin noscript loading stale", noKeys, "", "6.0.0", cmdACLList, "List the current ACL rules in ACL config file format"),
			def("load", 2, "admin noscript loading stale", noKeys, "", "6.0.0", cmdACLLoad, "Reload the ACLs from the configured ACL file"),
			def("log", -2, "admin noscript loading stale", noKeys, "", "6.0.0", cmdACLLog, "List latest events denied because of ACLs in place"),
			def("save", 2, "admin noscript loading stale", noKeys, "", "6.0.0", cmdACLSave, "Save the current ACL rules in the configured ACL file"),
			def("setuser", -3, "admin noscript loading stale", noKeys, "", "6.0.0", cmdACLSetUser, "Modify or create the rules for a specific ACL user"),
			def("users", 2, "admin noscript loading stale", noKeys, "", "6.0.0", cmdACLUsers, "List the username of all the configured ACL rules"),
			def("whoami", 2, "noscript loading stale", noKeys, "", "6.0.0", cmdACLWhoAmI, "Return the name of the user associated to the current connection"),
		),

		// latency (cmd_latency.go, latency.go): no latency monitor; per-command histograms
		parent("latency", -2, "server", "2.8.13", "A container for latency diagnostics commands",
			def("doctor", 2, "admin noscript loading stale", noKeys, "", "2.8.13", cmdLatencyDoctor, "Return a human readable latency analysis report."),
			def("graph", 3, "admin noscript loading stale", noKeys, "", "2.8.13", cmdLatencyGraph, "Return a latency graph for the event."),
			def("help", 2, "loading stale", noKeys, "", "2.8.13", cmdLatencyHelp, "Show helpful text about the different subcommands."),
			def("histogram", -2, "admin noscript loading stale", noKeys, "", "7.0.0", cmdLatencyHistogram, "Return the cumulative distribution of latencies of a subset of commands or all."),
			def("history", 3, "admin noscript loading stale", noKeys, "", "2.8.13", cmdLatencyHistory, "Return timestamp-latency samples for the event."),
			def("latest", 2, "admin noscript loading stale", noKeys, "", "2.8.13", cmdLatencyLatest, "Return the latest latency samples for all events."),
			def("reset", -2, "admin noscript loading stale", noKeys, "", "2.8.13", cmdLatencyReset, "Reset latency data for one or more events."),
		),
	}
	if extra != nil {
		list = append(list, extra()...)
	}
	m := make(map[string]*Command, len(list))
	for _, cmd := range list {
		m[cmd.Name] = cmd
	}
	return m
}
