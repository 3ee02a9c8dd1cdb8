package testkit

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
)

// RawConn is a minimal RESP client that returns replies as raw bytes, so
// tests can compare servers exactly.
type RawConn struct {
	c  net.Conn
	br *bufio.Reader
}

// DialRaw connects to addr.
func DialRaw(addr string) (*RawConn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &RawConn{c: c, br: bufio.NewReader(c)}, nil
}

// Close closes the connection.
func (r *RawConn) Close() error { return r.c.Close() }

// CloseWrite half-closes the connection: the server reads its end, and
// the client can still read what the server sends.
func (r *RawConn) CloseWrite() error { return r.c.(*net.TCPConn).CloseWrite() }

// Do sends one command and returns its raw reply.
func (r *RawConn) Do(args ...string) (string, error) {
	if err := r.Send(args...); err != nil {
		return "", err
	}
	return r.Read()
}

// Send writes one command as a RESP multibulk.
func (r *RawConn) Send(args ...string) error {
	return r.Write(Request(args...))
}

// Request encodes one command as a RESP multibulk.
func Request(args ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

// Write sends raw bytes.
func (r *RawConn) Write(p []byte) error {
	r.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := r.c.Write(p)
	return err
}

// Read reads one complete reply, raw.
func (r *RawConn) Read() (string, error) {
	return r.read(30 * time.Second)
}

// ReadWithin reads one complete reply, raw, failing after ms milliseconds.
func (r *RawConn) ReadWithin(ms int) (string, error) {
	return r.read(time.Duration(ms) * time.Millisecond)
}

// Buffered is how many bytes of replies have arrived but not been read:
// what came in the same socket reads as the replies read so far.
func (r *RawConn) Buffered() int { return r.br.Buffered() }

func (r *RawConn) read(d time.Duration) (string, error) {
	r.c.SetReadDeadline(time.Now().Add(d))
	var b bytes.Buffer
	err := readReply(r.br, &b)
	return b.String(), err
}

func readReply(br *bufio.Reader, out *bytes.Buffer) error {
	line, err := br.ReadString('\n')
	if err != nil {
		return err
	}
	out.WriteString(line)
	if len(line) < 3 {
		return fmt.Errorf("short reply line %q", line)
	}
	body := strings.TrimSuffix(line[1:], "\r\n")
	switch line[0] {
	case '+', '-', ':', '_', '#', ',', '(':
		return nil
	case '$', '=', '!':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return err
		}
		out.Write(buf)
		return nil
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil {
			return err
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := readReply(br, out); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown reply type %q", line)
}

// splitElements splits a raw array reply into its header and elements.
func splitElements(raw string) (string, []string, bool) {
	if raw == "" || (raw[0] != '*' && raw[0] != '~' && raw[0] != '%') {
		return "", nil, false
	}
	br := bufio.NewReader(strings.NewReader(raw))
	header, _ := br.ReadString('\n')
	n, err := strconv.Atoi(strings.TrimSuffix(header[1:], "\r\n"))
	if err != nil || n < 0 {
		return "", nil, false
	}
	if raw[0] == '%' {
		n *= 2
	}
	els := make([]string, 0, n)
	for i := 0; i < n; i++ {
		var b bytes.Buffer
		if err := readReply(br, &b); err != nil {
			return "", nil, false
		}
		els = append(els, b.String())
	}
	return header, els, true
}

// unordered returns raw with its top-level elements sorted, so two
// replies that differ only in element order compare equal. A RESP3 map's
// entries are sorted as key-value pairs.
func unordered(raw string) string {
	header, els, ok := splitElements(raw)
	if !ok {
		return raw
	}
	if raw[0] == '%' {
		for i := 0; i+1 < len(els); i += 2 {
			els[i/2] = els[i] + els[i+1]
		}
		els = els[:len(els)/2]
	}
	sort.Strings(els)
	return header + strings.Join(els, "")
}

// ParseLine splits a command line the way redis-cli does: whitespace
// separated, "double quotes" with \n \r \t \xHH escapes, 'single quotes'.
func ParseLine(line string) ([]string, error) {
	var args []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			return args, nil
		}
		var cur strings.Builder
		switch line[i] {
		case '"':
			i++
			for {
				if i >= len(line) {
					return nil, fmt.Errorf("unbalanced quotes in %q", line)
				}
				c := line[i]
				if c == '"' {
					i++
					break
				}
				if c == '\\' && i+1 < len(line) {
					i++
					switch line[i] {
					case 'n':
						cur.WriteByte('\n')
					case 'r':
						cur.WriteByte('\r')
					case 't':
						cur.WriteByte('\t')
					case 'x':
						if i+2 < len(line) {
							v, err := strconv.ParseUint(line[i+1:i+3], 16, 8)
							if err == nil {
								cur.WriteByte(byte(v))
								i += 2
								break
							}
						}
						cur.WriteByte('x')
					default:
						cur.WriteByte(line[i])
					}
					i++
					continue
				}
				cur.WriteByte(c)
				i++
			}
		case '\'':
			i++
			for {
				if i >= len(line) {
					return nil, fmt.Errorf("unbalanced quotes in %q", line)
				}
				if line[i] == '\'' {
					i++
					break
				}
				cur.WriteByte(line[i])
				i++
			}
		default:
			for i < len(line) && line[i] != ' ' && line[i] != '\t' {
				cur.WriteByte(line[i])
				i++
			}
		}
		args = append(args, cur.String())
	}
}

// Elements splits a raw array, set or map reply into its header and its
// elements (a map's keys and values alternately, as a RESP2 map's flat
// array has them); ok is false for any other reply.
func Elements(raw string) (header string, elements []string, ok bool) {
	return splitElements(raw)
}
