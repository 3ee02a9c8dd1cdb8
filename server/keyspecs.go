package server

import "strings"

// Key flags, for COMMAND GETKEYSANDFLAGS: Redis 7.0 describes each
// command's keys with key specs, each carrying flags that say how the
// command uses those keys (RO/RW/OW/RM, and access, update, insert,
// delete). keySpecFlags lists every command's specs' flags, in Redis's
// order of specs and in the order Redis prints flags; the command table
// keeps only where the keys are (FirstKey..LastKey, or a Keys function).
//
// Which spec a key belongs to: the first key found belongs to the first
// spec and every later one to the last spec. That is exact for every
// Redis 7.0 command: commands with two specs have one key for the first
// (a source or a destination) before the keys of the second, and the
// three-spec ones (SORT, GEORADIUS, GEORADIUSBYMEMBER) report at most two
// keys, the second being a destination. keyFlags handles the commands
// whose flags depend on their arguments, as Redis's getkeys functions do.

var keySpecFlags = map[string][]string{
	"append":                {"RW insert"},
	"bitcount":              {"RO access"},
	"bitfield":              {"RW access update variable_flags"},
	"bitfield_ro":           {"RO access"},
	"bitop":                 {"OW update", "RO access"},
	"bitpos":                {"RO access"},
	"blmove":                {"RW access delete", "RW insert"},
	"blmpop":                {"RW access delete"},
	"blpop":                 {"RW access delete"},
	"brpop":                 {"RW access delete"},
	"brpoplpush":            {"RW access delete", "RW insert"},
	"bzmpop":                {"RW access delete"},
	"bzpopmax":              {"RW access delete"},
	"bzpopmin":              {"RW access delete"},
	"copy":                  {"RO access", "OW update"},
	"decr":                  {"RW access update"},
	"decrby":                {"RW access update"},
	"del":                   {"RM delete"},
	"dump":                  {"RO access"},
	"eval":                  {"RW access update"},
	"eval_ro":               {"RO access"},
	"evalsha":               {"RW access update"},
	"evalsha_ro":            {"RO access"},
	"exists":                {"RO"},
	"expire":                {"RW update"},
	"expireat":              {"RW update"},
	"expiretime":            {"RO access"},
	"fcall":                 {"RW access update"},
	"fcall_ro":              {"RO access"},
	"geoadd":                {"RW update"},
	"geodist":               {"RO access"},
	"geohash":               {"RO access"},
	"geopos":                {"RO access"},
	"georadius":             {"RO access", "OW update", "OW update"},
	"georadius_ro":          {"RO access"},
	"georadiusbymember":     {"RO access", "OW update", "OW update"},
	"georadiusbymember_ro":  {"RO access"},
	"geosearch":             {"RO access"},
	"geosearchstore":        {"OW update", "RO access"},
	"get":                   {"RO access"},
	"getbit":                {"RO access"},
	"getdel":                {"RW access delete"},
	"getex":                 {"RW access update"},
	"getrange":              {"RO access"},
	"getset":                {"RW access update"},
	"hdel":                  {"RW delete"},
	"hexists":               {"RO"},
	"hget":                  {"RO access"},
	"hgetall":               {"RO access"},
	"hincrby":               {"RW access update"},
	"hincrbyfloat":          {"RW access update"},
	"hkeys":                 {"RO access"},
	"hlen":                  {"RO"},
	"hmget":                 {"RO access"},
	"hmset":                 {"RW update"},
	"hrandfield":            {"RO access"},
	"hscan":                 {"RO access"},
	"hset":                  {"RW update"},
	"hsetnx":                {"RW insert"},
	"hstrlen":               {"RO"},
	"hvals":                 {"RO access"},
	"incr":                  {"RW access update"},
	"incrby":                {"RW access update"},
	"incrbyfloat":           {"RW access update"},
	"lcs":                   {"RO access"},
	"lindex":                {"RO access"},
	"linsert":               {"RW insert"},
	"llen":                  {"RO"},
	"lmove":                 {"RW access delete", "RW insert"},
	"lmpop":                 {"RW access delete"},
	"lpop":                  {"RW access delete"},
	"lpos":                  {"RO access"},
	"lpush":                 {"RW insert"},
	"lpushx":                {"RW insert"},
	"lrange":                {"RO access"},
	"lrem":                  {"RW delete"},
	"lset":                  {"RW update"},
	"ltrim":                 {"RW delete"},
	"memory|usage":          {"RO"},
	"mget":                  {"RO access"},
	"migrate":               {"RW access delete", "RW access delete incomplete"},
	"move":                  {"RW access update"},
	"mset":                  {"OW update"},
	"msetnx":                {"OW insert"},
	"object|encoding":       {"RO"},
	"object|freq":           {"RO"},
	"object|idletime":       {"RO"},
	"object|refcount":       {"RO"},
	"persist":               {"RW update"},
	"pexpire":               {"RW update"},
	"pexpireat":             {"RW update"},
	"pexpiretime":           {"RO access"},
	"pfadd":                 {"RW insert"},
	"pfcount":               {"RW access"},
	"pfdebug":               {"RW access"},
	"pfmerge":               {"RW access insert", "RO access"},
	"psetex":                {"OW update"},
	"pttl":                  {"RO access"},
	"rename":                {"RW access delete", "OW update"},
	"renamenx":              {"RW access delete", "OW insert"},
	"restore":               {"OW update"},
	"restore-asking":        {"OW update"},
	"rpop":                  {"RW access delete"},
	"rpoplpush":             {"RW access delete", "RW insert"},
	"rpush":                 {"RW insert"},
	"rpushx":                {"RW insert"},
	"sadd":                  {"RW insert"},
	"scard":                 {"RO"},
	"sdiff":                 {"RO access"},
	"sdiffstore":            {"OW update", "RO access"},
	"set":                   {"RW access update variable_flags"},
	"setbit":                {"RW access update"},
	"setex":                 {"OW update"},
	"setnx":                 {"OW insert"},
	"setrange":              {"RW update"},
	"sinter":                {"RO access"},
	"sintercard":            {"RO access"},
	"sinterstore":           {"RW update", "RO access"},
	"sismember":             {"RO"},
	"smembers":              {"RO access"},
	"smismember":            {"RO access"},
	"smove":                 {"RW access delete", "RW insert"},
	"sort":                  {"RO access", "RO access", "OW update"},
	"sort_ro":               {"RO access", "RO access"},
	"spop":                  {"RW access delete"},
	"spublish":              {"not_key"},
	"srandmember":           {"RO access"},
	"srem":                  {"RW delete"},
	"sscan":                 {"RO access"},
	"ssubscribe":            {"not_key"},
	"strlen":                {"RO"},
	"substr":                {"RO access"},
	"sunion":                {"RO access"},
	"sunionstore":           {"OW update", "RO access"},
	"sunsubscribe":          {"not_key"},
	"touch":                 {"RO"},
	"ttl":                   {"RO access"},
	"type":                  {"RO"},
	"unlink":                {"RM delete"},
	"watch":                 {"RO"},
	"xack":                  {"RW update"},
	"xadd":                  {"RW update"},
	"xautoclaim":            {"RW delete"},
	"xclaim":                {"RW update"},
	"xdel":                  {"RW delete"},
	"xgroup|create":         {"RW insert"},
	"xgroup|createconsumer": {"RW insert"},
	"xgroup|delconsumer":    {"RW delete"},
	"xgroup|destroy":        {"RW delete"},
	"xgroup|setid":          {"RW update"},
	"xinfo|consumers":       {"RO access"},
	"xinfo|groups":          {"RO access"},
	"xinfo|stream":          {"RO access"},
	"xlen":                  {"RO"},
	"xpending":              {"RO access"},
	"xrange":                {"RO access"},
	"xread":                 {"RO access"},
	"xreadgroup":            {"RO access"},
	"xrevrange":             {"RO access"},
	"xsetid":                {"RW update"},
	"xtrim":                 {"RW delete"},
	"zadd":                  {"RW update"},
	"zcard":                 {"RO"},
	"zcount":                {"RO access"},
	"zdiff":                 {"RO access"},
	"zdiffstore":            {"OW update", "RO access"},
	"zincrby":               {"RW access update"},
	"zinter":                {"RO access"},
	"zintercard":            {"RO access"},
	"zinterstore":           {"OW update", "RO access"},
	"zlexcount":             {"RO access"},
	"zmpop":                 {"RW access delete"},
	"zmscore":               {"RO access"},
	"zpopmax":               {"RW access delete"},
	"zpopmin":               {"RW access delete"},
	"zrandmember":           {"RO access"},
	"zrange":                {"RO access"},
	"zrangebylex":           {"RO access"},
	"zrangebyscore":         {"RO access"},
	"zrangestore":           {"OW update", "RO access"},
	"zrank":                 {"RO access"},
	"zrem":                  {"RW delete"},
	"zremrangebylex":        {"RW delete"},
	"zremrangebyrank":       {"RW delete"},
	"zremrangebyscore":      {"RW delete"},
	"zrevrange":             {"RO access"},
	"zrevrangebylex":        {"RO access"},
	"zrevrangebyscore":      {"RO access"},
	"zrevrank":              {"RO access"},
	"zscan":                 {"RO access"},
	"zscore":                {"RO access"},
	"zunion":                {"RO access"},
	"zunionstore":           {"OW update", "RO access"},
}

// keyFlags returns the flags of the i-th key that cmd called with
// args names, as COMMAND GETKEYSANDFLAGS reports them.
func keyFlags(cmd *Command, args [][]byte, i int) []string {
	specs := keySpecFlags[cmd.Name]
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
		return strings.Fields(specs[0])
	}
	switch {
	case len(specs) == 0:
		return nil
	case i == 0:
		return strings.Fields(specs[0])
	default:
		return strings.Fields(specs[len(specs)-1])
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
	if specs, ok := keySpecFlags[cmd.Name]; ok {
		for _, f := range specs {
			if f != "not_key" {
				return true
			}
		}
		return false
	}
	return cmd.FirstKey > 0 || cmd.Keys != nil
}
