package server

import "moonstone/codec"

// SLOWLOG GET [count] | LEN | RESET | HELP, as Redis 7.0 (slowlog.go).

func cmdSlowlogGet(c *Call) {
	if len(c.Args) > 3 {
		sub := string(c.Args[1])
		if len(sub) > 128 {
			sub = sub[:128]
		}
		c.Error(sanitize("ERR unknown subcommand or wrong number of arguments for '" + sub + "'. Try SLOWLOG HELP."))
		return
	}
	count := int64(10)
	if len(c.Args) == 3 {
		n, ok := codec.ParseInt(c.Args[2])
		if !ok || n < -1 {
			c.Error("ERR count should be greater than or equal to -1")
			return
		}
		count = n
	}
	entries := c.Srv.slowlog.newest(count)
	c.r.Array(len(entries))
	for _, e := range entries {
		c.r.Array(6)
		c.r.Int(e.id)
		c.r.Int(e.time)
		c.r.Int(e.duration)
		c.r.Array(len(e.args))
		for _, a := range e.args {
			c.r.Bulk(a)
		}
		c.r.BulkString(e.addr)
		c.r.BulkString(e.name)
	}
}

func cmdSlowlogLen(c *Call) { c.r.Int(int64(c.Srv.slowlog.len())) }

func cmdSlowlogReset(c *Call) {
	c.Srv.slowlog.reset()
	c.r.Status("OK")
}

func cmdSlowlogHelp(c *Call) {
	replyHelp(c, "SLOWLOG",
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.",
	)
}
