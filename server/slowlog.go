package server

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The slow log, as Redis 7.0's: every command that ran for at least
// slowlog-log-slower-than microseconds (0 logs everything, a negative value
// nothing) is kept, newest first, up to slowlog-max-len entries. The time
// measured is the command's run in dispatch, write-lock wait included, the
// same figure INFO commandstats adds up. Commands flagged skip_slowlog
// (EXEC) are not logged; the commands EXEC runs are, each on its own, and so
// are the commands a script calls (with Redis's client "?:0" and no name),
// before the EVAL itself.

// Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING.
const (
	slowlogMaxArgs  = 32
	slowlogMaxBytes = 128
)

type slowlogEntry struct {
	id       int64
	time     int64 // unix seconds
	duration int64 // microseconds
	args     [][]byte
	addr     string
	name     string
}

type slowlog struct {
	slowerThan atomic.Int64 // microseconds; < 0 disables
	maxLen     atomic.Int64

	mu      sync.Mutex
	nextID  int64
	entries []slowlogEntry // oldest first
}

// configure reads the two parameters; called at start and on CONFIG SET.
func (l *slowlog) configure(cfg *Config) {
	n, _ := strconv.ParseInt(cfg.Get("slowlog-log-slower-than"), 10, 64)
	l.slowerThan.Store(n)
	n, _ = strconv.ParseInt(cfg.Get("slowlog-max-len"), 10, 64)
	l.maxLen.Store(n)
}

// slowlogCall logs a command that started at start, if it was slow enough.
// cn is the client, nil for a command called by a script.
func (s *Server) slowlogCall(cn *Conn, cmd *Command, args [][]byte, start time.Time) {
	s.slowlogTook(cn, cmd, args, time.Since(start))
}

// slowlogTook logs a command that took took, if that is slow enough.
func (s *Server) slowlogTook(cn *Conn, cmd *Command, args [][]byte, took time.Duration) {
	// The latency monitor sees every command the slow log measures, as
	// Redis's call() feeds both.
	if cmd.Is(flagFast) {
		s.latmon.note("fast-command", took)
	} else {
		s.latmon.note("command", took)
	}
	l := &s.slowlog
	limit := l.slowerThan.Load()
	if limit < 0 || cmd.Is(flagSkipSlowlog) {
		return
	}
	d := took.Microseconds()
	if d < limit {
		return
	}
	e := slowlogEntry{time: time.Now().Unix(), duration: d, args: slowlogArgs(cmd, args), addr: "?:0"}
	if cn != nil {
		cn.mu.Lock()
		e.addr, e.name = cn.addr, cn.name
		cn.mu.Unlock()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e.id = l.nextID
	l.nextID++
	l.entries = append(l.entries, e)
	if over := len(l.entries) - int(max(l.maxLen.Load(), 0)); over > 0 {
		l.entries = append(l.entries[:0:0], l.entries[over:]...)
	}
}

// slowlogArgs is what the log keeps of a command's arguments: at most 32
// (the last one then says how many more there were), each at most 128
// bytes (then saying how many more bytes there were), with passwords
// redacted as Redis does.
func slowlogArgs(cmd *Command, args [][]byte) [][]byte {
	n := min(len(args), slowlogMaxArgs)
	out := make([][]byte, n)
	for j := 0; j < n; j++ {
		a := args[j]
		switch {
		case n != len(args) && j == n-1:
			a = fmt.Appendf(nil, "... (%d more arguments)", len(args)-n+1)
		case redacted(cmd, args, j):
			a = []byte("(redacted)")
		case len(a) > slowlogMaxBytes:
			a = fmt.Appendf(append([]byte(nil), a[:slowlogMaxBytes]...), "... (%d more bytes)", len(a)-slowlogMaxBytes)
		default:
			a = append([]byte(nil), a...)
		}
		out[j] = a
	}
	return out
}

// redacted reports whether argument j is a secret Redis keeps out of the
// slow log and MONITOR: AUTH's password (and user name, given both),
// HELLO's AUTH pair, MIGRATE's AUTH and AUTH2 credentials, the values of
// sensitive parameters (requirepass, masterauth, masteruser) in CONFIG SET,
// and ACL SETUSER's user and modifiers.
func redacted(cmd *Command, args [][]byte, j int) bool {
	switch cmd.Name {
	case "auth":
		return j >= 1 && len(args) <= 3
	case "hello":
		for i := 2; i+2 < len(args); i++ {
			if strings.EqualFold(string(args[i]), "auth") {
				if j == i+1 || j == i+2 {
					return true
				}
				i += 2
			} else if strings.EqualFold(string(args[i]), "setname") {
				i++
			}
		}
	case "migrate":
		// The password after AUTH, the user and password after AUTH2,
		// as Redis's migrateCommand redacts them while it parses.
		for i := 6; i < len(args) && !strings.EqualFold(string(args[i]), "keys"); i++ {
			switch {
			case strings.EqualFold(string(args[i]), "auth"):
				if j == i+1 {
					return true
				}
				i++
			case strings.EqualFold(string(args[i]), "auth2"):
				if j == i+1 || j == i+2 {
					return true
				}
				i += 2
			}
		}
	case "acl|setuser":
		return j >= 2
	case "config|set":
		if j >= 3 && j%2 == 1 {
			def := lookupParam(strings.ToLower(string(args[j-1])))
			return def != nil && def.Sensitive
		}
	}
	return false
}

func (l *slowlog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

func (l *slowlog) reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}

// newest returns up to n entries, newest first (n < 0: all).
func (l *slowlog) newest(n int64) []slowlogEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 0 || n > int64(len(l.entries)) {
		n = int64(len(l.entries))
	}
	out := make([]slowlogEntry, 0, n)
	for i := len(l.entries) - 1; i >= 0 && int64(len(out)) < n; i-- {
		out = append(out, l.entries[i])
	}
	return out
}
