package storage

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Group sync: every commit is applied without a sync request, and its
// reply waits (DB.Wait) for one goroutine, the syncer, which syncs the WAL
// on behalf of every commit and read waiting at that moment. A reply can
// also be left to the syncer (DB.WhenDurable), which sends it right after
// the sync, as Redis writes its replies after its fsync (server/handoff.go).
//
// Pebble's WAL writer, asked to sync by each commit, fsyncs back to back:
// each fsync covers what arrived during the previous one, a handful of
// commits under fifty busy clients. Redis fsyncs once per turn of its
// event loop, after every client with a request ready has been served, so
// one fsync covers nearly every client. The syncer comes closer to that:
// before an fsync under always it waits, for at most gatherMax, until no
// write transaction is running or queued for the write lock. Those commit
// within microseconds, and would otherwise wait for a whole further fsync.
// A lone client finds no other writer and pays nothing. Fewer fsyncs leave
// more CPU for commands: each one costs tens of microseconds of kernel CPU
// and wakes its waiters. The figures are in docs/operations.md ("Group
// commit").
//
// Waiting also for as many waiters as the last fsync had (the clients it
// answered, coming back) saved another fifth of the fsyncs and gave the
// scripts 6% more under fifty busy clients, but cost clients with think
// time throughput and up to a millisecond a request: while every client
// is away the process is idle, and Go then rounds a timer up to a whole
// millisecond.
type syncer struct {
	mu    sync.Mutex
	round *syncRound // the round the next sync completes
	// stopped: the loop has exited (Close); waits sync for themselves.
	stopped bool

	wanted chan struct{} // a sync is wanted (buffered: one pending signal)
	idle   chan struct{} // the last active writer ended (buffered likewise)
	// active counts write transactions begun or waiting for the write
	// lock, and not yet ended.
	active atomic.Int32
}

// gatherMax bounds how long the syncer waits for writers before an
// fsync: the latency it may add to a reply (a long script holding the
// write lock).
var gatherMax = 200 * time.Microsecond

type syncRound struct {
	done  chan struct{}
	later []durableFunc // under syncer.mu
}

// durableFunc is a function WhenDurable runs once p is durable.
type durableFunc struct {
	p  Pending
	fn func()
}

func newSyncer() *syncer {
	return &syncer{
		round:  &syncRound{done: make(chan struct{})},
		wanted: make(chan struct{}, 1),
		idle:   make(chan struct{}, 1),
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// beginWrite and endWrite bracket a write transaction (endWrite releases
// the write lock).
func (s *syncer) beginWrite() { s.active.Add(1) }

func (db *DB) endWrite() {
	db.writeMu.Unlock()
	if db.syncer.active.Add(-1) == 0 {
		signal(db.syncer.idle)
	}
}

// wait blocks until p is durable. A round the waiter joins is completed by
// a sync issued after the waiter joined, so it covers every batch applied
// before then; a read may wait for a batch still being applied, which the
// round may miss: the waiter then joins the next one.
func (s *syncer) wait(db *DB, p Pending) {
	for !db.durable(p) {
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			db.syncNow()
			continue
		}
		r := s.round
		s.mu.Unlock()
		signal(s.wanted)
		<-r.done
	}
}

// WhenDurable arranges for fn to run once p is durable, on the syncer's
// goroutine, and reports whether it will. It will not when p needs no
// wait, or the syncer has stopped: the caller then goes on at once (or
// waits with Wait). fn must be quick and must not block: it runs between
// syncs.
func (db *DB) WhenDurable(p Pending, fn func()) bool {
	if p.seq == 0 || db.durable(p) {
		return false
	}
	s := db.syncer
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return false
	}
	s.round.later = append(s.round.later, durableFunc{p, fn})
	s.mu.Unlock()
	db.countWait(p)
	signal(s.wanted)
	return true
}

// runLater runs the functions of a completed round whose wait is over,
// and moves the others, waiting for a batch that was still being applied,
// to the next round.
func (s *syncer) runLater(db *DB, r *syncRound) {
	again := false
	for i, d := range r.later {
		if db.durable(d.p) || s.stopped {
			d.fn()
		} else {
			s.mu.Lock()
			s.round.later = append(s.round.later, d)
			s.mu.Unlock()
			again = true
		}
		r.later[i] = durableFunc{}
	}
	if again {
		signal(s.wanted)
	}
}

// loop is the syncer goroutine.
func (s *syncer) loop(db *DB) {
	defer db.bg.Done()
	gather := time.NewTimer(time.Hour)
	gather.Stop()
	for {
		select {
		case <-db.stop:
			s.mu.Lock()
			s.stopped = true
			r := s.round
			s.mu.Unlock()
			// Anyone who joined the last round gets its sync.
			db.syncNow()
			close(r.done)
			s.runLater(db, r)
			return
		case <-s.wanted:
		}
		if db.SyncPolicy() == SyncAlways {
			s.gather(gather)
		}
		s.mu.Lock()
		r := s.round
		s.round = &syncRound{done: make(chan struct{})}
		s.mu.Unlock()
		// With nothing applied since the last sync, the round's waiters
		// are covered already, or wait for a batch still being applied:
		// they join the next round, which its commit asks for.
		if !db.durable(Pending{seq: db.appliedSeq.Load(), fsync: true}) {
			db.syncNow()
		}
		close(r.done)
		s.runLater(db, r)
	}
}

// gather waits, at most gatherMax, until no write transaction is active.
func (s *syncer) gather(t *time.Timer) {
	deadline := time.Now().Add(gatherMax)
	for s.active.Load() > 0 {
		d := time.Until(deadline)
		if d <= 0 {
			return
		}
		t.Reset(d)
		select {
		case <-s.idle:
			t.Stop()
		case <-t.C:
			return
		}
	}
}

// syncNow syncs the WAL and marks every batch applied before it as written
// and, if the sync was an fsync, as synced. A failed sync is fatal.
func (db *DB) syncNow() {
	target := db.appliedSeq.Load()
	always := db.SyncPolicy() == SyncAlways
	if err := db.syncLog(); err != nil {
		db.fatal.raise(fmt.Errorf("WAL sync failed: %w", err))
	}
	markSeq(&db.writtenSeq, target)
	// The sync was an fsync only if the policy was always throughout
	// (walfs decides when the sync reaches it).
	if always && db.SyncPolicy() == SyncAlways {
		markSeq(&db.syncedSeq, target)
	}
}

// syncLog asks Pebble for a synced write of nothing, which follows every
// record committed so far into the WAL file and fsyncs it (under
// everysec and no, walfs turns the fsync into nothing: walfs.go). It
// waits for the sync itself rather than through DB.LogData, which would
// turn a failed fsync into Pebble's "fatal commit error" and hide that
// it was the sync that failed.
func (db *DB) syncLog() error {
	if db.fatal.raised.Load() {
		return errors.New("the store has failed")
	}
	b := db.pdb.NewBatch()
	_ = b.LogData(nil, nil)
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%v", r)
			}
		}()
		return db.pdb.ApplyNoSyncWait(b, pebble.Sync)
	}()
	if err == nil {
		err = b.SyncWait()
	}
	if err != nil {
		return err // b stays open: Pebble may still hold it
	}
	return b.Close()
}

func markSeq(mark *atomic.Uint64, seq uint64) {
	for {
		cur := mark.Load()
		if cur >= seq || mark.CompareAndSwap(cur, seq) {
			return
		}
	}
}
