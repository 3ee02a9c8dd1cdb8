package server

import "testing"

// A peeked request start is classified by its command name; a name cut
// off by the peek is unknown, so it cannot hold a write back. The bytes are
// another client's, so no length they announce may break the peek.
func TestCommandName(t *testing.T) {
	for in, want := range map[string]string{
		"*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n":    "xread",
		"*3\r\n$5\r\nblpop\r\n$1\r\nk\r\n$1\r\n0": "blpop",
		"*3\r\n$5\r\nblp":                         "",
		"*3\r\n$":                                 "",
		"*1\r\n$-1\r\n":                           "",
		"*1\r\n$9223372036854775807\r\nX":         "", // another client's bytes: must not panic
		"BRPOP k 0\r\n":                           "brpop",
		"PING\r\n":                                "ping",
		"PIN":                                     "",
		"":                                        "",
	} {
		if got := commandName([]byte(in)); got != want {
			t.Errorf("commandName(%q) = %q, want %q", in, got, want)
		}
	}
}
