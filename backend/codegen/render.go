package codegen

import (
	"fmt"
	"sort"
	"strings"

	"github.com/crossbar-compute/crossbar/backend"
)

// Dialect is what one C-family kernel language spells its own way. The renderer writes
// everything else (expressions, declarations, control flow) in the syntax they share.
type Dialect interface {
	// Name is the language's name ("glsl", "cuda", ...).
	Name() string
	// Type spells a machine type; ok is false when the language or the device lacks it.
	Type(t Type) (name string, ok bool)
	// Literal spells a constant of e.Type (infinities and NaN included).
	Literal(e *Expr) string
	// Special spells a launch coordinate (an unsigned integer).
	Special(s Special, dim int) string
	// Load spells element index of parameter p read as type t (the storage type of p's
	// dtype converted to its compute type).
	Load(p Param, t Type, index string) string
	// Subscript spells an index of 64-bit type t into a buffer, where the language wants
	// another type.
	Subscript(index string, t Scalar) string
	// Store spells the statement writing value (of type t) to element index of p.
	Store(p Param, t Type, index, value string) string
	// Call spells an intrinsic of result type t; ok is false when the language has none.
	// helper names a function of the dialect's prelude that the call needs ("" for none).
	Call(fn Fn, t Type, argTypes []Type, args []string) (call, helper string, ok bool)
	// Cast spells a conversion of x from one type to another (a scalar to a vector
	// splats it).
	Cast(to, from Type, x string) string
	// Binary spells a binary operator where the language differs from C, or returns ""
	// for C's own spelling.
	Binary(op Op, t Type, x, y string) string
	// Decl gives the qualifiers of a declaration ("const ", "precise ", ...).
	Decl(d *Decl) string
	// Barrier is the statement that synchronizes a workgroup and its shared memory.
	Barrier() string
	// Unroll is the line put before a loop marked for unrolling ("" for none).
	Unroll() string
	// Intrinsic spells the statement of an intrinsic operation with its rendered
	// arguments; helper names a prelude function it needs ("" for none); ok is false when
	// the language or the device lacks it.
	Intrinsic(s *Intrinsic, args []string) (stmt, helper string, ok bool)
	// Kernel writes the whole kernel: prelude, parameters, shared memory, the helpers
	// that the body uses, and the entry point around body.
	Kernel(p *Program, u Usage, body string) (string, error)
}

// Usage is what a rendered kernel body uses, for the dialect to declare.
type Usage struct {
	Shared  []string        // declarations of the shared arrays, without qualifiers
	Helpers []string        // prelude functions called, sorted
	Types   map[Scalar]bool // machine types used
}

// Render writes p in dialect d. Types, intrinsics or operations that d cannot spell give
// an error wrapping backend.ErrUnsupported.
func Render(p *Program, d Dialect) (string, error) {
	r := &renderer{d: d, p: p, helpers: map[string]bool{}, types: map[Scalar]bool{}}
	u := Usage{Types: r.types}
	for _, s := range p.Shared {
		t := r.typ(s.Type)
		u.Shared = append(u.Shared, fmt.Sprintf("%s %s[%d];", t, s.Name, s.Len))
	}
	r.typ(T(p.Index))
	for _, prm := range p.Params {
		r.types[ComputeType(prm.DType)] = true
	}
	r.indent = 1
	r.stmts(p.Body)
	if r.err != nil {
		return "", r.err
	}
	for h := range r.helpers {
		u.Helpers = append(u.Helpers, h)
	}
	sort.Strings(u.Helpers)
	return d.Kernel(p, u, r.b.String())
}

type renderer struct {
	d       Dialect
	p       *Program
	b       strings.Builder
	indent  int
	helpers map[string]bool // prelude functions used
	types   map[Scalar]bool
	err     error
}

func (r *renderer) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("codegen: %s: %s: %w", r.d.Name(), fmt.Sprintf(format, args...), backend.ErrUnsupported)
	}
}

func (r *renderer) typ(t Type) string {
	r.types[t.S] = true
	s, ok := r.d.Type(t)
	if !ok {
		r.fail("no type %v", t)
	}
	return s
}

func (r *renderer) line(format string, args ...any) {
	r.b.WriteString(strings.Repeat("    ", r.indent))
	fmt.Fprintf(&r.b, format, args...)
	r.b.WriteByte('\n')
}

func (r *renderer) stmts(list []Stmt) {
	for _, s := range list {
		r.stmt(s)
	}
}

func (r *renderer) block(list []Stmt) {
	r.indent++
	r.stmts(list)
	r.indent--
}

func (r *renderer) stmt(s Stmt) {
	switch s := s.(type) {
	case *Decl:
		if s.Len > 0 {
			r.line("%s %s[%d];", r.typ(s.Type), s.Name, s.Len)
			return
		}
		r.line("%s%s %s = %s;", r.d.Decl(s), r.typ(s.Type), s.Name, r.expr(s.Init, 0))
	case *Assign:
		if s.Index != nil {
			r.line("%s[%s] = %s;", s.Name, r.expr(s.Index, 0), r.expr(s.Value, 0))
			return
		}
		r.line("%s = %s;", s.Name, r.expr(s.Value, 0))
	case *Store:
		p := r.p.Params[s.Param]
		r.line("%s", r.d.Store(p, s.Value.Type, r.subscript(s.Index), r.expr(s.Value, 0)))
	case *If:
		cond := r.expr(s.Cond, 0)
		if len(s.Else) == 0 && len(s.Then) == 1 {
			if _, ok := s.Then[0].(*Return); ok {
				r.line("if (%s) return;", cond)
				return
			}
		}
		r.line("if (%s) {", cond)
		r.block(s.Then)
		if len(s.Else) > 0 {
			r.line("} else {")
			r.block(s.Else)
		}
		r.line("}")
	case *For:
		if s.Unroll {
			if u := r.d.Unroll(); u != "" {
				r.line("%s", u)
			}
		}
		step := fmt.Sprintf("%s += %s", s.Var, r.expr(s.Step, 0))
		if s.Step.IsInt(1) {
			step = s.Var + "++"
		}
		r.line("for (%s %s = %s; %s < %s; %s) {", r.typ(T(s.Type)), s.Var, r.expr(s.Start, 0), s.Var, r.expr(s.End, 0), step)
		r.block(s.Body)
		r.line("}")
	case *Barrier:
		r.line("%s", r.d.Barrier())
	case *Return:
		r.line("return;")
	case *Comment:
		r.line("// %s", s.Text)
	case *Intrinsic:
		args := make([]string, len(s.Args))
		for i, a := range s.Args {
			args[i] = r.expr(a, 0)
		}
		code, helper, ok := r.d.Intrinsic(s, args)
		if !ok {
			r.fail("no intrinsic %v", s.Op)
			return
		}
		if helper != "" {
			r.helpers[helper] = true
		}
		r.line("%s", code)
	default:
		r.fail("statement %T", s)
	}
}

// Operator precedence, higher binds tighter (C's table).
func prec(e *Expr) int {
	switch e.Kind {
	case KBinary:
		switch e.Op {
		case OMul, ODiv, ORem:
			return 12
		case OAdd, OSub:
			return 11
		case OShl, OShr:
			return 10
		case OLt, OLe:
			return 9
		case OEq, ONe, OLXor:
			return 8
		case OAnd:
			return 7
		case OXor:
			return 6
		case OOr:
			return 5
		case OLAnd:
			return 4
		case OLOr:
			return 3
		}
	case KSelect:
		return 2
	case KUnary:
		return 14
	case KConst:
		if (e.Type.S.IsFloat() && e.F < 0) || (!e.Type.S.IsFloat() && e.I < 0) {
			return 14
		}
	}
	return 16
}

// expr renders e inside a context of precedence ctx, adding parentheses where needed.
func (r *renderer) expr(e *Expr, ctx int) string {
	s := r.expr0(e)
	if prec(e) < ctx {
		return "(" + s + ")"
	}
	return s
}

func (r *renderer) expr0(e *Expr) string {
	switch e.Kind {
	case KConst:
		r.typ(e.Type)
		return r.d.Literal(e)
	case KVar:
		return e.Name
	case KIndex:
		return fmt.Sprintf("%s[%s]", e.Name, r.expr(e.Args[0], 0))
	case KSpecial:
		return r.d.Special(e.Special, e.Dim)
	case KLoad:
		r.typ(e.Type)
		return r.d.Load(r.p.Params[e.Param], e.Type, r.subscript(e.Args[0]))
	case KUnary:
		return e.Op.Sym() + r.expr(e.Args[0], 15)
	case KBinary:
		p := prec(e)
		lp, rp := p, p+1
		// Parentheses that C does not need but a reader does: around comparisons compared,
		// and around && inside ||.
		if e.Op.IsCompare() || e.Op == OLXor {
			lp, rp = 10, 10
		}
		if e.Op == OLOr {
			lp, rp = 5, 5
		}
		x, y := r.expr(e.Args[0], lp), r.expr(e.Args[1], rp)
		if s := r.d.Binary(e.Op, e.Args[0].Type, x, y); s != "" {
			return s
		}
		return fmt.Sprintf("%s %s %s", x, e.Op.Sym(), y)
	case KSelect:
		return fmt.Sprintf("%s ? %s : %s", r.expr(e.Args[0], 9), r.expr(e.Args[1], 3), r.expr(e.Args[2], 3))
	case KCast:
		return r.d.Cast(e.Type, e.Args[0].Type, r.expr(e.Args[0], 0))
	case KCall:
		args := make([]string, len(e.Args))
		types := make([]Type, len(e.Args))
		for i, a := range e.Args {
			args[i] = r.expr(a, 0)
			types[i] = a.Type
		}
		r.typ(e.Type)
		s, helper, ok := r.d.Call(e.Fn, e.Type, types, args)
		if !ok {
			r.fail("no %v for %v", e.Fn, e.Type)
			return ""
		}
		if helper != "" {
			r.helpers[helper] = true
		}
		return s
	case KLane:
		return fmt.Sprintf("%s.%c", r.expr(e.Args[0], 15), "xyzw"[e.Dim])
	case KAddr:
		switch a := e.Args[0]; a.Kind {
		case KIndex:
			return fmt.Sprintf("&%s[%s]", a.Name, r.expr(a.Args[0], 0))
		case KLoad:
			return fmt.Sprintf("&%s[%s]", r.p.Params[a.Param].Name, r.subscript(a.Args[0]))
		}
	}
	r.fail("expression kind %d", e.Kind)
	return ""
}

func (r *renderer) subscript(i *Expr) string {
	s := r.expr(i, 0)
	if i.Type.S == I64 || i.Type.S == U64 {
		return r.d.Subscript(s, i.Type.S)
	}
	return s
}
