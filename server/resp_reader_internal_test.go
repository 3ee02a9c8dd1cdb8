package server

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// Arguments are carved from shared slabs (Reader.carve), yet a command may
// keep its arguments as long as it likes: MULTI queues them, a blocked
// client keeps its keys. Reading more commands must never change an
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
