package server_test

import (
	"strings"
	"testing"
	"time"

	"moonstone/internal/testkit"
)

// Nothing a client sends, however malformed, may take the server down or
// reach a command's panic guard ("internal error"): request bytes are read,
// checked against ACL rules and put in arrival order before any command's
// recover applies. The client is a user with key and channel patterns, so
// that the ACL checks run too; it may not run the commands that would stop
// the server for everyone (admin, dangerous, blocking, CLIENT PAUSE).
func FuzzRequestsNeverCrashTheServer(f *testing.F) {
	for _, seed := range []string{
		"*2\r\n$3\r\nGET\r\n$2\r\nk1\r\n",
		"*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$1\r\nv\r\n*1\r\n$4\r\nPING\r\n",
		"*5\r\n$4\r\nEVAL\r\n$8\r\nreturn 1\r\n$1\r\n2\r\n$2\r\nk1\r\n$2\r\nk2\r\n",
		"*6\r\n$5\r\nXREAD\r\n$5\r\nCOUNT\r\n$1\r\n1\r\n$7\r\nSTREAMS\r\n$2\r\nk1\r\n$1\r\n0\r\n",
		"*4\r\n$11\r\nZUNIONSTORE\r\n$2\r\nk1\r\n$1\r\n1\r\n$2\r\nk2\r\n",
		"*1\r\n\r\n",
		"*1\r\n$9223372036854775807\r\nX",
		"MULTI\r\nSET k1 v\r\nEXEC\r\n",
		"SUBSCRIBE ch1\r\nPING\r\n",
		"set \"a b\r\n",
		"*2\r\n$4\r\nSORT\r\n$2\r\nk1\r\n",
	} {
		f.Add([]byte(seed))
	}
	s := testkit.Start(f, "user", "fuzz on >pw ~k* &ch* +@all -@admin -@dangerous -@blocking -client|pause -client|kill")
	control := testkit.Dial(f, s.Addr)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := testkit.DialRaw(s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if r, err := c.Do("AUTH", "fuzz", "pw"); err != nil || r != "+OK\r\n" {
			t.Fatalf("AUTH: %q %v", r, err)
		}
		c.Write(data)
		var got strings.Builder
		for {
			r, err := c.ReadWithin(20)
			if err != nil {
				break
			}
			got.WriteString(r)
		}
		if strings.Contains(got.String(), "internal error") {
			t.Fatalf("request %q reached a command's panic guard: %q", data, got.String())
		}
		done := make(chan string, 1)
		go func() {
			r, _ := control.Do("PING")
			done <- r
		}()
		select {
		case r := <-done:
			// A script the input left looping makes it BUSY: alive.
			if r != "+PONG\r\n" && !strings.HasPrefix(r, "-BUSY ") {
				t.Fatalf("after %q the server answers PING with %q", data, r)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("after %q the server does not answer PING", data)
		}
	})
}
