// Package testkit starts servers for tests and compares Moonstone with a
// real redis-server.
//
//   - Start runs Moonstone in-process on a random loopback port with a
//     temporary data directory and hands back a go-redis client.
//   - StartRedis runs Debian's redis-server on a random loopback port; when
//     it is not installed the test is skipped, or fails under CI=true,
//     because CI must install it.
//   - Diff runs a script of commands against both and compares the raw RESP
//     replies byte for byte. A script is one command a line, quoted like
//     redis-cli input; "#" starts a comment; a "~" before a command compares
//     its reply as an unordered multiset (SMEMBERS, HGETALL, KEYS). Adding a
//     case is adding a line. DiffResp3 does the same with both connections
//     switched to RESP3 (HELLO 3).
//   - BuildBinary and StartProcess run the real moonstone binary as a child
//     process, for crash tests (kill -9 and restart).
package testkit
