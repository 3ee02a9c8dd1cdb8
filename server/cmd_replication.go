package server

import (
	"fmt"
	"strings"

	"moonstone/codec"
)

// Replication commands. Moonstone is always a master and never has
// replicas: durability is its own WAL's (docs/compatibility.md). So these
// answer as a Redis 7.0 master without replicas does — WAIT counts no
// acknowledgement, ROLE lists none, FAILOVER finds none, REPLICAOF NO ONE
// leaves a master as it is — except where Redis would start replicating:
// REPLICAOF host port, SYNC and PSYNC get an error saying so, after the
// same argument checks as in Redis. REPLCONF, which only records a would-be
// replica's settings on its connection, checks them as Redis does and
// forgets them.

// errNoReplication is the reply of a command that would replicate.
func errNoReplication(cmd string) string {
	return fmt.Sprintf("ERR %s is not supported: Moonstone has no replication", strings.ToUpper(cmd))
}

// cmdWait is WAIT numreplicas timeout. No replica ever acknowledges, so
// the count is always 0; like Redis, WAIT first blocks for the timeout
// (0: until CLIENT UNBLOCK) when more than none were asked for, except
// inside MULTI.
func cmdWait(c *Call) {
	want, ok := c.Int(1)
	if !ok {
		return
	}
	timeout, ok := c.BlockTimeoutMillis(2)
	if !ok {
		return
	}
	if want <= 0 || !c.canBlock {
		c.r.Int(0)
		return
	}
	c.BlockForTimeout(timeout, func(r Reply) { r.Int(0) })
}

// cmdRole is ROLE: a master at replication offset 0, without replicas.
func cmdRole(c *Call) {
	c.r.Array(3)
	c.r.BulkString("master")
	c.r.Int(0)
	c.r.Array(0)
}

// cmdReplicaOf is REPLICAOF and SLAVEOF. NO ONE is a master's no-op; a
// master address is checked as Redis checks it, then refused.
func cmdReplicaOf(c *Call) {
	if c.ArgIs(1, "no") && c.ArgIs(2, "one") {
		c.OK()
		return
	}
	// Redis gives one error for a port that is not a number and one out
	// of range.
	port, ok := codec.ParseInt(c.Args[2])
	if !ok || port < 0 || port > 65535 {
		c.Error("ERR Invalid master port")
		return
	}
	c.Srv.logf(levelWarning, "%s %s:%d refused: Moonstone has no replication", strings.ToUpper(c.Cmd.Name), c.Args[1], port)
	c.Error(errNoReplication(c.Cmd.Name))
}

// cmdFailover is FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]:
// its arguments are parsed as Redis parses them, and then there is no
// replica to fail over to.
func cmdFailover(c *Call) {
	if len(c.Args) == 2 && c.ArgIs(1, "abort") {
		c.Error("ERR No failover in progress.")
		return
	}
	var timeout int64
	force, to := false, false
	for j := 1; j < len(c.Args); j++ {
		switch {
		case c.ArgIs(j, "timeout") && j+1 < len(c.Args) && timeout == 0:
			n, ok := c.Int(j + 1)
			if !ok {
				return
			}
			if n <= 0 {
				c.Error("ERR FAILOVER timeout must be greater than 0")
				return
			}
			timeout = n
			j++
		case c.ArgIs(j, "to") && j+2 < len(c.Args) && !to:
			if _, ok := c.Int(j + 2); !ok {
				return
			}
			to = true
			j += 2
		case c.ArgIs(j, "force") && !force:
			force = true
		default:
			c.Error(errSyntax)
			return
		}
	}
	c.Error("ERR FAILOVER requires connected replicas.")
}

// cmdSync is SYNC and PSYNC replid offset: where Redis would start a full
// or partial resynchronization, Moonstone refuses.
func cmdSync(c *Call) {
	if c.Cmd.Name == "psync" {
		if _, ok := c.Int(2); !ok {
			return
		}
	}
	c.Error(errNoReplication(c.Cmd.Name))
}

// replconfMaxAddr is Redis's NET_HOST_STR_LEN: a replica's announced
// address must be shorter.
const replconfMaxAddr = 256

// cmdReplConf is REPLCONF option value ...: each option is checked as
// Redis checks it. ACK and GETACK, which Redis answers with nothing,
// end the command without a reply, except inside MULTI, where a missing
// reply would break EXEC's array and they answer +OK.
func cmdReplConf(c *Call) {
	if len(c.Args)%2 == 0 {
		c.Error(errSyntax)
		return
	}
	for j := 1; j < len(c.Args); j += 2 {
		v := c.Args[j+1]
		switch c.Arg(j) {
		case "listening-port":
			if _, ok := c.Int(j + 1); !ok {
				return
			}
		case "ip-address":
			if len(v) >= replconfMaxAddr {
				c.Error(fmt.Sprintf("ERR REPLCONF ip-address provided by replica instance is too long: %d bytes", len(v)))
				return
			}
		case "capa":
			// Capabilities this master does not know are ignored.
		case "ack", "getack":
			if !c.canBlock {
				c.OK()
			}
			return
		case "rdb-only":
			if _, ok := c.IntRange(j+1, 0, 1, "ERR value is out of range, value must between 0 and 1"); !ok {
				return
			}
		case "rdb-filter-only":
			filters, ok := splitInline(v)
			if !ok {
				c.Error("ERR Missing rdb-filter-only values")
				return
			}
			for _, f := range filters {
				if !strings.EqualFold(string(f), "functions") {
					c.Error("ERR Unsupported rdb-filter-only option: " + string(f))
					return
				}
			}
		default:
			c.Error("ERR Unrecognized REPLCONF option: " + string(c.Args[j]))
			return
		}
	}
	c.OK()
}
