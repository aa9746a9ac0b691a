package codegen

import (
	"fmt"
	"math"
	"slices"

	"github.com/crossbar-compute/crossbar/graph"
)

// reduction describes the core of a reduction kernel.
type reduction struct {
	op      graph.Op
	dt      graph.DType // the core's dtype (that of its prologue)
	s       Scalar      // the accumulator's type
	in      []int       // the shape reduced over
	reduced []int       // the reduced axes of in with size > 1, in order
	outs    int         // output elements
	group   int         // input elements per output element
}

func (b *builder) reduction() reduction {
	c := b.k.Core
	r := reduction{op: c.Op, dt: c.DType, s: ComputeType(c.DType), in: c.InShape, outs: graph.NumElements(c.Shape)}
	for _, a := range c.Axes {
		if c.InShape[a] != 1 {
			r.reduced = append(r.reduced, a)
		}
	}
	if r.outs > 0 {
		r.group = graph.NumElements(c.InShape) / r.outs
	}
	return r
}

// identity is the value that op starts from.
func (r reduction) identity() *Expr {
	s := r.s
	switch r.op {
	case graph.OpProd:
		if s.IsFloat() {
			return Float(1, s)
		}
		return Int(1, s)
	case graph.OpReduceMax:
		switch s {
		case F32, F64:
			return Float(math.Inf(-1), s)
		case I32:
			return Int(math.MinInt32, s)
		case I64:
			return Int(math.MinInt64, s)
		}
		return Zero(s) // U32 (Uint8) and Bool
	case graph.OpReduceMin:
		switch s {
		case F32, F64:
			return Float(math.Inf(1), s)
		case I32:
			return Int(math.MaxInt32, s)
		case I64:
			return Int(math.MaxInt64, s)
		case U32:
			return Int(255, s)
		case Bool:
			return BoolLit(true)
		}
	}
	return Zero(s)
}

// combine folds v into the accumulator acc; both may be read twice.
func (r reduction) combine(acc, v *Expr) *Expr {
	s := r.s
	switch r.op {
	case graph.OpSum:
		if s == Bool {
			return Bin(OLOr, acc, v)
		}
		return Bin(OAdd, acc, v)
	case graph.OpProd:
		if s == Bool {
			return Bin(OLAnd, acc, v)
		}
		return Bin(OMul, acc, v)
	case graph.OpReduceMax, graph.OpReduceMin:
		if s == Bool {
			if r.op == graph.OpReduceMax {
				return Bin(OLOr, acc, v)
			}
			return Bin(OLAnd, acc, v)
		}
		if !s.IsFloat() {
			fn := FnMax
			if r.op == graph.OpReduceMin {
				fn = FnMin
			}
			return Call(fn, s, acc, v)
		}
		// A NaN wins and stays.
		better := Bin(OLt, acc, v)
		if r.op == graph.OpReduceMin {
			better = Bin(OLt, v, acc)
		}
		return Sel(Bin(OLOr, better, Call(FnIsNaN, Bool, v)), v, acc)
	}
	return nil
}

// reduce lowers a reduction kernel, its prologue and its epilogue.
func (b *builder) reduce() error {
	r := b.reduction()
	strategy := b.o.Reduce
	if strategy == ReduceAuto {
		strategy = ReduceSerial
		if r.group >= b.o.GroupMin && r.outs <= b.o.GroupMaxOutputs {
			strategy = ReduceGroup
		}
	}
	if strategy == ReduceGroup && b.t.MaxWorkgroup > 0 && b.o.ReduceLocal > b.t.MaxWorkgroup {
		strategy = ReduceSerial
	}
	if strategy == ReduceGroup {
		return b.reduceGroup(r)
	}
	return b.reduceSerial(r)
}

// inCoords are the coordinates of the input element of output coordinates out (over the
// core's shape) and reduced-axis coordinates red (indexed like r.reduced).
func (b *builder) inCoords(r reduction, out, red []*Expr) []*Expr {
	coords := slices.Clone(out)
	for i, a := range r.reduced {
		coords[a] = red[i]
	}
	return coords
}

// reduceSerial: one thread per output element folds its group in nested loops over the
// reduced axes.
func (b *builder) reduceSerial(r reduction) error {
	b.note("reduce %v serial: %d outputs of %d elements, workgroups of %d", r.op, r.outs, r.group, b.o.Local)
	gid := b.launch1D(r.outs, b.o.Local)
	b.guard(gid, r.outs)
	out := b.decode(gid, b.k.Core.Shape, "c")
	acc := b.variable("acc", r.identity())
	if r.group > 0 {
		red := make([]*Expr, len(r.reduced))
		for i, a := range r.reduced {
			red[i] = Var(fmt.Sprintf("r%d", a), T(b.idx))
		}
		var err error
		body := b.block(func() {
			en := &env{shape: r.in, coords: b.inCoords(r, out, red)}
			var v *Expr
			if v, err = b.value(b.k.Core.Src[0], en); err == nil {
				b.emit(&Assign{Name: acc.Name, Value: r.combine(acc, v)})
			}
		})
		if err != nil {
			return err
		}
		for i := len(r.reduced) - 1; i >= 0; i-- {
			a := r.reduced[i]
			body = []Stmt{&For{Var: red[i].Name, Type: b.idx, Start: b.iconst(0), End: b.iconst(r.in[a]), Step: b.iconst(1), Body: body}}
		}
		b.emit(body...)
	}
	core := b.let("v", b.narrow(acc, r.dt, graph.OpSum))
	return b.epilogue(gid, core)
}

// reduceGroup: one workgroup per output element; each thread folds a strided part of the
// group, then the partial results meet in a tree in shared memory. With a split
// (Options.ReduceSplit), n workgroups share each group, each a contiguous share of it.
func (b *builder) reduceGroup(r reduction) error {
	local := b.o.ReduceLocal
	shuffle := b.t.Shuffle && b.t.WarpWidth == 32 && local%32 == 0
	how := "tree in shared memory"
	if shuffle {
		how = fmt.Sprintf("shuffles in warps, then across %d warps", local/32)
	}
	n, per := b.reduceSplitOf(r, local)
	if n > 1 {
		b.note("reduce %v group: %d outputs of %d elements, %d workgroups of %d each, %d elements a workgroup, %s",
			r.op, r.outs, r.group, n, local, per, how)
	} else {
		b.note("reduce %v group: %d outputs of %d elements, one workgroup of %d each, %s", r.op, r.outs, r.group, local, how)
	}
	total := r.outs * n
	wg := b.launchGroups(total, local)
	if b.p.Groups[0]*b.p.Groups[1] > total {
		// The whole workgroup leaves together, so the barriers below stay uniform.
		b.emit(&If{Cond: Bin(OLe, b.iconst(total), wg), Then: []Stmt{&Return{}}})
	}
	tid := b.named("tid", Cast(Spec(LocalID, 0, U32), b.idx))
	group, share := wg, (*Expr)(nil)
	if n > 1 {
		share = b.named("share", remE(wg, n))
		group = b.named("opos", divE(wg, n)) // not "out", a word GLSL keeps
	}
	out := b.decode(group, b.k.Core.Shape, "c")
	acc := b.variable("acc", r.identity())
	if r.group > 0 {
		red := Var("r", T(b.idx))
		sizes := make([]int, len(r.reduced))
		for i, a := range r.reduced {
			sizes[i] = r.in[a]
		}
		var err error
		body := b.block(func() {
			rc := b.decode(red, sizes, "r")
			en := &env{shape: r.in, coords: b.inCoords(r, out, rc)}
			var v *Expr
			if v, err = b.value(b.k.Core.Src[0], en); err == nil {
				b.emit(&Assign{Name: acc.Name, Value: r.combine(acc, v)})
			}
		})
		if err != nil {
			return err
		}
		start, end := tid, b.iconst(r.group)
		if n > 1 {
			first := b.named("rfirst", mulE(share, per))
			start = addE(first, tid)
			end = b.named("rend", Sel(Bin(OEq, share, b.iconst(n-1)), b.iconst(r.group), addE(first, b.iconst(per))))
			b.emit(&Comment{Text: fmt.Sprintf("Each thread folds every %dth element of this workgroup's share of the group.", local)})
		} else {
			b.emit(&Comment{Text: "Each thread folds every " + fmt.Sprint(local) + "th element of the group."})
		}
		b.emit(&For{Var: red.Name, Type: b.idx, Start: start, End: end, Step: b.iconst(local), Body: body})
	}
	if n > 1 {
		return b.reduceSplitFinish(r, group, share, tid, acc, n, local, shuffle)
	}
	return b.combineGroup(r, tid, acc, local, shuffle, func(v *Expr) error { return b.reduceEpilogue(group, r, v) })
}

// reduceEpilogue runs the epilogue of output element group on v, the group's result.
func (b *builder) reduceEpilogue(group *Expr, r reduction, v *Expr) error {
	core := b.let("v", b.narrow(v, r.dt, graph.OpSum))
	return b.epilogue(group, core)
}

// combineGroup combines the threads' partial results acc of a workgroup of local threads,
// through shuffles or a tree in shared memory, and calls finish with the workgroup's result
// in the first thread, the only one that runs what finish emits.
func (b *builder) combineGroup(r reduction, tid, acc *Expr, local int, shuffle bool, finish func(v *Expr) error) error {
	if shuffle {
		return b.reduceWarps(r, tid, acc, local, finish)
	}
	b.sharedOnce(&Decl{Name: "partial", Type: T(r.s), Len: local})
	part := func(i *Expr) *Expr { return Index("partial", T(r.s), i) }
	b.emit(&Comment{Text: "Combine the threads' partial results in a tree."})
	b.emit(&Assign{Name: "partial", Index: tid, Value: acc}, &Barrier{})
	for s := local / 2; s > 0; s /= 2 {
		then := b.block(func() {
			mine := b.named("mine", part(tid))
			other := b.named("other", part(addE(tid, b.iconst(s))))
			b.emit(&Assign{Name: "partial", Index: tid, Value: r.combine(mine, other)})
		})
		b.emit(&If{Cond: Bin(OLt, tid, b.iconst(s)), Then: then}, &Barrier{})
	}
	var err error
	then := b.block(func() { err = finish(part(b.iconst(0))) })
	b.emit(&If{Cond: Bin(OEq, tid, b.iconst(0)), Then: then})
	return err
}

// sharedOnce declares d in shared memory unless an array of its name is declared already.
func (b *builder) sharedOnce(d *Decl) {
	for _, s := range b.p.Shared {
		if s.Name == d.Name {
			return
		}
	}
	b.p.Shared = append(b.p.Shared, d)
}

// reduceWarps is combineGroup on a target with warp shuffles: the threads of each warp
// combine their partial results through shuffles, the first thread of each warp leaves the
// warp's result in shared memory, and the first warp combines those the same way.
func (b *builder) reduceWarps(r reduction, tid, acc *Expr, local int, finish func(v *Expr) error) error {
	warps := local / 32
	b.emit(&Comment{Text: "Combine the partial results of each warp, then of the warps."})
	b.butterfly(r, acc)
	lane := b.named("lane", remE(tid, 32))
	b.sharedOnce(&Decl{Name: "partial", Type: T(r.s), Len: warps})
	b.emit(&If{Cond: Bin(OEq, lane, b.iconst(0)), Then: []Stmt{&Assign{Name: "partial", Index: divE(tid, 32), Value: acc}}}, &Barrier{})
	var err error
	first := b.block(func() {
		w := b.variable("w", Sel(Bin(OLt, lane, b.iconst(warps)), Index("partial", T(r.s), lane), r.identity()))
		b.butterfly(r, w)
		then := b.block(func() { err = finish(w) })
		b.emit(&If{Cond: Bin(OEq, tid, b.iconst(0)), Then: then})
	})
	b.emit(&If{Cond: Bin(OLt, tid, b.iconst(32)), Then: first})
	return err
}

// MaxReduceSplit bounds Options.ReduceSplit: a whole device's workgroups for one output.
const MaxReduceSplit = 4096

// reduceSplitOf returns the workgroups n that share each group of a ReduceGroup reduction
// and the elements per of each share but the last, as far as Options.ReduceSplit, the
// target and the reduction allow: float32 accumulators (the workspace's), shares of at
// least a workgroup's threads. n == 1 is no split.
func (b *builder) reduceSplitOf(r reduction, local int) (n, per int) {
	n = min(b.o.ReduceSplit, r.group/local)
	if n <= 1 || !b.t.SplitK || r.s != F32 || int64(r.outs)*int64(n) > maxPartials {
		return 1, r.group
	}
	per = (r.group + n - 1) / n
	return (r.group + per - 1) / per, per
}

// reduceSplitFinish ends a split ReduceGroup reduction: the workgroup's result goes to
// its share's place in the workspace (Program.Split) and the workgroup counts itself
// done on the output's counter; the one that counts last combines the n results in a
// fixed order (each thread those at its index modulo the workgroup, then the workgroup
// as above), resets the counter for the next launch and runs the epilogue. The result
// does not depend on which workgroup counts last.
func (b *builder) reduceSplitFinish(r reduction, group, share, tid, acc *Expr, n, local int, shuffle bool) error {
	pc, pp := b.workspace(r.outs, r.outs*n)
	slot := func(z *Expr) *Expr { return addE(mulE(group, n), z) }
	err := b.combineGroup(r, tid, acc, local, shuffle, func(v *Expr) error {
		b.emit(&Store{Param: pp, Index: slot(share), Value: v})
		b.countDone(pc, group, n)
		return nil
	})
	if err != nil {
		return err
	}
	b.emit(&Barrier{})
	then := b.block(func() {
		total := b.variable("total", r.identity())
		z := Var("z", T(b.idx))
		fold := []Stmt{&Assign{Name: total.Name, Value: r.combine(total, Load(pp, T(F32), slot(z)))}}
		b.emit(&For{Var: z.Name, Type: b.idx, Start: tid, End: b.iconst(n), Step: b.iconst(local), Body: fold})
		err = b.combineGroup(r, tid, total, local, shuffle, func(v *Expr) error { return b.reduceEpilogue(group, r, v) })
	})
	b.emit(&Comment{Text: "Split: the workgroup that counted last combines the shares' results."})
	b.emit(&If{Cond: Bin(ONe, Index("splitLast", T(I32), i32(0)), i32(0)), Then: then})
	return err
}

// butterfly folds v (a variable or an array element) by r with the values of the other
// lanes of its warp, through shuffles: every lane ends with the warp's result.
func (b *builder) butterfly(r reduction, v *Expr) {
	for m := 16; m > 0; m /= 2 {
		other := b.let("o", b.shuffle(r.s, v, m))
		b.emit(&Assign{Name: v.Name, Index: index(v), Value: r.combine(v, other)})
	}
}

// index is the array index of an element expression (KIndex), nil for a variable.
func index(v *Expr) *Expr {
	if v.Kind == KIndex {
		return v.Args[0]
	}
	return nil
}

// shuffle is FnShuffleXor of v, a value of type s; Bool travels as an int.
func (b *builder) shuffle(s Scalar, v *Expr, mask int) *Expr {
	m := Int(int64(mask), I32)
	if s == Bool {
		return Bin(ONe, Call(FnShuffleXor, I32, Cast(v, I32), m), Int(0, I32))
	}
	return Call(FnShuffleXor, s, v, m)
}
