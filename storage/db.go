package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"

	"moonstone/codec"
)

// FormatVersion is the newest on-disk format this build reads and writes.
// Format 2 is format 1 plus the database map that SWAPDB records
// (dbmap.go); format 3 adds hashes whose values carry an insertion
// sequence (hash.go); format 4 adds sorted sets kept inside their
// metadata record (zset_inline.go); format 5 adds hashes kept inside
// their metadata record (hash_inline.go); format 6 adds strings whose
// type byte carries their OBJECT ENCODING (codec.StringEncoding); format 7
// adds metadata records whose expiry-index entry is earlier than their
// expiry (codec.Meta.IndexedAt); format 8 adds lists kept inside their
// metadata record (list_inline.go). A new directory is stamped 1
// (firstFormat); the batch that first needs a later format stamps it (its
// first SWAPDB 2, its first new sorted set 4, its first new hash 5, where
// builds before inline hashes stamped 3; its first APPEND, SETRANGE, bit
// or PF* write 6; its first expiry pushed later 7; its first new list 8;
// never lower), so a build that reads only older formats still opens
// directories that use none of the newer records and refuses the others
// rather than misread them (show databases unswapped, hash values with
// their sequence in front, inline sorted sets or hashes empty, raw strings
// as corrupt, keys whose expiry was pushed later as corrupt too, inline
// lists as missing their elements). A directory stamped with anything
// else is refused at open.
const FormatVersion = 8

// firstFormat is the format of a new directory, and the oldest one read.
const firstFormat = 1

// SyncPolicy says when commits reach the disk, as Redis's appendfsync.
type SyncPolicy int32

const (
	// SyncAlways: a write is acknowledged only after its WAL record is
	// fsynced; concurrent writers share fsyncs.
	SyncAlways SyncPolicy = iota
	// SyncEverySec: a write is acknowledged once its WAL record is written
	// to the file (it survives a crash of the process); the WAL is fsynced
	// once a second in the background (walfs.go).
	SyncEverySec
	// SyncNo: as SyncEverySec, but the WAL is fsynced only when the
	// operating system decides, when Pebble rotates it, and at shutdown.
	SyncNo
)

// ParseSyncPolicy parses an appendfsync value.
func ParseSyncPolicy(s string) (SyncPolicy, bool) {
	switch s {
	case "always":
		return SyncAlways, true
	case "everysec":
		return SyncEverySec, true
	case "no":
		return SyncNo, true
	}
	return 0, false
}

func (p SyncPolicy) String() string {
	return [...]string{"always", "everysec", "no"}[p]
}

// Options configure Open.
type Options struct {
	Dir          string
	CacheSize    int64 // bytes of Pebble block cache
	MemTableSize uint64
	// RowCacheSize is the memory for the latest values of records write
	// transactions read (rowcache.go); 0 means 32 MB, negative disables it.
	RowCacheSize int64
	// MemberCacheSize is the memory for the latest values of hash fields,
	// set members and sorted-set scores read (rowcache.go: a row cache of
	// its own, so that big collections read at random cannot push
	// metadata out); 0 means 32 MB, negative disables it.
	MemberCacheSize int64
	// KeyFilterSize bounds the memory of each of the two filters that
	// answer lookups of absent keys and members (keyfilter.go); 0 means
	// 16 MB, negative disables them.
	KeyFilterSize int64
	Sync          SyncPolicy
	// MaxStringSize bounds values built by APPEND, SETRANGE and SETBIT, as
	// Redis's proto-max-bulk-len does.
	MaxStringSize int64
	Logger        pebble.Logger
	// FS is the filesystem Pebble uses; nil means the real disk. Tests pass
	// Pebble's crash-simulating in-memory filesystem.
	FS vfs.FS
	// Fatal is called, once, when the store meets an error it cannot go on
	// from (see fault.go): Pebble's own fatal errors (a failed WAL write, a
	// failed MANIFEST write) and a failed WAL sync. It must not return: the
	// process is expected to exit and be restarted, which recovers the
	// directory from its WAL. nil prints the error to stderr and exits 1.
	Fatal func(error)
	// ValueSeparationMinSize is the size from which values go to Pebble's
	// blob files (value separation): a table then holds a reference, which
	// compactions copy instead of the value. Large strings, hash values and
	// list elements are written once more instead of once per level they
	// pass through. 0 turns it off; values already separated stay readable.
	ValueSeparationMinSize int
	// Latency, when set, is told how long the store's own stalls took, for
	// the server's latency monitor: "aof-fsync-always" for each WAL fsync
	// a commit under the always policy waits for (Redis's name for the same
	// stall of its AOF), and "expire-cycle" for the longest time an active
	// expiry pass held the write lock. It must be cheap and must not block.
	Latency func(event string, d time.Duration)
}

// DB is an open Moonstone data directory.
type DB struct {
	pdb  *pebble.DB
	opts Options

	// writeMu is the single write lock: one write transaction at a time.
	writeMu sync.Mutex

	policy    atomic.Int32
	maxString atomic.Int64
	// hashEntries and hashValue are hash-max-listpack-entries and
	// hash-max-listpack-value: past them a hash stops keeping insertion
	// order, as Redis's converts from listpack to hashtable (hash.go).
	hashEntries atomic.Int64
	hashValue   atomic.Int64
	// zsetEntries and zsetValue are zset-max-listpack-entries and -value
	// (zset_inline.go).
	zsetEntries atomic.Int64
	zsetValue   atomic.Int64
	// setEntries is set-max-intset-entries (set.go).
	setEntries atomic.Int64
	// format is the directory's committed format stamp (checkFormat,
	// stampFormat).
	format atomic.Int64
	// Commits are numbered: pendingSeq counts those begun applying,
	// appliedSeq the last applied (both under the write lock). The syncer
	// (groupsync.go) marks writtenSeq once every batch up to it is in the
	// WAL file, syncedSeq once it is fsynced.
	pendingSeq atomic.Uint64
	appliedSeq atomic.Uint64
	writtenSeq atomic.Uint64
	syncedSeq  atomic.Uint64
	syncer     *syncer

	// versionNext and versionLimit allocate collection versions; the limit
	// is persisted (and fsynced) before any version at or above the old
	// limit is handed out, so versions are never reused after a restart.
	versionNext  uint64
	versionLimit uint64

	counts countTable
	// dbs maps logical databases to physical ones (dbmap.go). It changes
	// only in a commit, under commitMu, with dbsGen odd meanwhile.
	dbs    atomic.Pointer[dbMap]
	dbsGen atomic.Uint64
	// rows caches committed metadata records (rowcache.go). commitMu is
	// held exclusively while a commit applies its batch and updates rows,
	// and shared by point reads (BeginPointRead), which read Pebble and
	// rows without a snapshot.
	rows *rowCache
	// members caches committed member records (hash fields, set members,
	// sorted-set scores) the same way, under the same rules.
	members  *rowCache
	filters  filterSet // which keys and members are certainly absent
	commitMu sync.RWMutex
	// fences caches big sorted sets' rank-index fences for write
	// transactions, under writeMu (zset_fencecache.go).
	fences fenceCache
	// models caches the key models random sampling learns (sample.go).
	models modelCache
	// watch tracks WATCHed keys (watch.go).
	watch watchTable
	// blocked counts blocked clients, for ready-key tracking (ready.go).
	blocked blockInterest
	// expiryHeld stops the sweeper (HoldExpiry); activeExpiryOff too,
	// independently (SetActiveExpiry).
	expiryHeld      atomic.Bool
	activeExpiryOff atomic.Bool
	// sweeps is where the sweeper's passes stand in each expiry index
	// (expire.go).
	sweeps sweepCursors
	// lazyExpired queues expired keys that reads met while a write held
	// the lock (lazyexpire.go).
	lazyExpired chan []expiredKey
	// changes is the change log's hook, for client-side caching
	// (changes.go).
	changes changeLog

	stats Stats
	// keyHook reports expired and created keys (keyhook.go).
	keyHook atomic.Pointer[keyHook]
	fatal   *fatalState
	wal     *walFiles

	closeOnce sync.Once
	stop      chan struct{}
	bg        sync.WaitGroup
}

// Stats are counters exposed through INFO.
type Stats struct {
	ExpiredKeys   atomic.Int64
	Commits       atomic.Int64
	SyncWaits     atomic.Int64
	ReadBarriers  atomic.Int64
	LastSyncError atomic.Value // string
}

var (
	formatKey  = codec.SystemKey("format")
	versionKey = codec.SystemKey("version")
)

const versionBlock = 1 << 20

// Open opens (creating if needed) the data directory opts.Dir.
func Open(opts Options) (*DB, error) {
	if opts.CacheSize <= 0 {
		opts.CacheSize = 256 << 20
	}
	if opts.MemTableSize == 0 {
		opts.MemTableSize = 8 << 20
	}
	if opts.RowCacheSize == 0 {
		opts.RowCacheSize = 32 << 20
	}
	if opts.RowCacheSize < 0 {
		opts.RowCacheSize = 0
	}
	if opts.MemberCacheSize == 0 {
		opts.MemberCacheSize = 32 << 20
	}
	if opts.MemberCacheSize < 0 {
		opts.MemberCacheSize = 0
	}
	if opts.KeyFilterSize == 0 {
		opts.KeyFilterSize = 16 << 20
	}
	if opts.KeyFilterSize < 0 {
		opts.KeyFilterSize = 0
	}
	if opts.MaxStringSize <= 0 {
		opts.MaxStringSize = 512 << 20
	}
	cache := pebble.NewCache(opts.CacheSize)
	defer cache.Unref()
	popts := &pebble.Options{
		FormatMajorVersion:    pebble.FormatNewest,
		Cache:                 cache,
		MemTableSize:          opts.MemTableSize,
		L0CompactionThreshold: 4,
		// Writes stall while this many memtables wait for their flush.
		// With Pebble's default of two, a stream of large values (50
		// clients' SETs of 64 KB, a memtable every 128 of them) stalled 70
		// times per 10k SETs; with four, 25 times, and 6-12% more SETs went
		// through a second, for at most two more memtables of memory.
		MemTableStopWritesThreshold: 4,
		BytesPerSync:                1 << 20,
		WALBytesPerSync:             0,
	}
	// Bloom filters on every level's tables: a lookup of a key that is
	// not there (SET or a script's first touch of a new key, GET of a
	// missing one) skips each table by its filter instead of searching
	// its index and a data block. Tables written without one still read.
	for i := range popts.Levels {
		popts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	if n := opts.ValueSeparationMinSize; n > 0 {
		// Blob files with more than a fifth of their values dead are
		// rewritten once five minutes old, so overwritten large values do
		// not hold their space for long.
		popts.Experimental.ValueSeparationPolicy = func() pebble.ValueSeparationPolicy {
			return pebble.ValueSeparationPolicy{Enabled: true, MinimumSize: n, MaxBlobReferenceDepth: 10,
				RewriteMinimumAge: 5 * time.Minute, TargetGarbageRatio: 0.2}
		}
	}
	fs := opts.FS
	if fs == nil {
		fs = vfs.Default
	}
	wal := &walFiles{latency: opts.Latency, fillSize: int64(opts.MemTableSize), osFiles: opts.FS == nil}
	wal.setPolicy(opts.Sync)
	popts.FS = walFS{fs, wal}
	if opts.Fatal == nil {
		opts.Fatal = exitOnFatal
	}
	logger := opts.Logger
	if logger == nil {
		logger = pebble.DefaultLogger
	}
	fatal := &fatalState{handler: opts.Fatal}
	popts.Logger = fatalLogger{Logger: logger, fatal: fatal}
	popts.EventListener = fatal.listener(logger)
	gate := newCompactionGate()
	popts.Experimental.CompactionScheduler = gate
	pdb, err := pebble.Open(opts.Dir, popts)
	if err != nil {
		gate.Unregister()
		if lerr := lockedError(opts.Dir); lerr != nil {
			return nil, lerr
		}
		return nil, err
	}
	db := &DB{pdb: pdb, opts: opts, stop: make(chan struct{}), fatal: fatal, wal: wal, rows: newRowCache(opts.RowCacheSize), members: newRowCache(opts.MemberCacheSize), syncer: newSyncer()}
	db.policy.Store(int32(opts.Sync))
	db.maxString.Store(opts.MaxStringSize)
	db.SetHashLimits(512, 64) // Redis's defaults; the server sets its config
	db.SetZSetLimits(128, 64)
	db.SetSetLimits(512)
	if err := db.checkFormat(); err != nil {
		pdb.Close()
		return nil, err
	}
	if err := db.loadVersions(); err != nil {
		pdb.Close()
		return nil, err
	}
	if err := db.counts.load(pdb); err != nil {
		pdb.Close()
		return nil, err
	}
	dbs, err := loadDBMap(pdb)
	if err != nil {
		pdb.Close()
		return nil, fmt.Errorf("data directory %s: %w", opts.Dir, err)
	}
	db.dbs.Store(dbs)
	db.filters = newFilterSet(opts.KeyFilterSize)
	db.maintainKeyFilters()
	gate.opened()
	db.lazyExpired = make(chan []expiredKey, 256)
	db.bg.Add(3)
	go db.lazyExpiryLoop()
	go db.syncLoop()
	go db.syncer.loop(db)
	return db, nil
}

// stampFormat makes the transaction's batch stamp the directory with
// format f unless it (or this batch) has a later one already. The stamp
// counts once the batch commits; writes are serialized, so no other batch
// can stamp in between.
func (tx *Tx) stampFormat(f int64) error {
	if tx.db.format.Load() >= f || tx.stamped >= f {
		return nil
	}
	if err := tx.b.Set(formatKey, []byte(fmt.Sprint(f)), nil); err != nil {
		return err
	}
	if tx.stamped == 0 {
		tx.AfterCommit(func() { tx.db.format.Store(tx.stamped) })
	}
	tx.stamped = f
	return nil
}

// checkFormat stamps a new directory with firstFormat and refuses one
// stamped with a format this build does not read.
func (db *DB) checkFormat() error {
	v, closer, err := db.pdb.Get(formatKey)
	if errors.Is(err, pebble.ErrNotFound) {
		db.format.Store(firstFormat)
		return db.pdb.Set(formatKey, []byte(fmt.Sprint(firstFormat)), pebble.Sync)
	}
	if err != nil {
		return err
	}
	defer closer.Close()
	for f := firstFormat; f <= FormatVersion; f++ {
		if string(v) == fmt.Sprint(f) {
			db.format.Store(int64(f))
			return nil
		}
	}
	return fmt.Errorf("%w: data directory %s has format %q, this build reads formats %d to %d",
		ErrFormat, db.opts.Dir, v, firstFormat, FormatVersion)
}

func (db *DB) loadVersions() error {
	v, closer, err := db.pdb.Get(versionKey)
	switch {
	case errors.Is(err, pebble.ErrNotFound):
		db.versionNext = 1
	case err != nil:
		return err
	default:
		db.versionNext = binary.BigEndian.Uint64(v)
		closer.Close()
	}
	db.versionLimit = db.versionNext
	return nil
}

// allocVersion returns a collection version never used before in this data
// directory. Called with the write lock held.
func (db *DB) allocVersion() (uint64, error) {
	if db.versionNext >= db.versionLimit {
		limit := db.versionNext + versionBlock
		if err := db.pdb.Set(versionKey, binary.BigEndian.AppendUint64(nil, limit), pebble.Sync); err != nil {
			return 0, err
		}
		db.versionLimit = limit
	}
	v := db.versionNext
	db.versionNext++
	return v, nil
}

// Pebble returns the underlying Pebble database, for checkpoints, metrics
// and offline tools.
func (db *DB) Pebble() *pebble.DB { return db.pdb }

// Dir is the data directory.
func (db *DB) Dir() string { return db.opts.Dir }

// Stats returns the store's counters.
func (db *DB) Stats() *Stats { return &db.stats }

// SetSyncPolicy changes the durability policy for later commits.
func (db *DB) SetSyncPolicy(p SyncPolicy) {
	db.policy.Store(int32(p))
	db.wal.setPolicy(p)
}

// FsyncInPlace reports whether the WAL fsyncs that commits wait for keep
// their goroutine's P (walFiles.setPolicy).
func (db *DB) FsyncInPlace() bool { return db.wal.inPlace.Load() }

// SyncPolicy is the current durability policy.
func (db *DB) SyncPolicy() SyncPolicy { return SyncPolicy(db.policy.Load()) }

// SetMaxStringSize changes the bound on strings built by APPEND and friends.
func (db *DB) SetMaxStringSize(n int64) { db.maxString.Store(n) }

// SetHashLimits changes hash-max-listpack-entries and -value: the size past
// which a hash written from now on stops answering in insertion order.
func (db *DB) SetHashLimits(entries, value int64) {
	db.hashEntries.Store(entries)
	db.hashValue.Store(value)
}

// Close waits for background work, then closes Pebble. Callers must have
// finished every transaction.
func (db *DB) Close() error {
	var err error
	db.closeOnce.Do(func() {
		db.stopKeyFilters()
		close(db.stop)
		db.bg.Wait()
		db.writeMu.Lock()
		defer db.writeMu.Unlock()
		// A final sync so that "everysec" and "no" lose nothing on a clean
		// shutdown (closing the WAL would do it too: walfs.go).
		if e := db.syncLog(); e != nil {
			err = e
		}
		if e := db.wal.syncDeferred(); e != nil && err == nil {
			err = e
		}
		if err == nil {
			db.flushForRestart()
		}
		if e := db.pdb.Close(); e != nil && err == nil {
			err = e
		}
	})
	return err
}

// flushForRestart writes the memtables to sstables, so the next start has
// no WAL to replay: without it, a shutdown right after a burst of writes
// leaves up to a few memtables' worth of log (tens of MB) that the next
// Open replays and flushes, and a restart takes hundreds of milliseconds
// instead of tens. It is skipped on a store that has seen disk errors, and
// bounded in time: a flush that cannot finish must not keep the process
// from exiting, and the WAL holds the same data anyway.
func (db *DB) flushForRestart() {
	if db.fatal.raised.Load() || db.fatal.backgroundErrors.Load() > 0 {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.pdb.Flush()
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
	}
}

// syncLoop fsyncs the WAL once a second under the everysec policy.
func (db *DB) syncLoop() {
	defer db.bg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-db.stop:
			return
		case <-t.C:
			if db.SyncPolicy() != SyncEverySec {
				continue
			}
			// Every acknowledged commit has been written to its WAL file
			// (walfs.go); fsync them.
			if err := db.wal.syncDeferred(); err != nil {
				db.stats.LastSyncError.Store(err.Error())
				db.fatal.raise(fmt.Errorf("WAL sync failed: %w", err))
			}
		}
	}
}
