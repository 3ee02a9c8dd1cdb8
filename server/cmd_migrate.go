package server

import (
	"bufio"
	"errors"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"moonstone/codec"
)

// MIGRATE (Redis's cluster.c, migrateCommand) moves keys to another server:
// it dumps each key, sends RESTORE commands over a connection of its own,
// and deletes the keys the target took (unless COPY). It works between
// standalone servers, Moonstone or Redis, in either direction.
//
// As in Redis, the transfer happens inside the command: MIGRATE holds the
// write lock while it talks to the target, so no write changes a key
// between its dump and its deletion. Readers go on meanwhile (in Redis,
// every client waits). Each step (connect, each 64 KB written, each reply
// read) may take up to the timeout argument.

// migrateTimeoutDefault is the timeout when the argument is 0 or less
// (Redis's).
const migrateTimeoutDefault = 1000 * time.Millisecond

func cmdMigrate(c *Call) {
	copyKeys, replace := false, false
	var username, password []byte
	keys := c.Args[3:4]
	for i := 6; i < len(c.Args); i++ {
		more := len(c.Args) - 1 - i
		switch {
		case c.ArgIs(i, "copy"):
			copyKeys = true
		case c.ArgIs(i, "replace"):
			replace = true
		case c.ArgIs(i, "auth"):
			if more < 1 {
				c.Error(errSyntax)
				return
			}
			i++
			password = c.Args[i]
		case c.ArgIs(i, "auth2"):
			if more < 2 {
				c.Error(errSyntax)
				return
			}
			username, password = c.Args[i+1], c.Args[i+2]
			i += 2
		case c.ArgIs(i, "keys"):
			if len(c.Args[3]) != 0 {
				c.Error("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
				return
			}
			keys = c.Args[i+1:]
			i = len(c.Args)
		default:
			c.Error(errSyntax)
			return
		}
	}
	ms, ok := c.Int(5)
	if !ok {
		return
	}
	dbid, ok := c.Int(4)
	if !ok {
		return
	}
	// A timeout past what a Duration holds waits as long as one can.
	timeout := time.Duration(min(ms, math.MaxInt64/int64(time.Millisecond))) * time.Millisecond
	if ms <= 0 {
		timeout = migrateTimeoutDefault
	}

	// The keys that are here, with their payloads and remaining TTLs:
	// when none is, there is nothing to send (NOKEY, not an error: the
	// key often just expired).
	var found []migrateKey
	for _, k := range keys {
		o, err := c.Tx.DumpObject(c.DB(), k)
		if err != nil {
			c.Err(err)
			return
		}
		if o == nil {
			continue
		}
		at, err := c.Tx.ExpireAt(c.DB(), k)
		if err != nil {
			c.Err(err)
			return
		}
		ttl := int64(0)
		if at > 0 {
			ttl = max(at-c.Tx.Now(), 1)
		}
		found = append(found, migrateKey{key: k, ttl: ttl, payload: codec.EncodeDump(o)})
	}
	if len(found) == 0 {
		c.r.Status("NOKEY")
		return
	}

	req := migrateRequest{
		target: string(c.Args[1]) + ":" + string(c.Args[2]), host: string(c.Args[1]), port: string(c.Args[2]),
		username: username, password: password, db: dbid, timeout: timeout, replace: replace, keys: found,
	}
	res := c.Srv.migrate.send(&req)
	if !copyKeys {
		// The keys the target took leave this server, whatever it
		// answered for the others.
		for i, k := range found {
			if !res.taken[i] {
				continue
			}
			deleted, err := c.Tx.Del(c.DB(), k.key)
			if err != nil {
				c.Err(err)
				return
			}
			c.notifyIf(deleted, notifyGeneric, "del", k.key)
			// An error reply must not undo the deletions.
			c.keepWrites = true
		}
	}
	switch {
	case res.targetErr != "":
		c.Error("ERR Target instance replied with error: " + res.targetErr)
	case res.ioErr != "":
		c.Error(res.ioErr)
	default:
		c.r.Status("OK")
	}
}

// migrateKey is one key on its way: its name, remaining TTL in ms (0 for
// none) and DUMP payload.
type migrateKey struct {
	key     []byte
	ttl     int64
	payload []byte
}

// migrateRequest is what one MIGRATE sends.
type migrateRequest struct {
	target, host, port string // target is host:port, the cache's key
	username, password []byte // AUTH (or AUTH2) first when password is set
	db                 int64
	timeout            time.Duration
	replace            bool
	keys               []migrateKey
}

// migrateResult is how a transfer went: taken[i] says the target took
// keys[i]; targetErr is the first error it replied (without its '-'),
// ioErr the error reply for a connection that failed.
type migrateResult struct {
	taken     []bool
	targetErr string
	ioErr     string
}

// migrateSockets caches MIGRATE's connections by target, as Redis does:
// up to 64, each closed after 10 s unused (closeIdle), and remembering
// which database it selected last so that the next MIGRATE to the same
// database sends no SELECT.
type migrateSockets struct {
	mu    sync.Mutex
	conns map[string]*migrateConn
	inUse int // connections taken out by a transfer under way
}

type migrateConn struct {
	nc       net.Conn
	rd       *bufio.Reader
	lastDB   int64 // -1: unknown, send SELECT
	lastUsed time.Time
}

const (
	migrateCacheMax = 64
	migrateCacheTTL = 10 * time.Second
	migrateChunk    = 64 << 10
	// migrateLineMax bounds a reply line, as Redis's 1 KB buffer does.
	migrateLineMax = 1023
)

// cached is INFO's migrate_cached_sockets.
func (m *migrateSockets) cached() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.conns) + m.inUse
}

// take returns the cached connection to target, or a new one.
func (m *migrateSockets) take(req *migrateRequest) (*migrateConn, error) {
	m.mu.Lock()
	if mc := m.conns[req.target]; mc != nil {
		delete(m.conns, req.target)
		m.inUse++
		m.mu.Unlock()
		return mc, nil
	}
	if len(m.conns)+m.inUse >= migrateCacheMax {
		for t, mc := range m.conns { // map order: a random one
			mc.nc.Close()
			delete(m.conns, t)
			break
		}
	}
	m.mu.Unlock()
	nc, err := net.DialTimeout("tcp", net.JoinHostPort(req.host, req.port), req.timeout)
	if err != nil {
		return nil, err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	m.mu.Lock()
	m.inUse++
	m.mu.Unlock()
	return &migrateConn{nc: nc, rd: bufio.NewReader(nc), lastDB: -1}, nil
}

// put gives a connection back to the cache, or closes it (keep false).
func (m *migrateSockets) put(target string, mc *migrateConn, keep bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inUse--
	if !keep {
		mc.nc.Close()
		return
	}
	mc.lastUsed = time.Now()
	if old := m.conns[target]; old != nil {
		old.nc.Close()
	}
	if m.conns == nil {
		m.conns = make(map[string]*migrateConn)
	}
	m.conns[target] = mc
}

// closeIdle closes the connections unused for longer than the cache's TTL.
func (m *migrateSockets) closeIdle(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for t, mc := range m.conns {
		if now.Sub(mc.lastUsed) > migrateCacheTTL {
			mc.nc.Close()
			delete(m.conns, t)
		}
	}
}

// closeAll closes every cached connection (shutdown).
func (m *migrateSockets) closeAll() {
	m.closeIdle(time.Now().Add(24 * time.Hour))
}

// send carries req out. A connection that fails before the target has
// answered anything is tried once more on a fresh one, unless it timed
// out, as Redis does: a cached connection the target has since closed is
// the common case.
func (m *migrateSockets) send(req *migrateRequest) migrateResult {
	for attempt := 0; ; attempt++ {
		mc, err := m.take(req)
		if errors.Is(err, syscall.ECONNREFUSED) {
			// Redis's non-blocking connect takes a refused connection
			// for one that is ready to write, and fails the write.
			if attempt == 0 {
				continue
			}
			return migrateResult{taken: make([]bool, len(req.keys)), ioErr: "IOERR error or timeout writing to target instance"}
		}
		if err != nil {
			return migrateResult{taken: make([]bool, len(req.keys)), ioErr: "IOERR error or timeout connecting to the client"}
		}
		res, broken, retry := mc.transfer(req)
		m.put(req.target, mc, !broken)
		if !retry || attempt > 0 {
			return res
		}
	}
}

// transfer writes req's commands and reads the replies. broken says the
// connection failed; retry that it failed before any reply told anything.
func (mc *migrateConn) transfer(req *migrateRequest) (res migrateResult, broken, retry bool) {
	res.taken = make([]bool, len(req.keys))
	selectDB := mc.lastDB != req.db
	var b []byte
	if req.password != nil {
		if req.username != nil {
			b = appendCommand(b, []byte("AUTH"), req.username, req.password)
		} else {
			b = appendCommand(b, []byte("AUTH"), req.password)
		}
	}
	if selectDB {
		b = appendCommand(b, []byte("SELECT"), strconv.AppendInt(nil, req.db, 10))
	}
	for _, k := range req.keys {
		ttl := strconv.AppendInt(nil, k.ttl, 10)
		if req.replace {
			b = appendCommand(b, []byte("RESTORE"), k.key, ttl, k.payload, []byte("REPLACE"))
		} else {
			b = appendCommand(b, []byte("RESTORE"), k.key, ttl, k.payload)
		}
	}
	for len(b) > 0 {
		n := min(len(b), migrateChunk)
		mc.nc.SetWriteDeadline(time.Now().Add(req.timeout))
		if _, err := mc.nc.Write(b[:n]); err != nil {
			res.ioErr = "IOERR error or timeout writing to target instance"
			return res, true, !isTimeout(err)
		}
		b = b[n:]
	}
	readFailed := func(err error, first bool) (migrateResult, bool, bool) {
		res.ioErr = "IOERR error or timeout reading to target instance"
		return res, true, first && !isTimeout(err)
	}
	var authReply, selectReply string
	var err error
	if req.password != nil {
		if authReply, err = mc.readLine(req.timeout); err != nil {
			return readFailed(err, true)
		}
	}
	if selectDB {
		if selectReply, err = mc.readLine(req.timeout); err != nil {
			return readFailed(err, true)
		}
	}
	for i := range req.keys {
		reply, err := mc.readLine(req.timeout)
		if err != nil {
			if res.targetErr != "" {
				return res, true, false // the target's error is the reply
			}
			return readFailed(err, i == 0)
		}
		switch {
		case strings.HasPrefix(authReply, "-"), strings.HasPrefix(selectReply, "-"), strings.HasPrefix(reply, "-"):
			if res.targetErr == "" {
				mc.lastDB = -1 // what the target selected is no longer known
				switch {
				case strings.HasPrefix(authReply, "-"):
					res.targetErr = authReply[1:]
				case strings.HasPrefix(selectReply, "-"):
					res.targetErr = selectReply[1:]
				default:
					res.targetErr = reply[1:]
				}
			}
		default:
			res.taken[i] = true
		}
	}
	if res.targetErr == "" {
		mc.lastDB = req.db
	}
	return res, false, false
}

// readLine reads one reply line without its CRLF, cut at migrateLineMax.
func (mc *migrateConn) readLine(timeout time.Duration) (string, error) {
	mc.nc.SetReadDeadline(time.Now().Add(timeout))
	line, err := mc.rd.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// A line longer than the reader's buffer: keep its start (the
		// next reads reuse the buffer), skip the rest.
		head := string(line[:migrateLineMax])
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = mc.rd.ReadSlice('\n')
		}
		return head, err
	}
	if err != nil {
		return "", err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return string(line[:min(len(line), migrateLineMax)]), nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// appendCommand appends a RESP command line to b (with pub/sub's frame
// helpers: an array of bulk strings).
func appendCommand(b []byte, args ...[]byte) []byte {
	b = appendPushHeader(b, 2, len(args))
	for _, a := range args {
		b = appendBulk(b, a)
	}
	return b
}

// migrateKeys locates MIGRATE's keys as Redis's migrateGetKeys does: the
// key argument, or, when it is empty, the keys after KEYS.
func migrateKeys(args [][]byte) []int {
	for i := 6; i < len(args); i++ {
		switch strings.ToLower(string(args[i])) {
		case "keys":
			if len(args[3]) > 0 {
				// A syntax error MIGRATE itself reports: no keys.
				return nil
			}
			out := make([]int, 0, len(args)-i-1)
			for j := i + 1; j < len(args); j++ {
				out = append(out, j)
			}
			return out
		case "auth":
			i++
		case "auth2":
			i += 2
		}
	}
	return []int{3}
}
