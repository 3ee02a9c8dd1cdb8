package server

import (
	"bytes"
	"sync/atomic"
	"testing"
)

// waitingSource hands out its chunks one read at a time and, between them,
// waits as a socket does: marking the Reader idle, running between (the
// server's release pass, in the test), then busy again.
type waitingSource struct {
	chunks  [][]byte
	between func()
}

func (s *waitingSource) readTo(r *Reader, direct []byte) (int, error) {
	r.idle()
	s.between()
	r.busy()
	if len(s.chunks) == 0 {
		return 0, bytes.ErrTooLarge
	}
	n := copy(r.dest(direct), s.chunks[0])
	s.chunks[0] = s.chunks[0][n:]
	if len(s.chunks[0]) == 0 {
		s.chunks = s.chunks[1:]
	}
	return n, nil
}

func (*waitingSource) release() {}

// A connection that waits for its next request gives back its buffer and
// argument slabs once it has waited long enough, and only then: never
// while unread bytes are buffered (a blocked client's read-ahead), never
// when it has just started to wait. Arguments already returned, even one
// half read, stay as they were, and reading goes on into a new buffer.
func TestIdleReaderGivesBuffersBack(t *testing.T) {
	var epoch atomic.Int64
	epoch.Store(10)
	src := &waitingSource{chunks: [][]byte{
		[]byte("*2\r\n$3\r\nGET\r\n$5\r\nfirst\r\n"),
		[]byte("*2\r\n$3\r\nGET\r\n$6\r\nsec"), // a request in two parts
		[]byte("ond\r\n"),
		[]byte("*1\r\n$4\r\nPING\r\n"),
	}}
	r := newConnReader(src, DefaultLimits, nil, &epoch)
	var released []bool
	src.between = func() {
		// A wait that has just begun is not released; one that began
		// three epochs ago is, unless bytes are buffered.
		if r.releaseIdle(epoch.Load() - 3) {
			t.Errorf("released a wait that had just begun")
		}
		epoch.Add(3)
		released = append(released, r.releaseIdle(epoch.Load()-3))
		epoch.Add(1)
	}
	wantReleased := func(step string, want ...bool) {
		t.Helper()
		if len(released) != len(want) {
			t.Fatalf("%s: released at each wait %v, want %v", step, released, want)
		}
		for i := range want {
			if released[i] != want[i] {
				t.Fatalf("%s: released at each wait %v, want %v", step, released, want)
			}
		}
	}

	first, err := r.ReadCommand()
	if err != nil || len(first) != 2 || string(first[1]) != "first" {
		t.Fatalf("first request: %q %v", first, err)
	}
	if r.held.Load() != inBufSize {
		t.Fatalf("buffer held while reading: %d bytes", r.held.Load())
	}
	wantReleased("first request", false) // nothing to give back yet
	second, err := r.ReadCommand()
	if err != nil || string(second[1]) != "second" {
		t.Fatalf("second request: %q %v", second, err)
	}
	// Before it, and in its middle: "sec" was in its argument already.
	wantReleased("second request", false, true, true)
	// A blocked client's read-ahead: the PING stays buffered through the
	// wait after it.
	if err := r.awaitEnd(); err == nil {
		t.Fatal("read-ahead past the end")
	}
	wantReleased("read-ahead", false, true, true, true, false)
	third, err := r.ReadCommand()
	if err != nil || len(third) != 1 || string(third[0]) != "PING" {
		t.Fatalf("third request: %q %v", third, err)
	}
	if string(first[0]) != "GET" || string(first[1]) != "first" || string(second[1]) != "second" {
		t.Fatalf("arguments changed by the release: %q %q", first, second)
	}
	if _, err := r.ReadCommand(); err == nil {
		t.Fatal("read past the end")
	}
	wantReleased("end", false, true, true, true, false, true)
	if r.held.Load() != 0 || r.buf != nil || !r.argBytes.Empty() || !r.argLists.Empty() {
		t.Fatalf("a reader waiting with nothing buffered kept its buffers: held %d", r.held.Load())
	}
}
