package server

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"sync/atomic"

	"moonstone/internal/slab"
)

// Limits bound what one client may make the server buffer, as Redis's
// proto-max-bulk-len, client-query-buffer-limit and inline limits do.
type Limits struct {
	MaxBulk      int64 // largest bulk string argument
	MaxQuery     int64 // largest total size of one command's arguments
	MaxInline    int   // longest inline command line
	MaxMultibulk int64 // most arguments in one command
}

// DefaultLimits are Redis 7.0's defaults.
var DefaultLimits = Limits{
	MaxBulk:      512 << 20,
	MaxQuery:     1 << 30,
	MaxInline:    64 << 10,
	MaxMultibulk: 1<<31 - 1,
}

// ProtocolError is a malformed request: the server replies with its text
// and closes the connection, as Redis does.
type ProtocolError struct{ msg string }

func (e *ProtocolError) Error() string { return "ERR Protocol error: " + e.msg }

func protoErr(msg string) error { return &ProtocolError{msg} }

// errQueryLimit means a client's query passed client-query-buffer-limit;
// Redis closes such a client without a reply.
var errQueryLimit = errors.New("query buffer limit reached")

// Reader parses requests from one client. Unlike redcon's reader it never
// allocates more than the client has actually sent (a huge declared length
// costs nothing until the bytes arrive), and it enforces Limits.
type Reader struct {
	src source
	inBuf
	net    *netCounts // counts the bytes read; nil in tests
	limits Limits
	// authed, when false, applies Redis's tighter limits for clients that
	// have not authenticated yet.
	authed func() bool
	// argBytes and argLists are where small arguments and argument lists are
	// cut from, so that a typical command costs no allocation of its own
	// (package slab: nothing cut is ever reused, so a command may keep its
	// arguments, in MULTI's queue or a blocked client's keys, for as long
	// as it likes). A list block lives while any list cut from it does, so
	// it must point only at small arguments: a command with a larger one
	// gets a list of its own (ownList).
	argBytes slab.Slab[byte]
	argLists slab.Slab[[]byte]
}

// Cutting sizes: arguments up to smallArg bytes come from blocks of 8 KB,
// argument lists up to smallList entries from blocks of 512.
const (
	smallArg  = 256
	smallList = 64
)

func newArgSlabs() (slab.Slab[byte], slab.Slab[[]byte]) {
	return slab.Slab[byte]{Small: smallArg, Block: 8 << 10}, slab.Slab[[]byte]{Small: smallList, Block: 512}
}

// argList returns an empty argument list with room for n arguments.
func (r *Reader) argList(n int) [][]byte { return r.argLists.Cut(n)[:0] }

// NewReader reads requests from r.
func NewReader(r io.Reader, limits Limits) *Reader {
	rd := &Reader{src: plainSource{r}, limits: limits}
	rd.argBytes, rd.argLists = newArgSlabs()
	return rd
}

// newConnReader reads a connection's requests from src, counting them in
// net; epoch is the server's, for releasing the buffers while idle
// (inbuf.go).
func newConnReader(src source, limits Limits, net *netCounts, epoch *atomic.Int64) *Reader {
	rd := &Reader{src: src, net: net, limits: limits}
	rd.argBytes, rd.argLists = newArgSlabs()
	rd.epoch = epoch
	return rd
}

// awaitEnd reads ahead without consuming, as Redis keeps reading a
// blocked client's socket into its query buffer, until the client's
// stream ends or fails (the error: io.EOF, a reset, an expired read
// deadline) or the buffer is full (nil: nothing more can be read without
// consuming). It runs on a watcher goroutine while the connection's own
// goroutine is parked; the caller stops it with a read deadline.
func (r *Reader) awaitEnd() error {
	for {
		n := r.Buffered()
		if n == inBufSize {
			return nil
		}
		if _, err := r.peek(n + 1); err != nil {
			return err
		}
	}
}

// CommandBuffered reports whether a whole, well-formed request is already
// buffered, so that ReadCommand will return it without waiting for the
// network. Malformed bytes report false: whatever precedes them (replies,
// a group of pipelined writes) is settled before ReadCommand fails on them.
func (r *Reader) CommandBuffered() bool {
	buf := r.buf[r.r:r.w]
	if len(buf) == 0 {
		return false
	}
	line := func() ([]byte, bool) {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			return nil, false
		}
		l := bytes.TrimSuffix(buf[:i], []byte("\r"))
		buf = buf[i+1:]
		return l, true
	}
	if buf[0] != '*' {
		_, ok := line()
		return ok
	}
	head, ok := line()
	if !ok {
		return false
	}
	n, ok := parseProtoInt(head[1:])
	if !ok {
		return false
	}
	for i := int64(0); i < n; i++ {
		l, ok := line()
		if !ok || len(l) == 0 || l[0] != '$' {
			return false
		}
		size, ok := parseProtoInt(l[1:])
		if !ok || size < 0 {
			return false
		}
		if int64(len(buf)) < size+2 {
			return false
		}
		buf = buf[size+2:]
	}
	return true
}

// ReadCommand returns the next request's arguments. An empty request (a
// blank inline line, or a multibulk of length <= 0) returns no arguments.
func (r *Reader) ReadCommand() ([][]byte, error) {
	c, err := r.peek(1)
	if err != nil {
		return nil, err
	}
	if c[0] != '*' {
		return r.readInline()
	}
	line, err := r.readLine(r.limits.MaxInline, "too big mbulk count string")
	if err != nil {
		return nil, err
	}
	n, ok := parseProtoInt(line[1:])
	if !ok || n > r.limits.MaxMultibulk {
		return nil, protoErr("invalid multibulk length")
	}
	if n <= 0 {
		return nil, nil
	}
	if n > 10 && r.authed != nil && !r.authed() {
		return nil, protoErr("unauthenticated multibulk length")
	}
	args := r.argList(int(min(n, 1024)))
	var total int64
	large := false
	for i := int64(0); i < n; i++ {
		line, err := r.readLine(r.limits.MaxInline, "too big bulk count string")
		if err != nil {
			return nil, err
		}
		if len(line) == 0 || line[0] != '$' {
			return nil, protoErr("expected '$', got '" + gotChar(line) + "'")
		}
		size, ok := parseProtoInt(line[1:])
		if !ok || size < 0 || size > r.limits.MaxBulk {
			return nil, protoErr("invalid bulk length")
		}
		if size > 16384 && r.authed != nil && !r.authed() {
			return nil, protoErr("unauthenticated bulk length")
		}
		total += size
		if total > r.limits.MaxQuery {
			return nil, errQueryLimit
		}
		arg, err := r.readBulk(size)
		if err != nil {
			return nil, err
		}
		args = append(args, arg)
		if size > smallArg {
			large = true
		}
	}
	if large {
		return r.ownList(args), nil
	}
	return args, nil
}

// ownList moves args out of the argument slab into a list of their own
// and clears their entries there. Otherwise the slab, shared by the next
// few hundred commands' lists and kept by any of them, would keep every
// large argument it ever pointed at: a connection sending 1 MB SETs held
// on to the last 170 values.
func (r *Reader) ownList(args [][]byte) [][]byte {
	if !r.argLists.Owns(args) {
		return args // allocated on its own
	}
	own := make([][]byte, len(args))
	copy(own, args)
	clear(args)
	return own
}

// readBulk reads size bytes plus CRLF, growing the buffer only as bytes
// arrive.
func (r *Reader) readBulk(size int64) ([]byte, error) {
	if size <= smallArg {
		buf := r.argBytes.Cut(int(size))
		if err := r.readFull(buf); err != nil {
			return nil, unexpectedEOF(err)
		}
		return buf, r.skipCRLF()
	}
	const chunk = 1 << 20
	buf := make([]byte, 0, min(size, chunk))
	for int64(len(buf)) < size {
		want := min(size-int64(len(buf)), chunk)
		start := len(buf)
		buf = append(buf, make([]byte, want)...)
		if err := r.readFull(buf[start:]); err != nil {
			return nil, unexpectedEOF(err)
		}
	}
	return buf, r.skipCRLF()
}

// skipCRLF consumes the two bytes after a bulk. Redis does not check them;
// neither do we.
func (r *Reader) skipCRLF() error {
	if err := r.discard(2); err != nil {
		return unexpectedEOF(err)
	}
	return nil
}

// readLine reads one CRLF- (or LF-) terminated line without its ending,
// failing with tooBig once more than max bytes have arrived without a
// newline, as Redis checks after each read. When the whole line is already
// buffered the result aliases the reader's buffer: use it before the next
// read.
func (r *Reader) readLine(max int, tooBig string) ([]byte, error) {
	var line []byte
	for {
		if r.Buffered() == 0 {
			if _, err := r.peek(1); err != nil {
				return nil, unexpectedEOF(err)
			}
		}
		buf := r.buf[r.r:r.w]
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			if line == nil {
				line = buf[:i+1]
			} else {
				line = append(line, buf[:i+1]...)
			}
			r.r += i + 1
			break
		}
		line = append(line, buf...)
		r.r += len(buf)
		if len(line) > max {
			return nil, protoErr(tooBig)
		}
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

func (r *Reader) readInline() ([][]byte, error) {
	line, err := r.readLine(r.limits.MaxInline, "too big inline request")
	if err != nil {
		return nil, err
	}
	args, ok := splitInline(line)
	if !ok {
		return nil, protoErr("unbalanced quotes in request")
	}
	return args, nil
}

// gotChar is the character a bulk header began with, as Redis's error
// shows it: an empty line shows the CR that ends it, and Redis prints CR
// and LF in errors as spaces.
func gotChar(line []byte) string {
	if len(line) == 0 || line[0] == '\r' || line[0] == '\n' {
		return " "
	}
	return string(line[0])
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseProtoInt parses a length in a request header as Redis's string2ll.
func parseProtoInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || (b[0] == '+') {
		return 0, false
	}
	return v, true
}

// splitInline splits an inline command line the way Redis's sdssplitargs
// does: whitespace-separated, with "double quotes" (supporting \n \r \t \b
// \a \\ \" and \xHH escapes) and 'single quotes' (supporting \').
func splitInline(line []byte) ([][]byte, bool) {
	var args [][]byte
	i := 0
	for {
		for i < len(line) && isInlineSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return args, true
		}
		var cur []byte
		inDQ, inSQ, done := false, false, false
		for !done {
			if i == len(line) {
				if inDQ || inSQ {
					return nil, false
				}
				break
			}
			c := line[i]
			switch {
			case inDQ:
				if c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]) {
					cur = append(cur, hexVal(line[i+2])<<4|hexVal(line[i+3]))
					i += 3
				} else if c == '\\' && i+1 < len(line) {
					i++
					switch line[i] {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, line[i])
					}
				} else if c == '"' {
					// A closing quote must be followed by a space or the end.
					if i+1 < len(line) && !isInlineSpace(line[i+1]) {
						return nil, false
					}
					done = true
				} else {
					cur = append(cur, c)
				}
			case inSQ:
				if c == '\\' && i+1 < len(line) && line[i+1] == '\'' {
					i++
					cur = append(cur, '\'')
				} else if c == '\'' {
					if i+1 < len(line) && !isInlineSpace(line[i+1]) {
						return nil, false
					}
					done = true
				} else {
					cur = append(cur, c)
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inDQ = true
				case '\'':
					inSQ = true
				default:
					cur = append(cur, c)
				}
			}
			if i < len(line) {
				i++
			}
		}
		if cur == nil {
			cur = []byte{}
		}
		args = append(args, cur)
	}
}

func isInlineSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' || c == 0
}

func isHex(c byte) bool { return bytes.IndexByte([]byte("0123456789abcdefABCDEF"), c) >= 0 }

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
