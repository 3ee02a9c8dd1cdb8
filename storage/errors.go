package storage

import "errors"

// Errors returned to clients. Their texts are Redis 7.0's, byte for byte, so
// the server can reply with err.Error() directly.
var (
	ErrWrongType     = errors.New("WRONGTYPE Operation against a key holding the wrong kind of value")
	ErrNotInteger    = errors.New("ERR value is not an integer or out of range")
	ErrNotFloat      = errors.New("ERR value is not a valid float")
	ErrOverflow      = errors.New("ERR increment or decrement would overflow")
	ErrNaNOrInf      = errors.New("ERR increment would produce NaN or Infinity")
	ErrNoSuchKey     = errors.New("ERR no such key")
	ErrStringTooLong = errors.New("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
	ErrBitOffset     = errors.New("ERR bit offset is not an integer or out of range")
	ErrSameObject    = errors.New("ERR source and destination objects are the same")
	ErrIndexRange    = errors.New("ERR index out of range")
	ErrScoreNaN      = errors.New("ERR resulting score is not a number (NaN)")
	ErrReadOnlyTx    = errors.New("storage: write in a read-only transaction")
)

// Errors of the hash and set commands.
var (
	ErrHashNotInteger = errors.New("ERR hash value is not an integer")
	ErrHashNotFloat   = errors.New("ERR hash value is not a float")
	ErrNaNOrInfValue  = errors.New("ERR value is NaN or Infinity")
)

// ErrFormat reports a data directory written by an incompatible version.
var ErrFormat = errors.New("storage: unsupported on-disk format")
