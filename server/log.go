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

// storageFatal is the store's fatal handler (storage.Options.Fatal): a
// failed WAL write or sync, or a failed MANIFEST write. The process exits
// at once, loudly, without sending any reply that waits for a sync; a
// restart recovers the data directory from its WAL, with every
// acknowledged write (docs/operations.md, "Disk faults").
func (s *Server) storageFatal(err error) {
	s.logf(levelWarning, "FATAL: %v", err)
	s.logf(levelWarning, "exiting with status 1: no write that was not synced has been acknowledged; restart the server (it recovers the data directory from its WAL)")
	os.Exit(1)
}

// pebbleLogger routes Pebble's messages to the server log. The store routes
// Pebble's Fatalf to storageFatal; this one keeps Pebble's contract anyway:
// it does not return.
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
