package scripting

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
)

// Correcting the scopes of local variables in compiled prototypes.
//
// A prototype lists its locals (DbgLocals) in declaration order, each with
// the first and last pc where it is in scope; an error names "local 'x'"
// from that list (varinfo.go). gopher-lua v1.1.2 records the start
// correctly but writes the end of a block's locals into the entries
// indexed by their registers, not by their declarations. Once a block has
// closed and a later local reuses its registers, the two differ: the later
// local never gets an end (it looks out of scope everywhere) and an
// earlier one gets the later's (it looks in scope long after its block).
// "for i = 1, 2 do end; local t; t()" would then blame "local '(for
// index)'".
//
// fixLocalScopes repairs the list after compiling. It walks the syntax
// tree as the compiler does, giving each local its block; when some local
// is declared after a block whose registers it reuses (otherwise the list
// is right as it is), it numbers every block and function, writes the
// numbers into the tree as line numbers and compiles the tree a second
// time. Lines do not change the code, so the second prototype's line
// table tells, for every pc, which block emitted it, and so the last pc of
// each block; the first prototype's locals get those ends. If the second
// compile does not produce the same code, or the walk does not find the
// compiler's locals, the list is left as gopher-lua made it.
//
// It also starts the hidden locals of a for loop ("(for index)" and the
// like) where Lua 5.1 does, at the loop's first jump: gopher-lua declares
// them before it evaluates the loop's expressions, which would name those
// expressions' temporaries after them.

// scopeBlock is a block of a function, as the compiler enters them.
type scopeBlock struct {
	parent *scopeBlock
	fn     *scopeFunc
	last   int // the last pc that its code (nested blocks included) emitted
}

// scopeFunc is one function of the chunk: its locals in declaration order.
type scopeFunc struct {
	top       *scopeBlock
	definedIn *scopeBlock // the block of the enclosing function that defines it
	locals    []scopeLocal
	active    int // locals in scope during the walk, = the next register
	reuse     bool
}

type scopeLocal struct {
	name  string
	block *scopeBlock
}

type scopeWalker struct {
	ids   []any // the block or function numbered 2*(i+1), see number
	reuse bool  // some local reuses the register of a closed block's local
}

// number gives a block or function an even number, to be used as a line:
// the compiler writes "last line + 1" for the main chunk's closing return,
// which must not be mistaken for another block.
func (w *scopeWalker) number(x any) int {
	w.ids = append(w.ids, x)
	return 2 * len(w.ids)
}

func (w *scopeWalker) lookup(line int) any {
	if line <= 0 || line%2 != 0 || line/2 > len(w.ids) {
		return nil
	}
	return w.ids[line/2-1]
}

func fixLocalScopes(chunk []ast.Stmt, proto *lua.FunctionProto, name string) {
	// Only error messages depend on this: a walk that trips over a tree
	// it does not expect must not fail the compile.
	defer func() { _ = recover() }()
	startForLoopLocals(proto)
	w := &scopeWalker{}
	main := w.function(nil, &ast.ParList{HasVargs: true}, chunk, nil, false)
	if !w.reuse {
		return
	}
	marked, err := lua.Compile(chunk, name)
	if err != nil {
		return
	}
	w.apply(main, proto, marked)
}

// function walks a function's parameters and body; fe is nil for the main
// chunk, and in is the block where the function is defined.
func (w *scopeWalker) function(fe *ast.FunctionExpr, pars *ast.ParList, body []ast.Stmt, in *scopeBlock, method bool) *scopeFunc {
	f := &scopeFunc{definedIn: in}
	f.top = &scopeBlock{fn: f, last: -1}
	id := w.number(f)
	if fe != nil {
		fe.SetLine(id)
		fe.SetLastLine(id)
	}
	if method {
		f.declare("self", f.top)
	}
	for _, p := range pars.Names {
		f.declare(p, f.top)
	}
	if pars.HasVargs && lua.CompatVarArg && fe != nil {
		f.declare("arg", f.top)
	}
	w.stmts(body, f.top, id)
	w.reuse = w.reuse || f.reuse
	return f
}

func (f *scopeFunc) declare(name string, b *scopeBlock) {
	if f.active != len(f.locals) {
		f.reuse = true
	}
	f.locals = append(f.locals, scopeLocal{name: name, block: b})
	f.active++
}

// block runs walk inside a new block of b's function, as the compiler's
// EnterBlock and LeaveBlock do.
func (w *scopeWalker) block(b *scopeBlock, walk func(nb *scopeBlock, id int)) {
	nb := &scopeBlock{parent: b, fn: b.fn, last: -1}
	active := b.fn.active
	walk(nb, w.number(nb))
	b.fn.active = active
}

// stmts walks the statements of block b, numbered id.
func (w *scopeWalker) stmts(list []ast.Stmt, b *scopeBlock, id int) {
	for _, s := range list {
		w.stmt(s, b, id)
	}
}

func (w *scopeWalker) stmt(s ast.Stmt, b *scopeBlock, id int) {
	s.SetLine(id)
	s.SetLastLine(id)
	f := b.fn
	switch s := s.(type) {
	case *ast.AssignStmt:
		w.exprs(s.Lhs, b, id)
		w.exprs(s.Rhs, b, id)
	case *ast.LocalAssignStmt:
		w.exprs(s.Exprs, b, id)
		for _, n := range s.Names {
			f.declare(n, b)
		}
	case *ast.FuncCallStmt:
		w.expr(s.Expr, b, id)
	case *ast.DoBlockStmt:
		w.block(b, func(nb *scopeBlock, nid int) { w.stmts(s.Stmts, nb, nid) })
	case *ast.WhileStmt:
		w.expr(s.Condition, b, id)
		w.block(b, func(nb *scopeBlock, nid int) { w.stmts(s.Stmts, nb, nid) })
	case *ast.RepeatStmt:
		w.block(b, func(nb *scopeBlock, nid int) {
			w.stmts(s.Stmts, nb, nid)
			w.expr(s.Condition, nb, nid)
		})
	case *ast.IfStmt:
		w.expr(s.Condition, b, id)
		if len(s.Then) > 0 {
			w.block(b, func(nb *scopeBlock, nid int) { w.stmts(s.Then, nb, nid) })
		}
		if len(s.Else) > 0 {
			w.block(b, func(nb *scopeBlock, nid int) { w.stmts(s.Else, nb, nid) })
		}
	case *ast.NumberForStmt:
		w.block(b, func(nb *scopeBlock, nid int) {
			for _, n := range []string{"(for index)", "(for limit)", "(for step)"} {
				f.declare(n, nb)
			}
			w.expr(s.Init, b, id)
			w.expr(s.Limit, b, id)
			if s.Step != nil {
				w.expr(s.Step, b, id)
			}
			f.declare(s.Name, nb)
			w.stmts(s.Stmts, nb, nid)
		})
	case *ast.GenericForStmt:
		w.block(b, func(nb *scopeBlock, nid int) {
			for _, n := range []string{"(for generator)", "(for state)", "(for control)"} {
				f.declare(n, nb)
			}
			w.exprs(s.Exprs, b, id)
			for _, n := range s.Names {
				f.declare(n, nb)
			}
			w.stmts(s.Stmts, nb, nid)
		})
	case *ast.FuncDefStmt:
		if s.Name.Func != nil {
			w.expr(s.Name.Func, b, id)
		}
		if s.Name.Receiver != nil {
			w.expr(s.Name.Receiver, b, id)
		}
		w.function(s.Func, s.Func.ParList, s.Func.Stmts, b, s.Name.Func == nil)
	case *ast.ReturnStmt:
		w.exprs(s.Exprs, b, id)
	}
}

func (w *scopeWalker) exprs(list []ast.Expr, b *scopeBlock, id int) {
	for _, e := range list {
		w.expr(e, b, id)
	}
}

func (w *scopeWalker) expr(e ast.Expr, b *scopeBlock, id int) {
	if e == nil {
		return
	}
	if fe, ok := e.(*ast.FunctionExpr); ok {
		w.function(fe, fe.ParList, fe.Stmts, b, false)
		return
	}
	e.SetLine(id)
	e.SetLastLine(id)
	switch e := e.(type) {
	case *ast.AttrGetExpr:
		w.expr(e.Object, b, id)
		w.expr(e.Key, b, id)
	case *ast.TableExpr:
		for _, fl := range e.Fields {
			w.expr(fl.Key, b, id)
			w.expr(fl.Value, b, id)
		}
	case *ast.FuncCallExpr:
		w.expr(e.Func, b, id)
		w.expr(e.Receiver, b, id)
		w.exprs(e.Args, b, id)
	case *ast.LogicalOpExpr:
		w.exprs([]ast.Expr{e.Lhs, e.Rhs}, b, id)
	case *ast.RelationalOpExpr:
		w.exprs([]ast.Expr{e.Lhs, e.Rhs}, b, id)
	case *ast.StringConcatOpExpr:
		w.exprs([]ast.Expr{e.Lhs, e.Rhs}, b, id)
	case *ast.ArithmeticOpExpr:
		w.exprs([]ast.Expr{e.Lhs, e.Rhs}, b, id)
	case *ast.UnaryMinusOpExpr:
		w.expr(e.Expr, b, id)
	case *ast.UnaryNotOpExpr:
		w.expr(e.Expr, b, id)
	case *ast.UnaryLenOpExpr:
		w.expr(e.Expr, b, id)
	}
}

// apply gives real's locals the scope ends found through marked, the same
// code compiled from the renumbered tree, if the two agree.
func (w *scopeWalker) apply(main *scopeFunc, real, marked *lua.FunctionProto) {
	type pair struct {
		fn           *scopeFunc
		real, marked *lua.FunctionProto
	}
	var pairs []pair
	var match func(fn *scopeFunc, r, m *lua.FunctionProto) bool
	match = func(fn *scopeFunc, r, m *lua.FunctionProto) bool {
		if len(r.Code) != len(m.Code) || len(r.DbgLocals) != len(fn.locals) ||
			len(m.DbgSourcePositions) != len(m.Code) ||
			len(r.FunctionPrototypes) != len(m.FunctionPrototypes) {
			return false
		}
		for i := range r.Code {
			if r.Code[i] != m.Code[i] {
				return false
			}
		}
		for i, l := range fn.locals {
			if r.DbgLocals[i].Name != l.name {
				return false
			}
		}
		pairs = append(pairs, pair{fn, r, m})
		for i := range r.FunctionPrototypes {
			child, ok := w.lookup(m.FunctionPrototypes[i].LineDefined).(*scopeFunc)
			if !ok || !match(child, r.FunctionPrototypes[i], m.FunctionPrototypes[i]) {
				return false
			}
		}
		return true
	}
	if !match(main, real, marked) {
		return
	}
	for _, p := range pairs {
		for pc, line := range p.marked.DbgSourcePositions {
			var b *scopeBlock
			switch x := w.lookup(line).(type) {
			case *scopeBlock:
				b = x
			case *scopeFunc:
				// The function's own top level, or, in its parent, the
				// code that defines it (the closure and its assignment).
				b = x.top
				if x != p.fn {
					b = x.definedIn
				}
			}
			for ; b != nil && b.fn == p.fn; b = b.parent {
				b.last = max(b.last, pc)
			}
		}
		for i, l := range p.fn.locals {
			d := p.real.DbgLocals[i]
			switch {
			case l.block == p.fn.top:
				d.EndPc = len(p.real.Code) - 1
			default:
				d.EndPc = max(l.block.last, d.StartPc-1)
			}
		}
	}
}

// startForLoopLocals moves the start of each for loop's hidden locals to
// the pc of the loop's first jump (FORPREP, or the JMP to a generic loop's
// TFORLOOP), the pc before its variables start.
func startForLoopLocals(p *lua.FunctionProto) {
	locals := p.DbgLocals
	for i := 0; i < len(locals); i++ {
		if !strings.HasPrefix(locals[i].Name, "(for ") {
			continue
		}
		j := i
		for j < len(locals) && strings.HasPrefix(locals[j].Name, "(for ") {
			j++
		}
		if j < len(locals) && locals[j].StartPc > 0 {
			for k := i; k < j; k++ {
				locals[k].StartPc = locals[j].StartPc - 1
			}
		}
		i = j - 1
	}
	for _, c := range p.FunctionPrototypes {
		startForLoopLocals(c)
	}
}
