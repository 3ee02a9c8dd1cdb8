package scripting

import (
	"regexp"
)

// gopher-lua words some runtime errors differently from Lua 5.1. luaMessage
// rewrites the ones whose Lua 5.1 wording can be derived from gopher-lua's
// (operand types are in both), so scripts and clients see Redis's texts:
//
//	cannot perform add operation between number and nil
//	    -> attempt to perform arithmetic on a nil value
//	attempt to index a non-table object(nil) with key 'x'
//	    -> attempt to index a nil value
//	bad argument #1 to rep (...)  ->  bad argument #1 to 'rep' (...)
//
// Lua 5.1 also names the variable involved ("attempt to index local 't'
// (a nil value)"). The name is found where the error is raised, while the
// failing function is still on the stack (varinfo.go); what reaches
// luaMessage still in gopher-lua's words is an error that had no name to
// give and gets Lua's nameless form (coroutine.resume returns its
// coroutine's errors as gopher-lua words them). Calling a non-function and
// # of a non-table are worded by the VM hooks (vmhooks.go).
var (
	reArith   = regexp.MustCompile(`cannot perform (\w+) operation between (\w+) and (\w+)`)
	reIndex   = regexp.MustCompile(`attempt to index a non-table object\((\w+)\) with key '(?s:.*?)'`)
	reCompare = regexp.MustCompile(`attempt to compare (\w+) with (\w+)`)
	reBadArg  = regexp.MustCompile(`bad argument #(\d+) to ([\w.]+) \(`)
)

func luaMessage(msg string) string {
	msg = reArith.ReplaceAllStringFunc(msg, func(m string) string {
		p := reArith.FindStringSubmatch(m)
		op, a, b := p[1], p[2], p[3]
		if op == "concat" {
			bad := a
			if a == "string" || a == "number" {
				bad = b
			}
			return "attempt to concatenate a " + bad + " value"
		}
		bad := a
		if a == "number" {
			bad = b
		}
		return "attempt to perform arithmetic on a " + bad + " value"
	})
	msg = reIndex.ReplaceAllString(msg, "attempt to index a $1 value")
	msg = reCompare.ReplaceAllStringFunc(msg, func(m string) string {
		p := reCompare.FindStringSubmatch(m)
		if p[1] == p[2] {
			return "attempt to compare two " + p[1] + " values"
		}
		return m
	})
	return reBadArg.ReplaceAllString(msg, "bad argument #$1 to '$2' (")
}
