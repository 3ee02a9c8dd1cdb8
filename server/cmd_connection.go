package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"moonstone/codec"
)

// Connection commands: PING, ECHO, QUIT, SELECT, AUTH, HELLO, RESET, CLIENT.

func cmdPing(c *Call) {
	if len(c.Args) > 2 {
		c.Error(errArity(c.Cmd.Name))
		return
	}
	if pingInPubSub(c) {
		return
	}
	if len(c.Args) == 2 {
		c.r.Bulk(c.Args[1])
		return
	}
	c.r.Status("PONG")
}

func cmdEcho(c *Call) { c.r.Bulk(c.Args[1]) }

// cmdQuit answers +OK and closes the connection after the reply. A
// monitor stops monitoring first: Redis adds nothing to a closing
// client's output, so its own QUIT, which the other monitors see, is not
// fed back to it.
func cmdQuit(c *Call) {
	c.Srv.stopMonitor(c.Conn)
	c.OK()
	c.Conn.closeAfterReply = true
}

func cmdSelect(c *Call) {
	n, ok := codec.ParseInt(c.Args[1])
	if !ok || n < -1<<31 || n >= 1<<31 {
		c.Error(errNotInteger)
		return
	}
	if n < 0 || n >= int64(c.Srv.cfg.Databases()) {
		c.Error(errDBIndex)
		return
	}
	c.Conn.db = int(n)
	c.OK()
}

// cmdAuth is AUTH [username] password: without a user name, the default
// user, whose password is requirepass (acl_users.go).
func cmdAuth(c *Call) {
	if len(c.Args) > 3 {
		c.Error(errSyntax)
		return
	}
	user, pass := []byte(defaultUser), c.Args[1]
	if len(c.Args) == 3 {
		user, pass = c.Args[1], c.Args[2]
	} else if c.Srv.acl.def.current().nopass {
		c.Error(errNoPasswordSet)
		return
	}
	if !c.auth(user, pass) {
		c.Error(errWrongPass)
		return
	}
	c.OK()
}

// cmdHello is helloCommand: the options run in order (a SETNAME before a
// failing AUTH still names the connection, as in Redis), then the
// connection switches protocol and the reply, a map, is already in it.
func cmdHello(c *Call) {
	ver := int64(0)
	if len(c.Args) >= 2 {
		n, ok := codec.ParseInt(c.Args[1])
		if !ok {
			c.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		ver = n
		if ver < 2 || ver > 3 {
			c.Error(errNoProto)
			return
		}
	}
	for i := 2; i < len(c.Args); i++ {
		more := len(c.Args) - i - 1
		switch {
		case c.ArgIs(i, "auth") && more >= 2:
			if !c.auth(c.Args[i+1], c.Args[i+2]) {
				c.Error(errWrongPass)
				return
			}
			i += 2
		case c.ArgIs(i, "setname") && more >= 1:
			if !validClientName(c.Args[i+1]) {
				c.Error(errClientName)
				return
			}
			c.Conn.mu.Lock()
			c.Conn.name = string(c.Args[i+1])
			c.Conn.mu.Unlock()
			i++
		default:
			c.Error("ERR Syntax error in HELLO option '" + string(c.Args[i]) + "'")
			return
		}
	}
	if !c.Conn.authed.Load() {
		c.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if ver != 0 {
		c.Conn.mu.Lock()
		c.Conn.resp = int(ver)
		c.Conn.mu.Unlock()
	}
	c.r.Map(7)
	c.r.BulkString("server")
	c.r.BulkString("redis")
	c.r.BulkString("version")
	c.r.BulkString(RedisVersion)
	c.r.BulkString("proto")
	c.r.Int(int64(c.Conn.resp))
	c.r.BulkString("id")
	c.r.Int(c.Conn.id)
	c.r.BulkString("mode")
	c.r.BulkString("standalone")
	c.r.BulkString("role")
	c.r.BulkString("master")
	c.r.BulkString("modules")
	c.r.Array(0)
}

func cmdReset(c *Call) {
	cn := c.Conn
	// A monitor stops, and the lines queued until now go before +RESET:
	// nothing follows it.
	c.Srv.stopMonitor(cn)
	cn.drainPushes()
	cn.resetMulti()
	c.Srv.unsubscribeAll(cn)
	if cn.tracking.on {
		c.Srv.disableTracking(cn)
	}
	cn.replyOff, cn.replySkipNext = false, false
	cn.db = 0
	cn.mu.Lock()
	cn.resp = 2
	cn.name = ""
	cn.mu.Unlock()
	cn.user.Store(c.Srv.acl.def)
	cn.authed.Store(c.Srv.acl.defaultOpen())
	c.r.Status("RESET")
}

const errClientName = "ERR Client names cannot contain spaces, newlines or special characters."

func validClientName(name []byte) bool {
	for _, ch := range name {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

func cmdClientID(c *Call) { c.r.Int(c.Conn.id) }

func cmdClientSetName(c *Call) {
	if !validClientName(c.Args[2]) {
		c.Error(errClientName)
		return
	}
	c.Conn.mu.Lock()
	c.Conn.name = string(c.Args[2])
	c.Conn.mu.Unlock()
	c.OK()
}

func cmdClientGetName(c *Call) {
	c.Conn.mu.Lock()
	name := c.Conn.name
	c.Conn.mu.Unlock()
	if name == "" {
		c.r.Null()
		return
	}
	c.r.BulkString(name)
}

// cmdClientSetInfo is Redis 7.2's CLIENT SETINFO, which current client
// libraries send on connect.
func cmdClientSetInfo(c *Call) {
	val := c.Args[3]
	for _, ch := range val {
		if ch < '!' || ch > '~' {
			c.Error("ERR " + c.Arg(2) + " cannot contain spaces, newlines or special characters.")
			return
		}
	}
	c.Conn.mu.Lock()
	defer c.Conn.mu.Unlock()
	switch c.Arg(2) {
	case "lib-name":
		c.Conn.libName = string(val)
	case "lib-ver":
		c.Conn.libVer = string(val)
	default:
		c.Error("ERR Unrecognized option '" + string(c.Args[2]) + "'")
		return
	}
	c.r.Status(replyOK)
}

// info is the CLIENT LIST / CLIENT INFO line describing cn, in Redis
// 7.0's fields (and 7.2's lib-name and lib-ver). c is the command asking:
// for its own connection qbuf is the size of the request being run plus
// what is buffered behind it, and argv-mem its arguments' bytes, as Redis
// counts them mid-command; other connections are between requests, where
// Redis shows both 0. qbuf-free is the room left in the input buffer: 0
// once an idle connection has given it back (inbuf.go). Other memory and
// output-buffer figures are fixed.
func (cn *Conn) info(c *Call) string {
	sub, psub, ssub := cn.pubsubCounts()
	blocked := cn.srv.isBlocked(cn.id)
	tflags, redir := cn.srv.trackingListFields(cn)
	qbuf, argvMem := 0, 0
	qbufFree := int(cn.rd.held.Load())
	if cn == c.Conn {
		qbuf = requestSize(c.Args) + cn.rd.Buffered()
		qbufFree = max(0, qbufFree-qbuf)
		for _, a := range c.Args {
			argvMem += len(a)
		}
	}
	multi := int(cn.multiLen.Load()) - 1
	// Redis's order of flag letters; N when none applies.
	var flags []byte
	if cn.monitor.Load() {
		flags = append(flags, 'O')
	}
	if sub+psub+ssub > 0 {
		flags = append(flags, 'P')
	}
	if multi >= 0 {
		flags = append(flags, 'x')
	}
	if blocked {
		flags = append(flags, 'b')
	}
	flags = append(flags, tflags...)
	if len(flags) == 0 {
		flags = append(flags, 'N')
	}
	cn.mu.Lock()
	defer cn.mu.Unlock()
	now := time.Now()
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=8 name=%s age=%d idle=%d flags=%s db=%d sub=%d psub=%d ssub=%d multi=%d qbuf=%d qbuf-free=%d argv-mem=%d multi-mem=%d rbs=16384 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=%s user=%s redir=%d resp=%d lib-name=%s lib-ver=%s",
		cn.id, cn.addr, cn.laddr, cn.name, int(now.Sub(cn.created).Seconds()),
		int(now.Sub(cn.lastUsed).Seconds()), flags, cn.db, sub, psub, ssub, multi, qbuf, qbufFree, argvMem, cn.multiMem.Load(), cn.lastCmd, cn.userName(), redir, cn.resp, cn.libName, cn.libVer)
}

// requestSize is the size of args sent as a RESP multibulk request.
func requestSize(args [][]byte) int {
	n := 1 + len(strconv.Itoa(len(args))) + 2
	for _, a := range args {
		n += 1 + len(strconv.Itoa(len(a))) + 2 + len(a) + 2
	}
	return n
}

func cmdClientInfo(c *Call) { c.r.Verbatim("txt", c.Conn.info(c)+"\n") }

func cmdClientList(c *Call) {
	var ids map[int64]bool
	clientType := ""
	for i := 2; i < len(c.Args); i++ {
		switch {
		case c.ArgIs(i, "type") && i+1 < len(c.Args):
			t := c.Arg(i + 1)
			if t != "normal" && t != "master" && t != "replica" && t != "slave" && t != "pubsub" {
				c.Error("ERR Unknown client type '" + string(c.Args[i+1]) + "'")
				return
			}
			clientType = t
			i++
		case c.ArgIs(i, "id") && i+1 < len(c.Args):
			if ids == nil {
				ids = map[int64]bool{}
			}
			for i++; i < len(c.Args); i++ {
				n, ok := codec.ParseInt(c.Args[i])
				if !ok || n <= 0 {
					c.Error("ERR Invalid client ID")
					return
				}
				ids[n] = true
			}
		default:
			c.Error(errSyntax)
			return
		}
	}
	var b strings.Builder
	for _, cn := range c.Srv.sortedClients() {
		if (ids != nil && !ids[cn.id]) || !cn.isType(clientType) {
			continue
		}
		b.WriteString(cn.info(c))
		b.WriteByte('\n')
	}
	c.r.Verbatim("txt", b.String())
}

func cmdClientKill(c *Call) {
	// The old form: CLIENT KILL addr:port, which may kill the caller.
	if len(c.Args) == 3 {
		for _, cn := range c.Srv.clients() {
			if cn.addr == string(c.Args[2]) {
				c.killClient(cn)
				c.OK()
				return
			}
		}
		c.Error("ERR No such client")
		return
	}
	var id int64
	var addr, laddr, clientType string
	var user *aclUser
	skipMe := true
	for i := 2; i < len(c.Args); i += 2 {
		if i+1 >= len(c.Args) {
			c.Error(errSyntax)
			return
		}
		v := string(c.Args[i+1])
		switch c.Arg(i) {
		case "id":
			n, ok := codec.ParseInt(c.Args[i+1])
			if !ok || n <= 0 {
				c.Error("ERR client-id should be greater than 0")
				return
			}
			id = n
		case "addr":
			addr = v
		case "laddr":
			laddr = v
		case "skipme":
			switch strings.ToLower(v) {
			case "yes":
				skipMe = true
			case "no":
				skipMe = false
			default:
				c.Error(errSyntax)
				return
			}
		case "type":
			clientType = strings.ToLower(v)
			if clientType != "normal" && clientType != "master" && clientType != "replica" && clientType != "slave" && clientType != "pubsub" {
				c.Error("ERR Unknown client type '" + v + "'")
				return
			}
		case "user":
			if user = c.Srv.acl.user(v); user == nil {
				c.Error("ERR No such user '" + v + "'")
				return
			}
		default:
			c.Error(errSyntax)
			return
		}
	}
	var n int64
	for _, cn := range c.Srv.clients() {
		if (id != 0 && cn.id != id) || (addr != "" && cn.addr != addr) || (laddr != "" && cn.laddr != laddr) || !cn.isType(clientType) ||
			user != nil && cn.user.Load() != user {
			continue
		}
		if skipMe && cn == c.Conn {
			continue
		}
		c.killClient(cn)
		n++
	}
	c.r.Int(n)
}

// killClient closes cn; when cn is the caller, only after the reply.
func (c *Call) killClient(cn *Conn) {
	if cn == c.Conn {
		cn.closeAfterReply = true
		return
	}
	cn.kill()
}

// cmdClientHelp is Redis 7.0's CLIENT HELP, less the subcommands Moonstone
// does not have (CACHING, GETREDIR, PAUSE, UNPAUSE, TRACKING,
// TRACKINGINFO), with 7.2's SETINFO and NO-TOUCH, which it has.
func cmdClientHelp(c *Call) {
	replyHelp(c, "CLIENT",
		"CACHING (YES|NO)",
		"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
		"GETREDIR",
		"    Return the client ID we are redirecting to when tracking is enabled.",
		"GETNAME",
		"    Return the name of the current connection.",
		"ID",
		"    Return the ID of the current connection.",
		"INFO",
		"    Return information about the current client connection.",
		"KILL <ip:port>",
		"    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]",
		"    Kill connections. Options are:",
		"    * ADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made from the specified address",
		"    * LADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made to specified local address",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Kill connections by type.",
		"    * USER <username>",
		"      Kill connections authenticated by <username>.",
		"    * SKIPME (YES|NO)",
		"      Skip killing current connection (default: yes).",
		"LIST [options ...]",
		"    Return information about client connections. Options:",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Return clients of specified type.",
		"REPLY (ON|OFF|SKIP)",
		"    Control the replies sent to the current connection.",
		"SETNAME <name>",
		"    Assign the name <name> to the current connection.",
		"SETINFO <option> <value>",
		"    Set client meta attr. Options are:",
		"    * LIB-NAME: the client lib name.",
		"    * LIB-VER: the client lib version.",
		"UNBLOCK <clientid> [TIMEOUT|ERROR]",
		"    Unblock the specified blocked client.",
		"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
		"         [OPTIN] [OPTOUT] [NOLOOP]",
		"    Control server assisted client side caching.",
		"TRACKINGINFO",
		"    Report tracking status for the current connection.",
		"NO-EVICT (ON|OFF)",
		"    Protect current client connection from eviction.",
		"NO-TOUCH (ON|OFF)",
		"    Will not touch LRU/LFU stats when this mode is on.",
	)
}

// cmdClientNoop serves CLIENT subcommands that only tune behaviour Moonstone
// does not have (eviction, LRU touch): they are accepted and do nothing.
func cmdClientNoop(c *Call) {
	switch c.Arg(2) {
	case "on", "off":
		c.OK()
	default:
		c.Error(errSyntax)
	}
}

// cmdClientReply is CLIENT REPLY ON|OFF|SKIP. OFF and SKIP reply nothing
// (dropReplies removes what the command wrote).
func cmdClientReply(c *Call) {
	cn := c.Conn
	switch c.Arg(2) {
	case "on":
		cn.replyOff, cn.replySkip = false, false
		c.OK()
	case "off":
		cn.replyOff = true
	case "skip":
		if !cn.replyOff {
			cn.replySkipNext = true
		}
	default:
		c.Error(errSyntax)
	}
}

// replyMark is, before a command whose replies are to be dropped, the
// length of the output so far; -1 otherwise.
func (cn *Conn) replyMark() int {
	if !cn.replyOff && !cn.replySkip {
		return -1
	}
	return cn.w.Len()
}

// dropReplies runs after each command: under CLIENT REPLY OFF, or for the
// command after CLIENT REPLY SKIP, it removes the replies the command wrote
// after mark, keeping its push frames, as Redis does.
func (cn *Conn) dropReplies(mark int) {
	if mark < 0 && !cn.replySkipNext && len(cn.kept) == 0 {
		return
	}
	if mark >= 0 && (cn.replyOff || cn.replySkip) {
		cn.w.Truncate(mark)
	}
	if len(cn.kept) > 0 {
		cn.w.WriteRaw(cn.kept)
		cn.kept = cn.kept[:0]
	}
	cn.replySkip = false
	if cn.replySkipNext {
		cn.replySkip, cn.replySkipNext = true, false
	}
}
