package server

import (
	"strconv"

	"github.com/tidwall/redcon"

	"moonstone/codec"
)

// Reply is where a command writes its answer. The network writes RESP to a
// client; a script's redis.call builds Lua values from the same calls, so a
// command is written once for both.
//
// Aggregates are announced with their length (Array, Map, Set) and followed
// by exactly that many elements (for Map, twice as many: key then value).
type Reply interface {
	Status(s string)
	// Error writes an error reply; msg starts with its code ("ERR ...").
	Error(msg string)
	Int(n int64)
	Bulk(b []byte)
	BulkString(s string)
	// Null is the absent value: RESP2's null bulk string.
	Null()
	// NullArray is RESP2's null array (*-1), used by a few commands where
	// Redis answers with it.
	NullArray()
	Array(n int)
	Map(n int)
	Set(n int)
	Double(f float64)
}

// respWriter writes RESP2 to a client through redcon's writer.
type respWriter struct {
	w *redcon.Writer
}

func (r *respWriter) Status(s string)     { r.w.WriteString(s) }
func (r *respWriter) Error(msg string)    { r.w.WriteError(msg) }
func (r *respWriter) Int(n int64)         { r.w.WriteInt64(n) }
func (r *respWriter) Bulk(b []byte)       { r.w.WriteBulk(b) }
func (r *respWriter) BulkString(s string) { r.w.WriteBulkString(s) }
func (r *respWriter) Null()               { r.w.WriteNull() }
func (r *respWriter) NullArray()          { r.w.WriteRaw([]byte("*-1\r\n")) }
func (r *respWriter) Array(n int)         { r.w.WriteArray(n) }
func (r *respWriter) Map(n int)           { r.w.WriteArray(2 * n) }
func (r *respWriter) Set(n int)           { r.w.WriteArray(n) }
func (r *respWriter) Double(f float64)    { r.w.WriteBulkString(codec.FormatDouble(f)) }

// bulkStrings writes an array of bulk strings.
func bulkStrings(r Reply, items [][]byte) {
	r.Array(len(items))
	for _, it := range items {
		r.Bulk(it)
	}
}

// bulkOrNull writes b, or a null when ok is false.
func bulkOrNull(r Reply, b []byte, ok bool) {
	if !ok {
		r.Null()
		return
	}
	r.Bulk(b)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Status replies used often.
const (
	replyOK     = "OK"
	replyQueued = "QUEUED"
)
