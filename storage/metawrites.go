package storage

import (
	"bytes"
	"sync"

	"moonstone/codec"
)

// metaWrites holds metadata records a write transaction has written but
// not yet put into its batch. A script or a pipeline often rewrites one
// key's metadata several times (the rate limiter's ZADD then EXPIRE, INCRs
// of one counter), and every record in a batch costs a memtable insert, a
// row-cache entry and WAL bytes at commit. So the latest value waits here
// and enters the batch once: when the transaction commits, before anything
// reads the batch other than by a point lookup of the record (an iterator,
// which would miss it), and before a range deletion (which must not be
// followed by a write it should have deleted). Reads of the record find it
// here first (Tx.get).
type metaWrites struct {
	n       int
	entries [metaWritesMax]metaWrite
}

// metaWritesMax bounds the records waiting: enough for the keys of a
// typical script, few enough that a linear search is the fast one.
const metaWritesMax = 8

type metaWrite struct {
	key, value []byte
}

func isMetaKey(key []byte) bool { return len(key) > 0 && key[0] == codec.TagMeta }

// metaWritesPool recycles the waiting room with its grown buffers: a
// transaction takes one at its first metadata write and gives it back when
// it ends.
var metaWritesPool = sync.Pool{New: func() any { return new(metaWrites) }}

// pending is how many records wait (none for a nil w).
func (w *metaWrites) pending() int {
	if w == nil {
		return 0
	}
	return w.n
}

func (w *metaWrites) find(key []byte) *metaWrite {
	if w == nil {
		return nil
	}
	for i := 0; i < w.n; i++ {
		if bytes.Equal(w.entries[i].key, key) {
			return &w.entries[i]
		}
	}
	return nil
}

// drop forgets key's waiting write, if any: a delete supersedes it.
func (w *metaWrites) drop(key []byte) {
	if w == nil {
		return
	}
	for i := 0; i < w.n; i++ {
		if bytes.Equal(w.entries[i].key, key) {
			w.n--
			w.entries[i], w.entries[w.n] = w.entries[w.n], w.entries[i]
			return
		}
	}
}

// bytes is what the waiting records will add to the batch, roughly.
func (w *metaWrites) bytes() int {
	n := 0
	for i := 0; i < w.pending(); i++ {
		n += len(w.entries[i].key) + len(w.entries[i].value) + 8
	}
	return n
}

// setMeta records a write of a metadata record, putting the waiting ones
// into the batch first if there is no room.
func (tx *Tx) setMeta(key, value []byte) error {
	if tx.metaW == nil {
		tx.metaW = metaWritesPool.Get().(*metaWrites)
	}
	w := tx.metaW
	e := w.find(key)
	if e == nil {
		if w.n == metaWritesMax {
			if err := tx.flushMeta(); err != nil {
				return err
			}
		}
		e = &w.entries[w.n]
		w.n++
		e.key = append(e.key[:0], key...)
	}
	e.value = append(e.value[:0], value...)
	return nil
}

// flushMeta puts every waiting metadata record into the batch.
func (tx *Tx) flushMeta() error {
	w := tx.metaW
	for i := 0; i < w.pending(); i++ {
		if err := tx.b.Set(w.entries[i].key, w.entries[i].value, nil); err != nil {
			return err
		}
	}
	if w != nil {
		w.n = 0
	}
	return nil
}

// sealBatch ends a committing transaction's writes: the waiting metadata
// records go into the batch and the waiting room goes back. On failure the
// batch is closed.
func (tx *Tx) sealBatch() error {
	err := tx.flushMeta()
	tx.releaseMeta()
	if err != nil {
		tx.b.Close()
	}
	return err
}

// releaseMeta gives the waiting room back when the transaction ends: its
// records are in the batch or thrown away, and reads copied what they
// found.
func (tx *Tx) releaseMeta() {
	if w := tx.metaW; w != nil {
		w.n = 0
		tx.metaW = nil
		metaWritesPool.Put(w)
	}
}
