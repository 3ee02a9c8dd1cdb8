package storage

import (
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// compactionGate is the compaction scheduler Moonstone gives Pebble. It
// follows Pebble's default policy (run as many compactions at once as
// DB.GetAllowedWithoutPermission allows, granting waiting ones when one
// ends, when that allowance grows, and every 100 ms) with one difference:
// no compaction starts until Open has returned.
//
// Why: pebble.Open flushes the WAL it replayed, the flush schedules a
// compaction if L0 is deep (it is after a burst of writes or a crash), and
// Open then waits for that compaction to finish before it deletes obsolete
// files. A restart would take as long as an L0 compaction, hundreds of
// milliseconds or more, instead of the few it takes to read the manifest
// and the WAL. With the gate the compaction runs right after Open, while
// the server already answers.
type compactionGate struct {
	db pebble.DBForCompaction

	mu      sync.Mutex
	open    bool // Open has returned: compactions may start
	running int  // compactions granted and not Done

	wake     chan struct{} // asks the granter for a round now
	stop     chan struct{} // closed by Unregister
	done     chan struct{} // closed when the granter has stopped
	stopOnce sync.Once
}

var _ pebble.CompactionScheduler = (*compactionGate)(nil)

func newCompactionGate() *compactionGate {
	return &compactionGate{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// opened lets compactions start, and starts those Open left waiting.
func (g *compactionGate) opened() {
	g.mu.Lock()
	g.open = true
	g.mu.Unlock()
	g.poke()
}

func (g *compactionGate) Register(_ int, db pebble.DBForCompaction) {
	g.db = db
	go g.granter()
}

// Unregister stops granting; all grants after Register's come from the
// granter goroutine, so once it has stopped none can follow. Pebble calls
// it from Close; Open calls it when pebble.Open failed after Register.
func (g *compactionGate) Unregister() {
	if g.db == nil {
		return // never registered: no granter
	}
	g.stopOnce.Do(func() {
		g.mu.Lock()
		g.open = false
		g.mu.Unlock()
		close(g.stop)
		<-g.done
	})
}

// TrySchedule is Pebble asking to start a compaction it has picked (with
// its own lock held, so it must not call back into the DB's locked
// methods).
func (g *compactionGate) TrySchedule() (bool, pebble.CompactionGrantHandle) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open && g.running < g.db.GetAllowedWithoutPermission() {
		g.running++
		return true, g
	}
	return false, nil
}

func (g *compactionGate) UpdateGetAllowedWithoutPermission() { g.poke() }

// The grant handle: Pebble reports progress and the end of a compaction.
func (g *compactionGate) Started()                                          {}
func (g *compactionGate) MeasureCPU(pebble.CompactionGoroutineKind)         {}
func (g *compactionGate) CumulativeStats(pebble.CompactionGrantHandleStats) {}

func (g *compactionGate) Done() {
	g.mu.Lock()
	g.running--
	g.mu.Unlock()
	g.poke()
}

func (g *compactionGate) poke() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

func (g *compactionGate) granter() {
	defer close(g.done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-t.C:
		case <-g.wake:
		}
		g.grant()
	}
}

// grant starts waiting compactions while the allowance has room.
// GetWaitingCompaction and Schedule take the DB's lock, so g.mu is not
// held across them (TrySchedule takes the locks in the other order).
func (g *compactionGate) grant() {
	for {
		g.mu.Lock()
		room := g.open && g.running < g.db.GetAllowedWithoutPermission()
		if room {
			g.running++
		}
		g.mu.Unlock()
		if !room {
			return
		}
		waiting, _ := g.db.GetWaitingCompaction()
		if !waiting || !g.db.Schedule(g) {
			g.mu.Lock()
			g.running--
			g.mu.Unlock()
			return
		}
	}
}
