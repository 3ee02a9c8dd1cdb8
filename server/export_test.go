package server

import (
	"github.com/cockroachdb/pebble/v2/vfs"

	"moonstone/storage"
)

// SetFS makes the server built from cfg keep its store on fs (fault tests).
func SetFS(cfg *Config, fs vfs.FS) { cfg.fs = fs }

// AddPanickingWrite registers name, a write command that sets key to "half"
// and then panics: the stand-in for a bug in a command (panic tests). It is
// registered before any client connects.
func AddPanickingWrite(s *Server, name string) {
	s.commands[name] = def(name, 2, "write", [3]int{1, 1, 1}, "string", "0.0.0", func(c *Call) {
		if _, err := c.Tx.Set(c.DB(), c.Args[1], []byte("half"), storage.SetOptions{}); err != nil {
			c.Err(err)
			return
		}
		panic("a bug in " + name)
	}, "test only")
}
