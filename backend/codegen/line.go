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
// activations does). A line across rows is one thread's, the three passes serial, as is a
// short row on a target without warp shuffles (see spreadLines).
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
	L := b.spreadLines(r, kept, c.Op)
	if !L.strided {
		b.sharedOnce(&Decl{Name: "linestat", Type: T(s), Len: 1})
	}
	stat := Index("linestat", T(s), b.iconst(0))
	// share combines the threads' acc by r's op and leaves the result in every thread.
	share := func(r reduction, acc *Expr, name string) (*Expr, error) {
		if L.strided {
			return b.named(name, acc), nil
		}
		var err error
		// In a scope of its own: each combination declares its names (a warp's lane).
		scope := b.block(func() {
			err = b.combineGroup(r, L.tid, acc, L.local, 1, L.shuffle, func(v *Expr) error {
				b.emit(&Assign{Name: "linestat", Index: b.iconst(0), Value: v})
				return nil
			})
		})
		b.emit(&If{Cond: BoolLit(true), Then: scope}, &Barrier{})
		return b.named(name, stat), err
	}
	each := func(body func(v, pos *Expr)) error {
		return b.eachOfLine(r, L, func(v, _, pos *Expr) { body(v, pos) })
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

// lineSpread is how a line kernel gives its lines to threads.
type lineSpread struct {
	strided bool    // a thread per line (across rows or short); else a workgroup per line
	line    *Expr   // the line's index: the output position of a reduction along it
	out     []*Expr // the line's coordinates in the shape with its axes kept as 1
	tid     *Expr   // a workgroup's thread
	local   int     // a workgroup's threads
	shuffle bool    // a workgroup may combine through warp shuffles
}

// spreadLines launches the threads for the lines of r (kept: r.in with the line's axes
// as 1). A line across rows (its elements a row apart in memory) is a thread's:
// neighbouring threads then read neighbouring elements. So is a row shorter than
// GroupMin on a target without warp shuffles, as in a reduction (ReduceSerial): there a
// workgroup combines through shared memory, a barrier a step, which costs more than a
// short row's elements (on llvmpipe, 8192 rows of 128: a softmax about 5 times, a layer
// norm 4 times, an argmax 7 times the time of a thread a row). Other rows are a workgroup's, as wide as the line up to ReduceLocal
// threads, a power of two of at least a warp. Options.Reduce ReduceSerial makes every
// line a thread's.
func (b *builder) spreadLines(r reduction, kept []int, op graph.Op) lineSpread {
	var L lineSpread
	across := len(r.reduced) > 0 && graph.NumElements(r.in[r.reduced[len(r.reduced)-1]+1:]) > 1
	short := r.group < b.o.GroupMin && !b.t.Shuffle
	L.strided = across || short || b.o.Reduce == ReduceSerial
	if L.strided {
		apart := ""
		if across {
			apart = " a row apart"
		}
		b.note("%v: %d lines of %d elements%s, one thread each", op, r.outs, r.group, apart)
		L.line = b.launch1D(r.outs, b.o.Local)
		b.guard(L.line, r.outs)
		L.out = b.decode(L.line, kept, "c")
		return L
	}
	// Few long rows (a vocabulary's logits for one token) take workgroups of up to
	// maxLineLocal threads: the row is all the work there is, on one multiprocessor.
	widest := b.o.ReduceLocal
	if r.outs < fewLines {
		widest = max(widest, maxLineLocal)
	}
	L.local = 32
	for L.local < r.group && L.local < widest {
		L.local *= 2
	}
	if b.t.MaxWorkgroup > 0 {
		for L.local > b.t.MaxWorkgroup {
			L.local /= 2
		}
	}
	L.shuffle = b.t.Shuffle && b.t.WarpWidth == 32 && L.local%32 == 0
	b.note("%v: %d lines of %d elements, one workgroup of %d each", op, r.outs, r.group, L.local)
	L.line = b.launchGroups(r.outs, L.local)
	L.tid = b.named("tid", Cast(Spec(LocalID, 0, U32), b.idx))
	L.out = b.decode(L.line, kept, "c")
	return L
}

// eachOfLine emits the loop in which a thread visits its elements of its line of r:
// every one where the line is the thread's, else those from its place in the workgroup
// on, a workgroup apart. body gets the prologue's value there, the element's place along
// the line and its position in the domain.
func (b *builder) eachOfLine(r reduction, L lineSpread, body func(v, at, pos *Expr)) error {
	sizes := make([]int, len(r.reduced))
	for i, a := range r.reduced {
		sizes[i] = r.in[a]
	}
	start, step := b.iconst(0), 1
	if !L.strided {
		start, step = L.tid, L.local
	}
	red := Var("r", T(b.idx))
	var err error
	list := b.block(func() {
		coords := b.inCoords(r, L.out, b.decode(red, sizes, "r"))
		en := &env{shape: r.in, coords: coords}
		var v *Expr
		if v, err = b.value(b.k.Core.Src[0], en); err == nil {
			body(v, red, b.let("p", linearOf(coords, r.in, b.idx)))
		}
	})
	b.emit(&For{Var: red.Name, Type: b.idx, Start: start, End: b.iconst(r.group), Step: b.iconst(step), Body: list})
	return err
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

// argCore lowers the index of the first maximum or minimum along an axis (graph.OpArgMax,
// OpArgMin: named patterns that tensor builds for a device whose capabilities say it
// computes them) in one pass over each line, laid out like lineCore's: each thread keeps
// the best value it has seen and its place, then a workgroup's threads combine theirs
// through shuffles or a tree in shared memory. Where the decomposition reads the line in
// two kernels (the extreme; the first place holding it) of the three it launches, this
// reads it once.
func (b *builder) argCore() error {
	c := b.k.Core
	op := graph.OpReduceMax
	if c.Op == graph.OpArgMin {
		op = graph.OpReduceMin
	}
	src := c.Src[0]
	r := reduction{op: op, dt: src.DType, s: ComputeType(src.DType), in: c.InShape}
	ax := c.Axes[0]
	if r.in[ax] != 1 {
		r.reduced = []int{ax}
	}
	kept := slices.Clone(r.in)
	kept[ax] = 1
	r.group, r.outs = r.in[ax], graph.NumElements(kept)
	if r.group == 0 {
		r.outs = 0
	}
	if c.DType != graph.Int64 {
		return b.unsupported("%v to %v", c.Op, c.DType)
	}
	// Bool compares as an int: true is the greater.
	if r.s == Bool {
		r.s = I32
	}
	s, at := r.s, T(b.idx)
	L := b.spreadLines(r, kept, c.Op)
	best := b.variable("best", r.identity())
	place := b.variable("place", b.iconst(r.group)) // past the line: no element yet
	// take sets (best, place) to (v, i) where v at i comes before them in the order of
	// argmax: the greater value (the smaller one for argmin), a NaN over any number, the
	// earlier place among equals. It orders any pair, so the threads' results combine in
	// any grouping.
	take := func(v, i *Expr) {
		better := Bin(OLt, best, v)
		if op == graph.OpReduceMin {
			better = Bin(OLt, v, best)
		}
		earlier := Bin(OLt, i, place)
		better = Bin(OLOr, better, Bin(OLAnd, Bin(OEq, v, best), earlier))
		if s.IsFloat() {
			bestNaN := Call(FnIsNaN, Bool, best)
			better = Bin(OLOr, better, Bin(OLAnd, Call(FnIsNaN, Bool, v), Bin(OLOr, Un(OLNot, bestNaN), earlier)))
		}
		b.emit(&If{Cond: better, Then: []Stmt{&Assign{Name: best.Name, Value: v}, &Assign{Name: place.Name, Value: i}}})
	}
	err := b.eachOfLine(r, L, func(v, i, _ *Expr) {
		if v.Type.S == Bool {
			v = Sel(v, Int(1, I32), Int(0, I32))
		}
		take(b.let("v", v), i)
	})
	if err != nil {
		return err
	}
	finish := func() error {
		return b.epilogue(L.line, b.let("v", Cast(place, I64)))
	}
	if L.strided {
		return finish()
	}
	// butterfly leaves in every lane of a warp the warp's best.
	butterfly := func() {
		for m := 16; m > 0; m /= 2 {
			ov := b.let("o", b.shuffle(s, best, m))
			oi := b.let("oi", b.shuffle(at.S, place, m))
			take(ov, oi)
		}
	}
	if L.shuffle {
		butterfly()
		if warps := L.local / 32; warps > 1 {
			lane := b.named("lane", remE(L.tid, 32))
			b.sharedOnce(&Decl{Name: "argbest", Type: T(s), Len: warps})
			b.sharedOnce(&Decl{Name: "argplace", Type: at, Len: warps})
			w := divE(L.tid, 32)
			b.emit(&If{Cond: Bin(OEq, lane, b.iconst(0)), Then: []Stmt{
				&Assign{Name: "argbest", Index: w, Value: best}, &Assign{Name: "argplace", Index: w, Value: place}}}, &Barrier{})
			first := b.block(func() {
				b.emit(&Assign{Name: best.Name, Value: Sel(Bin(OLt, lane, b.iconst(warps)), Index("argbest", T(s), lane), r.identity())},
					&Assign{Name: place.Name, Value: Sel(Bin(OLt, lane, b.iconst(warps)), Index("argplace", at, lane), b.iconst(r.group))})
				butterfly()
			})
			b.emit(&If{Cond: Bin(OLt, L.tid, b.iconst(32)), Then: first})
		}
	} else {
		b.sharedOnce(&Decl{Name: "argbest", Type: T(s), Len: L.local})
		b.sharedOnce(&Decl{Name: "argplace", Type: at, Len: L.local})
		b.emit(&Comment{Text: "Combine the threads' best in a tree."})
		b.emit(&Assign{Name: "argbest", Index: L.tid, Value: best}, &Assign{Name: "argplace", Index: L.tid, Value: place}, &Barrier{})
		for h := L.local / 2; h >= 1; h /= 2 {
			then := b.block(func() {
				o := addE(L.tid, b.iconst(h))
				take(b.let("o", Index("argbest", T(s), o)), b.let("oi", Index("argplace", at, o)))
				b.emit(&Assign{Name: "argbest", Index: L.tid, Value: best}, &Assign{Name: "argplace", Index: L.tid, Value: place})
			})
			b.emit(&If{Cond: Bin(OLt, L.tid, b.iconst(h)), Then: then}, &Barrier{})
		}
	}
	var ferr error
	then := b.block(func() { ferr = finish() })
	b.emit(&If{Cond: Bin(OEq, L.tid, b.iconst(0)), Then: then})
	return ferr
}
