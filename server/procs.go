package server

import (
	"os"
	"runtime"
	"sync"

	"moonstone/storage"
)

// procsMu serializes changes to GOMAXPROCS, which is the process's, not a
// server's.
var procsMu sync.Mutex

// applySyncPolicy sets the store's durability policy and, under always,
// gives its WAL fsyncs a P of their own.
//
// Under always the WAL is fsynced thousands of times a second, each fsync
// taking a few hundred microseconds. Made as an ordinary system call, each
// lets the runtime hand its P to another thread and keeps the runtime's
// monitor thread waking every 20 µs: on the 2-core machine of the
// benchmarks that cost 3–4 µs of CPU per SET (storage/fsync_linux.go).
// So the fsyncs keep their P, and the process gets one P more than its
// default, so that the fsyncing one leaves as many as before for clients.
// A GOMAXPROCS set in the environment is the operator's: then nothing
// changes and fsyncs are made as before.
func (s *Server) applySyncPolicy(p storage.SyncPolicy) {
	s.db.SetSyncPolicy(p)
	if _, pinned := os.LookupEnv("GOMAXPROCS"); pinned {
		s.db.SetFsyncInPlace(false)
		return
	}
	always := p == storage.SyncAlways
	procsMu.Lock()
	defer procsMu.Unlock()
	runtime.SetDefaultGOMAXPROCS()
	if always {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	}
	s.db.SetFsyncInPlace(always)
}
