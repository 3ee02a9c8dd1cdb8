package server

import (
	"github.com/cockroachdb/pebble/v2/vfs"

	"moonstone/storage"
)

// SetFS makes the server built from cfg keep its store on fs (fault tests).
func SetFS(cfg *Config, fs vfs.FS) { cfg.fs = fs }

// WithPanickingWrite makes the servers created until undo is called know
// name, a write command that sets key to "half" and then panics: the
// stand-in for a bug in a command (panic tests).
func WithPanickingWrite(name string) (undo func()) {
	testCommands = func() []*Command {
		return []*Command{def(name, 2, "write", [3]int{1, 1, 1}, "string", "0.0.0", func(c *Call) {
			if _, err := c.Tx.Set(c.DB(), c.Args[1], []byte("half"), storage.SetOptions{}); err != nil {
				c.Err(err)
				return
			}
			panic("a bug in " + name)
		}, "test only")}
	}
	return func() { testCommands = nil }
}

// Monitors is the number of connections in MONITOR mode.
func (s *Server) Monitors() int { return int(s.monitors.n.Load()) }
