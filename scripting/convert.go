package scripting

import (
	"strings"

	lua "github.com/yuin/gopher-lua"

	"moonstone/codec"
)

// Conversions between command replies and Lua values, as Redis 7 does them
// (script_lua.c: redisProtocolToLuaType and luaReplyToRedisReply).

// luaReply is the Reply a command writes into when a script calls it: it
// builds the Lua value redis.call returns. Aggregates are announced with
// their length, so a stack of open tables tracks where the next element
// goes.
type luaReply struct {
	resp   int // the script's protocol (redis.setresp), 2 or 3
	stack  []luaFrame
	result lua.LValue
	done   bool
}

type luaFrame struct {
	t       *lua.LTable
	left    int // elements still expected
	n       int // array elements placed so far
	kind    byte
	key     lua.LValue // a map's pending key
	wrapper *lua.LTable
}

const (
	frameArray = iota
	frameMap
	frameSet
)

func (r *luaReply) reset(resp int) {
	r.resp = resp
	r.stack = r.stack[:0]
	r.result = lua.LNil
	r.done = false
}

// value returns what the command replied (nil if it wrote nothing).
func (r *luaReply) value() lua.LValue {
	for i := range r.stack {
		r.stack[i] = luaFrame{}
	}
	r.stack = r.stack[:0]
	return r.result
}

// put places one complete value.
func (r *luaReply) put(v lua.LValue) {
	for {
		if len(r.stack) == 0 {
			if !r.done {
				r.result = v
				r.done = true
			}
			return
		}
		f := &r.stack[len(r.stack)-1]
		switch f.kind {
		case frameArray:
			f.n++
			f.t.RawSetInt(f.n, v)
			f.left--
		case frameSet:
			f.t.RawSet(v, lua.LTrue)
			f.left--
		case frameMap:
			if f.key == nil {
				f.key = v
				return
			}
			f.t.RawSet(f.key, v)
			f.key = nil
			f.left--
		}
		if f.left > 0 {
			return
		}
		// The aggregate is complete: it becomes a value of its parent.
		done := f.t
		if f.wrapper != nil {
			done = f.wrapper
		}
		r.stack = r.stack[:len(r.stack)-1]
		v = done
	}
}

func (r *luaReply) open(n int, kind byte, wrapperKey string) {
	t := newTable()
	var wrapper *lua.LTable
	if wrapperKey != "" {
		wrapper = newTable()
		wrapper.RawSetString(wrapperKey, t)
	}
	if n <= 0 {
		if wrapper != nil {
			r.put(wrapper)
		} else {
			r.put(t)
		}
		return
	}
	r.stack = append(r.stack, luaFrame{t: t, left: n, kind: kind, wrapper: wrapper})
}

func (r *luaReply) Status(s string) {
	t := newTable()
	t.RawSetString("ok", lua.LString(s))
	r.put(t)
}

// Error becomes {err="CODE message"}: an error without a code gets ERR, as
// Redis's luaPushErrorBuff does. The error was counted in INFO errorstats
// when the command gave it, so the table says so, in the field Redis uses
// (scripts see it): a script that fails with it does not count it again.
func (r *luaReply) Error(msg string) {
	t := errorTable(msg)
	t.RawSetString(fieldErrorCounted, lua.LTrue)
	r.put(t)
}

// fieldErrorCounted marks an error table whose error INFO errorstats
// already counted (Redis's ignore_error_stats_update).
const fieldErrorCounted = "ignore_error_stats_update"

// errorCounted reports whether t is marked with fieldErrorCounted; as in
// Redis, only a boolean true counts.
func errorCounted(t *lua.LTable) bool {
	return t.RawGetString(fieldErrorCounted) == lua.LTrue
}

func (r *luaReply) Int(n int64)         { r.put(lua.LNumber(n)) }
func (r *luaReply) Bulk(b []byte)       { r.put(lua.LString(b)) }
func (r *luaReply) BulkString(s string) { r.put(lua.LString(s)) }

func (r *luaReply) Null() {
	if r.resp == 3 {
		r.put(lua.LNil)
		return
	}
	r.put(lua.LFalse)
}

func (r *luaReply) NullArray() { r.Null() }

func (r *luaReply) Array(n int) { r.open(n, frameArray, "") }

func (r *luaReply) Map(n int) {
	if r.resp == 3 {
		r.open(n, frameMap, "map")
		return
	}
	r.open(2*n, frameArray, "")
}

func (r *luaReply) Set(n int) {
	if r.resp == 3 {
		r.open(n, frameSet, "set")
		return
	}
	r.open(n, frameArray, "")
}

func (r *luaReply) Double(f float64) {
	if r.resp == 3 {
		t := newTable()
		t.RawSetString("double", lua.LNumber(f))
		r.put(t)
		return
	}
	r.put(lua.LString(codec.FormatDouble(f)))
}

// HumanDouble is Double in Redis's human text: a string under RESP2, and
// under RESP3 {double=n} with n read back from that text, as Redis's
// reply parser reads a double.
func (r *luaReply) HumanDouble(f float64) {
	s := codec.FormatHumanDouble(f)
	if r.resp == 3 {
		n, _ := codec.ParseFloat([]byte(s))
		t := newTable()
		t.RawSetString("double", lua.LNumber(n))
		r.put(t)
		return
	}
	r.put(lua.LString(s))
}

func (r *luaReply) Resp() int { return r.resp }

// Bool is a Lua boolean under RESP3; RESP2 sends booleans as 1 and 0.
func (r *luaReply) Bool(b bool) {
	switch {
	case r.resp == 3:
		r.put(lua.LBool(b))
	case b:
		r.put(lua.LNumber(1))
	default:
		r.put(lua.LNumber(0))
	}
}

// BigNumber is {big_number="digits"} under RESP3, a string under RESP2.
func (r *luaReply) BigNumber(s string) {
	if r.resp == 3 {
		t := newTable()
		t.RawSetString("big_number", lua.LString(s))
		r.put(t)
		return
	}
	r.put(lua.LString(s))
}

// Verbatim is {verbatim_string={format="txt", string=s}} under RESP3, a
// string under RESP2.
func (r *luaReply) Verbatim(format, s string) {
	if r.resp == 3 {
		ext := []byte("   ")
		copy(ext, format)
		v := newTable()
		v.RawSetString("string", lua.LString(s))
		v.RawSetString("format", lua.LString(ext))
		t := newTable()
		t.RawSetString("verbatim_string", v)
		r.put(t)
		return
	}
	r.put(lua.LString(s))
}

// Push never reaches a script (no command it may call pushes); it reads as
// an array.
func (r *luaReply) Push(n int) { r.open(n, frameArray, "") }

// errorTable builds the {err=...} table of an error reply.
func errorTable(msg string) *lua.LTable {
	t := newTable()
	t.RawSetString("err", lua.LString(normalizeError(msg)))
	return t
}

// normalizeError is luaPushErrorBuff: the text before the first space is the
// error code, and a message without one gets "ERR"; trailing newlines go.
func normalizeError(msg string) string {
	code, rest, ok := strings.Cut(msg, " ")
	if !ok {
		code, rest = "ERR", msg
	}
	return code + " " + strings.TrimRight(rest, "\r\n")
}

// isErrorTable reports whether v is a table with a string err field.
func isErrorTable(v lua.LValue) (*lua.LTable, bool) {
	t, ok := v.(*lua.LTable)
	if !ok {
		return nil, false
	}
	_, ok = t.RawGetString("err").(lua.LString)
	return t, ok
}

// maxReplyDepth is how deeply a returned table may nest before the reply is
// cut with "reached lua stack limit", as Redis does when its Lua stack runs
// out (a table that contains itself would otherwise never end).
const maxReplyDepth = 7990

// writeLuaValue converts a script's return value to a reply. Only raw
// accesses are made, so metatables never run code here.
func writeLuaValue(out Reply, v lua.LValue, resp int, depth int) {
	if depth > maxReplyDepth {
		out.Error("ERR reached lua stack limit")
		return
	}
	switch v := v.(type) {
	case lua.LString:
		out.BulkString(string(v))
	case lua.LBool:
		// The script's protocol decides (luaReplyToRedisReply): under
		// RESP2 false is a null, under RESP3 a boolean, which a RESP2
		// client reads as 0.
		switch {
		case resp == 3:
			out.Bool(bool(v))
		case bool(v):
			out.Int(1)
		default:
			out.Null()
		}
	case lua.LNumber:
		out.Int(luaToInt64(float64(v)))
	case *lua.LTable:
		writeLuaTable(out, v, resp, depth)
	default:
		out.Null()
	}
}

func writeLuaTable(out Reply, t *lua.LTable, resp int, depth int) {
	if s, ok := t.RawGetString("err").(lua.LString); ok {
		writeError(out, string(s), errorCounted(t))
		return
	}
	if s, ok := t.RawGetString("ok").(lua.LString); ok {
		out.Status(sanitizeLine(string(s)))
		return
	}
	if n, ok := t.RawGetString("double").(lua.LNumber); ok {
		out.Double(float64(n))
		return
	}
	if s, ok := t.RawGetString("big_number").(lua.LString); ok {
		out.BigNumber(sanitizeLine(string(s)))
		return
	}
	if vt, ok := t.RawGetString("verbatim_string").(*lua.LTable); ok {
		f, fok := vt.RawGetString("format").(lua.LString)
		s, sok := vt.RawGetString("string").(lua.LString)
		if fok && sok {
			out.Verbatim(string(f), string(s))
			return
		}
	}
	if m, ok := t.RawGetString("map").(*lua.LTable); ok {
		n := 0
		m.ForEach(func(_, _ lua.LValue) { n++ })
		out.Map(n)
		m.ForEach(func(k, v lua.LValue) {
			writeLuaValue(out, k, resp, depth+1)
			writeLuaValue(out, v, resp, depth+1)
		})
		return
	}
	if s, ok := t.RawGetString("set").(*lua.LTable); ok {
		n := 0
		s.ForEach(func(_, _ lua.LValue) { n++ })
		out.Set(n)
		s.ForEach(func(k, _ lua.LValue) { writeLuaValue(out, k, resp, depth+1) })
		return
	}
	// An array: elements 1, 2, ... up to the first nil.
	n := 0
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	out.Array(n)
	for i := 1; i <= n; i++ {
		writeLuaValue(out, t.RawGetInt(i), resp, depth+1)
	}
}

// luaToInt64 is C's (long long) cast of a double on x86-64: truncation,
// and the "integer indefinite" value for NaN and out-of-range numbers.
func luaToInt64(f float64) int64 {
	if f != f || f >= 9223372036854775808.0 || f < -9223372036854775808.0 {
		return -1 << 63
	}
	return int64(f)
}

// writeError writes a script's error reply: msg as an error line (see
// errorLine). counted says INFO errorstats already counted it (an error a
// command the script called gave); a Reply that keeps statistics then
// receives it through CountedError.
func writeError(out Reply, msg string, counted bool) {
	msg = errorLine(msg)
	if w, ok := out.(CountedErrorWriter); ok && counted {
		w.CountedError(msg)
		return
	}
	out.Error(msg)
}

// errorLine is the one sanitizing of a script's error reply, as Redis's
// addReplyErrorFormatEx does it on "-" and the message: trailing CR and LF
// go, those inside become spaces (a leading one too: the "-" protects it
// from the trim).
func errorLine(msg string) string {
	return sanitizeLine(strings.TrimRight(msg, "\r\n"))
}

// sanitizeLine replaces CR and LF, which cannot appear in a status or error
// line, with spaces.
func sanitizeLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// newTable returns an empty table (the zero LTable lacks gopher-lua's nil
// metatable marker).
func newTable() *lua.LTable { return &lua.LTable{Metatable: lua.LNil} }
