package server

import (
	"strings"
	"testing"
	"time"
)

func TestGlobMatch(t *testing.T) {
	cases := []struct {
		pattern, s   string
		nocase, want bool
	}{
		{"*", "", false, false}, // as Redis; KEYS and SCAN special-case "*"
		{"*", "anything", false, true},
		{"h?llo", "hello", false, true},
		{"h?llo", "hllo", false, false},
		{"h*llo", "heeeello", false, true},
		{"h[ae]llo", "hallo", false, true},
		{"h[ae]llo", "hillo", false, false},
		{"h[^e]llo", "hallo", false, true},
		{"h[^e]llo", "hello", false, false},
		{"h[a-b]llo", "hbllo", false, true},
		{"h[b-a]llo", "hallo", false, true},
		{"h\\*llo", "h*llo", false, true},
		{"h\\*llo", "hello", false, false},
		{"HELLO", "hello", true, true},
		{"HELLO", "hello", false, false},
		{"[abc", "a", false, true},
		{"a*b", "acccb", false, true},
		{"a*b", "acccbc", false, false},
		{"*b*", "aabaa", false, true},
	}
	for _, c := range cases {
		if got := globMatch([]byte(c.pattern), []byte(c.s), c.nocase); got != c.want {
			t.Errorf("globMatch(%q, %q, nocase=%v) = %v", c.pattern, c.s, c.nocase, got)
		}
	}
}

// A pattern of many stars against a long near-miss must not go
// exponential (Redis's regression test for KEYS).
func TestGlobMatchNestedStarsIsFast(t *testing.T) {
	p := []byte(strings.Repeat("a*", 30) + "b")
	s := []byte(strings.Repeat("a", 100))
	done := make(chan bool)
	go func() { done <- globMatch(p, s, false) }()
	select {
	case m := <-done:
		if m {
			t.Fatal("matched")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("pattern matching did not finish")
	}
}
