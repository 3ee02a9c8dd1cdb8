package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// Arguments are cut from shared slabs (Reader.argBytes, Reader.argLists),
// yet a command may keep its arguments as long as it likes: MULTI queues
// them, a blocked client keeps its keys. Reading more commands must never change an
// argument already returned, and appending to one must not write into the
// next.
func TestReaderArgumentsOutliveLaterCommands(t *testing.T) {
	var in bytes.Buffer
	var want [][]string
	sizes := []int{0, 1, 3, 16, 255, 256, 257, 4000, 9000, 70000}
	for i := 0; i < 3000; i++ {
		n := 1 + i%5
		cmd := make([]string, n)
		for j := range cmd {
			size := sizes[(i*7+j*3)%len(sizes)]
			cmd[j] = strings.Repeat(string(rune('a'+(i+j)%26)), size)
			if size > 0 {
				cmd[j] = fmt.Sprintf("%d:", i) + cmd[j][min(size, len(fmt.Sprintf("%d:", i))):]
			}
		}
		fmt.Fprintf(&in, "*%d\r\n", n)
		for _, a := range cmd {
			fmt.Fprintf(&in, "$%d\r\n%s\r\n", len(a), a)
		}
		want = append(want, cmd)
	}
	r := NewReader(&in, DefaultLimits)
	var got [][][]byte
	for range want {
		args, err := r.ReadCommand()
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range args {
			_ = append(a, "XXXXXXXX"...) // must reallocate, not spill
		}
		args = append(args, []byte("extra")) // the list too
		got = append(got, args[:len(args)-1])
	}
	for i, cmd := range want {
		if len(got[i]) != len(cmd) {
			t.Fatalf("command %d: %d args, want %d", i, len(got[i]), len(cmd))
		}
		for j, a := range cmd {
			if string(got[i][j]) != a {
				t.Fatalf("command %d arg %d changed: %.20q..., want %.20q...", i, j, got[i][j], a)
			}
		}
	}
}

// chunkedReader returns its bytes a few at a time, as a socket may: sizes
// cycles through the lengths of successive reads.
type chunkedReader struct {
	data  []byte
	sizes []byte
	i     int
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := len(c.data)
	if len(c.sizes) > 0 {
		n = 1 + int(c.sizes[c.i%len(c.sizes)])*97 // up to about 24 KB
		c.i++
	}
	n = min(n, len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// parseAll reads commands until the first error and describes them.
func parseAll(r *Reader) []string {
	var out []string
	for {
		args, err := r.ReadCommand()
		if err != nil {
			var pe *ProtocolError
			if errors.As(err, &pe) {
				return append(out, "protocol error: "+pe.msg)
			}
			return append(out, "end")
		}
		out = append(out, fmt.Sprintf("%q", args))
	}
}

// However the bytes of a stream of requests are split across reads, the
// same requests come out, and the same protocol error stops them: the
// input buffer's refills, its compaction and the direct reads of large
// arguments must not show through.
func FuzzReaderIgnoresHowBytesArrive(f *testing.F) {
	big := strings.Repeat("x", 40000)
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\nPING\r\n*1\r\n$4\r\nPING\r\n"), []byte{0, 1, 2})
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$40000\r\n"+big+"\r\n*1\r\n$4\r\nQUIT\r\n"), []byte{3, 200, 0, 7})
	f.Add([]byte("set \"a b\" 'c'\r\n*1\r\n$x\r\n"), []byte{0})
	f.Add([]byte("*-1\r\n*0\r\n\r\n*1\r\n$-5\r\n"), []byte{5, 0})
	f.Add([]byte(strings.Repeat("a", 20000)+"\r\n"), []byte{10, 250})
	f.Fuzz(func(t *testing.T, data, sizes []byte) {
		whole := parseAll(NewReader(bytes.NewReader(data), DefaultLimits))
		split := parseAll(NewReader(&chunkedReader{data: data, sizes: sizes}, DefaultLimits))
		if len(whole) != len(split) {
			t.Fatalf("read whole: %d results, split: %d\n%q\n%q", len(whole), len(split), whole, split)
		}
		for i := range whole {
			if whole[i] != split[i] {
				t.Fatalf("result %d: read whole %s, split %s", i, whole[i], split[i])
			}
		}
	})
}
