// Package scripting is Moonstone's Lua engine: it compiles, caches, sandboxes
// and runs the scripts of EVAL and friends. It never touches storage or the
// network itself: each run gets a Host from the server, which executes the
// commands of redis.call inside the run's storage transaction and commits or
// discards that transaction when the script ends; replies are written to a
// Reply with the method set of server.Reply, so command handlers write into
// redis.call and scripts write to clients through the same interface.
//
// What it owns and promises:
//
//   - The compiled-script cache (Engine.ForEval, Load, BySHA). A body is
//     compiled once, by its SHA1, into a gopher-lua prototype that pooled
//     states share; each run wraps it in a fresh closure. Bodies are persisted
//     through a Store (storage.DB), so EVALSHA works after a restart; scripts
//     that came through EVAL are bounded to the DefaultEvalCacheSize most
//     recently used, in memory and on disk.
//   - The sandbox (sandbox.go): Redis 7.0's globals and nothing else, every
//     reachable table read-only (gopher-lua has no read-only tables: proxies
//     stand in for them), so nothing a run does is seen by the next run on the
//     same pooled state.
//   - The redis.* API and the conversions between replies and Lua values, as
//     Redis 7's script_lua.c does them (redisapi.go, convert.go), with Redis's
//     error texts (engine.go: errorReply).
//   - Run outcomes: Host.Finish(true) when the script returned (error replies
//     included), Host.Finish(false) when it raised, was killed or went over
//     its memory budget, always before the reply is written.
//   - Stopping scripts: Kill (SCRIPT KILL) and Shutdown cancel a run's context,
//     which gopher-lua checks between instructions; the watchdog marks a
//     writer busy past the busy threshold (Busy, IsBusy) and stops runs that
//     grow the heap past the memory budget; functions that build a large
//     value in one step, the concatenation operator included (vmhooks.go),
//     check the budget before building.
//   - Lua 5.1 as Redis ships it where gopher-lua differs in ways scripts
//     observe: tostring, tonumber, string.format, math.random (Redis's rand48),
//     error wording, with the names of the variables involved (messages.go,
//     vmhooks.go, varinfo.go, localscopes.go).
//
// The libraries cjson, cmsgpack, struct and bit are in the lualib
// subpackage.
package scripting
