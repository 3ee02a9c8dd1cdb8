package server

import (
	"strconv"

	"moonstone/scripting"
)

// min-replicas-to-write. A Redis master refuses writes with -NOREPLICAS
// while fewer than min-replicas-to-write replicas have answered within
// min-replicas-max-lag seconds, when both are non-zero. Moonstone never
// has a replica, so with both set it refuses every write, as a Redis
// master does whose replicas are gone: write commands, EXEC of a block
// holding one, scripts and functions that declare flags without
// no-writes, and, in a script that declares none, its first write call
// (a script that has written goes on, as in Redis).

const errNoReplicas = "NOREPLICAS Not enough good replicas to write."

// setMinReplicas applies min-replicas-to-write and min-replicas-max-lag.
func (s *Server) setMinReplicas() {
	to, _ := strconv.Atoi(s.cfg.Get("min-replicas-to-write"))
	lag, _ := strconv.Atoi(s.cfg.Get("min-replicas-max-lag"))
	s.noReplicas.Store(to > 0 && lag > 0)
}

// refusedForReplicas reports whether dispatch must refuse cmd with
// -NOREPLICAS: Redis's processCommand check of a write command, or an EXEC
// whose queue holds one.
func (s *Server) refusedForReplicas(cn *Conn, cmd *Command, args [][]byte) bool {
	if !s.noReplicas.Load() {
		return false
	}
	if cmd.Name == "exec" && cn.multi != nil {
		return cn.multi.holds(s.writes)
	}
	return s.writes(cmd, args)
}

// writes is Redis's CMD_WRITE for one call: the command's own flag or, for
// a script or function that declares its flags, the absence of no-writes.
func (s *Server) writes(cmd *Command, args [][]byte) bool {
	if cmd.Is(flagWrite) {
		return true
	}
	shebang, flags := s.scriptFlags(cmd, args)
	return shebang && flags&scripting.FlagNoWrites == 0
}
