package storage

import (
	"errors"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
)

// The persisted script cache: one record per script body, keyed by its SHA1
// (codec.ScriptKey), so EVALSHA works after a restart and in a checkpoint.
// The value is one origin byte followed by the body: 'L' for a script
// loaded with SCRIPT LOAD (kept until SCRIPT FLUSH), 'E' for one that
// arrived through EVAL (the scripting engine bounds how many of those it
// keeps and deletes the ones it evicts).
//
// Script records live outside the data transactions: they are written
// without the write lock, in their own small batch, fsynced under the
// "always" policy before the command that created them replies.

const (
	scriptLoaded = 'L'
	scriptEval   = 'E'
)

// PutScript records a script body.
func (db *DB) PutScript(sha string, body []byte, loaded bool) error {
	v := make([]byte, 0, 1+len(body))
	if loaded {
		v = append(v, scriptLoaded)
	} else {
		v = append(v, scriptEval)
	}
	v = append(v, body...)
	return db.pdb.Set(codec.ScriptKey(sha), v, db.scriptWriteOpts())
}

// GetScript returns a recorded script body.
func (db *DB) GetScript(sha string) (body []byte, loaded bool, found bool, err error) {
	v, closer, err := db.pdb.Get(codec.ScriptKey(sha))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, false, nil
	}
	if err != nil {
		return nil, false, false, err
	}
	defer closer.Close()
	if len(v) == 0 {
		return nil, false, false, nil
	}
	return append([]byte(nil), v[1:]...), v[0] == scriptLoaded, true, nil
}

// DeleteScripts removes script records.
func (db *DB) DeleteScripts(shas []string) error {
	b := db.pdb.NewBatch()
	defer b.Close()
	for _, sha := range shas {
		if err := b.Delete(codec.ScriptKey(sha), nil); err != nil {
			return err
		}
	}
	return b.Commit(db.scriptWriteOpts())
}

// FlushScripts removes every script record (SCRIPT FLUSH).
func (db *DB) FlushScripts() error {
	start := []byte{codec.TagScript}
	return db.pdb.DeleteRange(start, codec.PrefixEnd(start), db.scriptWriteOpts())
}

// ListScripts calls fn with every recorded script's SHA1, origin and body
// size.
func (db *DB) ListScripts(fn func(sha string, loaded bool, size int) error) error {
	start := []byte{codec.TagScript}
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: codec.PrefixEnd(start)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		v := it.Value()
		if len(v) == 0 {
			continue
		}
		if err := fn(string(it.Key()[1:]), v[0] == scriptLoaded, len(v)-1); err != nil {
			return err
		}
	}
	return it.Error()
}

func (db *DB) scriptWriteOpts() *pebble.WriteOptions {
	if db.SyncPolicy() == SyncAlways {
		return pebble.Sync
	}
	return pebble.NoSync
}
