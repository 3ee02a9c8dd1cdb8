package server

import (
	"bytes"

	"moonstone/codec"
)

// CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO: client-side caching
// (the table and the messages are in tracking.go). Options, their checks
// and the error texts are Redis 7.0's.

// cmdClientTracking is CLIENT TRACKING on|off [REDIRECT id] [PREFIX p ...]
// [BCAST] [OPTIN] [OPTOUT] [NOLOOP].
func cmdClientTracking(c *Call) {
	cn := c.Conn
	var mode trackingMode
	var prefixes [][]byte
	for j := 3; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		switch {
		case c.ArgIs(j, "redirect") && more > 0:
			j++
			if mode.redirect != 0 {
				c.Error("ERR A client can only redirect to a single other client")
				return
			}
			id, ok := codec.ParseInt(c.Args[j])
			if !ok {
				c.Error(errNotInteger)
				return
			}
			if c.Srv.liveConn(id) == nil {
				c.Error("ERR The client ID you want redirect to does not exist")
				return
			}
			mode.redirect = id
		case c.ArgIs(j, "bcast"):
			mode.bcast = true
		case c.ArgIs(j, "optin"):
			mode.optin = true
		case c.ArgIs(j, "optout"):
			mode.optout = true
		case c.ArgIs(j, "noloop"):
			mode.noloop = true
		case c.ArgIs(j, "prefix") && more > 0:
			j++
			prefixes = append(prefixes, c.Args[j])
		default:
			c.Error(errSyntax)
			return
		}
	}
	switch {
	case c.ArgIs(2, "on"):
		cur := &cn.tracking
		switch {
		case !mode.bcast && len(prefixes) > 0:
			c.Error("ERR PREFIX option requires BCAST mode to be enabled")
			return
		case cur.on && cur.bcast != mode.bcast:
			c.Error("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		case mode.bcast && (mode.optin || mode.optout):
			c.Error("ERR OPTIN and OPTOUT are not compatible with BCAST")
			return
		case mode.optin && mode.optout:
			c.Error("ERR You can't specify both OPTIN mode and OPTOUT mode")
			return
		case mode.optin && cur.optout || mode.optout && cur.optin:
			c.Error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		}
		if mode.bcast {
			var existing []string
			if cur.on {
				_, existing = c.Srv.trackingState(cn)
			}
			if msg := prefixOverlap(existing, prefixes); msg != "" {
				c.Error(msg)
				return
			}
		}
		c.Srv.enableTracking(cn, mode, prefixes, c.Tx != nil && c.Tx.Writable())
	case c.ArgIs(2, "off"):
		if cn.tracking.on {
			c.Srv.disableTracking(cn)
		}
	default:
		c.Error(errSyntax)
		return
	}
	c.OK()
}

// prefixOverlap checks BCAST prefixes as Redis does: two prefixes overlap
// when one starts the other, and a client's prefixes may not overlap, new
// ones with those it has or with each other. It returns the error, or "".
// (Redis 7.0 also enables tracking after the error, and replies +OK too,
// when the overlap is between two new prefixes other than the first; here
// the error is the only reply and nothing changes.)
func prefixOverlap(existing []string, prefixes [][]byte) string {
	overlap := func(a, b []byte) bool {
		n := min(len(a), len(b))
		return bytes.Equal(a[:n], b[:n])
	}
	const tail = ". Prefixes for a single client must not overlap."
	for i, p := range prefixes {
		for _, e := range existing {
			if overlap([]byte(e), p) {
				return sanitize("ERR Prefix '" + cString(p) + "' overlaps with an existing prefix '" + cString([]byte(e)) + "'" + tail)
			}
		}
		for _, q := range prefixes[i+1:] {
			if overlap(p, q) {
				return sanitize("ERR Prefix '" + cString(p) + "' overlaps with another provided prefix '" + cString(q) + "'" + tail)
			}
		}
	}
	return ""
}

// cmdClientCaching is CLIENT CACHING yes|no, for the next command (or
// MULTI block) of an OPTIN or OPTOUT client.
func cmdClientCaching(c *Call) {
	m := &c.Conn.tracking
	if !m.on {
		c.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch {
	case c.ArgIs(2, "yes"):
		if !m.optin {
			c.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
	case c.ArgIs(2, "no"):
		if !m.optout {
			c.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
	default:
		c.Error(errSyntax)
		return
	}
	m.caching = true
	c.OK()
}

// cmdClientGetRedir is CLIENT GETREDIR: the redirect target, 0 for none,
// -1 when tracking is off.
func cmdClientGetRedir(c *Call) {
	if !c.Conn.tracking.on {
		c.r.Int(-1)
		return
	}
	c.r.Int(c.Conn.tracking.redirect)
}

// cmdClientTrackingInfo is CLIENT TRACKINGINFO: flags, redirect, prefixes.
func cmdClientTrackingInfo(c *Call) {
	m := &c.Conn.tracking
	broken, prefixes := false, []string(nil)
	if m.on {
		broken, prefixes = c.Srv.trackingState(c.Conn)
	}
	flags := []string{"off"}
	if m.on {
		flags[0] = "on"
	}
	if m.bcast {
		flags = append(flags, "bcast")
	}
	if m.optin {
		flags = append(flags, "optin")
		if m.caching {
			flags = append(flags, "caching-yes")
		}
	}
	if m.optout {
		flags = append(flags, "optout")
		if m.caching {
			flags = append(flags, "caching-no")
		}
	}
	if m.noloop {
		flags = append(flags, "noloop")
	}
	if broken {
		flags = append(flags, "broken_redirect")
	}
	c.r.Map(3)
	c.r.BulkString("flags")
	c.r.Set(len(flags))
	for _, f := range flags {
		c.r.BulkString(f)
	}
	c.r.BulkString("redirect")
	if m.on {
		c.r.Int(m.redirect)
	} else {
		c.r.Int(-1)
	}
	c.r.BulkString("prefixes")
	c.r.Array(len(prefixes))
	for _, p := range prefixes {
		c.r.BulkString(p)
	}
}
