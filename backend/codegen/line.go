package codegen

import (
	"math"
	"slices"

	"github.com/crossbar-compute/crossbar/graph"
)

// lineCore lowers a softmax, log-softmax or layer normalization (graph.OpSoftmax,
// OpLogSoftmax, OpLayerNorm: the named patterns that tensor builds for a device whose
// capabilities say it computes them) as one workgroup per line: the line along Axes[0] (a
// layer norm: the block of the axes from Axes[0] on). Its threads fold the line's maximum
// (a layer norm: its sum) every local-th element, combine it in the workgroup and share it
// through shared memory; fold and share the sum of the exponentials of the differences
// (the squares of the differences from the mean) the same way; then compute each of their
// elements and the kernel's epilogue on it. Three passes over the line, each reading what
// the last one read: one kernel where the decomposition takes three, the line read from
// memory once where it fits in cache (a row of a vocabulary's logits or of a layer's
// activations does). A line across rows is one thread's, the three passes serial.
func (b *builder) lineCore() error {
	c := b.k.Core
	first := graph.OpReduceMax
	if c.Op == graph.OpLayerNorm {
		first = graph.OpSum
	}
	r := reduction{op: first, dt: c.DType, s: ComputeType(c.DType), in: c.InShape}
	for a := c.Axes[0]; a < len(r.in); a++ {
		if r.in[a] != 1 {
			r.reduced = append(r.reduced, a)
		}
		if c.Op != graph.OpLayerNorm {
			break
		}
	}
	kept := slices.Clone(r.in)
	r.group = 1
	for _, a := range r.reduced {
		r.group *= r.in[a]
		kept[a] = 1
	}
	r.outs = graph.NumElements(kept)
	if r.group == 0 {
		r.outs = 0
	}
	s := r.s
	if !s.IsFloat() {
		return b.unsupported("%v of %v", c.Op, c.DType)
	}
	sizes := make([]int, len(r.reduced))
	for i, a := range r.reduced {
		sizes[i] = r.in[a]
	}
	// A line across rows (its elements a row apart in memory) is a thread's: neighbouring
	// threads then read neighbouring elements. A row is a workgroup's, as wide as the line
	// up to ReduceLocal threads, a power of two of at least a warp.
	strided := len(r.reduced) > 0 && graph.NumElements(r.in[r.reduced[len(r.reduced)-1]+1:]) > 1
	var out []*Expr
	start, step := b.iconst(0), 1
	var share func(r reduction, acc *Expr, name string) (*Expr, error)
	if strided {
		b.note("%v: %d lines of %d elements a row apart, one thread each", c.Op, r.outs, r.group)
		gid := b.launch1D(r.outs, b.o.Local)
		b.guard(gid, r.outs)
		out = b.decode(gid, kept, "c")
		share = func(_ reduction, acc *Expr, name string) (*Expr, error) { return b.named(name, acc), nil }
	} else {
		// Few long rows (a vocabulary's logits for one token) take workgroups of up to
		// maxLineLocal threads: the row is all the work there is, on one multiprocessor.
		widest := b.o.ReduceLocal
		if r.outs < fewLines {
			widest = max(widest, maxLineLocal)
		}
		local := 32
		for local < r.group && local < widest {
			local *= 2
		}
		if b.t.MaxWorkgroup > 0 {
			for local > b.t.MaxWorkgroup {
				local /= 2
			}
		}
		shuffle := b.t.Shuffle && b.t.WarpWidth == 32 && local%32 == 0
		b.note("%v: %d lines of %d elements, one workgroup of %d each", c.Op, r.outs, r.group, local)
		group := b.launchGroups(r.outs, local)
		tid := b.named("tid", Cast(Spec(LocalID, 0, U32), b.idx))
		out = b.decode(group, kept, "c")
		start, step = tid, local
		b.sharedOnce(&Decl{Name: "linestat", Type: T(s), Len: 1})
		stat := Index("linestat", T(s), b.iconst(0))
		// share combines the threads' acc by r's op and leaves the result in every thread.
		share = func(r reduction, acc *Expr, name string) (*Expr, error) {
			var err error
			// In a scope of its own: each combination declares its names (a warp's lane).
			scope := b.block(func() {
				err = b.combineGroup(r, tid, acc, local, 1, shuffle, func(v *Expr) error {
					b.emit(&Assign{Name: "linestat", Index: b.iconst(0), Value: v})
					return nil
				})
			})
			b.emit(&If{Cond: BoolLit(true), Then: scope}, &Barrier{})
			return b.named(name, stat), err
		}
	}
	// each emits the loop in which the thread visits its elements of the line (start,
	// start+step, ...): body gets the prologue's value there and the element's position in
	// the domain.
	each := func(body func(v, pos *Expr)) error {
		red := Var("r", T(b.idx))
		var err error
		list := b.block(func() {
			coords := b.inCoords(r, out, b.decode(red, sizes, "r"))
			en := &env{shape: r.in, coords: coords}
			var v *Expr
			if v, err = b.value(c.Src[0], en); err == nil {
				body(v, b.let("p", linearOf(coords, r.in, b.idx)))
			}
		})
		b.emit(&For{Var: red.Name, Type: b.idx, Start: start, End: b.iconst(r.group), Step: b.iconst(step), Body: list})
		return err
	}
	fail := func(what string) error { return b.unsupported("%v of %v: no %s", c.Op, c.DType, what) }
	sub := func(x, y *Expr) *Expr { return b.binary(graph.OpSub, s, x, y) }
	div := func(x, y *Expr) *Expr { return b.binary(graph.OpDiv, s, x, y) }
	exp := func(x *Expr) *Expr { return b.unary(graph.OpExp, s, x) }

	acc := b.variable("acc", r.identity())
	if err := each(func(v, _ *Expr) { b.emit(&Assign{Name: acc.Name, Value: r.combine(acc, v)}) }); err != nil {
		return err
	}
	sum := reduction{op: graph.OpSum, dt: r.dt, s: s}
	first1, err := share(r, acc, "first")
	if err != nil {
		return err
	}
	// center is what the line's elements are shifted by: a softmax's maximum (0 where that
	// is ±Inf, as the decomposition takes it), a layer norm's mean.
	var center *Expr
	if c.Op == graph.OpLayerNorm {
		center = b.named("mean", div(first1, Float(float64(r.group), s)))
	} else {
		inf := Bin(OEq, b.unary(graph.OpAbs, s, first1), Float(math.Inf(1), s))
		center = b.named("center", Sel(inf, Zero(s), first1))
	}
	acc2 := b.variable("acc2", Zero(s))
	var bad error
	err = each(func(v, _ *Expr) {
		d := b.let("d", sub(v, center))
		var t *Expr
		if c.Op == graph.OpLayerNorm {
			t = Bin(OMul, d, d)
		} else if t = exp(d); t == nil {
			bad = fail("exponential")
			return
		}
		b.emit(&Assign{Name: acc2.Name, Value: Bin(OAdd, acc2, t)})
	})
	if err != nil || bad != nil {
		return firstErr(err, bad)
	}
	second, err := share(sum, acc2, "second")
	if err != nil {
		return err
	}
	var scale *Expr // what the differences are divided by, or (log-softmax) lessened by
	switch c.Op {
	case graph.OpLayerNorm:
		v := Bin(OAdd, div(second, Float(float64(r.group), s)), Float(c.Eps, s))
		if scale = b.unary(graph.OpSqrt, s, v); scale == nil {
			return fail("square root")
		}
	case graph.OpLogSoftmax:
		if scale = b.unary(graph.OpLog, s, second); scale == nil {
			return fail("logarithm")
		}
	default:
		scale = second
	}
	scale = b.named("scale", scale)
	err = each(func(v, pos *Expr) {
		d := b.let("d", sub(v, center))
		var y *Expr
		switch c.Op {
		case graph.OpSoftmax:
			y = div(exp(d), scale)
		case graph.OpLogSoftmax:
			y = sub(d, scale)
		default:
			y = div(d, scale)
		}
		if e := b.epilogue(pos, b.let("v", b.narrow(y, r.dt, graph.OpSum))); e != nil && bad == nil {
			bad = e
		}
	})
	return firstErr(err, bad)
}

// fewLines is the number of rows below which lineCore gives each row a workgroup of up to
// maxLineLocal threads rather than ReduceLocal.
const (
	fewLines     = 64
	maxLineLocal = 1024
)

// linearOf is the row-major position of coords in shape, in index type idx.
func linearOf(coords []*Expr, shape []int, idx Scalar) *Expr {
	pos := Int(0, idx)
	stride := 1
	for k := len(shape) - 1; k >= 0; k-- {
		if shape[k] != 1 {
			pos = addE(pos, mulE(coords[k], stride))
		}
		stride *= shape[k]
	}
	return pos
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
