package server

import (
	"io"
	"syscall"

	"github.com/tidwall/redcon"
)

// outBuffer is a connection's output: replies are appended in memory, in
// RESP as redcon encodes it, and sent by Flush. It replaces redcon's Writer,
// whose only way to tell how much is buffered is Buffer, a copy of all of
// it: the connection's loop asks after every pipelined command (to send a
// large output early), which made a long pipeline of large replies cost
// time quadratic in its length. It also saves the 4 KB bufio.Writer per
// connection that redcon's Writer carries for its WriteBulkFrom.
type outBuffer struct {
	w   io.Writer
	b   []byte
	err error // the first failed write; everything after it is dropped
}

// maxKeptOutput is the largest buffer kept for reuse after a flush, as
// redcon keeps: one client's large reply does not pin its memory.
const maxKeptOutput = 256 << 10

func newOutBuffer(w io.Writer) *outBuffer { return &outBuffer{w: w} }

// Len is the number of bytes buffered.
func (o *outBuffer) Len() int { return len(o.b) }

// Take returns what is buffered and leaves the buffer empty: the caller
// owns the bytes.
func (o *outBuffer) Take() []byte {
	b := o.b
	o.b = nil
	if o.err != nil {
		return nil
	}
	return b
}

// Truncate drops what was buffered after the first n bytes.
func (o *outBuffer) Truncate(n int) {
	if n < len(o.b) {
		o.b = o.b[:n]
	}
}

// Flush sends what is buffered.
func (o *outBuffer) Flush() error {
	if o.err != nil {
		return o.err
	}
	_, o.err = o.w.Write(o.b)
	if o.err != nil {
		o.b = nil
	} else {
		o.emptied(o.b)
	}
	return o.err
}

// emptied leaves the buffer empty once full, its whole content, was sent:
// the memory is kept for the next replies unless it is large.
func (o *outBuffer) emptied(full []byte) {
	if cap(full) > maxKeptOutput {
		o.b = nil
	} else {
		o.b = full[:0]
	}
}

// release drops an empty buffer's memory (an idle connection's; inbuf.go).
func (o *outBuffer) release() {
	if len(o.b) == 0 {
		o.b = nil
	}
}

// SendSome writes what is buffered through try, a write that does not
// wait for the socket, until everything is sent or try sends nothing, and
// reports whether the buffer is done with: sent, or failed for good (the
// error is kept, as Flush keeps it). What was not sent stays buffered.
func (o *outBuffer) SendSome(try func([]byte) (int, error)) bool {
	if o.err != nil {
		return true
	}
	full := o.b
	for len(o.b) > 0 {
		n, err := try(o.b)
		o.b = o.b[n:]
		if err == syscall.EAGAIN {
			return false
		}
		if err != nil {
			o.err = err
			o.b = nil
			return true
		}
	}
	o.emptied(full)
	return true
}

func (o *outBuffer) WriteNull()               { o.b = redcon.AppendNull(o.b) }
func (o *outBuffer) WriteArray(n int)         { o.b = redcon.AppendArray(o.b, n) }
func (o *outBuffer) WriteBulk(b []byte)       { o.b = redcon.AppendBulk(o.b, b) }
func (o *outBuffer) WriteBulkString(s string) { o.b = redcon.AppendBulkString(o.b, s) }
func (o *outBuffer) WriteError(msg string)    { o.b = redcon.AppendError(o.b, msg) }
func (o *outBuffer) WriteString(msg string)   { o.b = redcon.AppendString(o.b, msg) }
func (o *outBuffer) WriteInt64(n int64)       { o.b = redcon.AppendInt(o.b, n) }
func (o *outBuffer) WriteRaw(data []byte)     { o.b = append(o.b, data...) }
