package server

import (
	"strconv"
	"strings"
	"time"

	"moonstone/codec"
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
	s.stats.keyspaceMisses.Store(0)
	s.stats.errorReplies.Store(0)
	s.db.Stats().ExpiredKeys.Store(0)
	s.resetNet()
	c.OK()
}

func cmdConfigRewrite(c *Call) {
	c.Error("ERR The server is running without a config file")
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

// cmdObject serves OBJECT's subcommands with fixed, documented answers:
// Moonstone keeps no in-memory encodings, reference counts or access
// clocks (docs/compatibility.md).
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
		enc := map[codec.Type]string{
			codec.TypeHash: "hashtable", codec.TypeList: "quicklist",
			codec.TypeSet: "hashtable", codec.TypeZSet: "skiplist", codec.TypeStream: "stream",
		}[m]
		if m == codec.TypeHash {
			enc, _ = c.Tx.HashEncoding(c.DB(), c.Args[2])
		}
		if m == codec.TypeString {
			v, _, _ := c.Tx.Get(c.DB(), c.Args[2])
			enc = "raw"
			if _, ok := codec.ParseInt(v); ok {
				enc = "int"
			} else if len(v) <= 44 {
				enc = "embstr"
			}
		}
		c.r.BulkString(enc)
	case "object|refcount":
		c.r.Int(1)
	case "object|idletime":
		if strings.Contains(c.Srv.cfg.Get("maxmemory-policy"), "lfu") {
			c.Error("ERR An LRU maxmemory policy is not selected, access time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
			return
		}
		c.r.Int(0)
	case "object|freq":
		if !strings.Contains(c.Srv.cfg.Get("maxmemory-policy"), "lfu") {
			c.Error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
			return
		}
		c.r.Int(0)
	}
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
