package cpu

import (
	"slices"

	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/graph"
)

// A contraction's elementwise epilogue (a bias, an activation, a residual: anything made of
// elementwise float operations on the product, constants and plain loads, in the product's
// dtype, and selects on comparisons of such values) runs inside the GEMM, on each tile of C
// as soon as it is final and while it is still in the cache, so that
// MatMul(a, b).Add(bias).ReLU() makes one pass over its output. A value it reads twice (see
// graph.Expr) is computed once a block.
//
// A tile is evaluated as one run of up to blockSize elements: its rows (or its columns, when C
// is stored by columns) one after the other, gathered, so that each operation of the
// expression is one call over the whole tile. A load that does not move over the tile is a
// scalar. Every operation is the evaluator's own (unaryF32, scalarF32, binaryF32; unaryF, binaryF for
// float64), so the fused result is bit for bit the unfused one.

// A tnode is a node of a tile epilogue.
type tnode struct {
	op      graph.Op
	slot    int
	input   int     // load: the kernel input
	cval    float64 // constant
	offset  int     // load: offset and strides of its view of the output shape
	strides []int
	src     []*tnode
	shared  bool     // read by several nodes: computed once a block (see remember)
	cmp     graph.Op // OpWhere: the comparison of src[0] and src[1] that picks src[2] or src[3]
}

// A tileEpilogue is a kernel's expression compiled for tiles of the GEMM's output.
type tileEpilogue struct {
	root  *tnode
	dt    graph.DType
	slots int // slots used by the nodes; slot [slots] holds a gathered run of C
	loads []*tnode
}

// compileTile returns the kernel's expression as a tile epilogue, or nil when it is not made
// of what one can hold (or is the product itself, which needs none).
func compileTile(k *graph.Kernel) *tileEpilogue {
	c := k.Core
	if c == nil || c.Op != graph.OpContract || !slices.Equal(k.Shape, c.Shape) ||
		k.Expr.Op == graph.OpCoreValue || (c.DType != graph.Float32 && c.DType != graph.Float64) {
		return nil
	}
	t := &tileEpilogue{dt: c.DType}
	refs, done := readers(k.Expr), map[*graph.Expr]*tnode{}
	var walk func(e *graph.Expr) *tnode
	walk = func(e *graph.Expr) *tnode {
		if e.DType != t.dt {
			return nil
		}
		if n := done[e]; n != nil {
			return n
		}
		n := &tnode{op: e.Op, slot: t.slots, input: e.Input, cval: e.Const.F}
		t.slots++
		switch {
		case e.Op == graph.OpCoreValue:
			return n
		case e.Op == graph.OpConst:
			if e.View.Mask != nil {
				return nil
			}
			return n
		case e.Op == graph.OpLoad:
			if e.View.Mask != nil || len(e.View.Shape) != len(k.Shape) {
				return nil
			}
			n.offset, n.strides = e.View.Offset, e.View.Strides
			t.loads = append(t.loads, n)
			return n
		}
		src := e.Src
		switch {
		case e.Op == graph.OpWhere && len(e.Src) == 3 && e.Src[0].Op.IsCompare() && len(e.Src[0].Src) == 2:
			// A select on a comparison of two values of the epilogue's dtype (LeakyReLU's,
			// ELU's): its sources are the comparison's operands, then the two branches.
			n.cmp = e.Src[0].Op
			src = []*graph.Expr{e.Src[0].Src[0], e.Src[0].Src[1], e.Src[1], e.Src[2]}
		case e.Op == graph.OpCast || e.Op == graph.OpWhere || e.Op == graph.OpMulAdd || e.Op.IsCompare() ||
			!e.Op.IsElementwise() || supported(e) != nil:
			return nil
		case e.Op.IsUnary() && len(e.Src) != 1, !e.Op.IsUnary() && len(e.Src) != 2:
			return nil
		}
		for _, s := range src {
			sn := walk(s)
			if sn == nil {
				return nil
			}
			n.src = append(n.src, sn)
		}
		if refs[e] > 1 {
			n.shared = true
			done[e] = n
		}
		return n
	}
	if t.root = walk(k.Expr); t.root == nil {
		return nil
	}
	return t
}

// inputsOK reports whether every load reads a buffer of the epilogue's dtype.
func (t *tileEpilogue) inputsOK(ins []*Buffer) bool {
	for _, l := range t.loads {
		if ins[l.input].dt != t.dt {
			return false
		}
	}
	return true
}

// epilogueOf returns the epilogue of product bi of a batched contraction of the given output
// shape, for the asm GEMM.
func epilogueOf[T asm.Float](t *tileEpilogue, ins []*Buffer, shape []int, bi int) asm.Epilogue[T] {
	// Each load's offset at row 0, column 0 of this product.
	r := len(shape)
	bases := make([]int, t.slots)
	for _, l := range t.loads {
		o, rem := l.offset, bi
		for d := r - 3; d >= 0; d-- {
			o += rem % shape[d] * l.strides[d]
			rem /= shape[d]
		}
		bases[l.slot] = o
	}
	return func(i, j, rows, cols int, c []T, off, rs, cs int) {
		x := newCtx(t.slots+1, ins)
		defer putCtx(x)
		// Lines follow C's memory: rows, unless C is stored by columns (or is a column);
		// where neither way is contiguous, the longer.
		b := block{i: i, j: j, lines: rows, n: cols, li: 1, pj: 1}
		lstride, pstride := rs, cs
		byRows, byCols := cs == 1, rs == 1
		if byCols && (!byRows || rows > cols) || !byRows && !byCols && rows > cols {
			b = block{i: i, j: j, lines: cols, n: rows, lj: 1, pi: 1}
			lstride, pstride = cs, rs
		}
		if b.n > blockSize {
			// Long lines (a whole C at once): a piece of one line at a time.
			for l := range b.lines {
				for p := 0; p < b.n; p += blockSize {
					s := block{i: b.i + l*b.li + p*b.pi, j: b.j + l*b.lj + p*b.pj, lines: 1, n: min(blockSize, b.n-p), li: b.li, lj: b.lj, pi: b.pi, pj: b.pj}
					finish(t, x, bases, c, off+l*lstride+p*pstride, lstride, pstride, s)
				}
			}
			return
		}
		// Several lines at once, so that each operation of the expression runs once over
		// up to blockSize elements.
		per := blockSize / b.n
		for l := 0; l < b.lines; l += per {
			s := b
			s.i, s.j, s.lines = b.i+l*b.li, b.j+l*b.lj, min(per, b.lines-l)
			finish(t, x, bases, c, off+l*lstride, lstride, pstride, s)
		}
	}
}

// A block is lines×n output elements evaluated as one run: element (l, p) of the run, at
// position l*n+p, is output element (i + l*li + p*pi, j + l*lj + p*pj).
type block struct {
	i, j, lines, n int
	li, lj, pi, pj int
}

func (b block) size() int { return b.lines * b.n }

// finish computes the epilogue on block b of C, whose element (l, p) is c[off+l*ls+p*ps].
func finish[T asm.Float](t *tileEpilogue, x *ctx, bases []int, c []T, off, ls, ps int, b block) {
	x.gen++ // a new block: what shared nodes kept is stale
	m := b.size()
	var cv []T
	if b.lines == 1 && ps == 1 {
		cv = c[off : off+m]
	} else {
		cv = slotOf[T](x, t.slots)[:m]
		gatherBlock(cv, c, off, ls, ps, b)
	}
	var res []T
	switch cv := any(cv).(type) {
	case []float32:
		res = any(t.eval32(t.root, x, bases, cv, b).vec(x, t.root.slot, m).v).([]T)
	case []float64:
		res = any(t.eval64(t.root, x, bases, cv, b).vec(x, t.root.slot, m).v).([]T)
	}
	for l := range b.lines {
		o, line := off+l*ls, res[l*b.n:(l+1)*b.n]
		if ps == 1 {
			copy(c[o:o+b.n], line)
			continue
		}
		for p, v := range line {
			c[o+p*ps] = v
		}
	}
}

// gatherBlock copies the elements src[off+l*ls+p*ps] of block b into dst, in block order;
// elements outside src read as zero, as loads do in the evaluator.
func gatherBlock[T asm.Float](dst, src []T, off, ls, ps int, b block) {
	for l := range b.lines {
		o, line := off+l*ls, dst[l*b.n:(l+1)*b.n]
		last := o + (b.n-1)*ps
		if uint(o) < uint(len(src)) && uint(last) < uint(len(src)) {
			switch ps {
			case 1:
				copy(line, src[o:o+b.n])
				continue
			case 0:
				fill(line, src[o])
				continue
			}
		}
		for p := range line {
			if q := o + p*ps; uint(q) < uint(len(src)) {
				line[p] = src[q]
			} else {
				line[p] = 0
			}
		}
	}
}

// slotOf returns scratch slot s of x for elements of type T.
func slotOf[T asm.Float](x *ctx, s int) []T {
	var z T
	if _, ok := any(z).(float32); ok {
		return any(x.f32slot(s)).([]T)
	}
	return any(x.fslot(s)).([]T)
}

// fill sets every element of s to v: float32 on the vector kernels, as a broadcast spread
// along a short row (a softmax's row maximum over rows of 64) is filled once a row; others
// element by element, and past fillCopy elements by copies of what is filled, doubling
// (memmove's vector stores: 2048 float64 in 145 ns, against 596 ns element by element; a
// layer norm's Float64 mean and deviation are spread so along its rows).
func fill[T any](s []T, v T) []T {
	if f, ok := any(s).([]float32); ok {
		asm.FillF32(f, any(v).(float32))
		return s
	}
	n := min(len(s), fillCopy)
	for q := range s[:n] {
		s[q] = v
	}
	for n < len(s) {
		n += copy(s[n:], s[:n])
	}
	return s
}

// fillCopy is the length from which fill copies what it has filled.
const fillCopy = 64

// load returns a load's values on block b: a scalar when they do not move over the block,
// a slice of the input when the block is one run of consecutive elements, else the values
// gathered into scratch.
func load[T asm.Float](e *tnode, bases []int, src, scratch []T, b block) value[T] {
	r := len(e.strides)
	sm, sn := e.strides[r-2], e.strides[r-1]
	o := bases[e.slot] + b.i*sm + b.j*sn
	ls, ps := b.li*sm+b.lj*sn, b.pi*sm+b.pj*sn
	last := o + (b.n-1)*ps + (b.lines-1)*ls
	inside := uint(o) < uint(len(src)) && uint(last) < uint(len(src))
	switch {
	case inside && ps == 0 && (ls == 0 || b.lines == 1):
		return value[T]{s: src[o], scalar: true}
	case inside && ps == 1 && b.lines == 1:
		return value[T]{v: src[o : o+b.n]}
	}
	v := scratch[:b.size()]
	gatherBlock(v, src, o, ls, ps, b)
	return value[T]{v: v, owned: true}
}

// A value is a node's result on a block: values, or one scalar for the whole block. Owned
// values are in scratch that the parent may overwrite: operations write into an operand's
// scratch where they can, which keeps the epilogue's footprint in L1 to about two tiles, next
// to the GEMM's panels.
type value[T asm.Float] struct {
	v      []T
	s      T
	scalar bool
	owned  bool
}

// vec returns the values of a, filling the node's slot with the scalar if it is one.
func (a value[T]) vec(x *ctx, slot, n int) value[T] {
	if a.scalar {
		return value[T]{v: fill(slotOf[T](x, slot)[:n], a.s), owned: true}
	}
	return a
}

// out returns where a node with operands a and b writes: the scratch of one of them, or
// the node's own slot.
func out[T asm.Float](x *ctx, slot, n int, a, b value[T]) []T {
	switch {
	case a.owned:
		return a.v
	case b.owned:
		return b.v
	}
	return slotOf[T](x, slot)[:n]
}

// recall returns the value of shared node e on the block being computed, if it is kept.
func recall[T asm.Float](e *tnode, x *ctx) (value[T], bool) {
	m := &x.memo[e.slot]
	if m.genF != x.gen {
		return value[T]{}, false
	}
	var z T
	if _, ok := any(z).(float32); ok {
		return value[T]{v: any(m.f32).([]T)}, true
	}
	return value[T]{v: any(m.f).([]T)}, true
}

// remember keeps v, the value of shared node e on the block being computed, and returns it
// as its readers take it: not owned, so that none of them writes into it. (A computing
// node's value is never a scalar: only loads and constants are.)
func remember[T asm.Float](e *tnode, x *ctx, v value[T]) value[T] {
	m := &x.memo[e.slot]
	m.genF = x.gen
	switch s := any(v.v).(type) {
	case []float32:
		m.f32 = s
	case []float64:
		m.f = s
	}
	v.owned = false
	return v
}

// eval32 computes a float32 node on block b, where cv holds the product (read only).
func (t *tileEpilogue) eval32(e *tnode, x *ctx, bases []int, cv []float32, b block) value[float32] {
	if !e.shared {
		return t.compute32(e, x, bases, cv, b)
	}
	if v, ok := recall[float32](e, x); ok {
		return v
	}
	return remember(e, x, t.compute32(e, x, bases, cv, b))
}

func (t *tileEpilogue) compute32(e *tnode, x *ctx, bases []int, cv []float32, b block) value[float32] {
	n := len(cv)
	switch e.op {
	case graph.OpCoreValue:
		return value[float32]{v: cv}
	case graph.OpConst:
		return value[float32]{s: float32(e.cval), scalar: true}
	case graph.OpLoad:
		return load(e, bases, view[float32](x.ins[e.input]), x.f32slot(e.slot), b)
	}
	if e.op == graph.OpWhere {
		return selectOnCompare(e, x, n, compareF32, func(s *tnode) value[float32] { return t.eval32(s, x, bases, cv, b) })
	}
	if len(e.src) == 1 {
		a := t.eval32(e.src[0], x, bases, cv, b).vec(x, e.src[0].slot, n)
		o := out(x, e.slot, n, a, value[float32]{})
		unaryF32(x, e.op, o, a.v)
		return value[float32]{v: o, owned: true}
	}
	u := t.eval32(e.src[0], x, bases, cv, b)
	v := t.eval32(e.src[1], x, bases, cv, b)
	switch {
	case v.scalar && !u.scalar && e.op == graph.OpPow && powConstOK(v.s):
		// x**3 of a GELU, say, as the expression evaluator computes it.
		o := out(x, e.slot, n, u, value[float32]{})
		powConst(o, u.v, v.s)
		return value[float32]{v: o, owned: true}
	case v.scalar && !u.scalar && hasScalarF32(e.op):
		o := out(x, e.slot, n, u, value[float32]{})
		scalarF32(e.op, o, u.v, v.s, false)
		return value[float32]{v: o, owned: true}
	case u.scalar && !v.scalar && hasScalarF32(e.op):
		o := out(x, e.slot, n, v, value[float32]{})
		scalarF32(e.op, o, v.v, u.s, true)
		return value[float32]{v: o, owned: true}
	}
	u, v = u.vec(x, e.src[0].slot, n), v.vec(x, e.src[1].slot, n)
	o := out(x, e.slot, n, u, v)
	binaryF32(e.op, o, u.v, v.v)
	return value[float32]{v: o, owned: true}
}

// selectOnCompare computes a Where node of the tile epilogue (see tnode.cmp): the comparison
// e.cmp of its sources 0 and 1 chooses between sources 2 and 3, bit for bit the evaluator's
// select. eval computes a source; called once a node and block, not once an element.
func selectOnCompare[T float32 | float64](e *tnode, x *ctx, n int, cmp func(graph.Op, []int64, []T, []T), eval func(*tnode) value[T]) value[T] {
	cond := x.islot(e.slot)[:n]
	u := eval(e.src[0]).vec(x, e.src[0].slot, n)
	v := eval(e.src[1]).vec(x, e.src[1].slot, n)
	cmp(e.cmp, cond, u.v, v.v)
	p := eval(e.src[2]).vec(x, e.src[2].slot, n)
	q := eval(e.src[3]).vec(x, e.src[3].slot, n)
	o := out(x, e.slot, n, p, q)
	selectBits(o, cond, p.v, q.v)
	return value[T]{v: o, owned: true}
}

// eval64 is eval32 for float64, on the evaluator's float64 operations (which compute in
// place into their first operand).
func (t *tileEpilogue) eval64(e *tnode, x *ctx, bases []int, cv []float64, b block) value[float64] {
	if !e.shared {
		return t.compute64(e, x, bases, cv, b)
	}
	if v, ok := recall[float64](e, x); ok {
		return v
	}
	return remember(e, x, t.compute64(e, x, bases, cv, b))
}

func (t *tileEpilogue) compute64(e *tnode, x *ctx, bases []int, cv []float64, b block) value[float64] {
	n := len(cv)
	switch e.op {
	case graph.OpCoreValue:
		return value[float64]{v: cv}
	case graph.OpConst:
		return value[float64]{s: e.cval, scalar: true}
	case graph.OpLoad:
		return load(e, bases, view[float64](x.ins[e.input]), x.fslot(e.slot), b)
	}
	if e.op == graph.OpWhere {
		return selectOnCompare(e, x, n, compare[float64], func(s *tnode) value[float64] { return t.eval64(s, x, bases, cv, b) })
	}
	u := t.eval64(e.src[0], x, bases, cv, b).vec(x, e.src[0].slot, n)
	o := u.v
	if !u.owned {
		o = x.fslot(e.slot)[:n]
	}
	if len(e.src) == 1 {
		unaryFTo(e.op, o, u.v)
		return value[float64]{v: o, owned: true}
	}
	v := t.eval64(e.src[1], x, bases, cv, b)
	if v.scalar && e.op == graph.OpPow && powConstOKF64(v.s) {
		powConstF64(o, u.v, v.s) // x**3 of a GELU, say, as the expression evaluator computes it
	} else {
		binaryFTo(e.op, o, u.v, v.vec(x, e.src[1].slot, n).v)
	}
	return value[float64]{v: o, owned: true}
}
