package server

import (
	"math"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"moonstone/codec"
	"moonstone/storage"
)

// Server commands: CONFIG, TIME, SHUTDOWN, MEMORY, OBJECT.

func cmdConfigGet(c *Call) {
	var pairs [][2]string
	seen := map[string]bool{}
	for _, p := range c.Args[2:] {
		for _, kv := range c.Srv.cfg.match(string(p)) {
			if !seen[kv[0]] {
				seen[kv[0]] = true
				pairs = append(pairs, kv)
			}
		}
	}
	c.r.Map(len(pairs))
	for _, kv := range pairs {
		c.r.BulkString(kv[0])
		c.r.BulkString(kv[1])
	}
}

func cmdConfigSet(c *Call) {
	if len(c.Args)%2 != 0 {
		c.Error(errArity(c.Cmd.Name))
		return
	}
	if err := c.Srv.cfg.set(c.Args[2:]); err != nil {
		c.Error(err.Error())
		return
	}
	c.OK()
}

func cmdConfigResetStat(c *Call) {
	s := c.Srv
	for _, cmd := range s.allCommands() {
		cmd.stats.reset()
	}
	s.stats.mu.Lock()
	s.stats.perError = nil
	s.stats.mu.Unlock()
	s.stats.commandsProcessed.Store(0)
	s.stats.connectionsReceived.Store(0)
	s.stats.rejectedConns.Store(0)
	s.stats.keyspaceHits.Store(0)
	s.stats.lazyfreed.Store(0)
	s.stats.keyspaceMisses.Store(0)
	s.stats.errorReplies.Store(0)
	s.db.Stats().ExpiredKeys.Store(0)
	s.resetNet()
	c.OK()
}

func cmdConfigRewrite(c *Call) {
	c.Error("ERR The server is running without a config file")
}

func cmdConfigHelp(c *Call) {
	replyHelp(c, "CONFIG",
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
		"REWRITE",
		"    Rewrite the configuration file.",
	)
}

func cmdTime(c *Call) {
	now := time.Now()
	c.r.Array(2)
	c.r.BulkString(strconv.FormatInt(now.Unix(), 10))
	c.r.BulkString(strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
}

func cmdShutdown(c *Call) {
	for i := 1; i < len(c.Args); i++ {
		switch c.Arg(i) {
		case "nosave", "save", "now", "force":
		case "abort":
			if len(c.Args) != 2 {
				c.Error(errSyntax)
				return
			}
			c.Error("ERR No shutdown in progress.")
			return
		default:
			c.Error(errSyntax)
			return
		}
	}
	// Every acknowledged write is already in the WAL: SAVE and NOSAVE
	// differ only in Redis. Shutdown waits for this connection's goroutine,
	// so it runs on its own; the client gets no reply, as from Redis.
	c.Conn.closeAfterReply = true
	c.Srv.logf(levelWarning, "User requested shutdown...")
	go c.Srv.Shutdown()
}

func cmdMemoryUsage(c *Call) {
	if len(c.Args) != 3 {
		if len(c.Args) != 5 || !c.ArgIs(3, "samples") {
			c.Error(errSyntax)
			return
		}
		if _, ok := c.Int(4); !ok {
			return
		}
	}
	n, ok, err := c.Tx.Footprint(c.DB(), c.Args[2])
	if err != nil {
		c.Err(err)
		return
	}
	if !ok {
		c.r.Null()
		return
	}
	c.r.Int(n)
}

// cmdMemoryStats is MEMORY STATS: Redis's fields, from the figures INFO
// memory reports (memoryFigures). The data set is on disk, so the heap is
// all overhead: dataset.bytes is 0 and each database's hash-table
// overheads are 0.
func cmdMemoryStats(c *Call) {
	f := c.Srv.memoryFigures()
	type dbKeys struct {
		db   int
		keys int64
	}
	var dbs []dbKeys
	var keys int64
	for n := 0; n < c.Srv.cfg.Databases(); n++ {
		if k := c.Srv.db.KeyCount(n); k > 0 {
			dbs = append(dbs, dbKeys{n, k})
			keys += k
		}
	}
	net := int64(1)
	if f.used > f.startup {
		net = f.used - f.startup
	}
	perKey := int64(0)
	if keys > 0 {
		perKey = net / keys
	}
	// Redis computes its ratios in single precision.
	ratio := func(a, b int64) float64 { return float64(float32(a) / float32(b)) }
	r := c.r
	r.Map(27 + len(dbs))
	for _, kv := range []struct {
		name string
		v    int64
	}{
		{"peak.allocated", f.peak}, {"total.allocated", f.used}, {"startup.allocated", f.startup},
		{"replication.backlog", 0}, {"clients.slaves", 0}, {"clients.normal", 0},
		{"cluster.links", 0}, {"aof.buffer", 0}, {"lua.caches", 0}, {"functions.caches", f.functions},
	} {
		r.BulkString(kv.name)
		r.Int(kv.v)
	}
	for _, d := range dbs {
		r.BulkString("db." + itoa(int64(d.db)))
		r.Map(3)
		for _, name := range []string{"overhead.hashtable.main", "overhead.hashtable.expires", "overhead.hashtable.slot-to-keys"} {
			r.BulkString(name)
			r.Int(0)
		}
	}
	num := func(name string, v int64) {
		r.BulkString(name)
		r.Int(v)
	}
	dbl := func(name string, v float64) {
		r.BulkString(name)
		r.Double(v)
	}
	num("overhead.total", f.used)
	num("keys.count", keys)
	num("keys.bytes-per-key", perKey)
	num("dataset.bytes", 0)
	dbl("dataset.percentage", 0)
	dbl("peak.percentage", ratio(f.used*100, f.peak))
	num("allocator.allocated", f.used)
	num("allocator.active", f.active)
	num("allocator.resident", f.resident)
	dbl("allocator-fragmentation.ratio", ratio(f.active, f.used))
	num("allocator-fragmentation.bytes", f.active-f.used)
	dbl("allocator-rss.ratio", ratio(f.resident, f.active))
	num("allocator-rss.bytes", f.resident-f.active)
	dbl("rss-overhead.ratio", ratio(f.rss, f.resident))
	num("rss-overhead.bytes", f.rss-f.resident)
	dbl("fragmentation", ratio(f.rss, f.used))
	num("fragmentation.bytes", f.rss-f.used)
}

// cmdMemoryDoctor is MEMORY DOCTOR: Redis's report, from the figures
// INFO memory reports. Of Redis's checks it makes those that mean the
// same here: a nearly empty heap (under 5 MB), a past peak over 150% of
// the heap, more than 1000 cached scripts. Redis's RSS and allocator
// checks are left out: Moonstone's RSS holds Pebble's caches beside the
// Go heap, by design, and Go's heap is not jemalloc's.
func cmdMemoryDoctor(c *Call) {
	f := c.Srv.memoryFigures()
	var report string
	switch {
	case f.used < 5<<20:
		report = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
	default:
		var issues []string
		if float32(f.peak)/float32(f.used) > 1.5 {
			issues = append(issues, " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n")
		}
		if c.Srv.scripts.CachedScripts() > 1000 {
			issues = append(issues, " * Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most of your memory.\n\n")
		}
		if len(issues) == 0 {
			report = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
		} else {
			report = "Sam, I detected a few issues in this Redis instance memory implants:\n\n" + strings.Join(issues, "") + "I'm here to keep you safe, Sam. I want to help you.\n"
		}
	}
	c.r.Verbatim("txt", report)
}

// cmdMemoryMallocStats is MEMORY MALLOC-STATS: Redis's answer when its
// allocator is not jemalloc. (Go's heap is in INFO memory's go_* fields.)
func cmdMemoryMallocStats(c *Call) {
	c.r.BulkString("Stats not supported for the current allocator")
}

// cmdMemoryPurge is MEMORY PURGE: the Go runtime collects and returns
// what memory it can to the operating system.
func cmdMemoryPurge(c *Call) {
	debug.FreeOSMemory()
	c.OK()
}

func cmdMemoryHelp(c *Call) {
	replyHelp(c, "MEMORY",
		"DOCTOR",
		"    Return memory problems reports.",
		"MALLOC-STATS",
		"    Return internal statistics report from the memory allocator.",
		"PURGE",
		"    Attempt to purge dirty pages for reclamation by the allocator.",
		"STATS",
		"    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
	)
}

// cmdObject serves OBJECT's subcommands. Moonstone keeps no in-memory
// encodings or reference counts: ENCODING and REFCOUNT answer what Redis
// would; IDLETIME and FREQ come from the access table (access.go). See
// docs/compatibility.md.
func cmdObject(c *Call) {
	m, err := c.Tx.Type(c.DB(), c.Args[2])
	if err != nil {
		c.Err(err)
		return
	}
	if m == codec.TypeNone {
		c.r.Null()
		return
	}
	switch c.Cmd.Name {
	case "object|encoding":
		c.r.BulkString(objectEncoding(c.Tx, c.DB(), c.Args[2], m))
	case "object|refcount":
		c.r.Int(int64(c.Srv.objectRefcount(c.Tx, c.DB(), c.Args[2], m)))
	case "object|idletime":
		if strings.Contains(c.Srv.cfg.Get("maxmemory-policy"), "lfu") {
			c.Error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
			return
		}
		c.r.Int(c.Srv.idleTime(c.Tx, c.DB(), c.Args[2]))
	case "object|freq":
		if !strings.Contains(c.Srv.cfg.Get("maxmemory-policy"), "lfu") {
			c.Error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
			return
		}
		c.r.Int(c.Srv.accessFreq(c.Tx, c.DB(), c.Args[2]))
	}
}

// objectEncoding is OBJECT ENCODING's answer for key, which holds a t:
// Redis's encoding names, chosen as docs/compatibility.md says (DEBUG
// OBJECT shows the same).
func objectEncoding(tx *storage.Tx, db int, key []byte, t codec.Type) string {
	switch t {
	case codec.TypeString:
		enc, _ := tx.StringEncoding(db, key)
		return enc
	case codec.TypeHash:
		enc, _ := tx.HashEncoding(db, key)
		return enc
	case codec.TypeZSet:
		enc, _ := tx.ZSetEncoding(db, key)
		return enc
	case codec.TypeSet:
		enc, _ := tx.SetEncoding(db, key)
		return enc
	}
	return map[codec.Type]string{codec.TypeList: "quicklist", codec.TypeStream: "stream"}[t]
}

// objectRefcount is OBJECT REFCOUNT's answer for key, which holds a t:
// 1, except for the int-encoded strings 0..9999 that Redis keeps as shared
// objects (OBJ_SHARED_REFCOUNT, INT_MAX) unless maxmemory is set with an
// LRU or LFU policy.
func (s *Server) objectRefcount(tx *storage.Tx, db int, key []byte, t codec.Type) int {
	if t != codec.TypeString {
		return 1
	}
	p := s.cfg.Get("maxmemory-policy")
	if s.cfg.Get("maxmemory") != "0" && (strings.Contains(p, "lru") || strings.Contains(p, "lfu")) {
		return 1
	}
	if enc, _ := tx.StringEncoding(db, key); enc != "int" {
		return 1
	}
	v, _, _ := tx.Get(db, key)
	if n, _ := codec.ParseInt(v); n >= 0 && n < 10000 {
		return math.MaxInt32
	}
	return 1
}

// cmdLolwut is LOLWUT [VERSION v]: Redis 7.0's answer, its version line,
// for every version. (VERSION 5 and 6 draw generative art in Redis;
// Moonstone draws none.)
func cmdLolwut(c *Call) {
	if len(c.Args) >= 3 && c.ArgIs(1, "version") {
		if _, ok := c.Int(2); !ok {
			return
		}
	}
	c.r.Verbatim("txt", "Redis ver. "+RedisVersion+"\n")
}

func cmdObjectHelp(c *Call) {
	replyHelp(c, "OBJECT",
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
	)
}
