package server

import (
	"math/rand/v2"
	"sync"
)

// cursorTable maps SCAN cursors to the position where the next page
// starts. Redis's cursors encode a hash-table position; Moonstone's
// keyspace is sorted, so a cursor names a saved resume key instead. The
// table is bounded: the oldest cursors are forgotten first, and a
// forgotten cursor ends its scan (the client sees cursor 0), so a client
// that abandons scans cannot grow memory.
type cursorTable struct {
	mu    sync.Mutex
	next  map[uint64][]byte
	order []uint64
}

const maxCursors = 1 << 16

// save remembers where a scan resumes and returns its cursor; a finished
// scan (next == nil) gets cursor 0.
func (t *cursorTable) save(next []byte) uint64 {
	if next == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.next == nil {
		t.next = make(map[uint64][]byte)
	}
	id := rand.Uint64()>>1 | 1
	for t.next[id] != nil {
		id = rand.Uint64()>>1 | 1
	}
	t.next[id] = next
	t.order = append(t.order, id)
	if len(t.order) > maxCursors {
		delete(t.next, t.order[0])
		t.order = t.order[1:]
	}
	return id
}

// resume returns where the scan with this cursor continues: nil for cursor
// 0 (the start), and false when the cursor is unknown.
func (t *cursorTable) resume(cursor uint64) ([]byte, bool) {
	if cursor == 0 {
		return nil, true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	k, ok := t.next[cursor]
	return k, ok
}
