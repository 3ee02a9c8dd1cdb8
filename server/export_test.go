package server

import "github.com/cockroachdb/pebble/v2/vfs"

// SetFS makes the server built from cfg keep its store on fs (fault tests).
func SetFS(cfg *Config, fs vfs.FS) { cfg.fs = fs }
