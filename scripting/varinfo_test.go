package scripting_test

import (
	"strings"
	"testing"

	"moonstone/scripting"
)

// Runtime errors name the variable as Lua 5.1 does. The names come from
// the running frame's pc, read from gopher-lua's unexported call frame
// (varinfo.go): if an upgrade moves it, every named case here falls back
// to the nameless form and fails. The cases after a closed block check
// the corrected local scopes (localscopes.go).
func TestErrorNamesVariables(t *testing.T) {
	e := scripting.NewEngine(newMemStore(), scripting.Options{})
	for _, c := range []struct{ src, want string }{
		{"local t = nil; t()", "attempt to call local 't' (a nil value)"},
		{"local t = {}; t.register_function()", "attempt to call field 'register_function' (a nil value)"},
		{"local t = {}; t:bar()", "attempt to call method 'bar' (a nil value)"},
		{"local t = {}; t[1]()", "attempt to call field '?' (a nil value)"},
		{"KEYS()", "attempt to call global 'KEYS' (a table value)"},
		{"local up; local function f() up() end; f()", "attempt to call upvalue 'up' (a nil value)"},
		{"local function f() local z; return z() end; return f()", "attempt to call local 'z' (a nil value)"},
		{"return (nil)()", "attempt to call a nil value"},
		{"local t; return t.x", "attempt to index local 't' (a nil value)"},
		{"local t; t.x = 1", "attempt to index local 't' (a nil value)"},
		{"local t = {}; return t.x.y", "attempt to index field 'x' (a nil value)"},
		{"return redis.call.x", "attempt to index field 'call' (a function value)"},
		{"local up; local function f() return up.x end; return f()", "attempt to index upvalue 'up' (a nil value)"},
		{"local x = 'a'; local function f() return x + 1 end; return f()", "attempt to perform arithmetic on upvalue 'x' (a string value)"},
		{"local a = 'abc'; local b; return a + b", "attempt to perform arithmetic on local 'a' (a string value)"},
		{"local a = '10'; local b; return a + b", "attempt to perform arithmetic on local 'b' (a nil value)"},
		{"return ARGV[1] + 1", "attempt to perform arithmetic on field '?' (a nil value)"},
		{"return 'a' + 1", "attempt to perform arithmetic on a string value"},
		{"local a = {}; return -a", "attempt to perform arithmetic on local 'a' (a table value)"},
		{"local n = 5; return #n", "attempt to get length of local 'n' (a number value)"},
		{"local v = {}; return 'a' .. v", "attempt to concatenate local 'v' (a table value)"},
		{"local a, b; return a .. b", "attempt to concatenate local 'a' (a nil value)"},
		{"local a; return 'x' .. 'y' .. a", "attempt to concatenate local 'a' (a nil value)"},
		{"local x = 1; return x .. {}", "attempt to concatenate a table value"},
		{"return 1 < nil", "attempt to compare number with nil"},
		{"local t = {}; for k, v in t.nope do end", "attempt to call a nil value"},
		{"for i = 1, 2 do end\nlocal t = nil\nt()", "attempt to call local 't' (a nil value)"},
		{"do local a, b, c = 1, 2, 3 end\nlocal x\nx.y = 1", "attempt to index local 'x' (a nil value)"},
		{"for i = 1, 2 do local z = 1 end\nredis.nosuch()", "attempt to call field 'nosuch' (a nil value)"},
		{"local i = 0; while i < 3 do local j = i; i = i + 1 end; local q; q()", "attempt to call local 'q' (a nil value)"},
		{"do local a = 1 end; return (nil)()", "attempt to call a nil value"},
		{"local ok, e = pcall(function() local t; return t.x end); return e", "attempt to index local 't' (a nil value)"},
	} {
		s, err := e.ForEval([]byte(c.src))
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		out := &discard{}
		e.Run(s, &echoHost{}, nil, nil, true, out)
		msg, _ := out.last.(string)
		if !strings.Contains(msg, ": "+c.want) || strings.Contains(msg, c.want+" value") {
			t.Errorf("%q:\n  got  %q\n  want %q", c.src, msg, c.want)
		}
	}
}
