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

// Access times, for OBJECT IDLETIME and OBJECT FREQ: when each key was
// last used, and Redis's LFU counter of its uses.
//
// Redis keeps a 24-bit clock in every object and sets it on each lookup.
// Moonstone's keys live on disk and a read writes nothing, so the times
// are kept in memory, for the keys used most recently only: a table in
// two generations per shard. Uses go into the current generation; when it
// is full (accessGenKeys keys), the previous one is dropped and the
// current one becomes the previous. The table therefore holds between one
// and two generations of the latest keys, whatever the size of the data
// set. A key is known by a 64-bit hash of its name, not by the name, so
// the table takes about 10 MB whatever the keys' length. The chance that
// two of the 256k keys it can hold share a hash is about 2 in a billion,
// and a collision would only give one key the other's time.
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
	accessShards  = 8
	accessGenKeys = 1 << 14 // per shard and generation: 128k keys in all
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

// accessGen holds the entries of one generation by key hash.
type accessGen struct {
	entries map[uint64]accessEntry
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

func newAccessGen() accessGen { return accessGen{entries: make(map[uint64]accessEntry)} }

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

// hash names key in physical database phys in the table.
func (t *accessTable) hash(phys int, key []byte) uint64 {
	return maphash.Bytes(t.seed, key) ^ uint64(phys+1)*0x9e3779b97f4a7c15
}

func (t *accessTable) shard(h uint64) *accessShard { return &t.shards[h%accessShards] }

// entry returns the entry of the key hashed h as the table holds it (from
// the current generation, else the previous one); found is false for a
// key the table does not hold. Called with the shard locked.
func (sh *accessShard) entry(h uint64) (e accessEntry, found bool) {
	if e, ok := sh.cur.entries[h]; ok {
		return e, true
	}
	e, found = sh.prev.entries[h]
	return e, found
}

// store puts e in the current generation, turning the generations over
// when it is full. Called with the shard locked.
func (sh *accessShard) store(h uint64, e accessEntry) {
	g := &sh.cur
	if _, ok := g.entries[h]; !ok && len(g.entries) >= accessGenKeys {
		sh.floor = max(sh.floor, sh.prev.max)
		sh.prev, sh.cur = sh.cur, newAccessGen()
		g = &sh.cur
	}
	g.entries[h] = e
	g.max = max(g.max, e.at)
}

// touch records a use of key now: its time and, under an LFU policy,
// its counter (Redis's updateLFU; a key new to the table starts at
// lfuInitVal).
func (t *accessTable) touch(phys int, key []byte) {
	h := t.hash(phys, key)
	sh := t.shard(h)
	now := t.now.Load()
	sh.mu.Lock()
	e, found := sh.entry(h)
	if t.lfu.Load() {
		if found {
			e.freq = t.lfuIncr(t.lfuDecayed(e, now))
		} else {
			e.freq = lfuInitVal
		}
	}
	e.at = now
	sh.store(h, e)
	sh.mu.Unlock()
}

// set records that key was last used idle seconds ago, with LFU counter
// freq (RESTORE's IDLETIME and FREQ).
func (t *accessTable) set(phys int, key []byte, idle int64, freq uint8) {
	h := t.hash(phys, key)
	sh := t.shard(h)
	now := int64(t.now.Load())
	sh.mu.Lock()
	sh.store(h, accessEntry{at: uint32(now - min(max(idle, 0), now)), freq: freq})
	sh.mu.Unlock()
}

// lookup returns what the table knows of key: its entry, or the shard's
// floor as its time and a counter of 0.
func (t *accessTable) lookup(phys int, key []byte) accessEntry {
	h := t.hash(phys, key)
	sh := t.shard(h)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e, ok := sh.entry(h); ok {
		return e
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
