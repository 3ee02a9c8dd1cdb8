package server

import (
	"sort"
	"strings"
)

// Pub/sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
// PUBLISH, SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH and PUBSUB. Subscriptions and
// delivery are in pubsub.go.
//
// Confirmations are replies of the command, written on the connection's
// own output in the frame shape of a message (a push in RESP3). They are
// written raw because one command writes several of them.

// refuseInPubSub is dispatch's check for a RESP2 connection in subscribed
// mode: only the (un)subscribe commands, PING, QUIT and RESET may run. It
// replies and reports true when cmd is refused.
func (s *Server) refuseInPubSub(cn *Conn, cmd *Command) bool {
	if cn.ps == nil || cn.resp != 2 || !cn.inPubSub() || allowedWhileSubscribed(cmd.Name) {
		return false
	}
	msg := "ERR Can't execute '" + cmd.Name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
	s.countRejected(cmd, msg)
	cn.reply.Error(msg)
	return true
}

// allowedWhileSubscribed are the commands a RESP2 subscriber may send.
func allowedWhileSubscribed(name string) bool {
	switch name {
	case "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe",
		"psubscribe", "punsubscribe", "quit", "reset":
		return true
	}
	return false
}

// pingInPubSub answers PING for a RESP2 subscriber, as Redis does: a
// two-element array "pong" and the argument (empty without one). It
// reports whether it answered.
func pingInPubSub(c *Call) bool {
	cn := c.Conn
	if cn.resp != 2 || !cn.inPubSub() {
		return false
	}
	c.r.Array(2)
	c.r.BulkString("pong")
	if len(c.Args) == 2 {
		c.r.Bulk(c.Args[1])
	} else {
		c.r.BulkString("")
	}
	return true
}

// writeSubFrame writes one (un)subscribe confirmation: kind, the channel
// or pattern (a null when there is none), and a count.
func (cn *Conn) writeSubFrame(kind string, name *string, count int) {
	b := appendPushHeader(nil, cn.resp, 3)
	b = appendBulkString(b, kind)
	switch {
	case name != nil:
		b = appendBulkString(b, *name)
	case cn.resp == 3:
		b = append(b, "_\r\n"...)
	default:
		b = append(b, "$-1\r\n"...)
	}
	b = append(b, ':')
	b = append(b, itoa(int64(count))...)
	b = append(b, '\r', '\n')
	if cn.replyOff || cn.replySkip {
		// Pushes are sent even when replies are not (CLIENT REPLY).
		cn.kept = append(cn.kept, b...)
		return
	}
	cn.w.WriteRaw(b)
}

// shardCount is what SSUBSCRIBE confirmations report.
func (cn *Conn) shardCount() int {
	if cn.ps == nil {
		return 0
	}
	return cn.ps.shard.len()
}

func subscribeGeneric(c *Call, kind int, confirm string) {
	cn := c.Conn
	for _, a := range c.Args[1:] {
		name := string(a)
		c.Srv.subscribe(cn, kind, name)
		n := cn.subscriptionCount()
		if kind == subShard {
			n = cn.shardCount()
		}
		cn.writeSubFrame(confirm, &name, n)
	}
}

func unsubscribeGeneric(c *Call, kind int, confirm string) {
	cn := c.Conn
	count := func() int {
		if kind == subShard {
			return cn.shardCount()
		}
		return cn.subscriptionCount()
	}
	if len(c.Args) == 1 {
		var names []string
		if cn.ps != nil {
			names = append(names, cn.ps.set(kind).items...)
		}
		if len(names) == 0 {
			cn.writeSubFrame(confirm, nil, count())
			return
		}
		for _, name := range names {
			c.Srv.unsubscribe(cn, kind, name)
			cn.writeSubFrame(confirm, &name, count())
		}
		return
	}
	for _, a := range c.Args[1:] {
		name := string(a)
		c.Srv.unsubscribe(cn, kind, name)
		cn.writeSubFrame(confirm, &name, count())
	}
}

func cmdSubscribe(c *Call)   { subscribeGeneric(c, subChannel, "subscribe") }
func cmdPSubscribe(c *Call)  { subscribeGeneric(c, subPattern, "psubscribe") }
func cmdUnsubscribe(c *Call) { unsubscribeGeneric(c, subChannel, "unsubscribe") }
func cmdPUnsubscribe(c *Call) {
	unsubscribeGeneric(c, subPattern, "punsubscribe")
}

func cmdSSubscribe(c *Call) {
	// Inside EXEC (the only transaction SSUBSCRIBE can run in: it is no
	// script command and no write), Redis refuses it as it refuses
	// blocking commands, unlike SUBSCRIBE which MULTI keeps for backward
	// compatibility.
	if c.Tx != nil {
		c.Error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
		return
	}
	subscribeGeneric(c, subShard, "ssubscribe")
}

func cmdSUnsubscribe(c *Call) { unsubscribeGeneric(c, subShard, "sunsubscribe") }

func cmdPublish(c *Call) { c.r.Int(int64(c.publishCall(c.Args[1], c.Args[2], false))) }

func cmdSPublish(c *Call) { c.r.Int(int64(c.publishCall(c.Args[1], c.Args[2], true))) }

// channelList answers PUBSUB CHANNELS / SHARDCHANNELS: the channels with at
// least one subscriber, matching the optional pattern, sorted.
func channelList(c *Call, kind int) {
	if len(c.Args) > 3 {
		c.Error(errPubSubSyntax(c))
		return
	}
	reg := &c.Srv.pubsub
	reg.mu.RLock()
	var out []string
	for ch := range *reg.table(kind) {
		if len(c.Args) == 2 || globMatch(c.Args[2], []byte(ch), false) {
			out = append(out, ch)
		}
	}
	reg.mu.RUnlock()
	sort.Strings(out)
	c.r.Array(len(out))
	for _, ch := range out {
		c.r.BulkString(ch)
	}
}

func numSub(c *Call, kind int) {
	reg := &c.Srv.pubsub
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	t := *reg.table(kind)
	c.r.Array(2 * (len(c.Args) - 2))
	for _, ch := range c.Args[2:] {
		c.r.Bulk(ch)
		c.r.Int(int64(len(t[string(ch)])))
	}
}

func errPubSubSyntax(c *Call) string {
	return "ERR unknown subcommand or wrong number of arguments for '" + string(c.Args[1]) + "'. Try " +
		strings.ToUpper(string(c.Args[0])) + " HELP."
}

func cmdPubSubChannels(c *Call)      { channelList(c, subChannel) }
func cmdPubSubShardChannels(c *Call) { channelList(c, subShard) }
func cmdPubSubNumSub(c *Call)        { numSub(c, subChannel) }
func cmdPubSubShardNumSub(c *Call)   { numSub(c, subShard) }

func cmdPubSubNumPat(c *Call) {
	reg := &c.Srv.pubsub
	reg.mu.RLock()
	n := len(reg.patterns)
	reg.mu.RUnlock()
	c.r.Int(int64(n))
}

func cmdPubSubHelp(c *Call) {
	replyHelp(c, "PUBSUB",
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
		"SHARDCHANNELS [<pattern>]",
		"    Return the currently active shard level channels matching a <pattern> (default: '*').",
		"SHARDNUMSUB [<shardchannel> ...]",
		"    Return the number of subscribers for the specified shard level channel(s)",
	)
}

// pubsubStats are INFO's pubsub_channels, pubsub_patterns and
// pubsubshard_channels.
func (s *Server) pubsubStats() (channels, patterns, shard int) {
	reg := &s.pubsub
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	return len(reg.channels), len(reg.patterns), len(reg.shard)
}

// isType reports whether cn is of CLIENT LIST's TYPE t ("" for any): a
// client with subscriptions is "pubsub", not "normal"; there are no
// replicas or masters.
func (cn *Conn) isType(t string) bool {
	switch t {
	case "":
		return true
	case "normal", "pubsub":
		sub, psub, ssub := cn.pubsubCounts()
		return (sub+psub+ssub > 0) == (t == "pubsub")
	}
	return false
}
