package scripting

import (
	"reflect"
	"regexp"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Lua 5.1 names the variable a runtime error is about: "attempt to call
// field 'register_function' (a nil value)", "attempt to index local 't'
// (a nil value)", "attempt to perform arithmetic on upvalue 'x' (a string
// value)". It finds the name only when the error is raised, from the
// running function's bytecode (ldebug.c's getobjname): a register that
// holds an active local variable is "local 'name'"; otherwise the
// instruction that last wrote the register before the failing one, found
// by a forward pass over the code that follows forward jumps, says where
// the value came from: a global, a field read with a constant string key
// ("field '?'" for any other key), an upvalue, a method looked up by
// SELF, or a MOVE from a lower register, which is named in turn. Anything
// else (a constant, a call's result, an expression) has no name, and the
// message is the nameless "attempt to call a nil value".
//
// gopher-lua runs Lua 5.1's instruction set with a few additions of its
// own (GETTABLEKS and SETTABLEKS for constant string keys, MOVEN for a run
// of MOVEs, NOP), and allocates registers as Lua does: locals in the lowest
// registers, in declaration order, temporaries above them. So the same
// walk works on its prototypes. Two things are not reachable through its
// API and are read here at error time only:
//
//   - the running frame's pc: the function comes from GetStack/GetInfo,
//     the pc from the Debug value's unexported frame, read by reflection
//     (currentCode). That is tied to gopher-lua v1.1.2's callFrame;
//     TestErrorNamesVariables fails if an upgrade moves it, and the
//     messages then fall back to the nameless form.
//   - where each local's scope ends: gopher-lua records it under the
//     wrong index once a block's registers are reused (localscopes.go
//     corrects the prototypes when a script is compiled).
//
// Errors Moonstone detects itself before an instruction runs (calling,
// #, unary minus: vmhooks.go) are named there. Errors gopher-lua raises
// from inside an instruction (indexing, arithmetic, concatenation, a
// generic for's iterator that is not a function) are
// renamed by the trampoline's panic handler (sandbox.go: quietPanic),
// which runs while the failing frame is still on the stack; nothing is
// added to the instructions themselves, so naming costs nothing until an
// error is raised.

// currentCode returns the prototype and the pc of the instruction that the
// running Lua function is executing. ok is false for a Go function, or if
// the frame cannot be read.
func currentCode(L *lua.LState) (p *lua.FunctionProto, pc int, ok bool) {
	dbg, found := L.GetStack(0)
	if !found {
		return nil, 0, false
	}
	fv, err := L.GetInfo("f", dbg, lua.LNil)
	fn, isFn := fv.(*lua.LFunction)
	if err != nil || !isFn || fn.IsG || fn.Proto == nil {
		return nil, 0, false
	}
	frame := reflect.ValueOf(dbg).Elem().FieldByName("frame")
	if frame.Kind() != reflect.Pointer || frame.IsNil() {
		return nil, 0, false
	}
	next := frame.Elem().FieldByName("Pc")
	if next.Kind() != reflect.Int {
		return nil, 0, false
	}
	// The VM advances Pc before it runs an instruction.
	pc = int(next.Int()) - 1
	if pc < 0 || pc >= len(fn.Proto.Code) {
		return nil, 0, false
	}
	return fn.Proto, pc, true
}

// Instruction fields (gopher-lua's layout, which is Lua 5.1's with the
// opcode in the top six bits).
func opOf(i uint32) int   { return int(i >> 26) }
func argA(i uint32) int   { return int(i>>18) & 0xff }
func argB(i uint32) int   { return int(i & 0x1ff) }
func argC(i uint32) int   { return int(i>>9) & 0x1ff }
func argBx(i uint32) int  { return int(i & 0x3ffff) }
func argSBx(i uint32) int { return argBx(i) - 0x1ffff }

// localName is the name of the local variable in register reg at pc, if
// one is active there.
func localName(p *lua.FunctionProto, reg, pc int) (string, bool) {
	n := 0
	for _, l := range p.DbgLocals {
		if l.StartPc > pc {
			break
		}
		if pc <= l.EndPc {
			if n == reg {
				return l.Name, true
			}
			n++
		}
	}
	return "", false
}

// lastWriter finds the instruction that last set register reg before
// lastpc, passing over code that a forward jump skips, as Lua 5.1's
// symbexec does; -1 if none did (or only instructions that leave no
// name).
func lastWriter(p *lua.FunctionProto, lastpc, reg int) int {
	last := -1
	code := p.Code
	for pc := 0; pc < lastpc && pc < len(code); pc++ {
		i := code[pc]
		op, a := opOf(i), argA(i)
		switch op {
		case lua.OP_MOVE, lua.OP_MOVEN, lua.OP_LOADK, lua.OP_LOADBOOL, lua.OP_GETUPVAL,
			lua.OP_GETGLOBAL, lua.OP_GETTABLE, lua.OP_GETTABLEKS, lua.OP_NEWTABLE,
			lua.OP_ADD, lua.OP_SUB, lua.OP_MUL, lua.OP_DIV, lua.OP_MOD, lua.OP_POW,
			lua.OP_UNM, lua.OP_NOT, lua.OP_LEN, lua.OP_CONCAT, lua.OP_TEST, lua.OP_TESTSET,
			lua.OP_VARARG:
			if a == reg {
				last = pc
			}
		case lua.OP_LOADNIL:
			if a <= reg && reg <= argB(i) {
				last = pc
			}
		case lua.OP_SELF:
			if reg == a || reg == a+1 {
				last = pc
			}
		case lua.OP_CALL, lua.OP_TAILCALL:
			if reg >= a {
				last = pc
			}
		case lua.OP_TFORLOOP:
			if reg >= a+2 {
				last = pc
			}
		case lua.OP_CLOSURE:
			if a == reg {
				last = pc
			}
			// The upvalue descriptions that follow are not executed.
			if bx := argBx(i); bx < len(p.FunctionPrototypes) {
				pc += int(p.FunctionPrototypes[bx].NumUpvalues)
			}
		case lua.OP_FORLOOP, lua.OP_FORPREP, lua.OP_JMP:
			if op != lua.OP_JMP && a == reg {
				last = pc
			}
			if dest := pc + 1 + argSBx(i); pc < dest && dest <= lastpc {
				pc = dest - 1
			}
		}
	}
	return last
}

// constName is the string constant an RK operand names, or "?".
func constName(p *lua.FunctionProto, rk int) string {
	if rk&rkConstant != 0 {
		if k := rk &^ rkConstant; k < len(p.Constants) {
			if s, ok := p.Constants[k].(lua.LString); ok {
				return string(s)
			}
		}
	}
	return "?"
}

// objectName describes register reg at pc as Lua 5.1 does ("local", "t"),
// or returns ok false when the value has no name. withLocal false skips
// the local lookup for the register itself, for a call's function
// register, which in Lua is always a temporary (gopher-lua sometimes
// evaluates the callee straight into the local it assigns).
func objectName(p *lua.FunctionProto, pc, reg int, withLocal bool) (kind, name string, ok bool) {
	for depth := 0; depth < 256; depth++ {
		if withLocal {
			if name, ok := localName(p, reg, pc); ok {
				return "local", name, true
			}
		}
		withLocal = true
		w := lastWriter(p, pc, reg)
		if w < 0 {
			return "", "", false
		}
		i := p.Code[w]
		switch opOf(i) {
		case lua.OP_GETGLOBAL:
			if bx := argBx(i); bx < len(p.Constants) {
				if s, ok := p.Constants[bx].(lua.LString); ok {
					return "global", string(s), true
				}
			}
			return "", "", false
		case lua.OP_MOVE, lua.OP_MOVEN:
			if b := argB(i); b < argA(i) {
				reg = b
				continue
			}
			return "", "", false
		case lua.OP_GETTABLE, lua.OP_GETTABLEKS:
			return "field", constName(p, argC(i)), true
		case lua.OP_GETUPVAL:
			if b := argB(i); b < len(p.DbgUpvalues) {
				return "upvalue", p.DbgUpvalues[b], true
			}
			return "upvalue", "?", true
		case lua.OP_SELF:
			return "method", constName(p, argC(i)), true
		}
		return "", "", false
	}
	return "", "", false
}

// typeError is Lua 5.1's luaG_typeerror message for the value v in
// register reg of the running function: "attempt to <op> local 't' (a nil
// value)", or "attempt to <op> a nil value" when no name is known (reg < 0:
// a constant operand, which Lua never names).
func typeError(L *lua.LState, op string, reg int, v lua.LValue, withLocal bool) string {
	t := v.Type().String()
	if reg >= 0 {
		if p, pc, ok := currentCode(L); ok {
			if kind, name, ok := objectName(p, pc, reg, withLocal); ok {
				return "attempt to " + op + " " + kind + " '" + name + "' (a " + t + " value)"
			}
		}
	}
	return "attempt to " + op + " a " + t + " value"
}

// gopher-lua's messages for the errors it raises inside an instruction.
const nonFunction = "attempt to call a non-function object"

var (
	reVMIndex  = regexp.MustCompile(`attempt to index a non-table object\((\w+)\) with key '(?s:.*)'$`)
	reVMArith  = regexp.MustCompile(`cannot perform (\w+) operation between (\w+) and (\w+)$`)
	reVMConcat = regexp.MustCompile(`cannot perform concat operation between (\w+) and (\w+)$`)
)

// nameVMError rewrites msg, an error gopher-lua's VM is raising in L's
// running Lua function, into Lua 5.1's words with the variable's name,
// when the failing instruction and its operands confirm what the message
// says. Any other message is returned as it is.
func nameVMError(L *lua.LState, msg string) string {
	if !strings.Contains(msg, "attempt to index a non-table object(") && !strings.Contains(msg, "cannot perform ") &&
		!strings.Contains(msg, nonFunction) {
		return msg
	}
	p, pc, ok := currentCode(L)
	if !ok {
		return msg
	}
	i := p.Code[pc]
	reg := func(r int) lua.LValue { return L.Get(r + 1) }
	rk := func(x int) (lua.LValue, int) {
		if x&rkConstant != 0 {
			if k := x &^ rkConstant; k < len(p.Constants) {
				return p.Constants[k], -1
			}
			return lua.LNil, -1
		}
		return reg(x), x
	}
	replace := func(loc []int, text string) string {
		return msg[:loc[0]] + text + msg[loc[1]:]
	}
	switch op := opOf(i); op {
	case lua.OP_GETTABLE, lua.OP_GETTABLEKS, lua.OP_SELF, lua.OP_SETTABLE, lua.OP_SETTABLEKS:
		m := reVMIndex.FindStringSubmatchIndex(msg)
		if m == nil {
			return msg
		}
		r := argB(i)
		if op == lua.OP_SETTABLE || op == lua.OP_SETTABLEKS {
			r = argA(i)
		}
		v := reg(r)
		if v.Type().String() != msg[m[2]:m[3]] {
			// The failing value is one an __index chain reached, not the
			// register's: Lua has no name for it either.
			return replace(m[:2], "attempt to index a "+msg[m[2]:m[3]]+" value")
		}
		return replace(m[:2], typeError(L, "index", r, v, true))
	case lua.OP_ADD, lua.OP_SUB, lua.OP_MUL, lua.OP_DIV, lua.OP_MOD, lua.OP_POW:
		m := reVMArith.FindStringSubmatchIndex(msg)
		if m == nil || msg[m[2]:m[3]] == "concat" {
			return msg
		}
		bv, br := rk(argB(i))
		cv, cr := rk(argC(i))
		// gopher-lua names a string it converted a "number".
		if !sameArithType(bv, msg[m[4]:m[5]]) || !sameArithType(cv, msg[m[6]:m[7]]) {
			return msg
		}
		// Lua blames the first operand that is not a number.
		if isArithOperand(bv) {
			bv, br = cv, cr
		}
		return replace(m[:2], typeError(L, "perform arithmetic on", br, bv, true))
	case lua.OP_TFORLOOP:
		// A generic for whose iterator is not a function. Lua calls a copy
		// of it, in a register without a name.
		if at := strings.Index(msg, nonFunction); at >= 0 {
			return msg[:at] + "attempt to call a " + reg(argA(i)).Type().String() + " value" + msg[at+len(nonFunction):]
		}
	case lua.OP_CONCAT:
		m := reVMConcat.FindStringSubmatchIndex(msg)
		if m == nil {
			return msg
		}
		if r, ok := concatCulprit(L, argB(i), argC(i)); ok {
			return replace(m[:2], typeError(L, "concatenate", r, reg(r), true))
		}
	}
	return msg
}

func sameArithType(v lua.LValue, t string) bool {
	return v.Type().String() == t || t == "number" && isArithOperand(v)
}

// isArithOperand says whether Lua 5.1 converts v to a number for
// arithmetic.
func isArithOperand(v lua.LValue) bool {
	switch v := v.(type) {
	case lua.LNumber:
		return true
	case lua.LString:
		_, ok := parseLuaNumber(string(v))
		return ok
	}
	return false
}

// concatCulprit finds the register Lua 5.1 blames when R(b) .. ... ..
// R(c) fails. Lua concatenates from the right: the strings and numbers
// at the right end are joined first, then the pair at the rightmost value
// that is neither fails, and of a failing pair Lua names the left value
// unless it is a string or a number. ok is false when a __concat
// metamethod takes part (its results decide), or nothing fails.
func concatCulprit(L *lua.LState, b, c int) (int, bool) {
	stringy := func(v lua.LValue) bool { return lua.LVCanConvToString(v) }
	for r := c; r >= b; r-- {
		v := L.Get(r + 1)
		if stringy(v) {
			continue
		}
		if L.GetMetaField(v, "__concat") != lua.LNil {
			return 0, false
		}
		if r < c || r == b {
			return r, true
		}
		// The rightmost value fails with its left neighbour.
		left := L.Get(r)
		if stringy(left) {
			return r, true
		}
		if L.GetMetaField(left, "__concat") != lua.LNil {
			return 0, false
		}
		return r - 1, true
	}
	return 0, false
}
