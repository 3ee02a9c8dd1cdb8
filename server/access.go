package server

import (
	"hash/maphash"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"moonstone/storage"
)

// Access times, for OBJECT IDLETIME: when each key was last used.
//
// Redis keeps a 24-bit clock in every object and sets it on each lookup.
// Moonstone's keys live on disk and a read writes nothing, so the times
// are kept in memory, for the keys used most recently only: a table in
// two generations per shard. Uses go into the current generation; when it
// is full (accessGenKeys keys or accessGenBytes bytes of key names), the
// previous one is dropped and the current one becomes the previous. The
// table therefore holds between one and two generations of the latest
// keys, whatever the size of the data set.
//
// A key found in neither generation was last used no later than the
// newest time of any generation dropped so far (the shard's floor; the
// process start before the first drop), since a later use would have put
// it in a generation still held. Its idle time is reported from the
// floor: never more than the truth, and exact for every key used since
// the table last turned over. After a restart every key is idle since
// the start.
//
// Keys are named by PHYSICAL database (storage.Tx.PhysicalDB), so SWAPDB
// takes the times along with the keys, as Redis's objects carry theirs.
//
// Which commands touch a key follows Redis's lookups (db.c, LOOKUP_NOTOUCH):
// every command touches its key arguments after it ran, except the ones
// in noTouchCommands; MOVE and COPY touch their destination too, and
// RESTORE sets the time its IDLETIME option asks for.

const (
	accessShards   = 8
	accessGenKeys  = 1 << 13 // per shard and generation: 64k keys in all
	accessGenBytes = 1 << 19 // of key names, per shard and generation: 4 MB in all
)

// noTouchCommands do not change the access time of their keys: Redis
// looks them up with LOOKUP_NOTOUCH (EXISTS, TYPE, TTL and its kin,
// OBJECT), not at all (MEMORY USAGE, WATCH, the script commands, whose
// own calls touch), or sets the time itself (RESTORE). DEL and UNLINK
// remove their keys, so remembering them would only take room.
var noTouchCommands = map[string]bool{
	"exists": true, "type": true, "ttl": true, "pttl": true,
	"expiretime": true, "pexpiretime": true,
	"object|encoding": true, "object|freq": true, "object|idletime": true, "object|refcount": true,
	"memory|usage": true, "watch": true, "restore": true, "restore-asking": true,
	"eval": true, "evalsha": true, "eval_ro": true, "evalsha_ro": true, "fcall": true, "fcall_ro": true,
	"del": true, "unlink": true,
}

// markTouching sets each command's touches flag.
func markTouching(cmds []*Command) {
	for _, cmd := range cmds {
		cmd.touches = cmd.Run != nil && cmd.hasKeys() && !noTouchCommands[cmd.Name]
	}
}

type accessTable struct {
	seed   maphash.Seed
	now    atomic.Uint32 // Unix seconds, refreshed every 100 ms (tick)
	shards [accessShards]accessShard

	// Under an LFU maxmemory-policy, uses also count in Redis's
	// logarithmic counter (configure).
	lfu          atomic.Bool
	logFactor    atomic.Int64 // lfu-log-factor
	decayMinutes atomic.Int64 // lfu-decay-time
}

type accessShard struct {
	mu        sync.Mutex
	cur, prev accessGen
	floor     uint32 // see "A key found in neither generation" above
}

// accessGen maps a key to an index into entries, so that touching a key
// already there stores a time without allocating its name again.
type accessGen struct {
	index   map[string]int32
	entries []accessEntry
	bytes   int
	max     uint32 // the newest time stored
}

// accessEntry is what Redis keeps in an object's lru field.
type accessEntry struct {
	at   uint32 // Unix seconds of the last use
	freq uint8  // the LFU counter as of at, counted under an LFU policy
}

// lfuInitVal is the counter of a new key (Redis's LFU_INIT_VAL), so that
// it is not the first evicted.
const lfuInitVal = 5

func newAccessTable(now time.Time) *accessTable {
	t := &accessTable{seed: maphash.MakeSeed()}
	t.tick(now)
	start := t.now.Load()
	for i := range t.shards {
		sh := &t.shards[i]
		sh.floor = start
		sh.cur = newAccessGen()
		sh.prev = newAccessGen()
	}
	t.logFactor.Store(10)
	t.decayMinutes.Store(1)
	return t
}

func newAccessGen() accessGen { return accessGen{index: make(map[string]int32)} }

// configure applies maxmemory-policy, lfu-log-factor and lfu-decay-time.
func (t *accessTable) configure(cfg *Config) {
	t.lfu.Store(strings.Contains(cfg.Get("maxmemory-policy"), "lfu"))
	f, _ := strconv.ParseInt(cfg.Get("lfu-log-factor"), 10, 64)
	d, _ := strconv.ParseInt(cfg.Get("lfu-decay-time"), 10, 64)
	t.logFactor.Store(f)
	t.decayMinutes.Store(d)
}

// tick refreshes the table's clock; like Redis's LRU clock, it moves in
// steps, so a use costs no clock read.
func (t *accessTable) tick(now time.Time) { t.now.Store(unixSeconds(now)) }

func unixSeconds(now time.Time) uint32 { return uint32(max(now.Unix(), 0)) }

// accessName is the table's key for key in physical database phys. buf,
// when large enough, keeps it off the heap.
func accessName(buf []byte, phys int, key []byte) []byte {
	return append(append(buf[:0], byte(phys)), key...)
}

func (t *accessTable) shard(name []byte) *accessShard {
	return &t.shards[maphash.Bytes(t.seed, name)%accessShards]
}

// entry returns name's entry in the current generation, adding it (from
// the previous generation if the key is there) when it is not; found is
// false for a key the table did not hold. Called with the shard locked.
func (sh *accessShard) entry(name []byte) (e *accessEntry, found bool) {
	g := &sh.cur
	if i, ok := g.index[string(name)]; ok {
		return &g.entries[i], true
	}
	var old accessEntry
	i, found := sh.prev.index[string(name)]
	if found {
		old = sh.prev.entries[i]
	}
	if len(g.entries) >= accessGenKeys || g.bytes+len(name) > accessGenBytes {
		sh.floor = max(sh.floor, sh.prev.max)
		sh.prev, sh.cur = sh.cur, newAccessGen()
		g = &sh.cur
	}
	g.index[string(name)] = int32(len(g.entries))
	g.entries = append(g.entries, old)
	g.bytes += len(name)
	return &g.entries[len(g.entries)-1], found
}

// touch records a use of key now: its time and, under an LFU policy,
// its counter (Redis's updateLFU; a key new to the table starts at
// lfuInitVal).
func (t *accessTable) touch(phys int, key []byte) {
	var buf [64]byte
	name := accessName(buf[:], phys, key)
	sh := t.shard(name)
	now := t.now.Load()
	sh.mu.Lock()
	e, found := sh.entry(name)
	if t.lfu.Load() {
		if found {
			e.freq = t.lfuIncr(t.lfuDecayed(*e, now))
		} else {
			e.freq = lfuInitVal
		}
	}
	e.at = now
	sh.cur.max = max(sh.cur.max, now)
	sh.mu.Unlock()
}

// set records that key was last used idle seconds ago, with LFU counter
// freq (RESTORE's IDLETIME and FREQ).
func (t *accessTable) set(phys int, key []byte, idle int64, freq uint8) {
	var buf [64]byte
	name := accessName(buf[:], phys, key)
	sh := t.shard(name)
	now := int64(t.now.Load())
	sh.mu.Lock()
	e, _ := sh.entry(name)
	e.at = uint32(now - min(max(idle, 0), now))
	e.freq = freq
	sh.cur.max = max(sh.cur.max, e.at)
	sh.mu.Unlock()
}

// lookup returns what the table knows of key: its entry, or the shard's
// floor as its time and a counter of 0.
func (t *accessTable) lookup(phys int, key []byte) accessEntry {
	var buf [64]byte
	name := accessName(buf[:], phys, key)
	sh := t.shard(name)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if i, ok := sh.cur.index[string(name)]; ok {
		return sh.cur.entries[i]
	}
	if i, ok := sh.prev.index[string(name)]; ok {
		return sh.prev.entries[i]
	}
	return accessEntry{at: sh.floor}
}

// idle returns how many seconds ago key was last used, as far as the
// table knows: exact if it holds the key, a lower bound if not.
func (t *accessTable) idle(phys int, key []byte) int64 {
	return max(int64(t.now.Load())-int64(t.lookup(phys, key).at), 0)
}

// freq is OBJECT FREQ: key's LFU counter, decayed to now.
func (t *accessTable) freq(phys int, key []byte) uint8 {
	return t.lfuDecayed(t.lookup(phys, key), t.now.Load())
}

// lfuDecayed is Redis's LFUDecrAndReturn: the counter less one for every
// lfu-decay-time minutes since the last use.
func (t *accessTable) lfuDecayed(e accessEntry, now uint32) uint8 {
	period := t.decayMinutes.Load()
	if period <= 0 || now <= e.at {
		return e.freq
	}
	n := int64(now-e.at) / 60 / period
	if n >= int64(e.freq) {
		return 0
	}
	return e.freq - uint8(n)
}

// lfuIncr is Redis's LFULogIncr: the counter grows by one with a
// probability that falls as it grows, so 255 stands for about a million
// uses at the default lfu-log-factor of 10.
func (t *accessTable) lfuIncr(counter uint8) uint8 {
	if counter == 255 {
		return 255
	}
	base := float64(max(int(counter)-lfuInitVal, 0))
	if rand.Float64() < 1/(base*float64(t.logFactor.Load())+1) {
		counter++
	}
	return counter
}

// touchKeys records the use of c's key arguments once c ran, if its
// command touches them.
func (s *Server) touchKeys(c *Call) {
	if !c.Cmd.touches || c.Tx == nil {
		return
	}
	cmd, args := c.Cmd, c.Args
	if cmd.Keys != nil {
		for _, i := range cmd.Keys(args) {
			s.touchKey(c, c.DB(), args[i])
		}
		return
	}
	last := cmd.LastKey
	if last < 0 {
		last += len(args)
	}
	for i := cmd.FirstKey; i <= last && i < len(args); i += max(cmd.Step, 1) {
		s.touchKey(c, c.DB(), args[i])
	}
}

// touchKey records a use of key in database db by c.
func (s *Server) touchKey(c *Call, db int, key []byte) {
	s.access.touch(c.Tx.PhysicalDB(db), key)
}

// idleTime is OBJECT IDLETIME's answer for key in database db, named as
// tx sees the databases.
func (s *Server) idleTime(tx *storage.Tx, db int, key []byte) int64 {
	return s.access.idle(tx.PhysicalDB(db), key)
}

// accessFreq is OBJECT FREQ's answer for key in database db.
func (s *Server) accessFreq(tx *storage.Tx, db int, key []byte) int64 {
	return int64(s.access.freq(tx.PhysicalDB(db), key))
}
