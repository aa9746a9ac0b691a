package codegen

import (
	"fmt"
	"math"
	"slices"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
)

// Lower turns a scheduled kernel into a Program for target t, with the knobs of o (zero
// values take their defaults). Kernels it has no template for give an error wrapping
// backend.ErrUnsupported, so that the executor runs them elsewhere.
func Lower(k *graph.Kernel, t Target, o Options) (*Program, error) {
	o = o.withDefaults()
	if err := o.validate(t); err != nil {
		return nil, err
	}
	if t.MaxGroups <= 0 {
		t.MaxGroups = 65535
	}
	b := &builder{k: k, t: t, o: o, p: &Program{Name: "kernel"}}
	b.stmts = &b.p.Body
	b.p.Index = indexType(k)
	b.idx = b.p.Index
	b.p.Params = append(b.p.Params, Param{Name: "dst", DType: k.Out.DType, Write: true, Len: k.Out.Numel()})
	for i, in := range k.Inputs {
		b.p.Params = append(b.p.Params, Param{Name: fmt.Sprintf("src%d", i), DType: in.DType, Len: in.Numel()})
	}
	var err error
	switch c := k.Core; {
	case c == nil:
		err = b.elementwise()
	case c.Op.IsReduce():
		err = b.reduce()
	case c.Op == graph.OpContract:
		err = b.contract()
	case c.Op == graph.OpGather:
		err = b.gather()
	case c.Op == graph.OpSoftmax || c.Op == graph.OpLogSoftmax || c.Op == graph.OpLayerNorm:
		err = b.lineCore()
	case c.Op == graph.OpArgMax || c.Op == graph.OpArgMin:
		err = b.argCore()
	default:
		err = b.unsupported("core %v", c.Op)
	}
	if err != nil {
		return nil, err
	}
	b.p.Body = prune(b.p.Body)
	return b.p, nil
}

// builder holds the state of one lowering: the program so far and the statement list that
// new statements go to.
type builder struct {
	k     *graph.Kernel
	t     Target
	o     Options
	p     *Program
	idx   Scalar // index arithmetic type
	stmts *[]Stmt
	temps int
	grid  productGrid // a product template's grid (setGrid)
}

func (b *builder) unsupported(format string, args ...any) error {
	return fmt.Errorf("codegen: %s: %w", fmt.Sprintf(format, args...), backend.ErrUnsupported)
}

func (b *builder) emit(s ...Stmt) { *b.stmts = append(*b.stmts, s...) }

// block runs f with new statements collected into a list of their own, and returns it.
func (b *builder) block(f func()) []Stmt {
	saved := b.stmts
	var list []Stmt
	b.stmts = &list
	f()
	b.stmts = saved
	return list
}

func (b *builder) note(format string, args ...any) {
	b.p.Notes = append(b.p.Notes, fmt.Sprintf(format, args...))
}

// let binds e to a new constant named prefix<n> and returns a reference to it; literals and
// variables are returned as they are.
func (b *builder) let(prefix string, e *Expr) *Expr {
	if e.Kind == KConst || e.Kind == KVar {
		return e
	}
	name := fmt.Sprintf("%s%d", prefix, b.temps)
	b.temps++
	b.emit(&Decl{Name: name, Type: e.Type, Init: e, Const: true, Exact: e.Type.S.IsFloat()})
	return Var(name, e.Type)
}

// named binds e to a constant of the given name (literals stay literals).
func (b *builder) named(name string, e *Expr) *Expr {
	if e.Kind == KConst {
		return e
	}
	b.emit(&Decl{Name: name, Type: e.Type, Init: e, Const: true})
	return Var(name, e.Type)
}

// variable declares a mutable variable with an initial value.
func (b *builder) variable(name string, init *Expr) *Expr {
	b.emit(&Decl{Name: name, Type: init.Type, Init: init})
	return Var(name, init.Type)
}

// ---- index arithmetic, folding literals so that the source stays readable

func (b *builder) iconst(v int) *Expr { return Int(int64(v), b.idx) }

func addE(a, c *Expr) *Expr {
	switch {
	case a.IsInt(0):
		return c
	case c.IsInt(0):
		return a
	case a.IsConst() && c.IsConst():
		return Int(a.I+c.I, a.Type.S)
	case c.IsConst() && c.I < 0:
		return Bin(OSub, a, Int(-c.I, c.Type.S))
	}
	return Bin(OAdd, a, c)
}

func mulE(a *Expr, v int) *Expr {
	switch {
	case v == 0:
		return Int(0, a.Type.S)
	case v == 1:
		return a
	case a.IsConst():
		return Int(a.I*int64(v), a.Type.S)
	case v == -1:
		return Un(ONeg, a)
	}
	return Bin(OMul, a, Int(int64(v), a.Type.S))
}

func divE(a *Expr, v int) *Expr {
	if v == 1 {
		return a
	}
	return Bin(ODiv, a, Int(int64(v), a.Type.S))
}

func remE(a *Expr, v int) *Expr {
	if v == 1 {
		return Int(0, a.Type.S)
	}
	return Bin(ORem, a, Int(int64(v), a.Type.S))
}

func andE(a, c *Expr) *Expr {
	switch {
	case a == nil:
		return c
	case c == nil:
		return a
	}
	return Bin(OLAnd, a, c)
}

// indexType is I32 when every index the kernel can compute (positions in the domain, in
// every view, including masked-out ones, and in every buffer) stays below 2^31, else I64.
func indexType(k *graph.Kernel) Scalar {
	const limit = math.MaxInt32 / 2 // headroom for the sums of the tiled templates
	big := false
	check := func(n int) {
		if n < -limit || n > limit {
			big = true
		}
	}
	check(k.Out.Numel())
	for _, in := range k.Inputs {
		check(in.Numel())
	}
	leaf := func(e *graph.Expr) {
		if e.Op == graph.OpLoad || e.Op == graph.OpConst {
			v := e.View
			check(graph.NumElements(v.Shape))
			lo, hi := v.Offset, v.Offset
			for i, d := range v.Shape {
				if d > 0 {
					s := (d - 1) * v.Strides[i]
					lo, hi = lo+min(s, 0), hi+max(s, 0)
				}
				check(d)
			}
			check(lo)
			check(hi)
		}
	}
	visit(k.Expr, leaf)
	if k.Core != nil {
		check(graph.NumElements(k.Core.InShape))
		for _, s := range k.Core.Src {
			visit(s, leaf)
		}
	}
	if big {
		return I64
	}
	return I32
}

// visit calls f on e and on every expression below it (e may be nil).
func visit(e *graph.Expr, f func(*graph.Expr)) {
	if e == nil {
		return
	}
	f(e)
	for _, s := range e.Src {
		visit(s, f)
	}
}

// globalID declares the linear index of the thread over a launch of n threads in
// workgroups of local, spread over two launch dimensions when one is not enough, and
// sets the launch size.
func (b *builder) launch1D(n, local int) *Expr {
	groups := max(1, (n+local-1)/local)
	b.p.Local = [3]int{local, 1, 1}
	gx, gy := groups, 1
	if groups > b.t.MaxGroups {
		gx = b.t.MaxGroups
		gy = (groups + gx - 1) / gx
	}
	b.p.Groups = [3]int{gx, gy, 1}
	group := Cast(Spec(GroupID, 0, U32), b.idx)
	if gy > 1 {
		group = addE(mulE(Cast(Spec(GroupID, 1, U32), b.idx), gx), group)
	}
	return b.named("gid", addE(mulE(group, local), Cast(Spec(LocalID, 0, U32), b.idx)))
}

// launchGroups declares the linear index of the workgroup over a launch of n workgroups
// of local threads, and sets the launch size. A launch over two dimensions (more
// workgroups than one takes) rounds up to whole rows of them: those past the last leave at
// once, all their threads together, so that a kernel's later barriers stay uniform and
// its loops over whole workgroups need check no bounds.
func (b *builder) launchGroups(n, local int) *Expr {
	b.p.Local = [3]int{local, 1, 1}
	gx, gy := max(n, 1), 1
	if gx > b.t.MaxGroups {
		gx = b.t.MaxGroups
		gy = (n + gx - 1) / gx
	}
	b.p.Groups = [3]int{gx, gy, 1}
	group := Cast(Spec(GroupID, 0, U32), b.idx)
	if gy > 1 {
		group = addE(mulE(Cast(Spec(GroupID, 1, U32), b.idx), gx), group)
	}
	group = b.named("group", group)
	if gx*gy > n {
		b.emit(&If{Cond: Bin(OLe, b.iconst(n), group), Then: []Stmt{&Return{}}})
	}
	return group
}

// guard returns from threads past the end of the domain.
func (b *builder) guard(gid *Expr, n int) {
	groups := b.p.Groups[0] * b.p.Groups[1] * b.p.Groups[2]
	if groups*b.p.Local[0]*b.p.Local[1]*b.p.Local[2] == n {
		return
	}
	b.emit(&If{Cond: Bin(OLe, b.iconst(n), gid), Then: []Stmt{&Return{}}})
}

// decode declares the coordinates of the row-major position linear in shape, named
// prefix<axis>; axes of size 1 are the literal 0.
func (b *builder) decode(linear *Expr, shape []int, prefix string) []*Expr {
	coords := make([]*Expr, len(shape))
	stride := 1
	first := -1
	for k := range shape {
		if shape[k] != 1 && first < 0 {
			first = k
		}
	}
	for k := len(shape) - 1; k >= 0; k-- {
		d := shape[k]
		if d == 1 {
			coords[k] = b.iconst(0)
			continue
		}
		e := divE(linear, stride)
		if k != first {
			e = remE(e, d)
		}
		if e == linear {
			coords[k] = linear // the only axis longer than 1
		} else {
			coords[k] = b.named(fmt.Sprintf("%s%d", prefix, k), e)
		}
		stride *= d
	}
	return coords
}

// env is the domain an expression is evaluated over: the coordinates of the element, its
// row-major position when known, and the core's value.
type env struct {
	shape  []int
	coords []*Expr
	linear *Expr
	core   *Expr
	memo   map[*graph.Expr]*Expr
	loads  map[string]*Expr
}

// at gives the buffer position and the validity (nil: always valid; the literal false:
// never) of the element at coords of view v.
func (b *builder) at(v graph.View, coords []*Expr, linear *Expr, domain []int) (index, valid *Expr) {
	for k, m := range v.Mask {
		if m[0] >= m[1] {
			return nil, BoolLit(false)
		}
		if m[0] > 0 {
			valid = andE(valid, Bin(OLe, b.iconst(m[0]), coords[k]))
		}
		if m[1] < v.Shape[k] {
			valid = andE(valid, Bin(OLt, coords[k], b.iconst(m[1])))
		}
	}
	if linear != nil && v.IsContiguous() && slices.Equal(v.Shape, domain) {
		return addE(linear, b.iconst(v.Offset)), valid
	}
	index = b.iconst(0)
	for k, s := range v.Strides {
		if v.Shape[k] != 1 {
			index = addE(index, mulE(coords[k], s))
		}
	}
	return addE(index, b.iconst(v.Offset)), valid
}

// load reads parameter p (of dtype dt) through view v at the domain element of en. Equal
// loads in one domain are read once.
func (b *builder) load(p int, dt graph.DType, v graph.View, en *env) *Expr {
	key := fmt.Sprintf("%d %v", p, v)
	if l, ok := en.loads[key]; ok {
		return l
	}
	if en.loads == nil {
		en.loads = map[string]*Expr{}
	}
	l := b.load1(p, dt, v, en)
	en.loads[key] = l
	return l
}

func (b *builder) load1(p int, dt graph.DType, v graph.View, en *env) *Expr {
	index, valid := b.at(v, en.coords, en.linear, en.shape)
	s := ComputeType(dt)
	if valid != nil && valid.IsConst() {
		return Zero(s)
	}
	ld := Load(p, T(s), index)
	if valid != nil {
		return b.let("v", Sel(valid, ld, Zero(s)))
	}
	return b.let("v", ld)
}

// value lowers the kernel expression e over en, binding every computed node to a constant.
func (b *builder) value(e *graph.Expr, en *env) (*Expr, error) {
	if v, ok := en.memo[e]; ok {
		return v, nil
	}
	var out *Expr
	switch e.Op {
	case graph.OpLoad:
		out = b.load(e.Input+1, b.k.Inputs[e.Input].DType, e.View, en)
	case graph.OpConst:
		c := literal(e.DType, e.Const)
		_, valid := b.at(e.View, en.coords, nil, en.shape)
		switch {
		case valid == nil:
			out = c
		case valid.IsConst():
			out = Zero(c.Type.S)
		default:
			out = b.let("v", Sel(valid, c, Zero(c.Type.S)))
		}
	case graph.OpCoreValue:
		if en.core == nil {
			return nil, fmt.Errorf("codegen: core value outside a kernel with a core")
		}
		out = en.core
	default:
		args := make([]*Expr, len(e.Src))
		for i, s := range e.Src {
			a, err := b.value(s, en)
			if err != nil {
				return nil, err
			}
			args[i] = a
		}
		r, err := b.alu(e, args)
		if err != nil {
			return nil, err
		}
		out = b.let("v", r)
	}
	if en.memo == nil {
		en.memo = map[*graph.Expr]*Expr{}
	}
	en.memo[e] = out
	return out, nil
}

// literal is the constant c of dtype dt in its compute type.
func literal(dt graph.DType, c graph.Scalar) *Expr {
	s := ComputeType(dt)
	switch {
	case s.IsFloat():
		v := c.F
		if dt == graph.Float32 || dt == graph.Float16 || dt == graph.BFloat16 {
			v = float64(float32(v))
		}
		return Float(v, s)
	case s == Bool:
		return BoolLit(c.I != 0)
	case s == U32:
		return Int(int64(uint8(c.I)), s)
	case s == I32:
		return Int(int64(int32(c.I)), s)
	}
	return Int(c.I, s)
}

// elementwise lowers a kernel without a core: one thread per output element.
func (b *builder) elementwise() error {
	n := b.k.Out.Numel()
	if e := b.o.Elems; e > 1 && n >= e*b.o.Local {
		return b.elementwiseRounds(n, e)
	}
	b.note("elementwise: %d threads in workgroups of %d", n, b.o.Local)
	gid := b.launch1D(n, b.o.Local)
	b.guard(gid, n)
	en := &env{shape: b.k.Shape, linear: gid}
	en.coords = b.decode(gid, b.k.Shape, "i")
	v, err := b.value(b.k.Expr, en)
	if err != nil {
		return err
	}
	b.emit(&Store{Param: 0, Index: gid, Value: v})
	return nil
}

// elementwiseRounds: each thread computes e elements, Local apart, so that a workgroup's
// loads of one round are adjacent and a thread has e of them in flight before it waits for
// any. Workgroups entirely inside the output skip the bounds checks, which would keep the
// loads of later rounds behind the stores of earlier ones.
func (b *builder) elementwiseRounds(n, e int) error {
	local := b.o.Local
	per := local * e
	b.note("elementwise: %d elements, %d a thread %d apart, in workgroups of %d", n, e, local, local)
	groups := (n + per - 1) / per
	group := b.launchGroups(groups, local)
	ic := b.iconst
	first := b.named("first", addE(mulE(group, per), Cast(Spec(LocalID, 0, U32), b.idx)))
	var err error
	rounds := func(guarded bool) []Stmt {
		return b.block(func() {
			for i := range e {
				gid := b.named(fmt.Sprintf("gid%d", i), addE(first, ic(i*local)))
				one := b.block(func() {
					en := &env{shape: b.k.Shape, linear: gid}
					en.coords = b.decode(gid, b.k.Shape, fmt.Sprintf("e%di", i))
					v, verr := b.value(b.k.Expr, en)
					if verr != nil {
						err = verr
						return
					}
					b.emit(&Store{Param: 0, Index: gid, Value: v})
				})
				if guarded {
					b.emit(&If{Cond: Bin(OLt, gid, ic(n)), Then: one})
				} else {
					b.emit(one...)
				}
			}
		})
	}
	full := Bin(OLe, addE(mulE(group, per), ic(per)), ic(n))
	if n%per == 0 {
		b.emit(rounds(false)...)
	} else {
		b.emit(&If{Cond: full, Then: rounds(false), Else: rounds(true)})
	}
	return err
}

// epilogue evaluates the kernel's expression at output position pos with the core's value,
// and stores it.
func (b *builder) epilogue(pos *Expr, core *Expr) error {
	v, err := b.epilogueValue(pos, core, "o")
	if err != nil {
		return err
	}
	b.emit(&Store{Param: 0, Index: pos, Value: v})
	return nil
}

// epilogueValue is the kernel's expression at output position pos with the core's value:
// the value that epilogue stores. The output's coordinates are named with prefix, one of
// its own for each position in a scope.
func (b *builder) epilogueValue(pos *Expr, core *Expr, prefix string) (*Expr, error) {
	en := &env{shape: b.k.Shape, linear: pos, core: core}
	if b.k.Expr.Op != graph.OpCoreValue {
		en.coords = b.decode(pos, b.k.Shape, prefix)
	}
	return b.value(b.k.Expr, en)
}

// prune drops the declarations of constants that nothing reads, so that the source shows
// only what the kernel uses (coordinates decoded but not needed, ...).
func prune(body []Stmt) []Stmt {
	for {
		used := map[string]int{}
		var expr func(e *Expr)
		expr = func(e *Expr) {
			if e == nil {
				return
			}
			if e.Kind == KVar || e.Kind == KIndex {
				used[e.Name]++
			}
			for _, a := range e.Args {
				expr(a)
			}
		}
		var walk func(list []Stmt)
		walk = func(list []Stmt) {
			for _, s := range list {
				switch s := s.(type) {
				case *Decl:
					expr(s.Init)
				case *Assign:
					used[s.Name]++
					expr(s.Index)
					expr(s.Value)
				case *Store:
					expr(s.Index)
					expr(s.Value)
				case *If:
					expr(s.Cond)
					walk(s.Then)
					walk(s.Else)
				case *For:
					expr(s.Start)
					expr(s.End)
					expr(s.Step)
					walk(s.Body)
				case *Intrinsic:
					for _, a := range s.Args {
						expr(a)
					}
				}
			}
		}
		walk(body)
		removed := false
		var filter func(list []Stmt) []Stmt
		filter = func(list []Stmt) []Stmt {
			out := list[:0]
			for _, s := range list {
				switch s := s.(type) {
				case *Decl:
					if s.Const && used[s.Name] == 0 {
						removed = true
						continue
					}
				case *If:
					s.Then, s.Else = filter(s.Then), filter(s.Else)
				case *For:
					s.Body = filter(s.Body)
				}
				out = append(out, s)
			}
			return out
		}
		body = filter(body)
		if !removed {
			return body
		}
	}
}
