package server

import (
	"errors"
	"math"
	"math/big"
	"net"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"moonstone/codec"
	"moonstone/storage"
)

// Blocking commands: the machinery behind BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
// BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP (cmd_blocking.go) and XREAD /
// XREADGROUP BLOCK, and CLIENT UNBLOCK. WAIT (cmd_replication.go) blocks on
// no key at all, until its timeout: BlockForTimeout.
//
// # How a blocking command uses it
//
// A blocking command is flagged "write blocking" in the command table, so
// it runs in a write transaction. Its handler:
//
//  1. parses its arguments, the timeout with c.BlockTimeout(i) (seconds)
//     or c.BlockTimeoutMillis(i);
//  2. tries the non-blocking form on c.Tx; if that served the client, done;
//  3. if !c.CanBlock() (inside MULTI/EXEC or a script), replies as the
//     non-blocking form would with nothing to serve (usually NullArray);
//  4. otherwise calls c.Block(t, keys, timeout, serve) and writes nothing.
//
// Block registers a waiter on every key, under the write lock, so no write
// can fall between the failed try and the registration. When the handler
// returns, the transaction ends and the connection's goroutine parks
// (dispatch calls park): a blocked client costs its parked goroutine, a
// second one parked on its socket to notice it leaving, and with a
// timeout one timer; nothing polls.
//
// serve is called later, by whichever client's write made one of the keys
// ready, inside THAT client's transaction, before it commits and still under
// the write lock. It gets a Call whose Tx is that transaction, whose Conn
// and Reply are the blocked client's, and whose Args are the blocked
// command's, plus the key that became ready. serve usually closes over
// the arguments the handler parsed (they must not change afterwards: it
// runs on another goroutine). It must either
//   - do the command's work on that key and write the blocked client's
//     whole reply (an error reply included, e.g. BLMOVE's WRONGTYPE
//     destination), and return true: the client is unblocked; or
//   - change nothing and return false: the client stays blocked (the key
//     was emptied again, or holds nothing this client wants).
// serve must not block, and must not touch the network. Served clients'
// replies wait for the same commit (and fsync) as the write that served
// them, so the write and the pops it fed are one atomic batch, and no
// other client can take an element in between: Redis's semantics of
// serving blocked clients at the end of the command that pushed.
//
// # Readiness
//
// A key is ready when a write transaction writes or deletes its metadata
// (storage/ready.go): every push, ZADD, XADD, RENAME, DEL, SET, FLUSHDB.
// Nothing else declares readiness, so a new blockable type needs no change
// here or in storage. t in Block says which type the client waits for: a
// waiter is offered a ready key only if the key holds that type when the
// write unit ends (Redis 7.0 leaves a BLPOP blocked on a key that became a
// sorted set; BlockOrGone asks to hear about that instead). Waiters of one
// key are served in the order their requests arrived; for lists and
// sorted sets (consuming pops) the first waiter that cannot be served ends
// the round for that key, for other types every waiter is offered it.
// Writes done by serve (a BLMOVE's push) make further keys ready, which
// are served in the same round, until no key is ready.
//
// The serve step runs in commitWrite, which every write unit commits
// through: a write command (exec.go run), EXEC, and a script (scriptHost
// Finish, so EVAL, EVALSHA and FCALL).
//
// # Leaving
//
// A waiter leaves the registry exactly once, under blockRegistry.mu, by
// whichever comes first: being served, its timeout (reply: null array),
// CLIENT UNBLOCK (null array, or the UNBLOCKED error), its connection
// closing or being killed, or the server shutting down.

// ServeFunc serves a blocked client once key became ready; see above.
type ServeFunc func(c *Call, key []byte) bool

// GoneFunc writes the reply of a blocked client whose key no longer holds
// the type it waits for; see BlockOrGone.
type GoneFunc func(c *Call, key []byte)

// errUnblocked is the reply to CLIENT UNBLOCK ... ERROR.
const errUnblocked = "UNBLOCKED client unblocked via CLIENT UNBLOCK"

type blockState int

const (
	blockWaiting blockState = iota
	blockServed
	blockTimedOut
	blockUnblocked // CLIENT UNBLOCK id [TIMEOUT]
	blockUnblockedError
	blockGone // the connection closed, or the server is shutting down
)

// waiter is one blocked client.
type waiter struct {
	conn    *Conn
	arrived time.Time // when the blocking request was read
	cmd     *Command
	args    [][]byte
	db      int
	keys    []blockKey
	typ     codec.Type
	serve   ServeFunc
	gone    GoneFunc
	// timedOut, when set, writes the reply of a timeout (BlockForTimeout);
	// otherwise it is a null array.
	timedOut func(Reply)
	timeout  time.Duration // 0: forever
	took     time.Duration // the blocking call's own time, for the slowlog

	// prev are the replies buffered before the client blocked, sent by
	// park; the connection's writer then belongs to whoever serves.
	prev []byte

	// state is guarded by blockRegistry.mu. wake is closed once the state
	// left blockWaiting and, for a served client, pending is set.
	state   blockState
	wake    chan struct{}
	pending storage.Pending
}

type blockKey struct {
	db  int
	key string
}

// blockRegistry holds the blocked clients: per key in blocking order, and
// per connection.
type blockRegistry struct {
	mu     sync.Mutex
	byKey  map[blockKey][]*waiter
	byConn map[int64]*waiter
}

// CanBlock reports whether the command may block: only a client's own
// request can, not one inside MULTI/EXEC or a script, where Redis runs
// blocking commands as their non-blocking forms.
func (c *Call) CanBlock() bool { return c.canBlock && c.Tx != nil && c.Tx.Writable() }

// Block registers c's client as waiting for keys of type t to become
// ready, for at most timeout (0: forever). It must be called from the
// handler of a command that may block (CanBlock true), which then replies
// nothing: the reply comes from serve, or from the timeout.
func (c *Call) Block(t codec.Type, keys [][]byte, timeout time.Duration, serve ServeFunc) {
	c.BlockOrGone(t, keys, timeout, serve, nil)
}

// BlockOrGone is Block for a client that must also hear when a key it
// waits on stops holding type t: deleted, overwritten with another type
// or flushed, as seen when a write unit ends (Redis 7.0 unblocks
// XREADGROUP that way). gone then writes the client's whole reply, in the
// writer's transaction like serve, and the client is unblocked.
func (c *Call) BlockOrGone(t codec.Type, keys [][]byte, timeout time.Duration, serve ServeFunc, gone GoneFunc) {
	if !c.CanBlock() {
		panic("server: Block outside a blockable call")
	}
	w := c.newWaiter(timeout)
	w.typ, w.serve, w.gone = t, serve, gone
	for _, k := range keys {
		bk := blockKey{db: w.db, key: string(k)}
		dup := false
		for _, x := range w.keys {
			dup = dup || x == bk
		}
		if !dup {
			w.keys = append(w.keys, bk)
		}
	}
	c.register(w)
}

// BlockForTimeout blocks c's client on no key: only its timeout (0:
// forever), CLIENT UNBLOCK, its leaving or shutdown end the wait.
// timedOut writes the reply of a timeout, or of CLIENT UNBLOCK ... TIMEOUT
// (WAIT's count of replicas). It must be called from the handler of a
// client's own request (not inside MULTI or a script), which then replies
// nothing; the command needs no transaction.
func (c *Call) BlockForTimeout(timeout time.Duration, timedOut func(Reply)) {
	if !c.canBlock {
		panic("server: Block outside a blockable call")
	}
	w := c.newWaiter(timeout)
	w.timedOut = timedOut
	c.register(w)
}

func (c *Call) newWaiter(timeout time.Duration) *waiter {
	w := &waiter{
		conn: c.Conn, arrived: c.arrived, cmd: c.Cmd, db: c.Conn.db, timeout: timeout,
		wake: make(chan struct{}),
	}
	w.args = make([][]byte, len(c.Args))
	for i, a := range c.Args {
		w.args[i] = append([]byte(nil), a...)
	}
	return w
}

// register puts w in the registry, on its keys and its connection, and
// makes c's dispatch park the client.
func (c *Call) register(w *waiter) {
	cn := c.Conn
	// From now on a serving writer may write into the connection's reply
	// buffer; what is already there is sent by park.
	w.prev = cn.w.Take()
	b := &c.Srv.blocks
	b.mu.Lock()
	if b.byKey == nil {
		b.byKey = make(map[blockKey][]*waiter)
		b.byConn = make(map[int64]*waiter)
	}
	for _, k := range w.keys {
		// In the order the requests arrived, which is the order Redis's
		// one thread would have run them in: two clients whose requests
		// arrive together may take the write lock in either order.
		list := b.byKey[k]
		i := len(list)
		for i > 0 && list[i-1].arrived.After(w.arrived) {
			i--
		}
		b.byKey[k] = slices.Insert(list, i, w)
	}
	b.byConn[cn.id] = w
	b.mu.Unlock()
	if len(w.keys) > 0 {
		c.Srv.db.AddBlockInterest(1)
	}
	c.blocked = w
}

// removeLocked takes w out of the registry. b.mu must be held.
func (s *Server) removeWaiterLocked(w *waiter) {
	b := &s.blocks
	for _, k := range w.keys {
		list := b.byKey[k]
		for i, x := range list {
			if x == w {
				list = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(b.byKey, k)
		} else {
			b.byKey[k] = list
		}
	}
	if b.byConn[w.conn.id] == w {
		delete(b.byConn, w.conn.id)
	}
	if len(w.keys) > 0 {
		s.db.AddBlockInterest(-1)
	}
}

// cancel ends w's wait with state st unless it already ended; it reports
// whether it did.
func (s *Server) cancelWaiter(w *waiter, st blockState) bool {
	b := &s.blocks
	b.mu.Lock()
	defer b.mu.Unlock()
	if w.state != blockWaiting {
		return false
	}
	s.removeWaiterLocked(w)
	w.state = st
	close(w.wake)
	return true
}

// waiterOf returns the wait of the client with id, nil if it is not
// blocked.
func (s *Server) waiterOf(id int64) *waiter {
	s.blocks.mu.Lock()
	defer s.blocks.mu.Unlock()
	return s.blocks.byConn[id]
}

// blockedClients is INFO's blocked_clients: blocked clients and, as in
// Redis, clients held by CLIENT PAUSE (pause.go).
func (s *Server) blockedClients() int {
	s.blocks.mu.Lock()
	n := len(s.blocks.byConn)
	s.blocks.mu.Unlock()
	return n + s.heldCount()
}

// isBlocked reports whether the client with id is blocked or held by
// CLIENT PAUSE (CLIENT LIST's flag b).
func (s *Server) isBlocked(id int64) bool {
	return s.parked(id) || s.isHeld(id)
}

// commitWrite commits a write unit's transaction after serving the
// blocked clients whose keys it made ready, in the same transaction. It
// is the one way write units commit (run, EXEC, scripts).
func (s *Server) commitWrite(tx *storage.Tx, by *Conn) (storage.Pending, error) {
	served := s.serveReady(tx)
	s.trackWriteBy(tx, by)
	p, err := tx.Commit()
	if len(served) > 0 {
		shared := p.Shared()
		for _, w := range served {
			w.pending = shared
			close(w.wake)
		}
	}
	return p, err
}

// commitAndWait commits tx (commitWrite), logs a failed commit, and makes
// cn's next reply wait until the commit is durable: for writes that reply
// after committing, as EXEC does.
func (s *Server) commitAndWait(tx *storage.Tx, cn *Conn) {
	p, err := s.commitWrite(tx, cn)
	if err != nil {
		s.logf(levelWarning, "commit failed: %v", err)
	}
	cn.await(p)
}

// serveReady offers the keys tx made ready to their waiters, in blocking
// order, until no key is ready. It returns the waiters it served; they
// are out of the registry, and are woken once the transaction committed.
func (s *Server) serveReady(tx *storage.Tx) []*waiter {
	ready := tx.TakeReady()
	if len(ready) == 0 {
		return nil
	}
	b := &s.blocks
	b.mu.Lock()
	defer b.mu.Unlock()
	var served []*waiter
	for ; len(ready) > 0; ready = tx.TakeReady() {
		for _, k := range s.readyBlockKeysLocked(ready) {
			list := b.byKey[k]
			if len(list) == 0 {
				continue
			}
			key := []byte(k.key)
			// The type now, not when the key became ready: a MULTI may
			// have pushed, deleted and SET it since.
			t, err := tx.Type(k.db, key)
			if err != nil {
				continue
			}
			// A consuming pop that finds nothing means the next ones
			// would not either.
			exhausted := false
			consuming := t == codec.TypeList || t == codec.TypeZSet
			for _, w := range append([]*waiter(nil), list...) {
				switch {
				case w.state != blockWaiting:
					continue
				case w.typ == t && t != codec.TypeNone:
					if exhausted || !s.serveOne(tx, w, key, w.serve) {
						exhausted = exhausted || consuming
						continue
					}
				case w.gone != nil:
					s.serveOne(tx, w, key, func(c *Call, key []byte) bool { w.gone(c, key); return true })
				default:
					continue
				}
				s.removeWaiterLocked(w)
				w.state = blockServed
				served = append(served, w)
			}
		}
	}
	return served
}

// readyBlockKeysLocked turns ready keys into the registry keys they name
// that have waiters, a flushed database into every key of it that has
// waiters, in order and without repeats. b.mu must be held.
func (s *Server) readyBlockKeysLocked(ready []storage.ReadyKey) []blockKey {
	b := &s.blocks
	var out []blockKey
	seen := make(map[blockKey]bool)
	add := func(k blockKey) {
		if !seen[k] && len(b.byKey[k]) > 0 {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, rk := range ready {
		if !rk.Flushed {
			add(blockKey{db: rk.DB, key: string(rk.Key)})
			continue
		}
		var keys []blockKey
		for k := range b.byKey {
			if rk.DB < 0 || k.db == rk.DB {
				keys = append(keys, k)
			}
		}
		// Map order is random; serve a flush's keys in a stable order.
		slices.SortFunc(keys, func(x, y blockKey) int {
			if x.db != y.db {
				return x.db - y.db
			}
			return strings.Compare(x.key, y.key)
		})
		for _, k := range keys {
			add(k)
		}
	}
	return out
}

// serveOne runs serve (w's serve, or its gone) on key in tx. A panic is
// reported to the blocked client as an error and unblocks it.
func (s *Server) serveOne(tx *storage.Tx, w *waiter, key []byte, serve ServeFunc) (ok bool) {
	c := &Call{Args: w.args, Tx: tx, Conn: w.conn, Srv: s, Cmd: w.cmd, r: w.conn.reply}
	defer func() {
		if r := recover(); r != nil {
			s.logf(levelWarning, "panic serving blocked %s: %v\n%s", w.cmd.Name, r, debug.Stack())
			c.Error("ERR internal error in '" + w.cmd.Name + "' (logged)")
			ok = true
		}
		// The command was counted when it blocked; an error it ends with
		// (-NOGROUP, WRONGTYPE) makes it a failed call, as in Redis.
		if c.failed {
			w.cmd.stats.failed.Add(1)
		}
	}()
	ok = serve(c, key)
	s.touchKeys(c)
	return ok
}

// park holds a blocked client's goroutine until its wait ends, then leaves
// its reply in the connection's buffer. dispatch calls it once the
// blocking command's transaction ended.
func (s *Server) park(w *waiter) {
	cn := w.conn
	if len(w.prev) > 0 {
		cn.sendBeforeBlock(w.prev)
		w.prev = nil
	}
	// A client that leaves while blocked must leave the registry, or a
	// push would be served to nobody. Nothing else reads the socket now;
	// a watcher reads ahead, as Redis reads a blocked client's requests
	// into its query buffer, until the stream ends. Then the connection
	// closes without running the requests it had sent behind the
	// blocking one, as Redis frees such a client. (Past a full read
	// buffer, 16 KB of requests sent behind the block, it is not watched.)
	watched := make(chan struct{})
	ended := false // the end cancelled the wait; read after <-watched
	cn.nc.SetReadDeadline(time.Time{})
	go func() {
		defer close(watched)
		if err := cn.rd.awaitEnd(); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			ended = s.cancelWaiter(w, blockGone)
		}
	}()
	var expired <-chan time.Time
	if w.timeout > 0 {
		t := time.NewTimer(w.timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case <-w.wake:
	case <-expired:
		s.cancelWaiter(w, blockTimedOut)
	case <-s.done:
		s.cancelWaiter(w, blockGone)
	}
	<-w.wake
	// Stop the watcher: an expired deadline ends its read.
	cn.nc.SetReadDeadline(time.Now())
	<-watched
	cn.nc.SetReadDeadline(time.Time{})
	if ended {
		cn.closeAfterReply = true
	}
	switch w.state {
	case blockServed:
		s.slowlogTook(cn, w.cmd, w.args, w.took)
		s.recordLatency(w.cmd, w.took)
		cn.await(w.pending)
	case blockTimedOut, blockUnblocked:
		if w.timedOut != nil {
			w.timedOut(cn.reply)
		} else {
			cn.reply.NullArray()
		}
	case blockUnblockedError:
		cn.reply.Error(errUnblocked)
		s.countError(errUnblocked)
	}
	if w.state == blockUnblocked || w.state == blockUnblockedError {
		// As Redis 7.0's CLIENT UNBLOCK (updateStatsOnUnblock), either
		// way: a failed call, timed like a served one. (Redis also adds
		// a slow log entry, but without arguments, having reset them:
		// Moonstone adds none.)
		w.cmd.stats.failed.Add(1)
		s.recordLatency(w.cmd, w.took)
	}
}

// sendBeforeBlock sends the replies a client had buffered when it blocked,
// once what they depend on is durable, as flush does.
func (cn *Conn) sendBeforeBlock(buf []byte) {
	if cn.waitDurable() != nil {
		return
	}
	if _, err := cn.write(buf); err != nil && !isClosedErr(err) && !errors.Is(err, net.ErrClosed) {
		cn.srv.logf(levelVerbose, "write to %s: %v", cn.addr, err)
	}
}

// BlockTimeout parses argument i as a blocking timeout in seconds, as
// Redis 7.0's getTimeoutFromObjectOrReply: a long double, rounded up to
// whole milliseconds; 0 (or anything that rounds to 0, -0.0001 included)
// waits forever; a negative value, or one whose milliseconds do not fit
// in 64 bits (inf included), is "timeout is negative".
func (c *Call) BlockTimeout(i int) (time.Duration, bool) {
	f, ok := codec.ParseLongDouble(c.Args[i])
	if !ok {
		c.Error("ERR timeout is not a float or out of range")
		return 0, false
	}
	if f.IsInf() {
		c.Error(errTimeoutNegative)
		return 0, false
	}
	ms := new(big.Float).SetPrec(f.Prec()).Mul(f, big.NewFloat(1000))
	n, acc := ms.Int(nil)
	if acc == big.Below && ms.Sign() > 0 {
		n.Add(n, big.NewInt(1)) // ceil
	}
	if !n.IsInt64() || n.Sign() < 0 {
		// (long long) of an out-of-range value is LLONG_MIN on x86.
		c.Error(errTimeoutNegative)
		return 0, false
	}
	v := n.Int64()
	if v > math.MaxInt64/int64(time.Millisecond) {
		v = math.MaxInt64 / int64(time.Millisecond)
	}
	return time.Duration(v) * time.Millisecond, true
}

// BlockTimeoutMillis parses argument i as a blocking timeout in
// milliseconds (XREAD and XREADGROUP BLOCK), as Redis 7.0's
// getTimeoutFromObjectOrReply with UNIT_MILLISECONDS: an integer, 0
// waiting forever.
func (c *Call) BlockTimeoutMillis(i int) (time.Duration, bool) {
	n, ok := codec.ParseInt(c.Args[i])
	if !ok {
		c.Error("ERR timeout is not an integer or out of range")
		return 0, false
	}
	if n < 0 {
		c.Error(errTimeoutNegative)
		return 0, false
	}
	return time.Duration(min(n, math.MaxInt64/int64(time.Millisecond))) * time.Millisecond, true
}

func cmdClientUnblock(c *Call) {
	id, ok := c.Int(2)
	if !ok {
		return
	}
	st := blockUnblocked
	if len(c.Args) == 4 {
		switch c.Arg(3) {
		case "timeout":
		case "error":
			st = blockUnblockedError
		default:
			c.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	} else if len(c.Args) > 4 {
		c.Error("ERR unknown subcommand or wrong number of arguments for '" + string(c.Args[1]) + "'. Try CLIENT HELP.")
		return
	}
	s := c.Srv
	if w := s.waiterOf(id); w != nil && s.cancelWaiter(w, st) {
		// Redis counts the error it sends the blocked client as this
		// command's failure too.
		c.failed = st == blockUnblockedError
		c.r.Int(1)
		return
	}
	c.r.Int(0)
}
