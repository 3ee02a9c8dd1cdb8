package server

import (
	"sort"
	"strconv"
	"sync"
	"sync/atomic"

	"moonstone/storage"
)

// Client-side caching: the tracking table and invalidation messages, as
// Redis 7.0's tracking.c (CLIENT TRACKING and friends are in
// cmd_tracking.go).
//
// Default mode. The keys a tracking client reads with a command flagged
// readonly are remembered against its id in one table shared by every
// database (a key name, not a key of one database, as in Redis). A script
// that calls a read command remembers its caller's declared keys instead,
// and the *_RO script commands remember nothing of their own. When a
// committed write changes a remembered key, each client that remembered
// it gets one invalidation message and the key is forgotten. FLUSHDB,
// FLUSHALL (and SWAPDB) send every tracking client a null invalidation
// ("every key") and empty the table. Past tracking-table-max-keys keys,
// random keys are invalidated and forgotten until the table fits.
//
// BCAST mode. A client names key prefixes instead (the empty prefix
// matches every key) and gets, after each committed write transaction,
// one message per prefix listing the keys it changed under that prefix.
//
// Where changes come from. Storage logs the user keys every write
// transaction changes, as it writes them, and hands the log to
// trackCommitted after the commit, under the write lock (storage/
// changes.go): commands, scripts, EXEC, blocked clients served in the
// waking write's batch and the expiry sweeper alike, and never a discarded
// transaction. The log is kept only while some client tracks.
//
// Ordering with reads. Reads run concurrently with commits, so a read by a
// tracking client remembers its keys twice: before its transaction begins
// (a commit after that point finds the key remembered and invalidates it)
// and again once it has read (an invalidation in between forgot the key,
// while the client may now hold the newer value). Reads inside a write
// transaction (EXEC, scripts that may write) run under the write lock: they
// are queued on the transaction with their position in its change log and
// applied at commit in that order, so MULTI / GET k / SET k / EXEC
// invalidates k and MULTI / SET k / GET k / EXEC leaves it remembered, as
// in Redis.
//
// Delivery. Messages go through the connection's push queue (pubsub.go's
// pushLoop): the pub/sub queue when the connection has one, else a queue
// of its own made on first use. The queue writes between replies, never
// inside one, and only once the change is durable. A client's own write
// runs while its connection holds its output, so an invalidation caused by
// it arrives after the command's reply, as Redis sends it (after the
// reply of a MULTI's EXEC, of a BLMOVE served later, ...). RESP3 clients
// get a push ("invalidate", keys); a client that redirects gets its
// messages on the target connection: a push if that one speaks RESP3, a
// message on __redis__:invalidate if it is subscribed to anything in RESP2,
// nothing otherwise; when the target is gone, a RESP3 tracking client gets
// a tracking-redir-broken push instead.
//
// Cost when no client tracks: an atomic load per read command, per commit
// and per command start (for queued messages, conn.go), and storage's one
// per record written.

// trackingMode is a connection's CLIENT TRACKING state, read and written by
// its own goroutine only (others read the copy in trackedClient).
type trackingMode struct {
	on, bcast, optin, optout, noloop bool
	redirect                         int64
	// caching is CLIENT CACHING yes (OPTIN) or no (OPTOUT), which holds for
	// the next command, or for a MULTI block up to its EXEC.
	caching bool
}

// trackingTable is the server's tracking state.
type trackingTable struct {
	// clients counts the connections with tracking on (INFO
	// tracking_clients); 0 means there is nothing to do anywhere.
	clients atomic.Int64
	maxKeys atomic.Int64 // tracking-table-max-keys, 0 for no limit

	mu       sync.Mutex
	byID     map[int64]*trackedClient
	keys     map[string]*idSet // default mode: key -> client ids
	items    int64             // ids over every key (tracking_total_items)
	prefixes map[string]*idSet // BCAST: prefix -> client ids
}

// trackedClient is one tracking connection, as other goroutines see it.
type trackedClient struct {
	cn       *Conn
	mode     trackingMode
	prefixes []string // BCAST prefixes, sorted
	broken   bool     // the redirect target is gone
}

// idSet is a set of client ids: a slice while small, a map past that.
type idSet struct {
	small []int64
	big   map[int64]struct{}
}

const idSetSmall = 8

func (s *idSet) len() int {
	if s.big != nil {
		return len(s.big)
	}
	return len(s.small)
}

func (s *idSet) add(id int64) bool {
	if s.big != nil {
		if _, ok := s.big[id]; ok {
			return false
		}
		s.big[id] = struct{}{}
		return true
	}
	for _, x := range s.small {
		if x == id {
			return false
		}
	}
	if len(s.small) < idSetSmall {
		s.small = append(s.small, id)
		return true
	}
	s.big = make(map[int64]struct{}, 2*idSetSmall)
	for _, x := range s.small {
		s.big[x] = struct{}{}
	}
	s.small = nil
	s.big[id] = struct{}{}
	return true
}

func (s *idSet) remove(id int64) bool {
	if s.big != nil {
		if _, ok := s.big[id]; !ok {
			return false
		}
		delete(s.big, id)
		return true
	}
	for i, x := range s.small {
		if x == id {
			s.small = append(s.small[:i], s.small[i+1:]...)
			return true
		}
	}
	return false
}

// ids returns the set's members, sorted (so messages go out in a
// deterministic order).
func (s *idSet) ids() []int64 {
	out := append([]int64(nil), s.small...)
	for id := range s.big {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// enableTracking turns tracking on for cn (CLIENT TRACKING on), or changes
// its options; the caller has validated them. prefixes are added to those
// a BCAST client has; BCAST with none adds the empty prefix, as in Redis.
// inWrite says the caller runs inside a write transaction (EXEC), which
// already excludes every other writer.
func (s *Server) enableTracking(cn *Conn, mode trackingMode, prefixes [][]byte, inWrite bool) {
	t := &s.tracking
	mode.on = true
	mode.caching = cn.tracking.caching
	cn.tracking = mode
	t.mu.Lock()
	tc := t.byID[cn.id]
	first := false
	if tc == nil {
		if t.byID == nil {
			t.byID = make(map[int64]*trackedClient)
		}
		tc = &trackedClient{cn: cn}
		t.byID[cn.id] = tc
		first = t.clients.Add(1) == 1
	}
	tc.mode, tc.broken = mode, false
	if mode.bcast {
		if len(prefixes) == 0 {
			t.addPrefixLocked(tc, "")
		}
		for _, p := range prefixes {
			t.addPrefixLocked(tc, string(p))
		}
	}
	if first {
		s.db.RecordChanges(s.trackCommitted)
	}
	t.mu.Unlock()
	if first && !inWrite {
		// A write that began before the log was on may have changed keys
		// without logging them: let it finish before the client reads.
		s.db.WriteBarrier()
	}
}

func (t *trackingTable) addPrefixLocked(tc *trackedClient, p string) {
	i := sort.SearchStrings(tc.prefixes, p)
	if i < len(tc.prefixes) && tc.prefixes[i] == p {
		return
	}
	tc.prefixes = append(tc.prefixes, "")
	copy(tc.prefixes[i+1:], tc.prefixes[i:])
	tc.prefixes[i] = p
	if t.prefixes == nil {
		t.prefixes = make(map[string]*idSet)
	}
	set := t.prefixes[p]
	if set == nil {
		set = &idSet{}
		t.prefixes[p] = set
	}
	set.add(tc.cn.id)
}

// disableTracking turns tracking off for cn (CLIENT TRACKING off, RESET,
// disconnect). The keys it read stay in the table, as in Redis, until they
// change or are evicted; should it turn tracking on again first, it is
// told about them. When the last tracking client leaves, the table is
// emptied and the change log stops.
func (s *Server) disableTracking(cn *Conn) {
	cn.tracking = trackingMode{}
	t := &s.tracking
	t.mu.Lock()
	defer t.mu.Unlock()
	tc := t.byID[cn.id]
	if tc == nil {
		return
	}
	for _, p := range tc.prefixes {
		if set := t.prefixes[p]; set != nil {
			set.remove(cn.id)
			if set.len() == 0 {
				delete(t.prefixes, p)
			}
		}
	}
	delete(t.byID, cn.id)
	if t.clients.Add(-1) == 0 {
		s.db.RecordChanges(nil)
		t.keys, t.items, t.prefixes = nil, 0, nil
	}
}

// trackingClosed ends cn's part in tracking when it disconnects.
func (s *Server) trackingClosed(cn *Conn) {
	cn.leaving.Store(true)
	if cn.tracking.on {
		s.disableTracking(cn)
	}
	if q := cn.trackq.Swap(closedPushQueue); q != nil && q != closedPushQueue {
		close(q.done)
		<-q.exited
	}
}

// trackingCommandDone runs after each of a tracking connection's commands:
// CLIENT CACHING's choice lasts for one command, or for a MULTI block up to
// and including its EXEC, and survives CLIENT commands.
func (cn *Conn) trackingCommandDone(args [][]byte) {
	if cn.tracking.caching && cn.multi == nil && !(len(args) > 0 && isWord(args[0], "client")) {
		cn.tracking.caching = false
	}
}

func isWord(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// setTrackingMaxKeys applies tracking-table-max-keys, evicting at once
// what no longer fits.
func (s *Server) setTrackingMaxKeys() {
	n, _ := strconv.ParseInt(s.cfg.Get("tracking-table-max-keys"), 10, 64)
	t := &s.tracking
	t.maxKeys.Store(n)
	t.mu.Lock()
	s.trackEvictLocked()
	t.mu.Unlock()
}

// trackEvictLocked invalidates random keys until the table fits
// tracking-table-max-keys (Redis: trackingLimitUsedSlots), telling their
// clients as if the keys had changed.
func (s *Server) trackEvictLocked() {
	t := &s.tracking
	max := t.maxKeys.Load()
	if max <= 0 || int64(len(t.keys)) <= max {
		return
	}
	for k := range t.keys { // Go's map order: a random pick
		s.invalidateKeyLocked(k, 0)
		if int64(len(t.keys)) <= max {
			return
		}
	}
}

// Reads.

// trackedRead is one command's key registration for its tracking client.
type trackedRead struct {
	id   int64
	keys [][]byte
	// script: the command is EVAL_RO, EVALSHA_RO or FCALL_RO (or a
	// script that may not write), whose keys are remembered only if the
	// script calls a read command (called); added are the keys the early
	// registration added, taken back otherwise.
	script bool
	called bool
	added  [][]byte
}

// isScriptCommand reports the commands whose keys are a script's declared
// keys, remembered when the script calls a read command.
func isScriptCommand(cmd *Command) bool {
	switch cmd.Name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		return true
	}
	return false
}

// trackedKeys returns the keys c's client should remember for c, or nil:
// the client tracks in default mode, OPTIN / OPTOUT and CLIENT CACHING
// allow it, and the command has keys (shard channels are not keys here).
func trackedKeys(c *Call) [][]byte {
	m := &c.Conn.tracking
	if !m.on || m.bcast || (m.optin && !m.caching) || (m.optout && m.caching) || c.Cmd.Is(flagPubSub) {
		return nil
	}
	var keys [][]byte
	for _, i := range c.Cmd.KeyPositions(c.Args) {
		if i > 0 && i < len(c.Args) {
			keys = append(keys, c.Args[i])
		}
	}
	return keys
}

// trackReadBegin registers the keys of c, a read on a snapshot, before
// its transaction begins. It returns nil when c's client does not track
// them; c.trackRead keeps the result for the script host and trackReadEnd.
func (s *Server) trackReadBegin(c *Call) *trackedRead {
	if s.tracking.clients.Load() == 0 {
		return nil // the common case, inlined
	}
	return s.trackReadRegister(c)
}

func (s *Server) trackReadRegister(c *Call) *trackedRead {
	keys := trackedKeys(c)
	if len(keys) == 0 {
		return nil
	}
	rd := &trackedRead{id: c.Conn.id, keys: keys, script: isScriptCommand(c.Cmd)}
	t := &s.tracking
	t.mu.Lock()
	rd.added = t.registerLocked(rd.id, keys, rd.script)
	t.mu.Unlock()
	c.trackRead = rd
	return rd
}

// trackReadEnd registers rd's keys again now that the read is done (an
// invalidation since trackReadBegin forgot them), or, for a script that
// called no read command, takes back what trackReadBegin added.
func (s *Server) trackReadEnd(rd *trackedRead) {
	if rd != nil {
		s.trackReadDone(rd)
	}
}

func (s *Server) trackReadDone(rd *trackedRead) {
	t := &s.tracking
	t.mu.Lock()
	defer t.mu.Unlock()
	if rd.script && !rd.called {
		for _, k := range rd.added {
			if set := t.keys[string(k)]; set != nil && set.remove(rd.id) {
				t.items--
				if set.len() == 0 {
					delete(t.keys, string(k))
				}
			}
		}
		return
	}
	t.registerLocked(rd.id, rd.keys, false)
	s.trackEvictLocked()
}

// registerLocked remembers keys for client id; with wantAdded it returns
// the keys that were not remembered for it yet.
func (t *trackingTable) registerLocked(id int64, keys [][]byte, wantAdded bool) [][]byte {
	if t.keys == nil {
		t.keys = make(map[string]*idSet)
	}
	var added [][]byte
	for _, k := range keys {
		set := t.keys[string(k)]
		if set == nil {
			set = &idSet{}
			t.keys[string(k)] = set
		}
		if set.add(id) {
			t.items++
			if wantAdded {
				added = append(added, k)
			}
		}
	}
	return added
}

// trackingTx is what the server attaches to a write transaction while
// clients track (storage.Tx.SetOwner): whose work it is, for NOLOOP, and
// the reads made inside it, applied at commit in their place among its
// changes.
type trackingTx struct {
	origin int64
	regs   []trackingReg
}

type trackingReg struct {
	at   int // the transaction's change count when the read ran
	id   int64
	keys [][]byte
}

func trackingTxOf(tx *storage.Tx) *trackingTx {
	own, _ := tx.Owner().(*trackingTx)
	if own == nil {
		own = &trackingTx{}
		tx.SetOwner(own)
	}
	return own
}

// trackWriteBy records that tx is cn's work (a command, a script, EXEC, a
// pipelined group), just before it commits.
func (s *Server) trackWriteBy(tx *storage.Tx, cn *Conn) {
	if s.tracking.clients.Load() == 0 || cn == nil {
		return
	}
	trackingTxOf(tx).origin = cn.id
}

// trackQueuedRead registers the keys of c, a read run inside EXEC's write
// transaction, in its place among the transaction's changes.
func (s *Server) trackQueuedRead(c *Call) {
	if s.tracking.clients.Load() == 0 || !c.Cmd.Is(flagReadOnly) || isScriptCommand(c.Cmd) {
		return
	}
	if keys := trackedKeys(c); len(keys) > 0 {
		queueTrackingReg(c.Tx, c.Conn.id, keys)
	}
}

func queueTrackingReg(tx *storage.Tx, id int64, keys [][]byte) {
	own := trackingTxOf(tx)
	at := tx.ChangeCount()
	if n := len(own.regs); n > 0 && own.regs[n-1].at == at && own.regs[n-1].id == id && sameKeys(own.regs[n-1].keys, keys) {
		return // a script's second read: the same keys, no change in between
	}
	cp := make([][]byte, len(keys))
	for i, k := range keys {
		cp[i] = append([]byte(nil), k...)
	}
	own.regs = append(own.regs, trackingReg{at: at, id: id, keys: cp})
}

func sameKeys(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if string(a[i]) != string(b[i]) {
			return false
		}
	}
	return true
}

// trackScript returns the registration a script run by c makes when it
// calls a read command, or nil: the one trackReadBegin made for a script
// on a snapshot, or a new one for a script in a write transaction.
func (s *Server) trackScript(c *Call) *trackedRead {
	if c.trackRead != nil {
		return c.trackRead
	}
	if s.tracking.clients.Load() == 0 {
		return nil
	}
	keys := trackedKeys(c)
	if len(keys) == 0 {
		return nil
	}
	return &trackedRead{id: c.Conn.id, keys: keys, script: true}
}

// trackScriptRead runs when the script of host h calls a read command: in
// a write transaction its caller's declared keys are queued for the
// commit; on a snapshot, trackReadEnd will keep them.
func (s *Server) trackScriptRead(h *scriptHost) {
	rd := h.track
	if h.tx.Writable() {
		queueTrackingReg(h.tx, rd.id, rd.keys)
		return
	}
	rd.called = true
}

// Commits.

// trackCommitted is the storage commit hook: it applies a committed write
// transaction's reads and changes to the tracking table in order and sends
// the invalidations. It runs under the write lock, in commit order.
func (s *Server) trackCommitted(tx *storage.Tx, changes []storage.Change) {
	own, _ := tx.Owner().(*trackingTx)
	var origin int64
	var regs []trackingReg
	if own != nil {
		origin, regs = own.origin, own.regs
	}
	registered := len(regs) > 0
	t := &s.tracking
	t.mu.Lock()
	defer t.mu.Unlock()
	var bcast map[string]map[string]int64 // prefix -> key -> last writer
	for i, ch := range changes {
		for len(regs) > 0 && regs[0].at <= i {
			t.registerLocked(regs[0].id, regs[0].keys, false)
			regs = regs[1:]
		}
		if ch.Flush {
			s.trackFlushLocked()
			continue
		}
		if len(t.prefixes) > 0 {
			for p := range t.prefixes {
				if len(p) <= len(ch.Key) && string(ch.Key[:len(p)]) == p {
					if bcast == nil {
						bcast = make(map[string]map[string]int64)
					}
					if bcast[p] == nil {
						bcast[p] = make(map[string]int64)
					}
					bcast[p][string(ch.Key)] = origin
				}
			}
		}
		s.invalidateKeyLocked(string(ch.Key), origin)
	}
	for _, r := range regs {
		t.registerLocked(r.id, r.keys, false)
	}
	if registered {
		s.trackEvictLocked()
	}
	if bcast != nil {
		s.broadcastLocked(bcast)
	}
}

// invalidateKeyLocked tells every default-mode client that remembered key
// (except a NOLOOP client that changed it itself: origin) and forgets it.
func (s *Server) invalidateKeyLocked(key string, origin int64) {
	t := &s.tracking
	set := t.keys[key]
	if set == nil {
		return
	}
	delete(t.keys, key)
	t.items -= int64(set.len())
	var frame []byte
	for _, id := range set.ids() {
		tc := t.byID[id]
		if tc == nil || tc.mode.bcast || (tc.mode.noloop && id == origin) {
			continue
		}
		if frame == nil {
			frame = appendKeysArray(nil, []string{key})
		}
		s.sendInvalidation(tc, frame, false)
	}
}

// trackFlushLocked sends every tracking client a null invalidation (all
// keys) and empties the table: FLUSHDB, FLUSHALL, SWAPDB.
func (s *Server) trackFlushLocked() {
	t := &s.tracking
	ids := make([]int64, 0, len(t.byID))
	for id := range t.byID {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		s.sendInvalidation(t.byID[id], nil, true)
	}
	t.keys, t.items = nil, 0
}

// broadcastLocked sends each BCAST client one message per prefix it
// follows, with the keys the transaction changed under it (less, for a
// NOLOOP client, those it changed itself).
func (s *Server) broadcastLocked(bcast map[string]map[string]int64) {
	t := &s.tracking
	prefixes := make([]string, 0, len(bcast))
	for p := range bcast {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	for _, p := range prefixes {
		changed := bcast[p]
		keys := make([]string, 0, len(changed))
		for k := range changed {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var all []byte
		for _, id := range t.prefixes[p].ids() {
			tc := t.byID[id]
			if tc == nil {
				continue
			}
			if !tc.mode.noloop {
				if all == nil {
					all = appendKeysArray(nil, keys)
				}
				s.sendInvalidation(tc, all, false)
				continue
			}
			var mine []string
			for _, k := range keys {
				if changed[k] != id {
					mine = append(mine, k)
				}
			}
			if len(mine) > 0 {
				s.sendInvalidation(tc, appendKeysArray(nil, mine), false)
			}
		}
	}
}

// Messages.

// sendInvalidation sends tc an invalidation whose payload is keys (a RESP
// array) or, with null, a null: on its own connection in RESP3, or on the
// connection it redirects to (Redis: sendTrackingMessage).
func (s *Server) sendInvalidation(tc *trackedClient, keys []byte, null bool) {
	dest := tc.cn
	redirected := false
	if r := tc.mode.redirect; r != 0 {
		if dest = s.liveConn(r); dest == nil {
			tc.broken = true
			if tc.cn.protocol() == 3 {
				b := appendPushHeader(nil, 3, 2)
				b = appendBulkString(b, "tracking-redir-broken")
				b = append(b, ':')
				b = strconv.AppendInt(b, r, 10)
				b = append(b, '\r', '\n')
				s.pushFrame(tc.cn, b)
			}
			return
		}
		redirected = true
	}
	resp := dest.protocol()
	ps, subscribed := dest.pushState()
	var b []byte
	switch {
	case resp == 3:
		b = appendPushHeader(nil, 3, 2)
		b = appendBulkString(b, "invalidate")
	case redirected && subscribed:
		b = appendPushHeader(nil, 2, 3)
		b = appendBulkString(b, "message")
		b = appendBulkString(b, "__redis__:invalidate")
	default:
		return // RESP2 without a subscribed redirect: nowhere to say it
	}
	switch {
	case !null:
		b = append(b, keys...)
	case resp == 3 && tc.cn.protocol() == 3:
		b = append(b, resp3Null...)
	default:
		b = append(b, "$-1\r\n"...) // RESP2's null (bulk)
	}
	s.pushOn(dest, ps, subscribed, b)
}

// appendKeysArray appends keys as a RESP array of bulk strings.
func appendKeysArray(b []byte, keys []string) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(keys)), 10)
	b = append(b, '\r', '\n')
	for _, k := range keys {
		b = appendBulkString(b, k)
	}
	return b
}

// liveConn is the connected client with id, or nil (also for one that is
// leaving: it answered QUIT or is closing).
func (s *Server) liveConn(id int64) *Conn {
	s.connMu.Lock()
	cn := s.conns[id]
	s.connMu.Unlock()
	if cn == nil || cn.leaving.Load() {
		return nil
	}
	return cn
}

// protocol is cn's RESP version, from any goroutine.
func (cn *Conn) protocol() int {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.resp
}

// pushState returns cn's pub/sub queue (nil if it never subscribed) and
// whether it is subscribed to anything now (Redis's CLIENT_PUBSUB).
func (cn *Conn) pushState() (*connPubSub, bool) {
	reg := &cn.srv.pubsub
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	if cn.ps == nil {
		return nil, false
	}
	return cn.ps, cn.ps.channels.len()+cn.ps.patterns.len()+cn.ps.shard.len() > 0
}

// pushFrame queues the frame b for cn.
func (s *Server) pushFrame(cn *Conn, b []byte) {
	ps, subscribed := cn.pushState()
	s.pushOn(cn, ps, subscribed, b)
}

// pushOn queues the frame b on cn's pub/sub queue ps when it has one (so
// its messages and invalidations keep their order), else on a queue of
// its own, made on first use. The queue's limits are those of the
// client's class in client-output-buffer-limit: pubsub for a subscribed
// connection, normal otherwise.
func (s *Server) pushOn(cn *Conn, ps *connPubSub, subscribed bool, b []byte) {
	limits := &s.monitors.limits // the normal class
	if subscribed {
		limits = &s.pubsub.limits
	}
	if ps == nil {
		ps = cn.trackQueue()
	}
	ps.push(cn, pushMsg{kind: pushRaw, payload: b}, limits)
}

// closedPushQueue stands for the queue of a closed connection: pushes to
// it are dropped.
var closedPushQueue = &connPubSub{dead: true}

// trackQueue returns cn's tracking push queue, starting its writer on
// first use. Any goroutine may call it.
func (cn *Conn) trackQueue() *connPubSub {
	if q := cn.trackq.Load(); q != nil {
		return q
	}
	q := &connPubSub{
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	if !cn.trackq.CompareAndSwap(nil, q) {
		return cn.trackq.Load()
	}
	go cn.pushLoop(q)
	return q
}

// Observers.

// trackingInfo returns INFO's tracking_total_keys, tracking_total_items
// and tracking_total_prefixes.
func (s *Server) trackingInfo() (keys, items, prefixes int) {
	t := &s.tracking
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.keys), int(t.items), len(t.prefixes)
}

// trackingListFields returns cn's CLIENT LIST flags for tracking (t, R, B)
// and its redir field.
func (s *Server) trackingListFields(cn *Conn) (flags string, redir int64) {
	t := &s.tracking
	if t.clients.Load() == 0 {
		return "", -1
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	tc := t.byID[cn.id]
	if tc == nil {
		return "", -1
	}
	flags = "t"
	if tc.broken {
		flags += "R"
	}
	if tc.mode.bcast {
		flags += "B"
	}
	return flags, tc.mode.redirect
}

// trackingState returns, for CLIENT TRACKINGINFO, whether cn's redirect is
// broken and its BCAST prefixes.
func (s *Server) trackingState(cn *Conn) (broken bool, prefixes []string) {
	t := &s.tracking
	t.mu.Lock()
	defer t.mu.Unlock()
	if tc := t.byID[cn.id]; tc != nil {
		return tc.broken, append([]string(nil), tc.prefixes...)
	}
	return false, nil
}

// withTrackingFlags adds tracking's CLIENT LIST flags (t, R, B) to flags,
// which is "N" when the client has none.
func withTrackingFlags(flags, tracking string) string {
	if tracking == "" {
		return flags
	}
	if flags == "N" {
		return tracking
	}
	return flags + tracking
}
