package codec

// Small lists inside their metadata record.
//
// A list whose elements are few and short keeps them in its metadata
// record (Meta.LEntries) instead of one record per element: a job queue's
// push or pop then rewrites one record instead of writing an element and
// the metadata, and LRANGE of a capped list is one cached point read
// (storage/list_inline.go says when a list is inline).
//
// The payload is the elements from head to tail, each behind its length
// as a uvarint.

// SplitLEntries appends the elements of payload p to dst (each aliases p);
// false if p is corrupt.
func SplitLEntries(dst [][]byte, p []byte) ([][]byte, bool) { return splitEntries(dst, p, 0) }

// JoinLEntries appends the payload of elems, head first, to dst.
func JoinLEntries(dst []byte, elems [][]byte) []byte { return joinEntries(dst, elems) }

// LEntriesSize is the payload length of elems.
func LEntriesSize(elems [][]byte) int { return entriesSize(elems) }
