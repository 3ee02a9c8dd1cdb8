package scripting

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Replacements for gopher-lua's string, table and math functions where they
// differ from Lua 5.1 as Redis ships it, where they would write past the
// read-only protection, or where one call could build an unbounded value
// that no SCRIPT KILL could interrupt (string.rep, table.concat, gsub).

func (v *vm) installString(str *lua.LTable) {
	L := v.L
	set := func(name string, fn lua.LGFunction) { str.RawSetString(name, L.NewFunction(fn)) }
	set("format", v.format)
	set("rep", func(L *lua.LState) int {
		s := checkString(L, 1)
		n := checkInt(L, 2)
		if n <= 0 || s == "" {
			L.Push(lua.LString(""))
			return 1
		}
		if int64(len(s))*int64(n)/int64(n) != int64(len(s)) || !v.allowAlloc(int64(len(s))*int64(n)) {
			L.RaiseError("string.rep: the result (%d bytes) would go over the script memory limit", int64(len(s))*int64(n))
		}
		L.Push(lua.LString(strings.Repeat(s, n)))
		return 1
	})
	set("byte", func(L *lua.LState) int {
		s := checkString(L, 1)
		posi := posRelat(optInt(L, 2, 1), len(s))
		pose := posRelat(optInt(L, 3, posi), len(s))
		if posi <= 0 {
			posi = 1
		}
		if pose > len(s) {
			pose = len(s)
		}
		if posi > pose {
			return 0
		}
		n := pose - posi + 1
		if L.GetTop()+n > luaMaxCStack {
			L.RaiseError("stack overflow (string slice too long)")
		}
		for i := posi; i <= pose; i++ {
			L.Push(lua.LNumber(s[i-1]))
		}
		return n
	})
	set("char", func(L *lua.LState) int {
		b := make([]byte, L.GetTop())
		for i := range b {
			c := checkInt(L, i+1)
			if c < 0 || c > 255 {
				argError(L, i+1, "char", "invalid value")
			}
			b[i] = byte(c)
		}
		L.Push(lua.LString(b))
		return 1
	})
	set("dump", func(L *lua.LState) int {
		L.CheckFunction(1)
		// A marker with Lua 5.1's binary signature: like a real dump, it
		// can never be loaded back (binary chunks are refused).
		L.Push(lua.LString("\x1bLuaQ\x00\x01\x04\x08\x04\x08\x00"))
		return 1
	})
	origGsub := str.RawGetString("gsub").(*lua.LFunction)
	set("gsub", func(L *lua.LState) int {
		src := checkString(L, 1)
		pattern := checkString(L, 2)
		repl := L.Get(3)
		maxN := optInt(L, 4, len(src)+1)
		switch r := repl.(type) {
		case lua.LString, lua.LNumber:
			rs := luaString(r)
			refs := int64(strings.Count(rs, "%"))
			matches := int64(min(maxN, len(src)+1))
			if matches < 0 {
				matches = 0
			}
			bound := int64(len(src)) + matches*int64(len(rs)) + refs*int64(len(src))
			if !v.allowAlloc(bound) {
				L.RaiseError("string.gsub: the result could go over the script memory limit")
			}
		case *lua.LTable, *lua.LFunction:
			repl = v.boundedRepl(L, r, int64(len(src)))
		default:
			argError(L, 3, "gsub", "string/function/table expected")
		}
		L.SetTop(0)
		L.Push(origGsub)
		L.Push(lua.LString(src))
		L.Push(lua.LString(pattern))
		L.Push(repl)
		L.Push(lua.LNumber(maxN))
		L.Call(4, 2)
		return 2
	})
}

// boundedRepl wraps a gsub replacement table or function so the total size
// of the replacements stays within the script's memory budget.
func (v *vm) boundedRepl(L *lua.LState, repl lua.LValue, base int64) *lua.LFunction {
	total := base
	return L.NewFunction(func(L *lua.LState) int {
		v.checkStop(L)
		var val lua.LValue
		if t, ok := repl.(*lua.LTable); ok {
			val = L.GetTable(v.realTable(t), L.Get(1))
		} else {
			L.Insert(repl, 1)
			L.Call(L.GetTop()-1, 1)
			val = L.Get(-1)
		}
		if isStringy(val) {
			total += int64(len(luaString(val)))
			if !v.allowAlloc(total) {
				L.RaiseError("string.gsub: the result would go over the script memory limit")
			}
		}
		L.SetTop(0)
		L.Push(val)
		return 1
	})
}

// posRelat is Lua 5.1's posrelat: a negative position counts from the end.
func posRelat(pos, n int) int {
	if pos < 0 {
		pos += n + 1
	}
	if pos < 0 {
		return 0
	}
	return pos
}

func (v *vm) installTable(tab *lua.LTable) {
	L := v.L
	readonlyGuard := func(name string) {
		orig := tab.RawGetString(name).(*lua.LFunction)
		tab.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			if t, ok := L.Get(1).(*lua.LTable); ok && v.isProtected(t) {
				v.raiseNoPos(L, errReadonly)
			}
			L.Insert(orig, 1)
			L.Call(L.GetTop()-1, lua.MultRet)
			return L.GetTop()
		}))
	}
	insert := tab.RawGetString("insert").(*lua.LFunction)
	tab.RawSetString("insert", L.NewFunction(func(L *lua.LState) int {
		if n := L.GetTop(); n != 2 && n != 3 {
			L.RaiseError("wrong number of arguments to 'insert'")
		}
		if t, ok := L.Get(1).(*lua.LTable); ok && v.isProtected(t) {
			v.raiseNoPos(L, errReadonly)
		}
		L.Insert(insert, 1)
		L.Call(L.GetTop()-1, 0)
		return 0
	}))
	readonlyGuard("remove")
	readonlyGuard("sort")
	readThrough := func(name string) {
		orig := tab.RawGetString(name).(*lua.LFunction)
		tab.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			if t, ok := L.Get(1).(*lua.LTable); ok {
				L.Replace(1, v.realTable(t))
			}
			L.Insert(orig, 1)
			L.Call(L.GetTop()-1, lua.MultRet)
			return L.GetTop()
		}))
	}
	readThrough("getn")
	readThrough("maxn")
	tab.RawSetString("setn", L.NewFunction(func(L *lua.LState) int {
		L.CheckTable(1)
		L.RaiseError("'setn' is obsolete")
		return 0
	}))
	tab.RawSetString("concat", L.NewFunction(func(L *lua.LState) int {
		t := v.realTable(L.CheckTable(1))
		sep := ""
		if L.Get(2) != lua.LNil {
			sep = checkString(L, 2)
		}
		first := optInt(L, 3, 1)
		last := optInt(L, 4, t.Len())
		if first > last {
			L.Push(lua.LString(""))
			return 1
		}
		var size int64
		for i := first; i <= last; i++ {
			val := t.RawGetInt(i)
			if !isStringy(val) {
				L.RaiseError("invalid value (%s) at index %d in table for 'concat'", val.Type().String(), i)
			}
			size += int64(len(luaString(val)))
			if i < last {
				size += int64(len(sep))
			}
		}
		if !v.allowAlloc(size) {
			L.RaiseError("table.concat: the result (%d bytes) would go over the script memory limit", size)
		}
		var b strings.Builder
		b.Grow(int(size))
		for i := first; i <= last; i++ {
			b.WriteString(luaString(t.RawGetInt(i)))
			if i < last {
				b.WriteString(sep)
			}
		}
		L.Push(lua.LString(b.String()))
		return 1
	}))
	tab.RawSetString("foreach", L.NewFunction(func(L *lua.LState) int {
		t := v.realTable(L.CheckTable(1))
		fn := L.CheckFunction(2)
		k, val := t.Next(lua.LNil)
		for k != lua.LNil {
			L.Push(fn)
			L.Push(k)
			L.Push(val)
			L.Call(2, 1)
			if r := L.Get(-1); r != lua.LNil {
				return 1
			}
			L.Pop(1)
			k, val = t.Next(k)
		}
		return 0
	}))
	tab.RawSetString("foreachi", L.NewFunction(func(L *lua.LState) int {
		t := v.realTable(L.CheckTable(1))
		fn := L.CheckFunction(2)
		n := t.Len()
		for i := 1; i <= n; i++ {
			L.Push(fn)
			L.Push(lua.LNumber(i))
			L.Push(t.RawGetInt(i))
			L.Call(2, 1)
			if r := L.Get(-1); r != lua.LNil {
				return 1
			}
			L.Pop(1)
		}
		return 0
	}))
}

func (v *vm) installMath(m *lua.LTable) {
	L := v.L
	m.RawSetString("huge", lua.LNumber(math.Inf(1)))
	m.RawSetString("random", L.NewFunction(func(L *lua.LState) int {
		r := float64(v.rng.next()%rand48Max) / float64(rand48Max)
		switch L.GetTop() {
		case 0:
			L.Push(lua.LNumber(r))
		case 1:
			u := int32(checkInt(L, 1))
			if u < 1 {
				argError(L, 1, "random", "interval is empty")
			}
			L.Push(lua.LNumber(math.Floor(r*float64(u)) + 1))
		case 2:
			l, u := int32(checkInt(L, 1)), int32(checkInt(L, 2))
			if l > u {
				argError(L, 2, "random", "interval is empty")
			}
			L.Push(lua.LNumber(math.Floor(r*(float64(u)-float64(l)+1)) + float64(l)))
		default:
			L.RaiseError("wrong number of arguments")
		}
		return 1
	}))
	m.RawSetString("randomseed", L.NewFunction(func(L *lua.LState) int {
		v.rng.seed(int32(checkInt(L, 1)))
		return 0
	}))
}

// format is Lua 5.1's string.format, with C printf's output. Its result is
// bounded by the memory budget like string.rep's.
func (v *vm) format(L *lua.LState) int {
	f := checkString(L, 1)
	arg := 1
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i < len(f) && f[i] == '%' {
			b.WriteByte('%')
			continue
		}
		// flags, width (2 digits), precision (2 digits)
		start := i
		for i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0 {
			i++
		}
		if i-start > 5 {
			L.RaiseError("invalid format (repeated flags)")
		}
		flags := f[start:i]
		wstart := i
		for i < len(f) && f[i] >= '0' && f[i] <= '9' {
			i++
		}
		width := f[wstart:i]
		prec, hasPrec := "", false
		if i < len(f) && f[i] == '.' {
			i++
			pstart := i
			for i < len(f) && f[i] >= '0' && f[i] <= '9' {
				i++
			}
			prec, hasPrec = f[pstart:i], true
		}
		if len(width) > 2 || len(prec) > 2 {
			L.RaiseError("invalid format (width or precision too long)")
		}
		if i >= len(f) {
			L.RaiseError("invalid option '%%' to 'format'")
		}
		conv := f[i]
		arg++
		if arg > L.GetTop() && conv != '%' {
			argError(L, arg, "format", "no value")
		}
		spec := "%" + flags + width
		if hasPrec {
			spec += "." + prec
		}
		switch conv {
		case 'c':
			n := checkNumber(L, arg, "format")
			padBytes(&b, string([]byte{byte(int(n))}), flags, width)
		case 'd', 'i':
			n := luaToInt64(checkNumber(L, arg, "format"))
			b.WriteString(fmt.Sprintf(spec+"d", n))
		case 'o', 'u', 'x', 'X':
			n := uint64(luaToInt64(checkNumber(L, arg, "format")))
			verb := conv
			if conv == 'u' {
				verb = 'd'
			}
			b.WriteString(fmt.Sprintf(spec+string(verb), n))
		case 'e', 'E', 'f', 'g', 'G':
			n := checkNumber(L, arg, "format")
			if math.IsInf(n, 0) || math.IsNaN(n) {
				s := formatLuaNumber(n)
				if !strings.HasPrefix(s, "-") && strings.ContainsAny(flags, "+ ") {
					if strings.Contains(flags, "+") {
						s = "+" + s
					} else {
						s = " " + s
					}
				}
				if conv == 'E' || conv == 'G' {
					s = strings.ToUpper(s)
				}
				padBytes(&b, s, strings.ReplaceAll(flags, "0", ""), width)
				continue
			}
			if !hasPrec {
				spec += ".6"
			}
			b.WriteString(fmt.Sprintf(spec+string(conv), n))
		case 'q':
			s := checkStringArg(L, arg, "format")
			v.checkGrowth(L, "string.format", b.Len()+2*len(s))
			writeQuoted(&b, s)
		case 's':
			s := checkStringArg(L, arg, "format")
			v.checkGrowth(L, "string.format", b.Len()+len(s))
			if !hasPrec && len(s) >= 100 {
				b.WriteString(s)
				continue
			}
			if hasPrec {
				p, _ := strconv.Atoi(prec)
				if p < len(s) {
					s = s[:p]
				}
			}
			padBytes(&b, s, flags, width)
		default:
			L.RaiseError("invalid option '%%%c' to 'format'", conv)
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// checkGrowth raises an error when a function building a value of size
// bytes would take the run over its memory budget.
func (v *vm) checkGrowth(L *lua.LState, fname string, size int) {
	if size >= concatCheckFrom && !v.allowAlloc(int64(size)) {
		L.RaiseError("%s: the result (%d bytes) would go over the script memory limit", fname, size)
	}
}

// padBytes writes s padded with spaces to width bytes (C counts bytes, Go's
// fmt counts runes).
func padBytes(b *strings.Builder, s, flags, width string) {
	w, _ := strconv.Atoi(width)
	pad := w - len(s)
	if pad > 0 && !strings.Contains(flags, "-") {
		b.WriteString(strings.Repeat(" ", pad))
	}
	b.WriteString(s)
	if pad > 0 && strings.Contains(flags, "-") {
		b.WriteString(strings.Repeat(" ", pad))
	}
}

// writeQuoted is Lua 5.1's %q.
func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString("\\\n")
		case '\r':
			b.WriteString("\\r")
		case 0:
			b.WriteString("\\000")
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// checkNumber is luaL_checknumber with Lua 5.1's message.
func checkNumber(L *lua.LState, n int, fname string) float64 {
	switch x := L.Get(n).(type) {
	case lua.LNumber:
		return float64(x)
	case lua.LString:
		if f, ok := parseLuaNumber(string(x)); ok {
			return f
		}
	}
	argTypeError(L, n, fname, "number")
	return 0
}

func checkStringArg(L *lua.LState, n int, fname string) string {
	switch x := L.Get(n).(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		return formatLuaNumber(float64(x))
	}
	argTypeError(L, n, fname, "string")
	return ""
}

// argTypeError raises Lua 5.1's "bad argument #n to 'f' (number expected,
// got nil)".
func argTypeError(L *lua.LState, n int, fname, expected string) {
	got := "no value"
	if n <= L.GetTop() {
		got = L.Get(n).Type().String()
	}
	argError(L, n, fname, expected+" expected, got "+got)
}
