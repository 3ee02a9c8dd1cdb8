package server

import (
	"fmt"
	"os"
	"time"
)

// Log levels, as Redis's loglevel.
const (
	levelDebug = iota
	levelVerbose
	levelNotice
	levelWarning
)

func parseLevel(s string) int {
	switch s {
	case "debug":
		return levelDebug
	case "verbose":
		return levelVerbose
	case "warning":
		return levelWarning
	}
	return levelNotice
}

// logf writes one readable line, in Redis's style: pid, role, time, level
// mark, message.
func (s *Server) logf(level int, format string, args ...any) {
	if level < parseLevel(s.cfg.Get("loglevel")) {
		return
	}
	mark := ".-*#"[level]
	line := fmt.Sprintf("%d:M %s %c %s\n", os.Getpid(),
		time.Now().Format("02 Jan 2006 15:04:05.000"), mark, fmt.Sprintf(format, args...))
	s.logMu.Lock()
	s.logW.WriteString(line)
	s.logMu.Unlock()
}

// pebbleLogger routes Pebble's messages to the server log. Fatalf keeps
// Pebble's contract: it does not return.
type pebbleLogger struct{ s *Server }

func (l pebbleLogger) Infof(format string, args ...any) {
	l.s.logf(levelVerbose, "pebble: "+format, args...)
}
func (l pebbleLogger) Errorf(format string, args ...any) {
	l.s.logf(levelWarning, "pebble: "+format, args...)
}
func (l pebbleLogger) Fatalf(format string, args ...any) {
	l.s.logf(levelWarning, "pebble: FATAL: "+format, args...)
	os.Exit(1)
}
