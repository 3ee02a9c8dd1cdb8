package server

import (
	"strconv"

	"moonstone/codec"
	"moonstone/scripting"
)

// Reply is where a command writes its answer: RESP for a client, Lua values
// for a script's redis.call, so a command is written once for both. It is
// defined once, in package scripting, which cannot import server.
type Reply = scripting.Reply

// respWriter writes RESP2 or RESP3 to a client through redcon's writer,
// following the connection's protocol (HELLO changes it between replies).
// RESP3 types redcon has no writer for are appended as raw bytes. The
// RESP2 forms are Redis's: a map is a flat array, a set an array, a double
// a bulk string, a boolean an integer, a big number and a verbatim string
// bulk strings.
type respWriter struct {
	w    *outBuffer
	resp *int // the connection's protocol, 2 or 3
	buf  []byte
}

func (r *respWriter) v3() bool { return *r.resp == 3 }

func (r *respWriter) Resp() int           { return *r.resp }
func (r *respWriter) Status(s string)     { r.w.WriteString(s) }
func (r *respWriter) Error(msg string)    { r.w.WriteError(msg) }
func (r *respWriter) Int(n int64)         { r.w.WriteInt64(n) }
func (r *respWriter) Bulk(b []byte)       { r.w.WriteBulk(b) }
func (r *respWriter) BulkString(s string) { r.w.WriteBulkString(s) }
func (r *respWriter) Array(n int)         { r.w.WriteArray(n) }

func (r *respWriter) Null() {
	if r.v3() {
		r.w.WriteRaw(resp3Null)
		return
	}
	r.w.WriteNull()
}

func (r *respWriter) NullArray() {
	if r.v3() {
		r.w.WriteRaw(resp3Null)
		return
	}
	r.w.WriteRaw(resp2NullArray)
}

func (r *respWriter) Map(n int) {
	if r.v3() {
		r.header('%', n)
		return
	}
	r.w.WriteArray(2 * n)
}

func (r *respWriter) Set(n int) {
	if r.v3() {
		r.header('~', n)
		return
	}
	r.w.WriteArray(n)
}

func (r *respWriter) Push(n int) {
	if r.v3() {
		r.header('>', n)
		return
	}
	r.w.WriteArray(n)
}

// Double is addReplyDouble: %.17g, with inf, -inf and nan spelled as C
// prints them.
func (r *respWriter) Double(f float64) { r.doubleText(codec.FormatDouble(f)) }

// HumanDouble is addReplyHumanLongDouble: "%.17Lf" with trailing zeros
// trimmed, a bulk string in RESP2 and a double in RESP3.
func (r *respWriter) HumanDouble(f float64) { r.doubleText(codec.FormatHumanDouble(f)) }

// doubleText writes a double already formatted: a bulk string in RESP2, a
// double in RESP3.
func (r *respWriter) doubleText(s string) {
	if !r.v3() {
		r.w.WriteBulkString(s)
		return
	}
	r.buf = append(append(append(r.buf[:0], ','), s...), '\r', '\n')
	r.w.WriteRaw(r.buf)
}

func (r *respWriter) Bool(b bool) {
	switch {
	case !r.v3() && b:
		r.w.WriteInt64(1)
	case !r.v3():
		r.w.WriteInt64(0)
	case b:
		r.w.WriteRaw(resp3True)
	default:
		r.w.WriteRaw(resp3False)
	}
}

func (r *respWriter) BigNumber(s string) {
	if !r.v3() {
		r.w.WriteBulkString(s)
		return
	}
	r.buf = append(append(append(r.buf[:0], '('), s...), '\r', '\n')
	r.w.WriteRaw(r.buf)
}

// Verbatim is addReplyVerbatim: format is a three-letter type ("txt"),
// padded with spaces or cut to three.
func (r *respWriter) Verbatim(format, s string) {
	if !r.v3() {
		r.w.WriteBulkString(s)
		return
	}
	ext := []byte("   ")
	copy(ext, format)
	r.buf = append(r.buf[:0], '=')
	r.buf = strconv.AppendInt(r.buf, int64(len(s)+4), 10)
	r.buf = append(append(append(append(r.buf, '\r', '\n'), ext...), ':'), s...)
	r.buf = append(r.buf, '\r', '\n')
	r.w.WriteRaw(r.buf)
}

func (r *respWriter) header(prefix byte, n int) {
	r.buf = strconv.AppendInt(append(r.buf[:0], prefix), int64(n), 10)
	r.buf = append(r.buf, '\r', '\n')
	r.w.WriteRaw(r.buf)
}

var (
	resp3Null      = []byte("_\r\n")
	resp3True      = []byte("#t\r\n")
	resp3False     = []byte("#f\r\n")
	resp2NullArray = []byte("*-1\r\n")
)

// pairs announces n pairs (member and score, field and value): a flat array
// of 2n in RESP2, an array of n two-element arrays in RESP3, as Redis's
// WITHSCORES and WITHVALUES replies. Each pair then starts with pair.
func pairs(r Reply, n int) {
	if r.Resp() == 3 {
		r.Array(n)
		return
	}
	r.Array(2 * n)
}

// pair starts one pair announced by pairs.
func pair(r Reply) {
	if r.Resp() == 3 {
		r.Array(2)
	}
}

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
