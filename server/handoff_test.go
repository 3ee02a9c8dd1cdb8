package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"moonstone/internal/testkit"
)

// Replies to writes are sent by the syncer right after the fsync that
// makes them durable (handoff.go). A client that stops reading its replies
// must not hold up anyone else's: here one connection pipelines writes
// whose replies (each the 2 KB old value, SET ... GET) fill both socket
// buffers while it reads nothing, and a second client's writes must still
// be answered promptly. When the first client reads at last, every one of
// its replies is there, whole and in order.
func TestClientNotReadingDoesNotStallOthers(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	value := strings.Repeat("v", 2048)
	const n = 6000 // about 12 MB of replies: more than loopback sockets buffer
	if err := s.Client.Set(ctx, "big", value, 0).Err(); err != nil {
		t.Fatal(err)
	}

	slow, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	cmd := fmt.Sprintf("*4\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n%s\r\n$3\r\nGET\r\n", len(value), value)
	sent := make(chan error, 1)
	go func() {
		// In pipelines of 4 (8 KB of replies, under maxHandOff), so
		// that the server reaches the end of what it has read, and hands
		// its replies off, many times over.
		for i := 0; i < n; i += 4 {
			if _, err := io.WriteString(slow, strings.Repeat(cmd, 4)); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()

	// Let the slow client's replies back up, then write from another one.
	time.Sleep(500 * time.Millisecond)
	other := s.NewClient()
	defer other.Close()
	for i := 0; i < 50; i++ {
		start := time.Now()
		if err := other.Incr(ctx, "counter").Err(); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("INCR %d took %v while another client did not read", i, d)
		}
	}

	// The slow client reads everything now.
	br := bufio.NewReaderSize(slow, 64<<10)
	slow.SetReadDeadline(time.Now().Add(30 * time.Second))
	want := fmt.Sprintf("$%d\r\n%s\r\n", len(value), value)
	buf := make([]byte, len(want))
	for i := 0; i < n; i++ {
		if _, err := io.ReadFull(br, buf); err != nil {
			t.Fatalf("reply %d of %d: %v", i, n, err)
		}
		if string(buf) != want {
			t.Fatalf("reply %d of %d: %.40q", i, n, buf)
		}
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if got, err := other.Get(ctx, "counter").Result(); err != nil || got != "50" {
		t.Fatalf("counter = %q, %v", got, err)
	}
}
