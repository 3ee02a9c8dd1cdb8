package storage

import "moonstone/codec"

// FlushFunctions deletes every stored function library.
func (tx *Tx) FlushFunctions() error {
	return tx.deleteRange([]byte{codec.TagFunction}, []byte{codec.TagFunction + 1})
}
