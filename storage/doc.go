// Package storage owns Moonstone's data on disk: opening Pebble, the
// transaction type every command runs against, the operations of each Redis
// data type, expiry, and durability.
//
// # Transactions
//
// A write transaction (BeginWrite) holds the store's single write lock and
// one indexed Pebble batch: its reads see the database plus its own writes,
// and nothing it writes is visible to anyone until Commit applies the batch
// atomically. Discard throws the batch away whole, which is how a script that
// raises an error leaves no trace. A read transaction (BeginRead) holds a
// Pebble snapshot and no lock, so reads run in parallel with each other and
// with the writer.
//
// # Lookups
//
// Write transactions and point reads look a key's metadata record up in
// memory before they ask Pebble: the row cache (rowcache.go, rowindex.go)
// holds the latest committed value of records looked up before, and the
// key filter (keyfilter.go) tells keys that are certainly not in the store.
// Every commit brings both up to date before Pebble applies its batch, and
// while commits are held off, so neither is ever behind what a reader can
// see.
//
// # Durability
//
// Commit applies the batch under the lock without a sync request and
// returns a Pending; the caller calls Wait(p) before it replies, outside
// the lock, and one goroutine syncs the WAL for every reply waiting, so
// writers share fsyncs (group commit: groupsync.go). Under the "always" policy a read may observe a
// batch that is visible but not yet synced; ReadBarrier and Wait make the
// reader's reply wait until such data is on disk, so no reply ever reveals
// data that a crash could still lose. Under "everysec" and "no" the same
// wait only covers the WAL write: the WAL layer (walfs.go) defers the fsync,
// so a crash of the process loses nothing and a power loss what was not yet
// fsynced. Errors the store cannot go on from end in Options.Fatal
// (fault.go).
//
// # Databases
//
// The db arguments of this package are logical databases, the numbers
// clients SELECT. Keys on disk carry physical ones; the database map
// (dbmap.go), one persisted record, links the two, so SWAPDB is one small
// write whatever the databases hold. Each transaction reads through the
// map it began with.
//
// # Expiry
//
// Every read treats an expired key as absent. Expired keys are physically
// removed by the next write transaction that touches them, in its own batch;
// by a write transaction of their own just after a read transaction that
// met them ends (lazyexpire.go); or by the active sweeper, which walks the
// expiry index.
//
// A key's expiry-index entry is at or before its expiry, not always at it:
// an expiry pushed later (EXPIRE sliding a rate limiter's window, SET EX
// renewing a session or a cache entry) keeps the entry it has, so it
// writes the metadata record alone instead of three records. When that
// entry comes due, the sweeper finds the key alive and moves the entry to
// its expiry (reindex), without any change a client could see; an expiry
// brought before the entry moves it at once. The metadata records the
// entry's time (Meta.IndexedAt) so that deleting the key deletes it.
//
// # Geo sets
//
// A geo set is a sorted set scored by geohash (geo.go). Its distances use
// the C library's sin, cos and asin through cgo when built on Linux with
// cgo, as redis-server does, so they agree with Redis's to the last bit
// (STOREDIST stores them at full precision); a build without cgo uses Go's
// math package, which can differ in the last bits.
//
// Byte slices returned by this package are owned by the caller: values are
// copied out of Pebble's buffers before they are returned.
package storage
