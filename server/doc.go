// Package server owns Moonstone's network face: the RESP listener and
// connection state (selected db, auth, name, MULTI and WATCH state), the
// command table, one file per command family, durability of replies,
// INFO / CONFIG / CLIENT / COMMAND, and the server side of scripting.
//
// # How a request runs
//
// A connection's goroutine reads a request with Reader (Redis's limits,
// never allocating ahead of the bytes that arrived; its buffers go back to
// the garbage collector once the connection has been idle two seconds,
// inbuf.go), looks the command up in
// the table built by commandTable (commands.go: arity, flags, key
// positions), and runs it with a Call:
//   - a command flagged write gets a write transaction (through the write
//     gate, so a busy script makes it answer BUSY instead of waiting);
//   - a command flagged readonly gets a snapshot and never waits for a lock
//     (two take the write lock afterwards when they must write: XREAD to
//     block, PFCOUNT to store a fresh count in its value's cache);
//   - others (connection, server, EVAL, EXEC) manage what they need.
//
// Before it runs, a request is checked against the connection's ACL user
// (acl_check.go): users whose rules allow everything, the default user's
// usual case, cost one flag test.
//
// The handler writes its answer to a Reply: RESP for a client, Lua values
// for redis.call, so every command is written once. A failed standalone
// write is discarded whole. A command that ran records the use of its keys
// for OBJECT IDLETIME (access.go: an in-memory table of recent keys), and
// is fed to the MONITOR connections, if any (monitor.go: one atomic load
// when there are none).
//
// Every write unit (a write command, an EXEC, a script) commits through
// commitWrite, which first serves the clients blocked on keys the unit
// made ready, inside the same transaction (blocking.go: BLPOP and the
// other blocking commands, CLIENT UNBLOCK).
//
// While some client tracks keys for client-side caching, storage logs the
// keys each write transaction changes and the commit hook in tracking.go
// turns them into invalidation messages once the transaction committed.
//
// # Durability of replies
//
// Replies are buffered and flushed when the connection has no more
// pipelined requests. Before the flush the connection waits for every batch
// its commands committed and for the read barrier of everything it read
// (storage.DB.Wait): under appendfsync always no reply leaves before the
// data it reflects is on disk, and a pipeline of writes shares one wait.
// Rather than wait, a connection may hand its replies and its output lock
// to the syncer, which sends them right after the sync (handoff.go), while
// the connection goes back to reading.
package server
