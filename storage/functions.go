package storage

import (
	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
)

// Function libraries: one record per library, keyed by its name
// (codec.FunctionKey), holding the library's code as FUNCTION LOAD got it
// (shebang line included). They are written in the transaction of the
// command that changed them (FUNCTION LOAD, DELETE, FLUSH, RESTORE), so
// they are as durable as any data and are in every checkpoint; the server
// loads them all at start-up.

// PutFunction records a library's code, replacing any of the same name.
func (tx *Tx) PutFunction(name string, code []byte) error {
	return tx.set(codec.FunctionKey(name), code)
}

// DeleteFunction removes a library's record.
func (tx *Tx) DeleteFunction(name string) error {
	return tx.del(codec.FunctionKey(name))
}

// FlushFunctions deletes every stored function library.
func (tx *Tx) FlushFunctions() error {
	return tx.deleteRange([]byte{codec.TagFunction}, []byte{codec.TagFunction + 1})
}

// ListFunctions calls fn with every stored library's name and code, in
// name order. The code slice is fn's to keep.
func (db *DB) ListFunctions(fn func(name string, code []byte) error) error {
	start := []byte{codec.TagFunction}
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: codec.PrefixEnd(start)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		if err := fn(string(it.Key()[1:]), append([]byte(nil), it.Value()...)); err != nil {
			return err
		}
	}
	return it.Error()
}
