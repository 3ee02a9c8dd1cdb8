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

// WithReadDuring makes the servers created until undo is called know name,
// a read command that reads the string at its key on its snapshot, then
// runs during (another client's write, say), then replies with what it
// read: a read overtaken by a commit (tracking tests).
func WithReadDuring(name string, during func()) (undo func()) {
	testCommands = func() []*Command {
		return []*Command{def(name, 2, "readonly", [3]int{1, 1, 1}, "string", "0.0.0", func(c *Call) {
			v, ok, err := c.Tx.Get(c.DB(), c.Args[1])
			during()
			switch {
			case err != nil:
				c.Err(err)
			case !ok:
				c.r.Null()
			default:
				c.r.Bulk(v)
			}
		}, "test only")}
	}
	return func() { testCommands = nil }
}
