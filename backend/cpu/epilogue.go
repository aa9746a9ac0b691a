package cpu

import (
	"slices"

	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/graph"
)

// A contraction's elementwise epilogue (a bias, an activation, a residual: anything made of
// elementwise float operations on the product, constants and plain loads, in the product's
// dtype) runs inside the GEMM, on each tile of C as soon as it is final and while it is still
// in the cache, so that MatMul(a, b).Add(bias).ReLU() makes one pass over its output.
//
// A tile is evaluated as runs: rows of the tile (or its columns, when C is stored by columns),
// up to blockSize long. A load steps along a run by its stride in that direction, so a bias
// broadcast along the run is a scalar and one along the other axis a contiguous slice. Every
// operation is the evaluator's own (unaryF32, scalarF32, binaryF32; unaryF, binaryF for
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
	var walk func(e *graph.Expr) *tnode
	walk = func(e *graph.Expr) *tnode {
		if e.DType != t.dt {
			return nil
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
		case e.Op == graph.OpCast || e.Op == graph.OpWhere || e.Op == graph.OpMulAdd || e.Op.IsCompare() ||
			!e.Op.IsElementwise() || supported(e) != nil:
			return nil
		case e.Op.IsUnary() && len(e.Src) == 1, !e.Op.IsUnary() && len(e.Src) == 2:
			for _, s := range e.Src {
				sn := walk(s)
				if sn == nil {
					return nil
				}
				n.src = append(n.src, sn)
			}
			return n
		}
		return nil
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
		if cs == 1 || rs != 1 && cols >= rows {
			for q := range rows {
				runTile(t, x, bases, c, off+q*rs, cs, i+q, j, 0, 1, cols)
			}
		} else {
			for q := range cols {
				runTile(t, x, bases, c, off+q*cs, rs, i, j+q, 1, 0, rows)
			}
		}
	}
}

// runTile finishes n elements of C, the first at c[off] and the next step apart, which are the
// output elements (i, j), (i+di, j+dj), ...
func runTile[T asm.Float](t *tileEpilogue, x *ctx, bases []int, c []T, off, step, i, j, di, dj, n int) {
	for s := 0; s < n; s += blockSize {
		m := min(blockSize, n-s)
		o := off + s*step
		var cv []T
		if step == 1 {
			cv = c[o : o+m]
		} else {
			cv = slotOf[T](x, t.slots)[:m]
			for q := range cv {
				cv[q] = c[o+q*step]
			}
		}
		var res []T
		switch cv := any(cv).(type) {
		case []float32:
			v, sv, scalar := t.eval32(t.root, x, bases, cv, i+s*di, j+s*dj, di, dj)
			if scalar {
				v = fill(x.f32slot(t.root.slot)[:m], sv)
			}
			res = any(v).([]T)
		case []float64:
			v, sv, scalar := t.eval64(t.root, x, bases, cv, i+s*di, j+s*dj, di, dj)
			if scalar {
				v = fill(x.fslot(t.root.slot)[:m], sv)
			}
			res = any(v).([]T)
		}
		if step == 1 {
			copy(c[o:o+m], res)
		} else {
			for q, v := range res {
				c[o+q*step] = v
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

func fill[T any](s []T, v T) []T {
	for q := range s {
		s[q] = v
	}
	return s
}

// load returns the run of a load: a scalar when the run does not move in its view (stride
// 0), a slice of the input when it steps by one, else the values gathered. Elements outside
// the buffer read as zero, as in the evaluator.
func load[T asm.Float](e *tnode, x *ctx, bases []int, src, scratch []T, i, j, di, dj, n int) ([]T, T, bool) {
	r := len(e.strides)
	o := bases[e.slot] + i*e.strides[r-2] + j*e.strides[r-1]
	step := di*e.strides[r-2] + dj*e.strides[r-1]
	last := o + (n-1)*step
	inside := uint(o) < uint(len(src)) && uint(last) < uint(len(src))
	switch {
	case step == 0 && inside:
		return nil, src[o], true
	case step == 1 && inside:
		return src[o : o+n], 0, false
	}
	out := scratch[:n]
	for q := range out {
		if p := o + q*step; uint(p) < uint(len(src)) {
			out[q] = src[p]
		} else {
			out[q] = 0
		}
	}
	return out, 0, false
}

// eval32 computes a float32 node on a run of n = len(cv) elements starting at output element
// (i, j); cv holds the product there. A result the same all along the run comes back as a
// scalar.
func (t *tileEpilogue) eval32(e *tnode, x *ctx, bases []int, cv []float32, i, j, di, dj int) ([]float32, float32, bool) {
	n := len(cv)
	switch e.op {
	case graph.OpCoreValue:
		return cv, 0, false
	case graph.OpConst:
		return nil, float32(e.cval), true
	case graph.OpLoad:
		return load(e, x, bases, view[float32](x.ins[e.input]), x.f32slot(e.slot), i, j, di, dj, n)
	}
	out := x.f32slot(e.slot)[:n]
	vec := func(s *tnode) []float32 {
		v, sv, scalar := t.eval32(s, x, bases, cv, i, j, di, dj)
		if scalar {
			return fill(x.f32slot(s.slot)[:n], sv)
		}
		return v
	}
	if len(e.src) == 1 {
		unaryF32(x, e.op, out, vec(e.src[0]))
		return out, 0, false
	}
	a, as, aScalar := t.eval32(e.src[0], x, bases, cv, i, j, di, dj)
	b, bs, bScalar := t.eval32(e.src[1], x, bases, cv, i, j, di, dj)
	switch {
	case bScalar && !aScalar && hasScalarF32(e.op):
		scalarF32(e.op, out, a, bs, false)
	case aScalar && !bScalar && hasScalarF32(e.op):
		scalarF32(e.op, out, b, as, true)
	default:
		if aScalar {
			a = fill(x.f32slot(e.src[0].slot)[:n], as)
		}
		if bScalar {
			b = fill(x.f32slot(e.src[1].slot)[:n], bs)
		}
		binaryF32(x, e.op, out, a, b)
	}
	return out, 0, false
}

// eval64 is eval32 for float64, on the evaluator's float64 operations.
func (t *tileEpilogue) eval64(e *tnode, x *ctx, bases []int, cv []float64, i, j, di, dj int) ([]float64, float64, bool) {
	n := len(cv)
	switch e.op {
	case graph.OpCoreValue:
		return cv, 0, false
	case graph.OpConst:
		return nil, e.cval, true
	case graph.OpLoad:
		return load(e, x, bases, view[float64](x.ins[e.input]), x.fslot(e.slot), i, j, di, dj, n)
	}
	out := x.fslot(e.slot)[:n]
	src := func(s *tnode) []float64 {
		v, sv, scalar := t.eval64(s, x, bases, cv, i, j, di, dj)
		if scalar {
			return fill(x.fslot(s.slot)[:n], sv)
		}
		return v
	}
	copy(out, src(e.src[0]))
	if len(e.src) == 1 {
		unaryF(e.op, out)
	} else {
		binaryF(e.op, out, src(e.src[1]))
	}
	return out, 0, false
}
