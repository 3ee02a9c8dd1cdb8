package server

import "testing"

// A request start, peeked or just read, is classified by its command
// name; a name cut off is unknown, so it cannot hold a write back. The
// bytes are another client's, so no length they announce may break the
// classification, and connections classify what they read, so it must
// not allocate.
func TestRequestKind(t *testing.T) {
	for in, want := range map[string]string{
		"*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n":    "XREAD",
		"*3\r\n$5\r\nblpop\r\n$1\r\nk\r\n$1\r\n0": "blpop",
		"*3\r\n$5\r\nblp":                         "",
		"*3\r\n$":                                 "",
		"*1\r\n$-1\r\n":                           "",
		"*1\r\n$9223372036854775807\r\nX":         "", // must not panic
		"BRPOP k 0\r\n":                           "BRPOP",
		"PING\r\n":                                "PING",
		"PIN":                                     "",
		"":                                        "",
	} {
		if got := string(requestName([]byte(in))); got != want {
			t.Errorf("requestName(%q) = %q, want %q", in, got, want)
		}
	}
	for _, c := range []struct {
		in       string
		watching bool
		want     orderKind
	}{
		{"*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n", false, orderBlocking},
		{"*3\r\n$5\r\nBlPoP\r\n$1\r\nk\r\n$1\r\n0\r\n", false, orderBlocking},
		{"*3\r\n$5\r\nblp", false, 0},
		{"SUBSCRIBE ch\r\n", false, orderSubscribe},
		{"*1\r\n$4\r\nEXEC\r\n", true, orderExec},
		{"*1\r\n$4\r\nEXEC\r\n", false, 0},
		{"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", false, 0},
		{"*1\r\n$17\r\nxreadgroupxxxxxxx\r\n", false, 0}, // longer than any ordered name
	} {
		if got := requestKind([]byte(c.in), c.watching); got != c.want {
			t.Errorf("requestKind(%q, %v) = %d, want %d", c.in, c.watching, got, c.want)
		}
	}
	req := []byte("*6\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n")
	if n := testing.AllocsPerRun(100, func() { requestKind(req, false) }); n != 0 {
		t.Errorf("requestKind allocates %v times", n)
	}
}
