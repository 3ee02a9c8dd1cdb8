package server

import (
	"runtime/metrics"
	"strconv"
	"strings"

	"moonstone/scripting"
)

// maxmemory. Moonstone keeps its data on disk, so memory does not grow
// with the data set and there is nothing to evict. What Redis does under
// the default policy, noeviction, still makes sense and is what the
// setting promises: while the server's used memory (INFO used_memory, the
// Go heap) is over maxmemory, commands that may grow the data set are
// refused with -OOM, as are scripts that may write and, inside MULTI,
// anything but EXEC, DISCARD, QUIT and RESET. Under an eviction policy
// Redis would make room by deleting keys; Moonstone neither deletes nor
// refuses (see docs/compatibility.md).

const errOOM = "OOM command not allowed when used memory > 'maxmemory'."

// setMaxMemory applies the maxmemory and maxmemory-policy settings.
func (s *Server) setMaxMemory() {
	limit, _ := strconv.ParseUint(s.cfg.Get("maxmemory"), 10, 64)
	if s.cfg.Get("maxmemory-policy") != "noeviction" {
		limit = 0
	}
	s.maxMemory.Store(limit)
}

// heapMetric is the live heap, which INFO reports as used_memory.
const heapMetric = "/memory/classes/heap/objects:bytes"

// sampleMemory records the used memory the OOM check compares with
// maxmemory; the rate sampler calls it every 100 ms (a command does not
// pay for reading it).
func (s *Server) sampleMemory() {
	sample := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(sample)
	if sample[0].Value.Kind() == metrics.KindUint64 {
		used := sample[0].Value.Uint64()
		s.usedMemory.Store(used)
		if used > s.peakMemory.Load() {
			s.peakMemory.Store(used)
		}
	}
}

// outOfMemory reports whether used memory is over maxmemory under
// noeviction: Redis's performEvictions failing.
func (s *Server) outOfMemory() bool {
	limit := s.maxMemory.Load()
	return limit != 0 && s.usedMemory.Load() > limit
}

// refusedForMemory reports whether dispatch must refuse cmd with -OOM,
// by Redis's processCommand rules: the server is out of memory and the
// command may grow the data (denyoom, a script declared without allow-oom
// or no-writes, an EXEC holding such a command), or cn is inside MULTI and
// cmd is not one that ends it.
func (s *Server) refusedForMemory(cn *Conn, cmd *Command, args [][]byte) bool {
	if !s.outOfMemory() {
		return false
	}
	if cn.multi != nil {
		switch cmd.Name {
		case "exec":
			return cn.multi.holds(s.deniesOOM)
		case "discard", "quit", "reset":
			return false
		}
		return true
	}
	return s.deniesOOM(cmd, args)
}

// deniesOOM is Redis's CMD_DENYOOM flag for one call: the command's own,
// or, for a script or function that declares its flags, whether they
// leave out both allow-oom and no-writes.
func (s *Server) deniesOOM(cmd *Command, args [][]byte) bool {
	if cmd.Is(flagDenyOOM) {
		return true
	}
	shebang, flags := s.scriptFlags(cmd, args)
	return shebang && flags&(scripting.FlagAllowOOM|scripting.FlagNoWrites) == 0
}

// scriptFlags are the flags the script or function a call runs declares
// (shebang false: none, the command's own flags count), as Redis's
// getCommandFlags finds them before the call runs.
func (s *Server) scriptFlags(cmd *Command, args [][]byte) (shebang bool, flags scripting.Flags) {
	switch cmd.Name {
	case "eval", "eval_ro":
		shebang, flags = scripting.DeclaredFlags(args[1])
	case "evalsha", "evalsha_ro":
		if sc, err := s.scripts.BySHA(strings.ToLower(string(args[1]))); err == nil {
			shebang, flags = sc.Shebang, sc.Flags
		}
	case "fcall", "fcall_ro":
		if f := s.scripts.Functions().Function(string(args[1])); f != nil {
			shebang, flags = true, f.Flags
		}
	}
	return shebang, flags
}

// allowsOOM is a script's or function's allow-oom flag, which lets its
// write commands run while the server is out of memory.
func allowsOOM(shebang bool, flags scripting.Flags) bool {
	return shebang && flags&scripting.FlagAllowOOM != 0
}
