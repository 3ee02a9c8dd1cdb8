package server

import (
	"strconv"

	"github.com/tidwall/redcon"

	"moonstone/codec"
	"moonstone/scripting"
)

// Reply is where a command writes its answer: RESP for a client, Lua values
// for a script's redis.call, so a command is written once for both. It is
// defined once, in package scripting, which cannot import server.
type Reply = scripting.Reply

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
