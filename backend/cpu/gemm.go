package cpu

import (
	"runtime"
	"sync"
	"unsafe"

	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/graph"
)

// A float32 or float64 contraction whose operands are plain loads (no mask) runs on the asm
// GEMM straight from the input buffers, whatever their strides: transposes, slices, flips and
// broadcasts are all strided matrices. Float32 accumulates in float32, as BLAS does.

// gemmOK reports whether the kernel's contraction can run on the asm GEMM.
func (p *program) gemmOK(ins []*Buffer) bool {
	c := p.k.Core
	if c == nil || c.Op != graph.OpContract || (c.DType != graph.Float32 && c.DType != graph.Float64) {
		return false
	}
	for _, e := range c.Src {
		if e.Op != graph.OpLoad || e.View.Mask != nil || e.DType != c.DType || ins[e.Input].dt != c.DType ||
			len(e.View.Shape) != len(c.Shape) {
			return false
		}
	}
	return true
}

// gemmDirect computes the kernel into out when its output is the contraction, possibly
// finished by a tile epilogue, of the same dtype: the GEMM then writes the output buffer in
// place. It reports whether it did.
func (p *program) gemmDirect(out *Buffer, ins []*Buffer) bool {
	c := p.k.Core
	if out.dt != c.DType || out.n != graph.NumElements(c.Shape) || !p.gemmOK(ins) {
		return false
	}
	t := p.tile
	if p.k.Expr.Op != graph.OpCoreValue && (t == nil || !t.inputsOK(ins)) {
		return false
	}
	switch out.dt {
	case graph.Float32:
		a, b := coreOperands[float32](c, ins)
		return gemmBatched(c.Shape, a, b, view[float32](out), t, ins) == nil
	default:
		a, b := coreOperands[float64](c, ins)
		return gemmBatched(c.Shape, a, b, view[float64](out), t, ins) == nil
	}
}

// contractGemm computes the contraction on the asm GEMM into the core values that the
// expression reads, or reports false when it cannot.
func (p *program) contractGemm(ins []*Buffer) (coreVals, bool) {
	if !p.gemmOK(ins) {
		if inF32(p.k.Core.DType) {
			out := p.contractF32(ins)
			return coreVals{f32: out}, out != nil
		}
		return coreVals{}, false
	}
	c := p.k.Core
	n := graph.NumElements(c.Shape)
	if c.DType == graph.Float32 {
		out := make([]float32, n)
		a, b := coreOperands[float32](c, ins)
		return coreVals{f32: out}, gemmBatched(c.Shape, a, b, out, nil, ins) == nil
	}
	out := make([]float64, n)
	a, b := coreOperands[float64](c, ins)
	return coreVals{f: out}, gemmBatched(c.Shape, a, b, out, nil, ins) == nil
}

// gemmOperand is an operand of a batched product: data, read at the view's offsets over
// [..., rows, columns].
type gemmOperand[T asm.Float] struct {
	data []T
	view graph.View
}

// coreOperands are the core's operands read in place from their buffers (see gemmOK).
func coreOperands[T asm.Float](c *graph.Core, ins []*Buffer) (a, b gemmOperand[T]) {
	return gemmOperand[T]{view[T](ins[c.Src[0].Input]), c.Src[0].View},
		gemmOperand[T]{view[T](ins[c.Src[1].Input]), c.Src[1].View}
}

// matrix returns product bi's matrix of the operand, of a product of the given shape.
func (o gemmOperand[T]) matrix(shape []int, bi int) asm.Matrix[T] {
	r := len(shape)
	off := o.view.Offset
	for d := r - 3; d >= 0; d-- {
		off += bi % shape[d] * o.view.Strides[d]
		bi /= shape[d]
	}
	return asm.Matrix[T]{Data: o.data, Offset: off, RowStride: o.view.Strides[r-2], ColStride: o.view.Strides[r-1]}
}

// gemmBatched computes the batched product of a and b, of the given output shape, into dst,
// row-major [..., M, N], finished by the tile epilogue t (whose loads read ins) unless it is
// nil. The blocking is the tuned one of the shape where CROSSBAR_TUNE and the cache have one
// (see tune.go).
func gemmBatched[T asm.Float](shape []int, a, b gemmOperand[T], dst []T, t *tileEpilogue, ins []*Buffer) error {
	r := len(shape)
	m, n, k := shape[r-2], shape[r-1], a.view.Shape[r-1]
	batch := graph.NumElements(shape[:r-2])
	one := func(bi int, prm *asm.GemmParams) error {
		cm := asm.Matrix[T]{Data: dst, Offset: bi * m * n, RowStride: n, ColStride: 1}
		var epi asm.Epilogue[T]
		if t != nil {
			epi = epilogueOf[T](t, ins, shape, bi)
		}
		return asm.GemmEpilogue(m, n, k, a.matrix(shape, bi), b.matrix(shape, bi), 0, cm, prm, epi)
	}
	var z T
	dt := graph.Float32
	if unsafe.Sizeof(z) == 8 {
		dt = graph.Float64
	}
	return runBatched(dt, batch, m, n, k, one)
}

// gemmParams is the blocking of a product of m × k by k × n in dt: the tuned one where
// there is one (nil: asm's default).
func gemmParams(dt graph.DType, m, n, k int) *asm.GemmParams {
	prm := gemmTuner.params(dt, asm.Level(), m, n, k)
	if h := gemmParamsHook.Load(); h != nil {
		(*h)(m, n, k, prm)
	}
	return prm
}

// runBatched runs one(bi, params) for the batch's products of m × k by k × n in dt: many
// small products share out the cores one product each; otherwise each product uses all of
// them.
func runBatched(dt graph.DType, batch, m, n, k int, one func(bi int, prm *asm.GemmParams) error) error {
	prm := gemmParams(dt, m, n, k)
	workers := runtime.GOMAXPROCS(0)
	if batch < 2 || batch < workers && m*n*k >= 64*64*64 {
		for bi := range batch {
			if err := one(bi, prm); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		mu  sync.Mutex
		err error
	)
	single := &asm.GemmParams{Threads: 1}
	if prm != nil {
		single = &asm.GemmParams{MC: prm.MC, KC: prm.KC, NC: prm.NC, Level: prm.Level, Threads: 1}
	}
	parallelFor(batch, max(1, 32*32*32/max(1, m*n*k)), func(_, lo, hi int) {
		for bi := lo; bi < hi; bi++ {
			if e := one(bi, single); e != nil {
				mu.Lock()
				err = e
				mu.Unlock()
				return
			}
		}
	})
	return err
}

// contractF32 computes a contraction of Float32 operands one of which is not a plain load (a
// masked view: a pad), or of Float16 or BFloat16 ones, on the float32 asm GEMM: a plain load
// of a float32 buffer is read in place, one of a 16-bit buffer read in place and widened as
// the GEMM or the matrix-vector kernels read it (contractMixedF32), any other operand
// evaluated into a float32 matrix (a B times few rows a piece at a time, contractThinF32);
// the products accumulate in float32, as a GPU's tensor cores do for the 16-bit dtypes, and
// the result is rounded to the dtype once, when it is stored.
func (p *program) contractF32(ins []*Buffer) []float32 {
	c := p.k.Core
	r := len(c.Shape)
	m, n := c.Shape[r-2], c.Shape[r-1]
	batch := graph.NumElements(c.Shape[:r-2])
	dst := make([]float32, batch*m*n)
	if len(dst) == 0 {
		return dst
	}
	if done, err := p.contractMixedF32(ins, dst, batch, m, n); done {
		if err != nil {
			return nil
		}
		return dst
	}
	a, _ := p.operandF32(0, ins, false)
	b, inPlace := p.operandF32(1, ins, m <= thinRows)
	var err error
	if m <= thinRows && !inPlace {
		err = p.contractThinF32(ins, a, dst, batch, m, n, c.Shape)
	} else {
		err = gemmBatched(c.Shape, a, b, dst, nil, ins)
	}
	if err != nil {
		return nil
	}
	return dst
}

// operandF32 returns core operand i as float32 (see contractF32) and whether it is read
// where it lies. With thin, B, unless it is read in place, is left (the zero operand, false)
// to contractThinF32, which evaluates it a piece at a time.
func (p *program) operandF32(i int, ins []*Buffer, thin bool) (gemmOperand[float32], bool) {
	c, e := p.k.Core, p.core[i]
	v := c.Src[i].View
	numel := graph.NumElements(v.Shape)
	if e.op == graph.OpLoad && v.Mask == nil && len(v.Shape) == len(c.Shape) {
		if b := ins[e.input]; b.dt == graph.Float32 {
			return gemmOperand[float32]{view[float32](b), v}, true
		}
	}
	if thin && i == 1 {
		return gemmOperand[float32]{}, false
	}
	return gemmOperand[float32]{p.evalAllF32(e, ins, numel), graph.Contiguous(v.Shape)}, false
}

// contractMixedF32 computes the product into dst on asm.GemmMixed when an operand is a plain
// load of a 16-bit buffer: such an operand is read where it lies, whatever its strides, and
// widened as the GEMM packs it, a block at a time, with no float32 copy of it (an 11008×4096
// BFloat16 weight matrix widened whole would be 180 MB, written and read back by every
// product); the other operand is as operandF32 gives it. It reports whether it took the
// product (and then any error of the GEMM).
func (p *program) contractMixedF32(ins []*Buffer, dst []float32, batch, m, n int) (bool, error) {
	c := p.k.Core
	r := len(c.Shape)
	k := c.Src[0].View.Shape[r-1]
	var half [2]*Buffer
	for i := range half {
		e, v := p.core[i], c.Src[i].View
		b := ins[e.input]
		if e.op == graph.OpLoad && v.Mask == nil && len(v.Shape) == r && (b.dt == graph.Float16 || b.dt == graph.BFloat16) &&
			e.view.lo >= 0 && e.view.hi < b.n {
			half[i] = b
		}
	}
	if half[0] == nil && half[1] == nil {
		return false, nil
	}
	var ops [2]gemmOperand[float32]
	for i, b := range half {
		if b == nil {
			ops[i], _ = p.operandF32(i, ins, false)
		} else {
			ops[i].view = c.Src[i].View
		}
	}
	one := func(bi int, prm *asm.GemmParams) error {
		var mats [2]asm.Operand
		for i, b := range half {
			x := ops[i].matrix(c.Shape, bi)
			if b == nil {
				mats[i].Float = x
				continue
			}
			mats[i].Half = &asm.HalfMatrix{Data: view[uint16](b), Offset: x.Offset, RowStride: x.RowStride, ColStride: x.ColStride,
				BF16: b.dt == graph.BFloat16}
		}
		cm := asm.Matrix[float32]{Data: dst, Offset: bi * m * n, RowStride: n, ColStride: 1}
		return asm.GemmMixed(m, n, k, mats[0], mats[1], 0, cm, prm, nil)
	}
	return true, runBatched(graph.Float32, batch, m, n, k, one)
}

// thinRows is the most rows of A for which contractF32 evaluates B a piece at a time: a
// matrix-vector product reads each element of B once, so converting all of B first (written
// out and read back) would take longer than the product.
const thinRows = 4

// The pieces of B that contractThinF32 evaluates at a time, 64 KiB of float32 each (read by
// the product while in L2): thinDepth rows of thinStripe columns. Narrow stripes leave work
// for many cores: a 1024-wide B has 8; where there are fewer cores, the stripes widen up to
// maxThinStripe, the piece keeping its size.
const (
	thinStripe    = 128
	thinDepth     = 128
	maxThinStripe = maxBlock // the most a node evaluates at a time
)

// contractThinF32 computes dst = A·B for A of m <= thinRows rows and B the core's second
// operand, not a plain load (16-bit ones go to contractMixedF32), each worker taking stripes
// of B's columns and evaluating a piece of a stripe before multiplying it in; C accumulates
// the pieces in float32.
func (p *program) contractThinF32(ins []*Buffer, a gemmOperand[float32], dst []float32, batch, m, n int, shape []int) error {
	r := len(shape)
	k := a.view.Shape[r-1]
	depth, stripe := thinDepth, thinStripe
	if w := (n/(2*runtime.GOMAXPROCS(0)) + 63) &^ 63; w > stripe {
		// Rows read a longer stretch at a time the wider the stripe (the prefetchers follow
		// it), as long as every worker still has two stripes to take.
		stripe = min(w, maxThinStripe)
		depth = max(1, thinDepth*thinStripe/stripe)
	}
	stripes := (n + stripe - 1) / stripe
	single := &asm.GemmParams{Threads: 1}
	var (
		mu  sync.Mutex
		err error
	)
	parallelFor(batch*stripes, 1, func(_, lo, hi int) {
		c := newCtx(p.slots, ins)
		defer putCtx(c)
		buf, part := make([]float32, depth*stripe), make([]float32, stripe)
		for q := lo; q < hi; q++ {
			bi, n0 := q/stripes, q%stripes*stripe
			w := min(stripe, n-n0)
			for k0 := 0; k0 < k; k0 += depth {
				d := min(depth, k-k0)
				bm := asm.Matrix[float32]{Data: buf, RowStride: w, ColStride: 1}
				for l := range d {
					row := buf[l*w : (l+1)*w]
					c.enter((bi*k+k0+l)*n+n0, w)
					if v := p.core[1].evalF32(c, (bi*k+k0+l)*n+n0, w, row); &v[0] != &row[0] {
						copy(row, v)
					}
				}
				am := a.matrix(shape, bi)
				am.Offset += k0 * am.ColStride
				if m == 1 && am.ColStride == 1 {
					// A vector: the matrix-vector kernels, without the GEMM's dispatch.
					x, y := am.Data[am.Offset:am.Offset+d], part[:w]
					asm.GemvColsF32(w, d, buf, w, x, y)
					if c := dst[bi*n+n0 : bi*n+n0+w]; k0 == 0 {
						copy(c, y)
					} else {
						asm.AddF32(c, c, y)
					}
					continue
				}
				beta := float32(1)
				if k0 == 0 {
					beta = 0
				}
				e := asm.GemmEpilogue(m, w, d, am, bm,
					beta, asm.Matrix[float32]{Data: dst, Offset: bi*m*n + n0, RowStride: n, ColStride: 1}, single, nil)
				if e != nil {
					mu.Lock()
					err = e
					mu.Unlock()
					return
				}
			}
		}
	})
	return err
}
