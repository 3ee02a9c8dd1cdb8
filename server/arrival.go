package server

import (
	"bytes"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

// Arrival order across connections.
//
// Redis runs requests in the order its event loop reads them, so requests
// that reach it on different connections microseconds apart run in the
// order they arrived. Clients rely on that where the order decides the
// outcome: send BRPOPLPUSH on one connection, another on a second, LPUSH
// on a third, and Redis blocks the two pops, in that order, before the
// push serves them. Each Moonstone connection has its own goroutine, and
// when several become readable together Go's scheduler runs them in an
// order of its own (the netpoller hands a batch over last in, first out):
// the push could run first, the second pop take the element and the first
// block forever. Redis's own test suite hangs on exactly that.
//
// So Moonstone restores arrival order among blocking pops, which is what
// decides who gets what: whether a push runs before or after a pop that
// arrived first, that pop gets the element (at once, or served while
// blocked), but two pops must take their turns in the order they came.
// Each connection reads with the kernel's receive timestamp
// (arrival_linux.go) and notes the arrival of what it read until it
// dispatches the next command. A blocking pop (blockingCommands) takes
// that arrival as its own, so blocked clients queue in arrival order
// whichever took the write gate first (blocking.go). It keeps its note
// until it holds the write gate, and before taking the gate it waits
// while another connection holds a request that arrived before its own
// and is not yet dispatched, or a blocking pop not yet past the gate, or
// unread data: the server keeps its own epoll set of the connections'
// sockets and peeks at the receive time of what they hold, since the
// goroutine that will read it may not have been woken yet. Every wait is
// bounded by orderWaitMax, and older arrivals are ignored: ordering may
// delay a pop, never stall it. Other commands only clear their note at
// dispatch; their cost is a timestamped recvmsg instead of a read.
//
// A write must not overtake a blocking read either where the order decides
// what the reader sees: XREAD BLOCK ... $ sent before an XADD must block
// and then get that entry, and one sent before a SET that turns the key
// into a string must block, not answer WRONGTYPE. Nor may a PUBLISH
// overtake an UNSUBSCRIBE sent before it, or reach a connection that had
// already left. Nor may a write abort a transaction by running before an
// EXEC that arrived first on a connection that WATCHes the key it writes.
// So while such commands are in use (one dispatched in the last
// orderWindow; for EXEC, a WATCH), a write also waits, bounded the same
// way, for blocking commands and watching connections' EXECs that
// arrived before it on other connections, and a PUBLISH for blocking
// commands and (un)subscriptions (orderKindOf): read and not yet past
// the write gate or run, or unread, found by peeking at the command name.
// A read classifies the request it begins when it notes its arrival, not
// when dispatch gets to it, and flags itself while under way, since what
// it has taken from the socket is in neither place a write looks until it
// is noted: without those, one round in 20-80 of "Blocking XREAD: key
// type changed with SET" slipped through on an idle machine.
// Connections busy with plain writes are not looked at, so that writers do
// not peek at each other: only new ones and those whose last command was a
// read or an ordered command (a client's own connection usually sends
// SELECT or PING before its blocking command). Servers that never block,
// subscribe or WATCH pay one atomic load per write; otherwise a write or
// PUBLISH pays a peek per such connection (for EXECs alone, per such
// connection that watches keys).
//
// Measured with the three-connection BRPOPLPUSH sequence of Redis's list
// unit, 100 rounds: 59-77 rounds failed before, 0-1 after on an idle
// machine, 0-3 with both cores saturated by other processes. The price,
// under redis-benchmark with 50 clients: GET at pipeline 1 2-5% slower
// (server CPU +3-9%), a ledger transfer 1-2%, LPUSH within noise.

// orderWaitMax bounds the wait of one pop, and how long an arrival counts.
const orderWaitMax = 2 * time.Millisecond

// orderWindow is how long after a command of a kind was dispatched later
// commands keep waiting for earlier ones of that kind.
const orderWindow = 10 * time.Second

// blockingCommands are the blocking pops.
var blockingCommands = map[string]bool{
	"blpop": true, "brpop": true, "blmove": true, "brpoplpush": true, "blmpop": true,
	"bzpopmin": true, "bzpopmax": true, "bzmpop": true,
}

// orderKind is a kind of command that later commands of other
// connections must not overtake, as bits.
type orderKind uint32

const (
	// orderBlocking: the blocking pops and the stream reads (which block
	// with BLOCK; a write waiting for one that does not costs it at most
	// the read's dispatch). Writes and PUBLISH wait for them.
	orderBlocking orderKind = 1 << iota
	// orderSubscribe: (un)subscribing, which decides whether a PUBLISH
	// right behind it reaches the connection. PUBLISH waits for them.
	orderSubscribe
	// orderExec: the EXEC of a connection that WATCHes keys, which a
	// write sent after it must not abort by running first. Writes wait
	// for them; WATCH opens the window (orderSeen).
	orderExec

	orderKinds = 3 // how many kinds there are
)

// orderKindOf is the kind of the command named name, sent on a connection
// whose watching flag is watching.
func orderKindOf(name string, watching bool) orderKind {
	if name == "exec" && watching {
		return orderExec
	}
	return orderedCommands[name]
}

// orderedCommands are the commands of each kind.
var orderedCommands = map[string]orderKind{
	"blpop": orderBlocking, "brpop": orderBlocking, "blmove": orderBlocking, "brpoplpush": orderBlocking,
	"blmpop": orderBlocking, "bzpopmin": orderBlocking, "bzpopmax": orderBlocking, "bzmpop": orderBlocking,
	"xread": orderBlocking, "xreadgroup": orderBlocking,
	"subscribe": orderSubscribe, "unsubscribe": orderSubscribe, "psubscribe": orderSubscribe,
	"punsubscribe": orderSubscribe, "ssubscribe": orderSubscribe, "sunsubscribe": orderSubscribe,
}

// waitsFor is the kinds of earlier command a command waits for: writes
// wait for blocking commands, publishing for those and subscriptions.
func waitsFor(cmd *Command) orderKind {
	switch {
	case cmd.Name == "publish" || cmd.Name == "spublish":
		return orderBlocking | orderSubscribe
	case cmd.Is(flagWrite):
		return orderBlocking | orderExec
	}
	return 0
}

// arrivalNote is when a connection's request not yet dispatched, or
// blocking pop not yet past the write gate, arrived (unix ns, kernel time;
// 0 for none), and the request's orderKind. Only the connection's own
// goroutine (and, while it is blocked, its watcher) writes it; blocking
// pops, and while ordering is in use writes and PUBLISH, read every
// connection's.
type arrivalNote struct {
	at   atomic.Int64
	kind atomic.Uint32
	// reading is set, while ordering is in use, from before a read until
	// what it read is noted: the data is then neither in the socket for a
	// peek nor in the note, and a write must wait rather than miss it.
	reading atomic.Bool
}

// arrived notes that data read arrived at t, unless an earlier note holds,
// with the kind of the request it begins if known (0 otherwise: dispatch
// sets it). The kind goes first: whoever sees the time sees the kind, and
// so a write does not overtake an ordered command while it is parsed.
func (n *arrivalNote) arrived(t int64, kind orderKind) {
	if n.at.Load() == 0 {
		n.kind.Store(uint32(kind))
		n.at.Store(t)
	}
}

// clear ends the note: the command is dispatched, or the pop holds the
// write gate.
func (n *arrivalNote) clear() {
	if n.at.Load() != 0 {
		n.kind.Store(0)
		n.at.Store(0)
	}
}

// awaitArrivalTurn holds cn's blocking pop, which arrived at t, until no
// other connection holds an earlier request, read or unread (and younger
// than orderWaitMax).
func (s *Server) awaitArrivalTurn(cn *Conn, t int64) {
	// Goroutines woken in the same batch as this one may not have read
	// yet: let them.
	runtime.Gosched()
	start := time.Now()
	horizon := start.UnixNano() - int64(orderWaitMax)
	for s.earlierNote(cn, t, horizon) || s.sockets.unreadBefore(cn, t, horizon) {
		if time.Since(start) >= orderWaitMax {
			return
		}
		// Sleep rather than spin: a spinning goroutine keeps the
		// scheduler from polling the network, where the earlier
		// requests' goroutines are waiting to be woken.
		time.Sleep(10 * time.Microsecond)
	}
}

// earlierNote reports whether another connection holds a note that
// arrived between horizon and t.
func (s *Server) earlierNote(cn *Conn, t, horizon int64) bool {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	for _, c := range s.conns {
		if at := c.note.at.Load(); c != cn && at < t && at > horizon {
			return true
		}
	}
	return false
}

// orderSeen keeps when a command of each orderKind (bit i of the kind at
// index i) was last dispatched (unix ns).
type orderSeen struct{ at [orderKinds]atomic.Int64 }

// used reports whether a command of any kind was ever dispatched: until
// then, no read needs to know what it read.
func (o *orderSeen) used() bool {
	for i := range o.at {
		if o.at[i].Load() != 0 {
			return true
		}
	}
	return false
}

func (o *orderSeen) note(kinds orderKind, now int64) {
	for i := range o.at {
		if kinds&(1<<i) != 0 {
			o.at[i].Store(now)
		}
	}
}

// recent narrows kinds to those dispatched in the last orderWindow.
func (o *orderSeen) recent(kinds orderKind, now int64) orderKind {
	for i := range o.at {
		if kinds&(1<<i) != 0 && now-o.at[i].Load() > int64(orderWindow) {
			kinds &^= 1 << i
		}
	}
	return kinds
}

// awaitOrderTurn holds cn's command, which arrived at t, while another
// connection holds a command of kinds, in use lately, that arrived before
// it, read or unread (and younger than orderWaitMax).
func (s *Server) awaitOrderTurn(cn *Conn, t int64, now time.Time, kinds orderKind) {
	if kinds = s.orderSeen.recent(kinds, now.UnixNano()); kinds == 0 {
		return
	}
	horizon := now.UnixNano() - int64(orderWaitMax)
	for s.sockets.orderedBefore(cn, t, horizon, kinds) {
		if time.Since(now) >= orderWaitMax {
			return
		}
		time.Sleep(10 * time.Microsecond)
	}
}

// requestName is the name of the first command in p, the start of a
// request as RESP ("*3\r\n$5\r\nBLPOP...") or inline text, as sent (in any
// case); nil if p does not hold all of it.
func requestName(p []byte) []byte {
	if len(p) == 0 {
		return nil
	}
	if p[0] != '*' {
		end := bytes.IndexAny(p, " \r\n")
		if end < 0 {
			return nil
		}
		return p[:end]
	}
	// *N\r\n$L\r\nNAME\r\n
	i := bytes.Index(p, []byte("\r\n$"))
	if i < 0 {
		return nil
	}
	p = p[i+3:]
	j := bytes.Index(p, []byte("\r\n"))
	if j < 0 {
		return nil
	}
	n, err := strconv.Atoi(string(p[:j]))
	if err != nil || n < 0 || n > len(p)-j-2 { // not j+2+n, which a huge n overflows
		return nil
	}
	return p[j+2 : j+2+n]
}

// requestKind is the orderKind of the first command in p (requestName),
// sent on a connection whose watching flag is watching: 0 when p does not
// hold its whole name. It allocates nothing for the names clients send:
// connections call it on what they read.
func requestKind(p []byte, watching bool) orderKind {
	name := requestName(p)
	if watching && bytes.EqualFold(name, []byte("exec")) {
		return orderKindOf("exec", true)
	}
	return lookupFold(orderedCommands, name)
}
