package server

import "moonstone/storage"

// Access times, for OBJECT IDLETIME and OBJECT FREQ: when each key was
// last used, and Redis's LFU counter of its uses. Redis keeps them in
// every object; Moonstone's keys live on disk and a read writes nothing,
// so they are kept in memory for the keys used most recently
// (access_table.go).
//
// Which commands touch a key follows Redis's lookups (db.c, LOOKUP_NOTOUCH):
// every command touches its key arguments after it ran, except the ones
// in noTouchCommands; MOVE and COPY touch their destination too, and
// RESTORE sets the time its IDLETIME option asks for. Keys are named by
// PHYSICAL database (storage.Tx.PhysicalDB), so SWAPDB takes the times
// along with the keys, as Redis's objects carry theirs.

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
	first, last, step := cmd.keyRange(len(args))
	for i := first; i <= last; i += step {
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
