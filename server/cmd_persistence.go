package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"moonstone/storage"
)

// Persistence commands: CHECKPOINT, SAVE, BGSAVE, LASTSAVE. Every one is a
// Pebble checkpoint (storage.DB.Checkpoint): a consistent copy of the live
// data directory that `moonstone --dir <copy>` opens, taken while clients
// keep reading and writing. And BGREWRITEAOF, which has nothing to do.

// persistState is the server's record of checkpoints.
type persistState struct {
	mu         sync.Mutex
	inProgress bool      // a BGSAVE is running
	lastSave   time.Time // last successful checkpoint of any kind; zero = the start time
	lastOK     bool      // the last BGSAVE succeeded (true before any)
	bgRan      bool
	bgStart    time.Time     // when the running BGSAVE began
	bgDur      time.Duration // how long the last BGSAVE took
	saves      int64         // successful checkpoints of any kind (INFO rdb_saves)
	lastPath   string
	lastDur    time.Duration
	// commitsAtSave is the store's commit count when the last checkpoint
	// began: INFO's rdb_changes_since_last_save counts committed write
	// transactions since then.
	commitsAtSave int64
	bg            sync.WaitGroup
}

type persistInfo struct {
	inProgress int
	lastSave   int64
	status     string
	path       string
	durationMS int64
	changes    int64
	saves      int64
	// The last BGSAVE's duration and the running one's age, in whole
	// seconds as Redis's rdb_last_bgsave_time_sec and
	// rdb_current_bgsave_time_sec give them: -1 when there is none.
	lastBgSec, currentBgSec int64
}

func (p *persistState) info(s *Server) persistInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	in := persistInfo{status: "ok", path: p.lastPath, durationMS: p.lastDur.Milliseconds(),
		saves: p.saves, lastBgSec: -1, currentBgSec: -1}
	if p.inProgress {
		in.inProgress = 1
		in.currentBgSec = int64(time.Since(p.bgStart).Seconds())
	}
	if p.bgRan {
		in.lastBgSec = int64(p.bgDur.Seconds())
		if !p.lastOK {
			in.status = "err"
		}
	}
	in.changes = s.db.Stats().Commits.Load() - p.commitsAtSave
	in.lastSave = s.started.Unix()
	if !p.lastSave.IsZero() {
		in.lastSave = p.lastSave.Unix()
	}
	return in
}

// checkpoint takes a checkpoint into dir and records it.
func (s *Server) checkpoint(dir string) error {
	start := time.Now()
	commits := s.db.Stats().Commits.Load()
	err := s.db.Checkpoint(dir)
	if err != nil {
		s.logf(levelWarning, "Checkpoint into %s failed: %v", dir, err)
		return err
	}
	dur := time.Since(start)
	s.persist.mu.Lock()
	s.persist.lastSave = time.Now()
	s.persist.lastPath = dir
	s.persist.lastDur = dur
	s.persist.saves++
	s.persist.commitsAtSave = commits
	s.persist.mu.Unlock()
	s.logf(levelNotice, "Checkpoint written to %s in %s", dir, dur)
	return nil
}

// checkpointError is the reply text for a failed checkpoint.
func checkpointError(dir string, err error) string {
	if errors.Is(err, storage.ErrCheckpointExists) {
		return fmt.Sprintf("ERR checkpoint target %s already exists", dir)
	}
	return fmt.Sprintf("ERR checkpoint into %s failed: %v", dir, err)
}

// saveDir picks a new timestamped directory under backup-dir.
func (s *Server) saveDir() string {
	base := filepath.Join(s.cfg.Get("backup-dir"), "checkpoint-"+time.Now().UTC().Format("20060102T150405.000Z"))
	dir := base
	for i := 1; ; i++ {
		if _, err := os.Lstat(dir); err != nil {
			// Absent, or unusable: the checkpoint reports which.
			return dir
		}
		dir = fmt.Sprintf("%s-%d", base, i)
	}
}

func cmdCheckpoint(c *Call) {
	dir := string(c.Args[1])
	if err := c.Srv.checkpoint(dir); err != nil {
		c.Error(checkpointError(dir, err))
		return
	}
	c.OK()
}

// cmdBGRewriteAOF answers as Redis does when it starts a rewrite. Moonstone's
// log, Pebble's WAL, never needs one: each memtable flush retires the WAL
// segment it covered, so the log stays as long as the unflushed writes.
func cmdBGRewriteAOF(c *Call) {
	c.r.Status("Background append only file rewriting started")
}

func cmdSave(c *Call) {
	s := c.Srv
	s.persist.mu.Lock()
	busy := s.persist.inProgress
	s.persist.mu.Unlock()
	if busy {
		c.Error("ERR Background save already in progress")
		return
	}
	dir := s.saveDir()
	if err := s.checkpoint(dir); err != nil {
		c.Error(checkpointError(dir, err))
		return
	}
	c.OK()
}

func cmdBGSave(c *Call) {
	// BGSAVE SCHEDULE is accepted; since a checkpoint never waits for an
	// AOF rewrite here, it starts at once like a plain BGSAVE.
	if len(c.Args) > 2 || (len(c.Args) == 2 && !c.ArgIs(1, "schedule")) {
		c.Error(errSyntax)
		return
	}
	s := c.Srv
	s.persist.mu.Lock()
	if s.persist.inProgress {
		s.persist.mu.Unlock()
		c.Error("ERR Background save already in progress")
		return
	}
	s.persist.inProgress = true
	s.persist.bgStart = time.Now()
	s.persist.bg.Add(1)
	s.persist.mu.Unlock()
	dir := s.saveDir()
	go func() {
		defer s.persist.bg.Done()
		err := s.checkpoint(dir)
		s.persist.mu.Lock()
		s.persist.inProgress = false
		s.persist.bgRan = true
		s.persist.bgDur = time.Since(s.persist.bgStart)
		s.persist.lastOK = err == nil
		s.persist.mu.Unlock()
	}()
	c.r.Status("Background saving started")
}

func cmdLastSave(c *Call) {
	c.r.Int(c.Srv.persist.info(c.Srv).lastSave)
}
